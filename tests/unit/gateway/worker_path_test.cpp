// WorkerPath: the per-packet path of one cygnetd data-plane worker, on data plane replicas the
// control thread publishes. The concurrent test is the multi-worker contract, and also runs under
// ThreadSanitizer (the tsan preset, a step of scripts/test): several workers encrypt on shared SAs
// while the control thread rekeys and removes them, then several workers decrypt while it keeps
// publishing — no data race, no sequence number issued twice, no replay false positive.
#include "gateway/worker_path.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "ipsec/replay_window.hpp"
#include "wire/byte_reader.hpp"
#include "wire/ip_packet.hpp"
#include "wire/udp_encap.hpp"

namespace cygnet::gateway {
namespace {

using ipsec::AddressRange;
using ipsec::DataPlane;
using ipsec::Direction;
using ipsec::SaHandle;
using ipsec::SaParameters;
using ipsec::SecurityAssociation;

const TimePoint kNow = TimePoint{} + Seconds(100);

wire::IpAddress addr(const char* text) {
  return *wire::IpAddress::parse(text);
}
AddressRange range(const char* prefix) {
  return AddressRange::from_prefix(*wire::IpPrefix::parse(prefix));
}

Bytes udp_packet(std::size_t payload) {
  Bytes p(20 + 8 + payload, 0x61);
  wire::Ipv4HeaderFields h;
  h.source = addr("198.51.100.7");
  h.destination = addr("203.0.113.9");
  h.protocol = wire::ip_protocol::kUdp;
  h.total_length = static_cast<std::uint16_t>(p.size());
  wire::write_ipv4_header(p, h);
  wire::write_udp_header(MutableByteView(p).subspan(20), 1000, 2000, static_cast<std::uint16_t>(8 + payload));
  return p;
}

// Gateway A (192.0.2.1) protects 198.51.100.0/24 toward gateway B (192.0.2.2), 203.0.113.0/24.
SaParameters sa_params(Direction d, std::uint32_t spi) {
  SaParameters p;
  p.spi = spi;
  p.direction = d;
  p.mode = ipsec::Mode::Tunnel;
  const bool out = d == Direction::Outbound;
  p.local_address = addr(out ? "192.0.2.1" : "192.0.2.2");
  p.remote_address = addr(out ? "192.0.2.2" : "192.0.2.1");
  p.encryption = ipsec::EncryptionTransform::aead_with(crypto::AeadAlgorithm::AesGcm256);
  p.encryption_key = crypto::SecureBytes(Bytes(36, static_cast<std::uint8_t>(spi)));
  p.replay_window = ipsec::kMaxReplayWindow;
  p.selector.local = range(out ? "198.51.100.0/24" : "203.0.113.0/24");
  p.selector.remote = range(out ? "203.0.113.0/24" : "198.51.100.0/24");
  return p;
}

std::uint32_t spi_of(ByteView esp_packet) {
  return wire::load_be32(esp_packet.data() + 20);
}
std::uint32_t sequence_of(ByteView esp_packet) {
  return wire::load_be32(esp_packet.data() + 24);
}

struct Gateways : ::testing::Test {
  DataPlane a;
  DataPlane b;
  ipsec::PolicyId protect = 0;
  std::optional<SaHandle> outbound;
  WorkerRequestQueue requests;

  void SetUp() override {
    ipsec::Policy p;
    p.selector.local = range("198.51.100.0/24");
    p.selector.remote = range("203.0.113.0/24");
    p.action = ipsec::PolicyAction::Protect;
    protect = a.spd().add(p);
  }

  // A rekey as the binding does it: inbound first at B, then A's new outbound SA replaces the old.
  void install(std::uint32_t spi, const ipsec::LifetimeLimits& limits = {}) {
    ASSERT_TRUE(b.sad().add(std::make_unique<SecurityAssociation>(sa_params(Direction::Inbound, spi), kNow)));
    SaParameters params = sa_params(Direction::Outbound, spi);
    params.lifetime = limits;
    const auto added = a.sad().add(std::make_unique<SecurityAssociation>(params, kNow));
    ASSERT_TRUE(added);
    ASSERT_TRUE(a.bind_outbound_sa(protect, *added));
    if (outbound) a.sad().remove(*outbound);
    outbound = added;
  }
};

TEST_F(Gateways, NothingPassesBeforeTheFirstReplica) {
  WorkerPath worker(0, requests);
  EXPECT_FALSE(worker.refresh());
  OutputBatch out;
  EXPECT_EQ(worker.on_tun_packet(udp_packet(40), kNow, out).kind, ipsec::OutboundOutcome::Kind::Dropped);
  EXPECT_TRUE(out.packets().empty());
  EXPECT_EQ(worker.counters().outbound_drops.load(), 1u);
}

TEST_F(Gateways, EncryptsOnOneWorkerAndDecryptsOnAnother) {
  install(0x1001);
  WorkerPath sender(0, requests);
  WorkerPath receiver(1, requests);
  sender.publish(a.replica());
  receiver.publish(b.replica());
  ASSERT_TRUE(sender.refresh());
  ASSERT_TRUE(receiver.refresh());
  OutputBatch out;
  const Bytes inner = udp_packet(100);
  EXPECT_EQ(sender.on_tun_packet(inner, kNow, out).kind, ipsec::OutboundOutcome::Kind::Protected);
  ASSERT_EQ(out.packets().size(), 1u);
  const OutputPacket esp = out.packets()[0];
  EXPECT_EQ(esp.destination, Destination::Raw);
  EXPECT_EQ(esp.remote.address, addr("192.0.2.2"));
  const Bytes wire_packet(out.bytes(esp).begin(), out.bytes(esp).end());
  EXPECT_EQ(spi_of(wire_packet), 0x1001u);
  OutputBatch in;
  EXPECT_EQ(receiver.on_raw_packet(wire_packet, kNow, in), InboundVerdict::Decapsulated);
  ASSERT_EQ(in.packets().size(), 1u);
  EXPECT_EQ(in.packets()[0].destination, Destination::Tun);
  const ByteView decrypted = in.bytes(in.packets()[0]);
  EXPECT_TRUE(std::equal(decrypted.begin(), decrypted.end(), inner.begin(), inner.end()));
  // The same packet again is a replay, however many workers there are: the window is the SA's.
  in.clear();
  EXPECT_EQ(receiver.on_raw_packet(wire_packet, kNow, in), InboundVerdict::Dropped);
  EXPECT_EQ(receiver.counters().inbound_drops.load(), 1u);
  receiver.publish_counters();
  EXPECT_EQ(receiver.data_plane_counters().drops[ipsec::DropReason::Replay], 1u);
  EXPECT_EQ(receiver.data_plane_counters().inbound.packets, 1u);
}

TEST_F(Gateways, APolicyWithoutSaBecomesAnAcquireRequestCarryingThePacket) {
  WorkerPath worker(0, requests);
  worker.publish(a.replica());
  ASSERT_TRUE(worker.refresh());
  OutputBatch out;
  const Bytes inner = udp_packet(30);
  EXPECT_EQ(worker.on_tun_packet(inner, kNow, out).kind, ipsec::OutboundOutcome::Kind::Acquire);
  EXPECT_TRUE(out.packets().empty());
  const std::vector<WorkerRequest> taken = requests.take_all();
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].kind, WorkerRequest::Kind::Acquire);
  EXPECT_EQ(taken[0].policy, protect);
  EXPECT_EQ(taken[0].packet, inner);
  EXPECT_EQ(worker.counters().acquires.load(), 1u);
}

TEST_F(Gateways, ASoftLimitIsRequestedOnceAcrossWorkers) {
  ipsec::LifetimeLimits limits;
  limits.soft_packets = 3;
  install(0x1001, limits);
  WorkerPath first(0, requests);
  WorkerPath second(1, requests);
  first.publish(a.replica());
  second.publish(a.replica());
  first.refresh();
  second.refresh();
  OutputBatch out;
  for (int i = 0; i < 4; ++i) {
    first.on_tun_packet(udp_packet(20), kNow, out);
    second.on_tun_packet(udp_packet(20), kNow, out);
  }
  const std::vector<WorkerRequest> taken = requests.take_all();
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].kind, WorkerRequest::Kind::LifetimeLimit);
  EXPECT_EQ(taken[0].event, ipsec::LifetimeEvent::Rekey);
  EXPECT_EQ(taken[0].sa, *outbound);
}

TEST_F(Gateways, ARemovedSaStaysUsableUntilTheWorkerTakesTheNextReplica) {
  install(0x1001);
  WorkerPath worker(0, requests);
  worker.publish(a.replica());
  worker.refresh();
  install(0x2002);  // removes 0x1001 from A
  OutputBatch out;
  worker.on_tun_packet(udp_packet(20), kNow, out);
  EXPECT_EQ(spi_of(out.bytes(out.packets().back())), 0x1001u);
  worker.publish(a.replica());
  worker.refresh();
  worker.on_tun_packet(udp_packet(20), kNow, out);
  EXPECT_EQ(spi_of(out.bytes(out.packets().back())), 0x2002u);
  EXPECT_EQ(worker.counters().replicas_taken.load(), 2u);
}

// ---------------------------------------------------------------- several workers at once

TEST_F(Gateways, WorkersEncryptAndDecryptWhileTheControlThreadRekeys) {
  constexpr int kSenders = 3;
  constexpr int kReceivers = 2;
  constexpr int kPacketsPerSender = 1500;
  constexpr int kBurst = 16;
  install(0x1000);

  std::vector<std::unique_ptr<WorkerPath>> senders;
  for (int i = 0; i < kSenders; ++i) {
    senders.push_back(std::make_unique<WorkerPath>(static_cast<std::size_t>(i), requests));
    senders.back()->publish(a.replica());
  }
  std::atomic<int> senders_done{0};
  std::atomic<int> senders_started{0};  // each has encrypted its first burst (on SPI 0x1000)
  std::atomic<int> rekeys{0};           // senders go on until a few rekeys happened during their traffic
  std::vector<std::vector<Bytes>> sent(kSenders);
  std::vector<std::thread> threads;
  for (int i = 0; i < kSenders; ++i) {
    threads.emplace_back([&, i] {
      WorkerPath& worker = *senders[static_cast<std::size_t>(i)];
      const Bytes inner = udp_packet(64);
      OutputBatch out;
      while (static_cast<int>(sent[i].size()) < kPacketsPerSender || rekeys.load() < 3) {
        worker.refresh();
        out.clear();
        for (int p = 0; p < kBurst; ++p) worker.on_tun_packet(inner, kNow, out);
        for (const OutputPacket& packet : out.packets()) {
          if (packet.destination == Destination::Raw && packet.purpose == Purpose::Data)
            sent[i].emplace_back(out.bytes(packet).begin(), out.bytes(packet).end());
        }
        worker.publish_counters();
        if (sent[i].size() == kBurst) senders_started.fetch_add(1);
      }
      senders_done.fetch_add(1);
    });
  }
  // The control thread: rekeys (new SA pair, the old outbound SA removed) while they run.
  std::uint32_t spi = 0x1000;
  while (senders_started.load() < kSenders) std::this_thread::yield();
  while (senders_done.load() < kSenders) {
    install(++spi);
    for (auto& s : senders) s->publish(a.replica());
    rekeys.fetch_add(1);
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  for (auto& t : threads) t.join();
  threads.clear();

  // Every (SPI, sequence number) once, and per SPI exactly 1..n: nothing issued twice or skipped.
  std::map<std::uint32_t, std::vector<std::uint32_t>> by_spi;
  std::size_t total = 0;
  for (const auto& one : sent) {
    for (const Bytes& packet : one) {
      by_spi[spi_of(packet)].push_back(sequence_of(packet));
      ++total;
    }
  }
  EXPECT_GE(by_spi.size(), 2u) << "the rekeys happened during traffic";
  for (auto& [one_spi, sequences] : by_spi) {
    std::sort(sequences.begin(), sequences.end());
    for (std::size_t k = 0; k < sequences.size(); ++k)
      ASSERT_EQ(sequences[k], k + 1) << "SPI " << one_spi << ": a sequence number repeated or skipped";
  }
  std::uint64_t sender_drops = 0;
  for (const auto& s : senders) sender_drops += s->counters().outbound_drops.load();
  EXPECT_EQ(sender_drops, 0u);

  // Receivers: each SPI belongs to one of them (as cygnetd hands packets over), in arrival order.
  std::vector<std::unique_ptr<WorkerPath>> receivers;
  std::vector<std::vector<const Bytes*>> handed(kReceivers);
  for (int i = 0; i < kReceivers; ++i) {
    receivers.push_back(std::make_unique<WorkerPath>(static_cast<std::size_t>(i), requests));
    receivers.back()->publish(b.replica());
  }
  for (const auto& one : sent)
    for (const Bytes& packet : one) handed[spi_of(packet) % kReceivers].push_back(&packet);
  std::atomic<int> receivers_done{0};
  for (int i = 0; i < kReceivers; ++i) {
    threads.emplace_back([&, i] {
      WorkerPath& worker = *receivers[static_cast<std::size_t>(i)];
      OutputBatch in;
      for (std::size_t k = 0; k < handed[i].size(); k += kBurst) {
        worker.refresh();
        in.clear();
        for (std::size_t p = k; p < std::min(handed[i].size(), k + kBurst); ++p)
          worker.on_raw_packet(*handed[i][p], kNow, in);
        worker.publish_counters();
      }
      receivers_done.fetch_add(1);
    });
  }
  // Meanwhile the control thread keeps changing B (an unrelated SA) and publishing.
  while (receivers_done.load() < kReceivers) {
    b.sad().add(std::make_unique<SecurityAssociation>(sa_params(Direction::Inbound, ++spi), kNow));
    for (auto& r : receivers) r->publish(b.replica());
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  for (auto& t : threads) t.join();
  std::uint64_t decapsulated = 0;
  std::uint64_t drops = 0;
  for (const auto& r : receivers) {
    decapsulated += r->counters().decapsulated_in.load();
    drops += r->counters().inbound_drops.load();
  }
  EXPECT_EQ(decapsulated, total);
  EXPECT_EQ(drops, 0u) << "a replay false positive or a lost SA";
  EXPECT_TRUE(requests.take_all().empty());
}

}  // namespace
}  // namespace cygnet::gateway
