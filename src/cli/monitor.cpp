#include "cli/monitor.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cli/text_format.hpp"
#include "control/control_protocol.hpp"

namespace cygnet::cli {
namespace {

using json = nlohmann::json;

// Events may be hours apart: wait this long per read, then simply wait again.
constexpr std::chrono::milliseconds kEventWait{3600 * 1000};

int connect_to(const std::string& path, std::string& error) {
  sockaddr_un address{};
  if (path.size() >= sizeof address.sun_path) {
    error = "control socket path too long: " + path;
    return -1;
  }
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    error = "cannot connect to cygnetd at " + path + ": " + std::strerror(errno) + " — is cygnetd running?";
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

std::string monitor_line_text(const json& event) {
  std::string line = text_at(event, "time", "-") + " " + text_at(event, "type", "?");
  const std::string connection = text_at(event, "connection", "");
  if (!connection.empty()) line += " " + connection;
  if (const auto ike_sa = integer_at(event, "ike_sa")) line += " #" + std::to_string(*ike_sa);
  if (const auto child_sa = integer_at(event, "child_sa")) {
    line += " " + text_at(event, "child", "child") + " #" + std::to_string(*child_sa);
  }
  const std::string detail = text_at(event, "detail", "");
  if (!detail.empty()) line += ": " + detail;
  return line;
}

int run_monitor(const Options& options, std::ostream& out, std::ostream& err) {
  std::string error;
  const int fd = connect_to(options.socket_path, error);
  if (fd < 0) {
    err << "cygnetctl: " << error << "\n";
    return kExitUnreachable;
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  if (!control::write_message(fd, json{{"command", "monitor"}})) {
    err << "cygnetctl: cannot send the monitor request to " << options.socket_path << "\n";
    return kExitUnreachable;
  }
  const std::optional<json> answer = control::read_message(fd, options.timeout, error);
  if (!answer || !answer->is_object()) {
    err << "cygnetctl: no answer from cygnetd at " << options.socket_path << ": " << error << "\n";
    return kExitUnreachable;
  }
  if (!answer->value("ok", false)) {
    err << "cygnetctl: " << text_at(*answer, "error", "cygnetd refused to monitor") << "\n";
    return kExitCommandFailed;
  }
  for (;;) {
    const std::optional<json> event = control::read_message(fd, kEventWait, error);
    if (!event) {
      if (error == "timed out") continue;
      err << "cygnetctl: monitor ended: " << error << "\n";
      return kExitUnreachable;
    }
    if (options.json) {
      out << event->dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
    } else {
      out << monitor_line_text(*event) << "\n";
    }
    out.flush();  // a line as soon as it happens, also into a pipe or file
    if (event->is_object() && event->value("type", std::string()) == "daemon-stopping") return kExitSuccess;
  }
}

}  // namespace cygnet::cli
