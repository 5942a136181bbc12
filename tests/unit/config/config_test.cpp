#include "config/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "ike/algorithms.hpp"
#include "ike/engine.hpp"
#include "unit/config/config_test_support.hpp"

namespace cygnet::config {
namespace {

using ::testing::ElementsAre;
using testing::errors_of;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::TempDir;
using wire::ikev2::TransformType;

// The example from the configuration issue, verbatim apart from the commented-out alternatives.
constexpr std::string_view kIssueExample = R"toml(
[daemon]
listen = ["192.0.2.1"]                      # optional; default: all addresses
control_socket = "/run/cygnet/cygnetd.sock" # default
tun = "cygnet0"                             # default
log_level = "info"                          # trace|debug|info|warn|error|off

[connections.site-b]
ike_version = 2
local_addrs = ["192.0.2.1"]
remote_addrs = ["192.0.2.2"]
local_id = "192.0.2.1"
remote_id = "192.0.2.2"
auth = "psk"
psk = "a long random secret"
ike_proposals = ["aes256gcm16-prfsha256-x25519"]
start_action = "start"
dpd_delay = "30s"
ike_lifetime = "4h"
encapsulation = "auto"

[[connections.site-b.children]]
name = "net"
mode = "tunnel"
protocol = "esp"
local_ts = ["198.51.100.0/24"]
remote_ts = ["203.0.113.0/24"]
esp_proposals = ["aes256gcm16"]
lifetime = "1h"
replay_window = 1024
)toml";

wire::IpAddress address(std::string_view text) {
  return wire::IpAddress::parse(text).value();
}
wire::IpPrefix prefix(std::string_view text) {
  return wire::IpPrefix::parse(text).value();
}

bool has_transform(const wire::ikev2::Proposal& p, TransformType type, std::uint16_t id,
                   std::optional<std::uint16_t> key_length = std::nullopt) {
  return std::any_of(p.transforms.begin(), p.transforms.end(), [&](const wire::ikev2::Transform& t) {
    return t.type == type && t.id == id && t.key_length == key_length;
  });
}

std::string text_of(const crypto::SecureBytes& bytes) {
  return std::string(bytes.view().begin(), bytes.view().end());
}

TEST(Config, IssueExampleParsesToTheRightSettings) {
  const LoadResult result = parse_config(kIssueExample, "issue.toml", {});
  ASSERT_TRUE(result.ok()) << result.error_text();
  const Config& config = *result.config;
  EXPECT_EQ(config.source_path, "issue.toml");
  EXPECT_EQ(config.daemon.listen, std::vector<wire::IpAddress>{address("192.0.2.1")});
  EXPECT_EQ(config.daemon.control_socket, "/run/cygnet/cygnetd.sock");
  EXPECT_EQ(config.daemon.tun, "cygnet0");
  EXPECT_EQ(config.daemon.log_level, "info");

  ASSERT_EQ(config.connections.size(), 1u);
  const ike::ConnectionSettings& c = config.connections[0];
  EXPECT_EQ(c.name, "site-b");
  EXPECT_EQ(c.ike_version, 2);
  EXPECT_EQ(c.local_addrs, std::vector<wire::IpAddress>{address("192.0.2.1")});
  EXPECT_EQ(c.remote_addrs, std::vector<wire::IpAddress>{address("192.0.2.2")});
  EXPECT_EQ(c.remote_port, 500);
  EXPECT_EQ(c.local_id.type, wire::ikev2::IdType::Ipv4Address);
  EXPECT_EQ(c.local_id.data, (Bytes{192, 0, 2, 1}));
  EXPECT_FALSE(c.local_id.any);
  EXPECT_EQ(c.remote_id.type, wire::ikev2::IdType::Ipv4Address);
  EXPECT_EQ(c.remote_id.data, (Bytes{192, 0, 2, 2}));
  EXPECT_EQ(c.auth, ike::AuthKind::Psk);
  EXPECT_EQ(text_of(c.psk), "a long random secret");
  EXPECT_EQ(c.private_key, nullptr);
  EXPECT_FALSE(c.certificate.has_value());
  EXPECT_TRUE(c.ca_certificates.empty());

  ASSERT_EQ(c.ike_proposals.size(), 1u);
  const wire::ikev2::Proposal& ike_proposal = c.ike_proposals[0];
  EXPECT_EQ(ike_proposal.number, 1);
  EXPECT_EQ(ike_proposal.protocol, wire::ikev2::ProtocolId::Ike);
  EXPECT_EQ(ike_proposal.transforms.size(), 3u);
  EXPECT_TRUE(has_transform(ike_proposal, TransformType::Encryption, 20, 256));  // AES-GCM-16
  EXPECT_TRUE(has_transform(ike_proposal, TransformType::Prf, 5));               // HMAC-SHA2-256
  EXPECT_TRUE(has_transform(ike_proposal, TransformType::KeyExchange, 31));      // Curve25519

  EXPECT_EQ(c.start_action, ike::StartAction::Start);
  EXPECT_EQ(c.dpd_delay, Seconds{30});
  EXPECT_EQ(c.ike_lifetime, Seconds{4 * 3600});
  EXPECT_EQ(c.encapsulation, ike::Encapsulation::Auto);
  EXPECT_FALSE(c.allow_legacy);
  EXPECT_FALSE(c.aggressive);

  ASSERT_EQ(c.children.size(), 1u);
  const ike::ChildSettings& child = c.children[0];
  EXPECT_EQ(child.name, "net");
  EXPECT_EQ(child.mode, ipsec::Mode::Tunnel);
  EXPECT_EQ(child.protocol, ipsec::IpsecProtocol::Esp);
  EXPECT_EQ(child.local_ts, std::vector<wire::IpPrefix>{prefix("198.51.100.0/24")});
  EXPECT_EQ(child.remote_ts, std::vector<wire::IpPrefix>{prefix("203.0.113.0/24")});
  ASSERT_EQ(child.proposals.size(), 1u);
  EXPECT_EQ(child.proposals[0].protocol, wire::ikev2::ProtocolId::Esp);
  EXPECT_TRUE(has_transform(child.proposals[0], TransformType::Encryption, 20, 256));
  EXPECT_FALSE(has_transform(child.proposals[0], TransformType::KeyExchange, 31));
  EXPECT_EQ(child.lifetime, Seconds{3600});
  EXPECT_EQ(child.life_bytes, 0u);
  EXPECT_EQ(child.life_packets, 0u);
  EXPECT_EQ(child.replay_window, 1024u);
}

TEST(Config, DefaultsForEverythingOptional) {
  const LoadResult result = parse_config(R"toml(
[connections.gw]
local_addrs = ["192.0.2.1"]
remote_addrs = ["192.0.2.2"]
auth = "psk"
psk = "a long random secret"

[[connections.gw.children]]
name = "net"
)toml",
                                         "t.toml", {});
  ASSERT_TRUE(result.ok()) << result.error_text();
  const Config& config = *result.config;
  EXPECT_TRUE(config.daemon.listen.empty());
  EXPECT_EQ(config.daemon.control_socket, "/run/cygnet/cygnetd.sock");
  EXPECT_EQ(config.daemon.tun, "cygnet0");
  EXPECT_EQ(config.daemon.log_level, "info");
  const ike::ConnectionSettings& c = config.connections.at(0);
  EXPECT_EQ(c.ike_version, 2);
  EXPECT_EQ(c.remote_port, 500);
  EXPECT_EQ(c.local_id, ike::Identity::from_address(address("192.0.2.1")));   // first local address
  EXPECT_EQ(c.remote_id, ike::Identity::from_address(address("192.0.2.2")));  // first remote address
  EXPECT_EQ(c.ike_proposals, ike::default_ike_proposals());
  EXPECT_EQ(c.start_action, ike::StartAction::None);
  EXPECT_EQ(c.dpd_delay, Seconds{30});
  EXPECT_EQ(c.ike_lifetime, Seconds{4 * 3600});
  EXPECT_EQ(c.encapsulation, ike::Encapsulation::Auto);
  const ike::ChildSettings& child = c.children.at(0);
  EXPECT_EQ(child.mode, ipsec::Mode::Tunnel);
  EXPECT_EQ(child.protocol, ipsec::IpsecProtocol::Esp);
  EXPECT_TRUE(child.local_ts.empty());
  EXPECT_TRUE(child.remote_ts.empty());
  EXPECT_EQ(child.proposals, ike::default_esp_proposals());
  EXPECT_EQ(child.lifetime, Seconds{3600});
  EXPECT_EQ(child.replay_window, ipsec::kDefaultReplayWindow);
}

TEST(Config, ResponderForAnyPeerDefaultsRemoteIdToAny) {
  const LoadResult result = parse_config(R"toml(
[connections.roadwarriors]
local_addrs = ["192.0.2.1"]
remote_addrs = ["%any"]
auth = "psk"
psk = "a long random secret"
)toml",
                                         "t.toml", {});
  ASSERT_TRUE(result.ok()) << result.error_text();
  const ike::ConnectionSettings& c = result.config->connections.at(0);
  EXPECT_TRUE(c.remote_addrs.empty());
  EXPECT_TRUE(c.remote_id.any);
  EXPECT_EQ(c.start_action, ike::StartAction::None);
}

TEST(Config, ConnectionsKeepFileOrderAndEmptyFileIsValid) {
  const LoadResult empty = parse_config("", "t.toml", {});
  ASSERT_TRUE(empty.ok()) << empty.error_text();
  EXPECT_TRUE(empty.config->connections.empty());

  const LoadResult result = parse_config(R"toml(
[connections.zulu]
local_addrs = ["192.0.2.1"]
auth = "psk"
psk = "a long random secret"
[connections.alpha]
local_addrs = ["2001:db8::1"]
remote_addrs = ["2001:db8::2"]
auth = "psk"
psk = "another long random secret"
)toml",
                                         "t.toml", {});
  ASSERT_TRUE(result.ok()) << result.error_text();
  ASSERT_EQ(result.config->connections.size(), 2u);
  EXPECT_EQ(result.config->connections[0].name, "zulu");
  EXPECT_EQ(result.config->connections[1].name, "alpha");
}

TEST(Config, TomlSyntaxErrorCarriesLineAndColumn) {
  EXPECT_THAT(errors_of("[daemon]\ntun = \"cygnet0\nlog_level = \"info\"\n"),
              ElementsAre(StartsWith("t.toml:2:")));
  EXPECT_THAT(errors_of("[daemon]\nlog_level = info\n"),
              ElementsAre(AllOf(StartsWith("t.toml:2:"), HasSubstr(": invalid TOML: "))));
}

TEST(Config, DuplicateConnectionIsReportedWhereItIsRedefined) {
  EXPECT_THAT(errors_of(R"toml(
[connections.gw]
auth = "psk"

[connections.gw]
auth = "psk"
)toml"),
              ElementsAre(AllOf(StartsWith("t.toml:5:1: invalid TOML: "), HasSubstr("gw"))));
}

TEST(Config, AnyErrorMeansNoConfigAndEveryErrorIsReportedInFileOrder) {
  const LoadResult result = parse_config(R"toml(
[daemon]
log_level = "loud"

[connections.gw]
local_addrs = ["192.0.2.1"]
remote_addrs = ["192.0.2.2"]
auth = "psk"
psk = "a long random secret"
ike_version = 3

[[connections.gw.children]]
name = "net"
replay_window = -1
)toml",
                                         "t.toml", {});
  EXPECT_FALSE(result.ok());
  EXPECT_FALSE(result.config.has_value());
  std::vector<std::string> lines;
  for (const auto& e : result.errors) lines.push_back(e.to_string());
  EXPECT_THAT(lines, ElementsAre(StartsWith("t.toml:3:13: 'log_level': unknown level \"loud\""),
                                 StartsWith("t.toml:10:15: 'ike_version' must be 1"),
                                 StartsWith("t.toml:14:17: 'replay_window' must be between")));
  EXPECT_EQ(result.error_text(), lines[0] + "\n" + lines[1] + "\n" + lines[2] + "\n");
}

TEST(Config, ErrorFormatWithAndWithoutPosition) {
  EXPECT_EQ((ConfigError{"a.toml", 3, 7, "boom"}).to_string(), "a.toml:3:7: boom");
  EXPECT_EQ((ConfigError{"a.toml", 0, 0, "cannot open"}).to_string(), "a.toml: cannot open");
}

TEST(Config, MissingFileIsAnErrorWithoutPosition) {
  TempDir dir;
  const std::string path = (dir.path() / "absent.toml").string();
  const LoadResult result = load_config_file(path);
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_THAT(result.errors[0].to_string(), StartsWith(path + ": cannot open"));
}

TEST(Config, LoadFileResolvesRelativePskFileAgainstTheFilesDirectory) {
  TempDir dir;
  dir.write("secrets/gw.psk", "secret from a file, 32 characters\n");
  const auto path = dir.write("cygnet.toml", R"toml(
[connections.gw]
local_addrs = ["192.0.2.1"]
remote_addrs = ["192.0.2.2"]
auth = "psk"
psk_file = "secrets/gw.psk"
)toml");
  const LoadResult result = load_config_file(path.string());
  ASSERT_TRUE(result.ok()) << result.error_text();
  EXPECT_EQ(result.config->source_path, path.string());
  EXPECT_EQ(text_of(result.config->connections.at(0).psk), "secret from a file, 32 characters");
}

TEST(Config, ExampleFilesLoadWithoutErrors) {
  for (const char* name : {"site-a.toml", "site-b.toml"}) {
    const std::string path = std::string(CYGNET_SOURCE_DIR) + "/examples/" + name;
    const LoadResult result = load_config_file(path);
    ASSERT_TRUE(result.ok()) << result.error_text();
    ASSERT_EQ(result.config->connections.size(), 1u) << name;
    ASSERT_EQ(result.config->connections[0].children.size(), 1u) << name;
  }
}

// Every shipped example, including ones added later, must load.
TEST(Config, EveryFileInExamplesLoads) {
  std::size_t checked = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(CYGNET_SOURCE_DIR) + "/examples")) {
    if (entry.path().extension() != ".toml") continue;
    const LoadResult result = load_config_file(entry.path().string());
    EXPECT_TRUE(result.ok()) << result.error_text();
    if (result.ok()) {
      EXPECT_FALSE(result.config->connections.empty()) << entry.path();
    }
    ++checked;
  }
  EXPECT_GE(checked, 3u);  // site-a, site-b, ikev1-site
}

TEST(Config, Ikev1ExampleIsAMainModeConnectionWithPfsAndByteLifetime) {
  const LoadResult result = load_config_file(std::string(CYGNET_SOURCE_DIR) + "/examples/ikev1-site.toml");
  ASSERT_TRUE(result.ok()) << result.error_text();
  ASSERT_EQ(result.config->connections.size(), 1u);
  const ike::ConnectionSettings& c = result.config->connections[0];
  EXPECT_EQ(c.ike_version, 1);
  EXPECT_FALSE(c.aggressive);
  ASSERT_EQ(c.ike_proposals.size(), 1u);
  EXPECT_EQ(ike::proposal_to_string(c.ike_proposals[0]), "aes256-sha256-prfsha256-modp3072");
  ASSERT_EQ(c.children.size(), 1u);
  for (const wire::ikev2::Proposal& p : c.children[0].proposals) {
    EXPECT_TRUE(
        has_transform(p, TransformType::KeyExchange, static_cast<std::uint16_t>(crypto::DhGroup::Modp3072)))
        << ike::proposal_to_string(p);
  }
  EXPECT_EQ(c.children[0].life_bytes, 4294967296u);
}

// What the configuration accepts for IKEv1, the IKEv1 engine must accept too: the example, and a
// connection left to the IKEv1 defaults (IKE and ESP).
TEST(Config, Ikev1ConnectionsAreAcceptedByTheEngine) {
  const LoadResult example = load_config_file(std::string(CYGNET_SOURCE_DIR) + "/examples/ikev1-site.toml");
  ASSERT_TRUE(example.ok()) << example.error_text();
  const LoadResult defaults = parse_config(
      "[connections.gw]\nike_version = 1\nlocal_addrs = [\"192.0.2.1\"]\n"
      "remote_addrs = [\"192.0.2.2\"]\nauth = \"psk\"\npsk = \"a long random secret\"\n"
      "[[connections.gw.children]]\nname = \"net\"\nlocal_ts = [\"198.51.100.0/24\"]\n"
      "remote_ts = [\"203.0.113.0/24\"]\n",
      "t.toml", {});
  ASSERT_TRUE(defaults.ok()) << defaults.error_text();
  for (const LoadResult* loaded : {&example, &defaults}) {
    ike::EngineOptions options;
    options.wall_origin = std::chrono::system_clock::now();  // the engine reads no clock of its own
    ike::Engine engine(options);
    const ike::ConnectionSettings& c = loaded->config->connections.at(0);
    EXPECT_TRUE(engine.add_connection(c, TimePoint{})) << c.name;
    for (const ike::Action& action : engine.take_actions()) {
      if (const auto* event = std::get_if<ike::Event>(&action)) {
        EXPECT_NE(event->type, ike::EventType::Error) << event->detail;
      }
    }
  }
}

TEST(Config, ExampleFilesDescribeTheTwoEndsOfOneTunnel) {
  const LoadResult a = load_config_file(std::string(CYGNET_SOURCE_DIR) + "/examples/site-a.toml");
  const LoadResult b = load_config_file(std::string(CYGNET_SOURCE_DIR) + "/examples/site-b.toml");
  ASSERT_TRUE(a.ok() && b.ok()) << a.error_text() << b.error_text();
  const ike::ConnectionSettings& ca = a.config->connections[0];
  const ike::ConnectionSettings& cb = b.config->connections[0];
  EXPECT_EQ(ca.local_addrs, cb.remote_addrs);
  EXPECT_EQ(ca.remote_addrs, cb.local_addrs);
  EXPECT_EQ(ca.local_id, cb.remote_id);
  EXPECT_EQ(ca.remote_id, cb.local_id);
  EXPECT_EQ(text_of(ca.psk), text_of(cb.psk));
  EXPECT_EQ(ca.ike_proposals, cb.ike_proposals);
  EXPECT_EQ(ca.children[0].local_ts, cb.children[0].remote_ts);
  EXPECT_EQ(ca.children[0].remote_ts, cb.children[0].local_ts);
  EXPECT_EQ(ca.children[0].proposals, cb.children[0].proposals);
  // One side initiates, the other answers: never both idle.
  EXPECT_EQ(ca.start_action, ike::StartAction::Start);
  EXPECT_EQ(cb.start_action, ike::StartAction::None);
  EXPECT_NE(a.config->daemon.control_socket, b.config->daemon.control_socket);
}

}  // namespace
}  // namespace cygnet::config

namespace cygnet::config {
namespace {

// mss_clamp: false (off, the default), true (derived from the inner MTU, stored as 0) or an MSS
// in 536..65495; anything else is an error at the value's position.
TEST(Config, MssClampAcceptsBooleansAndANumberInRange) {
  auto child_clamp = [](const std::string& value) {
    const std::string text =
        "[connections.gw]\nlocal_addrs = [\"192.0.2.1\"]\nremote_addrs = [\"192.0.2.2\"]\n"
        "auth = \"psk\"\npsk = \"a long random secret\"\n[[connections.gw.children]]\nname = \"net\"\n"
        "mss_clamp = " +
        value + "\n";
    return parse_config(text, "t.toml", {});
  };
  auto clamp_of = [](const LoadResult& r) { return r.config->connections.at(0).children.at(0).mss_clamp; };
  LoadResult on = child_clamp("true");
  ASSERT_TRUE(on.ok()) << on.error_text();
  EXPECT_EQ(clamp_of(on), std::optional<std::uint16_t>(0));
  LoadResult off = child_clamp("false");
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(clamp_of(off));
  LoadResult number = child_clamp("1360");
  ASSERT_TRUE(number.ok());
  EXPECT_EQ(clamp_of(number), std::optional<std::uint16_t>(1360));
  for (const char* bad : {"535", "65496", "\"yes\""}) {
    LoadResult r = child_clamp(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_THAT(r.errors.at(0).to_string(),
                ::testing::StartsWith(
                    "t.toml:8:13: 'mss_clamp' must be true, false or an MSS between 536 and 65495"));
  }
}

}  // namespace
}  // namespace cygnet::config
