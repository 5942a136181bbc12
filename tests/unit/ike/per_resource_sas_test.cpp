// RFC 9611 per-resource CHILD SAs between two Cygnet engines (engine_harness.hpp): the fallback
// plus one CHILD SA per data-plane worker, each with SA_RESOURCE_INFO; each rekeys on its own; the
// fallback's deletion leaves traffic flowing; a peer without support, or an initiator with one
// worker, gets one CHILD SA as before.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <set>
#include <vector>

#include "ike/engine.hpp"
#include "unit/ike/engine_harness.hpp"

namespace cygnet::ike::test {
namespace {

EngineOptions with_workers(std::size_t workers) {
  EngineOptions o;
  o.data_plane_workers = workers;
  return o;
}

ConnectionSettings site(bool a, bool per_cpu_sas) {
  ConnectionSettings c =
      a ? psk_connection("site", "192.0.2.1", "192.0.2.2") : psk_connection("site", "192.0.2.2", "192.0.2.1");
  c.children[0].per_cpu_sas = per_cpu_sas;
  if (a) c.start_action = StartAction::Start;
  return c;
}

void establish(BackToBack& net, bool a_per_cpu, bool b_per_cpu) {
  ASSERT_TRUE(net.b.engine->add_connection(site(false, b_per_cpu), net.now));
  ASSERT_TRUE(net.a.engine->add_connection(site(true, a_per_cpu), net.now));
  net.run();
}

std::vector<ChildSaStatus> children_of(const Peer& p, TimePoint now) {
  std::vector<ChildSaStatus> out;
  for (const auto& c : p.engine->status(now))
    for (const auto& s : c.ike_sas) out.insert(out.end(), s.children.begin(), s.children.end());
  return out;
}

std::optional<ChildSaStatus> with_resource(const std::vector<ChildSaStatus>& children,
                                           std::optional<std::uint32_t> resource) {
  for (const auto& c : children)
    if (c.per_resource && c.resource == resource) return c;
  return std::nullopt;
}

// The SA that worker `worker`'s replica of p's data plane sends a packet on (as WorkerPath binds it).
std::uint32_t outbound_spi_on_worker(Peer& p, std::uint32_t worker, TimePoint now) {
  auto replica = p.data_plane().replica();
  for (const auto& b : p.binding().resource_bindings())
    if (b.resource == worker) replica->bind_outbound_sa(b.policy, b.outbound);
  const Bytes packet =
      cygnet::test::make_packet(addr("198.51.100.7"), addr("203.0.113.9"), cygnet::test::L4::Udp, 64);
  Bytes out(packet.size() + 256);
  const auto o = replica->process_outbound(packet, out, now);
  if (o.kind != ipsec::OutboundOutcome::Kind::Protected || o.sa_entry == nullptr) return 0;
  return o.sa_entry->spi();
}

TEST(PerResourceSas, InitiatorWithTwoWorkersCreatesTheFallbackAndOneSaPerWorker) {
  BackToBack net(with_workers(2), with_workers(2));
  establish(net, true, true);
  const auto a = children_of(net.a, net.now);
  const auto b = children_of(net.b, net.now);
  ASSERT_EQ(a.size(), 3u);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(net.a.count(EventType::ChildSaEstablished), 3u);
  EXPECT_EQ(net.b.count(EventType::ChildSaEstablished), 3u);
  for (const auto& c : a) EXPECT_TRUE(c.per_resource) << c.id;
  for (const auto& c : b) EXPECT_TRUE(c.per_resource) << c.id;
  // A: the fallback and workers 0 and 1; B numbers the ones it accepted the same way.
  for (const auto* side : {&a, &b}) {
    EXPECT_TRUE(with_resource(*side, std::nullopt).has_value());
    EXPECT_TRUE(with_resource(*side, 0u).has_value());
    EXPECT_TRUE(with_resource(*side, 1u).has_value());
  }
  // Identical selectors on all three.
  for (const auto& c : a) EXPECT_EQ(c.selectors, a[0].selectors);
  EXPECT_EQ(net.a.data_plane().sad().size(), 6u);
  EXPECT_EQ(net.b.data_plane().sad().size(), 6u);

  // The policy stays on the fallback; each worker's replica sends on its own SA.
  const std::uint32_t fallback = with_resource(a, std::nullopt)->outbound_spi;
  EXPECT_EQ(outbound_spi_on_worker(net.a, 99, net.now), fallback);
  EXPECT_EQ(outbound_spi_on_worker(net.a, 0, net.now), with_resource(a, 0u)->outbound_spi);
  EXPECT_EQ(outbound_spi_on_worker(net.a, 1, net.now), with_resource(a, 1u)->outbound_spi);
  EXPECT_EQ(net.a.binding().resource_bindings().size(), 2u);
  // B knows each of them inbound: A's outbound SPI i is B's inbound SPI of the same pair.
  std::set<std::uint32_t> b_inbound;
  for (const auto& c : b) b_inbound.insert(c.inbound_spi);
  for (const auto& c : a) EXPECT_TRUE(b_inbound.contains(c.outbound_spi));
  // The inbound SPIs of the per-resource SAs, with their worker, for the reader's hand-over.
  const auto spis = net.a.binding().resource_inbound_spis();
  ASSERT_EQ(spis.size(), 2u);
  EXPECT_TRUE(net.traffic(net.a, "198.51.100.7", "203.0.113.9"));
  EXPECT_TRUE(net.traffic(net.b, "203.0.113.9", "198.51.100.7"));
}

TEST(PerResourceSas, APeerWithoutSupportGetsOneChildSa) {
  BackToBack net(with_workers(2), with_workers(2));
  establish(net, true, false);  // B ignores SA_RESOURCE_INFO
  const auto a = children_of(net.a, net.now);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_FALSE(a[0].per_resource);
  EXPECT_EQ(children_of(net.b, net.now).size(), 1u);
  EXPECT_EQ(net.a.data_plane().sad().size(), 2u);
  EXPECT_TRUE(net.a.binding().resource_bindings().empty());
  EXPECT_TRUE(net.traffic(net.a, "198.51.100.7", "203.0.113.9"));
}

TEST(PerResourceSas, OneWorkerAsksForNothing) {
  BackToBack net(with_workers(1), with_workers(2));
  establish(net, true, true);
  const auto a = children_of(net.a, net.now);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_FALSE(a[0].per_resource);
  EXPECT_EQ(children_of(net.b, net.now).size(), 1u);
}

TEST(PerResourceSas, EachSaRekeysOnItsOwn) {
  BackToBack net(with_workers(2), with_workers(2));
  establish(net, true, true);
  const auto before = children_of(net.a, net.now);
  ASSERT_EQ(before.size(), 3u);
  const ChildSaStatus worker1 = *with_resource(before, 1u);
  net.a.engine->on_child_sa_soft_limit(worker1.id, net.now);
  net.run();
  net.advance(Seconds{5});
  EXPECT_EQ(net.a.count(EventType::ChildSaRekeyed), 1u);
  EXPECT_EQ(net.b.count(EventType::ChildSaRekeyed), 1u);
  const auto after = children_of(net.a, net.now);
  ASSERT_EQ(after.size(), 3u);
  // Worker 1 has a new SA; the fallback and worker 0 kept theirs.
  const auto fresh = with_resource(after, 1u);
  ASSERT_TRUE(fresh.has_value());
  EXPECT_NE(fresh->id, worker1.id);
  EXPECT_NE(fresh->outbound_spi, worker1.outbound_spi);
  EXPECT_EQ(with_resource(after, 0u)->id, with_resource(before, 0u)->id);
  EXPECT_EQ(with_resource(after, std::nullopt)->id, with_resource(before, std::nullopt)->id);
  const auto b_after = children_of(net.b, net.now);
  ASSERT_EQ(b_after.size(), 3u);
  EXPECT_TRUE(with_resource(b_after, 1u).has_value());
  EXPECT_EQ(outbound_spi_on_worker(net.a, 1, net.now), fresh->outbound_spi);
  EXPECT_EQ(net.a.data_plane().sad().size(), 6u);
}

TEST(PerResourceSas, DeletingTheFallbackLeavesTrafficOnAPerResourceSa) {
  BackToBack net(with_workers(2), with_workers(2));
  establish(net, true, true);
  const auto before = children_of(net.a, net.now);
  ASSERT_EQ(before.size(), 3u);
  net.a.engine->on_child_sa_hard_limit(with_resource(before, std::nullopt)->id, net.now);
  net.run();
  const auto a = children_of(net.a, net.now);
  const auto b = children_of(net.b, net.now);
  EXPECT_EQ(a.size(), 2u);
  EXPECT_EQ(b.size(), 2u);
  EXPECT_FALSE(with_resource(a, std::nullopt).has_value());
  EXPECT_EQ(net.a.data_plane().sad().size(), 4u);
  // The policies moved to a remaining SA, so workers without their own SA still send.
  EXPECT_TRUE(net.traffic(net.a, "198.51.100.7", "203.0.113.9"));
  EXPECT_TRUE(net.traffic(net.b, "203.0.113.9", "198.51.100.7"));
  EXPECT_NE(outbound_spi_on_worker(net.a, 7, net.now), 0u);
}

}  // namespace
}  // namespace cygnet::ike::test
