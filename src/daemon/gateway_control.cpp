// The control socket: cygnetctl's requests (status, stats, up, down, reload), one per connection.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "config/warnings.hpp"
#include "control/control_protocol.hpp"
#include "daemon/connection_diff.hpp"
#include "daemon/failure_json.hpp"
#include "daemon/gateway.hpp"
#include "daemon/logging.hpp"
#include "daemon/shunt_json.hpp"

namespace cygnet::daemon {

using nlohmann::json;

void Gateway::on_control_readable() {
  // Accepts every waiting client; each is then served by the loop (control_clients.hpp), never here.
  for (;;) {
    const int client = accept4(control_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (client < 0) return;
    ++counters_.control_requests;
    control_clients_.add(client, Clock::now());
  }
}

std::optional<json> Gateway::serve_control(const json& request, int client) {
  const std::string command = request.value("command", std::string());
  if (command == "monitor") {
    accept_monitor(client);  // the connection stays open for the events (or is refused and closed there)
    return std::nullopt;
  }
  if (command == "export-keys") return export_keys(request, client);
  return handle_request(request, Clock::now());
}

json Gateway::handle_request(const json& request, TimePoint now) {
  const std::string command = request.value("command", std::string());
  log(Subsystem::Control).debug("request: {}", command);
  if (command == "status") {
    DaemonInfo info{static_cast<long>(getpid()), std::chrono::duration_cast<Seconds>(now - started_).count(),
                    options_.config_path, tun_ ? tun_->name() : std::string(), now};
    json result =
        status_json(engine().status(now), config_.connections, core_->binding(), core_->data_plane(), info);
    add_last_failures(result, engine(), now);
    add_tcp_status(result, now);
    result["client"] = client_status_json();
    result["shunts"] = shunts_json(shunt_states(), nlohmann::json::object());
    interfaces_->add_status(result);
    return control::ok_response(std::move(result));
  }
  if (command == "stats") {
    sync_core_counters();
    const RevocationFetchCounters fetched = revocation_fetcher_.counters();
    counters_.revocation_downloads = fetched.downloads;
    counters_.revocation_download_failures = fetched.failures;
    counters_.crl_cache_hits = fetched.crl_cache_hits;
    const TunOffloadCounters& offload = tun_io_->counters();
    counters_.tun_super_packets_read = offload.super_packets_read;
    counters_.tun_segments_from_super_packets = offload.segments_from_super_packets;
    counters_.tun_coalesced_writes = offload.coalesced_writes;
    counters_.tun_segments_coalesced = offload.segments_coalesced;
    counters_.tun_offload_errors = offload.offload_errors;
    json stats = stats_json(engine().status(now), engine().counters(), core_->binding(), core_->data_plane(),
                            daemon_counters());
    if (!workers_.empty()) {
      stats["data_plane"] = data_plane_counters_json(data_plane_counters());
      stats["workers"] = workers_json();
    }
    stats["cleartext_filter"] = cleartext_filter_->stats_json();
    stats["tcp"] = tcp_->counters_json();
    stats["shunts"] =
        shunts_json(shunt_states(), stats["cleartext_filter"].value("shunt_drops", json::object()));
    stats["control_clients"] = {{"refused", control_clients_.refused()},
                                {"timed_out", control_clients_.timed_out()},
                                {"bad_requests", control_clients_.bad_requests()}};
    return control::ok_response(stats);
  }
  if (command == "up" || command == "down") {
    const std::string name = request.value("name", std::string());
    const bool known = command == "up" ? engine().up(name, now) : engine().down(name, now);
    if (!known) return control::error_response("no connection named \"" + name + "\"");
    log(Subsystem::Control).info("{} {} requested", command, name);
    drain(now);
    return control::ok_response(
        {{"connection", name}, {"message", command == "up" ? "initiating" : "deleting"}});
  }
  if (command == "why") {
    const std::string name = request.value("name", std::string());
    auto result = why_json(engine(), name, now);
    if (!result) return control::error_response("no connection named \"" + name + "\"");
    return control::ok_response(std::move(*result));
  }
  if (command == "reload") return reload(now);
  if (command == "leases") return control::ok_response(leases_json(engine().leases(), config_.pools));
  return control::error_response("unknown command \"" + command + "\"");
}

json Gateway::reload(TimePoint now) {
  notifier_.reloading();
  config::LoadResult loaded = config::load_config_file(options_.config_path);
  if (!loaded.ok()) {
    notifier_.ready(sa_counts(now), now);
    log(Subsystem::Daemon).error("reload: {} — nothing changed", loaded.error_text());
    return control::error_response("configuration not applied:\n" + loaded.error_text());
  }
  ++counters_.reloads;
  config::Config next = std::move(*loaded.config);
  for (const std::string& finding : config::weak_choices(next)) log(Subsystem::Daemon).warn("{}", finding);
  const ConnectionDiff diff = diff_connections(config_.connections, next.connections);
  engine().set_pools(next.pools);  // unchanged pools keep their leases
  engine().set_eap_users(next.eap_users);
  leases_dirty_ = true;
  cleartext_filter_->hold();  // a changed connection is removed and re-added: no gap in between
  batch();
  for (const std::string& name : diff.removed) remove_connection(name, now);
  for (const std::string& name : diff.changed) remove_connection(name, now);
  carry_out(now);
  close_unused_interfaces(next.connections);  // gone, or their interface settings changed
  batch();
  for (const ike::ConnectionSettings& c : next.connections) {
    const bool is_new = std::find(diff.added.begin(), diff.added.end(), c.name) != diff.added.end();
    const bool is_changed = std::find(diff.changed.begin(), diff.changed.end(), c.name) != diff.changed.end();
    if (is_new || is_changed) add_connection(c, now);
  }
  std::vector<std::string> notes;
  if (next.daemon.listen != config_.daemon.listen || next.daemon.tun != config_.daemon.tun ||
      next.daemon.control_socket != config_.daemon.control_socket ||
      next.daemon.metrics != config_.daemon.metrics) {
    notes.push_back(
        "[daemon] listen, tun, control_socket and metrics changes take effect at the next restart");
    next.daemon.metrics = config_.daemon.metrics;
    next.daemon.listen = config_.daemon.listen;
    next.daemon.tun = config_.daemon.tun;
    next.daemon.control_socket = config_.daemon.control_socket;
  }
  if (next.daemon.offload != config_.daemon.offload) {
    notes.push_back("[daemon] offload changes take effect at the next restart");  // the TUN is open
    next.daemon.offload = config_.daemon.offload;
  }
  if (next.daemon.allow_key_export != config_.daemon.allow_key_export) {
    // The engine retains keys (or not) from its start: a change needs a restart.
    notes.push_back("[daemon] allow_key_export changes take effect at the next restart");
    next.daemon.allow_key_export = config_.daemon.allow_key_export;
  }
  if (next.daemon.retransmit_timeout != config_.daemon.retransmit_timeout ||
      next.daemon.retransmit_tries != config_.daemon.retransmit_tries) {
    notes.push_back(
        "[daemon] retransmit_timeout_ms and retransmit_tries changes take effect at the next restart");
    next.daemon.retransmit_timeout = config_.daemon.retransmit_timeout;
    next.daemon.retransmit_tries = config_.daemon.retransmit_tries;
  }
  if (next.daemon.max_half_open != config_.daemon.max_half_open ||
      next.daemon.max_half_open_per_source != config_.daemon.max_half_open_per_source) {
    notes.push_back(
        "[daemon] max_half_open and max_half_open_per_source changes take effect at the next restart");
    next.daemon.max_half_open = config_.daemon.max_half_open;
    next.daemon.max_half_open_per_source = config_.daemon.max_half_open_per_source;
  }
  if (!options_.log_levels && next.daemon.log_level != config_.daemon.log_level) {
    if (auto error = apply_log_levels(next.daemon.log_level)) notes.push_back(*error);
  }
  config_ = std::move(next);
  apply_shunts();
  update_carriers();  // a trap connection re-added with other settings
  cleartext_filter_->set_enabled(config_.daemon.drop_cleartext);
  cleartext_filter_->release();
  carry_out(now);
  reconcile_routes();
  notifier_.ready(sa_counts(now), now);
  log(Subsystem::Daemon)
      .info("reloaded: {} added, {} removed, {} changed, {} unchanged", diff.added.size(),
            diff.removed.size(), diff.changed.size(), diff.unchanged.size());
  publish_notice("reloaded", std::to_string(diff.added.size()) + " added, " +
                                 std::to_string(diff.removed.size()) + " removed, " +
                                 std::to_string(diff.changed.size()) + " changed, " +
                                 std::to_string(diff.unchanged.size()) + " unchanged");
  return control::ok_response({{"added", diff.added},
                               {"removed", diff.removed},
                               {"changed", diff.changed},
                               {"unchanged", diff.unchanged},
                               {"notes", notes}});
}

}  // namespace cygnet::daemon
