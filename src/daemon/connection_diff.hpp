// What a reload changes: connections are compared by a fingerprint of every setting, so one whose
// settings did not change keeps its SAs untouched, and a changed one is replaced.
#pragma once

#include <string>
#include <vector>

#include "ike/connection_settings.hpp"

namespace cygnet::daemon {

// A digest over every setting of a connection (secrets enter only hashed, and the fingerprint
// itself is a SHA-256 hex string, so it is safe to keep and compare).
std::string connection_fingerprint(const ike::ConnectionSettings& settings);

struct ConnectionDiff {
  std::vector<std::string> added;
  std::vector<std::string> removed;
  std::vector<std::string> changed;
  std::vector<std::string> unchanged;
};

ConnectionDiff diff_connections(const std::vector<ike::ConnectionSettings>& before,
                                const std::vector<ike::ConnectionSettings>& after);

}  // namespace cygnet::daemon
