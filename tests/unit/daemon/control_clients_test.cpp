// Control clients served by the event loop: requests arriving in pieces, oversized and invalid
// requests, the per-client deadline, the client cap, SO_PEERCRED, the `monitor` hand-over, and a
// client that never reads its answer while others are still answered.
#include "daemon/control_clients.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace cygnet::daemon {
namespace {

using nlohmann::json;

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
  void send_text(const std::string& text) const {
    ASSERT_EQ(::send(client_end, text.data(), text.size(), MSG_NOSIGNAL), static_cast<ssize_t>(text.size()));
  }
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

// Runs the loop for `for_ms`, dispatching whatever the sockets have.
void spin(EventLoop& loop, int for_ms = 20) {
  const TimePoint until = Clock::now() + Milliseconds(for_ms);
  loop.run([until] { return std::optional<TimePoint>(until); }, [&loop] { loop.stop(); });
}

struct Served {
  EventLoop loop;
  int handled = 0;
  PeerCredentials last_peer;
  std::string big_answer = std::string(8 * 1024 * 1024, 'x');  // more than a socket buffer holds
  ControlClients clients;
  explicit Served(ControlClientLimits limits = {})
      : clients(
            loop,
            [this](const json& request, int, const PeerCredentials& peer) -> std::optional<json> {
              ++handled;
              last_peer = peer;
              if (request.value("name", std::string()) == "big")
                return json{{"ok", true}, {"blob", big_answer}};
              return json{{"ok", true}, {"command", request.value("command", std::string())}};
            },
            limits) {}
};

TEST(ControlClients, ARequestInPiecesIsAnsweredOnceTheLineIsComplete) {
  Served s;
  Pair p;
  ASSERT_TRUE(s.clients.add(p.daemon_end, Clock::now()));
  p.send_text(R"({"comm)");
  spin(s.loop);
  p.send_text(R"(and":"sta)");
  spin(s.loop);
  EXPECT_EQ(s.handled, 0);
  EXPECT_EQ(p.read_available(), "");
  p.send_text("tus\"}\n");
  spin(s.loop);
  EXPECT_EQ(s.handled, 1);
  EXPECT_EQ(p.read_available(), R"({"command":"status","ok":true})"
                                "\n");
  EXPECT_TRUE(p.at_eof());
  EXPECT_EQ(s.clients.size(), 0u);
}

TEST(ControlClients, ThePeersCredentialsAreReadAtAccept) {
  Served s;
  Pair p;
  ASSERT_TRUE(s.clients.add(p.daemon_end, Clock::now()));
  p.send_text("{\"command\":\"stats\"}\n");
  spin(s.loop);
  ASSERT_EQ(s.handled, 1);
  EXPECT_TRUE(s.last_peer.known);
  EXPECT_EQ(s.last_peer.uid, getuid());
  EXPECT_EQ(s.last_peer.pid, getpid());
}

TEST(ControlClients, AnOversizedRequestIsRefusedWithoutCallingTheHandler) {
  Served s(ControlClientLimits{16, Milliseconds{2000}, 1024});
  Pair p;
  ASSERT_TRUE(s.clients.add(p.daemon_end, Clock::now()));
  p.send_text(std::string(2048, 'a'));
  spin(s.loop);
  EXPECT_EQ(s.handled, 0);
  const json answer = json::parse(p.read_available());
  EXPECT_FALSE(answer.value("ok", true));
  EXPECT_NE(answer.value("error", std::string()).find("too long"), std::string::npos);
  EXPECT_TRUE(p.at_eof());
  EXPECT_EQ(s.clients.bad_requests(), 1u);
}

TEST(ControlClients, AnInvalidRequestGetsAnErrorAnswer) {
  Served s;
  Pair p;
  ASSERT_TRUE(s.clients.add(p.daemon_end, Clock::now()));
  p.send_text("{\"command\":\"format-disk\"}\n");
  spin(s.loop);
  EXPECT_EQ(s.handled, 0);
  const json answer = json::parse(p.read_available());
  EXPECT_FALSE(answer.value("ok", true));
  EXPECT_EQ(s.clients.bad_requests(), 1u);
}

TEST(ControlClients, AHalfLineIsDroppedAtTheDeadline) {
  Served s(ControlClientLimits{16, Milliseconds{2000}, control::kMaxRequestBytes});
  Pair p;
  const TimePoint accepted = Clock::now();
  ASSERT_TRUE(s.clients.add(p.daemon_end, accepted));
  ASSERT_TRUE(s.clients.next_deadline().has_value());
  EXPECT_EQ(*s.clients.next_deadline(), accepted + Milliseconds{2000});
  p.send_text(R"({"command":"st)");
  spin(s.loop);
  s.clients.expire(accepted + Milliseconds{1999});
  EXPECT_EQ(s.clients.size(), 1u);
  s.clients.expire(accepted + Milliseconds{2000});
  EXPECT_EQ(s.clients.size(), 0u);
  EXPECT_EQ(s.clients.timed_out(), 1u);
  EXPECT_TRUE(p.at_eof());
  EXPECT_FALSE(s.clients.next_deadline().has_value());
}

TEST(ControlClients, AClientThatNeverReadsDoesNotStopOthersBeingAnswered) {
  Served s;
  Pair stuck;
  const TimePoint accepted = Clock::now();
  ASSERT_TRUE(s.clients.add(stuck.daemon_end, accepted));
  stuck.send_text("{\"command\":\"up\",\"name\":\"big\"}\n");  // an answer far bigger than the socket buffer
  spin(s.loop);
  EXPECT_EQ(s.handled, 1);
  EXPECT_EQ(s.clients.size(), 1u);  // its answer is still queued
  for (int i = 0; i < 3; ++i) {
    Pair other;
    ASSERT_TRUE(s.clients.add(other.daemon_end, Clock::now()));
    other.send_text("{\"command\":\"status\"}\n");
    spin(s.loop);
    EXPECT_EQ(other.read_available(), R"({"command":"status","ok":true})"
                                      "\n");
  }
  EXPECT_EQ(s.handled, 4);
  s.clients.expire(accepted + s.clients.limits().deadline);
  EXPECT_EQ(s.clients.size(), 0u);
  EXPECT_EQ(s.clients.timed_out(), 1u);
  // What it got before being dropped is a prefix of the answer, then end of file.
  std::string received;
  for (std::string chunk; !(chunk = stuck.read_available()).empty();) received += chunk;
  EXPECT_LT(received.size(), s.big_answer.size());
  EXPECT_TRUE(stuck.at_eof());
}

TEST(ControlClients, ASlowReaderGetsTheWholeAnswer) {
  Served s;
  Pair p;
  ASSERT_TRUE(s.clients.add(p.daemon_end, Clock::now()));
  p.send_text("{\"command\":\"up\",\"name\":\"big\"}\n");
  std::string received;
  for (int i = 0; i < 2000 && !received.ends_with('\n'); ++i) {
    spin(s.loop, 1);
    received += p.read_available();
  }
  const json answer = json::parse(received);
  EXPECT_EQ(answer.value("blob", std::string()).size(), s.big_answer.size());
  EXPECT_TRUE(p.at_eof());
}

TEST(ControlClients, ClientsBeyondTheCapAreRefusedAndCounted) {
  Served s(ControlClientLimits{2, Milliseconds{2000}, control::kMaxRequestBytes});
  Pair a, b, c;
  EXPECT_TRUE(s.clients.add(a.daemon_end, Clock::now()));
  EXPECT_TRUE(s.clients.add(b.daemon_end, Clock::now()));
  EXPECT_FALSE(s.clients.add(c.daemon_end, Clock::now()));
  EXPECT_EQ(s.clients.refused(), 1u);
  EXPECT_TRUE(c.at_eof());
  EXPECT_EQ(s.clients.size(), 2u);
}

TEST(ControlClients, AHandlerMayTakeTheConnectionOver) {
  EventLoop loop;
  int taken = -1;
  ControlClients clients(loop, [&taken](const json&, int fd, const PeerCredentials&) -> std::optional<json> {
    taken = fd;
    return std::nullopt;
  });
  Pair p;
  ASSERT_TRUE(clients.add(p.daemon_end, Clock::now()));
  p.send_text("{\"command\":\"monitor\"}\n");
  spin(loop);
  ASSERT_EQ(taken, p.daemon_end);
  EXPECT_EQ(clients.size(), 0u);
  clients.expire(Clock::now() + Milliseconds{10'000});
  EXPECT_EQ(clients.timed_out(), 0u);
  // Still open: the new owner can write to it.
  ASSERT_EQ(::send(taken, "event\n", 6, MSG_NOSIGNAL), 6);
  EXPECT_EQ(p.read_available(), "event\n");
  close(taken);
}

}  // namespace
}  // namespace cygnet::daemon
