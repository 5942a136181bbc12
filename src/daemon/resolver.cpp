#include "daemon/resolver.hpp"

#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <optional>
#include <system_error>
#include <utility>

namespace cygnet::daemon {
namespace {

std::optional<wire::IpAddress> address_of(const addrinfo& ai) {
  if (ai.ai_family == AF_INET && ai.ai_addrlen >= sizeof(sockaddr_in)) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(ai.ai_addr);
    return wire::IpAddress::v4(ByteView(reinterpret_cast<const std::uint8_t*>(&sin->sin_addr), 4));
  }
  if (ai.ai_family == AF_INET6 && ai.ai_addrlen >= sizeof(sockaddr_in6)) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(ai.ai_addr);
    return wire::IpAddress::v6(ByteView(reinterpret_cast<const std::uint8_t*>(&sin6->sin6_addr), 16));
  }
  return std::nullopt;
}

}  // namespace

Resolution resolve_hosts(std::string connection, std::vector<std::string> hosts) {
  Resolution r{std::move(connection), std::move(hosts), {}, {}};
  std::vector<std::string> failures;
  for (const std::string& host : r.hosts) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* found = nullptr;
    const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found);
    if (rc != 0) {
      failures.push_back(host + ": " +
                         (rc == EAI_SYSTEM ? std::system_category().message(errno) : gai_strerror(rc)));
      continue;
    }
    const std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owned(found, freeaddrinfo);
    for (const addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
      const auto address = address_of(*ai);
      if (address && std::find(r.addresses.begin(), r.addresses.end(), *address) == r.addresses.end())
        r.addresses.push_back(*address);
    }
  }
  if (r.addresses.empty()) {
    for (const std::string& f : failures) r.error += (r.error.empty() ? "" : "; ") + f;
    if (r.error.empty()) r.error = "no IPv4 or IPv6 address";
  }
  return r;
}

Resolver::Resolver() {
  event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (event_fd_ < 0) throw std::system_error(errno, std::system_category(), "eventfd for the resolver");
  // The worker starts with every signal blocked: SIGTERM/SIGHUP belong to the event loop's
  // signalfd, and a thread that left them unblocked would take them with their default action.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  worker_ = std::thread([this] { work(); });
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

Resolver::~Resolver() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();
  close(event_fd_);
}

void Resolver::resolve(std::string connection, std::vector<std::string> hosts) {
  {
    const std::lock_guard lock(mutex_);
    requests_.push_back(Resolution{std::move(connection), std::move(hosts), {}, {}});
  }
  wake_.notify_one();
}

std::vector<Resolution> Resolver::take_results() {
  // The worker adds a result and signals under the lock: clearing the signal under it too means
  // the fd is readable exactly when results are waiting (no stale wake-up after a take).
  const std::lock_guard lock(mutex_);
  std::uint64_t count = 0;
  while (read(event_fd_, &count, sizeof count) < 0 && errno == EINTR) {
  }
  return std::exchange(results_, {});
}

void Resolver::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !requests_.empty(); });
    if (stopping_) return;
    Resolution request = std::move(requests_.front());
    requests_.pop_front();
    lock.unlock();
    Resolution done = resolve_hosts(std::move(request.connection), std::move(request.hosts));
    lock.lock();
    results_.push_back(std::move(done));
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = write(event_fd_, &one, sizeof one);  // cannot overflow: 2^64-2
  }
}

}  // namespace cygnet::daemon
