// WorkerPath: the per-packet path of one cygnetd data-plane worker, on data plane replicas the
// control thread publishes. The concurrent test is the multi-worker contract, and also runs under
// ThreadSanitizer (the tsan preset, a step of scripts/test): several workers encrypt on shared SAs
// while the control thread rekeys and removes them, then several workers decrypt while it keeps
// publishing — no data race, no sequence number issued twice, no replay false positive.
#include "gateway/worker_path.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gateway/worker_pause.hpp"
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
    p.priority = 90;  // a CHILD SA's, as the binding installs it (shunts come first)
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

// RFC 9611 per-resource SAs: the replica of each worker binds the policy to its own SA; a worker
// without one sends on the fallback the policy points at. Decrypting works on any of them.
TEST_F(Gateways, EachWorkerSendsOnItsOwnPerResourceSa) {
  install(0x1001);  // the fallback, bound to the policy
  std::vector<SaHandle> own;
  for (std::uint32_t spi : {0x2000u, 0x2001u}) {
    ASSERT_TRUE(b.sad().add(std::make_unique<SecurityAssociation>(sa_params(Direction::Inbound, spi), kNow)));
    const auto added =
        a.sad().add(std::make_unique<SecurityAssociation>(sa_params(Direction::Outbound, spi), kNow));
    ASSERT_TRUE(added);
    own.push_back(*added);
  }
  ReplicaContext context;
  context.workers = 3;  // worker 2 has no SA of its own
  context.resource_bindings = {{0, protect, own[0]}, {1, protect, own[1]}};
  std::vector<std::unique_ptr<WorkerPath>> workers;
  for (std::size_t i = 0; i < 3; ++i) {
    workers.push_back(std::make_unique<WorkerPath>(i, requests));
    workers[i]->publish(a.replica(), context);
    ASSERT_TRUE(workers[i]->refresh());
  }
  WorkerPath receiver(0, requests);
  receiver.publish(b.replica());
  ASSERT_TRUE(receiver.refresh());
  const std::uint32_t expected[] = {0x2000, 0x2001, 0x1001};
  for (std::size_t i = 0; i < 3; ++i) {
    OutputBatch out;
    for (int n = 0; n < 3; ++n)
      ASSERT_EQ(workers[i]->on_tun_packet(udp_packet(50), kNow, out).kind,
                ipsec::OutboundOutcome::Kind::Protected);
    ASSERT_EQ(out.packets().size(), 3u);
    for (const OutputPacket& packet : out.packets()) {
      const Bytes wire_packet(out.bytes(packet).begin(), out.bytes(packet).end());
      EXPECT_EQ(spi_of(wire_packet), expected[i]) << "worker " << i;
      OutputBatch in;
      EXPECT_EQ(receiver.on_raw_packet(wire_packet, kNow, in), InboundVerdict::Decapsulated);
    }
    // Each SA's own sequence numbers: 1, 2, 3 on every one of them, none shared.
    EXPECT_EQ(sequence_of(out.bytes(out.packets().back())), 3u) << "worker " << i;
  }
  // The master data plane (the control thread's) still sends on the fallback.
  EXPECT_EQ(a.spd().find(protect)->outbound_sa, *outbound);
  receiver.publish_counters();
  EXPECT_EQ(receiver.data_plane_counters().inbound.packets, 9u);
}

// Per-batch accounting (ipsec/packet_batch.hpp): between refresh() and publish_counters() a
// worker's packets are held per SA and added once; after publish_counters() they are all there.
TEST_F(Gateways, AWorkerAddsItsSaCountsOncePerBatch) {
  install(0x1001);
  WorkerPath worker(0, requests);
  worker.publish(a.replica());
  ASSERT_TRUE(worker.refresh());
  OutputBatch out;
  for (int n = 0; n < 5; ++n) worker.on_tun_packet(udp_packet(50), kNow, out);
  const SecurityAssociation* sa = a.sad().find(*outbound);
  ASSERT_NE(sa, nullptr);
  EXPECT_EQ(sa->lifetime().packets(), 0u);  // held in the worker's shard
  worker.publish_counters();
  EXPECT_EQ(sa->lifetime().packets(), 5u);
  EXPECT_EQ(sa->traffic().packets, 5u);
  EXPECT_EQ(sa->traffic().bytes, 5 * udp_packet(50).size());
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
      // The rekey count is read before refresh(): the replica of every rekey counted so far is then
      // visible, so the last burst (sent after seeing 3) cannot still use the first SPI, however the
      // threads are scheduled (a sender descheduled between refresh() and its burst made this flaky).
      int rekeys_seen = 0;
      while (static_cast<int>(sent[i].size()) < kPacketsPerSender || rekeys_seen < 3) {
        rekeys_seen = rekeys.load();
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

// ---------------------------------------------------------------- with the rest of the gateway

namespace cygnet::gateway {
namespace {

// A shunt decided on a worker counts for that shunt: the worker counts by the shunt's name and
// type (the replica's context names its policies), the daemon sums that into the core's table.
TEST_F(Gateways, ShuntPacketsOnAWorkerCountForTheirShunt) {
  ShuntTable shunts;
  ipsec::ShuntSettings lan{"lan", ipsec::ShuntType::Drop, {}};
  ipsec::Selector everything;
  everything.local = range("198.51.100.0/24");
  everything.remote = range("203.0.113.0/24");
  lan.selectors.push_back(everything);
  shunts.replace(a.spd(), {lan});
  install(0x1001);  // a tunnel for the same traffic: the shunt, ordered first, still decides
  WorkerPath worker(0, requests);
  ReplicaContext context;
  context.shunt_keys = shunts.policy_keys();
  worker.publish(a.replica(), context);
  ASSERT_TRUE(worker.refresh());
  OutputBatch out;
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(worker.on_tun_packet(udp_packet(20), kNow, out).kind, ipsec::OutboundOutcome::Kind::Dropped);
  EXPECT_TRUE(out.packets().empty());
  worker.publish_counters();
  const auto counts = worker.shunt_counts();
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts.at(ShuntTable::key_of(lan)).packets_out, 3u);
  EXPECT_TRUE(shunts.count_outbound(shunts.shunts()[0].policies[0]));  // one on the control thread
  const std::vector<ShuntState> summed = shunts.with_counts(counts);
  ASSERT_EQ(summed.size(), 1u);
  EXPECT_EQ(summed[0].packets_out, 4u);
  EXPECT_EQ(shunts.shunts()[0].packets_out, 1u);  // the table itself holds only its own
}

// Decapsulated on a route-based connection's SA, the packet names that connection's interface
// (the daemon then hands it to the control thread, which writes it there), not the shared TUN.
TEST_F(Gateways, ARouteBasedSaDecryptedOnAWorkerGoesToItsInterface) {
  const auto inbound_link =
      b.sad().add(std::make_unique<SecurityAssociation>(sa_params(Direction::Inbound, 0x3003), kNow));
  ASSERT_TRUE(inbound_link);
  const auto added =
      a.sad().add(std::make_unique<SecurityAssociation>(sa_params(Direction::Outbound, 0x3003), kNow));
  ASSERT_TRUE(added);
  ASSERT_TRUE(a.bind_outbound_sa(protect, *added));
  WorkerPath sender(0, requests);
  WorkerPath receiver(1, requests);
  sender.publish(a.replica());
  ReplicaContext context;
  context.links[*inbound_link] = 7;
  receiver.publish(b.replica(), context);
  sender.refresh();
  receiver.refresh();
  OutputBatch out;
  ASSERT_EQ(sender.on_tun_packet(udp_packet(50), kNow, out).kind, ipsec::OutboundOutcome::Kind::Protected);
  const Bytes wire_packet(out.bytes(out.packets()[0]).begin(), out.bytes(out.packets()[0]).end());
  OutputBatch in;
  ASSERT_EQ(receiver.on_raw_packet(wire_packet, kNow, in), InboundVerdict::Decapsulated);
  ASSERT_EQ(in.packets().size(), 1u);
  EXPECT_EQ(in.packets()[0].destination, Destination::Tun);
  EXPECT_EQ(in.packets()[0].link, 7u);
}

// MOBIKE moves an SA's addresses in the SA object every replica shares. The control thread does
// it with the workers paused (WorkerPause), so under ThreadSanitizer no read of the endpoints
// races the write, and each worker sees the old addresses, then only the new ones, never a mix
// (the outer header it builds agrees with where the batch says the packet goes).
TEST_F(Gateways, MobikeMovesAnSaWhileWorkersEncryptOnIt) {
  install(0x1001);
  constexpr std::size_t kWorkers = 3;
  WorkerPause pause;
  std::vector<std::unique_ptr<WorkerPath>> paths;
  for (std::size_t i = 0; i < kWorkers; ++i) {
    paths.push_back(std::make_unique<WorkerPath>(i, requests));
    paths.back()->publish(a.replica());
  }
  std::atomic<bool> stop{false};
  std::atomic<bool> moved{false};
  std::vector<std::atomic<std::uint64_t>> sent_after_move(kWorkers);
  std::vector<std::atomic<std::uint64_t>> sent(kWorkers);
  std::vector<std::vector<std::string>> problems(kWorkers);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < kWorkers; ++i) {
    threads.emplace_back([&, i] {
      WorkerPath& path = *paths[i];
      OutputBatch out;
      bool seen_new = false;
      const Bytes inner = udp_packet(60);
      while (!stop.load()) {
        pause.checkpoint();
        path.refresh();
        const bool after_move = moved.load();
        out.clear();
        if (path.on_tun_packet(inner, kNow, out).kind != ipsec::OutboundOutcome::Kind::Protected) {
          problems[i].push_back("not protected");
          continue;
        }
        const OutputPacket& p = out.packets()[0];
        const ByteView bytes = out.bytes(p);
        const wire::IpAddress source = wire::IpAddress::v4(wire::load_be32(bytes.data() + 12));
        const wire::IpAddress destination = wire::IpAddress::v4(wire::load_be32(bytes.data() + 16));
        const bool is_new = p.remote.address == addr("192.0.2.12");
        if (!(destination == p.remote.address)) problems[i].push_back("header and batch disagree");
        if (!(source == (is_new ? addr("192.0.2.11") : addr("192.0.2.1"))))
          problems[i].push_back("torn endpoints");
        if (seen_new && !is_new) problems[i].push_back("old address after the new one");
        if (after_move && !is_new) problems[i].push_back("old address after the move");
        seen_new = seen_new || is_new;
        sent[i].fetch_add(1);
        if (after_move) sent_after_move[i].fetch_add(1);
      }
    });
  }
  auto wait_until = [&](auto done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!done() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    return done();
  };
  EXPECT_TRUE(wait_until([&] {
    for (auto& n : sent)
      if (n.load() < 50) return false;
    return true;
  }));
  bool move_ok = false;
  pause.pause(kWorkers, nullptr);
  move_ok = a.sad().move_endpoints(*outbound, addr("192.0.2.11"), addr("192.0.2.12"), std::nullopt);
  moved.store(true);
  pause.resume();
  EXPECT_TRUE(move_ok);
  for (auto& path : paths) path->publish(a.replica());
  EXPECT_TRUE(wait_until([&] {
    for (auto& n : sent_after_move)
      if (n.load() < 50) return false;
    return true;
  }));
  stop.store(true);
  for (auto& t : threads) t.join();
  for (std::size_t i = 0; i < kWorkers; ++i) {
    EXPECT_TRUE(problems[i].empty()) << "worker " << i << ": " << problems[i].size() << " problems, first "
                                     << (problems[i].empty() ? "" : problems[i][0]);
  }
  EXPECT_EQ(pause.pauses(), 1u);
}

// A worker whose thread ended never holds up a pause.
TEST(WorkerPauseTest, AWorkerThatEndedDoesNotBlockAPause) {
  WorkerPause pause;
  std::thread gone([&] { pause.worker_gone(); });
  gone.join();
  std::atomic<bool> stop{false};
  std::thread running([&] {
    while (!stop.load()) pause.checkpoint();
  });
  pause.pause(2, nullptr);
  stop.store(true);
  pause.resume();
  running.join();
  EXPECT_EQ(pause.pauses(), 1u);
}

}  // namespace
}  // namespace cygnet::gateway
