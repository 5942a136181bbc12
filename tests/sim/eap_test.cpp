// Road warriors authenticating with EAP-MSCHAPv2 on a Cygnet gateway (issue 14), Cygnet on both
// ends over a lossy link: every client with the right password gets a virtual IP leased under its
// EAP identity (and the same one back after reconnecting from another device identity), a client
// with a wrong password is refused without touching the others, and no lease leaks.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>

#include "crypto/mschapv2.hpp"
#include "sim/scenario.hpp"

namespace cygnet::sim {
namespace {

using namespace std::chrono_literals;

constexpr int kClients = 40;
constexpr int kWrongPassword = 7;  // this client's password is wrong

wire::IpAddress gateway_address() {
  return *wire::IpAddress::parse("2001:db8::1");
}
wire::IpAddress client_address(int i) {
  return *wire::IpAddress::parse("2001:db8::2:" + std::to_string(1000 + i));
}
std::string user(int i) {
  return "user" + std::to_string(i);
}
std::string password(int i) {
  return "password of user " + std::to_string(i);
}
crypto::SecureBytes nt_hash(const std::string& text) {
  return *crypto::mschapv2::nt_password_hash(
      ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

ike::PoolSettings pool() {
  ike::PoolSettings p;
  p.name = "rw";
  EXPECT_FALSE(ike::parse_pool_range("198.51.100.0/24", p));
  return p;
}

// The gateway proves itself with its PSK (split authentication), the users with EAP-MSCHAPv2.
ike::ConnectionSettings gateway_connection() {
  ike::ConnectionSettings c = psk_connection(site_b(), site_a(), ConnectionOptions{});
  c.name = "rw";
  c.local_addrs = {gateway_address()};
  c.remote_addrs.clear();
  c.local_id = *ike::Identity::parse("gw.example.net");
  c.remote_id = *ike::Identity::parse("%any");
  c.local_auth = ike::AuthMethod::Psk;
  c.remote_auth = ike::AuthMethod::EapMsChapV2;
  c.children.front().local_ts = {*wire::IpPrefix::parse("203.0.113.0/24")};
  c.children.front().remote_ts.clear();
  c.pools = {"rw"};
  c.dpd_delay = Seconds{0};
  return c;
}

ike::ConnectionSettings client_connection(int i, const std::string& device) {
  ike::ConnectionSettings c = psk_connection(site_a(), site_b(), ConnectionOptions{});
  c.name = "rw";
  c.local_addrs = {client_address(i)};
  c.remote_addrs = {gateway_address()};
  c.local_id = *ike::Identity::parse(device);
  c.remote_id = *ike::Identity::parse("gw.example.net");
  c.local_auth = ike::AuthMethod::EapMsChapV2;
  c.remote_auth = ike::AuthMethod::Psk;
  c.eap_identity = user(i);
  c.eap_password_hash = nt_hash(i == kWrongPassword ? "guess" : password(i));
  c.children.front().local_ts.clear();
  c.children.front().remote_ts = {*wire::IpPrefix::parse("203.0.113.0/24")};
  c.vips = {*wire::IpAddress::parse("0.0.0.0")};
  c.dpd_delay = Seconds{0};
  return c;
}

struct EapRoadWarriors {
  Simulation sim{20261214};
  Node* gateway = nullptr;
  std::vector<Node*> clients;

  EapRoadWarriors() {
    NodeConfig g;
    g.name = "GW";
    g.address = gateway_address();
    g.connections = {gateway_connection()};
    g.options = default_engine_options();
    gateway = &sim.add_node(std::move(g));
    gateway->engine().set_pools({pool()});
    ike::EapUsers users;
    for (int i = 0; i < kClients; ++i) users.emplace(user(i), nt_hash(password(i)));
    gateway->engine().set_eap_users(std::move(users));
    for (int i = 0; i < kClients; ++i) {
      NodeConfig c;
      c.name = "C" + std::to_string(i);
      c.address = client_address(i);
      c.connections = {client_connection(i, "laptop" + std::to_string(i) + ".example")};
      c.options = default_engine_options();
      clients.push_back(&sim.add_node(std::move(c)));
    }
  }
  Node& client(int i) { return *clients[static_cast<std::size_t>(i)]; }
  void up(int i) {
    client(i).engine().up("rw", sim.now());
    client(i).drain(sim.now());
  }
  void down(int i) {
    client(i).engine().down("rw", sim.now());
    client(i).drain(sim.now());
  }
  std::optional<wire::IpAddress> vip(int i) {
    for (const auto& sa : client(i).ike_sas("rw", sim.now()))
      if (sa.state == ike::IkeSaState::Established && sa.local_virtual_ips.size() == 1 &&
          sa.children.size() == 1)
        return sa.local_virtual_ips.front();
    return std::nullopt;
  }
};

TEST(EapRoadWarriors, EveryUserGetsAnAddressUnderLossAndTheWrongPasswordNone) {
  EapRoadWarriors rw;
  LinkConditions lossy;
  lossy.loss = 0.1;
  rw.sim.network().set_default_link(lossy);
  for (int i = 0; i < kClients; ++i) rw.up(i);
  rw.sim.run_for(90s);

  std::set<wire::IpAddress> addresses;
  int connected = 0;
  for (int i = 0; i < kClients; ++i) {
    if (i == kWrongPassword) continue;
    const auto vip = rw.vip(i);
    if (!vip) continue;
    ++connected;
    EXPECT_TRUE(addresses.insert(*vip).second) << vip->to_string() << " twice";
    for (const auto& sa : rw.client(i).ike_sas("rw", rw.sim.now())) EXPECT_EQ(sa.eap_identity, user(i));
  }
  // Retransmissions beat 10 % loss; an unlucky client may have given up after its last retry.
  EXPECT_GE(connected, (kClients - 1) * 9 / 10) << event_log(*rw.gateway);
  EXPECT_FALSE(rw.vip(kWrongPassword));
  EXPECT_GE(rw.client(kWrongPassword).count_events(ike::EventType::AuthenticationFailed), 1u);
  bool logged = false;
  for (const auto& e : rw.gateway->events_of(ike::EventType::AuthenticationFailed))
    logged = logged || e.event.detail.find("wrong password for EAP identity 'user7'") != std::string::npos;
  EXPECT_TRUE(logged) << event_log(*rw.gateway);
  // Leases are held under the EAP identity.
  for (const auto& l : rw.gateway->engine().leases())
    EXPECT_EQ(l.identity.rfind("user", 0), 0u) << l.identity;
  EXPECT_TRUE(rw.gateway->binding_errors().empty());

  // Client 0 comes back as another device (new IKE identity): same user, same address.
  const auto first = rw.vip(0);
  ASSERT_TRUE(first);
  rw.sim.network().set_default_link(LinkConditions{});
  rw.down(0);
  rw.sim.run_for(10s);
  rw.client(0).engine().remove_connection("rw", rw.sim.now());
  rw.client(0).engine().add_connection(client_connection(0, "phone0.example"), rw.sim.now());
  rw.up(0);
  rw.sim.run_for(10s);
  EXPECT_EQ(rw.vip(0), first);
}

}  // namespace
}  // namespace cygnet::sim
