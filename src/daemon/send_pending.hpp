// The send loop of the loop's non-blocking stream clients (monitor subscribers, control clients):
// writes as much queued output as the socket takes now, without ever waiting.
#pragma once

#include <string>

namespace cygnet::daemon {

enum class SendResult {
  AllSent,     // `pending` is empty
  WouldBlock,  // the socket is full: wait for EPOLLOUT, the rest stays in `pending`
  Closed,      // the peer went away (or another error): drop the client
};

// Sends from the front of `pending`, erasing what was written.
SendResult send_pending(int fd, std::string& pending);

}  // namespace cygnet::daemon
