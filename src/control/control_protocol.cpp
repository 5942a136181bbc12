#include "control/control_protocol.hpp"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

namespace cygnet::control {
namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

// Our messages nest about seven levels; a deeper one is garbage or an attempt to make a
// recursive consumer (dump, logging) run out of stack.
constexpr int kMaxNestingDepth = 64;
// write_message on a non-blocking fd waits this long for a client that stops reading.
constexpr std::chrono::milliseconds kWriteStallLimit{5000};
constexpr std::size_t kReadChunkBytes = 64 * 1024;

class UniqueFd {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string errno_text(int error_number) {
  return std::strerror(error_number);
}

// "5 s", "1.5 s", "200 ms": the timeout as the user gave it.
std::string describe(std::chrono::milliseconds timeout) {
  const auto ms = timeout.count();
  if (ms < 1000) return std::to_string(ms) + " ms";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms / 1000) + "." + std::to_string((ms % 1000) / 100) + " s";
}

// Milliseconds left until `deadline`, rounded up so poll() never spins on a sub-millisecond rest.
int milliseconds_until(Clock::time_point deadline) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 24LL * 3600 * 1000));
}

// nlohmann's messages start with "[json.exception.parse_error.101] "; people need only the rest.
std::string without_exception_tag(const char* what) {
  std::string_view text(what);
  if (text.starts_with("[json.exception.")) {
    const auto end = text.find("] ");
    if (end != std::string_view::npos) text.remove_prefix(end + 2);
  }
  return std::string(text);
}

std::optional<json> parse_json(std::string_view text, std::string& error) {
  bool too_deep = false;
  const json::parser_callback_t depth_limit = [&too_deep](int depth, json::parse_event_t, json&) {
    if (depth > kMaxNestingDepth) too_deep = true;
    return !too_deep;  // stop keeping values once too deep
  };
  try {
    json value = json::parse(text, depth_limit);
    if (too_deep) {
      error = "invalid JSON: nested more than " + std::to_string(kMaxNestingDepth) + " levels";
      return std::nullopt;
    }
    return value;
  } catch (const json::exception& e) {
    error = "invalid JSON: " + without_exception_tag(e.what());
    return std::nullopt;
  }
}

// send() with MSG_NOSIGNAL so a vanished peer is an error, not a SIGPIPE; write() for non-sockets.
ssize_t write_some(int fd, const char* data, std::size_t size) {
  const ssize_t sent = ::send(fd, data, size, MSG_NOSIGNAL);
  if (sent < 0 && errno == ENOTSOCK) return ::write(fd, data, size);
  return sent;
}

bool wait_for(int fd, short events, int timeout_ms) {
  pollfd entry{fd, events, 0};
  for (;;) {
    const int ready = ::poll(&entry, 1, timeout_ms);
    if (ready > 0) return true;
    if (ready == 0) {
      errno = ETIMEDOUT;
      return false;
    }
    if (errno != EINTR) return false;
  }
}

// Reads what is available up to and including the first newline, never past it, so bytes after
// the line stay in the socket for the next read_message. Returns bytes consumed, 0 at EOF, -1 on
// error. `chunk` receives the consumed bytes.
ssize_t read_through_newline(int fd, std::vector<char>& chunk, bool& is_socket) {
  if (is_socket) {
    const ssize_t peeked = ::recv(fd, chunk.data(), chunk.size(), MSG_PEEK | MSG_DONTWAIT);
    if (peeked > 0) {
      const auto end = chunk.begin() + peeked;
      const auto newline = std::find(chunk.begin(), end, '\n');
      const auto take = static_cast<std::size_t>(newline == end ? peeked : newline - chunk.begin() + 1);
      return ::recv(fd, chunk.data(), take, MSG_DONTWAIT);
    }
    if (peeked == 0 || errno != ENOTSOCK) return peeked;
    is_socket = false;
  }
  return ::read(fd, chunk.data(), 1);  // pipes and files: a byte at a time keeps the same promise
}

}  // namespace

json ok_response(json result) {
  return json{{"ok", true}, {"result", std::move(result)}};
}

json error_response(std::string_view message) {
  return json{{"ok", false}, {"error", std::string(message)}};
}

bool write_message(int fd, const json& message) {
  // Strings from the network (peer identities) may not be UTF-8; replace rather than throw.
  std::string line = message.dump(-1, ' ', false, json::error_handler_t::replace);
  line += '\n';
  std::size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = write_some(fd, line.data() + written, line.size() - written);
    if (n > 0) {
      written += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_for(fd, POLLOUT, static_cast<int>(kWriteStallLimit.count()))) return false;
    } else {
      return false;
    }
  }
  return true;
}

std::optional<json> read_message(int fd, std::chrono::milliseconds timeout, std::string& error,
                                 std::size_t max_bytes) {
  const Clock::time_point deadline = Clock::now() + timeout;
  std::vector<char> chunk(kReadChunkBytes);
  std::string line;
  bool is_socket = true;
  for (;;) {
    if (!wait_for(fd, POLLIN, milliseconds_until(deadline))) {
      error = errno == ETIMEDOUT ? "timed out" : "read failed: " + errno_text(errno);
      return std::nullopt;
    }
    const ssize_t n = read_through_newline(fd, chunk, is_socket);
    // A peer that closes with our bytes unread resets the connection: closed all the same.
    if (n == 0 || (n < 0 && errno == ECONNRESET)) {
      error = line.empty() ? "connection closed" : "connection closed in the middle of a message";
      return std::nullopt;
    }
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      error = "read failed: " + errno_text(errno);
      return std::nullopt;
    }
    const bool complete = chunk[static_cast<std::size_t>(n) - 1] == '\n';
    line.append(chunk.data(), static_cast<std::size_t>(complete ? n - 1 : n));
    if (line.size() > max_bytes) {
      error = "message too long (more than " + std::to_string(max_bytes) + " bytes)";
      return std::nullopt;
    }
    if (complete) break;
  }
  if (line.ends_with('\r')) line.pop_back();  // tolerate CRLF from hand-typed requests (socat)
  return parse_json(line, error);
}

std::optional<json> call(const std::string& socket_path, const json& request,
                         std::chrono::milliseconds timeout, std::string& error) {
  const std::string where = "cygnetd at " + socket_path;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path.empty() || socket_path.size() >= sizeof(address.sun_path)) {
    error = "cannot connect to " + where + ": the socket path must have 1 to " +
            std::to_string(sizeof(address.sun_path) - 1) + " characters";
    return std::nullopt;
  }
  std::memcpy(address.sun_path, socket_path.data(), socket_path.size());

  const UniqueFd socket(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (socket.get() < 0) {
    error = "cannot create a Unix socket: " + errno_text(errno);
    return std::nullopt;
  }
  // A blocking connect to a Unix socket whose backlog is full waits up to SO_SNDTIMEO, and so do
  // the writes: this bounds both by the caller's timeout.
  const auto timeout_us = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
  const timeval send_timeout{static_cast<time_t>(timeout_us / 1'000'000),
                             static_cast<suseconds_t>(timeout_us % 1'000'000)};
  ::setsockopt(socket.get(), SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));

  int connected = 0;
  do {
    connected = ::connect(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address));
  } while (connected != 0 && errno == EINTR);
  if (connected != 0) {
    const int reason = errno;
    error = "cannot connect to " + where + ": ";
    switch (reason) {
      case ENOENT:
      case ECONNREFUSED: error += errno_text(reason) + " — is cygnetd running?"; break;
      case EACCES:
      case EPERM:
        error += errno_text(reason) + " — run cygnetctl as root (or as a user allowed to use the socket)";
        break;
      case EAGAIN:
      case EINPROGRESS:
      case ETIMEDOUT:
        error += "timed out after " + describe(timeout) + " — cygnetd is not accepting connections";
        break;
      default: error += errno_text(reason);
    }
    return std::nullopt;
  }

  if (!write_message(socket.get(), request)) {
    // A daemon that closes before reading (e.g. it refused the connection) shows up here as a
    // broken pipe or a reset, depending on timing: the same event as closing after reading.
    if (errno == EPIPE || errno == ECONNRESET) {
      error = where + " closed the connection without answering";
    } else {
      error = "cannot send the request to " + where + ": " + errno_text(errno);
    }
    return std::nullopt;
  }
  std::string read_error;
  std::optional<json> response = read_message(socket.get(), timeout, read_error);
  if (!response) {
    if (read_error == "timed out") {
      error = where + " did not answer within " + describe(timeout);
    } else if (read_error == "connection closed") {
      error = where + " closed the connection without answering";
    } else {
      error = "unusable answer from " + where + ": " + read_error;
    }
    return std::nullopt;
  }
  if (!response->is_object() || !response->contains("ok") || !(*response)["ok"].is_boolean()) {
    error = "unusable answer from " + where + ": not an object with a boolean \"ok\"";
    return std::nullopt;
  }
  return response;
}

std::optional<json> parse_request(std::string_view line, std::string& error) {
  if (line.ends_with('\n')) line.remove_suffix(1);
  if (line.ends_with('\r')) line.remove_suffix(1);
  if (line.size() > kMaxMessageBytes) {
    error = "message too long";
    return std::nullopt;
  }
  const std::optional<json> message = parse_json(line, error);
  if (!message) return std::nullopt;
  return validate_request(*message, error);
}

std::optional<json> validate_request(const json& message, std::string& error) {
  if (!message.is_object()) {
    error = "the request must be a JSON object";
    return std::nullopt;
  }
  const auto command = message.find("command");
  if (command == message.end()) {
    error = "the request has no \"command\"";
    return std::nullopt;
  }
  if (!command->is_string()) {
    error = "\"command\" must be a string";
    return std::nullopt;
  }
  const std::string& name_of_command = command->get_ref<const std::string&>();
  static constexpr std::array<std::string_view, 9> kCommands = {
      "status", "stats", "up", "down", "reload", "why", "monitor", "export-keys", "leases"};
  if (std::find(kCommands.begin(), kCommands.end(), name_of_command) == kCommands.end()) {
    // Quote a bounded prefix: the whole line may be megabytes.
    const std::string shown =
        name_of_command.size() > 40 ? name_of_command.substr(0, 40) + "…" : name_of_command;
    error = "unknown command '" + shown +
            "' (expected status, stats, up, down, reload, why, monitor, leases or export-keys)";
    return std::nullopt;
  }
  if (name_of_command == "up" || name_of_command == "down" || name_of_command == "why") {
    const auto name = message.find("name");
    if (name == message.end() || !name->is_string() || name->get_ref<const std::string&>().empty()) {
      error = "command '" + name_of_command + "' needs the connection's \"name\" (a non-empty string)";
      return std::nullopt;
    }
  }
  if (name_of_command == "export-keys") {
    const auto format = message.find("format");
    if (format == message.end() || !format->is_string() ||
        format->get_ref<const std::string&>() != "wireshark") {
      error = "command 'export-keys' needs \"format\": \"wireshark\" (the only format)";
      return std::nullopt;
    }
  }
  return message;
}

}  // namespace cygnet::control
