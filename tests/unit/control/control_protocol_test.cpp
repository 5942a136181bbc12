#include "control/control_protocol.hpp"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "unit/control/socket_test_support.hpp"

namespace cygnet::control {
namespace {

using json = nlohmann::json;
using testing::FakeDaemon;
using testing::FakeServer;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::TempDir;
using testing::UniqueFd;
using namespace std::chrono_literals;

void send_raw(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
    if (n <= 0) return;  // the reader gave up: fine for these tests
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::optional<json> read_with(int fd, std::string& error, std::chrono::milliseconds timeout = 2s) {
  return read_message(fd, timeout, error);
}

TEST(Responses, HaveTheDocumentedShape) {
  EXPECT_EQ(ok_response(json{{"a", 1}}), (json{{"ok", true}, {"result", {{"a", 1}}}}));
  EXPECT_EQ(error_response("no such connection 'x'"),
            (json{{"ok", false}, {"error", "no such connection 'x'"}}));
}

TEST(Framing, RoundTripOverASocketPair) {
  auto pair = testing::socket_pair();
  const json message = {{"command", "up"}, {"name", "site-b ✓"}, {"n", 18446744073709551615ULL}};
  ASSERT_TRUE(write_message(pair.a.get(), message));
  std::string error;
  const auto received = read_with(pair.b.get(), error);
  ASSERT_TRUE(received) << error;
  EXPECT_EQ(*received, message);
}

TEST(Framing, WritesOneLineEndingInNewline) {
  auto pair = testing::socket_pair();
  ASSERT_TRUE(write_message(pair.a.get(), json{{"command", "status"}}));
  pair.a.reset();
  std::string raw(256, '\0');
  const ssize_t n = ::read(pair.b.get(), raw.data(), raw.size());
  ASSERT_GT(n, 0);
  raw.resize(static_cast<std::size_t>(n));
  EXPECT_EQ(raw, "{\"command\":\"status\"}\n");
}

TEST(Framing, ConsecutiveMessagesAreReadOneAtATime) {
  auto pair = testing::socket_pair();
  send_raw(pair.a.get(), "{\"n\":1}\n{\"n\":2}\n");
  std::string error;
  const auto first = read_with(pair.b.get(), error);
  const auto second = read_with(pair.b.get(), error);
  ASSERT_TRUE(first && second) << error;
  EXPECT_EQ((*first)["n"], 1);
  EXPECT_EQ((*second)["n"], 2);
}

TEST(Framing, MessageArrivingInPiecesIsReassembled) {
  auto pair = testing::socket_pair();
  std::thread writer([fd = pair.a.get()] {
    send_raw(fd, "{\"command\":");
    std::this_thread::sleep_for(30ms);
    send_raw(fd, "\"stats\"}\n");
  });
  std::string error;
  const auto received = read_with(pair.b.get(), error);
  writer.join();
  ASSERT_TRUE(received) << error;
  EXPECT_EQ((*received)["command"], "stats");
}

TEST(Framing, CarriageReturnBeforeNewlineIsTolerated) {
  auto pair = testing::socket_pair();
  send_raw(pair.a.get(), "{\"command\":\"status\"}\r\n");
  std::string error;
  const auto received = read_with(pair.b.get(), error);
  ASSERT_TRUE(received) << error;
  EXPECT_EQ((*received)["command"], "status");
}

TEST(Framing, ReadsFromAPipeToo) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  ASSERT_TRUE(write_message(write_end.get(), json{{"n", 1}}));
  ASSERT_TRUE(write_message(write_end.get(), json{{"n", 2}}));
  std::string error;
  const auto first = read_with(read_end.get(), error);
  const auto second = read_with(read_end.get(), error);
  ASSERT_TRUE(first && second) << error;
  EXPECT_EQ((*second)["n"], 2);
}

TEST(Framing, ReadTimesOutWhenNothingArrives) {
  auto pair = testing::socket_pair();
  std::string error;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(read_with(pair.b.get(), error, 80ms));
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(error, "timed out");
  EXPECT_GE(waited, 80ms);
  EXPECT_LT(waited, 2s);
}

TEST(Framing, TimeoutCoversTheWholeMessageNotEachPiece) {
  auto pair = testing::socket_pair();
  std::thread writer([fd = pair.a.get()] {
    for (int i = 0; i < 10; ++i) {
      send_raw(fd, " ");
      std::this_thread::sleep_for(30ms);
    }
  });
  std::string error;
  EXPECT_FALSE(read_with(pair.b.get(), error, 100ms));
  EXPECT_EQ(error, "timed out");
  writer.join();
}

TEST(Framing, ReportsAClosedConnection) {
  auto pair = testing::socket_pair();
  pair.a.reset();
  std::string error;
  EXPECT_FALSE(read_with(pair.b.get(), error));
  EXPECT_EQ(error, "connection closed");

  auto partial = testing::socket_pair();
  send_raw(partial.a.get(), "{\"ok\":");
  partial.a.reset();
  EXPECT_FALSE(read_with(partial.b.get(), error));
  EXPECT_THAT(error, StartsWith("connection closed"));
}

TEST(Framing, RejectsInvalidJson) {
  auto pair = testing::socket_pair();
  send_raw(pair.a.get(), "{not json}\n\n");
  std::string error;
  EXPECT_FALSE(read_with(pair.b.get(), error));
  EXPECT_THAT(error, StartsWith("invalid JSON: "));
  EXPECT_THAT(error, Not(HasSubstr("[json.exception")));
  EXPECT_FALSE(read_with(pair.b.get(), error));  // an empty line is no message either
  EXPECT_THAT(error, StartsWith("invalid JSON: "));
}

TEST(Framing, RejectsAbsurdNesting) {
  auto pair = testing::socket_pair();
  send_raw(pair.a.get(), std::string(1000, '[') + std::string(1000, ']') + "\n");
  std::string error;
  EXPECT_FALSE(read_with(pair.b.get(), error));
  EXPECT_THAT(error, HasSubstr("nested"));
}

TEST(Framing, AcceptsALineOfExactlyTheLimit) {
  auto pair = testing::socket_pair();
  const std::string line = "\"" + std::string(kMaxMessageBytes - 2, 'a') + "\"\n";
  std::thread writer([fd = pair.a.get(), &line] { send_raw(fd, line); });
  std::string error;
  const auto received = read_with(pair.b.get(), error, 30s);
  writer.join();
  ASSERT_TRUE(received) << error;
  EXPECT_EQ(received->get_ref<const std::string&>().size(), kMaxMessageBytes - 2);
}

TEST(Framing, RejectsALineOverTheLimit) {
  auto pair = testing::socket_pair();
  const std::string line(kMaxMessageBytes + 1, 'a');
  std::thread writer([fd = pair.a.get(), &line] { send_raw(fd, line + "\n"); });
  std::string error;
  EXPECT_FALSE(read_with(pair.b.get(), error, 30s));
  EXPECT_EQ(error, "message too long (more than 16777216 bytes)");
  pair.b.reset();  // lets the blocked writer fail and finish
  writer.join();
}

// The daemon reads requests with a much smaller cap (bad-input catalog row 16).
TEST(Framing, RequestsHaveTheirOwnSmallerLimit) {
  auto pair = testing::socket_pair();
  const std::string line =
      "{\"command\": \"status\", \"pad\": \"" + std::string(kMaxRequestBytes, 'a') + "\"}";
  std::thread writer([fd = pair.a.get(), &line] { send_raw(fd, line + "\n"); });
  std::string error;
  EXPECT_FALSE(read_message(pair.b.get(), 30s, error, kMaxRequestBytes));
  EXPECT_EQ(error, "message too long (more than 65536 bytes)");
  pair.b.reset();
  writer.join();
}

TEST(Framing, WritingToAVanishedPeerFailsWithoutSigpipe) {
  auto pair = testing::socket_pair();
  pair.b.reset();
  EXPECT_FALSE(write_message(pair.a.get(), json{{"ok", true}}));  // would kill us with SIGPIPE
}

class Call : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string path_ = dir_.file("cygnetd.sock");
  std::string error_;
};

TEST_F(Call, SendsTheRequestAndReturnsTheResponse) {
  FakeDaemon daemon(path_, [](const json& request) {
    return ok_response(json{{"connection", request["name"]}, {"message", "initiating"}});
  });
  const auto response = call(path_, json{{"command", "up"}, {"name", "site-b"}}, 2s, error_);
  ASSERT_TRUE(response) << error_;
  EXPECT_EQ(*response, ok_response(json{{"connection", "site-b"}, {"message", "initiating"}}));
  ASSERT_EQ(daemon.requests().size(), 1U);
  EXPECT_EQ(daemon.requests()[0], (json{{"command", "up"}, {"name", "site-b"}}));
}

TEST_F(Call, ReturnsAnErrorAnswerAsIs) {
  FakeDaemon daemon(path_, [](const json&) { return error_response("no connection 'x'"); });
  const auto response = call(path_, json{{"command", "down"}, {"name", "x"}}, 2s, error_);
  ASSERT_TRUE(response) << error_;
  EXPECT_EQ((*response)["ok"], false);
  EXPECT_EQ((*response)["error"], "no connection 'x'");
}

TEST_F(Call, MissingSocketSaysWhereAndAsksWhetherTheDaemonRuns) {
  EXPECT_FALSE(call(path_, json{{"command", "status"}}, 1s, error_));
  EXPECT_EQ(error_,
            "cannot connect to cygnetd at " + path_ + ": No such file or directory — is cygnetd running?");
}

TEST_F(Call, RefusedConnectionAsksWhetherTheDaemonRuns) {
  const UniqueFd stale = testing::bind_unix(path_, /*listen=*/false);  // a socket nobody serves
  EXPECT_FALSE(call(path_, json{{"command", "status"}}, 1s, error_));
  EXPECT_EQ(error_, "cannot connect to cygnetd at " + path_ + ": Connection refused — is cygnetd running?");
}

TEST_F(Call, OverlongSocketPathIsExplained) {
  EXPECT_FALSE(call("/" + std::string(200, 'x'), json{{"command", "status"}}, 1s, error_));
  EXPECT_THAT(error_, HasSubstr("the socket path must have 1 to 107 characters"));
}

TEST_F(Call, SilentDaemonTimesOut) {
  FakeServer server(path_, [](int fd) {
    std::string ignored;
    read_message(fd, 2s, ignored);  // the request
    read_message(fd, 2s, ignored);  // then wait until the client gives up and closes
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(call(path_, json{{"command", "status"}}, 100ms, error_));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
  EXPECT_EQ(error_, "cygnetd at " + path_ + " did not answer within 100 ms");
}

TEST_F(Call, DaemonClosingWithoutAnAnswer) {
  FakeServer server(path_, [](int) {});
  EXPECT_FALSE(call(path_, json{{"command", "status"}}, 2s, error_));
  EXPECT_EQ(error_, "cygnetd at " + path_ + " closed the connection without answering");
}

TEST_F(Call, UnusableAnswers) {
  std::string answer;
  FakeServer server(path_, [&answer](int fd) {
    std::string ignored;
    read_message(fd, 2s, ignored);
    send_raw(fd, answer);
  });
  answer = "this is not JSON\n";
  EXPECT_FALSE(call(path_, json{{"command", "status"}}, 2s, error_));
  EXPECT_THAT(error_, StartsWith("unusable answer from cygnetd at " + path_ + ": invalid JSON: "));

  answer = "[1, 2]\n";
  EXPECT_FALSE(call(path_, json{{"command", "status"}}, 2s, error_));
  EXPECT_THAT(error_, HasSubstr("not an object with a boolean \"ok\""));

  answer = "{\"ok\": \"yes\"}\n";
  EXPECT_FALSE(call(path_, json{{"command", "status"}}, 2s, error_));
  EXPECT_THAT(error_, HasSubstr("not an object with a boolean \"ok\""));
}

TEST(ParseRequest, AcceptsEveryCommand) {
  std::string error;
  for (const char* line : {R"({"command":"status"})", R"({"command":"stats"})", R"({"command":"reload"})",
                           R"({"command":"up","name":"site-b"})", R"({"command":"down","name":"site-b"})"}) {
    const auto request = parse_request(line, error);
    ASSERT_TRUE(request) << line << ": " << error;
    EXPECT_EQ(*request, json::parse(line));
  }
}

TEST(ValidateRequest, ChecksAnAlreadyParsedMessage) {
  std::string error;
  EXPECT_TRUE(validate_request(json{{"command", "up"}, {"name", "site-b"}}, error)) << error;
  EXPECT_FALSE(validate_request(json{{"command", "up"}}, error));
  EXPECT_EQ(error, "command 'up' needs the connection's \"name\" (a non-empty string)");
  EXPECT_FALSE(validate_request(json("status"), error));
  EXPECT_EQ(error, "the request must be a JSON object");
}

TEST(ParseRequest, ToleratesTheLineEndAndExtraKeys) {
  std::string error;
  const auto request = parse_request("{\"command\":\"status\",\"verbose\":true}\r\n", error);
  ASSERT_TRUE(request) << error;
  EXPECT_EQ((*request)["command"], "status");
}

TEST(ParseRequest, ExplainsWhatIsWrong) {
  const auto error_of = [](std::string_view line) {
    std::string error;
    EXPECT_FALSE(parse_request(line, error)) << line;
    return error;
  };
  EXPECT_THAT(error_of("status"), StartsWith("invalid JSON: "));
  EXPECT_THAT(error_of(""), StartsWith("invalid JSON: "));
  EXPECT_EQ(error_of(R"(["status"])"), "the request must be a JSON object");
  EXPECT_EQ(error_of(R"({"name":"x"})"), "the request has no \"command\"");
  EXPECT_EQ(error_of(R"({"command":1})"), "\"command\" must be a string");
  EXPECT_EQ(error_of(R"({"command":"restart"})"),
            "unknown command 'restart' (expected status, stats, up, down, reload, why, monitor, leases or "
            "export-keys)");
  EXPECT_EQ(error_of(R"({"command":"up"})"),
            "command 'up' needs the connection's \"name\" (a non-empty string)");
  EXPECT_EQ(error_of(R"({"command":"down","name":""})"),
            "command 'down' needs the connection's \"name\" (a non-empty string)");
  EXPECT_EQ(error_of(R"({"command":"up","name":7})"),
            "command 'up' needs the connection's \"name\" (a non-empty string)");
  EXPECT_THAT(error_of(R"({"command":")" + std::string(1000, 'z') + "\"}"),
              ::testing::SizeIs(::testing::Lt(200U)));
}

}  // namespace
}  // namespace cygnet::control
