// ISAKMP payload bodies (RFC 2408 §3.4–§3.16, RFC 2407 §4.5/§4.6, RFC 3947 §3.2/§5.2, RFC 3706):
// exact layouts assembled by hand from the RFC figures, round trips of every payload type, and
// every malformed body giving its named error.
#include "wire/isakmp_payload_codec.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <string_view>

#include "wire/byte_reader.hpp"
#include "wire/isakmp_message.hpp"

namespace cygnet::wire::isakmp {
namespace {

Bytes hex(std::string_view text) {
  Bytes b = from_hex(text);
  EXPECT_FALSE(b.empty() && !text.empty()) << "bad hex in test: " << text;
  return b;
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes be16(std::size_t v) { return {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)}; }
std::uint8_t raw(PayloadType t) { return static_cast<std::uint8_t>(t); }
IpAddress ip(const char* text) { return *IpAddress::parse(text); }

// --- raw builders, independent of the codec, for hand-made (and malformed) inputs ---

// Generic payload header (§3.2) + body; the length is computed unless given.
Bytes raw_payload(std::uint8_t next, const Bytes& body, std::optional<std::size_t> length = {}) {
  return concat({{next, 0}, be16(length.value_or(4 + body.size())), body});
}

// Transform substructure (§3.6): next (0 or 3), reserved, length, #, id, reserved2, attributes.
Bytes raw_transform(std::uint8_t next, std::uint8_t number, std::uint8_t id, const Bytes& attributes = {},
                    std::optional<std::size_t> length = {}) {
  return concat({{next, 0}, be16(length.value_or(8 + attributes.size())), {number, id, 0, 0}, attributes});
}

// Proposal substructure (§3.5): next (0 or 2), reserved, length, #, protocol, SPI size, count, SPI.
Bytes raw_proposal(std::uint8_t next, std::uint8_t number, std::uint8_t protocol, const Bytes& spi,
                   std::uint8_t transform_count, const Bytes& transforms, std::optional<std::size_t> length = {}) {
  return concat({{next, 0},
                 be16(length.value_or(8 + spi.size() + transforms.size())),
                 {number, protocol, static_cast<std::uint8_t>(spi.size()), transform_count},
                 spi,
                 transforms});
}

// SA body (§3.4): DOI 1, SIT_IDENTITY_ONLY, proposals.
Bytes raw_sa_body(const Bytes& proposals, std::uint32_t doi = 1, std::uint32_t situation = 1) {
  Bytes fixed(8);
  store_be32(fixed.data(), doi);
  store_be32(fixed.data() + 4, situation);
  return concat({fixed, proposals});
}

// A valid one-transform phase-1 proposal, unless the caller's arguments say otherwise.
Bytes simple_proposal(std::uint8_t next = 0, std::uint8_t number = 1) {
  return raw_proposal(next, number, 1, {}, 1, raw_transform(0, 1, 1, hex("80010007")));
}

ParseFailure body_failure(PayloadType type, const Bytes& body) {
  auto result = parse_payload_chain(type, raw_payload(0, body));
  EXPECT_FALSE(result) << "unexpectedly parsed " << to_hex(body);
  return result.failure;
}

Payload only_payload(PayloadType first, const Bytes& chain) {
  auto result = parse_payload_chain(first, chain);
  EXPECT_TRUE(result) << parse_error_name(result.failure.error) << ": " << result.failure.detail;
  if (!result || result.value->size() != 1) {
    ADD_FAILURE() << "expected one payload";
    return GenericPayload{};
  }
  return result.value->front();
}

// --- sample payloads ---

Transform phase1_transform() {
  Transform t;
  t.number = 1;
  t.id = kTransformKeyIke;
  t.attributes = {Attribute::basic(Phase1Attribute::EncryptionAlgorithm, Phase1Encryption::AesCbc),
                  Attribute::basic(Phase1Attribute::KeyLength, 256),
                  Attribute::basic(Phase1Attribute::HashAlgorithm, Phase1Hash::Sha2_256),
                  Attribute::basic(Phase1Attribute::AuthenticationMethod, Phase1AuthMethod::PreSharedKey),
                  Attribute::basic(Phase1Attribute::GroupDescription, GroupDescription::Modp2048),
                  Attribute::basic(Phase1Attribute::LifeType, LifeType::Seconds),
                  Attribute::variable(Phase1Attribute::LifeDuration, hex("00015180"))};
  return t;
}

SaPayload phase2_sa() {
  Transform gcm{1, static_cast<std::uint8_t>(EspTransformId::AesGcm16), {}};
  gcm.attributes = {Attribute::basic(Phase2Attribute::SaLifeType, LifeType::Seconds),
                    Attribute::basic(Phase2Attribute::SaLifeDuration, 3600),
                    Attribute::basic(Phase2Attribute::EncapsulationMode, EncapsulationMode::UdpEncapsulatedTunnel),
                    Attribute::basic(Phase2Attribute::KeyLength, 256),
                    Attribute::basic(Phase2Attribute::GroupDescription, GroupDescription::Ecp256)};
  Transform cbc{2, static_cast<std::uint8_t>(EspTransformId::AesCbc), {}};
  cbc.attributes = {Attribute::basic(Phase2Attribute::SaLifeType, LifeType::Kilobytes),
                    Attribute::variable(Phase2Attribute::SaLifeDuration, hex("0001000000")),
                    Attribute::basic(Phase2Attribute::EncapsulationMode, EncapsulationMode::UdpEncapsulatedTunnelDraft),
                    Attribute::basic(Phase2Attribute::AuthenticationAlgorithm, Phase2AuthAlgorithm::HmacSha2_256),
                    Attribute::basic(Phase2Attribute::KeyLength, 128),
                    Attribute::basic(0x7fff, 0xbeef),                  // unknown TV, kept
                    Attribute::variable(0x1234, hex("00112233445566"))};  // unknown TLV, kept
  Proposal esp{1, ProtocolId::Esp, hex("c001d00d"), {gcm, cbc}};
  // RFC 2408 §4.2: the same proposal number again means "and" (an IPCOMP suite alongside).
  Proposal comp{1, ProtocolId::Ipcomp, hex("1234"), {Transform{1, static_cast<std::uint8_t>(IpcompTransformId::Deflate), {}}}};
  Proposal ah{2, ProtocolId::Ah, hex("a0a0a0a0"),
              {Transform{1, static_cast<std::uint8_t>(AhTransformId::Sha2_256),
                         {Attribute::basic(Phase2Attribute::AuthenticationAlgorithm, Phase2AuthAlgorithm::HmacSha2_256),
                          Attribute::basic(Phase2Attribute::EncapsulationMode, EncapsulationMode::Transport)}}}};
  return SaPayload{kDoiIpsec, kSituationIdentityOnly, {esp, comp, ah}};
}

// One of every payload the codec types, plus generic ones.
std::vector<Payload> every_payload() {
  const Bytes spi16 = hex("0102030405060708 1112131415161718");
  std::vector<Payload> p;
  p.push_back(SaPayload{kDoiIpsec, kSituationIdentityOnly, {Proposal{1, ProtocolId::Isakmp, {}, {phase1_transform()}}}});
  p.push_back(phase2_sa());
  p.push_back(SaPayload{kDoiIsakmp, 0, {Proposal{1, ProtocolId::Isakmp, spi16, {Transform{1, 1, {}}}}}});
  p.push_back(KePayload{Bytes(256, 0x5a)});
  p.push_back(IdPayload{IdType::Ipv4Address, 17, 500, {192, 0, 2, 1}});
  p.push_back(IdPayload{IdType::Fqdn, 0, 0, {'v', 'p', 'n', '.', 'e', 'x'}});
  p.push_back(IdPayload{IdType::UserFqdn, 0, 0, {'a', '@', 'b'}});
  p.push_back(IdPayload{IdType::Ipv4AddressSubnet, 6, 443, hex("c0000200 ffffff00")});
  p.push_back(IdPayload{IdType::Ipv6AddressSubnet, 0, 0, Bytes(32, 0x20)});
  p.push_back(IdPayload{IdType::Ipv4AddressRange, 0, 0, hex("c0000200 c00002ff")});
  p.push_back(IdPayload{IdType::Ipv6Address, 0, 0, Bytes(16, 0x20)});
  p.push_back(IdPayload{IdType::Ipv6AddressRange, 0, 0, Bytes(32, 0x21)});
  p.push_back(IdPayload{IdType::DerAsn1Dn, 0, 0, hex("3000")});
  p.push_back(IdPayload{IdType::KeyId, 0, 0, {'k'}});
  p.push_back(CertPayload{CertEncoding::X509Signature, hex("30820100")});
  p.push_back(CertRequestPayload{CertEncoding::X509Signature, {}});
  p.push_back(CertRequestPayload{CertEncoding::X509Signature, hex("3011300f")});
  p.push_back(HashPayload{Bytes(32, 0x48)});
  p.push_back(SignaturePayload{Bytes(64, 0x53)});
  p.push_back(NoncePayload{Bytes(32, 0x4e)});
  p.push_back(NotificationPayload{kDoiIpsec, ProtocolId::Isakmp, NotifyType::InitialContact, spi16, {}});
  p.push_back(NotificationPayload{kDoiIpsec, ProtocolId::Isakmp, NotifyType::RUThere, spi16, hex("00000007")});
  p.push_back(NotificationPayload{kDoiIpsec, ProtocolId::Isakmp, NotifyType::RUThereAck, spi16, hex("00000007")});
  p.push_back(NotificationPayload{kDoiIpsec, ProtocolId::Esp, NotifyType::ResponderLifetime, hex("c001d00d"),
                                  hex("80010001 80020e10")});
  p.push_back(NotificationPayload{kDoiIsakmp, ProtocolId::None, NotifyType::NoProposalChosen, {}, {}});
  p.push_back(DeletePayload{kDoiIpsec, ProtocolId::Esp, 4, {hex("11111111"), hex("22222222")}});
  p.push_back(DeletePayload{kDoiIpsec, ProtocolId::Isakmp, 16, {spi16}});
  p.push_back(DeletePayload{kDoiIpsec, ProtocolId::Ah, 4, {}});
  p.push_back(VendorIdPayload{hex("4a131c81070358455c5728f20e95452f")});
  p.push_back(NatDPayload{Bytes(20, 0xd1), false});
  p.push_back(NatDPayload{Bytes(20, 0xd2), true});
  p.push_back(NatOaPayload{ip("192.0.2.7"), false});
  p.push_back(NatOaPayload{ip("2001:db8::7"), true});
  p.push_back(GenericPayload{raw(PayloadType::Attribute), hex("01000001 80010000")});
  p.push_back(GenericPayload{132, hex("0001 01 01 deadbeef")});  // IKEv1 fragment (private type)
  p.push_back(GenericPayload{255, {}});
  return p;
}

// ===================================================================== round trips

TEST(IsakmpPayloadCodec, EachPayloadRoundTripsAlone) {
  for (const Payload& p : every_payload()) {
    SCOPED_TRACE(payload_name(payload_type(p)));
    const EncodedChain chain = encode_payload_chain({p});
    EXPECT_EQ(chain.first, payload_type(p));
    EXPECT_EQ(chain.bytes[0], 0);  // alone: next payload 0
    EXPECT_EQ(load_be16(chain.bytes.data() + 2), chain.bytes.size());
    EXPECT_EQ(only_payload(chain.first, chain.bytes), p);
  }
}

TEST(IsakmpPayloadCodec, EveryPayloadInOneChain) {
  const std::vector<Payload> payloads = every_payload();
  const EncodedChain chain = encode_payload_chain(payloads);
  auto parsed = parse_payload_chain(chain.first, chain.bytes);
  ASSERT_TRUE(parsed) << parsed.failure.detail;
  EXPECT_EQ(*parsed.value, payloads);
  EXPECT_EQ(encode_payload_chain(*parsed.value).bytes, chain.bytes);
}

TEST(IsakmpPayloadCodec, AttributeFormsAreKeptAsReceived) {
  // The same value in both forms stays in its form (a re-encoding is byte-exact).
  Transform t{1, 1, {Attribute::basic(12, 3600), Attribute::variable(12, hex("0e10")), Attribute::variable(12, {})}};
  const SaPayload sa{kDoiIpsec, kSituationIdentityOnly, {Proposal{1, ProtocolId::Isakmp, {}, {t}}}};
  const EncodedChain chain = encode_payload_chain({sa});
  EXPECT_EQ(to_hex(ByteView(chain.bytes).subspan(4 + 8 + 8 + 8)), "800c0e10" "000c00020e10" "000c0000");
  const auto parsed = std::get<SaPayload>(only_payload(chain.first, chain.bytes));
  const auto& attributes = parsed.proposals[0].transforms[0].attributes;
  ASSERT_EQ(attributes.size(), 3u);
  EXPECT_TRUE(attributes[0].is_basic());
  EXPECT_FALSE(attributes[1].is_basic());
  EXPECT_EQ(attributes[0].integer(), 3600u);
  EXPECT_EQ(attributes[1].integer(), 3600u);
  EXPECT_EQ(attributes[2].integer(), std::nullopt);  // an empty TLV is no integer
}

TEST(IsakmpPayloadCodec, IntegerAttributesChooseTheSmallestForm) {
  EXPECT_EQ(integer_attribute(12, 28800), Attribute::basic(12, 28800));
  EXPECT_EQ(integer_attribute(12, 0x10000), Attribute::variable(12, hex("00010000")));
  EXPECT_EQ(integer_attribute(2, 0x123456789a), Attribute::variable(2, hex("000000123456789a")));
  EXPECT_EQ(integer_attribute(2, 0x123456789a).integer(), 0x123456789au);
  EXPECT_EQ(Attribute::variable(2, Bytes(9, 1)).integer(), std::nullopt);  // longer than 64 bits
  const Transform t = phase1_transform();
  ASSERT_NE(t.find(static_cast<std::uint16_t>(Phase1Attribute::LifeDuration)), nullptr);
  EXPECT_EQ(t.find(static_cast<std::uint16_t>(Phase1Attribute::LifeDuration))->integer(), 86400u);
  EXPECT_EQ(t.find(static_cast<std::uint16_t>(Phase1Attribute::Prf)), nullptr);
}

// ===================================================================== exact layouts

struct LayoutCase {
  const char* name;
  Payload payload;
  const char* wire_hex;  // generic header (next payload 0: alone) + body
};

std::vector<LayoutCase> layout_cases() {
  const Bytes spi16 = hex("0102030405060708 1112131415161718");
  Transform aes{1, static_cast<std::uint8_t>(EspTransformId::AesCbc), {}};
  aes.attributes = {Attribute::basic(Phase2Attribute::SaLifeType, LifeType::Seconds),
                    Attribute::variable(Phase2Attribute::SaLifeDuration, hex("00000e10")),
                    Attribute::basic(Phase2Attribute::EncapsulationMode, EncapsulationMode::UdpEncapsulatedTunnel),
                    Attribute::basic(Phase2Attribute::AuthenticationAlgorithm, Phase2AuthAlgorithm::HmacSha2_256),
                    Attribute::basic(Phase2Attribute::KeyLength, 128)};
  Transform des{2, static_cast<std::uint8_t>(EspTransformId::TripleDes),
                {Attribute::basic(Phase2Attribute::AuthenticationAlgorithm, Phase2AuthAlgorithm::HmacSha)}};
  const SaPayload quick_sa{kDoiIpsec, kSituationIdentityOnly, {Proposal{1, ProtocolId::Esp, hex("c001d00d"), {aes, des}}}};
  return {
      // §3.4 SA (DOI 1, SIT_IDENTITY_ONLY) → §3.5 proposal (last, 52 bytes, #1, PROTO_IPSEC_ESP,
      // SPI size 4, 2 transforms, SPI) → §3.6 transforms (first: next 3 = more, 32 bytes, #1,
      // ESP_AES_CBC 12; second: last, 12 bytes, #2, ESP_3DES) → RFC 2407 §4.5 attributes: SA Life
      // Type seconds (TV 0x8001), SA Life Duration 3600 (TLV 0x0002, length 4), Encapsulation Mode
      // UDP-Encapsulated-Tunnel 3 (RFC 3947), Authentication Algorithm HMAC-SHA2-256 5, Key Length 128.
      {"SA (phase 2)", quick_sa,
       "00000044"
       "00000001 00000001"
       "00000038 01030402 c001d00d"
       "03000020 010c0000"
       "80010001" "00020004 00000e10" "80040003" "80050005" "80060080"
       "0000000c 02030000" "80050002"},
      // §3.7: key exchange data only.
      {"KE", KePayload{hex("aabbccdd")}, "00000008 aabbccdd"},
      // §3.8 + RFC 2407 §4.6.2: ID_IPV4_ADDR, protocol UDP (17), port 500, 192.0.2.1.
      {"ID (phase 1)", IdPayload{IdType::Ipv4Address, 17, 500, {192, 0, 2, 1}}, "0000000c 011101f4 c0000201"},
      // Quick Mode IDci: ID_IPV4_ADDR_SUBNET 10.1.0.0/255.255.0.0, any protocol and port.
      {"ID (subnet)", IdPayload{IdType::Ipv4AddressSubnet, 0, 0, hex("0a010000 ffff0000")},
       "00000010 04000000 0a010000 ffff0000"},
      {"ID (FQDN)", IdPayload{IdType::Fqdn, 0, 0, {'v', 'p', 'n'}}, "0000000b 02000000 76706e"},
      // §3.9: encoding 4 (X.509 Certificate - Signature), data.
      {"CERT", CertPayload{CertEncoding::X509Signature, hex("3000")}, "00000007 04 3000"},
      // §3.10: certificate type, authority (empty: any CA).
      {"CR", CertRequestPayload{CertEncoding::X509Signature, {}}, "00000005 04"},
      {"HASH", HashPayload{hex("01020304")}, "00000008 01020304"},
      {"SIG", SignaturePayload{hex("0506")}, "00000006 0506"},
      {"NONCE", NoncePayload{Bytes(8, 0x4e)}, "0000000c 4e4e4e4e4e4e4e4e"},
      // §3.14: DOI 1, PROTO_ISAKMP, SPI size 16 (the cookies), INITIAL-CONTACT 24578 (0x6002).
      {"N(INITIAL-CONTACT)", NotificationPayload{kDoiIpsec, ProtocolId::Isakmp, NotifyType::InitialContact, spi16, {}},
       "0000001c 00000001 01 10 6002 0102030405060708 1112131415161718"},
      // RFC 3706 §5: R-U-THERE 36136 (0x8d28) with the 32-bit sequence number as data.
      {"N(R-U-THERE)", NotificationPayload{kDoiIpsec, ProtocolId::Isakmp, NotifyType::RUThere, spi16, hex("0000002a")},
       "00000020 00000001 01 10 8d28 0102030405060708 1112131415161718 0000002a"},
      {"N(R-U-THERE-ACK)",
       NotificationPayload{kDoiIpsec, ProtocolId::Isakmp, NotifyType::RUThereAck, spi16, hex("0000002a")},
       "00000020 00000001 01 10 8d29 0102030405060708 1112131415161718 0000002a"},
      // RFC 2407 §4.6.3.1: RESPONDER-LIFETIME 24576 (0x6000) about an ESP SA, attributes as data.
      {"N(RESPONDER-LIFETIME)",
       NotificationPayload{kDoiIpsec, ProtocolId::Esp, NotifyType::ResponderLifetime, hex("c001d00d"),
                           hex("80010001 80020e10")},
       "00000018 00000001 03 04 6000 c001d00d 80010001 80020e10"},
      // An error notify without SPI: NO-PROPOSAL-CHOSEN 14.
      {"N(NO-PROPOSAL-CHOSEN)", NotificationPayload{kDoiIpsec, ProtocolId::Isakmp, NotifyType::NoProposalChosen, {}, {}},
       "0000000c 00000001 01 00 000e"},
      // §3.15: DOI 1, PROTO_IPSEC_ESP, SPI size 4, 2 SPIs.
      {"D (ESP)", DeletePayload{kDoiIpsec, ProtocolId::Esp, 4, {hex("11111111"), hex("22222222")}},
       "00000014 00000001 03 04 0002 11111111 22222222"},
      // Deleting the ISAKMP SA: PROTO_ISAKMP, SPI size 16, 1 SPI (the cookies).
      {"D (ISAKMP)", DeletePayload{kDoiIpsec, ProtocolId::Isakmp, 16, {spi16}},
       "0000001c 00000001 01 10 0001 0102030405060708 1112131415161718"},
      // §3.16: the RFC 3947 vendor ID (MD5 of "RFC 3947").
      {"VID", VendorIdPayload{hex("4a131c81070358455c5728f20e95452f")}, "00000014 4a131c81070358455c5728f20e95452f"},
      // RFC 3947 §3.2: the hash only.
      {"NAT-D", NatDPayload{Bytes(20, 0xd1), false}, "00000018 d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1"},
      // RFC 3947 §5.2: ID type ID_IPV4_ADDR, 3 reserved, address.
      {"NAT-OA (IPv4)", NatOaPayload{ip("192.0.2.7"), false}, "0000000c 01000000 c0000207"},
      {"NAT-OA (IPv6)", NatOaPayload{ip("2001:db8::7"), false},
       "00000018 05000000 20010db8000000000000000000000007"},
      {"generic", GenericPayload{200, hex("0102")}, "00000006 0102"},
  };
}

TEST(IsakmpPayloadCodec, EncodesAndParsesTheRfcLayout) {
  for (const LayoutCase& c : layout_cases()) {
    SCOPED_TRACE(c.name);
    const EncodedChain chain = encode_payload_chain({c.payload});
    EXPECT_EQ(to_hex(chain.bytes), to_hex(hex(c.wire_hex)));
    EXPECT_EQ(only_payload(payload_type(c.payload), hex(c.wire_hex)), c.payload);
  }
}

TEST(IsakmpPayloadCodec, DraftNatNumbersParseAsNatDAndNatOa) {
  // draft-ietf-ipsec-nat-t-ike-02/03: NAT-D 130, NAT-OA 131, same bodies.
  const Bytes nat_d = raw_payload(131, Bytes(16, 0xd3));
  const Bytes nat_oa = raw_payload(0, hex("01000000 c6336401"));
  auto parsed = parse_payload_chain(static_cast<PayloadType>(130), concat({nat_d, nat_oa}));
  ASSERT_TRUE(parsed) << parsed.failure.detail;
  ASSERT_EQ(parsed.value->size(), 2u);
  EXPECT_EQ(parsed.value->at(0), Payload(NatDPayload{Bytes(16, 0xd3), true}));
  EXPECT_EQ(parsed.value->at(1), Payload(NatOaPayload{ip("198.51.100.1"), true}));
  // Written back with the numbers they came with.
  const EncodedChain again = encode_payload_chain(*parsed.value);
  EXPECT_EQ(again.first, PayloadType::NatDiscoveryDraft);
  EXPECT_EQ(again.bytes, concat({nat_d, nat_oa}));
  EXPECT_STREQ(payload_name(PayloadType::NatDiscoveryDraft), "NAT-D (draft)");
}

// ===================================================================== malformed SA

struct SaCase {
  const char* name;
  Bytes body;
  ParseError error;
  NotifyType notify;
};

TEST(IsakmpPayloadCodec, MalformedSaBodies) {
  const Bytes attr = hex("80010007");
  std::vector<SaCase> cases = {
      {"no DOI/situation", hex("000000"), ParseError::Truncated, NotifyType::PayloadMalformed},
      {"DOI 2", raw_sa_body(simple_proposal(), 2), ParseError::InvalidSyntax, NotifyType::DoiNotSupported},
      {"SIT_SECRECY", raw_sa_body(simple_proposal(), 1, 3), ParseError::InvalidSyntax,
       NotifyType::SituationNotSupported},
      {"no proposals", raw_sa_body({}), ParseError::InvalidSyntax, NotifyType::BadProposalSyntax},
      {"proposal header cut", raw_sa_body(hex("0000000c0101")), ParseError::InvalidSyntax,
       NotifyType::BadProposalSyntax},
      {"proposal length < 8", raw_sa_body(raw_proposal(0, 1, 1, {}, 0, {}, 7)), ParseError::InvalidSyntax,
       NotifyType::BadProposalSyntax},
      {"proposal length past the SA", raw_sa_body(raw_proposal(0, 1, 1, {}, 1, raw_transform(0, 1, 1), 17)),
       ParseError::InvalidSyntax, NotifyType::BadProposalSyntax},
      {"proposal next field 3", raw_sa_body(simple_proposal(3)), ParseError::InvalidSyntax,
       NotifyType::BadProposalSyntax},
      {"last proposal says more", raw_sa_body(simple_proposal(2)), ParseError::InvalidSyntax,
       NotifyType::BadProposalSyntax},
      {"bytes after the last proposal", raw_sa_body(concat({simple_proposal(0, 1), simple_proposal(0, 2)})),
       ParseError::InvalidSyntax, NotifyType::BadProposalSyntax},
      {"SPI past the proposal", raw_sa_body(Bytes{0, 0, 0, 8, 1, 3, 4, 0}), ParseError::InvalidSyntax,
       NotifyType::BadProposalSyntax},
      {"transform header cut", raw_sa_body(raw_proposal(0, 1, 1, {}, 1, hex("00000008"))), ParseError::InvalidSyntax,
       NotifyType::BadProposalSyntax},
      {"transform length < 8", raw_sa_body(raw_proposal(0, 1, 1, {}, 1, raw_transform(0, 1, 1, {}, 4))),
       ParseError::InvalidSyntax, NotifyType::BadProposalSyntax},
      {"transform length past the proposal",
       raw_sa_body(raw_proposal(0, 1, 1, {}, 1, raw_transform(0, 1, 1, attr, 16))), ParseError::InvalidSyntax,
       NotifyType::BadProposalSyntax},
      {"transform next field 2", raw_sa_body(raw_proposal(0, 1, 1, {}, 1, raw_transform(2, 1, 1))),
       ParseError::InvalidSyntax, NotifyType::BadProposalSyntax},
      {"last transform says more", raw_sa_body(raw_proposal(0, 1, 1, {}, 1, raw_transform(3, 1, 1))),
       ParseError::InvalidSyntax, NotifyType::BadProposalSyntax},
      {"bytes after the last transform",
       raw_sa_body(raw_proposal(0, 1, 1, {}, 2, concat({raw_transform(0, 1, 1), raw_transform(0, 2, 1)}))),
       ParseError::InvalidSyntax, NotifyType::BadProposalSyntax},
      {"fewer transforms than announced", raw_sa_body(raw_proposal(0, 1, 1, {}, 2, raw_transform(0, 1, 1))),
       ParseError::InvalidSyntax, NotifyType::BadProposalSyntax},
      {"more transforms than announced",
       raw_sa_body(raw_proposal(0, 1, 1, {}, 1, concat({raw_transform(3, 1, 1), raw_transform(0, 2, 1)}))),
       ParseError::InvalidSyntax, NotifyType::BadProposalSyntax},
      {"attribute header cut", raw_sa_body(raw_proposal(0, 1, 1, {}, 1, raw_transform(0, 1, 1, hex("8001")))),
       ParseError::InvalidSyntax, NotifyType::BadProposalSyntax},
      {"TLV attribute past the transform",
       raw_sa_body(raw_proposal(0, 1, 1, {}, 1, raw_transform(0, 1, 1, hex("000c0004 0000")))),
       ParseError::InvalidSyntax, NotifyType::BadProposalSyntax},
      {"65 transforms announced", raw_sa_body(raw_proposal(0, 1, 1, {}, 65, raw_transform(0, 1, 1))),
       ParseError::LimitExceeded, NotifyType::BadProposalSyntax},
  };
  // 65 proposals.
  Bytes proposals;
  for (int i = 1; i <= 65; ++i) proposals = concat({proposals, simple_proposal(i == 65 ? 0 : 2, static_cast<std::uint8_t>(i))});
  cases.push_back({"65 proposals", raw_sa_body(proposals), ParseError::LimitExceeded, NotifyType::BadProposalSyntax});
  // 65 attributes in one transform.
  Bytes attributes;
  for (int i = 0; i < 65; ++i) attributes = concat({attributes, attr});
  cases.push_back({"65 attributes", raw_sa_body(raw_proposal(0, 1, 1, {}, 1, raw_transform(0, 1, 1, attributes))),
                   ParseError::LimitExceeded, NotifyType::BadProposalSyntax});

  for (const SaCase& c : cases) {
    SCOPED_TRACE(c.name);
    const ParseFailure f = body_failure(PayloadType::SecurityAssociation, c.body);
    EXPECT_EQ(f.error, c.error) << parse_error_name(f.error) << ": " << f.detail;
    EXPECT_EQ(f.notify, c.notify) << notify_name(f.notify);
    EXPECT_FALSE(f.detail.empty());
  }
}

TEST(IsakmpPayloadCodec, LimitsAreInclusive) {
  // Exactly 64 proposals, transforms, attributes and SPIs parse.
  const Transform t{1, 1, std::vector<Attribute>(kMaxAttributes, Attribute::basic(1, 7))};
  const Proposal one{1, ProtocolId::Isakmp, {}, {Transform{}}};
  const Proposal wide{1, ProtocolId::Isakmp, {}, std::vector<Transform>(kMaxTransforms, Transform{})};
  for (const SaPayload& sa : {SaPayload{kDoiIpsec, kSituationIdentityOnly, std::vector<Proposal>(kMaxProposals, one)},
                              SaPayload{kDoiIpsec, kSituationIdentityOnly, {wide}},
                              SaPayload{kDoiIpsec, kSituationIdentityOnly, {Proposal{1, ProtocolId::Isakmp, {}, {t}}}}}) {
    const EncodedChain chain = encode_payload_chain({sa});
    EXPECT_EQ(only_payload(chain.first, chain.bytes), Payload(sa));
  }
  DeletePayload d{kDoiIpsec, ProtocolId::Esp, 4, std::vector<Bytes>(kMaxSpis, hex("01020304"))};
  const EncodedChain delete_chain = encode_payload_chain({d});
  EXPECT_EQ(only_payload(delete_chain.first, delete_chain.bytes), Payload(d));
}

TEST(IsakmpPayloadCodec, ProposalNumbersAreKeptNotJudged) {
  // RFC 2408 §4.2: equal numbers form one suite; order and gaps are the engine's business.
  const Bytes body = raw_sa_body(concat({simple_proposal(2, 3), simple_proposal(2, 3), simple_proposal(0, 1)}));
  const auto sa = std::get<SaPayload>(only_payload(PayloadType::SecurityAssociation, raw_payload(0, body)));
  ASSERT_EQ(sa.proposals.size(), 3u);
  EXPECT_EQ(sa.proposals[0].number, 3);
  EXPECT_EQ(sa.proposals[2].number, 1);
}

// ===================================================================== other malformed bodies

struct BodyCase {
  const char* name;
  PayloadType type;
  Bytes body;
  ParseError error;
};

TEST(IsakmpPayloadCodec, MalformedBodies) {
  Bytes spis;
  for (int i = 0; i < 65; ++i) spis = concat({spis, hex("01020304")});
  const std::vector<BodyCase> cases = {
      {"ID < 4", PayloadType::Identification, hex("011101"), ParseError::Truncated},
      {"CERT empty", PayloadType::Certificate, {}, ParseError::Truncated},
      {"CR empty", PayloadType::CertificateRequest, {}, ParseError::Truncated},
      {"N < 8", PayloadType::Notification, hex("00000001 01 00 60"), ParseError::Truncated},
      {"N SPI past the end", PayloadType::Notification, hex("00000001 01 10 6002 0102030405"), ParseError::Truncated},
      {"D < 8", PayloadType::Delete, hex("00000001 03 04 00"), ParseError::Truncated},
      {"D SPIs missing", PayloadType::Delete, hex("00000001 03 04 0002 11111111"), ParseError::Truncated},
      {"D bytes after the SPIs", PayloadType::Delete, hex("00000001 03 04 0001 11111111 22"),
       ParseError::InvalidSyntax},
      {"D SPI size 0 with SPIs", PayloadType::Delete, hex("00000001 03 00 0001"), ParseError::InvalidSyntax},
      {"D 65 SPIs", PayloadType::Delete, concat({hex("00000001 03 04 0041"), spis}), ParseError::LimitExceeded},
      {"NAT-OA < 4", PayloadType::NatOriginalAddress, hex("010000"), ParseError::Truncated},
      {"NAT-OA IPv4 with 5 bytes", PayloadType::NatOriginalAddress, hex("01000000 c000020701"),
       ParseError::InvalidSyntax},
      {"NAT-OA IPv6 with 4 bytes", PayloadType::NatOriginalAddress, hex("05000000 c0000207"),
       ParseError::InvalidSyntax},
      {"NAT-OA FQDN", PayloadType::NatOriginalAddressDraft, hex("02000000 c0000207"), ParseError::InvalidSyntax},
  };
  for (const BodyCase& c : cases) {
    SCOPED_TRACE(c.name);
    const ParseFailure f = body_failure(c.type, c.body);
    EXPECT_EQ(f.error, c.error) << parse_error_name(f.error) << ": " << f.detail;
    EXPECT_EQ(f.notify, NotifyType::PayloadMalformed);
  }
}

TEST(IsakmpPayloadCodec, EmptyOpaqueBodiesParse) {
  for (PayloadType t : {PayloadType::KeyExchange, PayloadType::Hash, PayloadType::Signature, PayloadType::Nonce,
                        PayloadType::VendorId, PayloadType::NatDiscovery}) {
    auto parsed = parse_payload_chain(t, raw_payload(0, {}));
    EXPECT_TRUE(parsed) << payload_name(t);
  }
}

TEST(IsakmpPayloadCodec, ProposalOrTransformInTheChainIsAnInvalidPayloadType) {
  for (PayloadType t : {PayloadType::Proposal, PayloadType::Transform}) {
    const ParseFailure f = body_failure(t, simple_proposal());
    EXPECT_EQ(f.error, ParseError::InvalidSyntax);
    EXPECT_EQ(f.notify, NotifyType::InvalidPayloadType);
  }
}

// ===================================================================== encoder refusals

TEST(IsakmpPayloadCodec, EncoderRefusesWhatTheParserWouldNotRead) {
  auto encode = [](Payload p) { return encode_payload_chain({std::move(p)}); };
  Transform big{1, 1, std::vector<Attribute>(kMaxAttributes + 1, Attribute::basic(1, 1))};
  Proposal one{1, ProtocolId::Isakmp, {}, {Transform{}}};
  EXPECT_THROW(encode(SaPayload{kDoiIpsec, 1, {Proposal{1, ProtocolId::Isakmp, {}, {big}}}}), std::length_error);
  EXPECT_THROW(encode(SaPayload{kDoiIpsec, 1, {Proposal{1, ProtocolId::Isakmp, {}, std::vector<Transform>(65)}}}),
               std::length_error);
  EXPECT_THROW(encode(SaPayload{kDoiIpsec, 1, std::vector<Proposal>(65, one)}), std::length_error);
  EXPECT_THROW(encode(SaPayload{kDoiIpsec, 1, {}}), std::invalid_argument);
  EXPECT_THROW(encode(SaPayload{7, 1, {one}}), std::invalid_argument);
  EXPECT_THROW(encode(SaPayload{kDoiIpsec, kSituationSecrecy, {one}}), std::invalid_argument);
  EXPECT_THROW(encode(SaPayload{kDoiIpsec, 1, {Proposal{1, ProtocolId::Isakmp, Bytes(256, 0), {}}}}),
               std::length_error);
  EXPECT_THROW(encode(SaPayload{kDoiIpsec, 1, {Proposal{1, ProtocolId::Isakmp, {}, {Transform{1, 1, {Attribute::basic(0x8000, 1)}}}}}}),
               std::invalid_argument);
  EXPECT_THROW(encode(SaPayload{kDoiIpsec, 1, {Proposal{1, ProtocolId::Isakmp, {}, {Transform{1, 1, {Attribute::variable(1, Bytes(65536, 0))}}}}}}),
               std::length_error);
  EXPECT_THROW(encode(NotificationPayload{kDoiIpsec, ProtocolId::Isakmp, NotifyType::InitialContact, Bytes(256, 0), {}}),
               std::length_error);
  EXPECT_THROW(encode(DeletePayload{kDoiIpsec, ProtocolId::Esp, 4, {hex("010203")}}), std::invalid_argument);
  EXPECT_THROW(encode(DeletePayload{kDoiIpsec, ProtocolId::Esp, 0, {Bytes{}}}), std::invalid_argument);
  EXPECT_THROW(encode(DeletePayload{kDoiIpsec, ProtocolId::Esp, 4, std::vector<Bytes>(65, hex("01020304"))}),
               std::length_error);
  for (std::uint8_t t : {0, 1, 2, 3, 10, 20, 21, 130, 131})
    EXPECT_THROW(encode(GenericPayload{t, {}}), std::invalid_argument) << int{t};
  EXPECT_THROW(encode(NoncePayload{Bytes(65532, 0)}), std::length_error);
  EXPECT_NO_THROW(encode(NoncePayload{Bytes(65531, 0)}));
}

}  // namespace
}  // namespace cygnet::wire::isakmp
