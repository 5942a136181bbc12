// The simulator's event loop: virtual time jumps to the next thing that happens — a network
// delivery, an engine deadline, a traffic tick — and runs it. Engine timers due at an instant run
// before the packets arriving at that instant, so two ends whose timers fire together really
// cross their requests on the wire. Everything is deterministic from the seed.
//
// Event-driven, so a thousand nodes cost what they do, not what they are: each node's deadline
// sits in a priority queue, read again only after the node was touched (a packet, a timer, a
// test's call on its engine), and only nodes whose deadline is due are woken.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "sim/network.hpp"
#include "sim/node.hpp"
#include "sim/traffic.hpp"
#include "sim/virtual_clock.hpp"

namespace cygnet::sim {

class Simulation {
 public:
  explicit Simulation(std::uint64_t seed);
  ~Simulation();

  std::uint64_t seed() const { return seed_; }
  TimePoint now() const { return clock_.now(); }
  Network& network() { return network_; }
  TrafficGenerator& traffic() { return traffic_; }
  const TrafficGenerator& traffic() const { return traffic_; }

  // Creates a gateway at config.address (its engine applies start actions at once). A zero
  // config.seed is replaced by one derived from the simulation's seed.
  Node& add_node(NodeConfig config);
  // A seed for anything else in the scenario (a restarted node, an attacker), derived from ours.
  std::uint64_t derive_seed(std::uint64_t salt) const;

  // Runs every event up to and including `until`; the clock then reads `until`.
  void run_until(TimePoint until);
  void run_for(Duration d) { run_until(now() + d); }
  // Runs until `done` holds (checked after every step) or `limit`; returns done().
  bool run_until(const std::function<bool()>& done, TimePoint limit);
  bool run_for(const std::function<bool()>& done, Duration limit) { return run_until(done, now() + limit); }

 private:
  // A node's deadline as queued; stale entries (the node's deadline moved since) are skipped.
  struct Wakeup {
    TimePoint at;
    std::size_t node = 0;
  };
  struct LaterWakeup {
    bool operator()(const Wakeup& a, const Wakeup& b) const {
      return a.at != b.at ? a.at > b.at : a.node > b.node;
    }
  };
  std::optional<TimePoint> next_event();
  void step(TimePoint at);
  // Reads the deadline of every node touched since the last call and queues it when it changed.
  void reschedule_touched();
  void drop_stale_wakeups();
  bool is_current(const Wakeup& w) const { return scheduled_[w.node] == w.at; }

  std::uint64_t seed_;
  VirtualClock clock_;
  Network network_;
  // Nodes are destroyed before the network and the traffic generator that refer to them.
  TrafficGenerator traffic_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<Wakeup> wakeups_;                      // min-heap by (time, node)
  std::vector<std::optional<TimePoint>> scheduled_;  // per node: the deadline its wakeup stands for
  std::vector<std::size_t> touched_;                 // nodes to reschedule, each once
  std::vector<bool> is_touched_;
  TimePoint last_step_{};
  std::uint64_t steps_at_same_instant_ = 0;
};

}  // namespace cygnet::sim
