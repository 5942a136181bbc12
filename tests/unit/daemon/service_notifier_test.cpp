#include "daemon/service_notifier.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

namespace cygnet::daemon {
namespace {

using std::chrono::seconds;

struct Recorder {
  std::vector<std::string> messages;
  ServiceNotifier::Writer writer() {
    return [this](std::string_view state) { messages.emplace_back(state); };
  }
};

TEST(ServiceNotifier, StatusTextCountsSas) {
  EXPECT_EQ(sa_status_text({0, 0}), "0 IKE SAs, 0 CHILD SAs");
  EXPECT_EQ(sa_status_text({1, 1}), "1 IKE SA, 1 CHILD SA");
  EXPECT_EQ(sa_status_text({2, 3}), "2 IKE SAs, 3 CHILD SAs");
}

TEST(ServiceNotifier, ReadyCarriesStatusAndFirstKeepAlive) {
  Recorder r;
  ServiceNotifier n(r.writer(), seconds(30));
  const TimePoint t0{};
  n.ready({1, 2}, t0);
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0], "READY=1\nSTATUS=1 IKE SA, 2 CHILD SAs");
  EXPECT_EQ(r.messages[1], "WATCHDOG=1");
  EXPECT_EQ(n.next_deadline(), t0 + seconds(15));
}

TEST(ServiceNotifier, WatchdogAtHalfTheIntervalFromTheLoop) {
  Recorder r;
  ServiceNotifier n(r.writer(), seconds(10));
  const TimePoint t0{};
  n.ready({0, 0}, t0);
  r.messages.clear();
  auto counts = [] { return SaCounts{0, 0}; };
  n.on_tick(t0 + seconds(4), counts);
  EXPECT_TRUE(r.messages.empty());
  n.on_tick(t0 + seconds(5), counts);
  ASSERT_EQ(r.messages.size(), 1u);  // the status is unchanged: only the keep-alive
  EXPECT_EQ(r.messages[0], "WATCHDOG=1");
  EXPECT_EQ(n.next_deadline(), t0 + seconds(10));
  n.on_tick(t0 + seconds(9), counts);
  EXPECT_EQ(r.messages.size(), 1u);
  n.on_tick(t0 + seconds(10), counts);
  EXPECT_EQ(r.messages.size(), 2u);
}

TEST(ServiceNotifier, StatusRefreshedOnlyWhenCountsChangeAndDue) {
  Recorder r;
  ServiceNotifier n(r.writer(), std::nullopt);
  const TimePoint t0{};
  n.ready({0, 0}, t0);
  EXPECT_EQ(n.next_deadline(), std::nullopt);  // no watchdog: the loop need not wake for us
  r.messages.clear();
  int asked = 0;
  SaCounts now_counts{1, 1};
  auto counts = [&] {
    ++asked;
    return now_counts;
  };
  n.on_tick(t0 + seconds(1), counts);
  EXPECT_EQ(asked, 0);  // not due yet: the engine's status is not built every tick
  n.on_tick(t0 + ServiceNotifier::kStatusInterval, counts);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0], "STATUS=1 IKE SA, 1 CHILD SA");
  n.on_tick(t0 + 2 * ServiceNotifier::kStatusInterval, counts);
  EXPECT_EQ(r.messages.size(), 1u);  // same counts: nothing sent
}

TEST(ServiceNotifier, ReloadAndStopMessages) {
  Recorder r;
  ServiceNotifier n(r.writer(), std::nullopt);
  n.reloading();
  n.stopping();
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0].rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u) << r.messages[0];
  const std::string usec = r.messages[0].substr(r.messages[0].find('=', 12) + 1);
  EXPECT_FALSE(usec.empty());
  EXPECT_EQ(usec.find_first_not_of("0123456789"), std::string::npos);
  EXPECT_EQ(r.messages[1].rfind("STOPPING=1", 0), 0u);
}

// Outside systemd nothing is sent and the loop gets no extra deadline.
TEST(ServiceNotifier, WithoutNotifySocketEverythingIsANoOp) {
  unsetenv("NOTIFY_SOCKET");
  ServiceNotifier n = ServiceNotifier::from_environment();
  EXPECT_FALSE(n.enabled());
  n.ready({1, 1}, TimePoint{});
  n.on_tick(TimePoint{} + seconds(100), [] { return SaCounts{}; });
  EXPECT_EQ(n.next_deadline(), std::nullopt);
}

// The real path: libsystemd's sd_notify to a datagram socket named by NOTIFY_SOCKET, as systemd
// provides it, with the watchdog interval read from WATCHDOG_USEC/WATCHDOG_PID.
TEST(ServiceNotifier, FromEnvironmentTalksToTheNotifySocket) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("cygnet-notify-" + std::to_string(getpid()))).string();
  ::unlink(path.c_str());
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  path.copy(address.sun_path, sizeof(address.sun_path) - 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  timeval timeout{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));

  setenv("NOTIFY_SOCKET", path.c_str(), 1);
  setenv("WATCHDOG_USEC", "8000000", 1);
  setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
  ServiceNotifier n = ServiceNotifier::from_environment();
  ASSERT_TRUE(n.enabled());
  ASSERT_TRUE(n.watchdog_interval());
  EXPECT_EQ(*n.watchdog_interval(), seconds(8));

  n.ready({3, 4}, TimePoint{});  // sd_notify reads NOTIFY_SOCKET at each call, as systemd leaves it set
  unsetenv("NOTIFY_SOCKET");
  unsetenv("WATCHDOG_USEC");
  unsetenv("WATCHDOG_PID");
  char buffer[512];
  ssize_t got = recv(fd, buffer, sizeof(buffer), 0);
  ASSERT_GT(got, 0);
  EXPECT_EQ(std::string(buffer, static_cast<std::size_t>(got)), "READY=1\nSTATUS=3 IKE SAs, 4 CHILD SAs");
  got = recv(fd, buffer, sizeof(buffer), 0);
  ASSERT_GT(got, 0);
  EXPECT_EQ(std::string(buffer, static_cast<std::size_t>(got)), "WATCHDOG=1");
  close(fd);
  ::unlink(path.c_str());
}

TEST(ServiceNotifier, WatchdogForAnotherProcessIsIgnored) {
  setenv("NOTIFY_SOCKET", "/nonexistent/notify", 1);
  setenv("WATCHDOG_USEC", "8000000", 1);
  setenv("WATCHDOG_PID", std::to_string(getpid() + 1).c_str(), 1);
  ServiceNotifier n = ServiceNotifier::from_environment();
  unsetenv("NOTIFY_SOCKET");
  unsetenv("WATCHDOG_USEC");
  unsetenv("WATCHDOG_PID");
  EXPECT_TRUE(n.enabled());
  EXPECT_FALSE(n.watchdog_interval());
}

}  // namespace
}  // namespace cygnet::daemon
