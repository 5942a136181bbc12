// Many road warriors on one `%any` gateway (issue 14), as the simulator's scale scenario and the
// bad-input tests build them: the gateway proves itself with a certificate and serves two
// connections — "rw-eap" (users by EAP-MSCHAPv2) and "rw-cert" (clients by their certificates) —
// from an IPv4 and an IPv6 pool. Every client is its own node with one connection "rw" that asks
// for a virtual IPv6 address (a share also for an IPv4 one), may move to a second outer address
// (MOBIKE), and can carry a traffic flow each way through its virtual address.
//
// The checks return what is wrong in words (empty: consistent), so a test prints every violation:
//   lease_violations()   no address leased twice, no identity holding two leases of a pool, every
//                        online lease used by a gateway IKE SA of that identity and vice versa
//   sa_violations()      every gateway IKE and CHILD SA has its twin at a client (no orphan), and
//                        the gateway's SAD and SPD hold exactly what its CHILD SAs installed
//   counter_violations() the gateway's engine counters agree with its events, its data plane's with
//                        what the flows sent and received
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/scenario.hpp"

namespace cygnet::sim {

struct FleetOptions {
  int clients = 1000;
  std::uint64_t seed = 20261214;
  int dual_stack_every = 4;    // client i asks for IPv4 too when i % this == 0 (the IPv4 pool is a /24)
  int certificate_every = 10;  // client i authenticates by certificate when i % this == 5
  // The clients' lifetimes (they rekey; the gateway's are long, so it never rekeys first).
  Seconds ike_lifetime{4 * 3600};
  Seconds child_lifetime{3600};
  std::string v4_pool = "198.51.100.0/24";
  std::string v6_pool = "2001:db8:ffff::/112";
};

inline constexpr std::string_view kEapConnection = "rw-eap";
inline constexpr std::string_view kCertConnection = "rw-cert";
inline constexpr std::string_view kClientConnection = "rw";

class RoadWarriorFleet {
 public:
  explicit RoadWarriorFleet(const FleetOptions& options = FleetOptions{});

  Simulation sim;
  Node& gateway() { return *gateway_; }
  const Node& gateway() const { return *gateway_; }
  Node& client(int i) { return *clients_.at(static_cast<std::size_t>(i)); }
  const Node& client(int i) const { return *clients_.at(static_cast<std::size_t>(i)); }
  int size() const { return static_cast<int>(clients_.size()); }

  bool dual_stack(int i) const { return i % options_.dual_stack_every == 0; }
  bool by_certificate(int i) const { return i % options_.certificate_every == 5; }
  // The identity the gateway leases under: the EAP user, or the certificate's FQDN.
  std::string lease_identity(int i) const;
  static std::string eap_user(int i) { return "user" + std::to_string(i); }
  static std::string eap_password(int i) { return "password of user " + std::to_string(i); }
  static wire::IpAddress gateway_address() { return *wire::IpAddress::parse("2001:db8::1"); }
  static wire::IpAddress home_address(int i);  // the client's first outer address
  static wire::IpAddress away_address(int i);  // where roam() moves it
  // Hosts behind the gateway that the flows talk to.
  static wire::IpAddress protected_host_v4() { return *wire::IpAddress::parse("203.0.113.10"); }
  static wire::IpAddress protected_host_v6() { return *wire::IpAddress::parse("2001:db8:1::10"); }

  // The client's connection settings (a test may change them and load them into its engine).
  ike::ConnectionSettings client_connection(int i) const;
  ike::ConnectionSettings gateway_connection(bool eap) const;
  std::vector<ike::PoolSettings> pools() const;

  void up(int i);
  void down(int i);
  void roam(int i);  // MOBIKE: the client's host moves to away_address(i)
  bool roamed(int i) const { return client(i).address() == away_address(i); }

  // The client's tunnel: an established IKE SA with every virtual IP it asked for and a CHILD SA.
  std::optional<ike::IkeSaStatus> tunnel(int i) const;
  int tunnels_up() const;

  // A flow each way between the client's virtual IP (IPv4 for dual-stack clients) and a host
  // behind the gateway; needs the tunnel (throws otherwise). Flows keep that address from now on.
  void start_traffic(int i, Duration interval, TimePoint start);
  bool has_traffic(int i) const { return flows_.at(static_cast<std::size_t>(i)).has_value(); }
  // Packets of the client's flows that arrived, up (client → gateway) plus down.
  std::uint64_t delivered(int i) const;
  std::uint64_t delivered_up(int i) const;
  std::uint64_t delivered_down(int i) const;

  std::vector<std::string> lease_violations() const;
  std::vector<std::string> sa_violations() const;
  std::vector<std::string> counter_violations() const;
  // All three.
  std::vector<std::string> violations() const;

 private:
  struct Flows {
    std::size_t up = 0;
    std::size_t down = 0;
  };
  FleetOptions options_;
  CertificateAuthority ca_;
  Credentials gateway_credentials_;
  std::vector<std::optional<Credentials>> client_credentials_;
  Node* gateway_ = nullptr;
  std::vector<Node*> clients_;
  std::vector<std::optional<Flows>> flows_;
};

// The first few lines of a violation list, for a failure message.
std::string describe(const std::vector<std::string>& violations, std::size_t at_most = 12);

}  // namespace cygnet::sim
