#include "sim/simulation.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace cygnet::sim {

namespace {

// splitmix64: spreads consecutive salts into unrelated seeds.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// An engine that keeps asking to run at the same instant would hang the loop: fail loudly.
constexpr std::uint64_t kMaxStepsPerInstant = 100000;

}  // namespace

Simulation::Simulation(std::uint64_t seed) : seed_(seed), network_(mix(seed)) {}

Simulation::~Simulation() = default;

std::uint64_t Simulation::derive_seed(std::uint64_t salt) const {
  return mix(seed_ ^ mix(salt + 1));
}

Node& Simulation::add_node(NodeConfig config) {
  if (config.seed == 0) config.seed = derive_seed(100 + nodes_.size());
  const std::size_t index = nodes_.size();
  nodes_.push_back(std::make_unique<Node>(network_, std::move(config), now()));
  scheduled_.emplace_back();
  is_touched_.push_back(false);
  nodes_.back()->set_on_touched([this, index] {
    if (is_touched_[index]) return;
    is_touched_[index] = true;
    touched_.push_back(index);
  });
  is_touched_[index] = true;  // its start actions may have set a deadline
  touched_.push_back(index);
  return *nodes_.back();
}

void Simulation::reschedule_touched() {
  for (std::size_t index : touched_) {
    is_touched_[index] = false;
    const std::optional<TimePoint> deadline = nodes_[index]->next_deadline();
    if (deadline == scheduled_[index]) continue;
    scheduled_[index] = deadline;
    if (deadline) {
      wakeups_.push_back(Wakeup{*deadline, index});
      std::push_heap(wakeups_.begin(), wakeups_.end(), LaterWakeup{});
    }
  }
  touched_.clear();
}

void Simulation::drop_stale_wakeups() {
  while (!wakeups_.empty() && !is_current(wakeups_.front())) {
    std::pop_heap(wakeups_.begin(), wakeups_.end(), LaterWakeup{});
    wakeups_.pop_back();
  }
}

std::optional<TimePoint> Simulation::next_event() {
  reschedule_touched();
  drop_stale_wakeups();
  std::optional<TimePoint> next = network_.next_delivery();
  auto consider = [&](std::optional<TimePoint> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  if (!wakeups_.empty()) consider(wakeups_.front().at);
  consider(traffic_.next_tick());
  return next;
}

void Simulation::step(TimePoint at) {
  // A deadline in the past runs now.
  clock_.advance_to(at);
  const TimePoint t = clock_.now();
  if (t == last_step_) {
    if (++steps_at_same_instant_ > kMaxStepsPerInstant) {
      throw std::runtime_error("simulation stuck: more than " + std::to_string(kMaxStepsPerInstant) +
                               " steps at t=" + std::to_string(seconds_since_epoch(t)) +
                               "s (an engine deadline that never moves on?)");
    }
  } else {
    last_step_ = t;
    steps_at_same_instant_ = 0;
  }
  // The nodes whose deadline is due, in node order (as if every node were visited in turn).
  std::vector<std::size_t> due;
  for (drop_stale_wakeups(); !wakeups_.empty() && wakeups_.front().at <= t; drop_stale_wakeups()) {
    std::pop_heap(wakeups_.begin(), wakeups_.end(), LaterWakeup{});
    due.push_back(wakeups_.back().node);
    scheduled_[due.back()] = std::nullopt;  // consumed: on_timer touches the node, which queues it again
    wakeups_.pop_back();
  }
  std::sort(due.begin(), due.end());
  for (std::size_t index : due) nodes_[index]->on_timer(t);
  network_.deliver_due(t);
  auto tick = traffic_.next_tick();
  if (tick && *tick <= t) traffic_.tick(t);
}

void Simulation::run_until(TimePoint until) {
  for (auto next = next_event(); next && *next <= until; next = next_event()) step(*next);
  clock_.advance_to(until);
}

bool Simulation::run_until(const std::function<bool()>& done, TimePoint limit) {
  if (done()) return true;
  for (auto next = next_event(); next && *next <= limit; next = next_event()) {
    step(*next);
    if (done()) return true;
  }
  clock_.advance_to(limit);
  return done();
}

}  // namespace cygnet::sim
