#include "cli/status_text.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cygnet::cli {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

// Three connections as cygnetd reports them: one established with a CHILD SA carrying traffic,
// one still connecting, one trap connection waiting for traffic.
const json kStatus = json::parse(R"({
  "daemon": {"pid": 4242, "uptime_seconds": 3725, "config": "/etc/cygnet/site-a.toml",
             "tun": "cygnet0"},
  "connections": [
    {"name": "site-b", "ike_version": 2, "start_action": "start",
     "local_addrs": ["192.0.2.1"], "remote_addrs": ["192.0.2.2"],
     "children": [{"name": "net", "mode": "tunnel", "protocol": "esp",
                   "local_ts": ["198.51.100.0/24"], "remote_ts": ["203.0.113.0/24"]}],
     "ike_sas": [{
       "id": 1, "version": 2, "state": "established", "initiator": true,
       "initiator_spi": "0123456789abcdef", "responder_spi": "fedcba9876543210",
       "local": "192.0.2.1[4500]", "remote": "192.0.2.2[4500]",
       "local_id": "gw-a.example", "remote_id": "gw-b.example",
       "algorithms": "aes256gcm16-prfsha256-x25519", "nat_detected": true,
       "age_seconds": 3720, "rekey_in_seconds": 13000,
       "child_sas": [{
         "id": 2, "name": "net", "protocol": "esp", "mode": "tunnel",
         "inbound_spi": "c1a2b3c4", "outbound_spi": "d5e6f708", "algorithms": "aes256gcm16",
         "udp_encapsulated": true,
         "local_ts": ["198.51.100.0/24"], "remote_ts": ["203.0.113.0/24", "2001:db8::/32"],
         "age_seconds": 45, "rekey_in_seconds": 3000,
         "inbound": {"packets": 900, "bytes": 1258291},
         "outbound": {"packets": 1, "bytes": 840}
       }]
     }]},
    {"name": "branch", "ike_version": 2, "start_action": "none",
     "local_addrs": [], "remote_addrs": ["198.51.100.77"],
     "children": [],
     "ike_sas": [{
       "id": 3, "state": "connecting", "initiator": true,
       "initiator_spi": "1111222233334444", "responder_spi": "0000000000000000",
       "local": "192.0.2.1[500]", "remote": "198.51.100.77[500]",
       "local_id": "192.0.2.1", "remote_id": "", "algorithms": "",
       "nat_detected": false, "age_seconds": 2, "rekey_in_seconds": null,
       "child_sas": []
     }]},
    {"name": "on-demand", "ike_version": 2, "start_action": "trap",
     "local_addrs": ["192.0.2.1"], "remote_addrs": ["192.0.2.9"],
     "children": [{"name": "lan", "mode": "transport", "protocol": "ah",
                   "local_ts": ["192.0.2.1/32"], "remote_ts": ["192.0.2.9/32"]}],
     "ike_sas": []}
  ]
})");

TEST(StatusText, DaemonLine) {
  EXPECT_THAT(render_status(kStatus),
              HasSubstr("cygnetd: pid 4242, up 1h 02m, config /etc/cygnet/site-a.toml, TUN cygnet0\n"));
}

TEST(StatusText, ConnectionHeaders) {
  const std::string text = render_status(kStatus);
  EXPECT_THAT(text, HasSubstr("site-b: IKEv2, start_action start, 192.0.2.1 → 192.0.2.2\n"));
  EXPECT_THAT(text, HasSubstr("branch: IKEv2, start_action none, %any → 198.51.100.77\n"));
  EXPECT_THAT(text, HasSubstr("on-demand: IKEv2, start_action trap, 192.0.2.1 → 192.0.2.9\n"));
}

TEST(StatusText, EapIdentityShownOnlyWhenTheClientUsedEap) {
  json status = kStatus;
  EXPECT_THAT(render_status(status), Not(HasSubstr("EAP identity")));
  status["connections"][0]["ike_sas"][0]["eap_identity"] = "alice";
  EXPECT_THAT(render_status(status), HasSubstr("    EAP identity alice\n"));
}

TEST(StatusText, EstablishedIkeSa) {
  const std::string text = render_status(kStatus);
  EXPECT_THAT(text,
              HasSubstr("  IKE SA #1 ESTABLISHED, IKEv2 (we initiated), age 1h 02m, rekey in 3h 36m\n"));
  EXPECT_THAT(text, HasSubstr("local       192.0.2.1[4500], id gw-a.example\n"));
  EXPECT_THAT(text, HasSubstr("remote      192.0.2.2[4500], id gw-b.example\n"));
  EXPECT_THAT(text, HasSubstr("0123456789abcdef (initiator), fedcba9876543210 (responder)"));
  EXPECT_THAT(text, HasSubstr("algorithms  aes256gcm16-prfsha256-x25519\n"));
  EXPECT_THAT(text, HasSubstr("NAT         detected"));
}

TEST(StatusText, ChildSaWithTrafficAndSelectors) {
  const std::string text = render_status(kStatus);
  EXPECT_THAT(text, HasSubstr("CHILD SA net #2: ESP tunnel, age 45s, rekey in 50m 00s\n"));
  EXPECT_THAT(text, HasSubstr("algorithms  aes256gcm16, UDP-encapsulated"));
  EXPECT_THAT(text, HasSubstr("selectors   198.51.100.0/24 === 203.0.113.0/24, 2001:db8::/32\n"));
  EXPECT_THAT(text, HasSubstr("in          SPI c1a2b3c4, 1.2 MiB (1258291 bytes), 900 packets\n"));
  EXPECT_THAT(text, HasSubstr("out         SPI d5e6f708, 840 B, 1 packet\n"));
}

TEST(StatusText, ConnectingIkeSa) {
  const std::string text = render_status(kStatus);
  // No rekey yet; no "version" either (as from a cygnetd that predates it): nothing shown.
  EXPECT_THAT(text, HasSubstr("  IKE SA #3 CONNECTING (we initiated), age 2s\n"));
  EXPECT_THAT(text, HasSubstr("1111222233334444 (initiator), 0000000000000000 (responder)"));
  EXPECT_THAT(text, HasSubstr("(not negotiated yet)"));
  EXPECT_THAT(text, HasSubstr("remote      198.51.100.77[500], id (not yet known)\n"));
  EXPECT_THAT(text, HasSubstr("NAT         not detected"));
  EXPECT_THAT(text, HasSubstr("    no CHILD SA\n"));
}

// An IKEv1 connection: its phase-1 SAs are ISAKMP SAs, each with its exchange mode.
TEST(StatusText, Ikev1SasShowTheirMode) {
  const json status = json::parse(R"({
    "connections": [
      {"name": "legacy", "ike_version": 1, "start_action": "start",
       "local_addrs": ["192.0.2.1"], "remote_addrs": ["192.0.2.3"], "children": [],
       "ike_sas": [
         {"id": 5, "version": 1, "mode": "main", "state": "established", "initiator": true,
          "initiator_spi": "0123456789abcdef", "responder_spi": "fedcba9876543210",
          "local": "192.0.2.1[500]", "remote": "192.0.2.3[500]",
          "local_id": "192.0.2.1", "remote_id": "192.0.2.3",
          "algorithms": "aes256-sha256-prfsha256-modp3072", "nat_detected": false,
          "age_seconds": 10, "rekey_in_seconds": 12000, "child_sas": []},
         {"id": 6, "version": 1, "mode": "aggressive", "state": "connecting", "initiator": false,
          "initiator_spi": "1111222233334444", "responder_spi": "0000000000000000",
          "local": "192.0.2.1[500]", "remote": "192.0.2.3[500]",
          "local_id": "192.0.2.1", "remote_id": "", "algorithms": "",
          "nat_detected": false, "age_seconds": 1, "rekey_in_seconds": null, "child_sas": []}
       ]}
    ]
  })");
  const std::string text = render_status(status);
  EXPECT_THAT(text, HasSubstr("legacy: IKEv1, start_action start, 192.0.2.1 → 192.0.2.3\n"));
  EXPECT_THAT(text, HasSubstr("  ISAKMP SA #5 ESTABLISHED, IKEv1 Main Mode (we initiated), age 10s, "
                              "rekey in 3h 20m\n"));
  EXPECT_THAT(text, HasSubstr("  ISAKMP SA #6 CONNECTING, IKEv1 Aggressive Mode (peer initiated), "
                              "age 1s\n"));
  EXPECT_THAT(text, Not(HasSubstr("IKE SA #")));
}

TEST(StatusText, ConnectionWithoutIkeSaSaysWhy) {
  const std::string text = render_status(kStatus);
  EXPECT_THAT(text, HasSubstr("  no IKE SA (start_action trap: waiting for traffic)\n"
                              "    child lan: AH transport, 192.0.2.1/32 === 192.0.2.9/32\n"));

  json idle = kStatus;
  idle["connections"][0]["ike_sas"] = json::array();
  EXPECT_THAT(render_status(idle), HasSubstr("no IKE SA (start_action start: cygnetd initiates"));
  idle["connections"][0]["start_action"] = "none";
  EXPECT_THAT(render_status(idle), HasSubstr("`cygnetctl up site-b`"));
}

TEST(StatusText, ConnectionsAreSeparatedByABlankLine) {
  const std::string text = render_status(kStatus);
  EXPECT_THAT(text, HasSubstr("cygnet0\n\nsite-b:"));
  EXPECT_THAT(text, HasSubstr("\n\nbranch:"));
  EXPECT_THAT(text, HasSubstr("\n\non-demand:"));
}

TEST(StatusText, NoConnections) {
  EXPECT_EQ(render_status(json{{"connections", json::array()}}), "no connections configured\n");
}

TEST(StatusText, OddInputNeverThrows) {
  EXPECT_NO_THROW(render_status(json()));
  EXPECT_NO_THROW(render_status(json::array({1, 2})));
  const json odd = {{"daemon", 5},
                    {"connections", {{{"name", 1}, {"ike_sas", {{{"child_sas", {nullptr}}}}}}, 7}}};
  std::string text;
  EXPECT_NO_THROW(text = render_status(odd));
  EXPECT_THAT(text, HasSubstr("IKE SA #? ?"));
  EXPECT_THAT(text, Not(HasSubstr("cygnetd: pid")));
}

TEST(StatusText, ClientVirtualIpsAndAppliedDns) {
  const nlohmann::json status = nlohmann::json::parse(R"({
    "connections": [{"name": "office", "ike_version": 2, "start_action": "none", "ike_sas": []}],
    "client": {"device": "cyg0",
               "connections": [{"connection": "office", "ike_sa": 3,
                                "addresses": ["198.51.100.129", "2001:db8:ffff::1"],
                                "dns": ["198.51.100.53"], "dns_domains": ["corp.example"]}],
               "dns": {"state": "applied through systemd-resolved", "servers": ["198.51.100.53"],
                       "domains": ["~corp.example"], "default_route": false}}
  })");
  const std::string text = render_status(status);
  EXPECT_THAT(text, HasSubstr("virtual IPs on cyg0:\n"
                              "  office      198.51.100.129, 2001:db8:ffff::1 (DNS 198.51.100.53, "
                              "domains corp.example)\n"
                              "  DNS         applied through systemd-resolved: 198.51.100.53; "
                              "~corp.example\n"));
}

TEST(StatusText, NoClientSectionWithoutAssignments) {
  const nlohmann::json status = nlohmann::json::parse(R"({
    "connections": [{"name": "office", "ike_version": 2, "start_action": "none", "ike_sas": []}],
    "client": {"device": "cyg0", "connections": [], "dns": {"state": "none"}}
  })");
  EXPECT_THAT(render_status(status), Not(HasSubstr("virtual IPs on")));
}

// A gateway with two road warriors: one line per client above the IKE SA blocks (virtual IPs, EAP
// and IKE identity, outer address and port, which side is behind a NAT).
TEST(StatusText, GatewayListsItsClients) {
  const nlohmann::json status = nlohmann::json::parse(R"({
    "connections": [{"name": "rw", "ike_version": 2, "start_action": "none", "ike_sas": [
      {"id": 4, "state": "established", "initiator": false, "local": "192.0.2.2[4500]",
       "remote": "198.51.100.77[61234]", "local_id": "vpn.example.com", "remote_id": "laptop.example",
       "eap_identity": "alice", "nat_detected": true, "nat_local": false, "nat_remote": true,
       "remote_virtual_ips": ["198.51.100.129", "2001:db8:ffff::1"], "child_sas": []},
      {"id": 5, "state": "established", "initiator": false, "local": "192.0.2.2[500]",
       "remote": "192.0.2.9[500]", "local_id": "vpn.example.com", "remote_id": "CN=phone,O=Example",
       "eap_identity": "", "nat_detected": false, "remote_virtual_ips": ["198.51.100.130"], "child_sas": []}
    ]}]
  })");
  const std::string text = render_status(status);
  EXPECT_THAT(text,
              HasSubstr("  clients (2):\n"
                        "    198.51.100.129, 2001:db8:ffff::1  alice (IKE id laptop.example), from "
                        "198.51.100.77[61234], NAT: the peer is behind a NAT, IKE SA #4\n"
                        "    198.51.100.130  CN=phone,O=Example, from 192.0.2.9[500], no NAT, IKE SA #5\n"));
  EXPECT_THAT(text, HasSubstr("    NAT         detected, the peer is behind a NAT: using UDP port 4500\n"));
  EXPECT_THAT(text, HasSubstr("    EAP identity alice\n"));
  EXPECT_THAT(text,
              HasSubstr("    virtual IP  198.51.100.129, 2001:db8:ffff::1 (the peer's, from our pools)\n"));
}

TEST(StatusText, SiteToSiteHasNoClientList) {
  EXPECT_THAT(render_status(kStatus), Not(HasSubstr("clients (")));
  // We initiated: a client of someone else's gateway is not one of our clients.
  json status = kStatus;
  status["connections"][0]["ike_sas"][0]["local_virtual_ips"] = {"198.51.100.129"};
  status["connections"][0]["ike_sas"][0]["nat_local"] = true;
  const std::string text = render_status(status);
  EXPECT_THAT(text, Not(HasSubstr("clients (")));
  EXPECT_THAT(text, HasSubstr("NAT         detected, we are behind a NAT: using UDP port 4500\n"));
}

}  // namespace
}  // namespace cygnet::cli
