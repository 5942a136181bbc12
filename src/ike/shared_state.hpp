// What the IKEv2 and IKEv1 engines share, owned by the version-neutral facade (engine.cpp) and
// handed to both by reference: the options, the randomness, the action queue, the counters, the
// failure log and the SA ID allocators (IDs are unique across both versions, so the data plane
// and the operator see one ID space), and the installed trap policies. Nothing else passes
// between the two engines: neither reaches into the other.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ike/engine.hpp"
#include "ike/failure_report.hpp"
#include "ike/revocation_checker.hpp"

namespace cygnet::ike {

struct SharedState {
  SharedState(EngineOptions o, std::shared_ptr<RandomSource> r)
      : options(std::move(o)), random_source(std::move(r)), random(*random_source) {}
  SharedState(const SharedState&) = delete;
  SharedState& operator=(const SharedState&) = delete;

  EngineOptions options;
  std::shared_ptr<RandomSource> random_source;  // keeps `random` alive
  RandomSource& random;
  std::vector<Action> actions;  // taken by Engine::take_actions, in order
  EngineCounters counters;
  FailureLog failures;  // last failure per connection, both versions (failure_report.hpp)
  IkeSaId next_ike_sa_id = 1;
  ChildSaId next_child_sa_id = 1;
  std::set<std::pair<std::string, std::string>> traps;  // (connection, child) with a trap policy
  // Revocation verdicts cached and fetches pending, for both versions (revocation_checker.hpp).
  RevocationChecker revocation{options, random, actions, counters};
};

}  // namespace cygnet::ike
