// GET /metrics over HTTP/1.x from the daemon's epoll loop: a non-blocking listener and at most
// kMaxClients non-blocking clients, each with a bounded request buffer and a deadline, so a slow or
// hostile scraper costs a few kilobytes and never stalls the packet path. 404 for other paths, 405
// for other methods; the connection closes after each answer.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "base/time.hpp"
#include "config/listen_endpoint.hpp"
#include "daemon/event_loop.hpp"

namespace cygnet::daemon {

class MetricsServer {
 public:
  static constexpr std::size_t kMaxClients = 8;
  static constexpr Seconds kClientDeadline{5};  // to send the request and read the answer

  // Builds the body of one scrape.
  using Render = std::function<std::string()>;

  // Listens on `at` (SO_REUSEADDR). Throws std::system_error naming the address on failure.
  MetricsServer(EventLoop& loop, const config::ListenEndpoint& at, Render render);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Closes clients past their deadline (call about once a second).
  void expire(TimePoint now);

  std::uint64_t scrapes() const { return scrapes_; }
  std::uint64_t refused() const { return refused_; }
  std::uint64_t bad_requests() const { return bad_requests_; }

 private:
  struct Client {
    std::string received;
    std::string response;
    std::size_t sent = 0;
    TimePoint deadline;
  };
  void on_accept();
  void on_readable(int fd);
  void answer(int fd, Client& client, std::string response);
  void flush(int fd);
  void close_client(int fd);

  EventLoop& loop_;
  Render render_;
  int listen_fd_ = -1;
  std::map<int, Client> clients_;
  std::uint64_t scrapes_ = 0;
  std::uint64_t refused_ = 0;
  std::uint64_t bad_requests_ = 0;
};

}  // namespace cygnet::daemon
