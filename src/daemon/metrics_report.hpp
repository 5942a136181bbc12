// The body of GET /metrics: the engine's counters and SA tables, the data plane's per-SA traffic
// and drops, and the daemon's own counters, in the Prometheus text format (prometheus_text.hpp).
// docs/architecture.md lists every metric.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "daemon/status_json.hpp"
#include "ike/data_plane_binding.hpp"
#include "ike/engine.hpp"
#include "ipsec/data_plane.hpp"

namespace cygnet::daemon {

// Traffic of CHILD SAs already removed, per connection, so a connection's totals keep counting up
// across rekeys (a Prometheus counter must never go down).
class RetiredTraffic {
 public:
  void retire(const std::string& connection, const SaTraffic& traffic);
  const SaTraffic* of(const std::string& connection) const;

 private:
  std::map<std::string, SaTraffic> by_connection_;
};

// Per connection, from the engine's events: rekeys and failures by reason (the engine's own
// counters are global).
class ConnectionEventCounts {
 public:
  struct Counts {
    std::uint64_t ike_rekeys = 0;
    std::uint64_t child_rekeys = 0;
    ike::FailureCounters failures;
  };
  void count(const ike::Event& event);
  const std::map<std::string, Counts>& by_connection() const { return by_connection_; }

 private:
  std::map<std::string, Counts> by_connection_;
};

struct MonitorCounters {
  std::uint64_t subscribers = 0;
  std::uint64_t disconnected_slow = 0;
  std::uint64_t refused = 0;
};

struct MetricsSources {
  const std::vector<ike::ConnectionStatus>& status;
  const ike::EngineCounters& ike;
  const ike::DataPlaneBinding& binding;
  const ipsec::DataPlane& data_plane;
  const DaemonCounters& daemon;
  const RetiredTraffic& retired;
  const ConnectionEventCounts& events;
  MonitorCounters monitor;
  std::uint64_t scrapes = 0;
};

std::string metrics_text(const MetricsSources& sources);

}  // namespace cygnet::daemon
