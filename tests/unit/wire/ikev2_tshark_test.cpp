// Cross-check of the IKEv2 encoder against an independent implementation: Wireshark's ISAKMP
// dissector. One message of each exchange type, together covering every payload type the codec
// knows (ID, CERT, AUTH, TS, CP and Delete in cleartext messages so tshark can see them), is
// written to a pcap (tests/support/pcap_writer.hpp) and tshark must dissect every frame as IKEv2
// without a complaint, reading the same exchange type, payload chain, notify types, lengths,
// fragment numbers and selectors we wrote.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/pcap_writer.hpp"
#include "wire/ikev2_message.hpp"
#include "wire/udp_encap.hpp"

namespace cygnet::wire::ikev2 {
namespace {

using test::PcapWriter;
using test::UdpEndpoint;

constexpr const char* kTshark = "/usr/bin/tshark";

// Wireshark's expert severities (epan/proto.h, PI_SEVERITY_MASK values): comment 0x00100000, chat
// 0x00200000, note 0x00400000, warning 0x00600000, error 0x00800000.
constexpr unsigned long kSeverityWarning = 0x00600000;

// A self-signed P-256 certificate (CN=cygnet-test.example), generated once with
// `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256`, key discarded: CERT data must be
// real DER or Wireshark's X.509 dissector reports BER errors.
constexpr const char* kCertificateDer =
    "3082019230820137a0030201020214438175b0f58ed1bd2a83d90bfc41426ca2c61601300a06082a8648ce3d04030230"
    "1e311c301a06035504030c136379676e65742d746573742e6578616d706c65301e170d3236313132333132303934325a"
    "170d3336313132303132303934325a301e311c301a06035504030c136379676e65742d746573742e6578616d706c6530"
    "59301306072a8648ce3d020106082a8648ce3d030107034200042a182598fda85e097c7fed1dcf848718370e5bddf710"
    "b18b9072d4ad1cfaa561e5848eb0769891c49ea7aac88d7f1b9956175f8a982e563274bbc88c04035a62a3533051301d"
    "0603551d0e04160414308642b7f7e362fa9f0d78120b8b4042905e7ece301f0603551d23041830168014308642b7f7e3"
    "62fa9f0d78120b8b4042905e7ece300f0603551d130101ff040530030101ff300a06082a8648ce3d0403020349003046"
    "022100acd6f4443170d14ffdc5d90652f10e13202bde36bff38e4a8595d6e0ace78388022100bae7b5f81cc27a72ed74"
    "d21621f8c24d875b8f91e800cbf8fbc689e3ffec3055";

IpAddress ip(const char* text) { return *IpAddress::parse(text); }
std::uint16_t id(auto e) { return static_cast<std::uint16_t>(e); }

Bytes concat_hex(const char* hex, const Bytes& tail) {
  Bytes out = from_hex(hex);
  out.insert(out.end(), tail.begin(), tail.end());
  return out;
}

struct Frame {
  const char* label;
  UdpEndpoint source;
  UdpEndpoint destination;
  Message message;
};

Header header(ExchangeType exchange, std::uint8_t flags, std::uint32_t message_id, std::uint64_t responder_spi) {
  Header h;
  h.initiator_spi = 0x0123456789abcdef;
  h.responder_spi = responder_spi;
  h.exchange = exchange;
  h.flags = flags;
  h.message_id = message_id;
  return h;
}

Transform transform(TransformType type, std::uint16_t transform_id, std::optional<std::uint16_t> key_length = {}) {
  return {type, transform_id, key_length};
}

TrafficSelector selector(const char* start, const char* end, std::uint8_t protocol = 0, std::uint16_t start_port = 0,
                         std::uint16_t end_port = 65535) {
  const IpAddress a = ip(start);
  return {a.is_v4() ? TsType::Ipv4AddrRange : TsType::Ipv6AddrRange, protocol, start_port, end_port, a, ip(end)};
}

std::vector<Frame> frames() {
  const UdpEndpoint i500{ip("192.0.2.1"), kIkePort};
  const UdpEndpoint r500{ip("198.51.100.1"), kIkePort};
  const UdpEndpoint i4500{ip("192.0.2.1"), kNatTraversalPort};
  const UdpEndpoint r4500{ip("198.51.100.1"), kNatTraversalPort};
  const UdpEndpoint i6{ip("2001:db8::1"), kNatTraversalPort};
  const UdpEndpoint r6{ip("2001:db8::2"), kNatTraversalPort};
  constexpr std::uint64_t kSpiR = 0xfedcba9876543210;
  constexpr std::uint8_t kI = kFlagInitiator;
  constexpr std::uint8_t kR = kFlagResponse;

  Proposal ike_gcm{1, ProtocolId::Ike, {}, {}};
  ike_gcm.transforms = {transform(TransformType::Encryption, id(EncryptionId::AesGcm16), 256),
                        transform(TransformType::Prf, id(PrfId::HmacSha2_256)),
                        transform(TransformType::KeyExchange, id(KeyExchangeId::Curve25519))};
  Proposal ike_cbc{2, ProtocolId::Ike, {}, {}};
  ike_cbc.transforms = {transform(TransformType::Encryption, id(EncryptionId::AesCbc), 128),
                        transform(TransformType::Prf, id(PrfId::HmacSha2_256)),
                        transform(TransformType::Integrity, id(IntegrityId::HmacSha2_256_128)),
                        transform(TransformType::KeyExchange, id(KeyExchangeId::Ecp256))};
  Proposal esp{1, ProtocolId::Esp, {0xc1, 0xc2, 0xc3, 0xc4}, {}};
  esp.transforms = {transform(TransformType::Encryption, id(EncryptionId::AesGcm16), 256),
                    transform(TransformType::Esn, id(EsnId::NoEsn))};
  Proposal rekey_ike{1, ProtocolId::Ike, Bytes(8, 0x5e), ike_gcm.transforms};

  const Bytes key_share(32, 0x5a);
  const Bytes nat_hash(20, 0x11);
  // RFC 7427 §3: AUTH data = ASN.1 length, AlgorithmIdentifier (ecdsa-with-SHA256), signature.
  const Bytes digital_signature = concat_hex("0c 300a06082a8648ce3d040302", Bytes(64, 0x3c));
  // RFC 7427 §4: SHA2-256, SHA2-384, SHA2-512, Identity.
  const Bytes hash_algorithms = from_hex("0002 0003 0004 0005");

  std::vector<Frame> out;
  out.push_back({"IKE_SA_INIT request", i500, r500,
                 Message{header(ExchangeType::IkeSaInit, kI, 0, 0),
                         {SaPayload{{ike_gcm, ike_cbc}},
                          KePayload{id(KeyExchangeId::Curve25519), key_share},
                          NoncePayload{Bytes(32, 0x4e)},
                          NotifyPayload{ProtocolId::None, {}, NotifyType::NatDetectionSourceIp, nat_hash},
                          NotifyPayload{ProtocolId::None, {}, NotifyType::NatDetectionDestinationIp, nat_hash},
                          NotifyPayload{ProtocolId::None, {}, NotifyType::IkeFragmentationSupported, {}},
                          NotifyPayload{ProtocolId::None, {}, NotifyType::SignatureHashAlgorithms, hash_algorithms},
                          VendorIdPayload{Bytes{'c', 'y', 'g', 'n', 'e', 't'}}}}});
  Proposal chosen = ike_gcm;
  out.push_back({"IKE_SA_INIT response", r500, i500,
                 Message{header(ExchangeType::IkeSaInit, kR, 0, kSpiR),
                         {SaPayload{{chosen}}, KePayload{id(KeyExchangeId::Curve25519), key_share},
                          NoncePayload{Bytes(32, 0x6e)},
                          NotifyPayload{ProtocolId::None, {}, NotifyType::NatDetectionSourceIp, nat_hash},
                          NotifyPayload{ProtocolId::None, {}, NotifyType::NatDetectionDestinationIp, nat_hash},
                          CertReqPayload{CertEncoding::X509Signature, Bytes(40, 0xab)},
                          NotifyPayload{ProtocolId::None, {}, NotifyType::MultipleAuthSupported, {}}}}});
  out.push_back({"IKE_AUTH request (SK)", i4500, r4500,
                 Message{header(ExchangeType::IkeAuth, kI, 1, kSpiR),
                         {EncryptedPayload{PayloadType::IdInitiator, Bytes(16 + 96 + 16, 0xe5)}}}});
  out.push_back({"IKE_AUTH request (SKF 1/2, IPv6)", i6, r6,
                 Message{header(ExchangeType::IkeAuth, kI, 1, kSpiR),
                         {EncryptedFragmentPayload{PayloadType::IdInitiator, 1, 2, Bytes(16 + 64 + 16, 0xf1)}}}});
  out.push_back({"IKE_AUTH request (SKF 2/2, IPv6)", i6, r6,
                 Message{header(ExchangeType::IkeAuth, kI, 1, kSpiR),
                         {EncryptedFragmentPayload{PayloadType::None, 2, 2, Bytes(16 + 32 + 16, 0xf2)}}}});
  out.push_back({"IKE_AUTH request (cleartext inner payloads)", i500, r500,
                 Message{header(ExchangeType::IkeAuth, kI, 1, kSpiR),
                         {IdInitiatorPayload{{IdType::Fqdn, Bytes{'c', 'l', 'i', 'e', 'n', 't'}}},
                          CertPayload{CertEncoding::X509Signature, from_hex(kCertificateDer)},
                          NotifyPayload{ProtocolId::None, {}, NotifyType::InitialContact, {}},
                          IdResponderPayload{{IdType::Ipv4Address, Bytes{198, 51, 100, 1}}},
                          AuthPayload{AuthMethod::DigitalSignature, digital_signature},
                          ConfigPayload{ConfigType::Request, {{1, {}}, {3, {}}, {8, {}}}},
                          SaPayload{{esp}},
                          TsInitiatorPayload{{{selector("192.0.2.0", "192.0.2.255")}}},
                          TsResponderPayload{{{selector("203.0.113.0", "203.0.113.255", 17, 500, 4500)}}}}}});
  out.push_back({"IKE_AUTH response (cleartext, EAP)", r500, i500,
                 Message{header(ExchangeType::IkeAuth, kR, 1, kSpiR),
                         {IdResponderPayload{{IdType::Ipv4Address, Bytes{198, 51, 100, 1}}},
                          AuthPayload{AuthMethod::SharedKeyMic, Bytes(32, 0xa1)},
                          // EAP-Request/Identity (RFC 3748 §4, §5.1): code 1, id 1, length 5, type 1.
                          EapPayload{from_hex("0101000501")},
                          ConfigPayload{ConfigType::Reply, {{1, {10, 0, 0, 7}}}}}}});
  out.push_back({"CREATE_CHILD_SA request (cleartext, IPv6 selectors)", i500, r500,
                 Message{header(ExchangeType::CreateChildSa, kI, 2, kSpiR),
                         {NotifyPayload{ProtocolId::Esp, {0xc1, 0xc2, 0xc3, 0xc4}, NotifyType::RekeySa, {}},
                          SaPayload{{esp}}, NoncePayload{Bytes(32, 0x4f)},
                          KePayload{id(KeyExchangeId::Curve25519), key_share},
                          TsInitiatorPayload{{{selector("2001:db8:1::", "2001:db8:1::ffff")}}},
                          TsResponderPayload{{{selector("2001:db8:2::", "2001:db8:2::ffff", 6, 65535, 0)}}}}}});
  out.push_back({"CREATE_CHILD_SA request (IKE rekey)", i500, r500,
                 Message{header(ExchangeType::CreateChildSa, kI, 3, kSpiR),
                         {SaPayload{{rekey_ike}}, NoncePayload{Bytes(32, 0x50)},
                          KePayload{id(KeyExchangeId::Curve25519), key_share}}}});
  out.push_back({"INFORMATIONAL request (cleartext Delete)", i500, r500,
                 Message{header(ExchangeType::Informational, kI, 4, kSpiR),
                         {DeletePayload{ProtocolId::Esp, 4, {{0x11, 0x11, 0x11, 0x11}, {0x22, 0x22, 0x22, 0x22}}},
                          DeletePayload{ProtocolId::Ike, 0, {}}}}});
  out.push_back({"INFORMATIONAL response (SK)", r4500, i4500,
                 Message{header(ExchangeType::Informational, kR, 4, kSpiR),
                         {EncryptedPayload{PayloadType::None, Bytes(32, 0x00)}}}});
  return out;
}

// --- running tshark ---

std::string run(const std::string& command) {
  std::string output;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return output;
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe.get())) > 0) output.append(buffer.data(), n);
  return output;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, separator)) parts.push_back(part);
  if (!text.empty() && text.back() == separator) parts.emplace_back();
  return parts;
}

// Fields read per frame. "-T fields" with "_ws.expert.severity" and "_ws.malformed" is what works on
// tshark 4.0 to see problems frame by frame: "-z expert" only prints a summary for the whole file,
// and "-V" text would need scraping. A malformed frame fills _ws.malformed; every expert item
// (including the BER errors the X.509 dissector reports inside CERT) adds a severity.
const std::vector<std::string> kFields = {
    "frame.protocols",       "_ws.malformed",        "_ws.expert.severity", "_ws.expert.message",
    "isakmp.ispi",           "isakmp.version",       "isakmp.exchangetype", "isakmp.nextpayload",
    "isakmp.typepayload",    "isakmp.length",        "isakmp.notify.msgtype", "isakmp.frag.number",
    "isakmp.frag.total",     "isakmp.ts.start_ipv4", "isakmp.ts.end_ipv6",  "isakmp.delete.spi",
    "isakmp.prop.number",    "isakmp.spi",           "isakmp.cert.encoding", "isakmp.auth.method",
    "isakmp.vid_bytes",      "isakmp.nonce"};

struct Dissection {
  std::map<std::string, std::string> field;  // comma-joined occurrences
  const std::string& operator[](const std::string& name) const { return field.at(name); }
};

std::vector<Dissection> dissect(const std::filesystem::path& pcap) {
  std::string command = std::string(kTshark) + " -n -r '" + pcap.string() +
                        "' -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE"
                        " -T fields -E separator=/t -E occurrence=a -E aggregator=,";
  for (const std::string& f : kFields) command += " -e " + f;
  command += " 2>/dev/null";  // tshark warns on stderr when run as root
  std::vector<Dissection> frames;
  for (const std::string& line : split(run(command), '\n')) {
    if (line.empty()) continue;
    const std::vector<std::string> values = split(line, '\t');
    Dissection d;
    for (std::size_t i = 0; i < kFields.size(); ++i) d.field[kFields[i]] = i < values.size() ? values[i] : "";
    frames.push_back(std::move(d));
  }
  return frames;
}

// --- what we expect tshark to read, derived from the message we wrote ---

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ",") + s;
  return out;
}

// tshark lists proposal (2) and transform (3) substructures among payload types, IKEv1 style; no
// IKEv2 payload has those numbers, so dropping them leaves the chain.
std::string chain_types(const std::string& typepayload) {
  std::vector<std::string> types;
  for (const std::string& t : split(typepayload, ','))
    if (t != "2" && t != "3") types.push_back(t);
  return joined(types);
}

std::string top_level_types(const Message& m) {
  std::vector<std::string> types;
  for (const Payload& p : m.payloads) types.push_back(std::to_string(static_cast<unsigned>(payload_type(p))));
  return joined(types);
}

std::string notify_types(const Message& m) {
  std::vector<std::string> types;
  for (const Payload& p : m.payloads)
    if (const auto* n = std::get_if<NotifyPayload>(&p)) types.push_back(std::to_string(static_cast<unsigned>(n->type)));
  return joined(types);
}

std::string concat_hex_spis(const DeletePayload& d) {
  std::vector<std::string> spis;
  for (const Bytes& spi : d.spis) spis.push_back(to_hex(spi));
  return joined(spis);
}

TEST(Ikev2Tshark, EveryFrameDissectsCleanlyAsWeWroteIt) {
  if (!std::filesystem::exists(kTshark)) GTEST_SKIP() << "tshark not installed (" << kTshark << ")";

  std::string dir_template = (std::filesystem::temp_directory_path() / "cygnet-ikev2-tshark-XXXXXX").string();
  ASSERT_NE(mkdtemp(dir_template.data()), nullptr);
  const std::filesystem::path dir = dir_template;
  const std::filesystem::path pcap = dir / "ikev2.pcap";

  const std::vector<Frame> written = frames();
  std::vector<Bytes> wires;
  {
    PcapWriter writer(pcap);
    ASSERT_TRUE(writer.ok());
    for (std::size_t i = 0; i < written.size(); ++i) {
      Bytes wire = serialize_message(written[i].message);
      ASSERT_TRUE(parse_message(wire)) << written[i].label;  // our own parser agrees first
      wires.push_back(wire);
      if (written[i].destination.port == kNatTraversalPort) wire.insert(wire.begin(), kNonEspMarkerLength, 0);
      ASSERT_TRUE(writer.write_udp(written[i].source, written[i].destination, wire, Milliseconds(10 * i)));
    }
    EXPECT_EQ(writer.frames(), written.size());
  }

  const std::vector<Dissection> read = dissect(pcap);
  ASSERT_EQ(read.size(), written.size()) << "tshark output missing frames";

  // Every payload type the codec knows appears at top level in at least one frame.
  std::set<unsigned> covered;
  for (std::size_t i = 0; i < written.size(); ++i) {
    const Frame& f = written[i];
    const Message& m = f.message;
    const Dissection& d = read[i];
    SCOPED_TRACE(f.label);
    for (const Payload& p : m.payloads) covered.insert(static_cast<unsigned>(payload_type(p)));

    // Raw IP, UDP, then ISAKMP directly on port 500 or after the non-ESP marker on 4500 (the
    // "udpencap" dissector); EAP adds a layer after ISAKMP.
    const std::string stack = std::string(f.source.address.is_v4() ? "raw:ip:udp:" : "raw:ipv6:udp:") +
                              (f.destination.port == kNatTraversalPort ? "udpencap:isakmp" : "isakmp");
    EXPECT_EQ(d["frame.protocols"].substr(0, stack.size()), stack);
    EXPECT_EQ(d["_ws.malformed"], "");
    for (const std::string& severity : split(d["_ws.expert.severity"], ','))
      EXPECT_LT(std::stoul(severity), kSeverityWarning) << d["_ws.expert.message"];

    EXPECT_EQ(d["isakmp.ispi"], "0123456789abcdef");
    EXPECT_EQ(d["isakmp.version"], "0x20");
    EXPECT_EQ(d["isakmp.exchangetype"], std::to_string(static_cast<unsigned>(m.header.exchange)));
    EXPECT_EQ(d["isakmp.length"], std::to_string(wires[i].size()));
    // The header's Next Payload is the first occurrence (proposal/transform "next" fields follow).
    EXPECT_EQ(split(d["isakmp.nextpayload"], ',').at(0),
              std::to_string(static_cast<unsigned>(payload_type(m.payloads.front()))));
    // Payload types as tshark walked the chain: SK/SKF contents are opaque to it too, so the
    // top-level lists must be identical.
    EXPECT_EQ(chain_types(d["isakmp.typepayload"]), top_level_types(m));
    EXPECT_EQ(d["isakmp.notify.msgtype"], notify_types(m));

    for (const Payload& p : m.payloads) {
      if (const auto* skf = std::get_if<EncryptedFragmentPayload>(&p)) {
        EXPECT_EQ(d["isakmp.frag.number"], std::to_string(skf->fragment_number));
        EXPECT_EQ(d["isakmp.frag.total"], std::to_string(skf->total_fragments));
      }
      if (const auto* del = std::get_if<DeletePayload>(&p); del != nullptr && !del->spis.empty()) {
        EXPECT_EQ(d["isakmp.delete.spi"], concat_hex_spis(*del));
      }
      if (const auto* sa = std::get_if<SaPayload>(&p)) {
        std::vector<std::string> numbers;
        for (const Proposal& proposal : sa->proposals) numbers.push_back(std::to_string(proposal.number));
        EXPECT_EQ(d["isakmp.prop.number"], joined(numbers));
        if (!sa->proposals.front().spi.empty()) {
          EXPECT_NE(d["isakmp.spi"].find(to_hex(sa->proposals.front().spi)), std::string::npos) << d["isakmp.spi"];
        }
      }
      if (const auto* ts = std::get_if<TsInitiatorPayload>(&p)) {
        const TrafficSelector& s = ts->selectors.front();
        if (s.start.is_v4()) {
          EXPECT_EQ(split(d["isakmp.ts.start_ipv4"], ',').at(0), s.start.to_string());
        } else {
          EXPECT_EQ(split(d["isakmp.ts.end_ipv6"], ',').at(0), s.end.to_string());
        }
      }
      if (const auto* cert = std::get_if<CertPayload>(&p)) {
        EXPECT_EQ(d["isakmp.cert.encoding"], std::to_string(static_cast<unsigned>(cert->encoding)));
      }
      if (const auto* auth = std::get_if<AuthPayload>(&p)) {
        EXPECT_EQ(d["isakmp.auth.method"], std::to_string(static_cast<unsigned>(auth->method)));
      }
      if (const auto* vid = std::get_if<VendorIdPayload>(&p)) {
        EXPECT_EQ(d["isakmp.vid_bytes"], to_hex(vid->data));
      }
      if (const auto* nonce = std::get_if<NoncePayload>(&p)) {
        EXPECT_EQ(d["isakmp.nonce"], to_hex(nonce->data));
      }
    }
  }
  for (PayloadType t : {PayloadType::SecurityAssociation, PayloadType::KeyExchange, PayloadType::IdInitiator,
                        PayloadType::IdResponder, PayloadType::Certificate, PayloadType::CertificateRequest,
                        PayloadType::Authentication, PayloadType::Nonce, PayloadType::Notify, PayloadType::Delete,
                        PayloadType::VendorId, PayloadType::TsInitiator, PayloadType::TsResponder,
                        PayloadType::Encrypted, PayloadType::Configuration, PayloadType::Eap,
                        PayloadType::EncryptedFragment})
    EXPECT_TRUE(covered.count(static_cast<unsigned>(t)) == 1) << payload_name(t) << " not covered";

  if (!HasFailure()) {
    std::filesystem::remove_all(dir);
  } else {
    ADD_FAILURE() << "capture kept for inspection: " << pcap << " (tshark -r it -V)";
  }
}

}  // namespace
}  // namespace cygnet::wire::ikev2
