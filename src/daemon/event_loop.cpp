#include "daemon/event_loop.hpp"

#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <system_error>

namespace cygnet::daemon {

namespace {
[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}
}  // namespace

EventLoop::EventLoop() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw_errno("epoll_create1");
}

EventLoop::~EventLoop() {
  if (signal_fd_ >= 0) close(signal_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

void EventLoop::watch(int fd, Handler on_readable) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) throw_errno("epoll_ctl(ADD)");
  handlers_[fd] = std::make_shared<Handler>(std::move(on_readable));
}

void EventLoop::unwatch(int fd) {
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  handlers_.erase(fd);
  writable_handlers_.erase(fd);
}

void EventLoop::watch_writable(int fd, Handler on_writable) {
  epoll_event ev{};
  ev.events = EPOLLIN | (on_writable ? EPOLLOUT : 0u);
  ev.data.fd = fd;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) != 0) throw_errno("epoll_ctl(MOD)");
  if (on_writable) {
    writable_handlers_[fd] = std::make_shared<Handler>(std::move(on_writable));
  } else {
    writable_handlers_.erase(fd);
  }
}

void EventLoop::on_signals(std::function<void(int)> handler) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  if (sigprocmask(SIG_BLOCK, &set, nullptr) != 0) throw_errno("sigprocmask");
  signal_fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd_ < 0) throw_errno("signalfd");
  signal_handler_ = std::move(handler);
  watch(signal_fd_, [this] {
    signalfd_siginfo info{};
    while (read(signal_fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      signal_handler_(static_cast<int>(info.ssi_signo));
    }
  });
}

void EventLoop::run(std::function<std::optional<TimePoint>()> next_deadline, Handler on_deadline) {
  running_ = true;
  std::array<epoll_event, 32> events{};
  while (running_) {
    int timeout_ms = -1;
    if (auto deadline = next_deadline()) {
      const auto wait = std::chrono::ceil<Milliseconds>(*deadline - Clock::now()).count();
      timeout_ms = wait <= 0 ? 0 : static_cast<int>(std::min<long long>(wait, 60'000));
    }
    const int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("epoll_wait");
    }
    for (int i = 0; i < n && running_; ++i) {
      const epoll_event& event = events[static_cast<std::size_t>(i)];
      const int fd = event.data.fd;
      if (event.events & EPOLLOUT) {
        if (auto w = writable_handlers_.find(fd); w != writable_handlers_.end()) {
          std::shared_ptr<Handler> handler = w->second;
          (*handler)();
        }
        if (!(event.events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
      }
      auto it = handlers_.find(fd);
      if (it != handlers_.end()) {
        std::shared_ptr<Handler> handler = it->second;
        (*handler)();
      }
    }
    if (auto deadline = next_deadline(); running_ && deadline && *deadline <= Clock::now()) on_deadline();
  }
}

}  // namespace cygnet::daemon
