#include "daemon/event_subscribers.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "base/time.hpp"
#include "daemon/logging.hpp"
#include "daemon/send_pending.hpp"

namespace cygnet::daemon {

EventSubscribers::EventSubscribers(EventLoop& loop, EventSubscriberLimits limits)
    : loop_(loop), limits_(limits) {}

EventSubscribers::~EventSubscribers() {
  for (const auto& [fd, subscriber] : subscribers_) {
    loop_.unwatch(fd);
    ::close(fd);
  }
}

bool EventSubscribers::add(int fd) {
  if (subscribers_.size() >= limits_.max_subscribers) {
    ++refused_;
    ::close(fd);
    return false;
  }
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    ::close(fd);
    return false;
  }
  subscribers_[fd] = Subscriber{};
  loop_.watch(fd, [this, fd] { on_readable(fd); });
  return true;
}

void EventSubscribers::publish(const nlohmann::json& event) {
  if (subscribers_.empty()) return;
  // Strings from the network (peer identities) may not be UTF-8: replace rather than throw.
  std::string line = event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line += '\n';
  std::vector<int> fds;
  for (const auto& [fd, subscriber] : subscribers_) fds.push_back(fd);
  for (int fd : fds) {
    Subscriber& s = subscribers_.at(fd);
    if (s.pending.size() + line.size() > limits_.max_buffered_bytes) {
      ++disconnected_slow_;
      log(Subsystem::Control)
          .warn("monitor client not reading: disconnected ({} bytes queued)", s.pending.size());
      remove(fd);
      continue;
    }
    s.pending += line;
    flush(fd);
  }
}

void EventSubscribers::flush(int fd) {
  auto it = subscribers_.find(fd);
  if (it == subscribers_.end()) return;
  switch (send_pending(fd, it->second.pending)) {
    case SendResult::WouldBlock: loop_.watch_writable(fd, [this, fd] { flush(fd); }); return;
    case SendResult::Closed:
      remove(fd);  // the client went away
      return;
    case SendResult::AllSent: break;
  }
  loop_.watch_writable(fd, {});
}

void EventSubscribers::on_readable(int fd) {
  // A monitor client sends nothing after its request: data is ignored, end of file means it left.
  char scratch[512];
  for (;;) {
    const ssize_t n = ::recv(fd, scratch, sizeof scratch, MSG_DONTWAIT);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    remove(fd);
    return;
  }
}

void EventSubscribers::remove(int fd) {
  loop_.unwatch(fd);
  ::close(fd);
  subscribers_.erase(fd);
}

void EventSubscribers::close_all(const nlohmann::json& last, std::chrono::milliseconds flush_for) {
  publish(last);
  const TimePoint deadline = Clock::now() + flush_for;
  for (;;) {
    std::vector<pollfd> waiting;
    for (const auto& [fd, s] : subscribers_)
      if (!s.pending.empty()) waiting.push_back(pollfd{fd, POLLOUT, 0});
    const auto left = std::chrono::duration_cast<Milliseconds>(deadline - Clock::now()).count();
    if (waiting.empty() || left <= 0) break;
    if (::poll(waiting.data(), waiting.size(), static_cast<int>(left)) <= 0) break;
    for (const pollfd& p : waiting)
      if (p.revents != 0) flush(p.fd);
  }
  while (!subscribers_.empty()) remove(subscribers_.begin()->first);
}

}  // namespace cygnet::daemon
