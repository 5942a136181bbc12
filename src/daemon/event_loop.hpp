// A single-threaded epoll loop: file descriptors with callbacks, one deadline (the IKE engine's
// next timer), and SIGTERM/SIGINT/SIGHUP delivered through a signalfd so handlers run in the loop
// rather than in signal context.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "base/time.hpp"

namespace cygnet::daemon {

class EventLoop {
 public:
  using Handler = std::function<void()>;

  EventLoop();  // throws std::system_error
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Calls `on_readable` whenever `fd` has data (level-triggered).
  void watch(int fd, Handler on_readable);
  void unwatch(int fd);  // also forgets its writable handler
  // While set, also calls `on_writable` whenever the watched `fd` can take more data (for
  // non-blocking clients with queued output); an empty handler stops that.
  void watch_writable(int fd, Handler on_writable);

  // Blocks SIGTERM, SIGINT and SIGHUP for the process and delivers them here.
  void on_signals(std::function<void(int signal)> handler);

  // Runs until stop(). Before each wait, `next_deadline` says when `on_deadline` must run.
  void run(std::function<std::optional<TimePoint>()> next_deadline, Handler on_deadline);
  void stop() { running_ = false; }

 private:
  int epoll_fd_ = -1;
  int signal_fd_ = -1;
  bool running_ = false;
  std::map<int, std::shared_ptr<Handler>> handlers_;  // shared: a handler may unwatch itself
  std::map<int, std::shared_ptr<Handler>> writable_handlers_;
  std::function<void(int)> signal_handler_;
};

}  // namespace cygnet::daemon
