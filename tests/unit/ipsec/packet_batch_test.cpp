// Per-batch accounting (ipsec/packet_batch.hpp): an SA's statistics and lifetime use are held for
// the batch and added once when it closes, while lifetime limits are still checked per packet.
// The threaded test also runs under ThreadSanitizer (the whole cygnet-unit-ipsec binary does).
#include "ipsec/packet_batch.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "base/bytes.hpp"
#include "base/time.hpp"
#include "crypto/secure_bytes.hpp"
#include "ipsec/esp.hpp"
#include "ipsec/packet_result.hpp"
#include "ipsec/security_association.hpp"
#include "unit/ipsec/test_packets.hpp"

namespace cygnet::ipsec {
namespace {

const TimePoint kNow = TimePoint{} + Seconds{1};

std::unique_ptr<SecurityAssociation> outbound_sa(std::uint32_t spi, LifetimeLimits limits = {}) {
  SaParameters p;
  p.spi = spi;
  p.protocol = IpsecProtocol::Esp;
  p.mode = Mode::Tunnel;
  p.direction = Direction::Outbound;
  p.local_address = test::ip("192.0.2.1");
  p.remote_address = test::ip("198.51.100.1");
  p.encryption = EncryptionTransform::aead_with(crypto::AeadAlgorithm::AesGcm128);
  p.encryption_key = crypto::SecureBytes(test::pattern(p.encryption.key_material_length(), 3));
  p.lifetime = limits;
  p.name = "batch";
  return std::make_unique<SecurityAssociation>(std::move(p), kNow);
}

Bytes inner_packet() {
  return test::make_packet(test::v4_host_a(), test::v4_host_b(), test::L4::Udp, 100);
}

LifetimeEvent send(SecurityAssociation& sa, const Bytes& inner) {
  Bytes out(inner.size() + kMaxEncapsulationOverhead);
  const PacketResult r = esp_encapsulate(sa, inner, out, kNow);
  EXPECT_TRUE(r.ok);
  return r.lifetime_event;
}

TEST(PacketBatch, HoldsCountsUntilCloseThenAddsThemExactly) {
  auto sa = outbound_sa(0x1000);
  const Bytes inner = inner_packet();
  PacketBatch batch;
  const PacketBatch::Use use(batch);
  batch.open();
  for (int i = 0; i < 10; ++i) send(*sa, inner);
  // Held in this thread's shard: nothing added to the shared counters yet.
  EXPECT_EQ(sa->traffic().packets, 0u);
  EXPECT_EQ(sa->lifetime().packets(), 0u);
  batch.close();
  EXPECT_EQ(sa->traffic().packets, 10u);
  EXPECT_EQ(sa->traffic().bytes, 10 * inner.size());
  EXPECT_EQ(sa->lifetime().packets(), 10u);
  EXPECT_EQ(sa->lifetime().bytes(), 10 * inner.size());
  // Closed: the next packet is accounted at once again.
  send(*sa, inner);
  EXPECT_EQ(sa->traffic().packets, 11u);
  EXPECT_EQ(sa->lifetime().packets(), 11u);
}

TEST(PacketBatch, LimitsAreStillCheckedPerPacketInsideABatch) {
  LifetimeLimits limits;
  limits.soft_packets = 3;
  limits.hard_packets = 5;
  auto sa = outbound_sa(0x1001, limits);
  const Bytes inner = inner_packet();
  PacketBatch batch;
  const PacketBatch::Use use(batch);
  batch.open();
  send(*sa, inner);
  send(*sa, inner);  // two held
  batch.close();
  batch.open();
  EXPECT_EQ(send(*sa, inner), LifetimeEvent::Rekey);  // 2 added + 1 held = the soft limit
  EXPECT_EQ(send(*sa, inner), LifetimeEvent::None);
  EXPECT_EQ(send(*sa, inner), LifetimeEvent::Expired);  // the 5th, though 3 are still held
  EXPECT_TRUE(sa->lifetime().expired());
  batch.close();
  EXPECT_EQ(sa->lifetime().packets(), 5u);
}

TEST(PacketBatch, ManySasInOneBatchAndOverflowBeyondTheNotedOnes) {
  std::vector<std::unique_ptr<SecurityAssociation>> sas;
  for (std::size_t i = 0; i < PacketBatch::kMaxSasPerBatch + 3; ++i)
    sas.push_back(outbound_sa(static_cast<std::uint32_t>(0x2000 + i)));
  const Bytes inner = inner_packet();
  PacketBatch batch;
  const PacketBatch::Use use(batch);
  batch.open();
  for (auto& sa : sas) {
    send(*sa, inner);
    send(*sa, inner);
  }
  // The first kMaxSasPerBatch SAs hold their counts; the batch is full for the rest, which are
  // accounted at once.
  EXPECT_EQ(sas.front()->traffic().packets, 0u);
  EXPECT_EQ(sas.back()->traffic().packets, 2u);
  batch.close();
  for (auto& sa : sas) {
    EXPECT_EQ(sa->traffic().packets, 2u);
    EXPECT_EQ(sa->lifetime().packets(), 2u);
  }
}

TEST(PacketBatch, OnlyTheOpenBatchInUseHoldsCounts) {
  auto sa = outbound_sa(0x1004);
  const Bytes inner = inner_packet();
  PacketBatch outer;
  PacketBatch inner_batch;
  outer.open();
  inner_batch.open();
  send(*sa, inner);  // no batch in use on this thread: at once
  EXPECT_EQ(sa->traffic().packets, 1u);
  {
    const PacketBatch::Use use(outer);
    EXPECT_EQ(PacketBatch::current(), &outer);
    {
      const PacketBatch::Use nested(inner_batch);  // the outer one stays in force
      EXPECT_EQ(PacketBatch::current(), &outer);
      send(*sa, inner);
    }
    EXPECT_EQ(PacketBatch::current(), &outer);
    EXPECT_EQ(sa->traffic().packets, 1u);
  }
  EXPECT_EQ(PacketBatch::current(), nullptr);
  send(*sa, inner);  // out of the Use: at once
  EXPECT_EQ(sa->traffic().packets, 2u);
  outer.close();
  EXPECT_EQ(sa->traffic().packets, 3u);
  {
    const PacketBatch::Use use(outer);  // closed: in use but not collecting
    EXPECT_EQ(PacketBatch::current(), nullptr);
  }
}

TEST(PacketBatch, WithoutABatchEveryPacketIsAccountedAtOnce) {
  auto sa = outbound_sa(0x1002);
  const Bytes inner = inner_packet();
  send(*sa, inner);
  EXPECT_EQ(sa->traffic().packets, 1u);
  EXPECT_EQ(sa->lifetime().packets(), 1u);
}

// Several workers with batches of 32 on one SA: every packet counted exactly once after the last
// close, and the soft limit reported exactly once (by whichever packet saw it first).
TEST(PacketBatch, ConcurrentBatchesOnOneSaSumExactly) {
  constexpr int kThreads = 4;
  constexpr int kBatches = 60;
  constexpr int kPerBatch = 32;
  constexpr std::uint64_t kTotal = std::uint64_t{kThreads} * kBatches * kPerBatch;
  LifetimeLimits limits;
  limits.soft_packets = kTotal / 2;
  auto sa = outbound_sa(0x1003, limits);
  const Bytes inner = inner_packet();
  std::atomic<int> rekeys{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      Bytes out(inner.size() + kMaxEncapsulationOverhead);
      PacketBatch batch;
      const PacketBatch::Use use(batch);
      for (int b = 0; b < kBatches; ++b) {
        batch.open();
        for (int i = 0; i < kPerBatch; ++i) {
          const PacketResult r = esp_encapsulate(*sa, inner, out, kNow);
          if (r.ok && r.lifetime_event == LifetimeEvent::Rekey) rekeys.fetch_add(1);
        }
        batch.close();
      }
    });
  }
  go.store(true, std::memory_order_release);
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(sa->traffic().packets, kTotal);
  EXPECT_EQ(sa->traffic().bytes, kTotal * inner.size());
  EXPECT_EQ(sa->lifetime().packets(), kTotal);
  EXPECT_EQ(sa->last_sent_sequence(), kTotal);
  EXPECT_EQ(rekeys.load(), 1);
}

}  // namespace
}  // namespace cygnet::ipsec
