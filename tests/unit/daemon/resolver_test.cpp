// The resolver thread: answers arrive through its fd, in order, never blocking the caller.
#include "daemon/resolver.hpp"

#include <dirent.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>

namespace cygnet::daemon {
namespace {

bool readable_within(int fd, int milliseconds) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, milliseconds) == 1;
}

bool has(const std::vector<wire::IpAddress>& list, std::string_view text) {
  return std::find(list.begin(), list.end(), *wire::IpAddress::parse(text)) != list.end();
}

TEST(ResolveHosts, LocalhostGivesLoopbackOnce) {
  const Resolution r = resolve_hosts("c", {"localhost", "localhost"});
  EXPECT_EQ(r.connection, "c");
  ASSERT_FALSE(r.addresses.empty()) << r.error;
  EXPECT_TRUE(has(r.addresses, "127.0.0.1") || has(r.addresses, "::1"));
  for (std::size_t i = 0; i < r.addresses.size(); ++i)
    for (std::size_t j = i + 1; j < r.addresses.size(); ++j) EXPECT_NE(r.addresses[i], r.addresses[j]);
}

TEST(ResolveHosts, FailureSaysWhichHostAndWhy) {
  const Resolution r = resolve_hosts("c", {""});
  EXPECT_TRUE(r.addresses.empty());
  EXPECT_EQ(r.error.rfind(": ", 0), 0u) << r.error;  // "<empty host>: reason"
  EXPECT_GT(r.error.size(), 2u);
}

TEST(Resolver, WorkerThreadBlocksEverySignal) {
  // Otherwise SIGTERM could land on the worker and kill cygnetd instead of reaching its signalfd.
  sigset_t before;
  pthread_sigmask(SIG_SETMASK, nullptr, &before);
  Resolver resolver;
  sigset_t after;
  pthread_sigmask(SIG_SETMASK, nullptr, &after);
  EXPECT_EQ(sigismember(&before, SIGTERM), sigismember(&after, SIGTERM));  // the caller's mask is restored
  // The worker's SigBlk in /proc: SIGHUP, SIGINT and SIGTERM blocked.
  const std::uint64_t wanted = (1ULL << (SIGHUP - 1)) | (1ULL << (SIGINT - 1)) | (1ULL << (SIGTERM - 1));
  bool found = false;
  DIR* dir = opendir("/proc/self/task");
  ASSERT_NE(dir, nullptr);
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.' || std::string(entry->d_name) == std::to_string(gettid())) continue;
    std::ifstream status(std::string("/proc/self/task/") + entry->d_name + "/status");
    std::string line;
    while (std::getline(status, line))
      if (line.rfind("SigBlk:", 0) == 0 && (std::stoull(line.substr(7), nullptr, 16) & wanted) == wanted)
        found = true;
  }
  closedir(dir);
  EXPECT_TRUE(found) << "no other thread blocks SIGHUP, SIGINT and SIGTERM";
}

TEST(Resolver, AnswersComeBackThroughTheFdInOrder) {
  Resolver resolver;
  EXPECT_FALSE(readable_within(resolver.fd(), 0));
  resolver.resolve("first", {"localhost"});
  resolver.resolve("second", {""});
  std::vector<Resolution> results;
  for (int i = 0; i < 50 && results.size() < 2; ++i) {
    if (!readable_within(resolver.fd(), 100)) continue;
    for (auto& r : resolver.take_results()) results.push_back(std::move(r));
  }
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].connection, "first");
  EXPECT_FALSE(results[0].addresses.empty());
  EXPECT_EQ(results[1].connection, "second");
  EXPECT_TRUE(results[1].addresses.empty());
  EXPECT_FALSE(readable_within(resolver.fd(), 0));  // drained
}

}  // namespace
}  // namespace cygnet::daemon
