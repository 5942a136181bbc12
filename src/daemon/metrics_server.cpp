#include "daemon/metrics_server.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

#include "daemon/http_request.hpp"
#include "daemon/logging.hpp"
#include "daemon/prometheus_text.hpp"

namespace cygnet::daemon {

MetricsServer::MetricsServer(EventLoop& loop, const config::ListenEndpoint& at, Render render)
    : loop_(loop), render_(std::move(render)) {
  const bool v4 = at.address.is_v4();
  listen_fd_ = ::socket(v4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::system_error(errno, std::generic_category(), "metrics socket");
  const int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_storage storage{};
  socklen_t length = 0;
  const auto bytes = at.address.bytes();
  if (v4) {
    auto* a = reinterpret_cast<sockaddr_in*>(&storage);
    a->sin_family = AF_INET;
    a->sin_port = htons(at.port);
    std::memcpy(&a->sin_addr, bytes.data(), 4);
    length = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&storage);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(at.port);
    std::memcpy(&a->sin6_addr, bytes.data(), 16);
    setsockopt(listen_fd_, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    length = sizeof *a;
  }
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&storage), length) != 0 ||
      ::listen(listen_fd_, 16) != 0) {
    const int error = errno;
    ::close(listen_fd_);
    throw std::system_error(error, std::generic_category(), "metrics endpoint " + at.to_string());
  }
  loop_.watch(listen_fd_, [this] { on_accept(); });
}

MetricsServer::~MetricsServer() {
  while (!clients_.empty()) close_client(clients_.begin()->first);
  if (listen_fd_ >= 0) {
    loop_.unwatch(listen_fd_);
    ::close(listen_fd_);
  }
}

void MetricsServer::on_accept() {
  for (;;) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN: all taken; anything else: the client is gone already
    if (clients_.size() >= kMaxClients) {
      ++refused_;
      ::close(fd);
      continue;
    }
    clients_[fd].deadline = Clock::now() + kClientDeadline;
    loop_.watch(fd, [this, fd] { on_readable(fd); });
  }
}

void MetricsServer::on_readable(int fd) {
  auto it = clients_.find(fd);
  if (it == clients_.end()) return;
  Client& client = it->second;
  if (!client.response.empty()) {
    // Answered already: anything more is ignored; end of file or an error ends the connection.
    char scratch[512];
    const ssize_t n = ::recv(fd, scratch, sizeof scratch, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) close_client(fd);
    return;
  }
  char buffer[2048];
  const ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
    close_client(fd);
    return;
  }
  if (n < 0) return;
  client.received.append(buffer, static_cast<std::size_t>(n));
  const HttpRequest request = parse_http_request(client.received);
  switch (request.outcome) {
    case HttpRequest::Outcome::Incomplete: return;
    case HttpRequest::Outcome::Bad:
      ++bad_requests_;
      log(Subsystem::Control).debug("metrics: refused request: {}", request.error);
      answer(fd, client,
             http_response(request.error_status, "text/plain; charset=utf-8", request.error + "\n"));
      return;
    case HttpRequest::Outcome::Complete: break;
  }
  if (request.method != "GET" && request.method != "HEAD") {
    answer(fd, client, http_response(405, "text/plain; charset=utf-8", "only GET is served\n"));
  } else if (request.path != "/metrics") {
    answer(fd, client, http_response(404, "text/plain; charset=utf-8", "metrics are at /metrics\n"));
  } else {
    ++scrapes_;
    std::string response = http_response(200, kPrometheusContentType, render_());
    if (request.method == "HEAD") response.erase(response.find("\r\n\r\n") + 4);
    answer(fd, client, std::move(response));
  }
}

void MetricsServer::answer(int fd, Client& client, std::string response) {
  client.response = std::move(response);
  client.sent = 0;
  client.received.clear();
  client.received.shrink_to_fit();
  flush(fd);
}

void MetricsServer::flush(int fd) {
  auto it = clients_.find(fd);
  if (it == clients_.end()) return;
  Client& client = it->second;
  while (client.sent < client.response.size()) {
    const ssize_t n = ::send(fd, client.response.data() + client.sent, client.response.size() - client.sent,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      client.sent += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      loop_.watch_writable(fd, [this, fd] { flush(fd); });
      return;
    } else {
      close_client(fd);
      return;
    }
  }
  // All sent: half-close so the client sees the end; closing at once could reset the connection
  // (and lose the answer) if the client's bytes are still unread. It closes, or the deadline ends it.
  loop_.watch_writable(fd, {});
  ::shutdown(fd, SHUT_WR);
}

void MetricsServer::close_client(int fd) {
  loop_.unwatch(fd);
  ::close(fd);
  clients_.erase(fd);
}

void MetricsServer::expire(TimePoint now) {
  std::vector<int> late;
  for (const auto& [fd, client] : clients_)
    if (now >= client.deadline) late.push_back(fd);
  for (int fd : late) close_client(fd);
}

}  // namespace cygnet::daemon
