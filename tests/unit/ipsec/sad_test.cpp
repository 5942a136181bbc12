// Security Association Database: ownership, handles, inbound lookup by (SPI, destination, protocol).
#include "ipsec/sad.hpp"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "ipsec/sa_parameters.hpp"

namespace cygnet::ipsec {
namespace {

using wire::IpAddress;

const TimePoint kNow = TimePoint{} + Seconds(100);

IpAddress addr(const std::string& text) {
  auto a = IpAddress::parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(IpAddress{});
}

// A valid AES-GCM-128 SA (16-byte key + 4-byte salt).
std::unique_ptr<SecurityAssociation> make_sa(std::uint32_t spi, Direction direction,
                                             const std::string& local = "192.0.2.1",
                                             const std::string& remote = "198.51.100.1",
                                             IpsecProtocol protocol = IpsecProtocol::Esp,
                                             const std::string& name = "test") {
  SaParameters p;
  p.spi = spi;
  p.protocol = protocol;
  p.mode = Mode::Tunnel;
  p.direction = direction;
  p.local_address = addr(local);
  p.remote_address = addr(remote);
  p.name = name;
  if (protocol == IpsecProtocol::Esp) {
    p.encryption = EncryptionTransform::aead_with(crypto::AeadAlgorithm::AesGcm128);
    p.encryption_key = crypto::SecureBytes(from_hex("000102030405060708090a0b0c0d0e0f10111213"));
  } else {
    p.integrity = crypto::IntegrityAlgorithm::HmacSha256_128;
    p.integrity_key = crypto::SecureBytes(Bytes(32, 0x42));
  }
  return std::make_unique<SecurityAssociation>(std::move(p), kNow);
}

TEST(SaNames, ProtocolModeDirection) {
  EXPECT_STREQ(protocol_name(IpsecProtocol::Esp), "esp");
  EXPECT_STREQ(protocol_name(IpsecProtocol::Ah), "ah");
  EXPECT_STREQ(mode_name(Mode::Tunnel), "tunnel");
  EXPECT_STREQ(mode_name(Mode::Transport), "transport");
  EXPECT_STREQ(direction_name(Direction::Inbound), "inbound");
  EXPECT_STREQ(direction_name(Direction::Outbound), "outbound");
}

TEST(DropReasons, SnakeCaseNames) {
  EXPECT_STREQ(drop_reason_name(DropReason::UnknownSpi), "unknown_spi");
  EXPECT_STREQ(drop_reason_name(DropReason::Replay), "replay");
  EXPECT_STREQ(drop_reason_name(DropReason::TooOld), "too_old");
  EXPECT_STREQ(drop_reason_name(DropReason::IcvFailure), "icv_failure");
  EXPECT_STREQ(drop_reason_name(DropReason::BadPadding), "bad_padding");
  EXPECT_STREQ(drop_reason_name(DropReason::Malformed), "malformed");
  EXPECT_STREQ(drop_reason_name(DropReason::PolicyMismatch), "policy_mismatch");
  EXPECT_STREQ(drop_reason_name(DropReason::SequenceExhausted), "sequence_exhausted");
  EXPECT_STREQ(drop_reason_name(DropReason::Expired), "expired");
  EXPECT_STREQ(drop_reason_name(DropReason::PolicyDiscard), "policy_discard");
  EXPECT_STREQ(drop_reason_name(DropReason::NoSa), "no_sa");
  EXPECT_STREQ(drop_reason_name(DropReason::DummyPacket), "dummy_packet");
  EXPECT_STREQ(drop_reason_name(DropReason::BufferTooSmall), "buffer_too_small");
  // Every reason has a distinct name.
  std::map<std::string, int> seen;
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    ++seen[drop_reason_name(static_cast<DropReason>(i))];
  }
  EXPECT_EQ(seen.size(), kDropReasonCount);
}

TEST(DropReasons, Counters) {
  DropCounters c;
  c.count(DropReason::Replay);
  c.count(DropReason::Replay);
  c.count(DropReason::IcvFailure);
  EXPECT_EQ(c[DropReason::Replay], 2u);
  EXPECT_EQ(c[DropReason::IcvFailure], 1u);
  EXPECT_EQ(c[DropReason::UnknownSpi], 0u);
  EXPECT_EQ(c.total(), 3u);
}

TEST(Sad, AddAndFindByHandle) {
  Sad sad;
  EXPECT_EQ(sad.size(), 0u);
  const auto out = sad.add(make_sa(0x1001, Direction::Outbound));
  const auto in = sad.add(make_sa(0x2002, Direction::Inbound));
  ASSERT_TRUE(out.has_value());
  ASSERT_TRUE(in.has_value());
  EXPECT_NE(*out, *in);
  EXPECT_EQ(sad.size(), 2u);
  ASSERT_NE(sad.find(*out), nullptr);
  EXPECT_EQ(sad.find(*out)->spi(), 0x1001u);
  EXPECT_EQ(sad.find(*out)->direction(), Direction::Outbound);
  const Sad& const_sad = sad;
  ASSERT_NE(const_sad.find(*in), nullptr);
  EXPECT_EQ(const_sad.find(*in)->spi(), 0x2002u);
  EXPECT_EQ(sad.find(12345), nullptr);
  EXPECT_FALSE(sad.add(nullptr).has_value());
  EXPECT_EQ(sad.size(), 2u);
}

TEST(Sad, InboundLookupByTriple) {
  Sad sad;
  const auto h = sad.add(make_sa(0x3003, Direction::Inbound, "192.0.2.1", "198.51.100.1"));
  ASSERT_TRUE(h.has_value());
  SecurityAssociation* sa = sad.find_inbound(0x3003, addr("192.0.2.1"), IpsecProtocol::Esp);
  ASSERT_NE(sa, nullptr);
  EXPECT_EQ(sa, sad.find(*h));
  EXPECT_EQ(sad.find_inbound_handle(0x3003, addr("192.0.2.1"), IpsecProtocol::Esp), h);
  // Any part of the triple wrong: not found.
  EXPECT_EQ(sad.find_inbound(0x3004, addr("192.0.2.1"), IpsecProtocol::Esp), nullptr);
  EXPECT_EQ(sad.find_inbound(0x3003, addr("192.0.2.2"), IpsecProtocol::Esp), nullptr);
  EXPECT_EQ(sad.find_inbound(0x3003, addr("192.0.2.1"), IpsecProtocol::Ah), nullptr);
  // Keyed by our (local) address, not the peer's.
  EXPECT_EQ(sad.find_inbound(0x3003, addr("198.51.100.1"), IpsecProtocol::Esp), nullptr);
  EXPECT_FALSE(sad.find_inbound_handle(0x3004, addr("192.0.2.1"), IpsecProtocol::Esp).has_value());
}

TEST(Sad, OutboundSasAreNotInboundLookupable) {
  Sad sad;
  const auto h = sad.add(make_sa(0x4004, Direction::Outbound, "192.0.2.1", "198.51.100.1"));
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(sad.find_inbound(0x4004, addr("192.0.2.1"), IpsecProtocol::Esp), nullptr);
  EXPECT_EQ(sad.find_inbound(0x4004, addr("198.51.100.1"), IpsecProtocol::Esp), nullptr);
  // Outbound SAs may share SPIs freely (the peer chose them).
  EXPECT_TRUE(sad.add(make_sa(0x4004, Direction::Outbound, "192.0.2.1", "198.51.100.1")).has_value());
  // And an inbound SA with the same SPI does not collide with them.
  EXPECT_TRUE(sad.add(make_sa(0x4004, Direction::Inbound, "192.0.2.1", "198.51.100.1")).has_value());
  EXPECT_EQ(sad.size(), 3u);
}

TEST(Sad, DuplicateInboundTripleIsRefused) {
  Sad sad;
  ASSERT_TRUE(sad.add(make_sa(0x5005, Direction::Inbound, "192.0.2.1", "198.51.100.1")).has_value());
  // Same SPI, local address and protocol (even from another peer): refused.
  EXPECT_FALSE(sad.add(make_sa(0x5005, Direction::Inbound, "192.0.2.1", "203.0.113.1")).has_value());
  EXPECT_EQ(sad.size(), 1u);
  // Same SPI on another local address, or for the other protocol: distinct SAs.
  EXPECT_TRUE(sad.add(make_sa(0x5005, Direction::Inbound, "192.0.2.2", "198.51.100.1")).has_value());
  EXPECT_TRUE(sad.add(make_sa(0x5005, Direction::Inbound, "192.0.2.1", "198.51.100.1", IpsecProtocol::Ah))
                  .has_value());
  EXPECT_EQ(sad.size(), 3u);
  EXPECT_EQ(sad.find_inbound(0x5005, addr("192.0.2.1"), IpsecProtocol::Ah)->protocol(), IpsecProtocol::Ah);
  EXPECT_EQ(sad.find_inbound(0x5005, addr("192.0.2.1"), IpsecProtocol::Esp)->protocol(), IpsecProtocol::Esp);
}

TEST(Sad, V6InboundLookup) {
  Sad sad;
  const auto h = sad.add(make_sa(0x6006, Direction::Inbound, "2001:db8::1", "2001:db8::2"));
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(sad.find_inbound_handle(0x6006, addr("2001:db8::1"), IpsecProtocol::Esp), h);
  EXPECT_EQ(sad.find_inbound(0x6006, addr("2001:db8::2"), IpsecProtocol::Esp), nullptr);
  EXPECT_EQ(sad.find_inbound(0x6006, addr("192.0.2.1"), IpsecProtocol::Esp), nullptr);
}

TEST(Sad, RemoveFreesTheTripleAndNeverReusesHandles) {
  Sad sad;
  const auto first = sad.add(make_sa(0x7007, Direction::Inbound));
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(sad.remove(*first));
  EXPECT_FALSE(sad.remove(*first));
  EXPECT_EQ(sad.size(), 0u);
  EXPECT_EQ(sad.find(*first), nullptr);
  EXPECT_EQ(sad.find_inbound(0x7007, addr("192.0.2.1"), IpsecProtocol::Esp), nullptr);
  // The triple can be used again, under a new handle.
  const auto second = sad.add(make_sa(0x7007, Direction::Inbound));
  ASSERT_TRUE(second.has_value());
  EXPECT_NE(*second, *first);
  EXPECT_EQ(sad.find_inbound_handle(0x7007, addr("192.0.2.1"), IpsecProtocol::Esp), second);
  // Removing an outbound SA leaves the inbound index alone.
  const auto out = sad.add(make_sa(0x7007, Direction::Outbound));
  ASSERT_TRUE(out.has_value());
  EXPECT_TRUE(sad.remove(*out));
  EXPECT_EQ(sad.find_inbound_handle(0x7007, addr("192.0.2.1"), IpsecProtocol::Esp), second);
  EXPECT_FALSE(sad.remove(999));
}

TEST(Sad, RefusedAddDoesNotConsumeAHandleOrLeak) {
  Sad sad;
  const auto a = sad.add(make_sa(0x8008, Direction::Inbound));
  EXPECT_FALSE(sad.add(make_sa(0x8008, Direction::Inbound)).has_value());
  const auto b = sad.add(make_sa(0x8009, Direction::Inbound));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*b, *a + 1);
  // The refused SA did not overwrite the index.
  EXPECT_EQ(sad.find_inbound_handle(0x8008, addr("192.0.2.1"), IpsecProtocol::Esp), a);
}

TEST(Sad, ForEachVisitsEverySa) {
  Sad sad;
  std::map<SaHandle, std::uint32_t> added;
  for (std::uint32_t i = 0; i < 20; ++i) {
    const Direction d = i % 2 == 0 ? Direction::Inbound : Direction::Outbound;
    const auto h = sad.add(
        make_sa(0x9000 + i, d, "192.0.2.1", "198.51.100.1", IpsecProtocol::Esp, "sa" + std::to_string(i)));
    ASSERT_TRUE(h.has_value());
    added[*h] = 0x9000 + i;
  }
  ASSERT_TRUE(sad.remove(added.begin()->first));
  added.erase(added.begin());
  std::map<SaHandle, std::uint32_t> visited;
  sad.for_each([&](SaHandle h, const SecurityAssociation& sa) { visited[h] = sa.spi(); });
  EXPECT_EQ(visited, added);
}

TEST(Sad, FoundSaIsMutable) {
  // The data plane updates per-SA state through find_inbound().
  Sad sad;
  const auto h = sad.add(make_sa(0xA00A, Direction::Inbound));
  ASSERT_TRUE(h.has_value());
  SecurityAssociation* sa = sad.find_inbound(0xA00A, addr("192.0.2.1"), IpsecProtocol::Esp);
  ASSERT_NE(sa, nullptr);
  sa->count_drop(DropReason::Replay);
  sa->replay_window().accept(5);
  EXPECT_EQ(sad.find(*h)->drops()[DropReason::Replay], 1u);
  EXPECT_EQ(sad.find(*h)->replay_window().highest(), 5u);
}

// MOBIKE (RFC 4555): an SA keeps its handle, SPI and sequence numbers but takes new outer
// addresses; an inbound SA is then found under its new local address only.
TEST(Sad, MoveEndpointsKeepsTheSaAndReindexesInbound) {
  Sad sad;
  const auto in = sad.add(make_sa(0x5005, Direction::Inbound, "192.0.2.1", "198.51.100.1"));
  const auto out = sad.add(make_sa(0x6006, Direction::Outbound, "192.0.2.1", "198.51.100.1"));
  ASSERT_TRUE(in && out);
  ASSERT_TRUE(sad.find(*out)->next_sequence().has_value());
  ASSERT_TRUE(
      sad.move_endpoints(*in, addr("192.0.2.77"), addr("198.51.100.1"), UdpEncapsulation{4500, 40000}));
  ASSERT_TRUE(
      sad.move_endpoints(*out, addr("192.0.2.77"), addr("198.51.100.1"), UdpEncapsulation{4500, 40000}));
  EXPECT_EQ(sad.find_inbound_handle(0x5005, addr("192.0.2.77"), IpsecProtocol::Esp), in);
  EXPECT_FALSE(sad.find_inbound_handle(0x5005, addr("192.0.2.1"), IpsecProtocol::Esp).has_value());
  const SecurityAssociation& moved = *sad.find(*out);
  EXPECT_EQ(moved.params().local_address, addr("192.0.2.77"));
  ASSERT_TRUE(moved.params().udp_encapsulation.has_value());
  EXPECT_EQ(moved.params().udp_encapsulation->remote_port, 40000);
  EXPECT_EQ(moved.last_sent_sequence(), 1u);  // the sequence goes on
  // Back to plain ESP.
  EXPECT_TRUE(sad.move_endpoints(*out, addr("192.0.2.77"), addr("198.51.100.1"), std::nullopt));
  EXPECT_FALSE(sad.find(*out)->params().udp_encapsulation.has_value());
}

TEST(Sad, MoveEndpointsRefusesAFamilyChangeOrATakenInboundKey) {
  Sad sad;
  const auto a = sad.add(make_sa(0x7007, Direction::Inbound, "192.0.2.1", "198.51.100.1"));
  const auto b = sad.add(make_sa(0x7007, Direction::Inbound, "192.0.2.2", "198.51.100.1"));
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(sad.move_endpoints(*a, addr("2001:db8::1"), addr("2001:db8::2"), std::nullopt));
  EXPECT_FALSE(sad.move_endpoints(*a, addr("192.0.2.2"), addr("198.51.100.1"), std::nullopt));  // b's key
  EXPECT_EQ(sad.find(*a)->params().local_address, addr("192.0.2.1"));  // nothing changed
  EXPECT_EQ(sad.find_inbound_handle(0x7007, addr("192.0.2.1"), IpsecProtocol::Esp), a);
  EXPECT_FALSE(sad.move_endpoints(999, addr("192.0.2.3"), addr("198.51.100.1"), std::nullopt));
}

}  // namespace
}  // namespace cygnet::ipsec
