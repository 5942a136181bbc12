#include "daemon/send_pending.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace cygnet::daemon {

SendResult send_pending(int fd, std::string& pending) {
  while (!pending.empty()) {
    const ssize_t n = ::send(fd, pending.data(), pending.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      pending.erase(0, static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return SendResult::WouldBlock;
    } else {
      return SendResult::Closed;
    }
  }
  return SendResult::AllSent;
}

}  // namespace cygnet::daemon
