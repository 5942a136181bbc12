#include "daemon/connection_diff.hpp"

#include <map>

#include "crypto/digest.hpp"
#include "ike/algorithms.hpp"

namespace cygnet::daemon {

namespace {

// Length-prefixed fields, so "ab"+"c" and "a"+"bc" differ.
class FingerprintBuilder {
 public:
  void add(std::string_view field) {
    text_ += std::to_string(field.size());
    text_ += ':';
    text_ += field;
  }
  void add(std::int64_t number) { add(std::to_string(number)); }
  void add_bytes(ByteView bytes) { add(to_hex(crypto::digest(crypto::HashAlgorithm::Sha256, {bytes}))); }
  std::string finish() const {
    const auto* data = reinterpret_cast<const std::uint8_t*>(text_.data());
    return to_hex(crypto::digest(crypto::HashAlgorithm::Sha256, {ByteView(data, text_.size())}));
  }

 private:
  std::string text_;
};

}  // namespace

std::string connection_fingerprint(const ike::ConnectionSettings& c) {
  FingerprintBuilder f;
  f.add(c.name);
  f.add(c.ike_version);
  f.add(static_cast<std::int64_t>(c.local_addrs.size()));
  for (const auto& a : c.local_addrs) f.add(a.to_string());
  f.add(static_cast<std::int64_t>(c.remote_addrs.size()));
  for (const auto& a : c.remote_addrs) f.add(a.to_string());
  f.add(static_cast<std::int64_t>(c.remote_hosts.size()));
  for (const auto& host : c.remote_hosts) f.add(host);
  f.add(c.remote_port);
  f.add(c.local_id.to_string());
  f.add(c.remote_id.to_string());
  f.add(static_cast<std::int64_t>(c.auth));
  f.add_bytes(c.psk.view());
  f.add(c.local_auth ? static_cast<std::int64_t>(*c.local_auth) : -1);
  f.add(c.remote_auth ? static_cast<std::int64_t>(*c.remote_auth) : -1);
  f.add(c.eap_identity);
  f.add_bytes(c.eap_password_hash.view());
  if (c.private_key) {
    const Bytes spki = c.private_key->public_key().der_spki();
    f.add_bytes(spki);
  } else {
    f.add("no-key");
  }
  if (c.certificate) {
    const Bytes der = c.certificate->der();
    f.add_bytes(der);
  } else {
    f.add("no-certificate");
  }
  f.add(static_cast<std::int64_t>(c.ca_certificates.size()));
  for (const auto& ca : c.ca_certificates) {
    const Bytes der = ca.der();
    f.add_bytes(der);
  }
  f.add(static_cast<std::int64_t>(c.revocation));
  f.add(static_cast<std::int64_t>(c.authorities.size()));
  for (const ike::RevocationAuthority& a : c.authorities) {
    f.add(a.name);
    const Bytes der = a.cacert.der();
    f.add_bytes(der);
    for (const auto& uri : a.crl_uris) f.add("crl " + uri);
    for (const auto& uri : a.ocsp_uris) f.add("ocsp " + uri);
  }
  f.add(static_cast<std::int64_t>(c.ike_proposals.size()));
  for (const auto& p : c.ike_proposals) f.add(ike::proposal_to_string(p));
  f.add(static_cast<std::int64_t>(c.start_action));
  f.add(c.dpd_delay.count());
  f.add(c.ike_lifetime.count());
  f.add(static_cast<std::int64_t>(c.encapsulation));
  f.add(c.allow_legacy ? 1 : 0);
  f.add(static_cast<std::int64_t>(c.pools.size()));
  for (const auto& pool : c.pools) f.add(pool);
  f.add(static_cast<std::int64_t>(c.vips.size()));
  for (const auto& vip : c.vips) f.add(vip.to_string());
  f.add(c.aggressive ? 1 : 0);
  f.add(c.mobike ? 1 : 0);
  if (const auto& i = c.route_interface) {  // route-based: its interface, addresses, routes and MTU
    f.add("interface " + i->name);
    for (const auto& a : i->addresses)
      f.add("address " + a.address.to_string() + "/" + std::to_string(a.length));
    for (const auto& r : i->routes) f.add("route " + r.to_string());
    f.add(i->mtu.value_or(0));
  } else {
    f.add("policy-based");
  }
  f.add(static_cast<std::int64_t>(c.children.size()));
  for (const ike::ChildSettings& child : c.children) {
    f.add(child.name);
    f.add(static_cast<std::int64_t>(child.mode));
    f.add(static_cast<std::int64_t>(child.protocol));
    f.add(static_cast<std::int64_t>(child.local_ts.size()));
    for (const auto& p : child.local_ts) f.add(p.to_string());
    f.add(static_cast<std::int64_t>(child.remote_ts.size()));
    for (const auto& p : child.remote_ts) f.add(p.to_string());
    f.add(static_cast<std::int64_t>(child.proposals.size()));
    for (const auto& p : child.proposals) f.add(ike::proposal_to_string(p));
    f.add(child.lifetime.count());
    f.add(static_cast<std::int64_t>(child.life_bytes));
    f.add(static_cast<std::int64_t>(child.life_packets));
    f.add(child.replay_window);
    f.add(static_cast<std::int64_t>(child.per_cpu_sas));
  }
  return f.finish();
}

ConnectionDiff diff_connections(const std::vector<ike::ConnectionSettings>& before,
                                const std::vector<ike::ConnectionSettings>& after) {
  std::map<std::string, std::string> old_prints;
  for (const auto& c : before) old_prints[c.name] = connection_fingerprint(c);
  ConnectionDiff diff;
  std::map<std::string, bool> still_there;
  for (const auto& c : after) {
    auto it = old_prints.find(c.name);
    if (it == old_prints.end()) {
      diff.added.push_back(c.name);
    } else if (it->second == connection_fingerprint(c)) {
      diff.unchanged.push_back(c.name);
    } else {
      diff.changed.push_back(c.name);
    }
    still_there[c.name] = true;
  }
  for (const auto& c : before) {
    if (!still_there.count(c.name)) diff.removed.push_back(c.name);
  }
  return diff;
}

}  // namespace cygnet::daemon
