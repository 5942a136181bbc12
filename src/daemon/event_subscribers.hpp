// `cygnetctl monitor` clients: control connections that stay open after the "monitor" request and
// receive one JSON line per event. Each subscriber is a non-blocking fd in the event loop with a
// bounded output buffer: one that stops reading is disconnected (and counted), it never stalls
// the packet path.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "daemon/event_loop.hpp"

namespace cygnet::daemon {

struct EventSubscriberLimits {
  std::size_t max_subscribers = 16;
  std::size_t max_buffered_bytes = 256 * 1024;  // per subscriber, not yet written
};

class EventSubscribers {
 public:
  explicit EventSubscribers(EventLoop& loop, EventSubscriberLimits limits = {});
  ~EventSubscribers();  // closes every subscriber
  EventSubscribers(const EventSubscribers&) = delete;
  EventSubscribers& operator=(const EventSubscribers&) = delete;

  // Takes ownership of a connected stream fd (made non-blocking here). False — the fd closed,
  // counted as refused — when max_subscribers are already listening.
  bool add(int fd);
  // Queues `event` as one line for every subscriber and writes what each socket takes now.
  void publish(const nlohmann::json& event);
  // Shutdown: publishes `last`, gives everyone up to `flush_for` to take their queued lines, then
  // closes them all.
  void close_all(const nlohmann::json& last, std::chrono::milliseconds flush_for);

  std::size_t size() const { return subscribers_.size(); }
  const EventSubscriberLimits& limits() const { return limits_; }
  std::uint64_t disconnected_slow() const { return disconnected_slow_; }
  std::uint64_t refused() const { return refused_; }

 private:
  struct Subscriber {
    std::string pending;  // bytes not yet written
  };
  void flush(int fd);
  void on_readable(int fd);
  void remove(int fd);

  EventLoop& loop_;
  EventSubscriberLimits limits_;
  std::map<int, Subscriber> subscribers_;
  std::uint64_t disconnected_slow_ = 0;
  std::uint64_t refused_ = 0;
};

}  // namespace cygnet::daemon
