#include "daemon/control_clients.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "daemon/logging.hpp"
#include "daemon/send_pending.hpp"

namespace cygnet::daemon {

namespace {
PeerCredentials peer_credentials(int fd) {
  ucred cred{};
  socklen_t length = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) return {};
  return PeerCredentials{true, cred.pid, cred.uid};
}
}  // namespace

ControlClients::ControlClients(EventLoop& loop, RequestHandler handler, ControlClientLimits limits)
    : loop_(loop), handler_(std::move(handler)), limits_(limits) {}

ControlClients::~ControlClients() {
  for (const auto& [fd, client] : clients_) {
    loop_.unwatch(fd);
    ::close(fd);
  }
}

bool ControlClients::add(int fd, TimePoint now) {
  const PeerCredentials peer = peer_credentials(fd);
  if (clients_.size() >= limits_.max_clients) {
    ++refused_;
    log(Subsystem::Control)
        .warn("control client pid {} uid {} refused: {} clients already being served", peer.pid, peer.uid,
              clients_.size());
    ::close(fd);
    return false;
  }
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    ::close(fd);
    return false;
  }
  clients_[fd] = Client{now + limits_.deadline, peer, {}, {}, false};
  loop_.watch(fd, [this, fd] { on_readable(fd); });
  return true;
}

void ControlClients::on_readable(int fd) {
  char buffer[4096];
  for (;;) {
    auto it = clients_.find(fd);
    if (it == clients_.end()) return;
    Client& client = it->second;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {  // end of file or error: the client left (before or after its request)
      remove(fd);
      return;
    }
    if (client.answered) continue;  // one request per connection: anything after it is ignored
    client.request.append(buffer, static_cast<std::size_t>(n));
    const std::size_t newline = client.request.find('\n');
    if (newline != std::string::npos) {
      const std::string line = client.request.substr(0, newline);
      client.request.clear();
      on_line(fd, line);
      continue;
    }
    if (client.request.size() > limits_.max_request_bytes) {
      ++bad_requests_;
      log(Subsystem::Control)
          .info("control client pid {} uid {}: request longer than {} bytes refused", client.peer.pid,
                client.peer.uid, limits_.max_request_bytes);
      client.request.clear();
      answer(fd, control::error_response("reading request: message too long"));
    }
  }
}

void ControlClients::on_line(int fd, const std::string& line) {
  Client& client = clients_.at(fd);
  std::string invalid;
  auto request = control::parse_request(line, invalid);
  if (!request) {
    ++bad_requests_;
    log(Subsystem::Control)
        .info("control client pid {} uid {}: bad request: {}", client.peer.pid, client.peer.uid, invalid);
    answer(fd, control::error_response(invalid));
    return;
  }
  log(Subsystem::Control)
      .debug("request {} from pid {} uid {}", request->value("command", std::string()), client.peer.pid,
             client.peer.uid);
  // Unwatched while the handler runs: it may take the fd over and watch it itself.
  loop_.unwatch(fd);
  const PeerCredentials peer = client.peer;
  std::optional<nlohmann::json> response = handler_(*request, fd, peer);
  if (!response) {
    clients_.erase(fd);  // now someone else's
    return;
  }
  loop_.watch(fd, [this, fd] { on_readable(fd); });
  answer(fd, *response);
}

void ControlClients::answer(int fd, const nlohmann::json& response) {
  Client& client = clients_.at(fd);
  client.answered = true;
  // Strings from the network (peer identities) may not be UTF-8: replace rather than throw.
  client.pending = response.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  client.pending += '\n';
  flush(fd);
}

void ControlClients::flush(int fd) {
  auto it = clients_.find(fd);
  if (it == clients_.end()) return;
  switch (send_pending(fd, it->second.pending)) {
    case SendResult::WouldBlock: loop_.watch_writable(fd, [this, fd] { flush(fd); }); return;
    case SendResult::Closed:
      remove(fd);  // the client went away
      return;
    case SendResult::AllSent: break;
  }
  remove(fd);  // answered in full: one request per connection
}

void ControlClients::expire(TimePoint now) {
  std::vector<int> late;
  for (const auto& [fd, client] : clients_)
    if (client.deadline <= now) late.push_back(fd);
  for (int fd : late) {
    const Client& client = clients_.at(fd);
    ++timed_out_;
    log(Subsystem::Control)
        .warn("control client pid {} uid {} dropped: {} after {} ms", client.peer.pid, client.peer.uid,
              client.answered ? "did not read its answer" : "no complete request", limits_.deadline.count());
    remove(fd);
  }
}

std::optional<TimePoint> ControlClients::next_deadline() const {
  std::optional<TimePoint> earliest;
  for (const auto& [fd, client] : clients_)
    if (!earliest || client.deadline < *earliest) earliest = client.deadline;
  return earliest;
}

void ControlClients::remove(int fd) {
  loop_.unwatch(fd);
  ::close(fd);
  clients_.erase(fd);
}

}  // namespace cygnet::daemon
