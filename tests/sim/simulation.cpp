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

std::uint64_t Simulation::derive_seed(std::uint64_t salt) const { return mix(seed_ ^ mix(salt + 1)); }

Node& Simulation::add_node(NodeConfig config) {
  if (config.seed == 0) config.seed = derive_seed(100 + nodes_.size());
  nodes_.push_back(std::make_unique<Node>(network_, std::move(config), now()));
  return *nodes_.back();
}

std::optional<TimePoint> Simulation::next_event() const {
  std::optional<TimePoint> next = network_.next_delivery();
  auto consider = [&](std::optional<TimePoint> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  for (const auto& n : nodes_) consider(n->next_deadline());
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
  for (const auto& n : nodes_) {
    auto d = n->next_deadline();
    if (d && *d <= t) n->on_timer(t);
  }
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
