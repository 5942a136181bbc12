// The two hand-offs between cygnetd's control thread and its data-plane workers: the PacketRing
// (control thread → one worker: ESP/AH by SPI) and the WorkerRequestQueue (workers → control
// thread: acquires, lifetime limits). The threaded tests also run under ThreadSanitizer (the
// tsan preset, a step of scripts/test).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "gateway/packet_ring.hpp"
#include "gateway/worker_requests.hpp"

namespace cygnet::gateway {
namespace {

Bytes numbered(std::uint32_t n, std::size_t size = 64) {
  Bytes b(size, static_cast<std::uint8_t>(n));
  std::memcpy(b.data(), &n, sizeof n);
  return b;
}

std::uint32_t number_of(ByteView b) {
  std::uint32_t n = 0;
  std::memcpy(&n, b.data(), sizeof n);
  return n;
}

TEST(PacketRing, FirstInFirstOutWithEndpoints) {
  PacketRing ring(4, 128);
  const ipsec::UdpEndpoints endpoints{*wire::IpAddress::parse("192.0.2.1"), 4500,
                                      *wire::IpAddress::parse("198.51.100.1"), 4501};
  ASSERT_TRUE(ring.push(numbered(1)));
  ASSERT_TRUE(ring.push(numbered(2, 100), endpoints));
  auto first = ring.front();
  ASSERT_TRUE(first);
  EXPECT_EQ(number_of(first->bytes), 1u);
  EXPECT_EQ(first->bytes.size(), 64u);
  EXPECT_FALSE(first->udp);
  ring.pop();
  auto second = ring.front();
  ASSERT_TRUE(second);
  EXPECT_EQ(number_of(second->bytes), 2u);
  EXPECT_EQ(second->bytes.size(), 100u);
  ASSERT_TRUE(second->udp);
  EXPECT_EQ(second->udp->remote_port, 4501);
  ring.pop();
  EXPECT_FALSE(ring.front());
}

TEST(PacketRing, RefusesWhenFullOrTooLargeAndWrapsAround) {
  PacketRing ring(3, 128);  // rounded up to 4 slots
  for (std::uint32_t i = 0; i < 4; ++i) ASSERT_TRUE(ring.push(numbered(i)));
  EXPECT_FALSE(ring.push(numbered(9)));                 // full: nothing overwritten
  EXPECT_FALSE(ring.push(numbered(9, 129)));            // larger than a slot
  for (std::uint32_t round = 0; round < 10; ++round) {  // steady state across the wrap
    auto p = ring.front();
    ASSERT_TRUE(p);
    EXPECT_EQ(number_of(p->bytes), round);
    ring.pop();
    ASSERT_TRUE(ring.push(numbered(round + 4)));
  }
}

TEST(PacketRing, OneProducerOneConsumerKeepOrderAndLoseNothing) {
  PacketRing ring(64, 256);
  constexpr std::uint32_t kPackets = 50000;
  std::thread producer([&] {
    for (std::uint32_t i = 0; i < kPackets;) {
      if (ring.push(numbered(i, 32 + i % 200))) {
        ++i;
      } else {
        std::this_thread::yield();
      }
    }
  });
  std::uint32_t expected = 0;
  while (expected < kPackets) {
    auto p = ring.front();
    if (!p) {
      std::this_thread::yield();
      continue;
    }
    ASSERT_EQ(number_of(p->bytes), expected);
    ASSERT_EQ(p->bytes.size(), 32 + expected % 200);
    ASSERT_EQ(p->bytes.back(), static_cast<std::uint8_t>(expected));
    ring.pop();
    ++expected;
  }
  producer.join();
  EXPECT_FALSE(ring.front());
}

TEST(WorkerRequestQueue, BoundedWakesOnceWhenItStopsBeingEmpty) {
  WorkerRequestQueue queue(2);
  int wakes = 0;
  queue.set_wake([&] { ++wakes; });
  WorkerRequest r;
  r.policy = 7;
  EXPECT_TRUE(queue.push(r));
  EXPECT_TRUE(queue.push(r));
  EXPECT_FALSE(queue.push(r));
  EXPECT_EQ(queue.overflow_drops(), 1u);
  EXPECT_EQ(wakes, 1);
  const std::vector<WorkerRequest> taken = queue.take_all();
  ASSERT_EQ(taken.size(), 2u);
  EXPECT_EQ(taken[0].policy, 7u);
  EXPECT_TRUE(queue.take_all().empty());
  EXPECT_TRUE(queue.push(r));
  EXPECT_EQ(wakes, 2);
}

TEST(WorkerRequestQueue, ManyWorkersOneControlThread) {
  WorkerRequestQueue queue(1 << 20);
  std::atomic<int> wakes{0};
  queue.set_wake([&] { wakes.fetch_add(1); });
  constexpr int kWorkers = 4;
  constexpr int kEach = 5000;
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      for (int i = 0; i < kEach; ++i) {
        WorkerRequest r;
        r.policy = static_cast<ipsec::PolicyId>(w);
        r.sa = static_cast<ipsec::SaHandle>(i);
        queue.push(std::move(r));
      }
    });
  }
  std::vector<std::vector<ipsec::SaHandle>> seen(kWorkers);
  std::size_t total = 0;
  auto take = [&] {
    for (const WorkerRequest& r : queue.take_all()) {
      seen[r.policy].push_back(r.sa);
      ++total;
    }
  };
  while (total < std::size_t{kWorkers} * kEach) take();
  for (auto& w : workers) w.join();
  take();
  EXPECT_EQ(total, std::size_t{kWorkers} * kEach);
  for (const auto& one_worker : seen) {  // each worker's requests arrive in its order
    ASSERT_EQ(one_worker.size(), static_cast<std::size_t>(kEach));
    for (int i = 0; i < kEach; ++i) ASSERT_EQ(one_worker[i], static_cast<ipsec::SaHandle>(i));
  }
  EXPECT_GE(wakes.load(), 1);
  EXPECT_EQ(queue.overflow_drops(), 0u);
}

}  // namespace
}  // namespace cygnet::gateway
