// Shared by the control and cli tests: a temporary directory for socket paths and a fake cygnetd
// that serves a Unix socket from a thread, so the real client code runs against a real socket.
#pragma once

#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "control/control_protocol.hpp"

namespace cygnet::control::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "cygnet-ctl-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::system_error(errno, std::generic_category(), "mkdtemp");
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    reset(std::exchange(other.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

struct SocketPair {
  UniqueFd a;
  UniqueFd b;
};

inline SocketPair socket_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    throw std::system_error(errno, std::generic_category(), "socketpair");
  }
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// A Unix stream socket bound to `path`; listening unless `listen` is false (then connecting to it
// is refused).
inline UniqueFd bind_unix(const std::string& path, bool listen = true) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), std::min(path.size(), sizeof(address.sun_path) - 1));
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    throw std::system_error(errno, std::generic_category(), "bind " + path);
  }
  if (listen && ::listen(fd.get(), 8) != 0) {
    throw std::system_error(errno, std::generic_category(), "listen");
  }
  return fd;
}

// Serves every connection to `path` with `handler(client_fd)` on a thread until destroyed.
class FakeServer {
 public:
  using Handler = std::function<void(int client_fd)>;

  FakeServer(const std::string& path, Handler handler)
      : listener_(bind_unix(path)), thread_([this, handler = std::move(handler)] { serve(handler); }) {}
  ~FakeServer() {
    stop_ = true;
    thread_.join();
  }
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

 private:
  void serve(const Handler& handler) {
    while (!stop_) {
      pollfd entry{listener_.get(), POLLIN, 0};
      if (::poll(&entry, 1, 10) <= 0) continue;  // wake up regularly to notice stop_
      UniqueFd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (client.get() >= 0) handler(client.get());
    }
  }

  UniqueFd listener_;
  std::atomic<bool> stop_{false};
  std::thread thread_;  // last: starts after the members it uses exist
};

// A fake cygnetd: reads each request with the real protocol code and answers with `answer`
// (validated requests only; an invalid one gets error_response). Records the requests.
class FakeDaemon {
 public:
  using Answer = std::function<nlohmann::json(const nlohmann::json& request)>;

  FakeDaemon(const std::string& path, Answer answer)
      : answer_(std::move(answer)), server_(path, [this](int fd) { handle(fd); }) {}

  std::vector<nlohmann::json> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void handle(int fd) {
    std::string error;
    const std::optional<nlohmann::json> message = read_message(fd, std::chrono::seconds(5), error);
    if (!message) return;
    const std::optional<nlohmann::json> request = validate_request(*message, error);
    if (!request) {
      write_message(fd, error_response(error));
      return;
    }
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(*request);
    }
    write_message(fd, answer_(*request));
  }

  Answer answer_;
  mutable std::mutex mutex_;
  std::vector<nlohmann::json> requests_;
  FakeServer server_;  // last: its thread calls handle(), which uses the members above
};

}  // namespace cygnet::control::testing
