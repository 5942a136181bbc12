// DataPlane::replica(): what a data-plane worker runs on. Same policies, ids and SA handles as the
// original, the very same SA objects (one sequence number space, one replay window), but maps,
// counters and scratch of its own, so the original can change while a worker uses the replica.
#include <gtest/gtest.h>

#include <memory>

#include "ipsec/data_plane.hpp"
#include "wire/byte_reader.hpp"
#include "wire/ip_packet.hpp"
#include "wire/udp_encap.hpp"

namespace cygnet::ipsec {
namespace {

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

SaParameters outbound_params(std::uint32_t spi) {
  SaParameters p;
  p.spi = spi;
  p.direction = Direction::Outbound;
  p.mode = Mode::Tunnel;
  p.local_address = addr("192.0.2.1");
  p.remote_address = addr("192.0.2.2");
  p.encryption = EncryptionTransform::aead_with(crypto::AeadAlgorithm::AesGcm256);
  p.encryption_key = crypto::SecureBytes(Bytes(36, 0x42));
  p.selector.local = range("198.51.100.0/24");
  p.selector.remote = range("203.0.113.0/24");
  return p;
}

std::uint32_t sequence_of(const Bytes& esp_packet) {
  return wire::load_be32(esp_packet.data() + 20 + 4);
}

struct Replica : ::testing::Test {
  DataPlane master;
  PolicyId protect = 0;
  SaHandle sa = 0;
  Bytes out = Bytes(2048);

  void SetUp() override {
    Policy p;
    p.selector.local = range("198.51.100.0/24");
    p.selector.remote = range("203.0.113.0/24");
    p.action = PolicyAction::Protect;
    protect = master.spd().add(p);
    sa = *master.sad().add(std::make_unique<SecurityAssociation>(outbound_params(0x1001), kNow));
    ASSERT_TRUE(master.bind_outbound_sa(protect, sa));
  }

  Bytes protect_with(DataPlane& plane) {
    const OutboundOutcome o = plane.process_outbound(udp_packet(64), out, kNow);
    EXPECT_EQ(o.kind, OutboundOutcome::Kind::Protected);
    EXPECT_EQ(o.policy, protect);
    EXPECT_EQ(o.sa, sa);
    return Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(o.result.length));
  }
};

TEST_F(Replica, SharesTheSaSoSequenceNumbersContinueAcrossCopies) {
  const auto replica = master.replica();
  EXPECT_EQ(replica->sad().find(sa), master.sad().find(sa));  // the same object
  EXPECT_EQ(sequence_of(protect_with(master)), 1u);
  EXPECT_EQ(sequence_of(protect_with(*replica)), 2u);
  EXPECT_EQ(sequence_of(protect_with(master)), 3u);
  EXPECT_EQ(master.sad().find(sa)->traffic().packets, 3u);
}

TEST_F(Replica, CountsItsOwnPacketsOnly) {
  const auto replica = master.replica();
  protect_with(*replica);
  protect_with(*replica);
  EXPECT_EQ(replica->counters().outbound.packets, 2u);
  EXPECT_EQ(master.counters().outbound.packets, 0u);
}

TEST_F(Replica, KeepsWorkingWhenTheMasterRemovesTheSaUntilTheNextReplica) {
  const auto before = master.replica();
  SecurityAssociation* shared = master.sad().find(sa);
  ASSERT_TRUE(master.sad().remove(sa));
  ASSERT_TRUE(master.spd().bind_sa(protect, std::nullopt));
  // The old replica still holds the SA alive and uses it; the master no longer has it.
  EXPECT_EQ(before->sad().find(sa), shared);
  EXPECT_EQ(sequence_of(protect_with(*before)), 1u);
  EXPECT_EQ(master.process_outbound(udp_packet(64), out, kNow).kind, OutboundOutcome::Kind::Acquire);
  const auto after = master.replica();
  EXPECT_EQ(after->sad().find(sa), nullptr);
  EXPECT_EQ(after->process_outbound(udp_packet(64), out, kNow).kind, OutboundOutcome::Kind::Acquire);
}

TEST_F(Replica, RebindsToTheNewSaOfARekeyAndKeepsPolicyIds) {
  const auto old_replica = master.replica();
  const SaHandle rekeyed =
      *master.sad().add(std::make_unique<SecurityAssociation>(outbound_params(0x2002), kNow));
  ASSERT_TRUE(master.bind_outbound_sa(protect, rekeyed));
  const auto replica = master.replica();
  const OutboundOutcome o = replica->process_outbound(udp_packet(64), out, kNow);
  ASSERT_EQ(o.kind, OutboundOutcome::Kind::Protected);
  EXPECT_EQ(o.sa, rekeyed);
  EXPECT_EQ(o.policy, protect);
  EXPECT_EQ(wire::load_be32(out.data() + 20), 0x2002u);
  // Handles stay in step: an SA added after the copy gets the handle the master would give.
  const auto next_in_master =
      master.sad().add(std::make_unique<SecurityAssociation>(outbound_params(0x3003), kNow));
  const auto next_in_replica =
      replica->sad().add(std::make_unique<SecurityAssociation>(outbound_params(0x3003), kNow));
  EXPECT_EQ(next_in_master, next_in_replica);
  EXPECT_EQ(old_replica->process_outbound(udp_packet(64), out, kNow).sa, sa);  // untouched
}

}  // namespace
}  // namespace cygnet::ipsec
