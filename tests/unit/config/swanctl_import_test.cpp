// swanctl.conf -> Cygnet TOML: what maps, which strongSwan defaults are spelled out, what is
// listed as not carried over, and that the output always loads. Also the example swanctl.conf that
// Debian's strongswan-swanctl package installs (/etc/swanctl/swanctl.conf).
#include "config/swanctl_import.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "crypto/x509.hpp"
#include "unit/config/config_test_support.hpp"

namespace cygnet::config {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::TempDir;

struct Imported {
  SwanctlImport result;
  std::optional<Config> config;  // the output loaded by Cygnet's own loader
  std::vector<std::string> load_errors;
};

Imported import_text(std::string_view swanctl, const std::filesystem::path& dir = "/nonexistent-swanctl") {
  Imported out;
  SettingsParse parsed = parse_settings_text(swanctl, "swanctl.conf", dir);
  EXPECT_TRUE(parsed.root.has_value()) << (parsed.errors.empty() ? "" : parsed.errors.front().to_string());
  if (!parsed.root) return out;
  out.result = import_swanctl(*parsed.root, dir, "swanctl.conf");
  LoadResult loaded = parse_config(out.result.toml, "out.toml", dir);
  for (const ConfigError& e : loaded.errors) out.load_errors.push_back(e.to_string());
  out.config = std::move(loaded.config);
  return out;
}

const ike::ConnectionSettings& only_connection(const Imported& i) {
  EXPECT_TRUE(i.config.has_value()) << i.result.toml << (i.load_errors.empty() ? "" : i.load_errors.front());
  static const ike::ConnectionSettings empty{};
  if (!i.config || i.config->connections.size() != 1) {
    ADD_FAILURE() << "expected one connection in\n" << i.result.toml;
    return empty;
  }
  return i.config->connections.front();
}

constexpr std::string_view kPskSite = R"(
connections {
  site {
    version = 2
    local_addrs = 192.0.2.1
    remote_addrs = 192.0.2.2
    proposals = aes256gcm16-prfsha256-x25519
    mobike = no
    local { auth = psk
            id = 192.0.2.1 }
    remote {
      auth = psk
      id = @gw.example.com
    }
    children {
      net {
        local_ts = 198.51.100.0/24
        remote_ts = 203.0.113.0/24
        esp_proposals = aes256gcm16-x25519
        start_action = start
        rekey_time = 30m
        life_bytes = 1000000
      }
    }
  }
}
secrets {
  ike-other { id = 192.0.2.99
              secret = wrong-secret-for-another-peer-000 }
  ike-site {
    id-a = 192.0.2.1
    id-b = gw.example.com
    secret = "the-right-secret-0123456789abcdef"
  }
}
)";

TEST(SwanctlImport, PskConnectionMapsCompletely) {
  const Imported i = import_text(kPskSite);
  EXPECT_THAT(i.result.unmapped, ElementsAre()) << i.result.toml;
  EXPECT_EQ(i.result.connections, 1u);
  EXPECT_THAT(i.result.toml, HasSubstr("# Every setting was carried over."));
  EXPECT_THAT(i.result.toml, HasSubstr("psk = \"the-right-secret-0123456789abcdef\""));
  EXPECT_THAT(i.result.toml, HasSubstr("remote_id = \"gw.example.com\""));
  EXPECT_THAT(i.result.toml, HasSubstr("ike_proposals = [\"aes256gcm16-prfsha256-x25519\"]"));
  EXPECT_THAT(i.result.toml, HasSubstr("start_action = \"start\""));
  // strongSwan's defaults, where Cygnet's differ: no DPD, IKE rekey 4h + 10 % over time, child
  // life = rekey + 10 %, replay window 32.
  EXPECT_THAT(i.result.toml, HasSubstr("dpd_delay = \"0s\""));
  EXPECT_THAT(i.result.toml, HasSubstr("ike_lifetime = \"4h24m\""));
  EXPECT_THAT(i.result.toml, HasSubstr("lifetime = \"33m\""));
  EXPECT_THAT(i.result.toml, HasSubstr("life_bytes = 1000000"));
  EXPECT_THAT(i.result.toml, HasSubstr("replay_window = 32"));
  const ike::ConnectionSettings& c = only_connection(i);
  EXPECT_EQ(c.name, "site");
  ASSERT_EQ(c.children.size(), 1u);
  EXPECT_EQ(c.children.front().name, "net");
}

TEST(SwanctlImport, DefaultsAreSpelledOutAsStrongswanUsesThem) {
  const Imported i = import_text(R"(
connections { c {
  remote_addrs = 192.0.2.2
  local { auth = psk
          id = me@example.com }
  remote { auth = psk }
  children { net { remote_ts = 203.0.113.0/24 } }
} }
secrets { ike { secret = 0x616263646566676869306a6b6c6d6e6f70717273 } }
)");
  const ike::ConnectionSettings& c = only_connection(i);
  (void)c;
  // version = 0 (the default) is listed: Cygnet cannot do it. mobike = yes (also the default) is
  // Cygnet's default too.
  EXPECT_THAT(
      i.result.unmapped,
      ElementsAre(
          HasSubstr("version = 0"),
          HasSubstr("c.proposals = default (strongSwan's default): written out without aes128ctr"),
          HasSubstr("esp_proposals = default (strongSwan's default): written out without sha1, aesxcbc")));
  EXPECT_THAT(i.result.toml, HasSubstr("remote_id = \"%any\""));  // strongSwan's default
  EXPECT_THAT(i.result.toml, HasSubstr("local_id = \"me@example.com\""));
  EXPECT_THAT(i.result.toml, HasSubstr("psk = \"abcdefghi0jklmnopqrs\""));  // hex secret decoded
  // "default" is strongSwan's default proposal list, CBC first, algorithms Cygnet lacks or deems
  // legacy dropped (and listed above).
  EXPECT_THAT(i.result.toml,
              HasSubstr("ike_proposals = "
                        "[\"aes128-aes192-aes256-sha256-sha384-sha512-prfsha256-prfsha384-prfsha512-x25519"));
  EXPECT_THAT(i.result.toml, HasSubstr("\"aes128gcm16-aes192gcm16-aes256gcm16-chacha20poly1305-prfsha256"));
  EXPECT_THAT(i.result.toml, HasSubstr("esp_proposals = [\"aes128-aes192-aes256-sha256-sha384-sha512\", "
                                       "\"aes128gcm16-aes192gcm16-aes256gcm16\"]"));
  EXPECT_THAT(i.result.toml, Not(HasSubstr("allow_legacy")));
  EXPECT_THAT(i.result.toml, HasSubstr("lifetime = \"1h6m\""));
  EXPECT_THAT(i.result.toml, HasSubstr("local_ts = []"));  // dynamic = our own address
}

TEST(SwanctlImport, UnsupportedSettingsAreListedWithPlaceAndReason) {
  const Imported i = import_text(R"(
connections {
  road {
    version = 2
    remote_addrs = 192.0.2.2, vpn.example.com
    pools = p1
    local { auth = psk }
    remote { auth = eap-mschapv2 }
  }
  site {
    version = 2
    remote_addrs = 192.0.2.3
    mobike = no
    dpd_delay = 30s
    rekey_time = 2h
    over_time = 5m
    rand_time = 5m
    encap = yes
    if_id_in = 42
    local { auth = psk
            id = 192.0.2.1 }
    remote { auth = psk
             id = 192.0.2.3 }
    children {
      net {
        local_ts = 198.51.100.0/24, 10.1.0.0/16[tcp/443]
        remote_ts = 203.0.113.0/24
        esp_proposals = aes128ctr-sha256, aes256-sha256-modp1024
        updown = /usr/lib/ipsec/_updown iptables
        dpd_action = restart
      }
      bad { mode = beet }
    }
  }
}
pools { p1 { addrs = 10.3.0.0/24 } }
authorities { ca { cacert = ca.pem
                   crl_uris = http://crl.example.com/ca.crl } }
secrets {
  ike { secret = site-secret-abcdefghijklmnopqrstuvw }
  eap-carol { id = carol
              secret = "should-not-appear-anywhere" }
}
)");
  EXPECT_THAT(
      i.result.unmapped,
      AllOf(Contains(HasSubstr("swanctl.conf:8:14: connections.road.remote.auth = eap-mschapv2: connection "
                               "left out: only psk and pubkey")),
            Contains(HasSubstr("connections.road.pools = p1: connection left out: virtual IPs")),
            Contains(HasSubstr("connections.site.rand_time = 5m: Cygnet applies its own jitter")),
            Contains(HasSubstr("connections.site.if_id_in = 42: XFRM interface IDs")),
            Contains(HasSubstr("local_ts entry '10.1.0.0/16[tcp/443]'")),
            Contains(HasSubstr("'aes128ctr-sha256'")),
            Contains(HasSubstr("updown = /usr/lib/ipsec/_updown iptables: Cygnet runs no updown scripts")),
            Contains(HasSubstr("dpd_action = restart")),
            Contains(HasSubstr("connections.site.children.bad.mode = beet: child left out")),
            Contains(HasSubstr("pools.p1: virtual IP address pools")),
            Contains(HasSubstr("authorities.ca: left out: Cygnet refuses the translation")),
            Contains(HasSubstr("secrets.eap-carol: EAP/XAuth"))));
  // Secrets never show up in the findings.
  for (const std::string& f : i.result.unmapped) EXPECT_THAT(f, Not(HasSubstr("should-not-appear")));
  EXPECT_THAT(i.result.toml, Not(HasSubstr("should-not-appear")));
  // The findings head the output as comments.
  EXPECT_THAT(i.result.toml, HasSubstr("#   swanctl.conf:8:14: connections.road.remote.auth"));
  const ike::ConnectionSettings& c = only_connection(i);
  EXPECT_EQ(c.name, "site");
  EXPECT_THAT(i.result.toml, HasSubstr("dpd_delay = \"30s\""));
  EXPECT_THAT(i.result.toml, HasSubstr("ike_lifetime = \"2h5m\""));
  EXPECT_THAT(i.result.toml, HasSubstr("encapsulation = \"udp\""));
  EXPECT_THAT(i.result.toml, HasSubstr("allow_legacy = true"));  // modp1024 kept, as strongSwan had it
  EXPECT_THAT(i.result.toml, HasSubstr("esp_proposals = [\"aes256-sha256-modp1024\"]"));
  ASSERT_EQ(c.children.size(), 1u);
  EXPECT_EQ(c.children.front().name, "net");
}

TEST(SwanctlImport, ReauthTimeAndUniqueMap) {
  const Imported i = import_text(R"(
connections { rw {
  version = 2
  remote_addrs = 192.0.2.2
  rekey_time = 0
  reauth_time = 3h
  unique = replace
  local { auth = psk
          id = me@example.com }
  remote { auth = psk
           id = gw.example.com }
  children { net { remote_ts = 203.0.113.0/24 } }
} }
secrets { ike { secret = 0x616263646566676869306a6b6c6d6e6f70717273 } }
)");
  for (const std::string& f : i.result.unmapped) {
    EXPECT_THAT(f, Not(HasSubstr("reauth_time")));
    EXPECT_THAT(f, Not(HasSubstr("unique")));
  }
  EXPECT_THAT(i.result.toml, HasSubstr("reauth_time = \"3h\""));
  EXPECT_THAT(i.result.toml, HasSubstr("unique = \"replace\""));
  EXPECT_THAT(i.result.toml, HasSubstr("ike_lifetime = \"3h18m\""));  // reauth_time + 10 % over time
  const ike::ConnectionSettings& c = only_connection(i);
  EXPECT_EQ(c.reauth_time, Seconds{3 * 3600});
  EXPECT_EQ(c.unique, ike::UniquePolicy::Replace);

  // IKEv1: a new phase 1 is a reauthentication already; unique applies to IKEv2 only.
  const Imported v1 = import_text(R"(
connections { old {
  version = 1
  remote_addrs = 192.0.2.2
  proposals = aes256-sha256-modp2048
  reauth_time = 3h
  unique = keep
  local { auth = psk
          id = me@example.com }
  remote { auth = psk
           id = gw.example.com }
  children { net { remote_ts = 203.0.113.0/24
                   esp_proposals = aes256-sha256 } }
} }
secrets { ike { secret = 0x616263646566676869306a6b6c6d6e6f70717273 } }
)");
  EXPECT_THAT(v1.result.unmapped,
              AllOf(Contains(HasSubstr("old.reauth_time")), Contains(HasSubstr("old.unique"))));
  EXPECT_THAT(v1.result.toml, Not(HasSubstr("\nreauth_time =")));
  EXPECT_THAT(v1.result.toml, Not(HasSubstr("\nunique =")));
  only_connection(v1);
}

TEST(SwanctlImport, Ikev1MainModeAndAggressive) {
  const Imported i = import_text(R"(
connections {
  v1 {
    version = 1
    aggressive = yes
    local_addrs = 192.0.2.1
    remote_addrs = 192.0.2.2
    local { auth = psk }
    remote { auth = psk }
    children { net { local_ts = 198.51.100.0/24, 198.51.101.0/24
                     remote_ts = 203.0.113.0/24 } }
  }
}
secrets { ike-1 { id-1 = 192.0.2.2
                  secret = v1-secret-0123456789abcdefghij } }
)");
  const ike::ConnectionSettings& c = only_connection(i);
  (void)c;
  EXPECT_THAT(i.result.toml, HasSubstr("ike_version = 1"));
  EXPECT_THAT(i.result.toml, HasSubstr("aggressive = true"));
  // No AEAD in phase 1: strongSwan's default list keeps its CBC proposal only.
  EXPECT_THAT(i.result.toml, HasSubstr("ike_proposals = [\"aes128-aes192-aes256-sha256-sha384-sha512"));
  EXPECT_THAT(i.result.toml, Not(HasSubstr("mobike")));
  EXPECT_THAT(i.result.unmapped, Contains(HasSubstr("one selector per side")));
  EXPECT_THAT(i.result.toml, HasSubstr("local_ts = [\"198.51.100.0/24\"]"));
}

TEST(SwanctlImport, CertificatesResolveUnderSwanctlFoldersAndFindTheirKey) {
  TempDir dir;
  const auto now = std::chrono::system_clock::now();
  crypto::PrivateKey ca_key = crypto::PrivateKey::generate(crypto::KeyType::EcdsaP256);
  crypto::PrivateKey gw_key = crypto::PrivateKey::generate(crypto::KeyType::EcdsaP256);
  crypto::PrivateKey other_key = crypto::PrivateKey::generate(crypto::KeyType::EcdsaP256);
  crypto::CertificateSpec ca_spec{
      "Import CA", "Cygnet Test", {}, {}, {}, now - std::chrono::hours(1), now + std::chrono::hours(24),
      true};
  const crypto::Certificate ca = crypto::issue_certificate(ca_spec, ca_key.public_key(), ca_key, nullptr);
  crypto::CertificateSpec gw_spec{"gw.example.com",
                                  "Cygnet Test",
                                  {"gw.example.com"},
                                  {},
                                  {},
                                  now - std::chrono::hours(1),
                                  now + std::chrono::hours(24),
                                  false};
  const crypto::Certificate gw = crypto::issue_certificate(gw_spec, gw_key.public_key(), ca_key, &ca);
  dir.write("x509ca/ca.pem", testing::to_pem("CERTIFICATE", ca.der()));
  dir.write("x509/gw.pem", testing::to_pem("CERTIFICATE", gw.der()));
  dir.write("private/a-other.key", other_key.to_pem());
  dir.write("ecdsa/gw.key", gw_key.to_pem());
  const Imported i = import_text(R"(
connections { gw {
  version = 2
  mobike = no
  proposals = aes256-sha256-ecp256
  remote_addrs = 192.0.2.2
  local { auth = pubkey
          certs = gw.pem
          id = gw.example.com }
  remote { auth = pubkey
           id = "C=CH, O=Peer, CN=peer.example.com"
           revocation = strict }
  children { net { remote_ts = 203.0.113.0/24
                   esp_proposals = aes256gcm16 } }
} }
authorities { ca { cacert = ca.pem
                   crl_uris = http://198.51.100.10/ca.crl, file:///var/lib/ca.crl
                   ocsp_uris = http://198.51.100.10:8080 } }
)",
                                 dir.path());
  EXPECT_THAT(i.result.unmapped, ElementsAre());
  const ike::ConnectionSettings& c = only_connection(i);
  // remote.revocation and the authority's CRL / OCSP sources carry over.
  EXPECT_EQ(c.revocation, ike::RevocationPolicy::Strict);
  ASSERT_EQ(c.authorities.size(), 1u);
  EXPECT_EQ(c.authorities[0].name, "ca");
  EXPECT_EQ(c.authorities[0].cacert.der(), ca.der());
  EXPECT_THAT(c.authorities[0].crl_uris,
              ElementsAre("http://198.51.100.10/ca.crl", "file:///var/lib/ca.crl"));
  EXPECT_THAT(c.authorities[0].ocsp_uris, ElementsAre("http://198.51.100.10:8080"));
  EXPECT_THAT(i.result.toml, HasSubstr("revocation = \"strict\""));
  EXPECT_THAT(i.result.toml, HasSubstr("[authorities.ca]"));
  EXPECT_THAT(i.result.toml, HasSubstr("certificate = \"" + (dir.path() / "x509/gw.pem").string() + "\""));
  EXPECT_THAT(i.result.toml, HasSubstr("private_key = \"" + (dir.path() / "ecdsa/gw.key").string() + "\""));
  EXPECT_THAT(i.result.toml,
              HasSubstr("ca_certificates = [\"" + (dir.path() / "x509ca/ca.pem").string() + "\"]"));
  EXPECT_THAT(i.result.toml, HasSubstr("remote_id = \"C=CH, O=Peer, CN=peer.example.com\""));

  // Without the key the connection is left out, and says why.
  std::filesystem::remove(dir.path() / "ecdsa/gw.key");
  const Imported without_key = import_text(
      "connections { gw { remote_addrs = 192.0.2.2\n local { auth = pubkey\n certs = gw.pem }\n remote { "
      "auth = pubkey } } }\n",
      dir.path());
  EXPECT_EQ(without_key.result.connections, 0u);
  EXPECT_THAT(without_key.result.unmapped, Contains(HasSubstr("no unencrypted PEM private key")));
  EXPECT_TRUE(without_key.config.has_value());
}

TEST(SwanctlImport, IdentitiesCygnetWouldMisreadAreRefused) {
  const Imported i = import_text(R"(
connections {
  a { local { auth = psk
              id = @192.0.2.1 }
      remote { auth = psk } }
  b { local { auth = psk
              id = *@example.com }
      remote { auth = psk } }
}
secrets { ike { secret = abcdefghijklmnopqrstuvwxyz } }
)");
  EXPECT_EQ(i.result.connections, 0u);
  EXPECT_THAT(i.result.unmapped, Contains(HasSubstr("would be read by Cygnet as another identity type")));
  EXPECT_THAT(i.result.unmapped, Contains(HasSubstr("wildcard identities")));
}

TEST(SwanctlImport, ConnectionWithoutMatchingSecretIsLeftOut) {
  const Imported i = import_text(R"(
connections { c { remote_addrs = 192.0.2.2
  local { auth = psk
          id = 192.0.2.1 }
  remote { auth = psk
           id = 192.0.2.2 } } }
secrets { ike { id = 192.0.2.77
                secret = not-for-this-connection-0123 } }
)");
  EXPECT_EQ(i.result.connections, 0u);
  EXPECT_THAT(i.result.unmapped, Contains(HasSubstr("no secrets.ike* entry matches")));
  EXPECT_TRUE(i.config.has_value());
}

TEST(SwanctlImport, NamesCygnetRefusesAreRenamedAndListed) {
  const Imported i = import_text(R"(
connections { site:a { version = 2
  remote_addrs = 192.0.2.2
  mobike = no
  proposals = aes256gcm16-prfsha256-x25519
  local { auth = psk
          id = 192.0.2.1 }
  remote { auth = psk }
  children { net/1 { esp_proposals = aes256gcm16 } } } }
secrets { ike { secret = rename-secret-0123456789abcdef } }
)");
  const ike::ConnectionSettings& c = only_connection(i);
  EXPECT_EQ(c.name, "site_a");
  ASSERT_EQ(c.children.size(), 1u);
  EXPECT_EQ(c.children.front().name, "net_1");
  EXPECT_THAT(i.result.unmapped, ElementsAre(HasSubstr("connections.site:a: renamed to 'site_a'"),
                                             HasSubstr("renamed to 'net_1'")));
}

TEST(SwanctlImport, FindingsWithOddBytesStillGiveALoadableFile) {
  // A listed value with invalid UTF-8, control characters and a line break (from a quoted value):
  // the comment on top of the output must stay one valid line.
  const Imported i = import_text("weird = \"a\xff\x01\nb = c\"\n");
  EXPECT_TRUE(i.config.has_value()) << i.result.toml;
  EXPECT_THAT(i.result.toml,
              HasSubstr("#   swanctl.conf:1:1: weird = a?? b = c: not a swanctl.conf setting"));
}

// --- the example configuration of Debian's strongswan-swanctl package -------------------------

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The package's /etc/swanctl/swanctl.conf documents every setting as a commented-out line with
// its default ("# key = value", "# <conn> {", "# }"). This turns those lines into settings
// (placeholders like <conn> become names; the few defaults written as formulas, such as
// "life_time = rekey_time + 10%", are left out since they are prose, not values).
std::string uncommented_template(const std::string& text) {
  static const std::regex setting(R"(^(\s*)# ([A-Za-z0-9_<>.-]+ = \S*|[A-Za-z0-9_<>.-]+ \{|\})\s*$)");
  std::stringstream in(text);
  std::string line, out;
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_match(line, m, setting)) continue;
    std::string code = m[2];
    for (const auto& [from, to] : {std::pair<std::string, std::string>{"<conn>", "conn"},
                                   {"<child>", "child"},
                                   {"<suffix>", ""},
                                   {"<name>", "name"}}) {
      for (std::size_t at; (at = code.find(from)) != std::string::npos;) code.replace(at, from.size(), to);
    }
    out += std::string(m[1]) + code + "\n";
  }
  return out;
}

const std::filesystem::path kDebianExample = "/etc/swanctl/swanctl.conf";

TEST(SwanctlImportDebianExample, TheInstalledFileImportsAndLoads) {
  if (!std::filesystem::exists(kDebianExample))
    GTEST_SKIP() << kDebianExample << " not installed (strongswan-swanctl)";
  SettingsParse parsed = parse_settings_file(kDebianExample);
  ASSERT_TRUE(parsed.root) << parsed.errors.front().to_string();
  const SwanctlImport imported =
      import_swanctl(*parsed.root, kDebianExample.parent_path(), kDebianExample.string());
  const LoadResult loaded = parse_config(imported.toml, "out.toml", "/");
  EXPECT_TRUE(loaded.ok()) << loaded.error_text();
}

TEST(SwanctlImportDebianExample, EverySettingOfTheTemplateAtItsDefault) {
  if (!std::filesystem::exists(kDebianExample))
    GTEST_SKIP() << kDebianExample << " not installed (strongswan-swanctl)";
  const std::string text = uncommented_template(read_file(kDebianExample));
  ASSERT_THAT(text, HasSubstr("connections {"));
  SettingsParse parsed = parse_settings_text(text, "swanctl.conf", "/nonexistent-swanctl");
  ASSERT_TRUE(parsed.root) << parsed.errors.front().to_string();
  const SettingsSection* conn = parsed.root->find_section("connections")->find_section("conn");
  ASSERT_NE(conn, nullptr);
  EXPECT_GT(conn->values.size(), 25u);
  ASSERT_NE(conn->find_section("children"), nullptr);

  // As shipped: auth = pubkey without any certificate, so the connection cannot be carried.
  const SwanctlImport as_shipped = import_swanctl(*parsed.root, "/nonexistent-swanctl", "swanctl.conf");
  EXPECT_EQ(as_shipped.connections, 0u);
  EXPECT_THAT(as_shipped.unmapped, Contains(HasSubstr("public-key authentication without a certificate")));
  EXPECT_THAT(as_shipped.unmapped, Contains(HasSubstr("pools.name")));
  EXPECT_TRUE(parse_config(as_shipped.toml, "out.toml", "/").ok());

  // The same defaults with a PSK: the connection is carried and loads.
  std::string with_psk = std::regex_replace(text, std::regex(R"(auth = pubkey)"), "auth = psk");
  with_psk = std::regex_replace(with_psk, std::regex(R"(remote_addrs = %any)"), "remote_addrs = 192.0.2.2");
  with_psk = std::regex_replace(with_psk, std::regex(R"(local_addrs = %any)"), "local_addrs = 192.0.2.1");
  with_psk += "secrets { ike-x { secret = template-secret-0123456789abcdef } }\n";
  SettingsParse psk_parsed = parse_settings_text(with_psk, "swanctl.conf", "/nonexistent-swanctl");
  ASSERT_TRUE(psk_parsed.root) << psk_parsed.errors.front().to_string();
  const SwanctlImport imported = import_swanctl(*psk_parsed.root, "/nonexistent-swanctl", "swanctl.conf");
  const LoadResult loaded = parse_config(imported.toml, "out.toml", "/");
  ASSERT_TRUE(loaded.ok()) << loaded.error_text() << "\n" << imported.toml;
  ASSERT_EQ(loaded.config->connections.size(), 1u) << imported.toml;
  EXPECT_EQ(loaded.config->connections.front().children.size(), 1u) << imported.toml;
  EXPECT_THAT(imported.toml, HasSubstr("ike_lifetime = \"4h24m\""));
  EXPECT_THAT(imported.toml, HasSubstr("lifetime = \"1h6m\""));
  EXPECT_THAT(imported.toml, HasSubstr("dpd_delay = \"0s\""));
}

}  // namespace
}  // namespace cygnet::config
