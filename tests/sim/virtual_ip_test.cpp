// Many road warriors on one gateway with an address pool (issue 14): every client gets its own
// virtual IP, reconnects get the same one back, the gateway restarts with its leases restored,
// clients connect under packet loss, and no lease is ever leaked or handed out twice.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>

#include "sim/scenario.hpp"

namespace cygnet::sim {
namespace {

using namespace std::chrono_literals;

constexpr int kClients = 500;  // many_clients_test.cpp runs 1,000 (docs/performance.md)
constexpr int kLossyClients = 300;
constexpr std::string_view kPool = "2001:db8:ffff::/112";

wire::IpAddress gateway_address() {
  return *wire::IpAddress::parse("2001:db8::1");
}
wire::IpAddress client_address(int i) {
  return *wire::IpAddress::parse("2001:db8::1:" + std::to_string(1000 + i));
}
std::string client_id(int i) {
  return "client" + std::to_string(i) + "@example.com";
}

ike::PoolSettings pool() {
  ike::PoolSettings p;
  p.name = "rw";
  EXPECT_FALSE(ike::parse_pool_range(kPool, p));
  return p;
}

ike::ConnectionSettings gateway_connection() {
  ike::ConnectionSettings c = psk_connection(site_b(), site_a(), ConnectionOptions{});
  c.name = "rw";
  c.local_addrs = {gateway_address()};
  c.remote_addrs.clear();
  c.local_id = *ike::Identity::parse("gw.example.net");
  c.remote_id = *ike::Identity::parse("%any");
  c.children.front().local_ts = {*wire::IpPrefix::parse("2001:db8:1::/48")};
  c.children.front().remote_ts.clear();
  c.pools = {"rw"};
  c.dpd_delay = Seconds{0};
  return c;
}

ike::ConnectionSettings client_connection(int i) {
  ike::ConnectionSettings c = psk_connection(site_a(), site_b(), ConnectionOptions{});
  c.name = "rw";
  c.local_addrs = {client_address(i)};
  c.remote_addrs = {gateway_address()};
  c.local_id = *ike::Identity::parse(client_id(i));
  c.remote_id = *ike::Identity::parse("gw.example.net");
  c.children.front().local_ts.clear();
  c.children.front().remote_ts = {*wire::IpPrefix::parse("2001:db8:1::/48")};
  c.vips = {*wire::IpAddress::parse("::")};
  c.dpd_delay = Seconds{0};
  return c;
}

struct RoadWarriors {
  Simulation sim{20261207};
  Node* gateway = nullptr;
  std::vector<Node*> clients;

  explicit RoadWarriors(int count = kClients) {
    NodeConfig g;
    g.name = "GW";
    g.address = gateway_address();
    g.connections = {gateway_connection()};
    g.options = default_engine_options();
    gateway = &sim.add_node(std::move(g));
    gateway->engine().set_pools({pool()});
    for (int i = 0; i < count; ++i) {
      NodeConfig c;
      c.name = "C" + std::to_string(i);
      c.address = client_address(i);
      c.connections = {client_connection(i)};
      c.options = default_engine_options();
      clients.push_back(&sim.add_node(std::move(c)));
    }
  }

  void up(int i) {
    clients[static_cast<std::size_t>(i)]->engine().up("rw", sim.now());
    clients[static_cast<std::size_t>(i)]->drain(sim.now());
  }
  void down(int i) {
    clients[static_cast<std::size_t>(i)]->engine().down("rw", sim.now());
    clients[static_cast<std::size_t>(i)]->drain(sim.now());
  }
  // The client's virtual IP, when its IKE SA is established with one.
  std::optional<wire::IpAddress> vip(int i) {
    for (const auto& sa : clients[static_cast<std::size_t>(i)]->ike_sas("rw", sim.now()))
      if (sa.state == ike::IkeSaState::Established && sa.local_virtual_ips.size() == 1 &&
          sa.children.size() == 1)
        return sa.local_virtual_ips.front();
    return std::nullopt;
  }
  std::size_t online_leases() const {
    std::size_t n = 0;
    for (const auto& l : gateway->engine().leases()) n += l.online ? 1 : 0;
    return n;
  }
  // No address twice among the leases, and the gateway's SAs hold exactly the online ones.
  void expect_consistent() {
    std::set<wire::IpAddress> addresses;
    std::set<std::string> identities;
    for (const auto& l : gateway->engine().leases()) {
      EXPECT_TRUE(addresses.insert(l.address).second) << l.address.to_string() << " leased twice";
      EXPECT_TRUE(identities.insert(l.identity).second) << l.identity << " holds two leases";
    }
    std::size_t held = 0;
    for (const auto& sa : gateway->ike_sas("rw", sim.now())) held += sa.remote_virtual_ips.size();
    EXPECT_EQ(held, online_leases());
    EXPECT_TRUE(gateway->binding_errors().empty());
  }
};

TEST(VirtualIps, ManyClientsConnectReconnectAndSurviveAGatewayRestart) {
  RoadWarriors rw;
  for (int i = 0; i < kClients; ++i) rw.up(i);
  rw.sim.run_for(20s);
  std::map<int, wire::IpAddress> first;
  for (int i = 0; i < kClients; ++i) {
    const auto vip = rw.vip(i);
    ASSERT_TRUE(vip) << "client " << i << "\n" << event_log(*rw.clients[static_cast<std::size_t>(i)]);
    first[i] = *vip;
  }
  EXPECT_EQ(rw.online_leases(), static_cast<std::size_t>(kClients));
  rw.expect_consistent();

  // Every third client disconnects and comes back: same address, no new lease.
  for (int i = 0; i < kClients; i += 3) rw.down(i);
  rw.sim.run_for(10s);
  EXPECT_EQ(rw.online_leases(), static_cast<std::size_t>(kClients - (kClients + 2) / 3));
  rw.expect_consistent();
  for (int i = 0; i < kClients; i += 3) rw.up(i);
  rw.sim.run_for(20s);
  for (int i = 0; i < kClients; ++i) EXPECT_EQ(rw.vip(i), first[i]) << "client " << i;
  EXPECT_EQ(rw.gateway->engine().leases().size(), static_cast<std::size_t>(kClients));
  rw.expect_consistent();

  // Everyone leaves; the gateway restarts with the leases it saved; everyone returns.
  for (int i = 0; i < kClients; ++i) rw.down(i);
  rw.sim.run_for(10s);
  EXPECT_EQ(rw.online_leases(), 0u);
  const auto saved = rw.gateway->engine().leases();
  rw.gateway->restart(rw.sim.derive_seed(7), rw.sim.now());
  rw.gateway->engine().set_pools({pool()});
  rw.gateway->engine().restore_leases(saved);
  // Clients come back in reverse order: without the restored leases they would get other addresses.
  for (int i = kClients - 1; i >= 0; --i) rw.up(i);
  rw.sim.run_for(20s);
  for (int i = 0; i < kClients; ++i) EXPECT_EQ(rw.vip(i), first[i]) << "client " << i;
  rw.expect_consistent();
}

TEST(VirtualIps, ClientsUnderLossNeverLeakALease) {
  RoadWarriors rw(kLossyClients);
  LinkConditions lossy;
  lossy.loss = 0.1;
  rw.sim.network().set_default_link(lossy);
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < kLossyClients; ++i) rw.up(i);
    rw.sim.run_for(60s);
    rw.expect_consistent();
    int connected = 0;
    for (int i = 0; i < kLossyClients; ++i) connected += rw.vip(i) ? 1 : 0;
    EXPECT_GE(connected, kLossyClients * 9 / 10) << "round " << round;  // retransmissions beat 10 % loss
    for (int i = 0; i < kLossyClients; ++i) rw.down(i);
    rw.sim.run_for(60s);
  }
  // Lost Deletes leave gateway SAs behind until they are retransmitted or expire; once the
  // network is clean and every client has gone, no lease may stay online without an SA.
  rw.sim.network().set_default_link(LinkConditions{});
  rw.sim.run_for(5min);
  rw.expect_consistent();
  for (const auto& l : rw.gateway->engine().leases())
    if (l.online) {
      bool has_sa = false;
      for (const auto& sa : rw.gateway->ike_sas("rw", rw.sim.now()))
        for (const auto& a : sa.remote_virtual_ips) has_sa = has_sa || a == l.address;
      EXPECT_TRUE(has_sa) << l.address.to_string() << " online without an IKE SA";
    }
  EXPECT_LE(rw.gateway->engine().leases().size(), static_cast<std::size_t>(kLossyClients));
}

}  // namespace
}  // namespace cygnet::sim
