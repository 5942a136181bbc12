// IKEv2 codec (RFC 7296 §3, RFC 7383 §2.5): round trips of every payload type, exact byte layouts
// assembled by hand from the RFC's figures, and every ParseError path.
#include "wire/ikev2_message.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "wire/byte_reader.hpp"

namespace cygnet::wire::ikev2 {
namespace {

constexpr std::uint64_t kInitiatorSpi = 0x0102030405060708;
constexpr std::uint64_t kResponderSpi = 0x1112131415161718;

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

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

// --- raw builders, independent of the codec, for hand-made (and malformed) inputs ---

Bytes be16(std::size_t v) { return {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)}; }

// Generic payload header (§3.2) + body; the length is computed unless given.
Bytes raw_payload(std::uint8_t next, std::uint8_t flags, const Bytes& body, std::optional<std::size_t> length = {}) {
  return concat({{next, flags}, be16(length.value_or(4 + body.size())), body});
}

// Transform substructure (§3.3.2).
Bytes raw_transform(std::uint8_t last_or_more, std::uint8_t type, std::uint16_t id, const Bytes& attributes = {},
                    std::optional<std::size_t> length = {}) {
  return concat({{last_or_more, 0}, be16(length.value_or(8 + attributes.size())), {type, 0}, be16(id), attributes});
}

// Proposal substructure (§3.3.1).
Bytes raw_proposal(std::uint8_t last_or_more, std::uint8_t number, std::uint8_t protocol, const Bytes& spi,
                   std::uint8_t transform_count, const Bytes& transforms, std::optional<std::size_t> length = {}) {
  return concat({{last_or_more, 0},
                 be16(length.value_or(8 + spi.size() + transforms.size())),
                 {number, protocol, static_cast<std::uint8_t>(spi.size()), transform_count},
                 spi,
                 transforms});
}

// A one-transform proposal body, valid unless the caller's arguments say otherwise.
Bytes simple_proposal(std::uint8_t last_or_more, std::uint8_t number) {
  return raw_proposal(last_or_more, number, 1, {}, 1, raw_transform(0, 1, 20, hex("800e0100")));
}

// A datagram: 28-byte header (length computed unless given) + chain.
Bytes raw_message(std::uint8_t first, const Bytes& chain, std::uint8_t version = 0x20,
                  std::optional<std::uint32_t> length = {}) {
  Bytes out(kHeaderLength);
  store_be64(out.data(), kInitiatorSpi);
  store_be64(out.data() + 8, 0);
  out[16] = first;
  out[17] = version;
  out[18] = 34;
  out[19] = kFlagInitiator;
  store_be32(out.data() + 20, 0);
  store_be32(out.data() + 24, length.value_or(static_cast<std::uint32_t>(kHeaderLength + chain.size())));
  out.insert(out.end(), chain.begin(), chain.end());
  return out;
}

std::uint8_t raw(PayloadType t) { return static_cast<std::uint8_t>(t); }

ParseFailure chain_failure(PayloadType first, const Bytes& chain) {
  auto result = parse_payload_chain(first, chain);
  EXPECT_FALSE(result) << "unexpectedly parsed " << to_hex(chain);
  return result.failure;
}

ParseFailure message_failure(const Bytes& datagram) {
  auto result = parse_message(datagram);
  EXPECT_FALSE(result) << "unexpectedly parsed " << to_hex(datagram);
  return result.failure;
}

// The single payload a chain holds, or a failed expectation.
Payload only_payload(PayloadType first, const Bytes& chain) {
  auto result = parse_payload_chain(first, chain);
  EXPECT_TRUE(result) << parse_error_name(result.failure.error) << ": " << result.failure.detail;
  if (!result || result.value->size() != 1) {
    ADD_FAILURE() << "expected one payload";
    return UnknownPayload{};
  }
  return result.value->front();
}

// --- sample payloads ---

SaPayload sample_ike_sa() {
  SaPayload sa;
  Proposal gcm{1, ProtocolId::Ike, {}, {}};
  gcm.transforms = {{TransformType::Encryption, static_cast<std::uint16_t>(EncryptionId::AesGcm16), 256},
                    {TransformType::Prf, static_cast<std::uint16_t>(PrfId::HmacSha2_256), std::nullopt},
                    {TransformType::KeyExchange, static_cast<std::uint16_t>(KeyExchangeId::Curve25519), std::nullopt},
                    {TransformType::KeyExchange, static_cast<std::uint16_t>(KeyExchangeId::Ecp256), std::nullopt}};
  Proposal cbc{2, ProtocolId::Ike, {}, {}};
  cbc.transforms = {{TransformType::Encryption, static_cast<std::uint16_t>(EncryptionId::AesCbc), 128},
                    {TransformType::Prf, static_cast<std::uint16_t>(PrfId::HmacSha2_256), std::nullopt},
                    {TransformType::Integrity, static_cast<std::uint16_t>(IntegrityId::HmacSha2_256_128), std::nullopt},
                    {TransformType::KeyExchange, static_cast<std::uint16_t>(KeyExchangeId::Modp2048), std::nullopt}};
  sa.proposals = {gcm, cbc};
  return sa;
}

SaPayload sample_esp_sa() {
  SaPayload sa;
  Proposal esp{1, ProtocolId::Esp, {0xc0, 0x01, 0xd0, 0x0d}, {}};
  esp.transforms = {{TransformType::Encryption, static_cast<std::uint16_t>(EncryptionId::AesGcm16), 256},
                    {TransformType::Esn, static_cast<std::uint16_t>(EsnId::NoEsn), std::nullopt},
                    {TransformType::Esn, static_cast<std::uint16_t>(EsnId::Esn), std::nullopt}};
  sa.proposals = {esp};
  return sa;
}

TrafficSelector v4_selector() {
  return {TsType::Ipv4AddrRange, 17, 500, 4500, ip("192.0.2.0"), ip("192.0.2.255")};
}
TrafficSelector v6_selector() {
  return {TsType::Ipv6AddrRange, 0, 0, 65535, ip("2001:db8::"), ip("2001:db8::ffff")};
}

// One of every payload the codec knows, in an order a real message never has but the chain
// allows, ending with SK (which must be last).
std::vector<Payload> every_payload() {
  std::vector<Payload> p;
  p.push_back(sample_ike_sa());
  p.push_back(sample_esp_sa());
  p.push_back(KePayload{static_cast<std::uint16_t>(KeyExchangeId::Curve25519), Bytes(32, 0x5a)});
  p.push_back(IdInitiatorPayload{{IdType::Fqdn, Bytes{'a', '.', 'e', 'x'}}});
  p.push_back(IdResponderPayload{{IdType::Ipv4Address, Bytes{192, 0, 2, 1}}});
  p.push_back(CertPayload{CertEncoding::X509Signature, Bytes{0x30, 0x82, 0x01, 0x00}});
  p.push_back(CertReqPayload{CertEncoding::X509Signature, Bytes(40, 0xcc)});
  p.push_back(AuthPayload{AuthMethod::SharedKeyMic, Bytes(32, 0xa1)});
  p.push_back(NoncePayload{Bytes(32, 0x4e)});
  p.push_back(NotifyPayload{ProtocolId::None, {}, NotifyType::NatDetectionSourceIp, Bytes(20, 0x11)});
  p.push_back(NotifyPayload{ProtocolId::Esp, {1, 2, 3, 4}, NotifyType::RekeySa, {}});
  p.push_back(DeletePayload{ProtocolId::Esp, 4, {{1, 1, 1, 1}, {2, 2, 2, 2}, {3, 3, 3, 3}}});
  p.push_back(DeletePayload{ProtocolId::Ike, 0, {}});
  p.push_back(VendorIdPayload{Bytes{'c', 'y', 'g', 'n', 'e', 't'}});
  p.push_back(TsInitiatorPayload{{{v4_selector(), v6_selector()}}});
  p.push_back(TsResponderPayload{{{v4_selector()}}});
  p.push_back(ConfigPayload{ConfigType::Reply, {{1, {192, 0, 2, 100}}, {3, {192, 0, 2, 53}}, {7, {}}}});
  p.push_back(UnknownPayload{200, false, Bytes{9, 8, 7}});
  p.push_back(EapPayload{Bytes{1, 2, 0, 5, 1}});
  p.push_back(EncryptedPayload{PayloadType::IdInitiator, Bytes(48, 0xe5)});
  return p;
}

Message message_of(std::vector<Payload> payloads, ExchangeType exchange = ExchangeType::IkeAuth) {
  Message m;
  m.header.initiator_spi = kInitiatorSpi;
  m.header.responder_spi = kResponderSpi;
  m.header.exchange = exchange;
  m.header.flags = kFlagInitiator;
  m.header.message_id = 1;
  m.payloads = std::move(payloads);
  return m;
}

// Serialises, parses and checks the result equals the input (with the computed header fields).
void expect_round_trip(Message m) {
  const Bytes wire = serialize_message(m);
  auto parsed = parse_message(wire);
  ASSERT_TRUE(parsed) << parse_error_name(parsed.failure.error) << ": " << parsed.failure.detail;
  m.header.length = static_cast<std::uint32_t>(wire.size());
  m.header.next_payload = m.payloads.empty() ? PayloadType::None : payload_type(m.payloads.front());
  EXPECT_EQ(*parsed.value, m);
  EXPECT_EQ(serialize_message(*parsed.value), wire);
}

// ===================================================================== header

TEST(Ikev2Header, ExactBytesOfAnEmptyMessage) {
  Message m = message_of({}, ExchangeType::Informational);
  m.header.flags = kFlagResponse;
  m.header.message_id = 0x0a0b0c0d;
  // §3.1: SPIs, next payload, version 0x20, exchange 37, flags (R), message ID, length 28.
  EXPECT_EQ(to_hex(serialize_message(m)),
            "0102030405060708" "1112131415161718" "00" "20" "25" "20" "0a0b0c0d" "0000001c");
}

TEST(Ikev2Header, WriteHeaderUsesTheGivenTypeAndLength) {
  Header h;
  h.initiator_spi = kInitiatorSpi;
  h.exchange = ExchangeType::CreateChildSa;
  h.flags = kFlagInitiator | kFlagResponse;
  h.message_id = 7;
  Bytes out(30, 0xee);
  write_header(h, PayloadType::Encrypted, 0x123, MutableByteView(out).first(28));
  EXPECT_EQ(to_hex(out), "0102030405060708" "0000000000000000" "2e" "20" "24" "28" "00000007" "00000123" "eeee");
  Bytes small(27);
  EXPECT_THROW(write_header(h, PayloadType::None, 28, small), std::invalid_argument);
}

TEST(Ikev2Header, ParseHeaderReadsEveryField) {
  const Bytes d = hex("0102030405060708 1112131415161718 21 20 22 08 00000003 000000ff");
  auto h = parse_header(d);
  ASSERT_TRUE(h);
  EXPECT_EQ(h.value->initiator_spi, kInitiatorSpi);
  EXPECT_EQ(h.value->responder_spi, kResponderSpi);
  EXPECT_EQ(h.value->next_payload, PayloadType::SecurityAssociation);
  EXPECT_EQ(h.value->version, kVersion);
  EXPECT_EQ(h.value->exchange, ExchangeType::IkeSaInit);
  EXPECT_TRUE(h.value->from_initiator());
  EXPECT_FALSE(h.value->is_response());
  EXPECT_EQ(h.value->message_id, 3u);
  EXPECT_EQ(h.value->length, 255u);  // reported, not judged: only parse_message compares
}

TEST(Ikev2Header, ParseHeaderNeeds28BytesAndReportsAnyVersion) {
  const Bytes d = raw_message(0, {}, 0x30);
  for (std::size_t n = 0; n < kHeaderLength; ++n) {
    auto h = parse_header(ByteView(d).first(n));
    ASSERT_FALSE(h) << n;
    EXPECT_EQ(h.failure.error, ParseError::Truncated);
  }
  // A major version 3 header still parses, so the engine has the SPIs for INVALID_MAJOR_VERSION.
  auto h = parse_header(d);
  ASSERT_TRUE(h);
  EXPECT_EQ(h.value->version, 0x30);
}

TEST(Ikev2Header, MajorVersionOtherThanTwoIsUnsupported) {
  for (std::uint8_t version : {0x30, 0x10, 0x00, 0xf0}) {
    const ParseFailure f = message_failure(raw_message(0, {}, version));
    EXPECT_EQ(f.error, ParseError::UnsupportedVersion) << int{version};
  }
}

TEST(Ikev2Header, MinorVersionIsIgnoredAndKept) {
  // §2.5: a higher minor version is accepted.
  auto m = parse_message(raw_message(0, {}, 0x21));
  ASSERT_TRUE(m);
  EXPECT_EQ(m.value->header.version, 0x21);
  EXPECT_EQ(serialize_message(*m.value)[17], 0x21);
}

TEST(Ikev2Header, LengthMustEqualTheDatagram) {
  const Bytes chain = raw_payload(0, 0, Bytes(8, 0x4e));
  for (std::uint32_t length : {0u, 27u, 28u, 39u, 41u, 1000u, 0xffffffffu}) {
    const ParseFailure f = message_failure(raw_message(raw(PayloadType::Nonce), chain, 0x20, length));
    EXPECT_EQ(f.error, ParseError::BadLength) << length;
  }
  EXPECT_TRUE(parse_message(raw_message(raw(PayloadType::Nonce), chain, 0x20, 40)));
}

TEST(Ikev2Header, EmptyMessageParses) {
  auto m = parse_message(raw_message(0, {}));
  ASSERT_TRUE(m);
  EXPECT_TRUE(m.value->payloads.empty());
  EXPECT_EQ(m.value->header.length, 28u);
}

// ===================================================================== round trips

TEST(Ikev2RoundTrip, EveryPayloadTypeInOneMessage) { expect_round_trip(message_of(every_payload())); }

TEST(Ikev2RoundTrip, EachPayloadAlone) {
  for (const Payload& p : every_payload()) {
    SCOPED_TRACE(payload_name(payload_type(p)));
    expect_round_trip(message_of({p}));
  }
}

TEST(Ikev2RoundTrip, EncryptedFragments) {
  expect_round_trip(message_of({EncryptedFragmentPayload{PayloadType::IdInitiator, 1, 3, Bytes(40, 1)}}));
  expect_round_trip(message_of({EncryptedFragmentPayload{PayloadType::None, 3, 3, Bytes(17, 2)}}));
  expect_round_trip(
      message_of({NotifyPayload{ProtocolId::None, {}, NotifyType::Cookie, Bytes(8, 3)},
                  EncryptedFragmentPayload{PayloadType::None, 65535, 65535, {}}}));
}

TEST(Ikev2RoundTrip, InnerChainForSk) {
  const std::vector<Payload> inner = {IdInitiatorPayload{{IdType::Ipv4Address, Bytes{192, 0, 2, 1}}},
                                      AuthPayload{AuthMethod::SharedKeyMic, Bytes(32, 7)}, sample_esp_sa(),
                                      TsInitiatorPayload{{{v4_selector()}}}, TsResponderPayload{{{v4_selector()}}}};
  const EncodedChain chain = encode_payload_chain(inner);
  EXPECT_EQ(chain.first, PayloadType::IdInitiator);
  auto parsed = parse_payload_chain(chain.first, chain.bytes);
  ASSERT_TRUE(parsed) << parsed.failure.detail;
  EXPECT_EQ(*parsed.value, inner);
  EXPECT_EQ(encode_payload_chain({}).first, PayloadType::None);
  EXPECT_TRUE(encode_payload_chain({}).bytes.empty());
}

TEST(Ikev2RoundTrip, NextPayloadFieldsFormTheChain) {
  const std::vector<Payload> payloads = {NoncePayload{{1}}, VendorIdPayload{{2}},
                                         EncryptedPayload{PayloadType::Authentication, {3}}};
  const Bytes wire = serialize_message(message_of(payloads));
  EXPECT_EQ(wire[16], raw(PayloadType::Nonce));
  // Nonce at 28 names V; V at 33 names SK; SK at 38 names its first inner payload (AUTH).
  EXPECT_EQ(to_hex(ByteView(wire).subspan(28)), "2b000005" "01" "2e000005" "02" "27000005" "03");
}

// ===================================================================== exact layouts

// Each case: a payload, and its bytes assembled by hand from the figure in RFC 7296 §3.x (the
// generic header's next payload is 0 because the payload is alone).
struct LayoutCase {
  const char* name;
  Payload payload;
  const char* wire_hex;
};

std::vector<LayoutCase> layout_cases() {
  SaPayload sa;
  Proposal p{1, ProtocolId::Ike, {}, {}};
  p.transforms = {{TransformType::Encryption, static_cast<std::uint16_t>(EncryptionId::AesCbc), 256},
                  {TransformType::Prf, static_cast<std::uint16_t>(PrfId::HmacSha2_256), std::nullopt},
                  {TransformType::Integrity, static_cast<std::uint16_t>(IntegrityId::HmacSha2_256_128), std::nullopt},
                  {TransformType::KeyExchange, static_cast<std::uint16_t>(KeyExchangeId::Ecp256), std::nullopt}};
  sa.proposals = {p};
  SaPayload esp;
  Proposal e1{1, ProtocolId::Esp, {0x11, 0x22, 0x33, 0x44}, {}};
  e1.transforms = {{TransformType::Encryption, static_cast<std::uint16_t>(EncryptionId::AesGcm16), 128}};
  Proposal e2 = e1;
  e2.number = 2;
  e2.transforms = {{TransformType::Encryption, static_cast<std::uint16_t>(EncryptionId::ChaCha20Poly1305), std::nullopt},
                   {TransformType::Esn, 0, std::nullopt}};
  esp.proposals = {e1, e2};

  return {
      // §3.3: proposal (last, 44 bytes, #1, IKE, SPI size 0, 4 transforms); transforms 3 = more,
      // ENCR_AES_CBC with Key Length attribute TV 0x800e = 256, PRF_HMAC_SHA2_256,
      // AUTH_HMAC_SHA2_256_128, group 19 (last).
      {"SA", sa,
       "00000030"
       "0000002c 01010004"
       "0300000c 0100000c 800e0100"
       "03000008 02000005"
       "03000008 0300000c"
       "00000008 04000013"},
      // Two ESP proposals with 4-byte SPIs: the first says "more" (2).
      {"SA ESP", esp,
       "00000038"
       "02000018 01030401 11223344" "0000000c 01000014 800e0080"
       "0000001c 02030402 11223344" "03000008 0100001c" "00000008 05000000"},
      // §3.4: group 19, reserved, data.
      {"KE", KePayload{19, {0xaa, 0xbb, 0xcc, 0xdd}}, "0000000c 00130000 aabbccdd"},
      // §3.5: ID type FQDN, 3 reserved, "vpn".
      {"IDi", IdInitiatorPayload{{IdType::Fqdn, {'v', 'p', 'n'}}}, "0000000b 02000000 76706e"},
      {"IDr", IdResponderPayload{{IdType::Ipv4Address, {192, 0, 2, 1}}}, "0000000c 01000000 c0000201"},
      // §3.6/§3.7: encoding 4 (X.509 signature), data.
      {"CERT", CertPayload{CertEncoding::X509Signature, {0x30, 0x00}}, "00000007 04 3000"},
      {"CERTREQ", CertReqPayload{CertEncoding::X509Signature, Bytes(20, 0xab)},
       "00000019 04 abababababababababababababababababababab"},
      // §3.8: method 2 (shared key MIC), 3 reserved, data.
      {"AUTH", AuthPayload{AuthMethod::SharedKeyMic, {1, 2, 3}}, "0000000b 02000000 010203"},
      {"Nonce", NoncePayload{Bytes(16, 0x4e)}, "00000014 4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e"},
      // §3.10: protocol 0, SPI size 0, type 16388 (NAT_DETECTION_SOURCE_IP), 20-byte hash.
      {"N(NAT_D)", NotifyPayload{ProtocolId::None, {}, NotifyType::NatDetectionSourceIp, Bytes(20, 0x77)},
       "0000001c 00004004 7777777777777777777777777777777777777777"},
      // §3.10 with an SPI: protocol ESP, SPI size 4, REKEY_SA (16393), SPI, no data.
      {"N(REKEY_SA)", NotifyPayload{ProtocolId::Esp, {0x11, 0x22, 0x33, 0x44}, NotifyType::RekeySa, {}},
       "0000000c 03044009 11223344"},
      // §3.11: protocol ESP, SPI size 4, 2 SPIs.
      {"D", DeletePayload{ProtocolId::Esp, 4, {{0x11, 0x11, 0x11, 0x11}, {0x22, 0x22, 0x22, 0x22}}},
       "00000010 03040002 11111111 22222222"},
      {"D(IKE)", DeletePayload{ProtocolId::Ike, 0, {}}, "00000008 01000000"},
      {"V", VendorIdPayload{{0xde, 0xad}}, "00000006 dead"},
      // §3.13: 1 selector; TS_IPV4_ADDR_RANGE (7), protocol 17, length 16, ports 500-4500,
      // 192.0.2.0 - 192.0.2.255.
      {"TSi", TsInitiatorPayload{{{v4_selector()}}}, "00000018 01000000 07110010 01f41194 c0000200 c00002ff"},
      // TS_IPV6_ADDR_RANGE (8), length 40, any protocol and port.
      {"TSr", TsResponderPayload{{{v6_selector()}}},
       "00000030 01000000 08000028 0000ffff"
       "20010db8000000000000000000000000 20010db800000000000000000000ffff"},
      // §3.14: Next Payload names the first inner payload (IDi = 35), then IV|ciphertext|ICV.
      {"SK", EncryptedPayload{PayloadType::IdInitiator, {1, 2, 3, 4, 5}}, "23000009 0102030405"},
      // RFC 7383 §2.5: fragment 2 of 3 (next payload 0 outside the first fragment).
      {"SKF", EncryptedFragmentPayload{PayloadType::None, 2, 3, {0xaa, 0xbb}}, "0000000a 00020003 aabb"},
      {"SKF first", EncryptedFragmentPayload{PayloadType::IdInitiator, 1, 3, {0xaa}}, "23000009 00010003 aa"},
      // §3.15: CFG_REQUEST, INTERNAL_IP4_ADDRESS (1) and INTERNAL_IP4_DNS (3), both empty.
      {"CP", ConfigPayload{ConfigType::Request, {{1, {}}, {3, {}}}}, "00000010 01000000 00010000 00030000"},
      {"CP reply", ConfigPayload{ConfigType::Reply, {{1, {192, 0, 2, 7}}}}, "00000010 02000000 00010004 c0000207"},
      // Unknown payloads keep their critical bit and body.
      {"unknown critical", UnknownPayload{200, true, {1, 2}}, "00800006 0102"},
      {"EAP", EapPayload{{1, 1, 0, 4}}, "00000008 01010004"},
  };
}

TEST(Ikev2Layout, EncodesAndParsesTheRfcLayout) {
  for (const LayoutCase& c : layout_cases()) {
    SCOPED_TRACE(c.name);
    const Bytes expected = hex(c.wire_hex);
    const EncodedChain chain = encode_payload_chain({c.payload});
    EXPECT_EQ(chain.first, payload_type(c.payload));
    EXPECT_EQ(to_hex(chain.bytes), to_hex(expected));
    const bool unknown_critical = std::holds_alternative<UnknownPayload>(c.payload) &&
                                  std::get<UnknownPayload>(c.payload).type == 200;
    if (unknown_critical) continue;  // parsing it is the UnsupportedCriticalPayload test below
    EXPECT_EQ(only_payload(payload_type(c.payload), expected), c.payload);
  }
}

TEST(Ikev2Layout, IkeSaInitRequestAssembledByHand) {
  // HDR (SPIi, SPIr 0, next SA, 2.0, IKE_SA_INIT, I, length 156) + SA + KE + Ni +
  // N(NAT_DETECTION_SOURCE_IP), each generic header naming the next payload.
  const Bytes datagram = concat({
      hex("0102030405060708 0000000000000000 21 20 22 08 00000000 0000009c"),
      // SA (next KE): proposal #1 IKE, 3 transforms: AES-GCM-16 key length 256, PRF SHA2-256, X25519.
      hex("22000028 00000024 01010003 0300000c 01000014 800e0100 03000008 02000005 00000008 0400001f"),
      hex("28000028 001f0000"), Bytes(32, 0x5a),  // KE (next Ni): group 31, 32-byte public value
      hex("29000014"), Bytes(16, 0x4e),           // Ni (next N)
      hex("0000001c 00004004"), Bytes(20, 0x11),  // N: protocol 0, no SPI, NAT_DETECTION_SOURCE_IP
  });
  ASSERT_EQ(datagram.size(), 156u);
  auto m = parse_message(datagram);
  ASSERT_TRUE(m) << m.failure.detail;
  ASSERT_EQ(m.value->payloads.size(), 4u);
  const auto* sa = find_payload<SaPayload>(m.value->payloads);
  ASSERT_NE(sa, nullptr);
  ASSERT_EQ(sa->proposals.size(), 1u);
  EXPECT_EQ(sa->proposals[0].transforms.size(), 3u);
  EXPECT_EQ(sa->proposals[0].transforms[0].key_length, 256);
  EXPECT_EQ(sa->proposals[0].transforms[2].id, 31);
  EXPECT_EQ(find_payload<KePayload>(m.value->payloads)->group, 31);
  EXPECT_EQ(find_payload<NoncePayload>(m.value->payloads)->data, Bytes(16, 0x4e));
  ASSERT_NE(find_notify(m.value->payloads, NotifyType::NatDetectionSourceIp), nullptr);
  EXPECT_EQ(serialize_message(*m.value), datagram);
}

// ===================================================================== truncation and lengths

TEST(Ikev2Parse, EveryTruncationFailsCleanly) {
  const Bytes wire = serialize_message(message_of(every_payload()));
  ASSERT_TRUE(parse_message(wire));
  for (std::size_t n = 0; n < wire.size(); ++n) {
    // As received: the header still claims the full length.
    const ParseFailure f = message_failure(Bytes(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(n)));
    EXPECT_EQ(f.error, n < kHeaderLength ? ParseError::Truncated : ParseError::BadLength) << n;
    if (n < kHeaderLength) continue;
    // With the header length patched to match, the chain itself runs out: always Truncated.
    Bytes cut(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(n));
    store_be32(cut.data() + 24, static_cast<std::uint32_t>(n));
    const ParseFailure g = message_failure(cut);
    EXPECT_EQ(g.error, ParseError::Truncated) << n << " " << g.detail;
  }
}

TEST(Ikev2Parse, EveryTruncationOfAnInnerChainFails) {
  const EncodedChain chain = encode_payload_chain(every_payload());
  for (std::size_t n = 0; n < chain.bytes.size(); ++n) {
    const ParseFailure f = chain_failure(chain.first, Bytes(chain.bytes.begin(), chain.bytes.begin() + static_cast<std::ptrdiff_t>(n)));
    EXPECT_EQ(f.error, ParseError::Truncated) << n;
  }
}

TEST(Ikev2Parse, PayloadLengthBelowFourIsBadLength) {
  for (std::size_t length = 0; length < 4; ++length) {
    const Bytes chain = raw_payload(0, 0, Bytes(4, 1), length);
    const ParseFailure f = chain_failure(PayloadType::Nonce, chain);
    EXPECT_EQ(f.error, ParseError::BadLength) << length;
    EXPECT_EQ(message_failure(raw_message(raw(PayloadType::Nonce), chain)).error, ParseError::BadLength);
  }
}

TEST(Ikev2Parse, PayloadLengthBeyondTheDataIsTruncated) {
  EXPECT_EQ(chain_failure(PayloadType::Nonce, raw_payload(0, 0, Bytes(4, 1), 9)).error, ParseError::Truncated);
  EXPECT_EQ(chain_failure(PayloadType::Nonce, raw_payload(0, 0, Bytes(4, 1), 0xffff)).error, ParseError::Truncated);
  // A next-payload link with nothing after it.
  EXPECT_EQ(chain_failure(PayloadType::Nonce, raw_payload(raw(PayloadType::VendorId), 0, {1})).error,
            ParseError::Truncated);
  EXPECT_EQ(chain_failure(PayloadType::Nonce, {}).error, ParseError::Truncated);
  EXPECT_EQ(message_failure(raw_message(raw(PayloadType::Nonce), {})).error, ParseError::Truncated);
}

TEST(Ikev2Parse, PayloadLengthTooSmallLeavesTrailingBytes) {
  // Nonce of 8 bytes whose length says 8 (4 of body): the other 4 follow the last payload.
  const Bytes chain = raw_payload(0, 0, Bytes(8, 1), 8);
  EXPECT_EQ(chain_failure(PayloadType::Nonce, chain).error, ParseError::TrailingData);
  EXPECT_EQ(message_failure(raw_message(raw(PayloadType::Nonce), chain)).error, ParseError::TrailingData);
}

TEST(Ikev2Parse, FixedPartsShorterThanTheRfcLayoutAreTruncated) {
  struct Case {
    PayloadType type;
    std::size_t fixed;
  };
  for (Case c : {Case{PayloadType::KeyExchange, 4}, Case{PayloadType::IdInitiator, 4}, Case{PayloadType::IdResponder, 4},
                 Case{PayloadType::Certificate, 1}, Case{PayloadType::CertificateRequest, 1},
                 Case{PayloadType::Authentication, 4}, Case{PayloadType::Notify, 4}, Case{PayloadType::Delete, 4},
                 Case{PayloadType::TsInitiator, 4}, Case{PayloadType::TsResponder, 4},
                 Case{PayloadType::Configuration, 4}, Case{PayloadType::EncryptedFragment, 4}}) {
    for (std::size_t n = 0; n < c.fixed; ++n) {
      const ParseFailure f = chain_failure(c.type, raw_payload(0, 0, Bytes(n, 0)));
      EXPECT_EQ(f.error, ParseError::Truncated) << payload_name(c.type) << " body " << n;
    }
  }
  // Bodies that may be empty.
  for (PayloadType t : {PayloadType::Nonce, PayloadType::VendorId, PayloadType::Encrypted, PayloadType::Eap})
    EXPECT_TRUE(parse_payload_chain(t, raw_payload(0, 0, {}))) << payload_name(t);
}

// ===================================================================== chain rules

TEST(Ikev2Parse, UnknownCriticalPayloadIsUnsupportedWithItsType) {
  // Nonce, then type 60 with the critical bit, then V.
  const Bytes chain = concat({raw_payload(60, 0, {1}), raw_payload(raw(PayloadType::VendorId), 0x80, {2, 3}),
                              raw_payload(0, 0, {4})});
  const ParseFailure f = message_failure(raw_message(raw(PayloadType::Nonce), chain));
  EXPECT_EQ(f.error, ParseError::UnsupportedCriticalPayload);
  EXPECT_EQ(f.critical_payload_type, 60);
  for (std::uint8_t type : {1, 32, 49, 52, 54, 127, 128, 255}) {
    const ParseFailure g = chain_failure(static_cast<PayloadType>(type), raw_payload(0, 0x80, {}));
    EXPECT_EQ(g.error, ParseError::UnsupportedCriticalPayload) << int{type};
    EXPECT_EQ(g.critical_payload_type, type);
  }
}

TEST(Ikev2Parse, UnknownNonCriticalPayloadIsKeptAndReserialisedVerbatim) {
  const Bytes chain = concat({raw_payload(61, 0, {1}), raw_payload(raw(PayloadType::VendorId), 0, {0xde, 0xad, 0xbe}),
                              raw_payload(0, 0, {4})});
  const Bytes datagram = raw_message(raw(PayloadType::Nonce), chain);
  auto m = parse_message(datagram);
  ASSERT_TRUE(m) << m.failure.detail;
  ASSERT_EQ(m.value->payloads.size(), 3u);
  const auto* unknown = std::get_if<UnknownPayload>(&m.value->payloads[1]);
  ASSERT_NE(unknown, nullptr);
  EXPECT_EQ(unknown->type, 61);
  EXPECT_FALSE(unknown->critical);
  EXPECT_EQ(unknown->body, (Bytes{0xde, 0xad, 0xbe}));
  EXPECT_EQ(payload_type(m.value->payloads[1]), static_cast<PayloadType>(61));
  EXPECT_EQ(serialize_message(*m.value), datagram);
}

TEST(Ikev2Parse, EapIsKnownEvenWhenCritical) {
  const Payload p = only_payload(PayloadType::Eap, raw_payload(0, 0x80, {1, 7, 0, 4}));
  EXPECT_EQ(p, Payload(EapPayload{{1, 7, 0, 4}}));
}

TEST(Ikev2Parse, CriticalBitAndReservedBitsOnKnownPayloadsAreIgnored) {
  const Payload p = only_payload(PayloadType::Nonce, raw_payload(0, 0xff, {1, 2}));
  EXPECT_EQ(p, Payload(NoncePayload{{1, 2}}));
  EXPECT_EQ(to_hex(encode_payload_chain({p}).bytes), "000000060102");
}

TEST(Ikev2Parse, EncryptedPayloadMustBeLast) {
  for (PayloadType encrypted : {PayloadType::Encrypted, PayloadType::EncryptedFragment}) {
    SCOPED_TRACE(payload_name(encrypted));
    // SK(F) names IDi as its first inner payload; the IDi bytes that follow are outside it.
    const Bytes body = {0, 1, 0, 1, 0xee};
    const Bytes chain = concat({raw_payload(raw(PayloadType::IdInitiator), 0, body),
                                raw_payload(0, 0, {1, 0, 0, 0, 192, 0, 2, 1})});
    EXPECT_EQ(chain_failure(encrypted, chain).error, ParseError::EncryptedNotLast);
    EXPECT_EQ(message_failure(raw_message(raw(encrypted), chain)).error, ParseError::EncryptedNotLast);
    // Alone, it ends the chain although its Next Payload field is not zero.
    auto ok = parse_payload_chain(encrypted, raw_payload(raw(PayloadType::IdInitiator), 0, body));
    ASSERT_TRUE(ok) << ok.failure.detail;
  }
  // After other payloads it is fine.
  const Bytes chain = concat({raw_payload(raw(PayloadType::Encrypted), 0, {1}), raw_payload(41, 0, {9, 9})});
  auto m = parse_message(raw_message(raw(PayloadType::VendorId), chain));
  ASSERT_TRUE(m) << m.failure.detail;
  EXPECT_EQ(std::get<EncryptedPayload>(m.value->payloads[1]), (EncryptedPayload{PayloadType::Notify, {9, 9}}));
}

TEST(Ikev2Parse, BytesAfterTheLastPayloadAreTrailingData) {
  const Bytes chain = concat({raw_payload(0, 0, {1, 2}), Bytes{0}});
  EXPECT_EQ(chain_failure(PayloadType::Nonce, chain).error, ParseError::TrailingData);
  EXPECT_EQ(message_failure(raw_message(0, Bytes{0, 0, 0, 4})).error, ParseError::TrailingData);
}

// ===================================================================== SA

Bytes sa_chain(const Bytes& proposals) { return raw_payload(0, 0, proposals); }

ParseError sa_error(const Bytes& proposals) {
  return chain_failure(PayloadType::SecurityAssociation, sa_chain(proposals)).error;
}

SaPayload parse_sa(const Bytes& proposals) {
  const Payload p = only_payload(PayloadType::SecurityAssociation, sa_chain(proposals));
  return std::holds_alternative<SaPayload>(p) ? std::get<SaPayload>(p) : SaPayload{};
}

TEST(Ikev2Sa, KeyLengthAttributeIsKept) {
  const SaPayload sa = parse_sa(simple_proposal(0, 1));
  ASSERT_EQ(sa.proposals.size(), 1u);
  EXPECT_EQ(sa.proposals[0].transforms[0], (Transform{TransformType::Encryption, 20, 256}));
}

TEST(Ikev2Sa, OtherAttributesAreSkippedInBothFormats) {
  // TV attribute 1 (unknown), TLV attribute 2 with 3 bytes, then Key Length 128.
  const Bytes attributes = hex("80010005 00020003 aabbcc 800e0080");
  const SaPayload sa = parse_sa(raw_proposal(0, 1, 1, {}, 1, raw_transform(0, 1, 12, attributes)));
  ASSERT_EQ(sa.proposals.size(), 1u);
  EXPECT_EQ(sa.proposals[0].transforms[0].key_length, 128);
  // Re-encoding keeps only the Key Length.
  const Bytes encoded = encode_payload_chain({sa}).bytes;
  EXPECT_EQ(encoded, hex("00000018" "00000014 01010001" "0000000c 0100000c 800e0080"));
}

TEST(Ikev2Sa, MalformedAttributesAreInvalidSyntax) {
  for (const char* attributes : {"0002000a aabb",      // TLV length past the transform
                                 "800e",               // half an attribute header
                                 "000e0002 0100",      // Key Length in TLV form
                                 "800e0080 800e0100",  // two Key Lengths
                                 "0001ffff"}) {        // TLV length 65535
    SCOPED_TRACE(attributes);
    EXPECT_EQ(sa_error(raw_proposal(0, 1, 1, {}, 1, raw_transform(0, 1, 12, hex(attributes)))),
              ParseError::InvalidSyntax);
  }
}

TEST(Ikev2Sa, TransformFramingErrorsAreInvalidSyntax) {
  const Bytes t8 = raw_transform(0, 2, 5);
  // Transform length 7 (< 8), and past the proposal.
  EXPECT_EQ(sa_error(raw_proposal(0, 1, 1, {}, 1, raw_transform(0, 2, 5, {}, 7))), ParseError::InvalidSyntax);
  EXPECT_EQ(sa_error(raw_proposal(0, 1, 1, {}, 1, raw_transform(0, 2, 5, {}, 12))), ParseError::InvalidSyntax);
  // Fewer than 8 bytes left for a transform header.
  EXPECT_EQ(sa_error(raw_proposal(0, 1, 1, {}, 2, concat({raw_transform(3, 2, 5), Bytes{0, 0, 0}}))),
            ParseError::InvalidSyntax);
  // Last/more: only 0 or 3; "more" on the last one; "last" before another one.
  EXPECT_EQ(sa_error(raw_proposal(0, 1, 1, {}, 1, raw_transform(2, 2, 5))), ParseError::InvalidSyntax);
  EXPECT_EQ(sa_error(raw_proposal(0, 1, 1, {}, 1, raw_transform(3, 2, 5))), ParseError::InvalidSyntax);
  EXPECT_EQ(sa_error(raw_proposal(0, 1, 1, {}, 2, concat({t8, t8}))), ParseError::InvalidSyntax);
  // Transform count disagreeing with the transforms.
  const Bytes two = concat({raw_transform(3, 2, 5), t8});
  EXPECT_EQ(sa_error(raw_proposal(0, 1, 1, {}, 3, two)), ParseError::InvalidSyntax);
  EXPECT_EQ(sa_error(raw_proposal(0, 1, 1, {}, 1, two)), ParseError::InvalidSyntax);
  EXPECT_EQ(parse_sa(raw_proposal(0, 1, 1, {}, 2, two)).proposals.at(0).transforms.size(), 2u);
}

TEST(Ikev2Sa, ProposalFramingErrorsAreInvalidSyntax) {
  const Bytes p = simple_proposal(0, 1);
  EXPECT_EQ(sa_error({}), ParseError::InvalidSyntax);  // no proposals at all
  EXPECT_EQ(sa_error(raw_proposal(0, 1, 1, {}, 0, {}, 7)), ParseError::InvalidSyntax);   // length < 8
  EXPECT_EQ(sa_error(raw_proposal(0, 1, 1, {}, 1, raw_transform(0, 1, 12), 40)), ParseError::InvalidSyntax);
  EXPECT_EQ(sa_error(concat({p, Bytes{0, 0, 0, 8}})), ParseError::InvalidSyntax);  // short header after last
  EXPECT_EQ(sa_error(simple_proposal(2, 1)), ParseError::InvalidSyntax);  // "more" on the last
  EXPECT_EQ(sa_error(simple_proposal(1, 1)), ParseError::InvalidSyntax);  // last/more 1 is not a value
  EXPECT_EQ(sa_error(simple_proposal(3, 1)), ParseError::InvalidSyntax);  // 3 is for transforms
  EXPECT_EQ(sa_error(concat({simple_proposal(0, 1), simple_proposal(0, 2)})), ParseError::InvalidSyntax);
  // SPI longer than the proposal.
  EXPECT_EQ(sa_error(raw_proposal(0, 1, 3, {1, 2, 3, 4}, 0, {}, 10)), ParseError::InvalidSyntax);
}

TEST(Ikev2Sa, ProposalNumbering) {
  // An offer: 1, 2, 3.
  const SaPayload offer =
      parse_sa(concat({simple_proposal(2, 1), simple_proposal(2, 2), simple_proposal(0, 3)}));
  ASSERT_EQ(offer.proposals.size(), 3u);
  EXPECT_EQ(offer.proposals[2].number, 3);
  // An answer carries the accepted proposal under its own number (§3.3.1).
  EXPECT_EQ(parse_sa(simple_proposal(0, 3)).proposals.at(0).number, 3);
  // Gaps, repeats, a multi-proposal offer not starting at 1, and 0 are refused.
  EXPECT_EQ(sa_error(concat({simple_proposal(2, 1), simple_proposal(0, 3)})), ParseError::InvalidSyntax);
  EXPECT_EQ(sa_error(concat({simple_proposal(2, 1), simple_proposal(0, 1)})), ParseError::InvalidSyntax);
  EXPECT_EQ(sa_error(concat({simple_proposal(2, 2), simple_proposal(0, 3)})), ParseError::InvalidSyntax);
  EXPECT_EQ(sa_error(simple_proposal(0, 0)), ParseError::InvalidSyntax);
  // Serialisation keeps the numbers it is given (an answer's number is not renumbered).
  SaPayload answer;
  answer.proposals = {Proposal{5, ProtocolId::Esp, {1, 2, 3, 4}, {}}};
  EXPECT_EQ(encode_payload_chain({answer}).bytes, hex("00000010" "0000000c 05030400 01020304"));
}

TEST(Ikev2Sa, SpiSizes) {
  const Bytes t = raw_transform(0, 1, 20);
  const Bytes spi8(8, 0x88);
  const Bytes spi4(4, 0x44);
  // IKE: 0 (IKE_SA_INIT) or 8 (rekey); AH/ESP: 4.
  EXPECT_TRUE(parse_sa(raw_proposal(0, 1, 1, {}, 1, t)).proposals.at(0).spi.empty());
  EXPECT_EQ(parse_sa(raw_proposal(0, 1, 1, spi8, 1, t)).proposals.at(0).spi, spi8);
  EXPECT_EQ(parse_sa(raw_proposal(0, 1, 2, spi4, 1, t)).proposals.at(0).spi, spi4);
  EXPECT_EQ(parse_sa(raw_proposal(0, 1, 3, spi4, 1, t)).proposals.at(0).spi, spi4);
  EXPECT_EQ(sa_error(raw_proposal(0, 1, 1, spi4, 1, t)), ParseError::InvalidSyntax);
  EXPECT_EQ(sa_error(raw_proposal(0, 1, 3, {}, 1, t)), ParseError::InvalidSyntax);
  EXPECT_EQ(sa_error(raw_proposal(0, 1, 3, spi8, 1, t)), ParseError::InvalidSyntax);
  EXPECT_EQ(sa_error(raw_proposal(0, 1, 2, Bytes(2, 1), 1, t)), ParseError::InvalidSyntax);
  // Protocol 0 is reserved; an unknown protocol is left for the engine not to choose.
  EXPECT_EQ(sa_error(raw_proposal(0, 1, 0, {}, 1, t)), ParseError::InvalidSyntax);
  const SaPayload other = parse_sa(raw_proposal(0, 1, 4, Bytes(2, 1), 1, t));
  EXPECT_EQ(other.proposals.at(0).protocol, static_cast<ProtocolId>(4));
  EXPECT_EQ(other.proposals.at(0).spi, Bytes(2, 1));
}

// ===================================================================== Notify, Delete

TEST(Ikev2Notify, WithSpiAndData) {
  const Payload p = only_payload(PayloadType::Notify, raw_payload(0, 0, hex("0304 4009 a1a2a3a4 beef")));
  EXPECT_EQ(p, Payload(NotifyPayload{ProtocolId::Esp, {0xa1, 0xa2, 0xa3, 0xa4}, NotifyType::RekeySa, {0xbe, 0xef}}));
  // Any 16-bit type is carried; the name is UNKNOWN.
  const Payload q = only_payload(PayloadType::Notify, raw_payload(0, 0, hex("0000 9999")));
  EXPECT_EQ(static_cast<std::uint16_t>(std::get<NotifyPayload>(q).type), 0x9999);
  EXPECT_STREQ(notify_name(std::get<NotifyPayload>(q).type), "UNKNOWN");
  // SPI size past the body.
  EXPECT_EQ(chain_failure(PayloadType::Notify, raw_payload(0, 0, hex("0308 4009 a1a2a3a4"))).error,
            ParseError::Truncated);
}

TEST(Ikev2Delete, WithSeveralSpis) {
  const Payload p = only_payload(PayloadType::Delete, raw_payload(0, 0, hex("0304 0003 01010101 02020202 03030303")));
  EXPECT_EQ(p, Payload(DeletePayload{ProtocolId::Esp, 4, {{1, 1, 1, 1}, {2, 2, 2, 2}, {3, 3, 3, 3}}}));
  const Payload ah = only_payload(PayloadType::Delete, raw_payload(0, 0, hex("0204 0001 0a0b0c0d")));
  EXPECT_EQ(std::get<DeletePayload>(ah).spis.size(), 1u);
  EXPECT_EQ(only_payload(PayloadType::Delete, raw_payload(0, 0, hex("0100 0000"))),
            Payload(DeletePayload{ProtocolId::Ike, 0, {}}));
}

TEST(Ikev2Delete, SpiCountMustMatchTheBytes) {
  auto error = [](const char* body) { return chain_failure(PayloadType::Delete, raw_payload(0, 0, hex(body))).error; };
  EXPECT_EQ(error("0304 0003 01010101 02020202"), ParseError::Truncated);            // one SPI missing
  EXPECT_EQ(error("0304 0001 01010101 02020202"), ParseError::InvalidSyntax);        // one SPI too many
  EXPECT_EQ(error("0304 0001 01010101 02"), ParseError::InvalidSyntax);              // stray byte
  EXPECT_EQ(error("0304 ffff 01010101"), ParseError::Truncated);                     // huge count
  EXPECT_EQ(error("0104 0001 01010101"), ParseError::InvalidSyntax);                 // IKE with an SPI size
  EXPECT_EQ(error("0308 0001 0101010101010101"), ParseError::InvalidSyntax);         // ESP SPI size 8
  EXPECT_EQ(error("0000 0000"), ParseError::InvalidSyntax);                          // protocol 0
  EXPECT_EQ(error("0400 ffff"), ParseError::InvalidSyntax);  // zero-size SPIs counted: nothing to read
}

TEST(Ikev2Delete, SerialisingAnSpiOfTheWrongSizeThrows) {
  EXPECT_THROW(encode_payload_chain({DeletePayload{ProtocolId::Esp, 4, {{1, 2, 3}}}}), std::invalid_argument);
}

// ===================================================================== TS

ParseError ts_error(const char* body) {
  return chain_failure(PayloadType::TsInitiator, raw_payload(0, 0, hex(body))).error;
}

TEST(Ikev2Ts, SelectorLengthMustMatchItsType) {
  EXPECT_EQ(ts_error("01000000 0700000c 0000ffff c0000200"), ParseError::InvalidSyntax);  // v4, 12
  EXPECT_EQ(ts_error("01000000 07000028 0000ffff" "00000000000000000000000000000000"
                     "00000000000000000000000000000000"),
            ParseError::InvalidSyntax);  // v4 type with a v6 length
  EXPECT_EQ(ts_error("01000000 08000010 0000ffff c0000200 c00002ff"), ParseError::InvalidSyntax);  // v6, 16
  EXPECT_EQ(ts_error("01000000 09000010 0000ffff c0000200 c00002ff"), ParseError::InvalidSyntax);  // type 9
  EXPECT_EQ(ts_error("01000000 07000010 0000ffff c0000200"), ParseError::InvalidSyntax);  // runs past
  EXPECT_EQ(ts_error("01000000 0700"), ParseError::InvalidSyntax);                        // partial header
}

TEST(Ikev2Ts, SelectorCountMustMatch) {
  EXPECT_EQ(ts_error("02000000 07000010 0000ffff c0000200 c00002ff"), ParseError::InvalidSyntax);
  EXPECT_EQ(ts_error("00000000 07000010 0000ffff c0000200 c00002ff"), ParseError::InvalidSyntax);
  EXPECT_EQ(only_payload(PayloadType::TsResponder, raw_payload(0, 0, hex("00000000"))),
            Payload(TsResponderPayload{}));
}

TEST(Ikev2Ts, StartAfterEnd) {
  // Addresses: an empty range has no meaning in RFC 7296, so it is refused as INVALID_SYNTAX.
  EXPECT_EQ(ts_error("01000000 07000010 0000ffff c00002ff c0000200"), ParseError::InvalidSyntax);
  EXPECT_EQ(ts_error("01000000 08000028 0000ffff"
                     "20010db8000000000000000000000002 20010db8000000000000000000000001"),
            ParseError::InvalidSyntax);
  // Ports: 65535..0 is how §3.13.1 says OPAQUE, so start > end is accepted and kept.
  const Payload p = only_payload(PayloadType::TsInitiator, raw_payload(0, 0, hex("01000000 07060010 ffff0000 c0000201 c0000201")));
  const TrafficSelector& ts = std::get<TsInitiatorPayload>(p).selectors.at(0);
  EXPECT_EQ(ts.start_port, 65535);
  EXPECT_EQ(ts.end_port, 0);
  EXPECT_EQ(ts.ip_protocol, 6);
  EXPECT_EQ(ts.start, ts.end);
}

TEST(Ikev2Ts, SerialisingAddressesOfTheWrongFamilyThrows) {
  TrafficSelector bad = v4_selector();
  bad.type = TsType::Ipv6AddrRange;
  EXPECT_THROW(encode_payload_chain({TsInitiatorPayload{{{bad}}}}), std::invalid_argument);
  TrafficSelector mixed = v4_selector();
  mixed.end = ip("2001:db8::1");
  EXPECT_THROW(encode_payload_chain({TsInitiatorPayload{{{mixed}}}}), std::invalid_argument);
}

// ===================================================================== CP, SKF

TEST(Ikev2Cp, Attributes) {
  // The reserved top bit of the attribute type is dropped.
  const Payload p = only_payload(PayloadType::Configuration, raw_payload(0, 0, hex("03000000 80010004 c0000201 000a0000")));
  EXPECT_EQ(p, Payload(ConfigPayload{ConfigType::Set, {{1, {192, 0, 2, 1}}, {10, {}}}}));
  auto error = [](const char* body) {
    return chain_failure(PayloadType::Configuration, raw_payload(0, 0, hex(body))).error;
  };
  EXPECT_EQ(error("01000000 00010005 c0000201"), ParseError::InvalidSyntax);  // value past the payload
  EXPECT_EQ(error("01000000 0001"), ParseError::InvalidSyntax);               // half a header
}

TEST(Ikev2Skf, FragmentNumbers) {
  auto parse = [](const char* body) {
    return parse_payload_chain(PayloadType::EncryptedFragment, raw_payload(0, 0, hex(body)));
  };
  auto error = [](const char* body) {
    return chain_failure(PayloadType::EncryptedFragment, raw_payload(0, 0, hex(body))).error;
  };
  EXPECT_EQ(error("0000 0003 aa"), ParseError::InvalidSyntax);  // fragment 0
  EXPECT_EQ(error("0004 0003 aa"), ParseError::InvalidSyntax);  // beyond the total
  EXPECT_EQ(error("0001 0000 aa"), ParseError::InvalidSyntax);  // total 0
  EXPECT_EQ(error("0001 00"), ParseError::Truncated);
  auto last = parse("0003 0003 aabb");
  ASSERT_TRUE(last);
  EXPECT_EQ(last.value->at(0), Payload(EncryptedFragmentPayload{PayloadType::None, 3, 3, {0xaa, 0xbb}}));
  auto only = parse("0001 0001");
  ASSERT_TRUE(only);
  EXPECT_TRUE(std::get<EncryptedFragmentPayload>(only.value->at(0)).body.empty());
}

// ===================================================================== names and lookups

TEST(Ikev2Names, PayloadsExchangesNotifiesErrors) {
  EXPECT_STREQ(payload_name(PayloadType::SecurityAssociation), "SA");
  EXPECT_STREQ(payload_name(PayloadType::IdInitiator), "IDi");
  EXPECT_STREQ(payload_name(PayloadType::TsResponder), "TSr");
  EXPECT_STREQ(payload_name(PayloadType::Encrypted), "SK");
  EXPECT_STREQ(payload_name(PayloadType::EncryptedFragment), "SKF");
  EXPECT_STREQ(payload_name(static_cast<PayloadType>(99)), "UNKNOWN");
  EXPECT_STREQ(exchange_name(ExchangeType::IkeSaInit), "IKE_SA_INIT");
  EXPECT_STREQ(exchange_name(ExchangeType::IkeAuth), "IKE_AUTH");
  EXPECT_STREQ(exchange_name(ExchangeType::CreateChildSa), "CREATE_CHILD_SA");
  EXPECT_STREQ(exchange_name(ExchangeType::Informational), "INFORMATIONAL");
  EXPECT_STREQ(exchange_name(static_cast<ExchangeType>(33)), "UNKNOWN");
  EXPECT_STREQ(notify_name(NotifyType::NoProposalChosen), "NO_PROPOSAL_CHOSEN");
  EXPECT_STREQ(notify_name(NotifyType::NatDetectionDestinationIp), "NAT_DETECTION_DESTINATION_IP");
  EXPECT_STREQ(notify_name(NotifyType::IkeFragmentationSupported), "IKEV2_FRAGMENTATION_SUPPORTED");
  EXPECT_STREQ(notify_name(NotifyType::SaResourceInfo), "SA_RESOURCE_INFO");  // RFC 9611 §4
  EXPECT_EQ(static_cast<std::uint16_t>(NotifyType::SaResourceInfo), 16444);
  EXPECT_STREQ(notify_name(NotifyType::TsMaxQueue), "TS_MAX_QUEUE");
  EXPECT_STREQ(parse_error_name(ParseError::Truncated), "truncated");
  EXPECT_STREQ(parse_error_name(ParseError::EncryptedNotLast), "encrypted_not_last");
  // Every payload type the codec knows has a name of its own.
  for (const Payload& p : every_payload()) {
    if (std::holds_alternative<UnknownPayload>(p)) continue;
    EXPECT_STRNE(payload_name(payload_type(p)), "UNKNOWN");
  }
}

TEST(Ikev2Lookup, FindNotifyAndFindPayload) {
  const std::vector<Payload> payloads = every_payload();
  const NotifyPayload* rekey = find_notify(payloads, NotifyType::RekeySa);
  ASSERT_NE(rekey, nullptr);
  EXPECT_EQ(rekey->spi, (Bytes{1, 2, 3, 4}));
  EXPECT_EQ(find_notify(payloads, NotifyType::Cookie), nullptr);
  EXPECT_EQ(find_payload<TsResponderPayload>(payloads)->selectors.size(), 1u);
  EXPECT_EQ(find_payload<EncryptedFragmentPayload>(payloads), nullptr);
}

TEST(Ikev2Serialise, PayloadTooLongForItsLengthFieldThrows) {
  EXPECT_THROW(serialize_message(message_of({NoncePayload{Bytes(0xfffc, 0)}})), std::length_error);
  EXPECT_NO_THROW(serialize_message(message_of({NoncePayload{Bytes(0xfffb, 0)}})));
}

// ===================================================================== fuzz seeds

// The committed seed corpus must stay valid: each file (other than chain_* seeds, which start with
// a payload type byte) parses and survives the same round trip the fuzzer checks.
TEST(Ikev2Corpus, SeedsParseAndRoundTrip) {
  const std::filesystem::path dir = std::filesystem::path(CYGNET_SOURCE_DIR) / "fuzz/corpus/ikev2_message";
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  std::size_t messages = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    if (name.rfind("chain_", 0) == 0) {
      ASSERT_FALSE(data.empty());
      auto chain = parse_payload_chain(static_cast<PayloadType>(data[0]), ByteView(data).subspan(1));
      EXPECT_TRUE(chain) << chain.failure.detail;
      continue;
    }
    auto m = parse_message(data);
    ASSERT_TRUE(m) << parse_error_name(m.failure.error) << ": " << m.failure.detail;
    EXPECT_EQ(serialize_message(*m.value), data);
    ++messages;
  }
  EXPECT_GE(messages, 3u);
}

}  // namespace
}  // namespace cygnet::wire::ikev2
