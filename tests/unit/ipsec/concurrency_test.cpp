// One SA hammered from several threads at once: what multi-worker operation relies on. Every test
// here also runs under ThreadSanitizer (the `tsan` preset, a step of scripts/test), which turns any
// data race in the data path into a failure.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "base/bytes.hpp"
#include "base/time.hpp"
#include "crypto/secure_bytes.hpp"
#include "ipsec/esp.hpp"
#include "ipsec/packet_result.hpp"
#include "ipsec/replay_window.hpp"
#include "ipsec/sad.hpp"
#include "ipsec/security_association.hpp"
#include "ipsec/worker_slot.hpp"
#include "unit/ipsec/test_packets.hpp"

namespace cygnet::ipsec {
namespace {

constexpr int kThreads = 4;
const TimePoint kNow = TimePoint{} + Seconds{1};

// Runs body(thread_index) on kThreads threads released together, and joins them.
template <typename Body>
void on_threads(Body body) {
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&go, &body, t] {
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      body(t);
    });
  }
  go.store(true, std::memory_order_release);
  for (auto& thread : threads) thread.join();
}

SaParameters gcm_parameters(Direction direction, bool esn = false,
                            std::uint32_t replay_window = kMaxReplayWindow) {
  SaParameters p;
  p.spi = 0x4000;
  p.protocol = IpsecProtocol::Esp;
  p.mode = Mode::Tunnel;
  p.direction = direction;
  const bool out = direction == Direction::Outbound;
  p.local_address = test::ip(out ? "192.0.2.1" : "198.51.100.1");
  p.remote_address = test::ip(out ? "198.51.100.1" : "192.0.2.1");
  p.encryption = EncryptionTransform::aead_with(crypto::AeadAlgorithm::AesGcm128);
  p.encryption_key = crypto::SecureBytes(test::pattern(p.encryption.key_material_length(), 7));
  p.extended_sequence_numbers = esn;
  p.replay_window = replay_window;
  p.name = "concurrency";
  return p;
}

std::unique_ptr<SecurityAssociation> make_sa(Direction direction, bool esn = false,
                                             std::uint32_t replay_window = kMaxReplayWindow) {
  return std::make_unique<SecurityAssociation>(gcm_parameters(direction, esn, replay_window), kNow);
}

Bytes inner_packet(std::size_t payload) {
  return test::make_packet(test::v4_host_a(), test::v4_host_b(), test::L4::Udp, payload);
}

// ------------------------------------------------------------------------ sequence numbers

TEST(Concurrency, EverySequenceNumberIssuedExactlyOnce) {
  auto sa = make_sa(Direction::Outbound);
  constexpr int kPerThread = 20000;
  std::vector<std::vector<std::uint64_t>> issued(kThreads);
  on_threads([&](int t) {
    for (int i = 0; i < kPerThread; ++i) issued[t].push_back(sa->next_sequence().value_or(0));
  });
  std::vector<std::uint64_t> all;
  for (const auto& v : issued) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), std::size_t{kThreads} * kPerThread);
  for (std::size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i], i + 1) << "gap or duplicate";
  EXPECT_EQ(sa->last_sent_sequence(), all.size());
}

void expect_exhaustion_exactly_at_limit(bool esn) {
  auto sa = make_sa(Direction::Outbound, esn);
  const std::uint64_t limit = esn ? std::numeric_limits<std::uint64_t>::max() : 0xFFFFFFFFu;
  constexpr std::uint64_t kLeft = 1000;
  sa->advance_sequence_to(limit - kLeft);
  std::vector<std::vector<std::uint64_t>> issued(kThreads);
  std::atomic<int> refused{0};
  on_threads([&](int t) {
    for (std::uint64_t i = 0; i < kLeft; ++i) {  // kThreads times more calls than numbers left
      if (auto seq = sa->next_sequence()) {
        issued[t].push_back(*seq);
      } else {
        refused.fetch_add(1);
      }
    }
  });
  std::vector<std::uint64_t> all;
  for (const auto& v : issued) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), kLeft);
  EXPECT_EQ(all.front(), limit - kLeft + 1);
  EXPECT_EQ(all.back(), limit);
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "a number issued twice";
  EXPECT_EQ(refused.load(), static_cast<int>((kThreads - 1) * kLeft));
  EXPECT_TRUE(sa->sequence_exhausted());
  EXPECT_FALSE(sa->next_sequence().has_value());
  EXPECT_EQ(sa->last_sent_sequence(), limit);
}

TEST(Concurrency, SequenceExhaustionRefusedExactlyAtTheLimit) {
  expect_exhaustion_exactly_at_limit(false);
}
TEST(Concurrency, EsnSequenceExhaustionRefusedExactlyAt2To64) {
  expect_exhaustion_exactly_at_limit(true);
}

// ------------------------------------------------------------------------------ replay window

// Each number 1..kNumbers three times, in an order mixed within chunks (reordering smaller than
// the window), taken by whichever thread is free: every number must be accepted exactly once.
TEST(Concurrency, ReplayWindowAcceptsEachNumberOnceUnderConcurrentDelivery) {
  constexpr std::uint32_t kNumbers = 30000;
  ReplayWindow window(kMaxReplayWindow, false);
  std::vector<std::uint32_t> arrivals;
  for (std::uint32_t s = 1; s <= kNumbers; ++s) arrivals.insert(arrivals.end(), {s, s, s});
  std::mt19937 rng(13);
  for (std::size_t chunk = 0; chunk < arrivals.size(); chunk += 3000) {
    std::shuffle(arrivals.begin() + static_cast<std::ptrdiff_t>(chunk),
                 arrivals.begin() + static_cast<std::ptrdiff_t>(std::min(chunk + 3000, arrivals.size())),
                 rng);
  }
  std::vector<std::atomic<int>> accepted(kNumbers + 1);
  std::atomic<std::size_t> next{0};
  std::atomic<int> replayed{0}, other{0};
  on_threads([&](int) {
    for (std::size_t i = next.fetch_add(1); i < arrivals.size(); i = next.fetch_add(1)) {
      const auto checked = window.check(arrivals[i]);
      ReplayWindow::Verdict verdict = checked.verdict;
      if (verdict == ReplayWindow::Verdict::Ok) verdict = window.accept(checked.sequence);
      if (verdict == ReplayWindow::Verdict::Ok) {
        accepted[checked.sequence].fetch_add(1);
      } else if (verdict == ReplayWindow::Verdict::Replayed) {
        replayed.fetch_add(1);
      } else {
        other.fetch_add(1);
      }
    }
  });
  for (std::uint32_t s = 1; s <= kNumbers; ++s) ASSERT_EQ(accepted[s].load(), 1) << "sequence " << s;
  EXPECT_EQ(replayed.load(), static_cast<int>(2 * kNumbers));
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(window.highest(), kNumbers);
}

// A small window under heavy reordering: numbers may fall out of the window (TooOld) while the
// window moves, but none is ever accepted twice and the top ends at the highest number.
TEST(Concurrency, SmallReplayWindowNeverAcceptsTwiceWhileMoving) {
  constexpr std::uint32_t kNumbers = 40000;
  ReplayWindow window(
      64, false);  // no ESN: without an ICV a stale number would be inferred into the next subspace
  std::vector<std::atomic<int>> accepted(kNumbers + 1);
  on_threads([&](int t) {
    std::mt19937 rng(static_cast<std::uint32_t>(t));
    for (std::uint32_t base = 1; base <= kNumbers; base += 100) {
      for (int k = 0; k < 100; ++k) {
        const std::uint32_t s = std::min(kNumbers, base + static_cast<std::uint32_t>(rng() % 100));
        const auto checked = window.check(s);
        if (checked.verdict == ReplayWindow::Verdict::Ok &&
            window.accept(checked.sequence) == ReplayWindow::Verdict::Ok) {
          accepted[checked.sequence].fetch_add(1);
        }
      }
    }
  });
  for (std::uint32_t s = 1; s <= kNumbers; ++s) ASSERT_LE(accepted[s].load(), 1) << "sequence " << s;
  EXPECT_EQ(window.highest(), kNumbers);
}

// ------------------------------------------------------------------------ lifetime counters

TEST(Concurrency, LifetimeEventsFireOnceAndCountersSumExactly) {
  LifetimeLimits limits;
  limits.soft_packets = 3000;
  limits.hard_packets = 6000;
  LifetimeTracker tracker(limits, kNow);
  std::atomic<int> rekeys{0}, expiries{0};
  on_threads([&](int) {
    for (int i = 0; i < 2000; ++i) {
      const LifetimeEvent e = tracker.on_packet(100, kNow);
      if (e == LifetimeEvent::Rekey) rekeys.fetch_add(1);
      if (e == LifetimeEvent::Expired) expiries.fetch_add(1);
    }
  });
  EXPECT_EQ(tracker.packets(), std::uint64_t{kThreads} * 2000);
  EXPECT_EQ(tracker.bytes(), std::uint64_t{kThreads} * 2000 * 100);
  EXPECT_EQ(rekeys.load(), 1);
  EXPECT_EQ(expiries.load(), 1);
  EXPECT_TRUE(tracker.expired());
}

// ------------------------------------------------------------- ESP end to end on one SA pair

// kThreads senders encapsulate on one outbound SA (each with its own cipher context); the packets
// are then delivered twice each, concurrently, to one inbound SA: each decapsulates exactly once,
// every duplicate is dropped as a replay, and the per-worker counters sum exactly.
TEST(Concurrency, OneSaPairFromManyThreadsCountsEveryPacketExactlyOnce) {
  constexpr int kPerThread = 1500;
  constexpr std::size_t kPayload = 200;
  auto out = make_sa(Direction::Outbound);
  auto in = make_sa(Direction::Inbound);
  const Bytes inner = inner_packet(kPayload);
  std::vector<std::vector<Bytes>> sent(kThreads);
  on_threads([&](int t) {
    Bytes buffer(inner.size() + kMaxEncapsulationOverhead);
    for (int i = 0; i < kPerThread; ++i) {
      const PacketResult r = esp_encapsulate(*out, inner, buffer, kNow);
      ASSERT_TRUE(r.ok);
      sent[t].emplace_back(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(r.length));
    }
  });
  std::vector<Bytes> wire;
  for (const auto& v : sent) wire.insert(wire.end(), v.begin(), v.end());
  const std::size_t total = wire.size();
  ASSERT_EQ(total, std::size_t{kThreads} * kPerThread);
  EXPECT_EQ(out->traffic().packets, total);
  EXPECT_EQ(out->traffic().bytes, total * inner.size());
  EXPECT_EQ(out->lifetime().packets(), total);

  // Twice each, spread so a packet and its duplicate usually go to different threads.
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> delivered{0};
  on_threads([&](int) {
    Bytes buffer(inner.size() + kMaxEncapsulationOverhead);
    for (std::size_t i = next.fetch_add(1); i < 2 * total; i = next.fetch_add(1)) {
      const Bytes& packet = wire[i % total];
      const PacketResult r = esp_decapsulate(*in, packet, 20, buffer, kNow);
      if (r.ok) {
        ASSERT_EQ(r.length, inner.size());
        ASSERT_TRUE(std::equal(inner.begin(), inner.end(), buffer.begin()));
        delivered.fetch_add(1);
      } else {
        ASSERT_EQ(r.drop, DropReason::Replay);
      }
    }
  });
  EXPECT_EQ(delivered.load(), total);
  EXPECT_EQ(in->traffic().packets, total);
  EXPECT_EQ(in->traffic().bytes, total * inner.size());
  EXPECT_EQ(in->drops()[DropReason::Replay], total);
  EXPECT_EQ(in->drops().total(), total);
  EXPECT_EQ(in->replay_window().highest(), total);
}

// ------------------------------------------------------------------ install/remove during traffic

// The IKE thread replaces inbound SAs (same SPIs, new SA objects) and publishes while workers look
// them up through their Readers and decapsulate with whatever they found: no crash, no use of a
// freed SA (ThreadSanitizer and the ASan build watch), and every lookup result is a usable SA.
TEST(Concurrency, InstallAndRemoveDuringTrafficKeepsFoundSasAlive) {
  constexpr int kSpis = 4;
  constexpr int kReplacements = 400;
  auto with_spi = [](Direction direction, std::uint32_t spi) {
    SaParameters p = gcm_parameters(direction);
    p.spi = spi;
    return std::make_unique<SecurityAssociation>(std::move(p), kNow);
  };
  const Bytes inner = inner_packet(100);
  std::vector<Bytes> packets;  // sequence number 1 under each SPI
  for (int k = 0; k < kSpis; ++k) {
    auto out = with_spi(Direction::Outbound, 0x5000 + k);
    Bytes buffer(inner.size() + kMaxEncapsulationOverhead);
    const PacketResult r = esp_encapsulate(*out, inner, buffer, kNow);
    ASSERT_TRUE(r.ok);
    buffer.resize(r.length);
    packets.push_back(buffer);
  }
  Sad sad;
  std::vector<SaHandle> installed(kSpis);
  for (int k = 0; k < kSpis; ++k) installed[k] = sad.add(with_spi(Direction::Inbound, 0x5000 + k)).value();
  sad.publish();

  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> decapsulated{0}, lookups{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < kThreads - 1; ++w) {
    workers.emplace_back([&] {
      Sad::Reader reader(sad);
      Bytes buffer(inner.size() + kMaxEncapsulationOverhead);
      while (!done.load(std::memory_order_acquire)) {
        const Sad::Snapshot& snapshot = reader.current();  // one "batch"
        for (int k = 0; k < kSpis; ++k) {
          SecurityAssociation* sa =
              snapshot.find_inbound(0x5000 + k, test::ip("198.51.100.1"), IpsecProtocol::Esp);
          ASSERT_NE(sa, nullptr);  // each SPI is replaced, never missing, in a published snapshot
          lookups.fetch_add(1, std::memory_order_relaxed);
          const PacketResult r = esp_decapsulate(*sa, packets[k], 20, buffer, kNow);
          if (r.ok) {
            decapsulated.fetch_add(1, std::memory_order_relaxed);
          } else {
            ASSERT_EQ(r.drop, DropReason::Replay);
          }
        }
      }
    });
  }
  for (int i = 0; i < kReplacements; ++i) {
    const int k = i % kSpis;
    ASSERT_TRUE(sad.remove(installed[k]));  // the old SA: workers may still hold it
    installed[k] = sad.add(with_spi(Direction::Inbound, 0x5000 + k)).value();
    sad.publish();
    std::this_thread::yield();
  }
  done.store(true, std::memory_order_release);
  for (auto& worker : workers) worker.join();
  EXPECT_GT(lookups.load(), 0u);
  // Each SA object accepts its packet at most once; kSpis originals plus every replacement.
  EXPECT_LE(decapsulated.load(), std::uint64_t{kSpis + kReplacements});
  EXPECT_EQ(sad.size(), std::size_t{kSpis});
}

TEST(Concurrency, ReaderSeesOnlyPublishedChanges) {
  Sad sad;
  Sad::Reader reader(sad);
  EXPECT_EQ(reader.current().size(), 0u);
  const SaHandle h = sad.add(make_sa(Direction::Outbound)).value();
  EXPECT_EQ(reader.current().size(), 0u);  // not yet published
  sad.publish();
  ASSERT_EQ(reader.current().size(), 1u);
  SecurityAssociation* held = reader.current().find(h);
  ASSERT_NE(held, nullptr);
  ASSERT_TRUE(sad.remove(h));
  sad.publish();
  EXPECT_EQ(held->spi(), 0x4000u);  // still alive: the reader has not refreshed since
  EXPECT_EQ(reader.current().find(h), nullptr);
}

// ------------------------------------------------------------------------------ worker slots

TEST(Concurrency, EachLiveThreadHoldsItsOwnWorkerSlot) {
  std::vector<std::size_t> slots(kThreads);
  std::atomic<int> arrived{0};
  on_threads([&](int t) {
    slots[t] = current_worker_slot();
    arrived.fetch_add(1);
    while (arrived.load() < kThreads) std::this_thread::yield();  // all alive at once
  });
  std::sort(slots.begin(), slots.end());
  EXPECT_EQ(std::adjacent_find(slots.begin(), slots.end()), slots.end());
  for (std::size_t s : slots) EXPECT_LT(s, kMaxWorkerSlots);
}

}  // namespace
}  // namespace cygnet::ipsec
