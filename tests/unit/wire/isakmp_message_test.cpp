// ISAKMP messages (RFC 2408 §3.1/§3.2, RFC 2409 exchanges): the header, a Main Mode first message
// byte for byte as RFC 2408 §3's figures lay it out, round trips of whole exchanges, encrypted
// messages and their padded plaintext, and every malformed datagram of bad-input catalog row 1
// (header length ≠ datagram, payload length < 4 or past the end, a chain that never ends, a
// truncated header, too many proposals) giving its named error without crashing.
#include "wire/isakmp_message.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <optional>
#include <stdexcept>
#include <string_view>

#include "wire/byte_reader.hpp"

namespace cygnet::wire::isakmp {
namespace {

constexpr std::uint64_t kInitiatorCookie = 0x0102030405060708;
constexpr std::uint64_t kResponderCookie = 0x1112131415161718;

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

// Generic payload header (§3.2) + body; the length is computed unless given.
Bytes raw_payload(std::uint8_t next, const Bytes& body, std::optional<std::size_t> length = {}) {
  return concat({{next, 0}, be16(length.value_or(4 + body.size())), body});
}

// A datagram: 28-byte header (length computed unless given) + body.
Bytes raw_message(std::uint8_t first, const Bytes& body, std::uint8_t version = kVersion,
                  std::optional<std::uint32_t> length = {}, std::uint8_t flags = 0) {
  Bytes out(kHeaderLength);
  store_be64(out.data(), kInitiatorCookie);
  store_be64(out.data() + 8, 0);
  out[16] = first;
  out[17] = version;
  out[18] = static_cast<std::uint8_t>(ExchangeType::IdentityProtection);
  out[19] = flags;
  store_be32(out.data() + 20, 0);
  store_be32(out.data() + 24, length.value_or(static_cast<std::uint32_t>(kHeaderLength + body.size())));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

ParseFailure message_failure(const Bytes& datagram) {
  auto result = parse_message(datagram);
  EXPECT_FALSE(result) << "unexpectedly parsed " << to_hex(datagram);
  return result.failure;
}

Header header_of(ExchangeType exchange, std::uint64_t responder_cookie = kResponderCookie,
                 std::uint32_t message_id = 0, std::uint8_t flags = 0) {
  Header h;
  h.initiator_cookie = kInitiatorCookie;
  h.responder_cookie = responder_cookie;
  h.exchange = exchange;
  h.flags = flags;
  h.message_id = message_id;
  return h;
}

// Serialises, parses and checks the result equals the input (with the computed header fields).
void expect_round_trip(Message m) {
  const Bytes wire = serialize_message(m);
  auto parsed = parse_message(wire);
  ASSERT_TRUE(parsed) << parse_error_name(parsed.failure.error) << ": " << parsed.failure.detail;
  m.header.length = static_cast<std::uint32_t>(wire.size());
  if (!m.header.encrypted())
    m.header.next_payload = m.payloads.empty() ? PayloadType::None : payload_type(m.payloads.front());
  EXPECT_EQ(*parsed.value, m);
  EXPECT_EQ(serialize_message(*parsed.value), wire);
}

// --- the messages of an IKEv1 exchange ---

Transform main_mode_transform() {
  Transform t;
  t.number = 1;
  t.id = kTransformKeyIke;
  t.attributes = {Attribute::basic(Phase1Attribute::EncryptionAlgorithm, Phase1Encryption::AesCbc),
                  Attribute::basic(Phase1Attribute::KeyLength, 256),
                  Attribute::basic(Phase1Attribute::HashAlgorithm, Phase1Hash::Sha2_256),
                  Attribute::basic(Phase1Attribute::AuthenticationMethod, Phase1AuthMethod::PreSharedKey),
                  Attribute::basic(Phase1Attribute::GroupDescription, GroupDescription::Modp2048),
                  Attribute::basic(Phase1Attribute::LifeType, LifeType::Seconds),
                  Attribute::variable(Phase1Attribute::LifeDuration, hex("00007080"))};
  return t;
}

const Bytes kRfc3947Vid = from_hex("4a131c81070358455c5728f20e95452f");

Message main_mode_first() {
  Message m;
  m.header = header_of(ExchangeType::IdentityProtection, 0);
  m.payloads = {SaPayload{kDoiIpsec, kSituationIdentityOnly, {Proposal{1, ProtocolId::Isakmp, {}, {main_mode_transform()}}}},
                VendorIdPayload{kRfc3947Vid}};
  return m;
}

// Quick Mode's first message as it is before encryption (RFC 2409 §5.5: HASH(1), SA, Ni, [KE],
// IDci, IDcr, and NAT-OA with RFC 3947 §5.1).
std::vector<Payload> quick_mode_payloads() {
  Transform t{1, static_cast<std::uint8_t>(EspTransformId::AesCbc), {}};
  t.attributes = {Attribute::basic(Phase2Attribute::SaLifeType, LifeType::Seconds),
                  Attribute::basic(Phase2Attribute::SaLifeDuration, 3600),
                  Attribute::basic(Phase2Attribute::EncapsulationMode, EncapsulationMode::UdpEncapsulatedTunnel),
                  Attribute::basic(Phase2Attribute::AuthenticationAlgorithm, Phase2AuthAlgorithm::HmacSha2_256),
                  Attribute::basic(Phase2Attribute::KeyLength, 256),
                  Attribute::basic(Phase2Attribute::GroupDescription, GroupDescription::Modp2048)};
  return {HashPayload{Bytes(32, 0x48)},
          SaPayload{kDoiIpsec, kSituationIdentityOnly, {Proposal{1, ProtocolId::Esp, hex("c001d00d"), {t}}}},
          NoncePayload{Bytes(32, 0x4e)},
          KePayload{Bytes(256, 0x4b)},
          IdPayload{IdType::Ipv4AddressSubnet, 0, 0, hex("0a010000 ffffff00")},
          IdPayload{IdType::Ipv4AddressSubnet, 0, 0, hex("0a020000 ffffff00")},
          NatOaPayload{ip("192.168.1.10"), false},
          NatOaPayload{ip("203.0.113.5"), false}};
}

// ===================================================================== header

TEST(IsakmpHeader, ExactBytesOfAnEmptyMessage) {
  Message m;
  m.header = header_of(ExchangeType::Informational, kResponderCookie, 0x0a0b0c0d, kFlagCommit);
  // §3.1: cookies, next payload 0, version 0x10, exchange 5, flags (C), message ID, length 28.
  EXPECT_EQ(to_hex(serialize_message(m)),
            "0102030405060708" "1112131415161718" "00" "10" "05" "02" "0a0b0c0d" "0000001c");
}

TEST(IsakmpHeader, ParseHeaderReadsEveryField) {
  const Bytes d = hex("0102030405060708 1112131415161718 08 10 20 03 7f000001 000001ff");
  auto h = parse_header(d);
  ASSERT_TRUE(h);
  EXPECT_EQ(h.value->initiator_cookie, kInitiatorCookie);
  EXPECT_EQ(h.value->responder_cookie, kResponderCookie);
  EXPECT_EQ(h.value->next_payload, PayloadType::Hash);
  EXPECT_EQ(h.value->version, kVersion);
  EXPECT_EQ(h.value->exchange, ExchangeType::QuickMode);
  EXPECT_TRUE(h.value->encrypted());
  EXPECT_TRUE(h.value->commit());
  EXPECT_FALSE(h.value->authentication_only());
  EXPECT_EQ(h.value->message_id, 0x7f000001u);
  EXPECT_EQ(h.value->length, 511u);  // reported, not judged
  EXPECT_EQ(to_hex(isakmp_spi(*h.value)), "01020304050607081112131415161718");
}

TEST(IsakmpHeader, TruncatedHeaderAtEveryLength) {
  const Bytes d = raw_message(0, {});
  for (std::size_t n = 0; n < kHeaderLength; ++n) {
    auto h = parse_header(ByteView(d).first(n));
    ASSERT_FALSE(h) << n;
    EXPECT_EQ(h.failure.error, ParseError::Truncated);
    auto m = parse_message(ByteView(d).first(n));
    ASSERT_FALSE(m) << n;
    EXPECT_EQ(m.failure.error, ParseError::Truncated);
  }
}

TEST(IsakmpHeader, MajorVersionOtherThanOneIsUnsupported) {
  for (std::uint8_t version : {0x20, 0x00, 0x30, 0xf0}) {
    const ParseFailure f = message_failure(raw_message(0, {}, version));
    EXPECT_EQ(f.error, ParseError::UnsupportedVersion) << int{version};
    EXPECT_EQ(f.notify, NotifyType::InvalidMajorVersion);
    EXPECT_TRUE(parse_header(raw_message(0, {}, version)));  // the cookies stay readable
  }
  auto m = parse_message(raw_message(0, {}, 0x11));  // minor version kept as received
  ASSERT_TRUE(m);
  EXPECT_EQ(serialize_message(*m.value)[17], 0x11);
}

TEST(IsakmpHeader, LengthMustEqualTheDatagram) {
  const Bytes chain = raw_payload(0, Bytes(8, 0x4e));
  for (std::uint32_t length : {0u, 27u, 28u, 39u, 41u, 1000u, 0xffffffffu}) {
    const ParseFailure f = message_failure(raw_message(raw(PayloadType::Nonce), chain, kVersion, length));
    EXPECT_EQ(f.error, ParseError::LengthMismatch) << length;
    EXPECT_EQ(f.notify, NotifyType::UnequalPayloadLengths);
  }
  EXPECT_TRUE(parse_message(raw_message(raw(PayloadType::Nonce), chain, kVersion, 40)));
  // Encrypted messages too: the length covers the ciphertext.
  EXPECT_EQ(message_failure(raw_message(raw(PayloadType::Hash), Bytes(16, 0xee), kVersion, 45, kFlagEncryption)).error,
            ParseError::LengthMismatch);
}

// ===================================================================== exact layout

TEST(IsakmpLayout, MainModeFirstMessageByteForByte) {
  // Offer: AES-CBC-256, SHA2-256, PSK, MODP-2048, 28800 s (the duration as a TLV attribute), plus
  // the RFC 3947 vendor ID.
  const Bytes expected = hex(
      // §3.1 header
      "0102030405060708"  // initiator cookie
      "0000000000000000"  // responder cookie: zero in the first message
      "01"                // next payload: SA
      "10"                // version 1.0
      "02"                // exchange: Identity Protection (Main Mode)
      "00"                // flags: none
      "00000000"          // message ID: 0 in phase 1
      "0000006c"          // length: 28 + 60 + 20 = 108
      // §3.4 SA payload
      "0d"        // next payload: VID
      "00"        // reserved
      "003c"      // payload length: 4 + 8 + 48 = 60
      "00000001"  // DOI: IPsec
      "00000001"  // situation: SIT_IDENTITY_ONLY
      // §3.5 proposal
      "00"    // next payload: 0 = last proposal
      "00"    // reserved
      "0030"  // proposal length: 8 + 40 = 48
      "01"    // proposal #1
      "01"    // protocol: PROTO_ISAKMP
      "00"    // SPI size 0
      "01"    // 1 transform
      // §3.6 transform
      "00"    // next payload: 0 = last transform
      "00"    // reserved
      "0028"  // transform length: 8 + 6 × 4 + 8 = 40
      "01"    // transform #1
      "01"    // transform ID: KEY_IKE
      "0000"  // reserved2
      // §3.3 data attributes (RFC 2409 Appendix A); 0x8000 = AF bit (TV)
      "8001 0007"           // Encryption Algorithm: AES-CBC (7)
      "800e 0100"           // Key Length: 256
      "8002 0004"           // Hash Algorithm: SHA2-256 (4)
      "8003 0001"           // Authentication Method: pre-shared key (1)
      "8004 000e"           // Group Description: MODP 2048 (14)
      "800b 0001"           // Life Type: seconds (1)
      "000c 0004 00007080"  // Life Duration: TLV, 4 bytes, 28800
      // §3.16 vendor ID
      "00"    // next payload: none
      "00"    // reserved
      "0014"  // payload length: 4 + 16 = 20
      "4a131c81070358455c5728f20e95452f");  // MD5("RFC 3947")
  const Bytes wire = serialize_message(main_mode_first());
  EXPECT_EQ(to_hex(wire), to_hex(expected));

  auto parsed = parse_message(expected);
  ASSERT_TRUE(parsed) << parsed.failure.detail;
  Message want = main_mode_first();
  want.header.next_payload = PayloadType::SecurityAssociation;
  want.header.length = 108;
  EXPECT_EQ(*parsed.value, want);
  const auto* sa = find_payload<SaPayload>(parsed.value->payloads);
  ASSERT_NE(sa, nullptr);
  const Transform& t = sa->proposals.at(0).transforms.at(0);
  EXPECT_EQ(t.find(static_cast<std::uint16_t>(Phase1Attribute::LifeDuration))->integer(), 28800u);
  EXPECT_EQ(t.find(static_cast<std::uint16_t>(Phase1Attribute::KeyLength))->integer(), 256u);
}

// ===================================================================== round trips

TEST(IsakmpRoundTrip, MainModeMessages) {
  expect_round_trip(main_mode_first());
  // Messages 3/4: KE, Ni/Nr, NAT-D × 2.
  Message m3;
  m3.header = header_of(ExchangeType::IdentityProtection);
  m3.payloads = {KePayload{Bytes(256, 0x4b)}, NoncePayload{Bytes(32, 0x4e)}, NatDPayload{Bytes(32, 0xd1), false},
                 NatDPayload{Bytes(32, 0xd2), false}};
  expect_round_trip(m3);
  // Message 5 with a cleartext-visible body (as after decryption): IDii, CERT, SIG, N(INITIAL-CONTACT).
  Message m5;
  m5.header = header_of(ExchangeType::IdentityProtection);
  m5.payloads = {IdPayload{IdType::DerAsn1Dn, 17, 500, hex("3000")}, CertPayload{CertEncoding::X509Signature, hex("3000")},
                 SignaturePayload{Bytes(64, 0x53)},
                 NotificationPayload{kDoiIpsec, ProtocolId::Isakmp, NotifyType::InitialContact,
                                     isakmp_spi(m5.header), {}}};
  expect_round_trip(m5);
}

TEST(IsakmpRoundTrip, AggressiveModeAndInformational) {
  Message aggressive = main_mode_first();
  aggressive.header.exchange = ExchangeType::Aggressive;
  aggressive.payloads.push_back(KePayload{Bytes(32, 0x4b)});
  aggressive.payloads.push_back(NoncePayload{Bytes(16, 0x4e)});
  aggressive.payloads.push_back(IdPayload{IdType::Fqdn, 0, 0, {'g', 'w'}});
  aggressive.payloads.push_back(CertRequestPayload{CertEncoding::X509Signature, {}});
  expect_round_trip(aggressive);

  Message dpd;
  dpd.header = header_of(ExchangeType::Informational, kResponderCookie, 0x11223344);
  dpd.payloads = {HashPayload{Bytes(32, 0x48)},
                  NotificationPayload{kDoiIpsec, ProtocolId::Isakmp, NotifyType::RUThere, isakmp_spi(dpd.header),
                                      hex("00000001")}};
  expect_round_trip(dpd);
  Message del = dpd;
  del.payloads = {HashPayload{Bytes(32, 0x48)},
                  DeletePayload{kDoiIpsec, ProtocolId::Isakmp, 16, {isakmp_spi(del.header)}}};
  expect_round_trip(del);
  Message quick;
  quick.header = header_of(ExchangeType::QuickMode, kResponderCookie, 0x55667788);
  quick.payloads = quick_mode_payloads();
  expect_round_trip(quick);
}

TEST(IsakmpRoundTrip, NextPayloadFieldsFormTheChain) {
  Message m;
  m.header = header_of(ExchangeType::IdentityProtection);
  m.payloads = {NoncePayload{{1}}, VendorIdPayload{{2}}, NatDPayload{{3}, true}, GenericPayload{200, {4}}};
  const Bytes wire = serialize_message(m);
  EXPECT_EQ(wire[16], raw(PayloadType::Nonce));
  // NONCE names VID (13); VID names NAT-D draft (130); NAT-D names 200; 200 ends the chain.
  EXPECT_EQ(to_hex(ByteView(wire).subspan(28)), "0d000005" "01" "82000005" "02" "c8000005" "03" "00000005" "04");
}

TEST(IsakmpRoundTrip, GenericPayloadsAreKeptVerbatim) {
  // Unknown types (and the mode-cfg Attribute payload, 14) carry their body unparsed.
  const Bytes chain = concat({raw_payload(14, hex("aabb")), raw_payload(0, hex("01000001 80010000"))});
  auto m = parse_message(raw_message(99, chain));
  ASSERT_TRUE(m) << m.failure.detail;
  ASSERT_EQ(m.value->payloads.size(), 2u);
  EXPECT_EQ(m.value->payloads[0], Payload(GenericPayload{99, hex("aabb")}));
  EXPECT_EQ(m.value->payloads[1], Payload(GenericPayload{14, hex("01000001 80010000")}));
  EXPECT_EQ(serialize_message(*m.value), raw_message(99, chain));
}

// ===================================================================== encrypted messages

TEST(IsakmpEncrypted, BodyIsExposedRawAndWrittenBack) {
  const Bytes ciphertext(48, 0xe5);
  const Bytes datagram = raw_message(raw(PayloadType::Hash), ciphertext, kVersion, {}, kFlagEncryption);
  auto m = parse_message(datagram);
  ASSERT_TRUE(m) << m.failure.detail;
  EXPECT_TRUE(m.value->header.encrypted());
  EXPECT_EQ(m.value->header.next_payload, PayloadType::Hash);  // the first payload inside
  EXPECT_TRUE(m.value->payloads.empty());
  EXPECT_EQ(m.value->encrypted_body, ciphertext);
  EXPECT_EQ(serialize_message(*m.value), datagram);
  // An empty ciphertext is the engine's problem, not the codec's.
  EXPECT_TRUE(parse_message(raw_message(raw(PayloadType::Hash), {}, kVersion, {}, kFlagEncryption)));
}

TEST(IsakmpEncrypted, ThePlaintextChainAcceptsPaddingOnlyWhenAsked) {
  const EncodedChain chain = encode_payload_chain(quick_mode_payloads());
  EXPECT_EQ(chain.first, PayloadType::Hash);
  for (std::size_t pad : {0u, 1u, 7u, 15u, 16u}) {
    SCOPED_TRACE(pad);
    Bytes plaintext = chain.bytes;
    plaintext.insert(plaintext.end(), pad, 0);
    if (pad > 0) plaintext.back() = static_cast<std::uint8_t>(pad - 1);  // a pad-length byte is accepted too
    auto padded = parse_payload_chain(chain.first, plaintext, Padding::Allow);
    ASSERT_TRUE(padded) << padded.failure.detail;
    EXPECT_EQ(*padded.value, quick_mode_payloads());
    auto strict = parse_payload_chain(chain.first, plaintext);
    if (pad == 0) {
      EXPECT_TRUE(strict);
    } else {
      ASSERT_FALSE(strict);
      EXPECT_EQ(strict.failure.error, ParseError::TrailingData);
    }
  }
  // Padding never hides a broken chain: the last payload must still say 0.
  Bytes unterminated = chain.bytes;
  unterminated[unterminated.size() - 4 - 4 - 4] = raw(PayloadType::Nonce);  // last NAT-OA now names a NONCE
  unterminated.insert(unterminated.end(), 8, 0);
  auto f = parse_payload_chain(chain.first, unterminated, Padding::Allow);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.failure.error, ParseError::BadPayloadLength);  // the zero padding read as a header of length 0
}

TEST(IsakmpEncrypted, SerialisationKeepsTheTwoFormsApart) {
  Message m;
  m.header = header_of(ExchangeType::QuickMode, kResponderCookie, 1, kFlagEncryption);
  m.payloads = {HashPayload{{1}}};
  EXPECT_THROW(serialize_message(m), std::invalid_argument);
  Message clear;
  clear.header = header_of(ExchangeType::QuickMode);
  clear.encrypted_body = {1, 2, 3};
  EXPECT_THROW(serialize_message(clear), std::invalid_argument);
  // The engine's path: encode, encrypt (not here), then write with the chain's first type.
  Message encrypted;
  encrypted.header = header_of(ExchangeType::QuickMode, kResponderCookie, 1, kFlagEncryption);
  const EncodedChain chain = encode_payload_chain(quick_mode_payloads());
  encrypted.header.next_payload = chain.first;
  encrypted.encrypted_body = Bytes(32, 0xc1);
  const Bytes wire = serialize_message(encrypted);
  EXPECT_EQ(wire[16], raw(PayloadType::Hash));
  EXPECT_EQ(load_be32(wire.data() + 24), 60u);
}

TEST(IsakmpEncrypted, WriteHeaderUsesTheGivenTypeAndLength) {
  Bytes out(30, 0xee);
  write_header(header_of(ExchangeType::QuickMode, kResponderCookie, 7, kFlagEncryption), PayloadType::Hash, 0x123,
               MutableByteView(out).first(28));
  EXPECT_EQ(to_hex(out), "0102030405060708" "1112131415161718" "08" "10" "20" "01" "00000007" "00000123" "eeee");
  Bytes small(27);
  EXPECT_THROW(write_header(Header{}, PayloadType::None, 28, small), std::invalid_argument);
}

// ===================================================================== malformed chains

TEST(IsakmpMalformed, PayloadLengthBelowFour) {
  for (std::size_t length : {0u, 1u, 2u, 3u}) {
    const ParseFailure f = message_failure(raw_message(raw(PayloadType::Nonce), raw_payload(0, Bytes(8, 1), length)));
    EXPECT_EQ(f.error, ParseError::BadPayloadLength) << length;
    EXPECT_EQ(f.notify, NotifyType::PayloadMalformed);
  }
}

TEST(IsakmpMalformed, PayloadLengthPastTheEnd) {
  const ParseFailure f = message_failure(raw_message(raw(PayloadType::Nonce), raw_payload(0, Bytes(8, 1), 13)));
  EXPECT_EQ(f.error, ParseError::BadPayloadLength);
  // The second payload of two runs past the end.
  const Bytes chain = concat({raw_payload(raw(PayloadType::VendorId), Bytes(4, 1)), raw_payload(0, Bytes(4, 2), 100)});
  EXPECT_EQ(message_failure(raw_message(raw(PayloadType::Nonce), chain)).error, ParseError::BadPayloadLength);
}

TEST(IsakmpMalformed, ChainThatNeverEnds) {
  // The last payload names another but the datagram ends: with nothing left…
  const Bytes chain = concat({raw_payload(raw(PayloadType::VendorId), Bytes(4, 1)),
                              raw_payload(raw(PayloadType::Nonce), Bytes(4, 2))});
  EXPECT_EQ(message_failure(raw_message(raw(PayloadType::Nonce), chain)).error, ParseError::UnterminatedChain);
  // …the header names a first payload with no payload bytes at all…
  EXPECT_EQ(message_failure(raw_message(raw(PayloadType::SecurityAssociation), {})).error,
            ParseError::UnterminatedChain);
  // …or with fewer than 4 bytes left.
  EXPECT_EQ(message_failure(raw_message(raw(PayloadType::Nonce), concat({raw_payload(raw(PayloadType::Nonce), {1}),
                                                                         Bytes{0, 0}})))
                .error,
            ParseError::Truncated);
  // A payload of length 0 would make a naive walker loop in place; a self-naming payload of
  // length 4 is walked byte by byte until the datagram ends.
  EXPECT_EQ(message_failure(raw_message(raw(PayloadType::Nonce), Bytes{raw(PayloadType::Nonce), 0, 0, 0})).error,
            ParseError::BadPayloadLength);
  Bytes loop;
  for (int i = 0; i < 8; ++i) loop = concat({loop, raw_payload(raw(PayloadType::Nonce), {})});
  EXPECT_EQ(message_failure(raw_message(raw(PayloadType::Nonce), loop)).error, ParseError::UnterminatedChain);
}

TEST(IsakmpMalformed, TooManyPayloads) {
  Bytes chain;
  for (std::size_t i = 0; i < kMaxPayloads; ++i)
    chain = concat({chain, raw_payload(raw(PayloadType::VendorId), {})});
  Bytes ok = chain;
  ok[ok.size() - 4] = 0;
  EXPECT_TRUE(parse_message(raw_message(raw(PayloadType::VendorId), ok)));
  chain = concat({chain, raw_payload(0, {})});
  EXPECT_EQ(message_failure(raw_message(raw(PayloadType::VendorId), chain)).error, ParseError::LimitExceeded);
  Message m;
  m.payloads.assign(kMaxPayloads + 1, VendorIdPayload{});
  EXPECT_THROW(serialize_message(m), std::length_error);
}

TEST(IsakmpMalformed, TooManyProposalsInAMessage) {
  Message m = main_mode_first();
  auto& sa = std::get<SaPayload>(m.payloads[0]);
  sa.proposals.assign(kMaxProposals, sa.proposals[0]);
  Bytes wire = serialize_message(m);
  ASSERT_TRUE(parse_message(wire));
  EXPECT_THROW(
      {
        sa.proposals.push_back(sa.proposals[0]);
        serialize_message(m);
      },
      std::length_error);
  // Hand-append a 65th proposal: set the old last one's "next" to 2 and grow the lengths.
  const Bytes proposal = hex("00000010 01010001 00000008 01010000");
  const std::size_t sa_at = kHeaderLength;
  const std::size_t sa_length = load_be16(wire.data() + sa_at + 2);
  const std::size_t last_at = sa_at + sa_length - 48;  // each proposal is 48 bytes long
  wire[last_at] = raw(PayloadType::Proposal);
  wire.insert(wire.begin() + static_cast<std::ptrdiff_t>(sa_at + sa_length), proposal.begin(), proposal.end());
  store_be16(wire.data() + sa_at + 2, static_cast<std::uint16_t>(sa_length + proposal.size()));
  store_be32(wire.data() + 24, static_cast<std::uint32_t>(wire.size()));
  const ParseFailure f = message_failure(wire);
  EXPECT_EQ(f.error, ParseError::LimitExceeded) << f.detail;
  EXPECT_EQ(f.notify, NotifyType::BadProposalSyntax);
}

TEST(IsakmpMalformed, TrailingBytesAfterTheLastPayload) {
  const Bytes chain = concat({raw_payload(0, Bytes(4, 1)), Bytes{0, 0, 0}});
  EXPECT_EQ(message_failure(raw_message(raw(PayloadType::Nonce), chain)).error, ParseError::TrailingData);
  // A cleartext message with no payloads but bytes after the header.
  EXPECT_EQ(message_failure(raw_message(0, Bytes(4, 0))).error, ParseError::TrailingData);
}

// Every prefix and every single-byte corruption of real messages either parses (and then
// re-serialises to an equal message) or fails with a named error: never a crash, never UB (the
// sanitizer build runs this too).
TEST(IsakmpMalformed, EveryTruncationAndCorruptionIsHandled) {
  Message quick;
  quick.header = header_of(ExchangeType::QuickMode, kResponderCookie, 9);
  quick.payloads = quick_mode_payloads();
  for (const Message& m : {main_mode_first(), quick}) {
    const Bytes wire = serialize_message(m);
    auto check = [](const Bytes& datagram) {
      auto parsed = parse_message(datagram);
      if (!parsed) {
        EXPECT_STRNE(parse_error_name(parsed.failure.error), "unknown");
        EXPECT_FALSE(parsed.failure.detail.empty());
        return;
      }
      const Bytes again = serialize_message(*parsed.value);
      EXPECT_EQ(again.size(), datagram.size());
      auto reparsed = parse_message(again);
      ASSERT_TRUE(reparsed);
      EXPECT_EQ(*reparsed.value, *parsed.value);
    };
    for (std::size_t n = 0; n < wire.size(); ++n) {
      Bytes prefix(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(n));
      check(prefix);
      if (n >= kHeaderLength) {
        store_be32(prefix.data() + 24, static_cast<std::uint32_t>(n));  // consistent header length
        check(prefix);
      }
    }
    for (std::size_t i = 0; i < wire.size(); ++i) {
      for (std::uint8_t value : {0x00, 0x01, 0x7f, 0x80, 0xff}) {
        Bytes corrupt = wire;
        corrupt[i] = value;
        check(corrupt);
      }
    }
  }
}

// ===================================================================== lookups and names

TEST(IsakmpNames, LookupsAndDiagnostics) {
  const std::vector<Payload> payloads = {
      NotificationPayload{kDoiIpsec, ProtocolId::Isakmp, NotifyType::RUThere, {}, hex("00000001")},
      NotificationPayload{kDoiIpsec, ProtocolId::Isakmp, NotifyType::InitialContact, {}, {}}};
  ASSERT_NE(find_notification(payloads, NotifyType::InitialContact), nullptr);
  EXPECT_EQ(find_notification(payloads, NotifyType::RUThereAck), nullptr);
  EXPECT_EQ(find_payload<SaPayload>(payloads), nullptr);

  EXPECT_STREQ(payload_name(PayloadType::NatDiscovery), "NAT-D");
  EXPECT_STREQ(payload_name(static_cast<PayloadType>(99)), "UNKNOWN");
  EXPECT_STREQ(exchange_name(ExchangeType::QuickMode), "QUICK_MODE");
  EXPECT_STREQ(exchange_name(kMainMode), "IDENTITY_PROTECTION (Main Mode)");
  EXPECT_STREQ(notify_name(NotifyType::InitialContact), "INITIAL-CONTACT");
  EXPECT_STREQ(notify_name(NotifyType::RUThereAck), "R-U-THERE-ACK");
  EXPECT_STREQ(notify_name(NotifyType::UnequalPayloadLengths), "UNEQUAL-PAYLOAD-LENGTHS");
  EXPECT_STREQ(notify_name(static_cast<NotifyType>(31)), "UNKNOWN");
  EXPECT_STREQ(protocol_name(ProtocolId::Esp), "PROTO_IPSEC_ESP");
  EXPECT_STREQ(id_type_name(IdType::KeyId), "ID_KEY_ID");
  EXPECT_STREQ(phase1_attribute_name(14), "Key Length");
  EXPECT_STREQ(phase2_attribute_name(4), "Encapsulation Mode");
  EXPECT_STREQ(phase2_attribute_name(0x7fff), "UNKNOWN");
  EXPECT_STREQ(parse_error_name(ParseError::UnterminatedChain), "unterminated_chain");
  EXPECT_TRUE(is_error_notify(NotifyType::UnequalPayloadLengths));
  EXPECT_FALSE(is_error_notify(NotifyType::ResponderLifetime));
}

}  // namespace
}  // namespace cygnet::wire::isakmp
