// Tells systemd (Type=notify) how cygnetd is doing: READY=1 once loaded, RELOADING=1/READY=1
// around a reload, STOPPING=1 on shutdown, a STATUS= line with the SA counts, and WATCHDOG=1
// keep-alives from the event loop at half the unit's WatchdogSec, so a stuck loop gets the
// daemon restarted. Without NOTIFY_SOCKET (not started by systemd) every call does nothing.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/time.hpp"

namespace cygnet::daemon {

struct SaCounts {
  std::size_t ike_sas = 0;
  std::size_t child_sas = 0;
};

// "2 IKE SAs, 3 CHILD SAs" (the STATUS= text `systemctl status` shows).
std::string sa_status_text(const SaCounts& counts);

class ServiceNotifier {
 public:
  // Receives one sd_notify state string, e.g. "READY=1\nSTATUS=...".
  using Writer = std::function<void(std::string_view state)>;

  // From the environment systemd sets: NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID.
  static ServiceNotifier from_environment();
  // For tests: `writer` receives every message; `watchdog_interval` as if WatchdogSec were set.
  ServiceNotifier(Writer writer, std::optional<Duration> watchdog_interval);

  bool enabled() const { return static_cast<bool>(writer_); }
  std::optional<Duration> watchdog_interval() const { return watchdog_interval_; }

  void ready(const SaCounts& counts, TimePoint now);
  void reloading();  // RELOADING=1 with MONOTONIC_USEC (systemd.service(5), Type=notify-reload)
  void stopping();

  // Called from every turn of the event loop: a WATCHDOG=1 when half the interval has passed,
  // a fresh STATUS= when the counts changed (at most every kStatusInterval).
  // `counts` is asked only when a STATUS= is due.
  void on_tick(TimePoint now, const std::function<SaCounts()>& counts);
  // The latest time on_tick must run for the watchdog (none without a watchdog).
  std::optional<TimePoint> next_deadline() const;

  static constexpr Duration kStatusInterval = std::chrono::seconds(5);

 private:
  void send(std::string_view state) const;

  Writer writer_;
  std::optional<Duration> watchdog_interval_;
  TimePoint next_watchdog_{};
  TimePoint next_status_{};
  std::string last_status_;
};

}  // namespace cygnet::daemon
