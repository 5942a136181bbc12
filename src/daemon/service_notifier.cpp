#include "daemon/service_notifier.hpp"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <cstdint>
#include <cstdlib>

namespace cygnet::daemon {

std::string sa_status_text(const SaCounts& counts) {
  return std::to_string(counts.ike_sas) + (counts.ike_sas == 1 ? " IKE SA, " : " IKE SAs, ") +
         std::to_string(counts.child_sas) + (counts.child_sas == 1 ? " CHILD SA" : " CHILD SAs");
}

ServiceNotifier ServiceNotifier::from_environment() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  if (socket == nullptr || *socket == '\0') return ServiceNotifier(nullptr, std::nullopt);
  std::optional<Duration> watchdog;
  std::uint64_t usec = 0;
  // > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID (if any) is this process.
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) watchdog = std::chrono::microseconds(usec);
  // sd_notify failures are not fatal: systemd then restarts or times us out, which is its job.
  return ServiceNotifier([](std::string_view state) { sd_notify(0, std::string(state).c_str()); }, watchdog);
}

ServiceNotifier::ServiceNotifier(Writer writer, std::optional<Duration> watchdog_interval)
    : writer_(std::move(writer)), watchdog_interval_(watchdog_interval) {}

void ServiceNotifier::send(std::string_view state) const {
  if (writer_) writer_(state);
}

void ServiceNotifier::ready(const SaCounts& counts, TimePoint now) {
  last_status_ = sa_status_text(counts);
  send("READY=1\nSTATUS=" + last_status_);
  next_status_ = now + kStatusInterval;
  if (watchdog_interval_) {
    send("WATCHDOG=1");
    next_watchdog_ = now + *watchdog_interval_ / 2;
  }
}

void ServiceNotifier::reloading() {
  if (!enabled()) return;
  timespec monotonic{};
  clock_gettime(CLOCK_MONOTONIC, &monotonic);
  const std::uint64_t usec = static_cast<std::uint64_t>(monotonic.tv_sec) * 1000000u +
                             static_cast<std::uint64_t>(monotonic.tv_nsec) / 1000u;
  send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

void ServiceNotifier::stopping() {
  send("STOPPING=1\nSTATUS=stopping: deleting SAs");
}

void ServiceNotifier::on_tick(TimePoint now, const std::function<SaCounts()>& counts) {
  if (!enabled()) return;
  if (watchdog_interval_ && now >= next_watchdog_) {
    send("WATCHDOG=1");
    next_watchdog_ = now + *watchdog_interval_ / 2;
  }
  if (now >= next_status_) {
    next_status_ = now + kStatusInterval;
    std::string status = sa_status_text(counts());
    if (status != last_status_) {
      last_status_ = std::move(status);
      send("STATUS=" + last_status_);
    }
  }
}

std::optional<TimePoint> ServiceNotifier::next_deadline() const {
  if (!enabled() || !watchdog_interval_) return std::nullopt;
  return next_watchdog_;
}

}  // namespace cygnet::daemon
