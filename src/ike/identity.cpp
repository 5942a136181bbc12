#include "ike/identity.hpp"

#include <algorithm>

#include "crypto/distinguished_name.hpp"

namespace cygnet::ike {

using wire::ikev2::IdType;

namespace {

bool blank(char c) { return c == ' ' || c == '\t'; }

// Surrounding blanks are layout, except a DN value's trailing space escaped as "\ ".
std::string_view trim(std::string_view s) {
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) {
    std::size_t backslashes = 0;
    while (backslashes + 1 < s.size() && s[s.size() - 2 - backslashes] == '\\') ++backslashes;
    if (backslashes % 2 == 1) break;
    s.remove_suffix(1);
  }
  return s;
}

Bytes ascii_bytes(std::string_view text) { return Bytes(text.begin(), text.end()); }

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// DNS names and e-mail addresses are compared without regard to ASCII case, as strongSwan does.
bool equal_ignoring_case(ByteView a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](std::uint8_t x, char y) {
           return ascii_lower(static_cast<char>(x)) == ascii_lower(y);
         });
}

// A peer's name goes into events and status lines: keep it printable, show other bytes as \xNN.
std::string printable(ByteView data) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size());
  for (std::uint8_t b : data) {
    if (b >= 0x20 && b < 0x7f && b != '\\') {
      out.push_back(static_cast<char>(b));
    } else {
      out += "\\x";
      out.push_back(digits[b >> 4]);
      out.push_back(digits[b & 0x0f]);
    }
  }
  return out;
}

}  // namespace

std::optional<Identity> Identity::parse(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  Identity id;
  if (text == "%any") {
    id.any = true;
    return id;
  }
  if (text.front() == '@') {
    // strongSwan's "@name": an FQDN even when it looks like an address, a DN or an e-mail.
    text.remove_prefix(1);
    if (text.empty()) return std::nullopt;
    id.type = IdType::Fqdn;
    id.data = ascii_bytes(text);
    return id;
  }
  if (std::optional<wire::IpAddress> address = wire::IpAddress::parse(text)) return from_address(*address);
  if (text.find('=') != std::string_view::npos) {
    // Checked before '@': "E=user@example.com, CN=x" is a DN.
    std::optional<Bytes> der = crypto::dn_from_string(text);
    if (!der) return std::nullopt;
    id.type = IdType::DerAsn1Dn;
    id.data = std::move(*der);
    return id;
  }
  id.type = text.find('@') != std::string_view::npos ? IdType::Rfc822Address : IdType::Fqdn;
  id.data = ascii_bytes(text);
  return id;
}

Identity Identity::from_address(const wire::IpAddress& address) {
  Identity id;
  id.type = address.is_v4() ? IdType::Ipv4Address : IdType::Ipv6Address;
  const ByteView bytes = address.bytes();
  id.data.assign(bytes.begin(), bytes.end());
  return id;
}

Identity Identity::from_payload(const wire::ikev2::IdPayload& payload) {
  Identity id;
  id.type = payload.type;
  id.data = payload.data;
  return id;
}

wire::ikev2::IdPayload Identity::to_payload() const {
  wire::ikev2::IdPayload payload;
  payload.type = type;
  payload.data = data;
  return payload;
}

std::string Identity::to_string() const {
  if (any) return "%any";
  switch (type) {
    case IdType::Ipv4Address:
      if (data.size() == 4) return wire::IpAddress::v4(ByteView(data)).to_string();
      break;
    case IdType::Ipv6Address:
      if (data.size() == 16) return wire::IpAddress::v6(ByteView(data)).to_string();
      break;
    case IdType::Fqdn: {
      // A name that would read back as another type gets strongSwan's "@" (a peer may send any
      // bytes as an FQDN, "192.0.2.1" or "%any" included).
      std::string text = printable(data);
      const std::optional<Identity> reread = parse(text);
      const bool misread = !reread || reread->any || reread->type != IdType::Fqdn || text.front() == '@';
      return misread ? "@" + text : text;
    }
    case IdType::Rfc822Address: return printable(data);
    case IdType::DerAsn1Dn:
      // RFC 4514 escaping already turns control characters into \XX; UTF-8 stays readable.
      if (std::optional<std::string> text = crypto::dn_to_string(data)) return *text;
      break;
    case IdType::KeyId: return "@#" + to_hex(data);  // strongSwan's spelling of a key id
    case IdType::DerAsn1Gn: break;
  }
  // A malformed address or DN, or a type shown only as its bytes.
  return "ID type " + std::to_string(static_cast<unsigned>(type)) + " #" + to_hex(data);
}

bool Identity::matches(const Identity& peer) const {
  if (any) return true;
  if (peer.any || type != peer.type) return false;
  switch (type) {
    case IdType::Fqdn:
    case IdType::Rfc822Address:
      return equal_ignoring_case(data, std::string_view(reinterpret_cast<const char*>(peer.data.data()),
                                                        peer.data.size()));
    case IdType::DerAsn1Dn: return crypto::dn_equal(data, peer.data);
    default: return data == peer.data;
  }
}

bool certificate_matches_identity(const crypto::Certificate& certificate, const Identity& identity) {
  if (identity.any) return true;
  const std::string_view name(reinterpret_cast<const char*>(identity.data.data()), identity.data.size());
  switch (identity.type) {
    case IdType::Ipv4Address:
    case IdType::Ipv6Address: {
      const std::vector<Bytes> addresses = certificate.ip_addresses();
      return std::find(addresses.begin(), addresses.end(), identity.data) != addresses.end();
    }
    // Names are looked up in subjectAltName only, never in the subject's CN: RFC 4945 §3.1 binds
    // FQDN and USER_FQDN identities to dNSName/rfc822Name, and a CN fallback would let a
    // certificate issued for a DN vouch for a host name its CA never checked.
    case IdType::Fqdn:
      for (const std::string& dns : certificate.dns_names())
        if (equal_ignoring_case(ascii_bytes(dns), name)) return true;
      return false;
    case IdType::Rfc822Address:
      for (const std::string& email : certificate.email_names())
        if (equal_ignoring_case(ascii_bytes(email), name)) return true;
      return false;
    case IdType::DerAsn1Dn: return crypto::dn_equal(certificate.subject_der(), identity.data);
    case IdType::DerAsn1Gn:
    case IdType::KeyId: return false;
  }
  return false;
}

}  // namespace cygnet::ike
