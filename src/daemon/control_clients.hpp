// cygnetctl's connections to the control socket, each a non-blocking fd in the event loop: the
// request line is accumulated as it arrives, the answer written as the socket takes it. Every
// client has one deadline (accept + `deadline`) for both; one that is too slow — never sends a
// whole line, never reads its answer — is dropped then, so no client can stall the packet path.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/time.hpp"
#include "control/control_protocol.hpp"
#include "daemon/event_loop.hpp"

namespace cygnet::daemon {

// The connecting process (SO_PEERCRED), read once at accept.
struct PeerCredentials {
  bool known = false;
  pid_t pid = -1;
  uid_t uid = static_cast<uid_t>(-1);
};

struct ControlClientLimits {
  std::size_t max_clients = 16;  // connections being served at once; more are refused
  Milliseconds deadline{2000};   // from accept to the last byte of the answer
  std::size_t max_request_bytes = control::kMaxRequestBytes;
};

class ControlClients {
 public:
  // Answers one valid request. nullopt: the handler took the fd over (`monitor`); it is then no
  // longer watched or closed here.
  using RequestHandler = std::function<std::optional<nlohmann::json>(const nlohmann::json& request, int fd,
                                                                     const PeerCredentials& peer)>;

  ControlClients(EventLoop& loop, RequestHandler handler, ControlClientLimits limits = {});
  ~ControlClients();  // closes every client
  ControlClients(const ControlClients&) = delete;
  ControlClients& operator=(const ControlClients&) = delete;

  // Takes ownership of an accepted stream fd (made non-blocking here). False — the fd closed,
  // counted as refused — when max_clients are already being served.
  bool add(int fd, TimePoint now);
  // Drops the clients whose deadline has passed (call when next_deadline() is due).
  void expire(TimePoint now);
  std::optional<TimePoint> next_deadline() const;

  std::size_t size() const { return clients_.size(); }
  const ControlClientLimits& limits() const { return limits_; }
  std::uint64_t refused() const { return refused_; }
  std::uint64_t timed_out() const { return timed_out_; }
  std::uint64_t bad_requests() const { return bad_requests_; }

 private:
  struct Client {
    TimePoint deadline;
    PeerCredentials peer;
    std::string request;    // bytes received, no newline yet
    std::string pending;    // answer bytes not yet written
    bool answered = false;  // request handled: only the answer's bytes remain
  };
  void on_readable(int fd);
  void on_line(int fd, const std::string& line);
  void answer(int fd, const nlohmann::json& response);
  void flush(int fd);
  void remove(int fd);

  EventLoop& loop_;
  RequestHandler handler_;
  ControlClientLimits limits_;
  std::map<int, Client> clients_;
  std::uint64_t refused_ = 0;
  std::uint64_t timed_out_ = 0;
  std::uint64_t bad_requests_ = 0;
};

}  // namespace cygnet::daemon
