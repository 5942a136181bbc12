#include "config/client_certificate_warnings.hpp"

#include <algorithm>
#include <cctype>

#include "crypto/certificate_checks.hpp"

namespace cygnet::config {
namespace {

bool serves_road_warriors(const ike::ConnectionSettings& c) {
  const ike::AuthMethod remote = ike::remote_auth_method(c);
  const bool eap = remote != ike::AuthMethod::Psk && remote != ike::AuthMethod::PublicKey;
  return !c.pools.empty() || eap || c.remote_id.any;
}

bool same_text_ignoring_case(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string dns_names_text(const crypto::Certificate& certificate) {
  std::string text;
  for (const std::string& name : certificate.dns_names()) text += (text.empty() ? "DNS:" : ", DNS:") + name;
  return text;
}

void identity_findings(std::vector<std::string>& out, const std::string& where,
                       const ike::ConnectionSettings& c, const crypto::Certificate& certificate) {
  using wire::ikev2::IdType;
  const std::string names = dns_names_text(certificate);
  if (c.local_id.type == IdType::DerAsn1Dn) {
    out.push_back(
        "warning: " + where +
        ": local_id is the certificate's subject (a DN); macOS/iOS and Android clients " +
        "check the name they dial against the gateway's identity and the certificate's subjectAltName, so " +
        (names.empty()
             ? std::string("issue a certificate with the gateway's DNS name as subjectAltName and set "
                           "local_id to that name")
             : "set local_id to the name clients dial (the certificate has " + names + ")"));
    return;
  }
  if (c.local_id.type == IdType::Ipv4Address || c.local_id.type == IdType::Ipv6Address) {
    const std::string address = c.local_id.to_string();
    const std::vector<std::string> dns = certificate.dns_names();
    const bool as_dns_name = std::any_of(dns.begin(), dns.end(), [&](const std::string& name) {
      return same_text_ignoring_case(name, address);
    });
    if (!as_dns_name)
      out.push_back("warning: " + where + ": local_id is the address " + address +
                    ": Windows clients dialling it look for it as a DNS-type subjectAltName (DNS:" + address +
                    ") and fail with error 13801 when it is only an iPAddress one; add it as both");
  }
}

void usage_findings(std::vector<std::string>& out, const std::string& where,
                    const crypto::Certificate& certificate) {
  const auto usages = crypto::extended_key_usages(certificate);
  if (!usages) {
    out.push_back("warning: " + where + ": certificate '" + certificate.subject_string() +
                  "' has no extendedKeyUsage: Windows and macOS/iOS clients refuse a gateway certificate "
                  "without serverAuth (1.3.6.1.5.5.7.3.1) in it (Windows: error 13801)");
    return;
  }
  if (std::find(usages->begin(), usages->end(), "serverAuth") != usages->end()) return;
  std::string listed;
  for (const std::string& usage : *usages) listed += (listed.empty() ? "" : ", ") + usage;
  out.push_back("warning: " + where + ": the extendedKeyUsage of certificate '" +
                certificate.subject_string() + "' (" + (listed.empty() ? std::string("empty") : listed) +
                ") lacks serverAuth: Windows and macOS/iOS clients refuse it as a gateway certificate "
                "(Windows: error 13801)");
}

}  // namespace

std::vector<std::string> client_certificate_warnings(const Config& config) {
  std::vector<std::string> out;
  for (const ike::ConnectionSettings& c : config.connections) {
    if (ike::local_auth_method(c) != ike::AuthMethod::PublicKey || !c.certificate) continue;
    if (c.ike_version != 2 || !serves_road_warriors(c)) continue;
    const std::string where = "connection '" + c.name + "'";
    identity_findings(out, where, c, *c.certificate);
    usage_findings(out, where, *c.certificate);
  }
  return out;
}

}  // namespace cygnet::config
