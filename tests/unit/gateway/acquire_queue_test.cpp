#include "gateway/acquire_queue.hpp"

#include <gtest/gtest.h>

namespace cygnet::gateway {
namespace {

const AcquireQueue::Key kNet{"site-b", "net"};
const AcquireQueue::Key kVoice{"site-b", "voice"};
const AcquireQueue::Key kOther{"site-c", "net"};

Bytes packet(std::uint8_t tag) {
  return Bytes{0x45, tag, 0, 20};
}

TEST(AcquireQueue, ReleasesHeldPacketsInOrder) {
  AcquireQueue q;
  const TimePoint t0{};
  ASSERT_TRUE(q.hold(kNet, packet(1), t0));
  ASSERT_TRUE(q.hold(kNet, packet(2), t0 + Seconds(1)));
  ASSERT_TRUE(q.hold(kVoice, packet(3), t0));
  EXPECT_EQ(q.size(), 3u);
  const std::vector<Bytes> out = q.release(kNet, t0 + Seconds(2));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], packet(1));
  EXPECT_EQ(out[1], packet(2));
  EXPECT_EQ(q.size(), 1u);                                // the other child's packet stays
  EXPECT_TRUE(q.release(kNet, t0 + Seconds(2)).empty());  // handed out once
}

TEST(AcquireQueue, BoundedPerChildAndInTotal) {
  AcquireQueue q(AcquireLimits{2, 3, Seconds(10)});
  const TimePoint t0{};
  EXPECT_TRUE(q.hold(kNet, packet(1), t0));
  EXPECT_TRUE(q.hold(kNet, packet(2), t0));
  EXPECT_FALSE(q.hold(kNet, packet(3), t0));  // per-child limit
  EXPECT_TRUE(q.hold(kVoice, packet(4), t0));
  EXPECT_FALSE(q.hold(kOther, packet(5), t0));  // total limit
  EXPECT_EQ(q.overflow_drops(), 2u);
  EXPECT_EQ(q.held(), 3u);
  EXPECT_EQ(q.size(), 3u);
}

TEST(AcquireQueue, StalePacketsAreDroppedNotSent) {
  AcquireQueue q(AcquireLimits{64, 1024, Seconds(5)});
  const TimePoint t0{};
  q.hold(kNet, packet(1), t0);
  q.hold(kNet, packet(2), t0 + Seconds(4));
  const std::vector<Bytes> out = q.release(kNet, t0 + Seconds(6));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], packet(2));
  EXPECT_EQ(q.expired_drops(), 1u);
}

TEST(AcquireQueue, ExpireAndDiscard) {
  AcquireQueue q(AcquireLimits{64, 1024, Seconds(5)});
  const TimePoint t0{};
  q.hold(kNet, packet(1), t0);
  q.hold(kVoice, packet(2), t0 + Seconds(3));
  q.hold(kOther, packet(3), t0 + Seconds(3));
  EXPECT_EQ(q.expire(t0 + Seconds(6)), 1u);
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q.discard_connection("site-b"), 1u);
  EXPECT_EQ(q.discard(kOther), 1u);
  EXPECT_EQ(q.size(), 0u);
  // The capacity is back: the counters did not leak.
  AcquireQueue small(AcquireLimits{1, 1, Seconds(5)});
  small.hold(kNet, packet(1), t0);
  small.discard(kNet);
  EXPECT_TRUE(small.hold(kNet, packet(2), t0));
}

}  // namespace
}  // namespace cygnet::gateway
