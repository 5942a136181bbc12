// IKEv1 proposal translation: strongSwan-syntax proposals → ISAKMP transforms and back, selection
// with explanations, and Quick Mode client IDs ↔ traffic selectors.
#include "ike/v1/ikev1_proposals.hpp"

#include <gtest/gtest.h>

#include "ike/traffic_selectors.hpp"
#include "unit/ike/engine_harness.hpp"

namespace cygnet::ike::v1 {
namespace {

using isakmp::Phase1Attribute;
using isakmp::Phase2Attribute;
using test::proposal;

std::optional<std::uint64_t> attr(const isakmp::Transform& t, auto type) {
  const auto* a = t.find(static_cast<std::uint16_t>(type));
  return a ? a->integer() : std::nullopt;
}

TEST(Ikev1Proposals, Phase1TransformsCarryTheRfc2409Attributes) {
  const auto ts = phase1_transforms({proposal("aes256-sha256-modp2048", ProtocolId::Ike)},
                                    isakmp::Phase1AuthMethod::PreSharedKey, Seconds(28800));
  ASSERT_EQ(ts.size(), 1u);
  const auto& t = ts[0];
  EXPECT_EQ(t.id, isakmp::kTransformKeyIke);
  EXPECT_EQ(attr(t, Phase1Attribute::EncryptionAlgorithm), 7u);  // AES-CBC (RFC 3602)
  EXPECT_EQ(attr(t, Phase1Attribute::KeyLength), 256u);
  EXPECT_EQ(attr(t, Phase1Attribute::HashAlgorithm), 4u);  // SHA2-256
  EXPECT_EQ(attr(t, Phase1Attribute::AuthenticationMethod), 1u);
  EXPECT_EQ(attr(t, Phase1Attribute::GroupDescription), 14u);
  EXPECT_EQ(attr(t, Phase1Attribute::LifeType), 1u);
  EXPECT_EQ(attr(t, Phase1Attribute::LifeDuration), 28800u);
  const auto suite = read_phase1_transform(t);
  ASSERT_TRUE(suite);
  EXPECT_EQ(suite->to_string(), "aes256-sha256-modp2048");
  EXPECT_EQ(suite->lifetime, Seconds(28800));
}

TEST(Ikev1Proposals, OneTransformPerCombinationAndAeadSkipped) {
  const auto ts = phase1_transforms({proposal("aes128-aes256-sha256-sha384-ecp256-modp3072", ProtocolId::Ike),
                                     proposal("aes256gcm16-prfsha256-x25519", ProtocolId::Ike)},
                                    isakmp::Phase1AuthMethod::PreSharedKey, Seconds(3600));
  EXPECT_EQ(ts.size(), 8u);  // 2 × 2 × 2; the AEAD proposal has no IKEv1 form
  for (std::size_t i = 0; i < ts.size(); ++i) EXPECT_EQ(ts[i].number, i + 1);
  EXPECT_TRUE(phase1_expressible({proposal("aes256gcm16-prfsha256-x25519", ProtocolId::Ike)}).empty());
}

TEST(Ikev1Proposals, ResponderPicksItsPreferenceAndExplainsMismatch) {
  isakmp::SaPayload offer;
  offer.proposals.push_back({1,
                             isakmp::ProtocolId::Isakmp,
                             {},
                             phase1_transforms({proposal("aes128-sha256-modp2048", ProtocolId::Ike),
                                                proposal("aes256-sha384-ecp384", ProtocolId::Ike)},
                                               isakmp::Phase1AuthMethod::PreSharedKey, Seconds(3600))});
  const auto ok = select_phase1(offer, {proposal("aes256-sha384-ecp384", ProtocolId::Ike)},
                                isakmp::Phase1AuthMethod::PreSharedKey, false);
  ASSERT_TRUE(ok.suite) << ok.explanation;
  EXPECT_EQ(ok.suite->to_string(), "aes256-sha384-ecp384");
  EXPECT_EQ(ok.chosen->number, 2u);

  const auto none = select_phase1(offer, {proposal("aes256-sha512-modp4096", ProtocolId::Ike)},
                                  isakmp::Phase1AuthMethod::PreSharedKey, false);
  EXPECT_FALSE(none.suite);
  EXPECT_NE(none.explanation.find("aes128"), std::string::npos) << none.explanation;

  const auto wrong_auth = select_phase1(offer, {proposal("aes256-sha384-ecp384", ProtocolId::Ike)},
                                        isakmp::Phase1AuthMethod::RsaSignatures, false);
  EXPECT_FALSE(wrong_auth.suite);
  EXPECT_NE(wrong_auth.explanation.find("pre-shared key"), std::string::npos) << wrong_auth.explanation;
}

TEST(Ikev1Proposals, Md5AndDesAreNeverChosen) {
  isakmp::Transform t;
  t.attributes = {isakmp::Attribute::basic(Phase1Attribute::EncryptionAlgorithm, 1),  // DES
                  isakmp::Attribute::basic(Phase1Attribute::HashAlgorithm, 1),        // MD5
                  isakmp::Attribute::basic(Phase1Attribute::AuthenticationMethod, 1),
                  isakmp::Attribute::basic(Phase1Attribute::GroupDescription, 2)};
  EXPECT_FALSE(read_phase1_transform(t));
}

TEST(Ikev1Proposals, QuickModeOfferWithPfsAndLifetimes) {
  Phase2Offer o;
  o.spi = 0x01020304;
  o.mode = isakmp::EncapsulationMode::UdpEncapsulatedTunnel;
  o.lifetime = Seconds(1200);
  o.life_kilobytes = 4096;
  const auto sa = phase2_sa({proposal("aes128-sha256-ecp256", ProtocolId::Esp)}, o);
  ASSERT_EQ(sa.proposals.size(), 1u);
  EXPECT_EQ(sa.proposals[0].protocol, isakmp::ProtocolId::Esp);
  EXPECT_EQ(sa.proposals[0].spi, (Bytes{1, 2, 3, 4}));
  ASSERT_EQ(sa.proposals[0].transforms.size(), 1u);
  const auto& t = sa.proposals[0].transforms[0];
  EXPECT_EQ(t.id, 12u);  // ESP_AES_CBC
  EXPECT_EQ(attr(t, Phase2Attribute::KeyLength), 128u);
  EXPECT_EQ(attr(t, Phase2Attribute::AuthenticationAlgorithm), 5u);  // HMAC-SHA2-256
  EXPECT_EQ(attr(t, Phase2Attribute::GroupDescription), 19u);
  EXPECT_EQ(attr(t, Phase2Attribute::EncapsulationMode), 3u);
  // Two Life Type/Duration pairs: seconds, then kilobytes.
  int kilobytes = 0;
  for (std::size_t i = 0; i + 1 < t.attributes.size(); ++i)
    if (t.attributes[i].type == 1 && t.attributes[i].integer() == 2u &&
        t.attributes[i + 1].integer() == 4096u)
      ++kilobytes;
  EXPECT_EQ(kilobytes, 1);

  const auto sel = select_phase2(sa, {proposal("aes128-sha256-ecp256", ProtocolId::Esp)}, false);
  ASSERT_TRUE(sel.chosen) << sel.explanation;
  EXPECT_EQ(sel.chosen->peer_spi, 0x01020304u);
  EXPECT_EQ(sel.chosen->algorithms.pfs_group, crypto::DhGroup::Ecp256);
  EXPECT_EQ(sel.chosen->lifetime, Seconds(1200));
  EXPECT_EQ(sel.chosen->kilobytes, 4096u);
  EXPECT_TRUE(is_udp_encapsulated(sel.chosen->mode));

  // Without PFS on our side the PFS offer does not match: explained.
  const auto no = select_phase2(sa, {proposal("aes128-sha256", ProtocolId::Esp)}, false);
  EXPECT_FALSE(no.chosen);
  EXPECT_FALSE(no.explanation.empty());
}

TEST(Ikev1Proposals, AnswerMustBeOneOfOurTransforms) {
  Phase2Offer o;
  o.spi = 0x11111111;
  const auto offered = phase2_sa({proposal("aes256gcm16", ProtocolId::Esp)}, o);
  auto answer = offered;
  answer.proposals[0].spi = {0xaa, 0xbb, 0xcc, 0xdd};
  const auto ok = read_phase2_answer(answer, offered);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->peer_spi, 0xaabbccddu);
  answer.proposals[0].transforms[0].id = 3;  // 3DES: never offered
  EXPECT_FALSE(read_phase2_answer(answer, offered));
  EXPECT_FALSE(phase2_expressible({proposal("chacha20poly1305", ProtocolId::Esp)}));
}

TEST(Ikev1Proposals, ClientIdsRoundTripThroughSelectors) {
  for (const char* text : {"198.51.100.0/24", "203.0.113.7/32", "2001:db8::/48", "0.0.0.0/0"}) {
    const auto ts = ts_from_prefix(*wire::IpPrefix::parse(text));
    const auto id = id_from_selector(ts);
    const auto back = selector_from_id(id);
    ASSERT_TRUE(back) << text;
    EXPECT_EQ(*back, ts) << text;
  }
  const auto subnet = id_from_selector(ts_from_prefix(*wire::IpPrefix::parse("198.51.100.0/24")));
  EXPECT_EQ(subnet.type, isakmp::IdType::Ipv4AddressSubnet);
  EXPECT_EQ(subnet.data, (Bytes{198, 51, 100, 0, 255, 255, 255, 0}));
  wire::ikev2::TrafficSelector range = ts_from_address(*wire::IpAddress::parse("192.0.2.10"));
  range.end = *wire::IpAddress::parse("192.0.2.20");
  const auto r = id_from_selector(range);
  EXPECT_EQ(r.type, isakmp::IdType::Ipv4AddressRange);
  EXPECT_EQ(selector_from_id(r), range);
  isakmp::IdPayload bad{isakmp::IdType::Ipv4AddressSubnet, 0, 0, {1, 2, 3}};
  EXPECT_FALSE(selector_from_id(bad));
  isakmp::IdPayload backwards{isakmp::IdType::Ipv4AddressRange, 0, 0, {192, 0, 2, 20, 192, 0, 2, 10}};
  EXPECT_FALSE(selector_from_id(backwards));
}

}  // namespace
}  // namespace cygnet::ike::v1
