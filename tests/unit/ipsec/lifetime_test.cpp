// SA lifetimes (RFC 4301 §4.4.2.1): soft fires Rekey once, hard fires Expired once and sticks.
#include "ipsec/lifetime.hpp"

#include <gtest/gtest.h>

namespace cygnet::ipsec {
namespace {

const TimePoint kStart = TimePoint{} + Seconds(1000);

TEST(Lifetime, ZeroLimitsMeanUnlimited) {
  LifetimeTracker t(LifetimeLimits{}, kStart);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(t.on_packet(1'000'000'000, kStart + Seconds(i * 86400)), LifetimeEvent::None);
  }
  EXPECT_EQ(t.on_time(kStart + Seconds(10LL * 365 * 86400)), LifetimeEvent::None);
  EXPECT_FALSE(t.expired());
  EXPECT_FALSE(t.rekey_due());
  EXPECT_EQ(t.packets(), 1000u);
  EXPECT_EQ(t.bytes(), 1000ull * 1'000'000'000ull);
  EXPECT_FALSE(t.soft_deadline().has_value());
  EXPECT_FALSE(t.hard_deadline().has_value());
}

TEST(Lifetime, AccessorsAndDeadlines) {
  LifetimeLimits limits;
  limits.soft_time = Seconds(3000);
  limits.hard_time = Seconds(3600);
  LifetimeTracker t(limits, kStart);
  EXPECT_EQ(t.created(), kStart);
  EXPECT_EQ(t.limits().soft_time, Seconds(3000));
  ASSERT_TRUE(t.soft_deadline().has_value());
  ASSERT_TRUE(t.hard_deadline().has_value());
  EXPECT_EQ(*t.soft_deadline(), kStart + Seconds(3000));
  EXPECT_EQ(*t.hard_deadline(), kStart + Seconds(3600));
}

TEST(Lifetime, TimeSoftThenHard) {
  LifetimeLimits limits;
  limits.soft_time = Seconds(100);
  limits.hard_time = Seconds(120);
  LifetimeTracker t(limits, kStart);
  EXPECT_EQ(t.on_time(kStart + Seconds(99)), LifetimeEvent::None);
  EXPECT_EQ(t.on_time(kStart + Seconds(100)), LifetimeEvent::Rekey);  // reaching the limit counts
  EXPECT_TRUE(t.rekey_due());
  EXPECT_FALSE(t.expired());
  EXPECT_EQ(t.on_time(kStart + Seconds(101)), LifetimeEvent::None);  // soft fires once
  EXPECT_EQ(t.on_packet(10, kStart + Seconds(110)), LifetimeEvent::None);
  EXPECT_EQ(t.on_time(kStart + Seconds(119)), LifetimeEvent::None);
  EXPECT_EQ(t.on_time(kStart + Seconds(120)), LifetimeEvent::Expired);
  EXPECT_TRUE(t.expired());
  EXPECT_EQ(t.on_time(kStart + Seconds(121)), LifetimeEvent::None);  // hard fires once
  EXPECT_EQ(t.on_packet(10, kStart + Seconds(130)), LifetimeEvent::None);
  EXPECT_TRUE(t.expired());  // and stays
}

TEST(Lifetime, TimeIsCheckedOnPacketsToo) {
  LifetimeLimits limits;
  limits.soft_time = Seconds(10);
  limits.hard_time = Seconds(20);
  LifetimeTracker t(limits, kStart);
  EXPECT_EQ(t.on_packet(1, kStart + Seconds(5)), LifetimeEvent::None);
  EXPECT_EQ(t.on_packet(1, kStart + Seconds(15)), LifetimeEvent::Rekey);
  EXPECT_EQ(t.on_packet(1, kStart + Seconds(25)), LifetimeEvent::Expired);
  EXPECT_EQ(t.packets(), 3u);
}

TEST(Lifetime, BytesSoftThenHard) {
  LifetimeLimits limits;
  limits.soft_bytes = 1000;
  limits.hard_bytes = 1500;
  LifetimeTracker t(limits, kStart);
  EXPECT_EQ(t.on_packet(400, kStart), LifetimeEvent::None);
  EXPECT_EQ(t.on_packet(599, kStart), LifetimeEvent::None);  // 999
  // The packet's bytes are counted before the limits are evaluated: this one crosses soft.
  EXPECT_EQ(t.on_packet(1, kStart), LifetimeEvent::Rekey);  // 1000
  EXPECT_EQ(t.bytes(), 1000u);
  EXPECT_EQ(t.on_packet(400, kStart), LifetimeEvent::None);  // 1400
  EXPECT_EQ(t.on_packet(200, kStart), LifetimeEvent::Expired);  // 1600
  EXPECT_TRUE(t.expired());
  EXPECT_EQ(t.on_packet(200, kStart), LifetimeEvent::None);
  EXPECT_EQ(t.bytes(), 1800u);
  EXPECT_EQ(t.on_time(kStart + Seconds(1)), LifetimeEvent::None);  // time-only: nothing new
}

TEST(Lifetime, PacketsSoftThenHard) {
  LifetimeLimits limits;
  limits.soft_packets = 3;
  limits.hard_packets = 5;
  LifetimeTracker t(limits, kStart);
  EXPECT_EQ(t.on_packet(0, kStart), LifetimeEvent::None);
  EXPECT_EQ(t.on_packet(0, kStart), LifetimeEvent::None);
  EXPECT_EQ(t.on_packet(0, kStart), LifetimeEvent::Rekey);  // 3rd packet
  EXPECT_EQ(t.on_packet(0, kStart), LifetimeEvent::None);
  EXPECT_EQ(t.on_packet(0, kStart), LifetimeEvent::Expired);  // 5th packet
  EXPECT_EQ(t.on_packet(0, kStart), LifetimeEvent::None);
  EXPECT_EQ(t.packets(), 6u);
  EXPECT_TRUE(t.expired());
  EXPECT_TRUE(t.rekey_due());
}

TEST(Lifetime, HardCrossedFirstReportsExpired) {
  // One large packet jumps over both limits: Expired, and no Rekey afterwards.
  LifetimeLimits limits;
  limits.soft_bytes = 100;
  limits.hard_bytes = 200;
  LifetimeTracker t(limits, kStart);
  EXPECT_EQ(t.on_packet(500, kStart), LifetimeEvent::Expired);
  EXPECT_TRUE(t.expired());
  EXPECT_EQ(t.on_packet(1, kStart), LifetimeEvent::None);
  EXPECT_EQ(t.on_time(kStart + Seconds(1)), LifetimeEvent::None);
}

TEST(Lifetime, HardWithoutSoft) {
  LifetimeLimits limits;
  limits.hard_time = Seconds(60);
  LifetimeTracker t(limits, kStart);
  EXPECT_EQ(t.on_time(kStart + Seconds(59)), LifetimeEvent::None);
  EXPECT_EQ(t.on_time(kStart + Seconds(61)), LifetimeEvent::Expired);
  EXPECT_FALSE(t.rekey_due());
  EXPECT_FALSE(t.soft_deadline().has_value());
  EXPECT_EQ(t.on_time(kStart + Seconds(62)), LifetimeEvent::None);
}

TEST(Lifetime, SoftWithoutHardNeverExpires) {
  LifetimeLimits limits;
  limits.soft_packets = 2;
  LifetimeTracker t(limits, kStart);
  EXPECT_EQ(t.on_packet(1, kStart), LifetimeEvent::None);
  EXPECT_EQ(t.on_packet(1, kStart), LifetimeEvent::Rekey);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(t.on_packet(1, kStart + Seconds(i)), LifetimeEvent::None);
  EXPECT_FALSE(t.expired());
}

TEST(Lifetime, MixedLimitsFireOnTheFirstCrossed) {
  // Soft by packets, hard by time: each kind of limit counts independently; soft still fires once
  // even though a second soft limit (bytes) is crossed later.
  LifetimeLimits limits;
  limits.soft_packets = 2;
  limits.soft_bytes = 10'000;
  limits.hard_time = Seconds(30);
  limits.hard_bytes = 1'000'000;
  LifetimeTracker t(limits, kStart);
  EXPECT_EQ(t.on_packet(100, kStart + Seconds(1)), LifetimeEvent::None);
  EXPECT_EQ(t.on_packet(100, kStart + Seconds(2)), LifetimeEvent::Rekey);
  EXPECT_EQ(t.on_packet(20'000, kStart + Seconds(3)), LifetimeEvent::None);  // soft bytes: already fired
  EXPECT_EQ(t.on_time(kStart + Seconds(30)), LifetimeEvent::Expired);
  EXPECT_EQ(t.on_packet(2'000'000, kStart + Seconds(31)), LifetimeEvent::None);
}

TEST(Lifetime, TimeBeforeCreationDoesNothing) {
  LifetimeLimits limits;
  limits.soft_time = Seconds(1);
  limits.hard_time = Seconds(2);
  LifetimeTracker t(limits, kStart);
  EXPECT_EQ(t.on_time(kStart - Seconds(100)), LifetimeEvent::None);
  EXPECT_EQ(t.on_time(kStart), LifetimeEvent::None);
}

}  // namespace
}  // namespace cygnet::ipsec
