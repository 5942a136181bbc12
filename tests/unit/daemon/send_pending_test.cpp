// send_pending: everything the socket takes, never a wait; a full socket and a gone peer are told apart.
#include "daemon/send_pending.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace cygnet::daemon {
namespace {

TEST(SendPending, StatesEachOutcome) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  std::string small = "hello\n";
  EXPECT_EQ(send_pending(fds[0], small), SendResult::AllSent);
  EXPECT_TRUE(small.empty());
  char buffer[16];
  EXPECT_EQ(recv(fds[1], buffer, sizeof buffer, 0), 6);

  std::string big(8 * 1024 * 1024, 'x');  // more than the socket buffer
  EXPECT_EQ(send_pending(fds[0], big), SendResult::WouldBlock);
  EXPECT_FALSE(big.empty());
  EXPECT_LT(big.size(), 8u * 1024 * 1024);  // part of it went out, and left the queue

  close(fds[1]);
  EXPECT_EQ(send_pending(fds[0], big), SendResult::Closed);
  close(fds[0]);
}

}  // namespace
}  // namespace cygnet::daemon
