#include "config/validate.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "crypto/signature.hpp"
#include "crypto/x509.hpp"
#include "ike/algorithms.hpp"
#include "unit/config/config_test_support.hpp"

namespace cygnet::config {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using testing::errors_of;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;
using testing::TempDir;

// A valid PSK connection (lines 1-5); the tests append the line under test as line 6.
const std::string kHead =
    "[connections.gw]\n"                 // 1
    "local_addrs = [\"192.0.2.1\"]\n"    // 2
    "remote_addrs = [\"192.0.2.2\"]\n"   // 3
    "auth = \"psk\"\n"                   // 4
    "psk = \"a long random secret\"\n";  // 5
// The same plus one child (lines 6-7); the tests append the child's line under test as line 8.
const std::string kChildHead = kHead +
                               "[[connections.gw.children]]\n"  // 6
                               "name = \"net\"\n";              // 7

std::vector<std::string> connection_errors(const std::string& line) {
  return errors_of(kHead + line);
}
std::vector<std::string> child_errors(const std::string& lines) {
  return errors_of(kChildHead + lines);
}

Config loads(const std::string& text, const std::filesystem::path& base_dir = {}) {
  const LoadResult result = parse_config(text, "t.toml", base_dir);
  EXPECT_TRUE(result.ok()) << result.error_text();
  return result.config.value_or(Config{});
}

TEST(Validate, HeadIsValid) {
  EXPECT_EQ(loads(kChildHead).connections.size(), 1u);
}

// ---- unknown keys and types ----

TEST(Validate, UnknownKeyInConnectionSuggestsTheClosestKnownOne) {
  EXPECT_THAT(connection_errors("remote_adrs = [\"192.0.2.3\"]\n"),
              ElementsAre("t.toml:6:1: unknown key 'remote_adrs' in connection 'gw' (did you mean "
                          "'remote_addrs'?)"));
}

TEST(Validate, UnknownKeyWithoutResemblanceHasNoSuggestion) {
  EXPECT_THAT(connection_errors("colour = \"blue\"\n"),
              ElementsAre("t.toml:6:1: unknown key 'colour' in connection 'gw'"));
}

TEST(Validate, UnknownKeysAtEveryLevel) {
  EXPECT_THAT(errors_of("deamon = 1\n"),
              ElementsAre("t.toml:1:1: unknown key 'deamon' in the top level (did you mean "
                          "'daemon'?)"));
  EXPECT_THAT(errors_of("[daemon]\nlog-level = \"info\"\n"),
              ElementsAre("t.toml:2:1: unknown key 'log-level' in [daemon] (did you mean "
                          "'log_level'?)"));
  EXPECT_THAT(child_errors("esp_proposal = [\"aes256gcm16\"]\n"),
              ElementsAre("t.toml:8:1: unknown key 'esp_proposal' in child 'net' of connection "
                          "'gw' (did you mean 'esp_proposals'?)"));
}

TEST(Validate, WrongTypesAreReportedAtTheValue) {
  EXPECT_THAT(connection_errors("ike_version = \"2\"\n"),
              ElementsAre("t.toml:6:15: 'ike_version' must be an integer, not a string"));
  EXPECT_THAT(connection_errors("allow_legacy = \"no\"\n"),
              ElementsAre("t.toml:6:16: 'allow_legacy' must be a boolean, not a string"));
  EXPECT_THAT(connection_errors("ike_proposals = \"aes256gcm16-prfsha256-x25519\"\n"),
              ElementsAre("t.toml:6:17: 'ike_proposals' must be an array, not a string"));
  EXPECT_THAT(connection_errors("ike_proposals = [\"default\", 7]\n"),
              ElementsAre("t.toml:6:29: entries of 'ike_proposals' must be strings, not an "
                          "integer"));
  EXPECT_THAT(connection_errors("dpd_delay = 1.5\n"),
              ElementsAre(StartsWith("t.toml:6:13: 'dpd_delay' must be a duration")));
  EXPECT_THAT(errors_of("daemon = \"x\"\n"),
              ElementsAre("t.toml:1:10: 'daemon' must be a table, not a string"));
  EXPECT_THAT(errors_of("connections = [1]\n"),
              ElementsAre("t.toml:1:15: 'connections' must be a table, not an array"));
  EXPECT_THAT(errors_of("[connections]\ngw = 1\n"),
              ElementsAre(StartsWith("t.toml:2:6: connection 'gw' must be a table")));
}

// ---- [daemon] ----

TEST(Validate, DaemonSettings) {
  const Config config = loads(R"toml(
[daemon]
listen = ["192.0.2.1", "2001:db8::1"]
control_socket = "/run/cygnet/test.sock"
tun = "ipsec7"
log_level = "debug"
)toml");
  EXPECT_EQ(config.daemon.listen.size(), 2u);
  EXPECT_EQ(config.daemon.control_socket, "/run/cygnet/test.sock");
  EXPECT_EQ(config.daemon.tun, "ipsec7");
  EXPECT_EQ(config.daemon.log_level, "debug");
}

TEST(Validate, LogLevelPerSubsystem) {
  const Config config = loads("[daemon]\nlog_level = \"warn,ike=debug,net=trace\"\n");
  EXPECT_EQ(config.daemon.log_level, "warn,ike=debug,net=trace");
  EXPECT_THAT(errors_of("[daemon]\nlog_level = \"info,kernel=debug\"\n"),
              ElementsAre(HasSubstr("unknown subsystem \"kernel\"")));
  EXPECT_THAT(errors_of("[daemon]\nlog_level = \"info,ike=chatty\"\n"),
              ElementsAre(HasSubstr("unknown level \"chatty\"")));
  EXPECT_THAT(errors_of("[daemon]\nlog_level = \"\"\n"), ElementsAre(HasSubstr("must not be empty")));
}

TEST(Validate, DaemonErrors) {
  EXPECT_THAT(errors_of("[daemon]\nlisten = [\"192.0.2.1\", \"gateway\"]\n"),
              ElementsAre("t.toml:2:24: 'listen': 'gateway' is not an IP address"));
  EXPECT_THAT(errors_of("[daemon]\nlisten = [\"192.0.2.1\", \"192.0.2.1\"]\n"),
              ElementsAre("t.toml:2:24: 'listen': '192.0.2.1' is listed twice"));
  EXPECT_THAT(errors_of("[daemon]\ncontrol_socket = \"cygnetd.sock\"\n"),
              ElementsAre(StartsWith("t.toml:2:18: 'control_socket' must be an absolute path")));
  EXPECT_THAT(errors_of("[daemon]\ncontrol_socket = \"/" + std::string(120, 'x') + "\"\n"),
              ElementsAre(HasSubstr("t.toml:2:18: 'control_socket' is longer than the 107 bytes")));
  EXPECT_THAT(errors_of("[daemon]\ntun = \"a-very-long-tun-name\"\n"),
              ElementsAre(StartsWith("t.toml:2:7: 'tun' must be an interface name")));
  EXPECT_THAT(errors_of("[daemon]\ntun = \"../x\"\n"),
              ElementsAre(StartsWith("t.toml:2:7: 'tun' must be an interface name")));
  EXPECT_THAT(errors_of("[daemon]\nlog_level = \"verbose\"\n"),
              ElementsAre("t.toml:2:13: 'log_level': unknown level \"verbose\" (expected trace, debug, info, "
                          "warn, error or off, optionally per subsystem: \"info,ike=debug\")"));
}

// ---- connection values ----

TEST(Validate, IkeVersion) {
  EXPECT_THAT(connection_errors("ike_version = 3\n"),
              ElementsAre("t.toml:6:15: 'ike_version' must be 1 (IKEv1) or 2 (IKEv2), not 3"));
  EXPECT_EQ(loads(kHead + "ike_version = 1\n").connections[0].ike_version, 1);
}

TEST(Validate, AggressiveOnlyWithIkev1) {
  EXPECT_THAT(connection_errors("aggressive = true\n"),
              ElementsAre(StartsWith("t.toml:6:14: 'aggressive' = true is an IKEv1 exchange mode")));
  EXPECT_TRUE(loads(kHead + "ike_version = 1\naggressive = true\n").connections[0].aggressive);
  EXPECT_THAT(connection_errors("aggressive = false\n"), ElementsAre("<loaded without errors>"));
}

TEST(Validate, BadAddresses) {
  EXPECT_THAT(errors_of("[connections.gw]\nlocal_addrs = [\"192.0.2.1\", \"192.0.2.300\"]\n"
                        "auth = \"psk\"\npsk = \"a long random secret\"\n"),
              ElementsAre("t.toml:2:29: 'local_addrs': '192.0.2.300' is not an IP address (host "
                          "names are not supported)"));
  EXPECT_THAT(errors_of("[connections.gw]\nlocal_addrs = [\"192.0.2.1\"]\n"
                        "remote_addrs = [\"%any\", \"192.0.2.2\"]\nauth = \"psk\"\n"
                        "psk = \"a long random secret\"\n"),
              ElementsAre("t.toml:3:17: 'remote_addrs': \"%any\" cannot be combined with "
                          "addresses"));
  EXPECT_THAT(errors_of("[connections.gw]\nlocal_addrs = [\"192.0.2.1\"]\n"
                        "remote_addrs = [\"2001:db8::2\"]\nauth = \"psk\"\n"
                        "psk = \"a long random secret\"\n"),
              ElementsAre("t.toml:3:16: 'remote_addrs' and 'local_addrs' have no address family "
                          "in common"));
}

TEST(Validate, RemotePort) {
  EXPECT_EQ(loads(kHead + "remote_port = 4500\n").connections[0].remote_port, 4500);
  EXPECT_THAT(connection_errors("remote_port = 0\n"),
              ElementsAre("t.toml:6:15: 'remote_port' must be between 1 and 65535, not 0"));
  EXPECT_THAT(connection_errors("remote_port = 65536\n"),
              ElementsAre("t.toml:6:15: 'remote_port' must be between 1 and 65535, not 65536"));
}

TEST(Validate, Choices) {
  EXPECT_THAT(connection_errors("start_action = \"go\"\n"),
              ElementsAre("t.toml:6:16: 'start_action' must be \"none\", \"trap\" or \"start\", "
                          "not \"go\""));
  EXPECT_THAT(connection_errors("encapsulation = \"yes\"\n"),
              ElementsAre("t.toml:6:17: 'encapsulation' must be \"auto\" or \"udp\", not \"yes\""));
  EXPECT_EQ(loads(kHead + "encapsulation = \"udp\"\n").connections[0].encapsulation,
            ike::Encapsulation::ForceUdp);
  EXPECT_EQ(loads(kChildHead + "mode = \"transport\"\n").connections[0].children[0].mode,
            ipsec::Mode::Transport);
  EXPECT_THAT(child_errors("mode = \"tunel\"\n"),
              ElementsAre("t.toml:8:8: 'mode' must be \"tunnel\" or \"transport\", not \"tunel\""));
  EXPECT_THAT(child_errors("protocol = \"gre\"\n"),
              ElementsAre("t.toml:8:12: 'protocol' must be \"esp\" or \"ah\", not \"gre\""));
}

TEST(Validate, Durations) {
  const Config config = loads(kHead + "dpd_delay = 0\nike_lifetime = \"1d\"\n");
  EXPECT_EQ(config.connections[0].dpd_delay, Seconds{0});
  EXPECT_EQ(config.connections[0].ike_lifetime, Seconds{86400});
  EXPECT_EQ(loads(kChildHead + "lifetime = 1800\n").connections[0].children[0].lifetime, Seconds{1800});
  EXPECT_THAT(connection_errors("ike_lifetime = \"0s\"\n"),
              ElementsAre("t.toml:6:16: 'ike_lifetime' must be longer than zero"));
  EXPECT_THAT(connection_errors("dpd_delay = -30\n"),
              ElementsAre("t.toml:6:13: 'dpd_delay': a duration cannot be negative"));
  EXPECT_THAT(child_errors("lifetime = \"1 hour\"\n"), ElementsAre(StartsWith("t.toml:8:12: 'lifetime': ")));
  EXPECT_THAT(child_errors("lifetime = \"5x\"\n"),
              ElementsAre("t.toml:8:12: 'lifetime': unknown unit 'x' in '5x' (use s, m, h or d)"));
}

TEST(Validate, ReauthTimeAndUnique) {
  // strongSwan's defaults: no reauthentication, unique = "no".
  const Config defaults = loads(kHead);
  EXPECT_EQ(defaults.connections[0].reauth_time, Seconds{0});
  EXPECT_EQ(defaults.connections[0].unique, ike::UniquePolicy::No);
  const Config set = loads(kHead + "reauth_time = \"2h\"\nunique = \"replace\"\n");
  EXPECT_EQ(set.connections[0].reauth_time, Seconds{7200});
  EXPECT_EQ(set.connections[0].unique, ike::UniquePolicy::Replace);
  EXPECT_EQ(loads(kHead + "unique = \"keep\"\n").connections[0].unique, ike::UniquePolicy::Keep);
  EXPECT_EQ(loads(kHead + "unique = \"never\"\n").connections[0].unique, ike::UniquePolicy::Never);
  EXPECT_EQ(loads(kHead + "reauth_time = 0\n").connections[0].reauth_time, Seconds{0});
  EXPECT_THAT(
      connection_errors("unique = \"yes\"\n"),
      ElementsAre("t.toml:6:10: 'unique' must be \"no\", \"never\", \"replace\" or \"keep\", not \"yes\""));
  EXPECT_THAT(connection_errors("reauth_time = \"-1h\"\n"),
              ElementsAre(StartsWith("t.toml:6:15: 'reauth_time': ")));
  EXPECT_THAT(connection_errors("ike_version = 1\nreauth_time = \"1h\"\n"),
              ElementsAre(StartsWith("t.toml:7:15: 'reauth_time' is an IKEv2 setting")));
  EXPECT_THAT(connection_errors("ike_version = 1\nunique = \"keep\"\n"),
              ElementsAre(StartsWith("t.toml:7:10: 'unique' is an IKEv2 setting")));
}

TEST(Validate, ChildCountsAndReplayWindow) {
  const Config config =
      loads(kChildHead + "life_bytes = 1000000000\nlife_packets = 5000000\nreplay_window = 0\n");
  const ike::ChildSettings& child = config.connections[0].children[0];
  EXPECT_EQ(child.life_bytes, 1000000000u);
  EXPECT_EQ(child.life_packets, 5000000u);
  EXPECT_EQ(child.replay_window, 0u);
  EXPECT_EQ(loads(kChildHead + "replay_window = 65536\n").connections[0].children[0].replay_window, 65536u);
  EXPECT_THAT(child_errors("replay_window = 65537\n"),
              ElementsAre("t.toml:8:17: 'replay_window' must be between 0 (anti-replay off) and "
                          "65536, not 65537"));
  EXPECT_THAT(child_errors("life_bytes = -1\n"),
              ElementsAre("t.toml:8:14: 'life_bytes' cannot be negative (0 means no limit)"));
}

// ---- start_action and peers ----

TEST(Validate, AnyPeerCannotBeInitiatedTo) {
  const std::string any_peer =
      "[connections.gw]\nlocal_addrs = [\"192.0.2.1\"]\nremote_addrs = [\"%any\"]\n"
      "auth = \"psk\"\npsk = \"a long random secret\"\n";
  const std::string child = "[[connections.gw.children]]\nname = \"net\"\n";
  EXPECT_THAT(errors_of(any_peer + "start_action = \"start\"\n" + child),
              ElementsAre(StartsWith("t.toml:6:16: 'start_action' = \"start\" needs a peer to "
                                     "initiate to")));
  EXPECT_THAT(errors_of(any_peer + "start_action = \"trap\"\n" + child),
              ElementsAre(StartsWith("t.toml:6:16: 'start_action' = \"trap\" needs a peer")));
  EXPECT_THAT(errors_of(any_peer + "start_action = \"none\"\n" + child),
              ElementsAre("<loaded without errors>"));
}

TEST(Validate, TrapNeedsChildren) {
  EXPECT_THAT(connection_errors("start_action = \"trap\"\n"),
              ElementsAre(StartsWith("t.toml:6:16: 'start_action' = \"trap\" installs the policies "
                                     "of the children")));
  EXPECT_THAT(child_errors("start_action = \"trap\"\n"),
              ElementsAre(StartsWith("t.toml:8:1: unknown key 'start_action' in child 'net'")));
}

// ---- children ----

TEST(Validate, DuplicateChildName) {
  EXPECT_THAT(child_errors("[[connections.gw.children]]\nname = \"net\"\n"),
              ElementsAre("t.toml:9:8: child 'net' is defined twice in connection 'gw' (first on "
                          "line 7)"));
}

TEST(Validate, SameChildNameInTwoConnectionsIsFine) {
  const Config config = loads(kChildHead +
                              "[connections.gw2]\nlocal_addrs = [\"192.0.2.1\"]\n"
                              "remote_addrs = [\"192.0.2.3\"]\nauth = \"psk\"\n"
                              "psk = \"a long random secret\"\n"
                              "[[connections.gw2.children]]\nname = \"net\"\n");
  EXPECT_EQ(config.connections.size(), 2u);
}

TEST(Validate, ChildNeedsAValidName) {
  EXPECT_THAT(errors_of(kHead + "[[connections.gw.children]]\nmode = \"tunnel\"\n"),
              ElementsAre("t.toml:6:1: every child of connection 'gw' needs a 'name'"));
  EXPECT_THAT(errors_of(kHead + "[[connections.gw.children]]\nname = \"my net\"\n"),
              ElementsAre(StartsWith("t.toml:7:8: child name \"my net\" must be")));
}

TEST(Validate, ChildrenMustBeAnArrayOfTables) {
  EXPECT_THAT(errors_of(kHead + "[connections.gw.children.net]\nmode = \"tunnel\"\n"),
              ElementsAre(StartsWith("t.toml:6:1: 'children' must be an array of tables")));
  EXPECT_THAT(connection_errors("children = [\"net\"]\n"),
              ElementsAre("t.toml:6:13: entries of 'children' must be tables, not a string"));
}

TEST(Validate, InvalidConnectionName) {
  EXPECT_THAT(errors_of("[connections.\"my gateway\"]\nauth = \"psk\"\n"),
              ElementsAre(StartsWith("t.toml:1:14: connection name 'my gateway' must be 1 to 64")));
}

// ---- traffic selectors ----

TEST(Validate, TrafficSelectors) {
  const Config config = loads(kChildHead +
                              "local_ts = [\"198.51.100.0/24\", \"2001:db8:1::/48\"]\n"
                              "remote_ts = [\"203.0.113.0/24\", \"2001:db8:2::/48\", "
                              "\"192.0.2.77\"]\n");
  const ike::ChildSettings& child = config.connections[0].children[0];
  ASSERT_EQ(child.local_ts.size(), 2u);
  ASSERT_EQ(child.remote_ts.size(), 3u);
  EXPECT_EQ(child.remote_ts[2].to_string(), "192.0.2.77/32");
}

TEST(Validate, BadPrefixes) {
  EXPECT_THAT(child_errors("local_ts = [\"198.51.100.0/33\"]\n"),
              ElementsAre("t.toml:8:13: 'local_ts': '198.51.100.0/33' is not an address prefix "
                          "such as \"198.51.100.0/24\""));
  EXPECT_THAT(child_errors("remote_ts = [\"203.0.113.0/24\", \"net-b\"]\n"),
              ElementsAre(StartsWith("t.toml:8:32: 'remote_ts': 'net-b' is not an address prefix")));
  EXPECT_THAT(child_errors("local_ts = [\"198.51.100.7/24\"]\n"),
              ElementsAre("t.toml:8:13: 'local_ts': '198.51.100.7/24' has host bits set (the "
                          "network is 198.51.100.0/24)"));
}

TEST(Validate, TrafficSelectorFamiliesMustMatch) {
  EXPECT_THAT(child_errors("local_ts = [\"198.51.100.0/24\"]\nremote_ts = [\"2001:db8::/32\"]\n"),
              ElementsAre(StartsWith("t.toml:8:13: 'local_ts' '198.51.100.0/24' of child 'net' of "
                                     "connection 'gw' is IPv4 but remote_ts has no IPv4 entry"),
                          StartsWith("t.toml:9:14: 'remote_ts' '2001:db8::/32' of child 'net' of "
                                     "connection 'gw' is IPv6 but local_ts has no IPv6 entry")));
  // With an empty side the SA carries the host's own traffic: compare with its outer address.
  EXPECT_THAT(child_errors("remote_ts = [\"203.0.113.0/24\", \"2001:db8::/32\"]\n"),
              ElementsAre(StartsWith("t.toml:8:32: 'remote_ts' '2001:db8::/32' of child 'net' of "
                                     "connection 'gw' is IPv6 but local_addrs (the local side "
                                     "when local_ts is empty) has no IPv6 entry")));
  EXPECT_THAT(child_errors("remote_ts = [\"203.0.113.0/24\"]\n"), ElementsAre("<loaded without errors>"));
}

// ---- proposals ----

TEST(Validate, ProposalErrorsCarryTheParsersExplanation) {
  EXPECT_THAT(connection_errors("ike_proposals = [\"aes256gcm16-prfsha256-x25519\", "
                                "\"aes257-sha256-x25519\"]\n"),
              ElementsAre(AllOf(StartsWith("t.toml:6:50: 'ike_proposals': "
                                           "'aes257-sha256-x25519': "),
                                HasSubstr("aes257"))));
  EXPECT_THAT(
      child_errors("esp_proposals = [\"aes256-md5\"]\n"),
      ElementsAre(AllOf(StartsWith("t.toml:8:18: 'esp_proposals': 'aes256-md5': "), HasSubstr("md5"))));
  EXPECT_THAT(connection_errors("ike_proposals = []\n"),
              ElementsAre("t.toml:6:17: 'ike_proposals' is empty; leave it out to use the "
                          "defaults"));
}

TEST(Validate, LegacyProposalsNeedAllowLegacy) {
  EXPECT_THAT(connection_errors("ike_proposals = [\"aes128-sha1-modp2048\"]\n"),
              ElementsAre(AllOf(StartsWith("t.toml:6:18: 'ike_proposals': "), HasSubstr("allow_legacy"))));
  const Config config = loads(kHead + "allow_legacy = true\nike_proposals = [\"aes128-sha1-modp2048\"]\n");
  EXPECT_TRUE(config.connections[0].allow_legacy);
  EXPECT_EQ(config.connections[0].ike_proposals.size(), 1u);
}

TEST(Validate, ProposalsAreNumberedInOrder) {
  const Config config =
      loads(kChildHead + "esp_proposals = [\"aes256gcm16-x25519\", \"aes128-sha256\", \"default\"]\n");
  const auto& proposals = config.connections[0].children[0].proposals;
  ASSERT_EQ(proposals.size(), 3u);
  for (std::size_t i = 0; i < proposals.size(); ++i) {
    EXPECT_EQ(proposals[i].number, i + 1);
    EXPECT_EQ(proposals[i].protocol, wire::ikev2::ProtocolId::Esp);
  }
}

TEST(Validate, AhChildrenUseAhProposals) {
  const Config config = loads(kChildHead + "protocol = \"ah\"\nah_proposals = [\"sha256\"]\n");
  const ike::ChildSettings& child = config.connections[0].children[0];
  EXPECT_EQ(child.protocol, ipsec::IpsecProtocol::Ah);
  ASSERT_EQ(child.proposals.size(), 1u);
  EXPECT_EQ(child.proposals[0].protocol, wire::ikev2::ProtocolId::Ah);
  const Config defaults = loads(kChildHead + "protocol = \"ah\"\n");
  ASSERT_FALSE(defaults.connections[0].children[0].proposals.empty());
  EXPECT_EQ(defaults.connections[0].children[0].proposals[0].protocol, wire::ikev2::ProtocolId::Ah);

  EXPECT_THAT(child_errors("protocol = \"ah\"\nesp_proposals = [\"aes256gcm16\"]\n"),
              ElementsAre(StartsWith("t.toml:9:17: 'esp_proposals' is for 'protocol' = \"esp\"")));
  EXPECT_THAT(child_errors("ah_proposals = [\"sha256\"]\n"),
              ElementsAre(StartsWith("t.toml:8:16: 'ah_proposals' is for 'protocol' = \"ah\"")));
}

// ---- IKEv1 (ike_version = 1) ----

// A valid IKEv1 PSK connection (lines 1-6) and the same with one child (lines 7-8); tests append
// the line under test as line 7 (connection) or 9 (child).
const std::string kV1Head = kHead + "ike_version = 1\n";  // 6
const std::string kV1ChildHead = kV1Head +
                                 "[[connections.gw.children]]\n"  // 7
                                 "name = \"net\"\n";              // 8

std::vector<std::string> proposal_texts(const std::vector<wire::ikev2::Proposal>& proposals) {
  std::vector<std::string> out;
  for (const wire::ikev2::Proposal& p : proposals) out.push_back(ike::proposal_to_string(p));
  return out;
}

bool uses_encryption(const std::vector<wire::ikev2::Proposal>& proposals, wire::ikev2::EncryptionId id) {
  for (const wire::ikev2::Proposal& p : proposals) {
    for (const wire::ikev2::Transform& t : p.transforms) {
      if (t.type == wire::ikev2::TransformType::Encryption && t.id == static_cast<std::uint16_t>(id)) {
        return true;
      }
    }
  }
  return false;
}

TEST(Validate, Ikev1DefaultIkeProposalsAreCbcBecausePhase1HasNoAead) {
  const std::vector<std::string> expected{"aes256-sha256-prfsha256-modp3072",
                                          "aes128-sha256-prfsha256-ecp256"};
  EXPECT_EQ(proposal_texts(ike::default_ikev1_proposals()), expected);
  const ike::ConnectionSettings absent = loads(kV1Head).connections.at(0);
  EXPECT_EQ(proposal_texts(absent.ike_proposals), expected);
  EXPECT_EQ(absent.ike_proposals[0].number, 1);
  EXPECT_EQ(absent.ike_proposals[1].number, 2);
  EXPECT_EQ(absent.ike_proposals[1].protocol, wire::ikev2::ProtocolId::Ike);

  // "default" names the IKEv1 set too, wherever it stands in the list.
  const ike::ConnectionSettings listed =
      loads(kV1Head + "ike_proposals = [\"aes256-sha384-ecp384\", \" Default \"]\n").connections.at(0);
  EXPECT_THAT(proposal_texts(listed.ike_proposals),
              ElementsAre("aes256-sha384-prfsha384-ecp384", expected[0], expected[1]));
  for (std::size_t i = 0; i < listed.ike_proposals.size(); ++i) {
    EXPECT_EQ(listed.ike_proposals[i].number, i + 1);
  }

  // IKEv2 keeps its own defaults, AEAD first.
  const ike::ConnectionSettings v2 = loads(kHead).connections.at(0);
  EXPECT_EQ(v2.ike_proposals, ike::default_ike_proposals());
  EXPECT_TRUE(uses_encryption(v2.ike_proposals, wire::ikev2::EncryptionId::AesGcm16));
}

TEST(Validate, Ikev1RefusesIkeProposalsWithoutACbcCipher) {
  EXPECT_THAT(
      errors_of(kV1Head + "ike_proposals = [\"aes256-sha256-modp3072\", "
                          "\"aes256gcm16-prfsha256-x25519\", \"chacha20poly1305-prfsha256-ecp256\"]\n"),
      ElementsAre("t.toml:7:44: 'ike_proposals': 'aes256gcm16-prfsha256-x25519': IKEv1 phase 1 "
                  "needs a CBC cipher (aes128/aes192/aes256, or 3des with allow_legacy); it has "
                  "no AEAD ciphers",
                  StartsWith("t.toml:7:76: 'ike_proposals': 'chacha20poly1305-prfsha256-ecp256': "
                             "IKEv1 phase 1 needs a CBC cipher")));
  // The same proposals are fine for IKEv2, and 3DES counts as CBC (with allow_legacy).
  EXPECT_THAT(connection_errors("ike_proposals = [\"aes256gcm16-prfsha256-x25519\"]\n"),
              ElementsAre("<loaded without errors>"));
  EXPECT_THAT(errors_of(kV1Head + "allow_legacy = true\nike_proposals = [\"3des-sha256-modp2048\"]\n"),
              ElementsAre("<loaded without errors>"));
}

TEST(Validate, Ikev1EspDefaultsLoseChaCha20Poly1305) {
  const ike::ChildSettings v1 = loads(kV1ChildHead).connections.at(0).children.at(0);
  ASSERT_EQ(v1.proposals.size(), 2u);
  EXPECT_FALSE(uses_encryption(v1.proposals, wire::ikev2::EncryptionId::ChaCha20Poly1305));
  EXPECT_TRUE(uses_encryption(v1.proposals, wire::ikev2::EncryptionId::AesGcm16));
  EXPECT_TRUE(uses_encryption(v1.proposals, wire::ikev2::EncryptionId::AesCbc));
  EXPECT_EQ(v1.proposals[0].number, 1);
  EXPECT_EQ(v1.proposals[1].number, 2);
  // IKEv2 keeps ChaCha20-Poly1305 in its defaults.
  const ike::ChildSettings v2 = loads(kChildHead).connections.at(0).children.at(0);
  EXPECT_TRUE(uses_encryption(v2.proposals, wire::ikev2::EncryptionId::ChaCha20Poly1305));
  // Written out, it is dropped from a proposal that has another cipher.
  const ike::ChildSettings mixed =
      loads(kV1ChildHead + "esp_proposals = [\"aes256gcm16-chacha20poly1305-modp3072\"]\n")
          .connections.at(0)
          .children.at(0);
  EXPECT_THAT(proposal_texts(mixed.proposals), ElementsAre("aes256gcm16-modp3072-noesn"));
}

TEST(Validate, Ikev1RefusesAnEspProposalOfOnlyChaCha20Poly1305) {
  EXPECT_THAT(errors_of(kV1ChildHead + "esp_proposals = [\"chacha20poly1305-x25519\"]\n"),
              ElementsAre(StartsWith("t.toml:9:18: 'esp_proposals': 'chacha20poly1305-x25519': "
                                     "chacha20poly1305 has no IKEv1 transform number")));
  EXPECT_THAT(child_errors("esp_proposals = [\"chacha20poly1305-x25519\"]\n"),
              ElementsAre("<loaded without errors>"));
}

TEST(Validate, Ikev1ChildrenHaveOneSubnetPerSide) {
  EXPECT_THAT(errors_of(kV1ChildHead + "local_ts = [\"198.51.100.0/25\", \"198.51.100.128/25\"]\n"
                                       "remote_ts = [\"203.0.113.0/24\"]\n"),
              ElementsAre("t.toml:9:32: 'local_ts' of child 'net' of connection 'gw' lists more than "
                          "one prefix, but an IKEv1 Quick Mode negotiates one subnet per side: use "
                          "one child per subnet (or IKEv2)"));
  EXPECT_THAT(errors_of(kV1ChildHead + "local_ts = [\"198.51.100.0/24\"]\n"
                                       "remote_ts = [\"203.0.113.0/25\", \"203.0.113.128/25\"]\n"),
              ElementsAre(StartsWith("t.toml:10:32: 'remote_ts' of child 'net' of connection 'gw' "
                                     "lists more than one prefix")));
  EXPECT_THAT(child_errors("local_ts = [\"198.51.100.0/25\", \"198.51.100.128/25\"]\n"),
              ElementsAre("<loaded without errors>"));
}

// ---- identities ----

TEST(Validate, Identities) {
  const Config config = loads(kHead + "local_id = \"gw-a.example.com\"\nremote_id = \"admin@example.com\"\n");
  EXPECT_EQ(config.connections[0].local_id.type, wire::ikev2::IdType::Fqdn);
  EXPECT_EQ(config.connections[0].remote_id.type, wire::ikev2::IdType::Rfc822Address);
  EXPECT_TRUE(loads(kHead + "remote_id = \"%any\"\n").connections[0].remote_id.any);
  EXPECT_THAT(connection_errors("local_id = \"%any\"\n"),
              ElementsAre(StartsWith("t.toml:6:12: 'local_id' cannot be %any")));
  EXPECT_THAT(connection_errors("remote_id = \"\"\n"),
              ElementsAre(StartsWith("t.toml:6:13: 'remote_id': cannot read \"\" as an identity")));
}

TEST(Validate, LocalIdNeedsAnAddressToDefaultTo) {
  EXPECT_THAT(errors_of("[connections.gw]\nauth = \"psk\"\npsk = \"a long random secret\"\n"),
              ElementsAre("t.toml:1:1: connection 'gw' needs 'local_id': there is no local "
                          "address to default to"));
}

// ---- PSK ----

TEST(Validate, AuthIsRequired) {
  EXPECT_THAT(errors_of("[connections.gw]\nlocal_addrs = [\"192.0.2.1\"]\n"),
              ElementsAre("t.toml:1:1: connection 'gw' needs 'auth' = \"psk\" or \"pubkey\" (or both "
                          "'local_auth' and 'remote_auth')"));
  EXPECT_THAT(errors_of("[connections.gw]\nlocal_addrs = [\"192.0.2.1\"]\nauth = \"eap\"\n"),
              ElementsAre("t.toml:3:8: 'auth' must be \"psk\" or \"pubkey\", not \"eap\""));
}

TEST(Validate, PskNeedsASecret) {
  const std::string head = "[connections.gw]\nlocal_addrs = [\"192.0.2.1\"]\nauth = \"psk\"\n";
  EXPECT_THAT(errors_of(head),
              ElementsAre("t.toml:1:1: connection 'gw' uses 'auth' = \"psk\" but has neither "
                          "'psk' nor 'psk_file'"));
  EXPECT_THAT(errors_of(head + "psk = \"\"\n"), ElementsAre("t.toml:4:7: 'psk' is empty"));
  EXPECT_THAT(errors_of(head + "psk = \"a long random secret\"\npsk_file = \"gw.psk\"\n"),
              ElementsAre("t.toml:5:12: give either 'psk' or 'psk_file', not both"));
}

TEST(Validate, PskFileIsResolvedAgainstBaseDirAndLosesOneTrailingNewline) {
  TempDir dir;
  dir.write("unix.psk", "secret with unix newline\n");
  dir.write("dos.psk", "secret with dos newline\r\n");
  dir.write("two.psk", "keeps the second newline\n\n");
  dir.write("empty.psk", "\n");
  const std::string head = "[connections.gw]\nlocal_addrs = [\"192.0.2.1\"]\nauth = \"psk\"\n";
  const auto secret = [&dir, &head](const std::string& file) {
    const Config config = loads(head + "psk_file = \"" + file + "\"\n", dir.path());
    const ByteView view = config.connections.empty() ? ByteView{} : config.connections[0].psk.view();
    return std::string(view.begin(), view.end());
  };
  EXPECT_EQ(secret("unix.psk"), "secret with unix newline");
  EXPECT_EQ(secret("dos.psk"), "secret with dos newline");
  EXPECT_EQ(secret("two.psk"), "keeps the second newline\n");
  EXPECT_EQ(secret((dir.path() / "unix.psk").string()), "secret with unix newline");  // absolute

  EXPECT_THAT(errors_of(head + "psk_file = \"empty.psk\"\n", dir.path()),
              ElementsAre(AllOf(StartsWith("t.toml:4:12: 'psk_file': '"),
                                HasSubstr("empty.psk' holds an empty secret"))));
  EXPECT_THAT(errors_of(head + "psk_file = \"absent.psk\"\n", dir.path()),
              ElementsAre(AllOf(StartsWith("t.toml:4:12: 'psk_file': cannot open '"),
                                HasSubstr("absent.psk': No such file or directory"))));
  EXPECT_THAT(errors_of(head + "psk_file = \".\"\n", dir.path()),
              ElementsAre(AllOf(StartsWith("t.toml:4:12: 'psk_file': '"), HasSubstr("is a directory"))));
}

TEST(Validate, KeysOfTheOtherAuthMethodAreRefused) {
  EXPECT_THAT(connection_errors("certificate = \"gw.pem\"\n"),
              ElementsAre("t.toml:6:15: 'certificate' is only used with 'auth' = \"pubkey\""));
  EXPECT_THAT(errors_of("[connections.gw]\nlocal_addrs = [\"192.0.2.1\"]\nauth = \"pubkey\"\n"
                        "psk = \"leftover\"\n"),
              ElementsAre("t.toml:1:1: connection 'gw' uses 'auth' = \"pubkey\" and needs "
                          "'certificate', 'private_key', 'ca_certificates'",
                          "t.toml:4:7: 'psk' is only used with 'auth' = \"psk\""));
}

// ---- certificates ----

class CertificateFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto now = std::chrono::system_clock::now();
    crypto::CertificateSpec ca_spec;
    ca_spec.common_name = "Cygnet Test CA";
    ca_spec.not_before = now - std::chrono::hours(1);
    ca_spec.not_after = now + std::chrono::hours(24 * 365);
    ca_spec.is_ca = true;
    const crypto::Certificate ca = crypto::issue_certificate(ca_spec, ca_key_.public_key(), ca_key_, nullptr);

    crypto::CertificateSpec gw_spec;
    gw_spec.common_name = "gw-a.example.com";
    gw_spec.dns_names = {"gw-a.example.com"};
    gw_spec.ip_addresses = {"192.0.2.1"};
    gw_spec.not_before = ca_spec.not_before;
    gw_spec.not_after = ca_spec.not_after;
    gateway_ = crypto::issue_certificate(gw_spec, gw_key_.public_key(), ca_key_, &ca);
    ca_ = ca;

    dir_.write("certs/ca.pem", testing::to_pem("CERTIFICATE", ca.der()));
    dir_.write("certs/bundle.pem",
               testing::to_pem("CERTIFICATE", ca.der()) + testing::to_pem("CERTIFICATE", gateway_->der()));
    dir_.write("certs/gw-a.pem", testing::to_pem("CERTIFICATE", gateway_->der()));
    dir_.write("private/gw-a.key", gw_key_.to_pem());
    dir_.write("private/other.key", other_key_.to_pem());
    dir_.write("not-pem.txt", "just text\n");
  }

  std::string connection(const std::string& extra_lines) const {
    return "[connections.gw]\n"                // 1
           "local_addrs = [\"192.0.2.1\"]\n"   // 2
           "remote_addrs = [\"192.0.2.2\"]\n"  // 3
           "auth = \"pubkey\"\n"               // 4
           + extra_lines;                      // 5...
  }

  crypto::PrivateKey ca_key_ = crypto::PrivateKey::generate(crypto::KeyType::EcdsaP256);
  crypto::PrivateKey gw_key_ = crypto::PrivateKey::generate(crypto::KeyType::EcdsaP256);
  crypto::PrivateKey other_key_ = crypto::PrivateKey::generate(crypto::KeyType::EcdsaP256);
  std::optional<crypto::Certificate> gateway_;
  std::optional<crypto::Certificate> ca_;
  TempDir dir_;
};

TEST_F(CertificateFiles, LoadsCertificateKeyAndCasRelativeToBaseDir) {
  const Config config = loads(connection("certificate = \"certs/gw-a.pem\"\n"
                                         "private_key = \"private/gw-a.key\"\n"
                                         "ca_certificates = [\"certs/ca.pem\", \"certs/bundle.pem\"]\n"),
                              dir_.path());
  ASSERT_EQ(config.connections.size(), 1u);
  const ike::ConnectionSettings& c = config.connections[0];
  EXPECT_EQ(c.auth, ike::AuthKind::PublicKey);
  ASSERT_TRUE(c.certificate.has_value());
  EXPECT_EQ(c.certificate->der(), gateway_->der());
  ASSERT_NE(c.private_key, nullptr);
  EXPECT_EQ(c.private_key->public_key().der_spki(), gw_key_.public_key().der_spki());
  EXPECT_EQ(c.ca_certificates.size(), 3u);  // one + a bundle of two
  EXPECT_TRUE(c.psk.empty());
  // Without local_id, the identity is what the certificate proves: its subject DN.
  EXPECT_EQ(c.local_id.type, wire::ikev2::IdType::DerAsn1Dn);
  EXPECT_EQ(c.local_id.data, gateway_->subject_der());
}

TEST_F(CertificateFiles, CertificateFileMayHoldOurChainLeafFirst) {
  std::string chain =
      testing::to_pem("CERTIFICATE", gateway_->der()) + testing::to_pem("CERTIFICATE", ca_->der());
  dir_.write("certs/chain.pem", chain);
  const Config config = loads(connection("certificate = \"certs/chain.pem\"\n"
                                         "private_key = \"private/gw-a.key\"\n"
                                         "ca_certificates = [\"certs/ca.pem\"]\n"),
                              dir_.path());
  ASSERT_EQ(config.connections.size(), 1u);
  const ike::ConnectionSettings& c = config.connections[0];
  ASSERT_TRUE(c.certificate.has_value());
  EXPECT_EQ(c.certificate->der(), gateway_->der());
  ASSERT_EQ(c.certificate_chain.size(), 1u);
  EXPECT_EQ(c.certificate_chain[0].der(), ca_->der());
  // More intermediates than a peer accepts is an error where the file is named.
  std::string overlong = testing::to_pem("CERTIFICATE", gateway_->der());
  for (int i = 0; i < 9; ++i) overlong += testing::to_pem("CERTIFICATE", ca_->der());
  dir_.write("certs/overlong.pem", overlong);
  EXPECT_THAT(errors_of(connection("certificate = \"certs/overlong.pem\"\n"
                                   "private_key = \"private/gw-a.key\"\n"
                                   "ca_certificates = [\"certs/ca.pem\"]\n"),
                        dir_.path()),
              ElementsAre(AllOf(
                  StartsWith("t.toml:5:15: 'certificate'"),
                  HasSubstr("holds 9 intermediate certificates after the leaf; peers accept at most 8"))));
}

TEST_F(CertificateFiles, LocalIdMustBeCoveredByTheCertificate) {
  const std::string files =
      "certificate = \"certs/gw-a.pem\"\nprivate_key = \"private/gw-a.key\"\n"
      "ca_certificates = [\"certs/ca.pem\"]\n";
  EXPECT_EQ(loads(connection(files + "local_id = \"gw-a.example.com\"\n"), dir_.path())
                .connections.at(0)
                .local_id.type,
            wire::ikev2::IdType::Fqdn);
  EXPECT_THAT(errors_of(connection(files + "local_id = \"gw-b.example.com\"\n"), dir_.path()),
              ElementsAre(StartsWith("t.toml:8:12: 'local_id' \"gw-b.example.com\" is neither the "
                                     "certificate's subject nor one of its subjectAltNames")));
}

TEST_F(CertificateFiles, KeyMustBelongToTheCertificate) {
  EXPECT_THAT(errors_of(connection("certificate = \"certs/gw-a.pem\"\n"
                                   "private_key = \"private/other.key\"\n"
                                   "ca_certificates = [\"certs/ca.pem\"]\n"),
                        dir_.path()),
              ElementsAre("t.toml:6:15: 'private_key': 'private/other.key' does not belong to the "
                          "public key in 'certificate'"));
}

TEST_F(CertificateFiles, UnreadableFilesAreReportedAtTheirKey) {
  EXPECT_THAT(errors_of(connection("certificate = \"not-pem.txt\"\n"
                                   "private_key = \"certs/gw-a.pem\"\n"
                                   "ca_certificates = [\"certs/ca.pem\", \"certs/absent.pem\", "
                                   "\"not-pem.txt\"]\n"),
                        dir_.path()),
              ElementsAre("t.toml:5:15: 'certificate': 'not-pem.txt' holds no PEM certificate",
                          "t.toml:6:15: 'private_key': 'certs/gw-a.pem' holds no readable private "
                          "key (unencrypted PEM expected)",
                          AllOf(StartsWith("t.toml:7:36: 'ca_certificates': cannot open '"),
                                HasSubstr("certs/absent.pem'")),
                          "t.toml:7:56: 'ca_certificates': 'not-pem.txt' holds no PEM "
                          "certificate"));
  EXPECT_THAT(errors_of(connection("certificate = \"certs/gw-a.pem\"\n"
                                   "private_key = \"private/gw-a.key\"\n"
                                   "ca_certificates = []\n"),
                        dir_.path()),
              ElementsAre("t.toml:7:19: 'ca_certificates' is empty: no peer could be trusted"));
}

TEST_F(CertificateFiles, Ikev1RefusesEd25519KeysButTakesEcdsa) {
  const crypto::PrivateKey ed_key = crypto::PrivateKey::generate(crypto::KeyType::Ed25519);
  crypto::CertificateSpec spec;
  spec.common_name = "gw-ed.example.com";
  spec.not_before = gateway_->not_before();
  spec.not_after = gateway_->not_after();
  const crypto::Certificate ed = crypto::issue_certificate(spec, ed_key.public_key(), ca_key_, &*ca_);
  dir_.write("certs/gw-ed.pem", testing::to_pem("CERTIFICATE", ed.der()));
  dir_.write("private/gw-ed.key", ed_key.to_pem());

  const std::string ed_files =
      "certificate = \"certs/gw-ed.pem\"\n"
      "private_key = \"private/gw-ed.key\"\n"
      "ca_certificates = [\"certs/ca.pem\"]\n";
  EXPECT_THAT(errors_of(connection("ike_version = 1\n" + ed_files), dir_.path()),
              ElementsAre("t.toml:7:15: 'private_key': 'private/gw-ed.key' is an Ed25519 key, "
                          "which IKEv1 cannot use: IKEv1 defines RSA and ECDSA signatures only "
                          "(use an RSA or ECDSA key, or ike_version = 2)"));
  EXPECT_THAT(errors_of(connection(ed_files), dir_.path()), ElementsAre("<loaded without errors>"));
  EXPECT_THAT(errors_of(connection("ike_version = 1\ncertificate = \"certs/gw-a.pem\"\n"
                                   "private_key = \"private/gw-a.key\"\n"
                                   "ca_certificates = [\"certs/ca.pem\"]\n"),
                        dir_.path()),
              ElementsAre("<loaded without errors>"));
}

TEST_F(CertificateFiles, PubkeyNeedsAllThreeFiles) {
  EXPECT_THAT(errors_of(connection("certificate = \"certs/gw-a.pem\"\n"), dir_.path()),
              ElementsAre("t.toml:1:1: connection 'gw' uses 'auth' = \"pubkey\" and needs "
                          "'private_key', 'ca_certificates'"));
}

TEST(Validate, NamesAreRestricted) {
  EXPECT_TRUE(is_valid_name("site-b"));
  EXPECT_TRUE(is_valid_name("Net_2.v6"));
  EXPECT_FALSE(is_valid_name(""));
  EXPECT_FALSE(is_valid_name("a b"));
  EXPECT_FALSE(is_valid_name("a/b"));
  EXPECT_FALSE(is_valid_name(std::string(65, 'a')));
  EXPECT_TRUE(is_valid_name(std::string(64, 'a')));
}

}  // namespace
}  // namespace cygnet::config
