#include "config/swanctl_import.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>
#include <utility>

#include "config/duration.hpp"
#include "config/file_reading.hpp"
#include "crypto/signature.hpp"
#include "crypto/x509.hpp"
#include "ike/algorithms.hpp"
#include "ike/transform_registry.hpp"
#include "wire/ip_address.hpp"

namespace cygnet::config {
namespace {

constexpr std::size_t kMaxCredentialFileSize = 1024 * 1024;
constexpr std::size_t kMaxCredentialFiles = 256;  // per credential folder
constexpr long long kStrongswanIkeRekey = 4 * 3600;
constexpr long long kStrongswanChildRekey = 3600;
constexpr std::uint32_t kStrongswanReplayWindow = 32;  // charon.replay_window
// What we write when strongSwan would never expire an SA (Cygnet needs a finite lifetime).
constexpr long long kNoExpiry = 10LL * 365 * 24 * 3600;

// strongSwan 5.9's "default" keyword, as charon 5.9.8 with the openssl plugin (Debian 12) logs it
// ("configured proposals"): the CBC proposal first, then the AEAD one. Algorithms Cygnet lacks
// (CTR, Camellia, CCM, Brainpool, AES-XCBC) are dropped; so are the RFC 8247/8221 SHOULD NOT ones
// (3DES, SHA-1), rather than turning on allow_legacy for every imported connection. Both are listed.
constexpr std::string_view kStrongswanDefaultIke[] = {
    "aes128-aes192-aes256-aes128ctr-aes192ctr-aes256ctr-camellia128-camellia192-camellia256-3des-"
    "sha256-sha384-sha512-sha1-prfsha256-prfsha384-prfsha512-prfsha1-"
    "x25519-x448-ecp256-ecp384-ecp521-ecp256bp-ecp384bp-ecp512bp-modp3072-modp4096-modp6144-modp8192-"
    "modp2048",
    "aes128gcm16-aes192gcm16-aes256gcm16-aes128ccm16-aes192ccm16-aes256ccm16-chacha20poly1305-"
    "aes128gcm12-aes192gcm12-aes256gcm12-aes128gcm8-aes192gcm8-aes256gcm8-"
    "prfsha256-prfsha384-prfsha512-prfsha1-"
    "x25519-x448-ecp256-ecp384-ecp521-ecp256bp-ecp384bp-ecp512bp-modp3072-modp4096-modp6144-modp8192-"
    "modp2048"};
constexpr std::string_view kStrongswanDefaultEsp[] = {
    "aes128-aes192-aes256-sha256-sha384-sha512-sha1-aesxcbc", "aes128gcm16-aes192gcm16-aes256gcm16"};
constexpr std::string_view kStrongswanDefaultAh[] = {"sha256-sha384-sha512"};

std::string trimmed(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string item = trimmed(text.substr(start, comma - start));
    if (!item.empty()) out.push_back(std::move(item));
    start = comma + 1;
  }
  return out;
}

bool is_yes(std::string_view v) {
  const std::string l = lower(std::string(v));
  return l == "yes" || l == "true" || l == "1" || l == "enabled";
}
bool is_no(std::string_view v) {
  const std::string l = lower(std::string(v));
  return l == "no" || l == "false" || l == "0" || l == "disabled";
}

// strongSwan time values: an integer with an optional unit (s, m, h, d).
std::optional<long long> parse_strongswan_time(std::string_view text) {
  const std::string t = trimmed(text);
  std::size_t i = 0;
  long long value = 0;
  while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) {
    if (value > 1'000'000'000'000LL) return std::nullopt;
    value = value * 10 + (t[i] - '0');
    ++i;
  }
  if (i == 0) return std::nullopt;
  const std::string unit = trimmed(std::string_view(t).substr(i));
  if (unit.empty() || unit == "s") return value;
  if (unit == "m") return value * 60;
  if (unit == "h") return value * 3600;
  if (unit == "d") return value * 86400;
  return std::nullopt;
}

std::optional<std::uint64_t> parse_count(std::string_view text) {
  const std::string t = trimmed(text);
  if (t.empty() || t.size() > 19) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : t) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

std::string duration_text(long long seconds) {
  return format_duration(Seconds(std::min<long long>(seconds, kMaxDuration.count())));
}

std::string toml_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          static const char* hex = "0123456789abcdef";
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string toml_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + toml_string(items[i]);
  return out + "]";
}

// One line of a TOML comment: printable ASCII only (a comment must be valid UTF-8 without control
// characters, and the text may come from anywhere), bounded length.
std::string comment_safe(std::string_view s) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    out += (u == '\t' || (u >= 0x20 && u < 0x7f)) ? c : (u == '\n' || u == '\r') ? ' ' : '?';
  }
  if (out.size() > 300) out = out.substr(0, 300) + "...";
  return out;
}

bool valid_utf8_text(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t extra = 0;
    if (c == 0) return false;
    if (c < 0x80) {
      extra = 0;
    } else if ((c & 0xE0) == 0xC0 && c >= 0xC2) {
      extra = 1;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
    } else if ((c & 0xF8) == 0xF0 && c <= 0xF4) {
      extra = 3;
    } else {
      return false;
    }
    for (std::size_t k = 1; k <= extra; ++k)
      if (i + k >= s.size() || (static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += extra + 1;
  }
  return true;
}

std::optional<std::string> decode_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

std::optional<std::string> decode_base64(std::string_view text) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+')
      v = 62;
    else if (c == '/')
      v = 63;
    else if (c == '=')
      break;
    else
      return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

// strongSwan's secret encodings: "0x..." hex, "0s..." base64, otherwise the text itself.
std::optional<std::string> decode_secret(const std::string& value) {
  if (value.size() > 2 && value[0] == '0' && (value[1] == 'x' || value[1] == 'X'))
    return decode_hex(value.substr(2));
  if (value.size() > 2 && value[0] == '0' && (value[1] == 's' || value[1] == 'S'))
    return decode_base64(value.substr(2));
  return value;
}

struct IdentityMapping {
  std::optional<std::string> id;
  std::string error;
};

// A strongSwan identity in Cygnet's notation (docs/configuration.md, Identities).
IdentityMapping map_identity(const std::string& raw) {
  std::string text = trimmed(raw);
  auto fail = [&](std::string why) { return IdentityMapping{std::nullopt, std::move(why)}; };
  if (text == "%any" || text == "%any6" || text == "%any4") return {"%any", ""};
  if (text.find('*') != std::string::npos) return fail("wildcard identities are not supported by Cygnet");
  if (text.rfind("@#", 0) == 0) return fail("key-ID identities (@#...) are not supported by Cygnet");
  enum class Kind { Guess, Fqdn, Email, Ip, Dn } kind = Kind::Guess;
  static const std::pair<std::string_view, Kind> kPrefixes[] = {
      {"fqdn:", Kind::Fqdn},    {"dns:", Kind::Fqdn},       {"email:", Kind::Email},
      {"rfc822:", Kind::Email}, {"userfqdn:", Kind::Email}, {"ipv4:", Kind::Ip},
      {"ipv6:", Kind::Ip},      {"asn1dn:", Kind::Dn},      {"dn:", Kind::Dn}};
  for (const auto& [prefix, k] : kPrefixes) {
    if (lower(text.substr(0, prefix.size())) == prefix) {
      text = text.substr(prefix.size());
      kind = k;
      break;
    }
  }
  if (kind == Kind::Guess && text.rfind("@@", 0) == 0) {
    text = text.substr(2);
    kind = Kind::Email;
  } else if (kind == Kind::Guess && text.rfind('@', 0) == 0) {
    text = text.substr(1);
    kind = Kind::Fqdn;
  }
  if (text.empty()) return fail("empty identity");
  // What Cygnet will read the text as; it must be what strongSwan meant.
  const bool looks_ip = wire::IpAddress::parse(text).has_value();
  const bool looks_dn = text.find('=') != std::string::npos;
  const bool looks_email = !looks_dn && text.find('@') != std::string::npos;
  Kind cygnet = looks_ip ? Kind::Ip : looks_dn ? Kind::Dn : looks_email ? Kind::Email : Kind::Fqdn;
  if (kind == Kind::Guess) kind = cygnet;
  if (kind != cygnet)
    return fail("identity '" + raw +
                "' would be read by Cygnet as another identity type; Cygnet infers the type from the text");
  return {text, ""};
}

// A section that sets something (strongSwan treats empty values as unset).
bool has_content(const SettingsSection& s) {
  for (const SettingsValue& v : s.values)
    if (!trimmed(v.value).empty()) return true;
  for (const SettingsSection& sub : s.sections)
    if (has_content(sub)) return true;
  return false;
}

enum class MappedStart { None = 0, Trap = 1, Start = 2 };

struct Child {
  std::string name;
  std::string mode = "tunnel";
  std::string protocol = "esp";
  std::vector<std::string> local_ts, remote_ts;
  std::vector<std::string> proposals;
  std::string lifetime;
  std::optional<std::uint64_t> life_bytes, life_packets;
  std::uint32_t replay_window = kStrongswanReplayWindow;
};

struct Connection {
  std::string name;
  SettingsPosition where;
  int ike_version = 2;
  std::vector<std::string> local_addrs, remote_addrs;
  std::optional<std::uint32_t> remote_port;
  std::optional<std::string> local_id, remote_id;
  std::string auth;
  std::optional<std::string> psk;
  std::string certificate, private_key;
  std::vector<std::string> ca_certificates;
  std::vector<std::string> ike_proposals;
  std::string start_action = "none";
  std::string dpd_delay = "0s";
  std::string ike_lifetime;
  std::string reauth_time;    // empty: no reauthentication (strongSwan's default)
  std::string unique = "no";  // strongSwan's default, and Cygnet's
  std::string encapsulation = "auto";
  bool allow_legacy = false;
  bool aggressive = false;
  bool mobike = true;                     // strongSwan's default, and Cygnet's
  std::optional<std::string> revocation;  // remote.revocation: strict | ifuri | relaxed
  std::vector<Child> children;
};

// authorities.NAME: the CA and its CRL / OCSP sources.
struct Authority {
  std::string name;
  SettingsPosition where;
  std::string cacert;
  std::vector<std::string> crl_uris, ocsp_uris;
};

struct SecretEntry {
  std::vector<std::string> ids;  // in Cygnet notation
  std::string secret;
  bool usable = true;
};

class Importer {
 public:
  Importer(const SettingsSection& root, std::filesystem::path dir) : root_(root), dir_(std::move(dir)) {}

  SwanctlImport run(const std::string& source_name) {
    collect_top_level();
    std::vector<std::string> blocks;
    if (const SettingsSection* connections = root_.find_section("connections")) {
      for (const SettingsValue& v : connections->values)
        unmapped(v, "connections." + v.key, "not a connection section");
      for (const SettingsSection& section : connections->sections) {
        std::optional<Connection> conn = map_connection(section);
        if (!conn) continue;
        std::string block = render(*conn);
        // Cygnet's own validator has the last word: what it refuses is not written.
        const LoadResult check = parse_config(block, "connection " + conn->name, dir_);
        if (!check.ok()) {
          for (const ConfigError& e : check.errors)
            unmapped_at(section.where, "connections." + section.name,
                        "left out: Cygnet refuses the translation: " + e.message);
          continue;
        }
        blocks.push_back(std::move(block));
      }
    }
    std::vector<std::string> authority_blocks;
    for (const Authority& a : authorities_) {
      std::string block = render(a);
      const LoadResult check = parse_config(block, "authority " + a.name, dir_);
      if (!check.ok()) {
        for (const ConfigError& e : check.errors)
          unmapped_at(a.where, "authorities." + a.name,
                      "left out: Cygnet refuses the translation: " + e.message);
        continue;
      }
      authority_blocks.push_back(std::move(block));
    }
    SwanctlImport out;
    out.connections = blocks.size();
    // In file order, so the list reads along with the file.
    std::stable_sort(findings_.begin(), findings_.end(), [](const auto& a, const auto& b) {
      return std::tie(a.first.file, a.first.line, a.first.column) <
             std::tie(b.first.file, b.first.line, b.first.column);
    });
    for (const auto& finding : findings_) out.unmapped.push_back(finding.second);
    out.toml = "# Cygnet configuration generated by `cygnetctl import-swanctl` from " +
               comment_safe(source_name) + "\n";
    out.toml += "# (docs/configuration.md describes every key; check it with `cygnetctl check FILE`).\n";
    if (findings_.empty()) {
      out.toml += "# Every setting was carried over.\n";
    } else {
      out.toml += "# " + std::to_string(findings_.size()) + " setting(s) could not be carried over:\n";
      for (const std::string& f : out.unmapped) out.toml += "#   " + comment_safe(f) + "\n";
    }
    for (const std::string& block : blocks) out.toml += "\n" + block;
    for (const std::string& block : authority_blocks) out.toml += "\n" + block;
    return out;
  }

 private:
  // --- findings ------------------------------------------------------------------------------

  void unmapped_at(const SettingsPosition& where, const std::string& what, const std::string& why) {
    findings_.push_back({where, where.to_string() + ": " + what + ": " + why});
  }
  void unmapped(const SettingsValue& v, const std::string& path, const std::string& why,
                bool show_value = true) {
    if (trimmed(v.value).empty()) return;  // an empty value leaves the setting unset in strongSwan
    std::string what = path;
    if (show_value) what += " = " + v.value;
    unmapped_at(v.where, what, why);
  }

  // --- secrets, authorities, pools, other sections -----------------------------------------------

  void collect_top_level() {
    for (const SettingsValue& v : root_.values) unmapped(v, v.key, "not a swanctl.conf setting");
    for (const SettingsSection& s : root_.sections) {
      if (s.name == "connections") continue;
      if (s.name == "secrets") {
        collect_secrets(s);
      } else if (s.name == "authorities") {
        collect_authorities(s);
      } else if (s.name == "pools") {
        for (const SettingsSection& pool : s.sections)
          unmapped_at(pool.where, "pools." + pool.name,
                      "virtual IP address pools (configuration payloads) are not supported by Cygnet");
        for (const SettingsValue& v : s.values) unmapped(v, "pools." + v.key, "not a pool section");
      } else {
        unmapped_at(s.where, s.name, "not a swanctl.conf section");
      }
    }
  }

  void collect_secrets(const SettingsSection& secrets) {
    for (const SettingsValue& v : secrets.values)
      unmapped(v, "secrets." + v.key, "not a secret section", false);
    for (const SettingsSection& s : secrets.sections) {
      const std::string path = "secrets." + s.name;
      if (s.name.rfind("ike", 0) != 0) {
        std::string why = "only IKE pre-shared keys (secrets.ike*) are carried over";
        if (s.name.rfind("private", 0) == 0 || s.name.rfind("rsa", 0) == 0 || s.name.rfind("ecdsa", 0) == 0 ||
            s.name.rfind("pkcs", 0) == 0)
          why = "encrypted private keys are not supported by Cygnet (it needs an unencrypted PEM key)";
        else if (s.name.rfind("eap", 0) == 0 || s.name.rfind("xauth", 0) == 0 || s.name.rfind("ntlm", 0) == 0)
          why = "EAP/XAuth is not supported by Cygnet";
        else if (s.name.rfind("ppk", 0) == 0)
          why = "postquantum preshared keys (PPK) are not supported by Cygnet";
        unmapped_at(s.where, path, why);
        continue;
      }
      SecretEntry entry;
      bool have_secret = false;
      for (const SettingsValue& v : s.values) {
        if (v.key == "secret") {
          std::optional<std::string> decoded = decode_secret(v.value);
          if (!decoded || decoded->empty() || !valid_utf8_text(*decoded)) {
            unmapped(v, path + ".secret", "the secret is not valid UTF-8 text (Cygnet's psk is text)", false);
            entry.usable = false;
          } else {
            entry.secret = *decoded;
          }
          have_secret = true;
        } else if (v.key == "id" || v.key.rfind("id", 0) == 0) {
          IdentityMapping id = map_identity(v.value);
          if (!id.id) {
            unmapped(v, path + "." + v.key, id.error);
          } else {
            entry.ids.push_back(*id.id);
          }
        } else {
          unmapped(v, path + "." + v.key, "unknown IKE secret setting", false);
        }
      }
      for (const SettingsSection& sub : s.sections)
        unmapped_at(sub.where, path + "." + sub.name, "unknown section");
      if (!have_secret) {
        unmapped_at(s.where, path, "has no 'secret'");
        continue;
      }
      if (entry.usable) secrets_.push_back(std::move(entry));
    }
  }

  void collect_authorities(const SettingsSection& authorities) {
    for (const SettingsValue& v : authorities.values)
      unmapped(v, "authorities." + v.key, "not an authority section");
    for (const SettingsSection& a : authorities.sections) {
      const std::string path = "authorities." + a.name;
      Authority authority{a.name, a.where, "", {}, {}};
      for (const SettingsValue& v : a.values) {
        if (v.key == "cacert" || v.key == "file") {
          authority.cacert = credential_path("x509ca", v.value).string();
          authority_cas_.push_back(authority.cacert);
        } else if (v.key == "crl_uris" || v.key == "ocsp_uris") {
          const bool crl = v.key == "crl_uris";
          for (const std::string& uri : split_list(v.value)) {
            if (uri.starts_with("http://") || (crl && uri.starts_with("file:///")))
              (crl ? authority.crl_uris : authority.ocsp_uris).push_back(uri);
            else
              unmapped_at(v.where, path + "." + v.key + " = " + uri,
                          crl ? "Cygnet fetches CRLs over http:// or from file:/// only"
                              : "Cygnet asks OCSP responders over http:// only");
          }
        } else {
          unmapped(v, path + "." + v.key, "no Cygnet equivalent (cacert, crl_uris and ocsp_uris are used)");
        }
      }
      if (!authority.cacert.empty() && (!authority.crl_uris.empty() || !authority.ocsp_uris.empty()))
        authorities_.push_back(std::move(authority));
      for (const SettingsSection& sub : a.sections)
        unmapped_at(sub.where, path + "." + sub.name, "unknown section");
    }
  }

  // --- credentials ---------------------------------------------------------------------------

  std::filesystem::path credential_path(const std::string& folder, const std::string& name) const {
    std::filesystem::path p = trimmed(name);
    if (p.is_absolute()) return p;
    return dir_ / folder / p;
  }

  std::vector<std::filesystem::path> files_in(const std::string& folder) const {
    std::vector<std::filesystem::path> out;
    std::error_code ec;
    std::filesystem::directory_iterator it(dir_ / folder, ec);
    for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      if (out.size() >= kMaxCredentialFiles) break;
      if (it->is_regular_file(ec)) out.push_back(it->path());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // The unencrypted PEM key in swanctl's key folders that belongs to the certificate.
  std::optional<std::filesystem::path> matching_private_key(const std::filesystem::path& certificate) const {
    const FileRead cert_read = read_whole_file(certificate, kMaxCredentialFileSize);
    if (!cert_read.contents) return std::nullopt;
    const std::optional<crypto::Certificate> cert =
        crypto::Certificate::from_pem(as_text(*cert_read.contents));
    if (!cert) return std::nullopt;
    const Bytes wanted = cert->public_key().der_spki();
    for (const char* folder : {"private", "rsa", "ecdsa", "pkcs8"}) {
      for (const std::filesystem::path& file : files_in(folder)) {
        const FileRead key_read = read_whole_file(file, kMaxCredentialFileSize);
        if (!key_read.contents) continue;
        const std::optional<crypto::PrivateKey> key =
            crypto::PrivateKey::from_pem(as_text(*key_read.contents));
        if (key && key->public_key().der_spki() == wanted) return file;
      }
    }
    return std::nullopt;
  }

  // --- proposals -----------------------------------------------------------------------------

  // strongSwan proposals as Cygnet accepts them; sets allow_legacy when one needs it.
  std::vector<std::string> map_proposals(const std::vector<std::string>& written, ike::ProtocolId protocol,
                                         const SettingsPosition& where, const std::string& path,
                                         bool& allow_legacy) {
    std::vector<std::string> out;
    std::vector<std::string> dropped_from_default;
    for (const std::string& proposal : written) {
      const bool is_default = lower(proposal) == "default";
      std::vector<std::string> expanded;
      if (is_default) {
        if (protocol == ike::ProtocolId::Ike)
          expanded.assign(std::begin(kStrongswanDefaultIke), std::end(kStrongswanDefaultIke));
        else if (protocol == ike::ProtocolId::Esp)
          expanded.assign(std::begin(kStrongswanDefaultEsp), std::end(kStrongswanDefaultEsp));
        else
          expanded.assign(std::begin(kStrongswanDefaultAh), std::end(kStrongswanDefaultAh));
      } else {
        expanded.push_back(proposal);
      }
      for (const std::string& text : expanded) {
        std::string kept;
        std::vector<std::string> dropped;
        bool legacy = false;
        std::size_t start = 0;
        const std::string l = lower(text);
        while (start <= l.size()) {
          std::size_t dash = l.find('-', start);
          if (dash == std::string::npos) dash = l.size();
          const std::string keyword = l.substr(start, dash - start);
          start = dash + 1;
          if (keyword.empty()) continue;
          const std::optional<ike::Transform> t = ike::detail::transform_from_keyword(keyword);
          const ike::AlgorithmStrength strength =
              t ? ike::transform_strength(*t, protocol) : ike::AlgorithmStrength::Unsupported;
          if (!t || strength == ike::AlgorithmStrength::Unsupported ||
              strength == ike::AlgorithmStrength::Forbidden ||
              !ike::detail::transform_type_applies(t->type, protocol)) {
            dropped.push_back(keyword);
            continue;
          }
          if (strength == ike::AlgorithmStrength::Legacy) {
            if (is_default) {
              dropped.push_back(keyword);
              continue;
            }
            legacy = true;
          }
          kept += (kept.empty() ? "" : "-") + keyword;
        }
        if (is_default) {
          for (const std::string& d : dropped)
            if (std::find(dropped_from_default.begin(), dropped_from_default.end(), d) ==
                dropped_from_default.end())
              dropped_from_default.push_back(d);
        } else if (!dropped.empty()) {
          std::string list;
          for (const std::string& d : dropped) list += (list.empty() ? "'" : ", '") + d + "'";
          unmapped_at(where, path + " '" + text + "'",
                      "algorithm(s) " + list +
                          " unknown to, or refused by, Cygnet (RFC 8247/8221); dropped from the proposal");
        }
        if (kept.empty()) continue;
        const ike::ProposalParse parsed = ike::parse_proposal(kept, protocol, true);
        if (!parsed.proposal) {
          unmapped_at(where, path + " '" + text + "'", "left out: " + parsed.error);
          continue;
        }
        if (legacy) allow_legacy = true;
        if (std::find(out.begin(), out.end(), kept) == out.end()) out.push_back(kept);
      }
    }
    if (!dropped_from_default.empty()) {
      std::string list;
      for (const std::string& d : dropped_from_default) list += (list.empty() ? "" : ", ") + d;
      unmapped_at(where, path + " = default (strongSwan's default)",
                  "written out without " + list + " (unknown to Cygnet, or RFC 8247/8221 SHOULD NOT)");
    }
    return out;
  }

  // --- connections ---------------------------------------------------------------------------

  // A name Cygnet accepts, unique among `taken`.
  static std::string cygnet_name(const std::string& name, std::set<std::string>& taken) {
    std::string out;
    for (char c : name)
      out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
    if (out.empty()) out = "conn";
    if (out.size() > 64) out.resize(64);
    std::string unique = out;
    for (int n = 2; taken.count(unique); ++n) unique = out.substr(0, 60) + "-" + std::to_string(n);
    taken.insert(unique);
    return unique;
  }

  std::vector<std::string> map_addresses(const SettingsValue& v, const std::string& path) {
    std::vector<std::string> out;
    for (const std::string& item : split_list(v.value)) {
      if (item == "%any" || item == "%any4" || item == "%any6") continue;
      if (wire::IpAddress::parse(item)) {
        out.push_back(item);
      } else {
        unmapped_at(v.where, path + " entry '" + item + "'",
                    "Cygnet takes address literals only (no host names, subnets or ranges); left out");
      }
    }
    return out;
  }

  std::optional<Connection> map_connection(const SettingsSection& s) {
    const std::string path = "connections." + s.name;
    Connection c;
    legacy_ = false;
    c.where = s.where;
    c.name = cygnet_name(s.name, used_names_);
    if (c.name != s.name)
      unmapped_at(s.where, path, "renamed to '" + c.name + "' (Cygnet names: A-Z a-z 0-9 - _ ., 64 at most)");
    bool fatal = false;
    auto leave_out = [&](const SettingsPosition& where, const std::string& what, const std::string& why) {
      unmapped_at(where, what, "connection left out: " + why);
      fatal = true;
    };

    // Version first: several settings depend on it.
    std::string version = "0";
    SettingsPosition version_at = s.where;
    if (const SettingsValue* v = s.find_value("version")) {
      version = trimmed(v->value);
      version_at = v->where;
    }
    if (version == "1") {
      c.ike_version = 1;
    } else if (version == "2") {
      c.ike_version = 2;
    } else if (version == "0") {
      c.ike_version = 2;
      unmapped_at(
          version_at, path + ".version = 0 (any; strongSwan's default)",
          "Cygnet uses one IKE version per connection: imported as IKEv2, IKEv1 peers are not accepted");
    } else {
      leave_out(version_at, path + ".version = " + version, "not an IKE version");
    }

    long long ike_rekey = kStrongswanIkeRekey, reauth = 0;
    std::optional<long long> over;

    for (const SettingsValue& v : s.values) {
      const std::string key_path = path + "." + v.key;
      const std::string value = trimmed(v.value);
      auto time_or_note = [&](long long& into) {
        if (auto t = parse_strongswan_time(value)) {
          into = *t;
          return true;
        }
        unmapped(v, key_path, "not a strongSwan time value; ignored");
        return false;
      };
      if (v.key == "version") {
        continue;
      } else if (v.key == "local_addrs") {
        c.local_addrs = map_addresses(v, key_path);
      } else if (v.key == "remote_addrs") {
        c.remote_addrs = map_addresses(v, key_path);
        const std::vector<std::string> written = split_list(value);
        const bool had_peers = std::any_of(written.begin(), written.end(),
                                           [](const std::string& a) { return a.rfind("%any", 0) != 0; });
        if (had_peers && c.remote_addrs.empty())
          unmapped(v, key_path,
                   "no address literal left: the imported connection accepts a peer at any address");
      } else if (v.key == "local_port") {
        if (value != "500") unmapped(v, key_path, "Cygnet's IKE port is 500 (and 4500 after NAT detection)");
      } else if (v.key == "remote_port") {
        const auto port = parse_count(value);
        if (port && *port >= 1 && *port <= 65535) {
          if (*port != 500) c.remote_port = static_cast<std::uint32_t>(*port);
        } else {
          unmapped(v, key_path, "not a port number");
        }
      } else if (v.key == "proposals") {
        c.ike_proposals =
            map_proposals(split_list(value), ike::ProtocolId::Ike, v.where, key_path, c.allow_legacy);
        if (c.ike_proposals.empty())
          leave_out(v.where, key_path + " = " + value, "no IKE proposal Cygnet supports");
      } else if (v.key == "aggressive") {
        if (is_yes(value)) {
          if (c.ike_version == 1)
            c.aggressive = true;
          else
            unmapped(v, key_path, "Aggressive Mode exists only in IKEv1; strongSwan ignores it here too");
        }
      } else if (v.key == "vips" || v.key == "pools") {
        if (!value.empty())
          leave_out(v.where, key_path + " = " + value,
                    "virtual IPs (configuration payloads) are not supported by Cygnet");
      } else if (v.key == "encap") {
        if (is_yes(value)) c.encapsulation = "udp";
      } else if (v.key == "mobike") {
        c.mobike = !is_no(value);
      } else if (v.key == "dpd_delay") {
        long long d = 0;
        if (time_or_note(d)) c.dpd_delay = duration_text(d);
      } else if (v.key == "rekey_time") {
        time_or_note(ike_rekey);
      } else if (v.key == "reauth_time") {
        time_or_note(reauth);
      } else if (v.key == "over_time") {
        long long o = 0;
        if (time_or_note(o)) over = o;
      } else if (v.key == "rand_time") {
        unmapped(v, key_path,
                 "Cygnet applies its own jitter (rekeying at about 90 % of the lifetime, minus up to 10 %)");
      } else if (v.key == "fragmentation") {
        const std::string l = lower(value);
        if (l != "yes" && l != "accept")
          unmapped(v, key_path, "Cygnet always supports IKEv2 fragmentation (RFC 7383)");
      } else if (v.key == "send_cert") {
        if (lower(value) == "never")
          unmapped(v, key_path, "Cygnet sends its certificate with every signature authentication");
      } else if (v.key == "send_certreq") {
        if (!is_yes(value)) unmapped(v, key_path, "Cygnet always sends certificate requests for its CAs");
      } else if (v.key == "keyingtries") {
        if (value != "1") unmapped(v, key_path, "Cygnet retries according to start_action, not a count");
      } else if (v.key == "unique") {
        const std::string policy = lower(value);
        if (policy != "no" && policy != "never" && policy != "replace" && policy != "keep")
          unmapped(v, key_path, "not a uniqueness policy (no, never, replace, keep)");
        else if (policy != "no" && c.ike_version != 2)
          unmapped(v, key_path, "Cygnet applies 'unique' to IKEv2 only; IKEv1 follows INITIAL_CONTACT");
        else
          c.unique = policy;
      } else if (v.key == "pull") {
        if (!is_yes(value)) unmapped(v, key_path, "Cygnet has no Mode Config");
      } else if (v.key == "dscp") {
        if (value != "000000") unmapped(v, key_path, "Cygnet does not mark IKE packets");
      } else if (v.key == "childless") {
        if (lower(value) != "allow") unmapped(v, key_path, "Cygnet does not initiate childless IKE SAs");
      } else if (v.key == "ppk_required" || v.key == "mediation") {
        if (!is_no(value)) unmapped(v, key_path, "no Cygnet equivalent");
      } else if (v.key == "if_id_in" || v.key == "if_id_out") {
        if (value != "0") unmapped(v, key_path, "XFRM interface IDs do not apply to Cygnet's TUN device");
      } else if (v.key == "dpd_timeout") {
        if (parse_strongswan_time(value).value_or(1) != 0)
          unmapped(v, key_path,
                   "Cygnet declares a peer dead after its retransmissions, not after a fixed timeout");
      } else {
        unmapped(v, key_path, "no Cygnet equivalent");
      }
    }
    if (!s.find_value("proposals")) {
      c.ike_proposals =
          map_proposals({"default"}, ike::ProtocolId::Ike, s.where, path + ".proposals", c.allow_legacy);
    }
    if (c.ike_version == 1) {
      // IKEv1 phase 1 has no AEAD: strongSwan's defaults keep only the CBC proposals there.
      std::erase_if(c.ike_proposals, [](const std::string& p) {
        return p.find("gcm") != std::string::npos || p.find("chacha") != std::string::npos;
      });
      if (c.ike_proposals.empty())
        leave_out(s.where, path + ".proposals", "no CBC proposal for IKEv1 phase 1");
    }

    // Lifetime of the IKE SA: strongSwan rekeys at rekey_time (or reauthenticates at reauth_time)
    // and gives up at that plus over_time; Cygnet takes the hard limit and rekeys at about 90 %.
    long long base = ike_rekey > 0 ? ike_rekey : reauth;
    if (reauth > 0) {
      if (c.ike_version == 2) {
        c.reauth_time = duration_text(reauth);  // make-before-break, as strongSwan's default
      } else {
        const SettingsValue* v = s.find_value("reauth_time");
        unmapped_at(v ? v->where : s.where, path + ".reauth_time",
                    "an IKEv1 phase 1 is renewed with a new Main Mode (a reauthentication) at ike_lifetime");
      }
    }
    if (base == 0) {
      unmapped_at(s.where, path + ".rekey_time = 0", "Cygnet needs an IKE SA lifetime; set to 10 years");
      c.ike_lifetime = duration_text(kNoExpiry);
    } else {
      c.ike_lifetime = duration_text(base + over.value_or(std::max(ike_rekey, reauth) / 10));
    }

    // Authentication rounds.
    const SettingsSection* local = nullptr;
    const SettingsSection* remote = nullptr;
    MappedStart start = MappedStart::None;
    std::set<std::string> starts;
    for (const SettingsSection& sub : s.sections) {
      const std::string sub_path = path + "." + sub.name;
      const bool is_local = sub.name.rfind("local", 0) == 0;
      const bool is_remote = sub.name.rfind("remote", 0) == 0;
      if (is_local || is_remote) {
        const SettingsSection*& slot = is_local ? local : remote;
        if (slot) {
          leave_out(sub.where, sub_path, "several authentication rounds are not supported by Cygnet");
          continue;
        }
        slot = &sub;
      } else if (sub.name == "children") {
        for (const SettingsValue& v : sub.values) unmapped(v, sub_path + "." + v.key, "not a child section");
        std::set<std::string> child_names;
        for (const SettingsSection& child : sub.sections) {
          std::optional<Child> mapped = map_child(child, sub_path + "." + child.name, c, start, starts);
          if (!mapped) continue;
          mapped->name = cygnet_name(child.name, child_names);
          if (mapped->name != child.name)
            unmapped_at(child.where, sub_path + "." + child.name,
                        "renamed to '" + mapped->name + "' (Cygnet names: A-Z a-z 0-9 - _ ., 64 at most)");
          c.children.push_back(std::move(*mapped));
        }
      } else {
        unmapped_at(sub.where, sub_path, "no Cygnet equivalent");
      }
    }
    if (starts.size() > 1)
      unmapped_at(s.where, path + " children's start_action",
                  "Cygnet has one start_action per connection; the most active one is used");
    c.start_action = start == MappedStart::Start ? "start" : start == MappedStart::Trap ? "trap" : "none";

    std::string local_auth, remote_auth;
    std::string local_cert_file;
    std::vector<std::string> remote_cas;
    if (local)
      map_auth_round(*local, path + "." + local->name, true, c, local_auth, local_cert_file, remote_cas,
                     fatal);
    if (remote)
      map_auth_round(*remote, path + "." + remote->name, false, c, remote_auth, local_cert_file, remote_cas,
                     fatal);
    if (local_auth.empty()) local_auth = "pubkey";
    if (remote_auth.empty()) remote_auth = "pubkey";
    if (!fatal && local_auth != remote_auth)
      leave_out(s.where, path,
                "local auth '" + local_auth + "' differs from remote auth '" + remote_auth +
                    "'; Cygnet uses one method for both directions");
    c.auth = local_auth;
    if (!c.remote_id) c.remote_id = "%any";  // strongSwan's default; Cygnet's is the peer's address

    if (!fatal && c.auth == "psk") {
      std::optional<std::string> psk = find_psk(c);
      if (!psk)
        leave_out(s.where, path, "no secrets.ike* entry matches its identities");
      else
        c.psk = std::move(psk);
    }
    if (!fatal && c.auth == "pubkey") {
      if (local_cert_file.empty()) {
        leave_out(s.where, path, "public-key authentication without a certificate (local.certs)");
      } else {
        c.certificate = local_cert_file;
        std::optional<std::filesystem::path> key = matching_private_key(local_cert_file);
        if (!key)
          leave_out(s.where, path,
                    "no unencrypted PEM private key for '" + local_cert_file +
                        "' in private/, rsa/, ecdsa/ or pkcs8/");
        else
          c.private_key = key->string();
      }
      if (!remote_cas.empty()) {
        c.ca_certificates = remote_cas;
      } else {
        // strongSwan trusts every CA it loaded: swanctl's x509ca/ folder and the authorities.
        for (const std::filesystem::path& f : files_in("x509ca")) c.ca_certificates.push_back(f.string());
        for (const std::string& f : authority_cas_)
          if (std::find(c.ca_certificates.begin(), c.ca_certificates.end(), f) == c.ca_certificates.end())
            c.ca_certificates.push_back(f);
      }
      if (!fatal && c.ca_certificates.empty())
        leave_out(s.where, path, "no CA certificate to trust (remote.cacerts, x509ca/, authorities)");
    }

    if (c.remote_addrs.empty() && c.start_action != "none") {
      unmapped_at(s.where, path + " start_action = " + c.start_action,
                  "no usable remote address to initiate to; imported with start_action = \"none\"");
      c.start_action = "none";
    }
    if (c.start_action == "trap" && c.children.empty()) c.start_action = "none";
    c.allow_legacy = c.allow_legacy || legacy_;
    if (fatal) return std::nullopt;
    return c;
  }

  void map_auth_round(const SettingsSection& round, const std::string& path, bool is_local, Connection& c,
                      std::string& auth, std::string& local_cert, std::vector<std::string>& remote_cas,
                      bool& fatal) {
    auto leave_out = [&](const SettingsPosition& where, const std::string& what, const std::string& why) {
      unmapped_at(where, what, "connection left out: " + why);
      fatal = true;
    };
    for (const SettingsValue& v : round.values) {
      const std::string key_path = path + "." + v.key;
      const std::string value = trimmed(v.value);
      if (v.key == "auth") {
        const std::string l = lower(value);
        if (l == "psk" || l == "secret") {
          auth = "psk";
        } else if (l.rfind("pubkey", 0) == 0 || l.rfind("rsa", 0) == 0 || l.rfind("ecdsa", 0) == 0 ||
                   l.rfind("ed25519", 0) == 0) {
          auth = "pubkey";
          if (l != "pubkey")
            unmapped(
                v, key_path,
                "Cygnet chooses the signature scheme from the key (RFC 7427); the constraint is not kept");
        } else {
          leave_out(v.where, key_path + " = " + value,
                    "only psk and pubkey authentication are supported by Cygnet");
        }
      } else if (v.key == "id") {
        IdentityMapping id = map_identity(value);
        if (!id.id) {
          leave_out(v.where, key_path + " = " + value, id.error);
        } else if (is_local) {
          if (*id.id == "%any")
            unmapped(v, key_path, "a local identity cannot be %any; the default is used");
          else
            c.local_id = *id.id;
        } else {
          c.remote_id = *id.id;
        }
      } else if (v.key == "certs" && is_local) {
        const std::vector<std::string> files = split_list(value);
        if (!files.empty()) local_cert = credential_path("x509", files.front()).string();
        if (files.size() > 1)
          unmapped(v, key_path, "Cygnet has one certificate per connection; the first is used");
      } else if (v.key == "cacerts" && !is_local) {
        for (const std::string& f : split_list(value))
          remote_cas.push_back(credential_path("x509ca", f).string());
      } else if (v.key == "round") {
        continue;
      } else if (v.key == "revocation") {
        const std::string l = lower(value);
        if (is_local || (l != "strict" && l != "ifuri" && l != "relaxed"))
          unmapped(v, key_path, "no Cygnet equivalent (remote revocation = strict, ifuri or relaxed)");
        else
          c.revocation = l;
      } else if (v.key == "pubkeys") {
        leave_out(v.where, key_path + " = " + value,
                  "raw public keys are not supported by Cygnet (certificates only)");
      } else if (v.key == "eap_id" || v.key == "xauth_id" || v.key == "aaa_id") {
        unmapped(v, key_path, "EAP/XAuth is not supported by Cygnet");
      } else {
        unmapped(v, key_path, "no Cygnet equivalent");
      }
    }
    for (const SettingsSection& sub : round.sections) {
      const std::string sub_path = path + "." + sub.name;
      const SettingsValue* file = sub.find_value("file");
      if (is_local && sub.name.rfind("cert", 0) == 0 && file && local_cert.empty()) {
        local_cert = credential_path("x509", file->value).string();
      } else if (!is_local && sub.name.rfind("cacert", 0) == 0 && file) {
        remote_cas.push_back(credential_path("x509ca", file->value).string());
      } else if (has_content(sub)) {
        unmapped_at(sub.where, sub_path, "Cygnet reads certificates from files only (no tokens)");
      }
    }
  }

  // The secret strongSwan would pick: one naming both identities beats one naming the peer, which
  // beats one naming us, which beats one naming nobody. With remote_id %any, strongSwan looks the
  // secret up by the identity the peer presents; its addresses stand in for it here.
  std::optional<std::string> find_psk(const Connection& c) const {
    const std::string local_id = c.local_id.value_or(c.local_addrs.empty() ? "" : c.local_addrs.front());
    std::vector<std::string> remote_ids;
    if (c.remote_id && *c.remote_id != "%any")
      remote_ids.push_back(*c.remote_id);
    else
      remote_ids = c.remote_addrs;
    int best = -1;
    std::optional<std::string> chosen;
    for (const SecretEntry& e : secrets_) {
      auto names = [&](const std::string& id) {
        return std::find(e.ids.begin(), e.ids.end(), id) != e.ids.end();
      };
      const bool has_local = names(local_id);
      const bool has_remote = std::any_of(remote_ids.begin(), remote_ids.end(), names);
      const bool has_any = names("%any");
      if (!e.ids.empty() && !has_local && !has_remote && !has_any) continue;
      const int score = (has_remote ? 2 : 0) + (has_local ? 1 : 0) + (has_any ? 1 : 0);
      if (score > best) {
        best = score;
        chosen = e.secret;
      }
    }
    return chosen;
  }

  std::optional<Child> map_child(const SettingsSection& s, const std::string& path, const Connection& conn,
                                 MappedStart& start, std::set<std::string>& starts) {
    Child child;
    child.name = s.name;
    bool ok = true;
    auto leave_out = [&](const SettingsPosition& where, const std::string& what, const std::string& why) {
      unmapped_at(where, what, "child left out: " + why);
      ok = false;
    };
    long long rekey = kStrongswanChildRekey;
    std::optional<long long> life;
    std::optional<std::uint64_t> rekey_bytes, rekey_packets;
    bool have_esp = false, have_ah = false;
    std::string start_action = "none";
    for (const SettingsValue& v : s.values) {
      const std::string key_path = path + "." + v.key;
      const std::string value = trimmed(v.value);
      auto count = [&](std::optional<std::uint64_t>& into) {
        if (auto n = parse_count(value))
          into = *n;
        else
          unmapped(v, key_path, "not a number; ignored");
      };
      if (v.key == "mode") {
        const std::string l = lower(value);
        if (l == "tunnel" || l == "transport")
          child.mode = l;
        else
          leave_out(v.where, key_path + " = " + value, "Cygnet supports tunnel and transport mode only");
      } else if (v.key == "local_ts" || v.key == "remote_ts") {
        std::vector<std::string>& into = v.key == "local_ts" ? child.local_ts : child.remote_ts;
        const std::vector<std::string> items = split_list(value);
        for (const std::string& item : items) {
          if (item == "dynamic" || item == "%dynamic") continue;  // the outer address: Cygnet's empty list
          const std::optional<wire::IpPrefix> prefix = wire::IpPrefix::parse(item);
          if (!prefix) {
            unmapped_at(v.where, key_path + " entry '" + item + "'",
                        "Cygnet selectors are prefixes (no ranges, protocols or ports); left out");
            continue;
          }
          into.push_back(prefix->to_string());
        }
        if (!items.empty() && into.empty() &&
            std::any_of(items.begin(), items.end(),
                        [](const std::string& i) { return i != "dynamic" && i != "%dynamic"; }))
          leave_out(v.where, key_path, "no traffic selector left that Cygnet can use");
        if (conn.ike_version == 1 && into.size() > 1) {
          unmapped(v, key_path,
                   "an IKEv1 Quick Mode carries one selector per side (strongSwan also uses only the first)");
          into.resize(1);
        }
      } else if (v.key == "esp_proposals") {
        have_esp = true;
        child.proposals = map_proposals(split_list(value), ike::ProtocolId::Esp, v.where, key_path, legacy_);
      } else if (v.key == "ah_proposals") {
        have_ah = true;
        child.protocol = "ah";
        child.proposals = map_proposals(split_list(value), ike::ProtocolId::Ah, v.where, key_path, legacy_);
      } else if (v.key == "start_action") {
        const std::string l = lower(value);
        start_action = l;
        if (l == "start")
          start = MappedStart::Start;
        else if ((l == "trap" || l == "route") && start != MappedStart::Start)
          start = MappedStart::Trap;
        else if (l == "trap|start" || l == "start|trap")
          start = MappedStart::Start;
        else if (l != "none" && l != "trap" && l != "route")
          unmapped(v, key_path, "unknown start_action; none is used");
      } else if (v.key == "rekey_time") {
        if (auto t = parse_strongswan_time(value))
          rekey = *t;
        else
          unmapped(v, key_path, "not a strongSwan time value; ignored");
      } else if (v.key == "life_time") {
        if (auto t = parse_strongswan_time(value))
          life = *t;
        else
          unmapped(v, key_path, "not a strongSwan time value; ignored");
      } else if (v.key == "rand_time" || v.key == "rand_bytes" || v.key == "rand_packets") {
        unmapped(v, key_path,
                 "Cygnet applies its own jitter (rekeying at about 90 % of the limit, minus up to 10 %)");
      } else if (v.key == "rekey_bytes") {
        count(rekey_bytes);
      } else if (v.key == "life_bytes") {
        count(child.life_bytes);
      } else if (v.key == "rekey_packets") {
        count(rekey_packets);
      } else if (v.key == "life_packets") {
        count(child.life_packets);
      } else if (v.key == "replay_window") {
        const auto n = parse_count(value);
        if (n && *n <= 65536)
          child.replay_window = static_cast<std::uint32_t>(*n);
        else
          unmapped(v, key_path,
                   "Cygnet's replay window is 0 to 65536 packets; strongSwan's default 32 is used");
      } else if (v.key == "dpd_action") {
        if (lower(value) != "clear")
          unmapped(v, key_path, "Cygnet removes the SAs of a dead peer (strongSwan's 'clear')");
      } else if (v.key == "close_action") {
        if (lower(value) != "none")
          unmapped(v, key_path, "Cygnet does nothing when the peer closes a CHILD SA (strongSwan's 'none')");
      } else if (v.key == "ipcomp" || v.key == "hostaccess" || v.key == "sha256_96" ||
                 v.key == "policies_fwd_out" || v.key == "hw_offload") {
        if (!is_no(value)) unmapped(v, key_path, "no Cygnet equivalent");
      } else if (v.key == "policies" || v.key == "copy_df" || v.key == "copy_ecn") {
        if (!is_yes(value)) unmapped(v, key_path, "no Cygnet equivalent");
      } else if (v.key == "inactivity" || v.key == "tfc_padding" || v.key == "reqid" || v.key == "priority" ||
                 v.key == "if_id_in" || v.key == "if_id_out") {
        if (value != "0" && parse_strongswan_time(value).value_or(1) != 0)
          unmapped(v, key_path, "no Cygnet equivalent");
      } else if (v.key == "updown") {
        unmapped(v, key_path, "Cygnet runs no updown scripts");
      } else {
        unmapped(v, key_path, "no Cygnet equivalent");
      }
    }
    for (const SettingsSection& sub : s.sections)
      unmapped_at(sub.where, path + "." + sub.name, "no Cygnet equivalent");
    if (have_esp && have_ah)
      unmapped_at(s.where, path, "AH+ESP bundles are not supported by Cygnet; AH only is used");
    if (!have_esp && !have_ah)
      child.proposals =
          map_proposals({"default"}, ike::ProtocolId::Esp, s.where, path + ".esp_proposals", legacy_);
    if (conn.ike_version == 1 && child.protocol == "esp") {
      std::erase_if(child.proposals, [](const std::string& p) { return p == "chacha20poly1305"; });
    }
    if (child.proposals.empty())
      leave_out(s.where, path, "no " + child.protocol + " proposal Cygnet supports");
    starts.insert(start_action == "route" ? "trap" : start_action);

    // strongSwan rekeys at rekey_time and expires at life_time (default rekey_time + 10 %); Cygnet
    // takes the hard limit and rekeys at about 90 % of it.
    long long hard = life.value_or(rekey > 0 ? rekey + rekey / 10 : 0);
    if (hard == 0) {
      unmapped_at(s.where, path + ".rekey_time = 0", "Cygnet needs a CHILD SA lifetime; set to 10 years");
      hard = kNoExpiry;
    }
    child.lifetime = duration_text(hard);
    if (!child.life_bytes && rekey_bytes && *rekey_bytes > 0)
      child.life_bytes = *rekey_bytes + *rekey_bytes / 10;
    if (!child.life_packets && rekey_packets && *rekey_packets > 0)
      child.life_packets = *rekey_packets + *rekey_packets / 10;
    if (!ok) return std::nullopt;
    return child;
  }

  std::string render(const Connection& c) const {
    const bool legacy = c.allow_legacy;
    std::string t = "[connections." + c.name + "]\n";
    t += "ike_version = " + std::to_string(c.ike_version) + "\n";
    t += "local_addrs = " + toml_list(c.local_addrs) + "\n";
    t += "remote_addrs = " + toml_list(c.remote_addrs) + "\n";
    if (c.remote_port) t += "remote_port = " + std::to_string(*c.remote_port) + "\n";
    if (c.local_id) t += "local_id = " + toml_string(*c.local_id) + "\n";
    if (c.remote_id) t += "remote_id = " + toml_string(*c.remote_id) + "\n";
    t += "auth = " + toml_string(c.auth) + "\n";
    if (c.psk) t += "psk = " + toml_string(*c.psk) + "\n";
    if (c.auth == "pubkey") {
      t += "certificate = " + toml_string(c.certificate) + "\n";
      t += "private_key = " + toml_string(c.private_key) + "\n";
      t += "ca_certificates = " + toml_list(c.ca_certificates) + "\n";
    }
    if (c.auth == "pubkey" && c.revocation) t += "revocation = " + toml_string(*c.revocation) + "\n";
    t += "ike_proposals = " + toml_list(c.ike_proposals) + "\n";
    if (legacy)
      t += "allow_legacy = true   # the strongSwan proposals include RFC 8247/8221 SHOULD NOT algorithms\n";
    if (c.aggressive) t += "aggressive = true\n";
    if (!c.mobike && c.ike_version == 2) t += "mobike = false\n";
    t += "start_action = " + toml_string(c.start_action) + "\n";
    t += "dpd_delay = " + toml_string(c.dpd_delay) + "\n";
    t += "ike_lifetime = " + toml_string(c.ike_lifetime) + "\n";
    if (!c.reauth_time.empty()) t += "reauth_time = " + toml_string(c.reauth_time) + "\n";
    if (c.unique != "no") t += "unique = " + toml_string(c.unique) + "\n";
    t += "encapsulation = " + toml_string(c.encapsulation) + "\n";
    for (const Child& ch : c.children) {
      t += "\n[[connections." + c.name + ".children]]\n";
      t += "name = " + toml_string(ch.name) + "\n";
      t += "mode = " + toml_string(ch.mode) + "\n";
      t += "protocol = " + toml_string(ch.protocol) + "\n";
      t += "local_ts = " + toml_list(ch.local_ts) + "\n";
      t += "remote_ts = " + toml_list(ch.remote_ts) + "\n";
      t += std::string(ch.protocol == "ah" ? "ah_proposals" : "esp_proposals") + " = " +
           toml_list(ch.proposals) + "\n";
      t += "lifetime = " + toml_string(ch.lifetime) + "\n";
      if (ch.life_bytes) t += "life_bytes = " + std::to_string(*ch.life_bytes) + "\n";
      if (ch.life_packets) t += "life_packets = " + std::to_string(*ch.life_packets) + "\n";
      t += "replay_window = " + std::to_string(ch.replay_window) + "\n";
    }
    return t;
  }

  std::string render(const Authority& a) const {
    std::string t = "[authorities." + a.name + "]\n";
    t += "cacert = " + toml_string(a.cacert) + "\n";
    if (!a.crl_uris.empty()) t += "crl_uris = " + toml_list(a.crl_uris) + "\n";
    if (!a.ocsp_uris.empty()) t += "ocsp_uris = " + toml_list(a.ocsp_uris) + "\n";
    return t;
  }

  const SettingsSection& root_;
  std::filesystem::path dir_;
  std::vector<Authority> authorities_;
  std::vector<std::pair<SettingsPosition, std::string>> findings_;
  std::vector<SecretEntry> secrets_;
  std::vector<std::string> authority_cas_;
  std::set<std::string> used_names_;
  bool legacy_ = false;  // a child proposal of the connection being mapped needs allow_legacy
};

}  // namespace

SwanctlImport import_swanctl(const SettingsSection& root, const std::filesystem::path& swanctl_dir,
                             const std::string& source_name) {
  Importer importer(root, swanctl_dir);
  return importer.run(source_name);
}

}  // namespace cygnet::config
