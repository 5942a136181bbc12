// In-process IP network for the simulator. Endpoints attach by address prefix (longest prefix
// wins); every packet is a whole IPv4/IPv6 packet (IKE travels as real UDP datagrams, ESP as
// protocol 50), so a capture tap sees exactly what a wire would carry. Each direction between two
// addresses can lose, duplicate and delay (reorder) packets; all randomness comes from one seeded
// std::mt19937_64, so a scenario replays exactly from its seed.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include "base/bytes.hpp"
#include "base/time.hpp"
#include "ike/engine.hpp"
#include "wire/ip_address.hpp"
#include "wire/ip_packet.hpp"

namespace cygnet::sim {

struct LinkConditions {
  double loss = 0.0;                              // probability that a packet is lost
  double duplicate = 0.0;                         // probability that a packet is delivered twice
  Duration delay = std::chrono::milliseconds(5);  // base one-way delay
  Duration jitter{0};  // extra uniform delay in [0, jitter]: packets overtake each other
};

struct NetworkCounters {
  std::uint64_t sent = 0;
  std::uint64_t delivered = 0;
  std::uint64_t lost = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t unroutable = 0;  // no endpoint for the destination, or not an IP packet
};

using PacketReceiver = std::function<void(ByteView ip_packet, TimePoint now)>;
using PacketTap = std::function<void(TimePoint at, ByteView ip_packet)>;

class Network {
 public:
  explicit Network(std::uint64_t seed);

  // Packets whose destination falls in `prefix` go to `receiver` (longest prefix wins).
  void attach(const wire::IpPrefix& prefix, PacketReceiver receiver);
  void detach(const wire::IpPrefix& prefix);

  // Conditions for packets from `from` to `to` (one direction); others use the default.
  void set_link(const wire::IpAddress& from, const wire::IpAddress& to, const LinkConditions& c);
  // Both directions between two addresses.
  void set_path(const wire::IpAddress& a, const wire::IpAddress& b, const LinkConditions& c);
  void set_default_link(const LinkConditions& c) { default_link_ = c; }
  const LinkConditions& link(const wire::IpAddress& from, const wire::IpAddress& to) const;

  // Sees every packet handed to the network (before loss), e.g. for a pcap capture.
  void set_tap(PacketTap tap) { tap_ = std::move(tap); }

  void send(Bytes ip_packet, TimePoint now);

  std::optional<TimePoint> next_delivery() const;
  // Delivers every packet due at or before `now`, in (time, send order); receivers may send more.
  void deliver_due(TimePoint now);
  std::size_t in_flight() const { return queue_.size(); }

  const NetworkCounters& counters() const { return counters_; }
  std::mt19937_64& rng() { return rng_; }

 private:
  struct InFlight {
    TimePoint at;
    std::uint64_t order = 0;
    Bytes packet;
  };
  struct Later {
    bool operator()(const InFlight& a, const InFlight& b) const {
      return a.at != b.at ? a.at > b.at : a.order > b.order;
    }
  };
  struct Route {
    wire::IpPrefix prefix;
    PacketReceiver receiver;
  };
  const PacketReceiver* route(const wire::IpAddress& destination) const;
  void enqueue(Bytes packet, TimePoint at);
  Duration random_delay(const LinkConditions& c);
  bool chance(double p);

  std::mt19937_64 rng_;
  std::map<wire::IpAddress, PacketReceiver> host_routes_;  // full-length prefixes: the nodes
  std::vector<Route> routes_;                              // shorter prefixes
  std::map<std::pair<wire::IpAddress, wire::IpAddress>, LinkConditions> links_;
  LinkConditions default_link_;
  PacketTap tap_;
  std::vector<InFlight> queue_;  // a heap ordered by Later (earliest first)
  std::uint64_t next_order_ = 0;
  NetworkCounters counters_;
};

// --- UDP datagrams as IP packets ---------------------------------------------------------------

// A whole IPv4/IPv6 + UDP packet (IPv4: checksum zero, as RFC 768 allows; IPv6: computed).
Bytes build_udp_packet(const ike::Endpoint& source, const ike::Endpoint& destination, ByteView payload);

struct UdpDatagram {
  ike::Endpoint source;
  ike::Endpoint destination;
  ByteView payload;  // points into the packet it was parsed from
};
// The UDP datagram inside an IP packet, or nullopt (not UDP, fragment, truncated).
std::optional<UdpDatagram> parse_udp_packet(ByteView ip_packet);

}  // namespace cygnet::sim
