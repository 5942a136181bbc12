// Cleartext traffic between the protected subnets: each flow sends a small UDP packet from one
// gateway's protected side to the other's at a fixed interval, through the sender's data plane
// (process_outbound → network → peer process_inbound). Counts what was sent, delivered and what
// happened to the rest, in particular packets that found no SA (Acquire or NoSa).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "base/time.hpp"
#include "ipsec/drop_reason.hpp"
#include "sim/node.hpp"

namespace cygnet::sim {

struct Flow {
  Node* from = nullptr;
  Node* to = nullptr;
  wire::IpAddress source;       // inside from's protected subnet
  wire::IpAddress destination;  // inside to's protected subnet
  std::uint16_t source_port = 40000;
  std::uint16_t destination_port = 9;  // discard
  Duration interval = std::chrono::milliseconds(100);
  std::size_t payload_size = 16;  // at least 12: flow index + sequence number
};

struct FlowCounters {
  std::uint64_t sent = 0;
  std::uint64_t protected_out = 0;
  std::uint64_t acquires = 0;          // PROTECT policy without an SA (trap/acquire)
  ipsec::DropCounters outbound_drops;  // NoSa, Expired, ...
  std::uint64_t delivered = 0;         // arrived on the peer's protected side
  std::uint64_t duplicates = 0;        // the same sequence number delivered twice
  std::uint64_t no_sa() const { return acquires + outbound_drops[ipsec::DropReason::NoSa]; }
};

class TrafficGenerator {
 public:
  // Installs itself as the host sink of both nodes of every flow it gets.
  std::size_t add_flow(const Flow& flow, TimePoint start);
  void stop_all() { running_ = false; }
  void resume(TimePoint now);

  std::optional<TimePoint> next_tick() const;
  void tick(TimePoint now);  // sends every packet due at or before now

  const FlowCounters& counters(std::size_t flow) const { return flows_.at(flow).counters; }
  // Start counting afresh (for "after establishment" assertions): packets sent earlier and still
  // in flight are no longer counted when they arrive.
  void reset_counters();
  std::size_t flow_count() const { return flows_.size(); }
  // The first outbound verdict of each flow (a trap scenario checks it was an Acquire).
  std::optional<OutboundVerdict> first_verdict(std::size_t flow) const {
    return flows_.at(flow).first_verdict;
  }

 private:
  struct State {
    Flow flow;
    TimePoint next;
    std::uint64_t sequence = 0;
    FlowCounters counters;
    std::vector<bool> seen;          // by sequence number, to notice duplicates
    std::uint64_t counted_from = 0;  // packets sent before the last reset_counters are not counted
    std::optional<OutboundVerdict> first_verdict;
  };
  // When each flow sends next: a min-heap by (time, flow) with exactly one entry per flow, so a
  // tick costs what it sends, not the number of flows.
  struct Due {
    TimePoint at;
    std::size_t flow = 0;
  };
  struct LaterDue {
    bool operator()(const Due& a, const Due& b) const { return a.at != b.at ? a.at > b.at : a.flow > b.flow; }
  };
  void on_delivered(ByteView packet);
  Bytes build_packet(std::size_t index, State& s) const;
  void send_due(std::size_t index, TimePoint now);

  std::vector<State> flows_;
  std::vector<Due> schedule_;
  bool running_ = true;
};

}  // namespace cygnet::sim
