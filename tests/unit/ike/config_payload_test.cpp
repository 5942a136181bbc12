// Virtual IPs through the Configuration payload (RFC 7296 §2.19, §3.15): a client with `vips`
// against a gateway with pools, both engines real. The gateway leases per identity, narrows the
// CHILD SA to the virtual IP, answers exhaustion with INTERNAL_ADDRESS_FAILURE and no CHILD SA,
// refuses malformed requests with INVALID_SYNTAX; the client takes the reply as its selectors.
#include <gtest/gtest.h>

#include "ike/shared_state.hpp"
#include "ike/v2/ikev2_engine.hpp"
#include "unit/ike/engine_harness.hpp"
#include "wire/ikev2_config_attributes.hpp"

namespace cygnet::ike::test {
namespace {

PoolSettings pool(std::string name, std::string_view addrs, std::vector<std::string> dns = {},
                  std::vector<std::string> domains = {}) {
  PoolSettings s;
  s.name = std::move(name);
  EXPECT_FALSE(parse_pool_range(addrs, s));
  for (const auto& d : dns) s.dns.push_back(addr(d));
  s.dns_domains = std::move(domains);
  return s;
}

// B: the gateway, any peer, 203.0.113.0/24 behind it, pools v4 and v6.
ConnectionSettings gateway(std::vector<std::string> pools = {"v4", "v6"}) {
  ConnectionSettings c = psk_connection("rw", "192.0.2.2", "");
  c.children = {child("net", "203.0.113.0/24", "0.0.0.0/0")};
  c.pools = std::move(pools);
  return c;
}

// A: the road warrior asking for one address of each family.
ConnectionSettings road_warrior(std::string name = "home", std::string id = "alice@example.com",
                                std::vector<std::string> vips = {"0.0.0.0", "::"}) {
  ConnectionSettings c = psk_connection(std::move(name), "192.0.2.1", "192.0.2.2");
  c.local_id = *Identity::parse(id);
  c.remote_id = *Identity::parse("192.0.2.2");
  c.children = {child("net", "", "203.0.113.0/24")};
  for (const auto& v : vips) c.vips.push_back(addr(v));
  return c;
}

struct RoadWarrior : ::testing::Test {
  BackToBack net;
  RoadWarrior() {
    net.b.engine->set_pools({pool("v4", "198.51.100.128/25", {"198.51.100.53"}, {"corp.example"}),
                             pool("v6", "2001:db8:ffff::/112", {"2001:db8::53"})});
    EXPECT_TRUE(net.b.engine->add_connection(gateway(), net.now));
  }
  void connect(const std::string& name = "home") {
    EXPECT_TRUE(net.a.engine->up(name, net.now));
    net.run();
  }
  std::optional<IkeSaStatus> sa_of(Peer& p, std::string_view connection) {
    for (const auto& c : p.engine->status(net.now))
      if (c.name == connection && !c.ike_sas.empty()) return c.ike_sas.front();
    return std::nullopt;
  }
  std::string events(const Peer& p) const {
    std::string out;
    for (const auto& e : p.events) out += std::string(event_type_name(e.type)) + ": " + e.detail + "\n";
    return out;
  }
  template <typename T>
  std::vector<T> actions_of(const Peer& p) const {
    std::vector<T> out;
    for (const auto& a : p.log)
      if (const auto* t = std::get_if<T>(&a)) out.push_back(*t);
    return out;
  }
};

TEST_F(RoadWarrior, GetsAnAddressOfEachFamilyDnsAndANarrowedChild) {
  ASSERT_TRUE(net.a.engine->add_connection(road_warrior(), net.now));
  connect();
  const auto client = sa_of(net.a, "home");
  const auto gw = sa_of(net.b, "rw");
  ASSERT_TRUE(client && gw) << events(net.a) << events(net.b);
  const std::vector<wire::IpAddress> expected{addr("198.51.100.129"), addr("2001:db8:ffff::1")};
  EXPECT_EQ(client->local_virtual_ips, expected);
  EXPECT_EQ(gw->remote_virtual_ips, expected);
  ASSERT_EQ(client->children.size(), 1u);
  ASSERT_EQ(gw->children.size(), 1u);

  const auto assigned = actions_of<VirtualIpsAssigned>(net.a);
  ASSERT_EQ(assigned.size(), 1u);
  EXPECT_EQ(assigned[0].addresses, expected);
  EXPECT_EQ(assigned[0].dns, (std::vector<wire::IpAddress>{addr("198.51.100.53"), addr("2001:db8::53")}));
  EXPECT_EQ(assigned[0].dns_domains, std::vector<std::string>{"corp.example"});

  const auto leases = net.b.engine->leases();
  ASSERT_EQ(leases.size(), 2u);
  EXPECT_EQ(leases[0].identity, "alice@example.com");
  EXPECT_TRUE(leases[0].online);
  EXPECT_EQ(actions_of<LeaseChanged>(net.b).size(), 2u);

  // Traffic flows from the virtual IP only: the gateway's policy is narrowed to it.
  EXPECT_TRUE(net.traffic(net.a, "198.51.100.129", "203.0.113.5"));
  EXPECT_TRUE(net.traffic(net.b, "203.0.113.5", "198.51.100.129"));
  EXPECT_FALSE(net.traffic(net.b, "203.0.113.5", "198.51.100.130"));
}

TEST_F(RoadWarrior, ReconnectGetsTheSameAddressAndDownReleasesIt) {
  ASSERT_TRUE(net.a.engine->add_connection(road_warrior(), net.now));
  connect();
  const auto first = sa_of(net.a, "home")->local_virtual_ips;
  ASSERT_TRUE(net.a.engine->down("home", net.now));
  net.run();
  EXPECT_EQ(net.b.ike_sa_count(), 0u);
  for (const Lease& l : net.b.engine->leases()) EXPECT_FALSE(l.online) << l.address.to_string();
  ASSERT_EQ(actions_of<VirtualIpsReleased>(net.a).size(), 1u);
  EXPECT_EQ(actions_of<VirtualIpsReleased>(net.a)[0].addresses, first);

  connect();
  EXPECT_EQ(sa_of(net.a, "home")->local_virtual_ips, first);
  EXPECT_EQ(net.b.engine->leases().size(), 2u);  // no second lease for the same identity
}

TEST_F(RoadWarrior, LeaseFollowsAnIkeRekey) {
  ConnectionSettings rw = road_warrior();
  rw.ike_lifetime = Seconds{600};
  ASSERT_TRUE(net.a.engine->add_connection(std::move(rw), net.now));
  connect();
  const auto first = sa_of(net.b, "rw")->remote_virtual_ips;
  const auto old_id = sa_of(net.b, "rw")->id;
  net.advance(Seconds{590});
  ASSERT_TRUE(sa_of(net.b, "rw"));
  EXPECT_NE(sa_of(net.b, "rw")->id, old_id);
  EXPECT_EQ(sa_of(net.b, "rw")->remote_virtual_ips, first);
  for (const Lease& l : net.b.engine->leases()) EXPECT_TRUE(l.online);
}

TEST_F(RoadWarrior, ExhaustedPoolAnswersInternalAddressFailureAndOthersStayUp) {
  net.b.engine->set_pools({pool("v4", "198.51.100.200-198.51.100.200")});
  ASSERT_TRUE(net.a.engine->add_connection(road_warrior("home", "alice@example.com", {"0.0.0.0"}), net.now));
  ASSERT_TRUE(net.a.engine->add_connection(road_warrior("lab", "bob@example.com", {"0.0.0.0"}), net.now));
  connect("home");
  ASSERT_EQ(sa_of(net.a, "home")->local_virtual_ips, std::vector<wire::IpAddress>{addr("198.51.100.200")});
  connect("lab");
  // The gateway says why, installs nothing for bob; the client gives the IKE SA up.
  const Event* gw = net.b.find(EventType::InternalAddressFailure);
  ASSERT_NE(gw, nullptr);
  EXPECT_NE(gw->detail.find("pool v4 is exhausted"), std::string::npos) << gw->detail;
  EXPECT_NE(gw->detail.find("bob@example.com"), std::string::npos) << gw->detail;
  ASSERT_NE(net.a.find(EventType::InternalAddressFailure), nullptr);
  EXPECT_FALSE(sa_of(net.a, "lab"));
  EXPECT_EQ(net.b.engine->counters().child_sas_established, 1u);
  // alice is untouched.
  ASSERT_TRUE(sa_of(net.a, "home"));
  EXPECT_EQ(sa_of(net.a, "home")->children.size(), 1u);
  EXPECT_TRUE(net.traffic(net.a, "198.51.100.200", "203.0.113.5"));
  EXPECT_EQ(net.b.engine->leases().size(), 1u);
}

TEST_F(RoadWarrior, ChangedPoolKeepsTheAddressesOfConnectedClients) {
  ASSERT_TRUE(net.a.engine->add_connection(road_warrior("home", "alice@example.com", {"0.0.0.0"}), net.now));
  connect("home");
  ASSERT_EQ(sa_of(net.a, "home")->local_virtual_ips, std::vector<wire::IpAddress>{addr("198.51.100.129")});
  // A reload changes the pool (new DNS server): alice's address stays hers, bob gets the next one.
  net.b.engine->set_pools({pool("v4", "198.51.100.128/25", {"198.51.100.54"})});
  const auto leases = net.b.engine->leases();
  ASSERT_EQ(leases.size(), 1u);
  EXPECT_EQ(leases[0].address, addr("198.51.100.129"));
  EXPECT_TRUE(leases[0].online);
  ASSERT_TRUE(net.a.engine->add_connection(road_warrior("lab", "bob@example.com", {"0.0.0.0"}), net.now));
  connect("lab");
  ASSERT_TRUE(sa_of(net.a, "lab"));
  EXPECT_EQ(sa_of(net.a, "lab")->local_virtual_ips, std::vector<wire::IpAddress>{addr("198.51.100.130")});
}

TEST_F(RoadWarrior, AddressOutsideEveryPoolGetsThePoolsChoice) {
  ASSERT_TRUE(
      net.a.engine->add_connection(road_warrior("home", "alice@example.com", {"192.0.2.77"}), net.now));
  connect();
  ASSERT_TRUE(sa_of(net.a, "home"));
  EXPECT_EQ(sa_of(net.a, "home")->local_virtual_ips, std::vector<wire::IpAddress>{addr("198.51.100.129")});
}

TEST_F(RoadWarrior, FreeAddressInsideThePoolIsHonoured) {
  ASSERT_TRUE(
      net.a.engine->add_connection(road_warrior("home", "alice@example.com", {"198.51.100.150"}), net.now));
  connect();
  ASSERT_TRUE(sa_of(net.a, "home"));
  EXPECT_EQ(sa_of(net.a, "home")->local_virtual_ips, std::vector<wire::IpAddress>{addr("198.51.100.150")});
}

TEST_F(RoadWarrior, GatewayWithoutPoolsIgnoresTheRequestAndTheClientGivesUp) {
  ASSERT_TRUE(net.b.engine->remove_connection("rw", net.now));
  net.run();
  ASSERT_TRUE(net.b.engine->add_connection(gateway({}), net.now));
  ASSERT_TRUE(net.a.engine->add_connection(road_warrior(), net.now));
  connect();
  ASSERT_NE(net.a.find(EventType::InternalAddressFailure), nullptr);
  EXPECT_EQ(net.a.ike_sa_count(), 0u);
  EXPECT_EQ(net.b.ike_sa_count(), 0u);  // the client's Delete took the gateway's SA down too
}

TEST_F(RoadWarrior, ManyIdentitiesInTurnNeverLeakALease) {
  // Many identities in turn on one road warrior: every release lands, no address is used twice.
  net.b.engine->set_pools({pool("v4", "198.51.100.0/24")});
  for (int i = 0; i < 40; ++i) {
    const std::string name = "c" + std::to_string(i);
    ASSERT_TRUE(net.a.engine->add_connection(
        road_warrior(name, "user" + std::to_string(i) + "@example.com", {"0.0.0.0"}), net.now));
    connect(name);
    ASSERT_TRUE(sa_of(net.a, name)) << name << events(net.a);
    if (i % 2 == 0) {
      ASSERT_TRUE(net.a.engine->down(name, net.now));
      net.run();
    }
  }
  std::size_t online = 0;
  std::set<wire::IpAddress> addresses;
  for (const Lease& l : net.b.engine->leases()) {
    online += l.online ? 1 : 0;
    EXPECT_TRUE(addresses.insert(l.address).second);
  }
  EXPECT_EQ(online, 20u);
  EXPECT_EQ(net.b.ike_sa_count(), 20u);
}

// The gateway's decision on odd requests, driven directly (an IKE_AUTH with a forged CP would
// need the handshake's keys): malformed attributes are refused before any lease is taken.
struct GatewayTask : ::testing::Test {
  SharedState shared{with_wall_origin(), seeded_random(7)};
  v2::Ikev2Engine engine{shared};
  IkeSa sa;
  ConnectionSettings conn = gateway();
  GatewayTask() {
    engine.set_pools({pool("v4", "198.51.100.128/25"), pool("v6", "2001:db8:ffff::/112")});
    sa.id = 1;
    sa.remote = {addr("192.0.2.1"), 500};
    sa.remote_id = *Identity::parse("alice@example.com");
  }
  v2::Ikev2Engine::ConfigAnswer answer(wire::ikev2::ConfigPayload cp,
                                       std::vector<wire::ikev2::Payload>& out) {
    return engine.answer_config_request(sa, conn, {cp}, out);
  }
};

TEST_F(GatewayTask, MalformedAttributeIsInvalidSyntaxWithoutALease) {
  std::vector<wire::ikev2::Payload> out;
  const auto result = answer({wire::ikev2::ConfigType::Request, {{1, Bytes(3, 0)}}}, out);
  EXPECT_EQ(result, v2::Ikev2Engine::ConfigAnswer::Malformed);
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(sa.leases.empty());
  EXPECT_EQ(shared.counters.malformed, 1u);
  bool said = false;
  for (const auto& a : shared.actions)
    if (const auto* e = std::get_if<Event>(&a))
      said = said || e->detail.find("INTERNAL_IP4_ADDRESS length 3") != std::string::npos;
  EXPECT_TRUE(said);
  EXPECT_TRUE(engine.pools.at("v4").leases().empty());
}

TEST_F(GatewayTask, ReplyOrSetIsNotARequest) {
  std::vector<wire::ikev2::Payload> out;
  EXPECT_EQ(answer({wire::ikev2::ConfigType::Set, {{1, {}}}}, out),
            v2::Ikev2Engine::ConfigAnswer::NotRequested);
  EXPECT_EQ(answer({wire::ikev2::ConfigType::Reply, {{1, {198, 51, 100, 130}}}}, out),
            v2::Ikev2Engine::ConfigAnswer::NotRequested);
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(sa.leases.empty());
}

TEST_F(GatewayTask, ReplyCarriesSplitIncludeSubnets) {
  std::vector<wire::ikev2::Payload> out;
  ASSERT_EQ(answer({wire::ikev2::ConfigType::Request, {{1, {}}, {8, {}}}}, out),
            v2::Ikev2Engine::ConfigAnswer::Assigned);
  ASSERT_EQ(out.size(), 1u);
  const auto& cp = std::get<wire::ikev2::ConfigPayload>(out[0]);
  EXPECT_EQ(cp.type, wire::ikev2::ConfigType::Reply);
  const auto values = wire::ikev2::decode_config_attributes(cp.attributes);
  ASSERT_TRUE(values.values);
  EXPECT_EQ(values.values->subnets, std::vector<wire::IpPrefix>{prefix("203.0.113.0/24")});
  EXPECT_EQ(sa.leases.size(), 2u);
  engine.release_virtual_ips(sa);
  for (const Lease& l : engine.pools.at("v4").leases()) EXPECT_FALSE(l.online);
}

TEST_F(GatewayTask, OnlyTheRequestedFamilyIsLeased) {
  std::vector<wire::ikev2::Payload> out;
  ASSERT_EQ(answer({wire::ikev2::ConfigType::Request, {{8, {}}}}, out),
            v2::Ikev2Engine::ConfigAnswer::Assigned);
  ASSERT_EQ(sa.leases.size(), 1u);
  EXPECT_FALSE(sa.leases[0].address.is_v4());
  EXPECT_TRUE(engine.pools.at("v4").leases().empty());
}

}  // namespace
}  // namespace cygnet::ike::test
