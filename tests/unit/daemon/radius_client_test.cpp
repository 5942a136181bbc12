// The RADIUS client without a server: a request to a silent port on loopback ends Failed with a
// clear reason within timeout × tries (never hangs), a queue beyond its bound refuses requests
// instead of growing, accounting is refused when off, and a configuration radcli cannot take is
// refused at construction. The conversations with a real server are in
// tests/interop/ops/radius.sh (FreeRADIUS).
#include "daemon/radius_client.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

namespace cygnet::daemon {
namespace {

using ::testing::HasSubstr;

// A UDP port on loopback that is bound (so nobody else answers on it) and never read.
class SilentPort {
 public:
  SilentPort() {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0)
      port_ = ntohs(address.sin_port);
  }
  ~SilentPort() {
    if (fd_ >= 0) close(fd_);
  }
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

config::RadiusSettings settings_for(std::uint16_t port) {
  config::RadiusSettings settings;
  settings.servers.push_back(config::RadiusServer{"127.0.0.1", port, port});
  const std::string secret = "unit-test-secret";
  settings.secret =
      crypto::SecureBytes(ByteView(reinterpret_cast<const std::uint8_t*>(secret.data()), secret.size()));
  settings.timeout = Seconds(1);
  settings.retries = 0;
  return settings;
}

Bytes eap_identity_response() {
  return Bytes{2, 0, 0, 10, 1, 'a', 'l', 'i', 'c', 'e'};
}

TEST(RadiusClient, SilentServerEndsFailedWithAReasonWithinTheTimeout) {
  SilentPort silent;
  ASSERT_NE(silent.port(), 0);
  RadiusClient client(settings_for(silent.port()));
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(client.submit(RadiusAuthRequest{42, "alice", eap_identity_response(), {}, std::nullopt}));
  pollfd pfd{client.fd(), POLLIN, 0};
  ASSERT_EQ(poll(&pfd, 1, 10'000), 1) << "no result within 10 s";
  const auto results = client.take_results();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].session, 42u);
  EXPECT_EQ(results[0].outcome, RadiusOutcome::Failed);
  EXPECT_THAT(results[0].reason, HasSubstr("no RADIUS server answered"));
  EXPECT_THAT(results[0].reason, HasSubstr("127.0.0.1:" + std::to_string(silent.port())));
  EXPECT_FALSE(results[0].msk.has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  const RadiusCounters counters = client.counters();
  EXPECT_EQ(counters.access_requests, 1u);
  EXPECT_EQ(counters.failures, 1u);
  EXPECT_EQ(counters.server_timeouts, 1u);
}

TEST(RadiusClient, EmptyEapMessageFailsWithoutSending) {
  SilentPort silent;
  RadiusClient client(settings_for(silent.port()));
  ASSERT_TRUE(client.submit(RadiusAuthRequest{7, "alice", {}, {}, std::nullopt}));
  pollfd pfd{client.fd(), POLLIN, 0};
  ASSERT_EQ(poll(&pfd, 1, 5'000), 1);
  const auto results = client.take_results();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].outcome, RadiusOutcome::Failed);
  EXPECT_THAT(results[0].reason, HasSubstr("could not build"));
  EXPECT_EQ(client.counters().server_timeouts, 0u);
}

TEST(RadiusClient, QueueBeyondItsBoundRefusesInsteadOfGrowing) {
  SilentPort silent;
  RadiusClient client(settings_for(silent.port()));
  const std::size_t attempts = RadiusClient::kMaxQueued + RadiusClient::kWorkers + 40;
  std::size_t refused = 0;
  for (std::size_t i = 0; i < attempts; ++i)
    if (!client.submit(RadiusAuthRequest{i, "alice", eap_identity_response(), {}, std::nullopt})) ++refused;
  EXPECT_GE(refused, 40u);
  EXPECT_LE(refused, attempts - RadiusClient::kMaxQueued);
  EXPECT_EQ(client.counters().refused_busy, refused);
  // The destructor returns once each worker has finished the request it is in (bounded by the
  // 1 s timeout), not after the whole queue.
}

TEST(RadiusClient, AccountingIsRefusedWhenOff) {
  SilentPort silent;
  RadiusClient client(settings_for(silent.port()));
  EXPECT_FALSE(client.accounting_enabled());
  EXPECT_FALSE(client.account(AccountingRecord{}));
}

TEST(RadiusClient, AccountingToASilentServerIsReportedUnacknowledged) {
  SilentPort silent;
  config::RadiusSettings settings = settings_for(silent.port());
  settings.accounting = true;
  RadiusClient client(settings);
  AccountingRecord record;
  record.status = AccountingStatus::Stop;
  record.session_id = "s-1";
  record.user_name = "alice";
  record.framed_address = wire::IpAddress::parse("2001:db8::7");
  ASSERT_TRUE(client.account(record));
  pollfd pfd{client.fd(), POLLIN, 0};
  ASSERT_EQ(poll(&pfd, 1, 10'000), 1);
  const auto results = client.take_accounting_results();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].session_id, "s-1");
  EXPECT_FALSE(results[0].acknowledged);
  EXPECT_THAT(results[0].reason, HasSubstr("no RADIUS accounting server acknowledged"));
  EXPECT_EQ(client.counters().accounting_failed, 1u);
}

TEST(RadiusClient, NoServerIsRefusedAtConstruction) {
  config::RadiusSettings settings = settings_for(1812);
  settings.servers.clear();
  EXPECT_THROW(RadiusClient{settings}, std::runtime_error);
}

}  // namespace
}  // namespace cygnet::daemon
