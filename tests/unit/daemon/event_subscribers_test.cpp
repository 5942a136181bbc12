// Monitor subscribers: lines arrive in order, a subscriber that does not read is cut off once its
// buffer bound is reached (never blocking the publisher), the subscriber cap, and shutdown.
#include "daemon/event_subscribers.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace cygnet::daemon {
namespace {

struct Pair {
  int daemon_end = -1;
  int client_end = -1;
  Pair() {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0) {
      daemon_end = fds[0];
      client_end = fds[1];
    }
  }
  ~Pair() {
    if (client_end >= 0) close(client_end);
  }
  // Everything readable now (non-blocking); "" at end of file.
  std::string read_available() const {
    std::string out;
    char buffer[65536];
    for (;;) {
      const ssize_t n = recv(client_end, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n <= 0) return out;
      out.append(buffer, static_cast<std::size_t>(n));
    }
  }
  bool at_eof() const {
    char c;
    return recv(client_end, &c, 1, MSG_DONTWAIT) == 0;
  }
};

TEST(EventSubscribers, EveryReaderGetsEachEventAsOneLine) {
  EventLoop loop;
  EventSubscribers subscribers(loop);
  Pair a, b;
  ASSERT_TRUE(subscribers.add(a.daemon_end));
  ASSERT_TRUE(subscribers.add(b.daemon_end));
  subscribers.publish({{"type", "ike-sa-established"}, {"n", 1}});
  subscribers.publish({{"type", "reloaded"}, {"peer", "\xff not utf-8"}});
  const std::string expected =
      R"({"n":1,"type":"ike-sa-established"})"
      "\n"
      "{\"peer\":\"\xEF\xBF\xBD not utf-8\",\"type\":\"reloaded\"}\n";  // U+FFFD for the bad byte
  EXPECT_EQ(a.read_available(), expected);
  EXPECT_EQ(b.read_available(), expected);
  EXPECT_EQ(subscribers.size(), 2u);
}

TEST(EventSubscribers, ASubscriberThatDoesNotReadIsCutOffAtTheBound) {
  EventLoop loop;
  EventSubscriberLimits limits;
  limits.max_buffered_bytes = 16 * 1024;
  EventSubscribers subscribers(loop, limits);
  Pair slow, reader;
  const int small = 4096;
  setsockopt(slow.daemon_end, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  ASSERT_TRUE(subscribers.add(slow.daemon_end));
  ASSERT_TRUE(subscribers.add(reader.daemon_end));
  const nlohmann::json event{{"detail", std::string(1000, 'x')}};
  std::size_t received = 0;
  int published = 0;
  // The kernel buffers some (a socketpair holds a few hundred kilobytes whatever SO_SNDBUF says),
  // then our bound: the publisher must never block, and the slow one must go.
  for (; published < 5000 && subscribers.disconnected_slow() == 0; ++published) {
    subscribers.publish(event);
    received += reader.read_available().size();
  }
  EXPECT_EQ(subscribers.disconnected_slow(), 1u);
  EXPECT_EQ(subscribers.size(), 1u);  // the reader stays
  EXPECT_LT(published, 5000);
  // The slow client reads what was sent before the cut, then end of file.
  std::string backlog = slow.read_available();
  EXPECT_FALSE(backlog.empty());
  EXPECT_EQ(backlog.back(), '\n');
  EXPECT_TRUE(slow.at_eof());
  // The reader got every line.
  received += reader.read_available().size();
  EXPECT_EQ(received, static_cast<std::size_t>(published) * (event.dump().size() + 1));
}

TEST(EventSubscribers, TheCapRefusesAndCountsExtraSubscribers) {
  EventLoop loop;
  EventSubscriberLimits limits;
  limits.max_subscribers = 2;
  EventSubscribers subscribers(loop, limits);
  Pair a, b, c;
  EXPECT_TRUE(subscribers.add(a.daemon_end));
  EXPECT_TRUE(subscribers.add(b.daemon_end));
  EXPECT_FALSE(subscribers.add(c.daemon_end));
  EXPECT_EQ(subscribers.refused(), 1u);
  EXPECT_EQ(subscribers.size(), 2u);
  EXPECT_TRUE(c.at_eof());
}

TEST(EventSubscribers, CloseAllSendsTheLastLineThenEndOfFile) {
  EventLoop loop;
  EventSubscribers subscribers(loop);
  Pair a;
  ASSERT_TRUE(subscribers.add(a.daemon_end));
  subscribers.close_all({{"type", "daemon-stopping"}}, Milliseconds{100});
  EXPECT_EQ(subscribers.size(), 0u);
  EXPECT_EQ(a.read_available(), "{\"type\":\"daemon-stopping\"}\n");
  EXPECT_TRUE(a.at_eof());
}

}  // namespace
}  // namespace cygnet::daemon
