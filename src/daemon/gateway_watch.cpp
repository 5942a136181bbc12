// Watching the gateway: the Prometheus endpoint ([daemon] metrics) and `cygnetctl monitor`
// subscribers. Both live in the event loop; neither can stall it.
#include <unistd.h>

#include "control/control_protocol.hpp"
#include "daemon/gateway.hpp"
#include "daemon/logging.hpp"
#include "daemon/monitor_event.hpp"
#include "daemon/shunt_json.hpp"

namespace cygnet::daemon {

void Gateway::open_metrics() {
  if (!config_.daemon.metrics) return;
  metrics_ =
      std::make_unique<MetricsServer>(loop_, *config_.daemon.metrics, [this] { return render_metrics(); });
  log(Subsystem::Control).info("metrics on http://{}/metrics", config_.daemon.metrics->to_string());
}

std::string Gateway::render_metrics() {
  const TimePoint now = Clock::now();
  sync_core_counters();
  const std::vector<ike::ConnectionStatus> status = engine().status(now);
  const DaemonCounters daemon = daemon_counters();  // with the workers' TUN and network counts
  const MetricsSources sources{
      status,
      engine().counters(),
      core_->binding(),
      core_->data_plane(),
      daemon,
      retired_traffic_,
      connection_events_,
      {subscribers_.size(), subscribers_.disconnected_slow(), subscribers_.refused()},
      metrics_ ? metrics_->scrapes() : 0};
  return metrics_text(sources) + shunt_metrics_text(shunt_states());
}

void Gateway::publish_event(const ike::Event& event, TimePoint now) {
  connection_events_.count(event);
  if (subscribers_.size() == 0) return;
  subscribers_.publish(monitor_event_json(event, std::chrono::system_clock::now(), engine().status(now)));
}

void Gateway::publish_notice(std::string_view type, std::string_view detail) {
  subscribers_.publish(monitor_notice_json(type, detail, std::chrono::system_clock::now()));
}

bool Gateway::accept_monitor(int client) {
  if (subscribers_.size() >= subscribers_.limits().max_subscribers) {
    control::write_message(
        client, control::error_response("too many monitor clients (at most " +
                                        std::to_string(subscribers_.limits().max_subscribers) + ")"));
    subscribers_.add(client);  // refused and counted there; closes the fd
    return false;
  }
  control::write_message(client, control::ok_response({{"message", "monitoring"}}));
  log(Subsystem::Control).info("monitor client connected ({} now)", subscribers_.size() + 1);
  return subscribers_.add(client);
}

}  // namespace cygnet::daemon
