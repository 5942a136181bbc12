// Cross-check of the ISAKMP encoder against an independent implementation: Wireshark's ISAKMP
// dissector (IKEv1 side). Messages of every IKEv1 exchange, together covering every payload type
// the codec types (Quick Mode and Informational bodies in cleartext so that tshark can see them;
// one Main Mode message encrypted, as on the wire), are written to a pcap
// (tests/support/pcap_writer.hpp) on UDP 500 and 4500. tshark must dissect every frame as ISAKMP
// version 1.0 without a complaint, reading the same exchange, payload chain, attributes, notify
// types, SPIs, identities and NAT payloads we wrote.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/pcap_writer.hpp"
#include "wire/isakmp_message.hpp"
#include "wire/udp_encap.hpp"

namespace cygnet::wire::isakmp {
namespace {

using test::PcapWriter;
using test::UdpEndpoint;

constexpr const char* kTshark = "/usr/bin/tshark";

// Wireshark's expert severities (epan/proto.h): warning 0x00600000, error 0x00800000.
constexpr unsigned long kSeverityWarning = 0x00600000;

// A self-signed P-256 certificate (CN=isakmp-test.example), generated once with `openssl req -x509
// -newkey ec -pkeyopt ec_paramgen_curve:P-256`, key discarded: CERT data must be real DER or the
// X.509 dissector reports BER errors.
constexpr const char* kCertificateDer =
    "3082019130820137a00302010202145b231e5dcf5bcc2cebe9d723fb4f29fd14f008b7300a06082a8648ce3d040302301e"
    "311c301a06035504030c136973616b6d702d746573742e6578616d706c65301e170d3236313132333135313330325a170d"
    "3336313132303135313330325a301e311c301a06035504030c136973616b6d702d746573742e6578616d706c6530593013"
    "06072a8648ce3d020106082a8648ce3d0301070342000495e374657674f53f903840ed390bc5403403cb7c2cdac25e3f4b"
    "a46d40f82014fedcd250207876c385f8b4e657302d9b7f841d26ae5afd964f5f180546cf238da3533051301d0603551d0e"
    "0416041490abbd0c0534b3708b9e895766015a4e9a8808d4301f0603551d2304183016801490abbd0c0534b3708b9e8957"
    "66015a4e9a8808d4300f0603551d130101ff040530030101ff300a06082a8648ce3d0403020348003045022100ac13811f"
    "8fdcc4f1e13914204679260fdf12f7af06462680d2530f12a4f5725c022065ed25591c1f87203ff2a46cf64d84238b0ab9"
    "b32368f728ddeb9e7b1af630e1";

constexpr std::uint64_t kInitiatorCookie = 0x0123456789abcdef;
constexpr std::uint64_t kResponderCookie = 0xfedcba9876543210;

IpAddress ip(const char* text) { return *IpAddress::parse(text); }
Bytes bytes_of(const IpAddress& a) { return Bytes(a.bytes().begin(), a.bytes().end()); }
template <typename E>
std::uint8_t u8(E e) {
  return static_cast<std::uint8_t>(e);
}

struct Frame {
  const char* label;
  UdpEndpoint source;
  UdpEndpoint destination;
  Message message;
};

Header header(ExchangeType exchange, std::uint64_t responder_cookie, std::uint32_t message_id = 0,
              std::uint8_t flags = 0) {
  Header h;
  h.initiator_cookie = kInitiatorCookie;
  h.responder_cookie = responder_cookie;
  h.exchange = exchange;
  h.flags = flags;
  h.message_id = message_id;
  return h;
}

Transform phase1(std::uint8_t number, Phase1Encryption encryption, std::uint16_t key_length, Phase1Hash hash,
                 Phase1AuthMethod auth, GroupDescription group) {
  return Transform{number,
                   kTransformKeyIke,
                   {Attribute::basic(Phase1Attribute::EncryptionAlgorithm, encryption),
                    Attribute::basic(Phase1Attribute::KeyLength, key_length),
                    Attribute::basic(Phase1Attribute::HashAlgorithm, hash),
                    Attribute::basic(Phase1Attribute::AuthenticationMethod, auth),
                    Attribute::basic(Phase1Attribute::GroupDescription, group),
                    Attribute::basic(Phase1Attribute::LifeType, LifeType::Seconds),
                    Attribute::variable(Phase1Attribute::LifeDuration, from_hex("00007080"))}};
}

std::vector<Frame> frames() {
  const UdpEndpoint i500{ip("192.0.2.1"), kIkePort};
  const UdpEndpoint r500{ip("198.51.100.1"), kIkePort};
  const UdpEndpoint i4500{ip("192.0.2.1"), kNatTraversalPort};
  const UdpEndpoint r4500{ip("198.51.100.1"), kNatTraversalPort};
  const UdpEndpoint i6{ip("2001:db8::1"), kIkePort};
  const UdpEndpoint r6{ip("2001:db8::2"), kIkePort};

  const Transform aes256 = phase1(1, Phase1Encryption::AesCbc, 256, Phase1Hash::Sha2_256,
                                  Phase1AuthMethod::PreSharedKey, GroupDescription::Modp2048);
  const Transform aes128 = phase1(2, Phase1Encryption::AesCbc, 128, Phase1Hash::Sha,
                                  Phase1AuthMethod::RsaSignatures, GroupDescription::Ecp256);
  const SaPayload offer{kDoiIpsec, kSituationIdentityOnly, {Proposal{1, ProtocolId::Isakmp, {}, {aes256, aes128}}}};
  const SaPayload chosen{kDoiIpsec, kSituationIdentityOnly, {Proposal{1, ProtocolId::Isakmp, {}, {aes256}}}};

  Transform esp{1, u8(EspTransformId::AesCbc), {}};
  esp.attributes = {Attribute::basic(Phase2Attribute::SaLifeType, LifeType::Seconds),
                    Attribute::variable(Phase2Attribute::SaLifeDuration, from_hex("00000e10")),
                    Attribute::basic(Phase2Attribute::EncapsulationMode, EncapsulationMode::UdpEncapsulatedTunnel),
                    Attribute::basic(Phase2Attribute::AuthenticationAlgorithm, Phase2AuthAlgorithm::HmacSha2_256),
                    Attribute::basic(Phase2Attribute::KeyLength, 256),
                    Attribute::basic(Phase2Attribute::GroupDescription, GroupDescription::Modp2048)};
  const SaPayload quick_sa{kDoiIpsec, kSituationIdentityOnly, {Proposal{1, ProtocolId::Esp, {0xc1, 0xc2, 0xc3, 0xc4}, {esp}}}};

  const Bytes rfc3947_vid = from_hex("4a131c81070358455c5728f20e95452f");  // MD5("RFC 3947")
  const Bytes dpd_vid = from_hex("afcad71368a1f1c96b8696fc77570100");     // RFC 3706 §3.3
  const Bytes ke(256, 0x5a);
  const Bytes spi16 = isakmp_spi(header(ExchangeType::Informational, kResponderCookie));

  std::vector<Frame> out;
  out.push_back({"Main Mode 1", i500, r500,
                 Message{header(kMainMode, 0), {offer, VendorIdPayload{rfc3947_vid}, VendorIdPayload{dpd_vid}}, {}}});
  out.push_back({"Main Mode 2", r500, i500,
                 Message{header(kMainMode, kResponderCookie), {chosen, VendorIdPayload{rfc3947_vid}}, {}}});
  out.push_back({"Main Mode 3", i500, r500,
                 Message{header(kMainMode, kResponderCookie),
                         {KePayload{ke}, NoncePayload{Bytes(32, 0x4e)}, NatDPayload{Bytes(32, 0xd1), false},
                          NatDPayload{Bytes(32, 0xd2), false}},
                         {}}});
  out.push_back({"Main Mode 5 (encrypted, port 4500)", i4500, r4500,
                 Message{header(kMainMode, kResponderCookie, 0, kFlagEncryption), {}, Bytes(96, 0xe5)}});
  out.back().message.header.next_payload = PayloadType::Identification;
  out.push_back({"Aggressive 1 (IPv6)", i6, r6,
                 Message{header(ExchangeType::Aggressive, 0),
                         {chosen, KePayload{ke}, NoncePayload{Bytes(16, 0x4f)},
                          IdPayload{IdType::Fqdn, 17, 500, {'c', 'l', 'i', 'e', 'n', 't'}},
                          CertRequestPayload{CertEncoding::X509Signature, {}}, VendorIdPayload{dpd_vid}},
                         {}}});
  out.push_back({"Aggressive 2 (IPv6, signatures)", r6, i6,
                 Message{header(ExchangeType::Aggressive, kResponderCookie),
                         {chosen, KePayload{ke}, NoncePayload{Bytes(16, 0x50)},
                          IdPayload{IdType::Ipv6Address, 0, 0, bytes_of(ip("2001:db8::2"))},
                          CertPayload{CertEncoding::X509Signature, from_hex(kCertificateDer)},
                          SignaturePayload{Bytes(64, 0x53)}, NatDPayload{Bytes(20, 0xd3), true},
                          NatDPayload{Bytes(20, 0xd4), true}},
                         {}}});
  out.push_back({"Aggressive 3 (HASH)", i500, r500,
                 Message{header(ExchangeType::Aggressive, kResponderCookie), {HashPayload{Bytes(32, 0x48)}}, {}}});
  out.push_back({"Quick Mode 1 (cleartext body)", i4500, r4500,
                 Message{header(ExchangeType::QuickMode, kResponderCookie, 0x11223344),
                         {HashPayload{Bytes(32, 0x48)}, quick_sa, NoncePayload{Bytes(32, 0x4e)}, KePayload{ke},
                          IdPayload{IdType::Ipv4AddressSubnet, 0, 0, from_hex("0a010000 ffffff00")},
                          IdPayload{IdType::Ipv4AddressSubnet, 0, 0, from_hex("0a020000 ffffff00")},
                          NatOaPayload{ip("192.168.1.10"), false}, NatOaPayload{ip("203.0.113.5"), false}},
                         {}}});
  out.push_back({"Informational R-U-THERE", i500, r500,
                 Message{header(ExchangeType::Informational, kResponderCookie, 0x01020304),
                         {HashPayload{Bytes(32, 0x48)},
                          NotificationPayload{kDoiIpsec, ProtocolId::Isakmp, NotifyType::RUThere, spi16,
                                              from_hex("0000002a")}},
                         {}}});
  out.push_back({"Informational R-U-THERE-ACK", r500, i500,
                 Message{header(ExchangeType::Informational, kResponderCookie, 0x05060708),
                         {HashPayload{Bytes(32, 0x48)},
                          NotificationPayload{kDoiIpsec, ProtocolId::Isakmp, NotifyType::RUThereAck, spi16,
                                              from_hex("0000002a")}},
                         {}}});
  out.push_back({"Informational Delete", i500, r500,
                 Message{header(ExchangeType::Informational, kResponderCookie, 0x0a0b0c0d),
                         {HashPayload{Bytes(32, 0x48)},
                          DeletePayload{kDoiIpsec, ProtocolId::Esp, 4, {{0x11, 0x11, 0x11, 0x11}, {0x22, 0x22, 0x22, 0x22}}},
                          DeletePayload{kDoiIpsec, ProtocolId::Isakmp, 16, {spi16}}},
                         {}}});
  out.push_back({"Informational notifies", r500, i500,
                 Message{header(ExchangeType::Informational, kResponderCookie, 0x0e0f1011),
                         {NotificationPayload{kDoiIpsec, ProtocolId::Isakmp, NotifyType::InitialContact, spi16, {}},
                          NotificationPayload{kDoiIpsec, ProtocolId::Esp, NotifyType::ResponderLifetime,
                                              {0xc1, 0xc2, 0xc3, 0xc4}, from_hex("80010001 80020e10")},
                          NotificationPayload{kDoiIpsec, ProtocolId::Isakmp, NotifyType::NoProposalChosen, {}, {}},
                          NatOaPayload{ip("2001:db8::7"), true}},
                         {}}});
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

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ",") + s;
  return out;
}

const std::vector<std::string> kFields = {
    "frame.protocols",
    "_ws.malformed",
    "_ws.expert.severity",
    "_ws.expert.message",
    "isakmp.ispi",
    "isakmp.rspi",
    "isakmp.version",
    "isakmp.exchangetype",
    "isakmp.flag_e",
    "isakmp.messageid",
    "isakmp.length",
    "isakmp.nextpayload",
    "isakmp.typepayload",
    "isakmp.sa.doi",
    "isakmp.prop.protoid",
    "isakmp.prop.transforms",
    "isakmp.trans.id",
    "isakmp.ike.attr.encryption_algorithm",
    "isakmp.ike.attr.key_length",
    "isakmp.ike.attr.hash_algorithm",
    "isakmp.ike.attr.authentication_method",
    "isakmp.ike.attr.group_description",
    "isakmp.ike.attr.life_duration",
    "isakmp.ipsec.attr.life_duration",
    "isakmp.ipsec.attr.encap_mode",
    "isakmp.ipsec.attr.auth_algorithm",
    "isakmp.ipsec.attr.key_length",
    "isakmp.spi",
    "isakmp.notify.msgtype",
    "isakmp.notify.data.dpd.are_you_there",
    "isakmp.notify.data.dpd.are_you_there_ack",
    "isakmp.delete.spi",
    "isakmp.id.type",
    "isakmp.id.port",
    "isakmp.id.data.fqdn",
    "isakmp.id.data.ipv4_addr",
    "isakmp.id.data.ipv4_subnet",
    "isakmp.id.data.ipv6_addr",
    "isakmp.cert.encoding",
    "isakmp.certreq.type",
    "isakmp.key_exchange.data",
    "isakmp.nonce",
    "isakmp.hash",
    "isakmp.sig",
    "isakmp.vid_bytes",
    "isakmp.ike.nat_hash",
    "isakmp.ike.nat_original_address_ipv4",
    "isakmp.ike.nat_original_address_ipv6",
};

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

// tshark lists proposal (2) and transform (3) substructures among the payload types it walked;
// dropping them leaves the top-level chain.
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

template <typename T, typename F>
std::string each(const Message& m, F field) {
  std::vector<std::string> values;
  for (const Payload& p : m.payloads)
    if (const auto* t = std::get_if<T>(&p)) values.push_back(field(*t));
  return joined(values);
}

std::string number(auto v) { return std::to_string(static_cast<unsigned long>(v)); }

// Every attribute of every transform of every SA payload with the given type, in wire order.
std::string attribute_values(const Message& m, std::uint16_t type) {
  std::vector<std::string> values;
  for (const Payload& p : m.payloads) {
    const auto* sa = std::get_if<SaPayload>(&p);
    if (sa == nullptr) continue;
    for (const Proposal& proposal : sa->proposals)
      for (const Transform& t : proposal.transforms)
        for (const Attribute& a : t.attributes)
          if (a.type == type) values.push_back(number(*a.integer()));
  }
  return joined(values);
}

TEST(IsakmpTshark, EveryFrameDissectsCleanlyAsWeWroteIt) {
  if (!std::filesystem::exists(kTshark)) GTEST_SKIP() << "tshark not installed (" << kTshark << ")";

  std::string dir_template = (std::filesystem::temp_directory_path() / "cygnet-isakmp-tshark-XXXXXX").string();
  ASSERT_NE(mkdtemp(dir_template.data()), nullptr);
  const std::filesystem::path dir = dir_template;
  const std::filesystem::path pcap = dir / "isakmp.pcap";

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

  std::set<unsigned> covered;
  for (std::size_t i = 0; i < written.size(); ++i) {
    const Frame& f = written[i];
    const Message& m = f.message;
    const Dissection& d = read[i];
    SCOPED_TRACE(f.label);
    for (const Payload& p : m.payloads) covered.insert(static_cast<unsigned>(payload_type(p)));

    const std::string stack = std::string(f.source.address.is_v4() ? "raw:ip:udp:" : "raw:ipv6:udp:") +
                              (f.destination.port == kNatTraversalPort ? "udpencap:isakmp" : "isakmp");
    EXPECT_EQ(d["frame.protocols"].substr(0, stack.size()), stack);
    EXPECT_EQ(d["_ws.malformed"], "");
    for (const std::string& severity : split(d["_ws.expert.severity"], ','))
      EXPECT_LT(std::stoul(severity), kSeverityWarning) << d["_ws.expert.message"];

    // Header (§3.1).
    EXPECT_EQ(d["isakmp.ispi"], "0123456789abcdef");
    EXPECT_EQ(d["isakmp.rspi"], m.header.responder_cookie == 0 ? "0000000000000000" : "fedcba9876543210");
    EXPECT_EQ(d["isakmp.version"], "0x10");
    EXPECT_EQ(d["isakmp.exchangetype"], number(m.header.exchange));
    EXPECT_EQ(d["isakmp.flag_e"], m.header.encrypted() ? "1" : "0");
    EXPECT_EQ(std::stoul(d["isakmp.messageid"], nullptr, 0), m.header.message_id);
    EXPECT_EQ(d["isakmp.length"], std::to_string(wires[i].size()));
    EXPECT_EQ(split(d["isakmp.nextpayload"], ',').at(0), number(serialize_message(m)[16]));
    if (m.header.encrypted()) continue;  // the rest is ciphertext to tshark as well

    // The chain as tshark walked it.
    EXPECT_EQ(chain_types(d["isakmp.typepayload"]), top_level_types(m));

    // SA, proposals, transforms and their attributes (§3.4–§3.6, RFC 2409 App. A, RFC 2407 §4.5).
    EXPECT_EQ(d["isakmp.sa.doi"], each<SaPayload>(m, [](const SaPayload& sa) { return number(sa.doi); }));
    EXPECT_EQ(d["isakmp.prop.protoid"], each<SaPayload>(m, [](const SaPayload& sa) {
                return number(sa.proposals.front().protocol);
              }));
    EXPECT_EQ(d["isakmp.prop.transforms"], each<SaPayload>(m, [](const SaPayload& sa) {
                return number(sa.proposals.front().transforms.size());
              }));
    EXPECT_EQ(d["isakmp.trans.id"], each<SaPayload>(m, [](const SaPayload& sa) {
                std::vector<std::string> ids;
                for (const Transform& t : sa.proposals.front().transforms) ids.push_back(number(t.id));
                return joined(ids);
              }));
    const bool phase1 = find_payload<SaPayload>(m.payloads) != nullptr &&
                        find_payload<SaPayload>(m.payloads)->proposals.front().protocol == ProtocolId::Isakmp;
    if (phase1) {
      EXPECT_EQ(d["isakmp.ike.attr.encryption_algorithm"], attribute_values(m, 1));
      EXPECT_EQ(d["isakmp.ike.attr.hash_algorithm"], attribute_values(m, 2));
      EXPECT_EQ(d["isakmp.ike.attr.authentication_method"], attribute_values(m, 3));
      EXPECT_EQ(d["isakmp.ike.attr.group_description"], attribute_values(m, 4));
      EXPECT_EQ(d["isakmp.ike.attr.life_duration"], attribute_values(m, 12));
      EXPECT_EQ(d["isakmp.ike.attr.key_length"], attribute_values(m, 14));
    } else {
      EXPECT_EQ(d["isakmp.ipsec.attr.life_duration"], attribute_values(m, 2));
      EXPECT_EQ(d["isakmp.ipsec.attr.encap_mode"], attribute_values(m, 4));
      EXPECT_EQ(d["isakmp.ipsec.attr.auth_algorithm"], attribute_values(m, 5));
      EXPECT_EQ(d["isakmp.ipsec.attr.key_length"], attribute_values(m, 6));
    }

    // Notifications (§3.14, RFC 3706) and Deletes (§3.15).
    EXPECT_EQ(d["isakmp.notify.msgtype"],
              each<NotificationPayload>(m, [](const NotificationPayload& n) { return number(n.type); }));
    if (const auto* n = find_notification(m.payloads, NotifyType::RUThere)) {
      EXPECT_EQ(d["isakmp.notify.data.dpd.are_you_there"], number(load_be32(n->data.data())));
    }
    if (const auto* n = find_notification(m.payloads, NotifyType::RUThereAck)) {
      EXPECT_EQ(d["isakmp.notify.data.dpd.are_you_there_ack"], number(load_be32(n->data.data())));
    }
    EXPECT_EQ(d["isakmp.delete.spi"], each<DeletePayload>(m, [](const DeletePayload& del) {
                std::vector<std::string> spis;
                for (const Bytes& spi : del.spis) spis.push_back(to_hex(spi));
                return joined(spis);
              }));

    // Identities (§3.8, RFC 2407 §4.6.2). tshark files NAT-OA's ID type under isakmp.id.type too.
    std::vector<std::string> id_types;
    std::vector<std::string> v4_addresses;
    std::vector<std::string> v4_masks;
    for (const Payload& p : m.payloads) {
      if (const auto* oa = std::get_if<NatOaPayload>(&p)) {
        id_types.push_back(number(oa->address.is_v4() ? IdType::Ipv4Address : IdType::Ipv6Address));
      }
      const auto* id = std::get_if<IdPayload>(&p);
      if (id == nullptr) continue;
      id_types.push_back(number(id->type));
      if (id->type == IdType::Fqdn) {
        EXPECT_EQ(d["isakmp.id.data.fqdn"], std::string(id->data.begin(), id->data.end()));
      }
      if (id->type == IdType::Ipv6Address) {
        EXPECT_EQ(d["isakmp.id.data.ipv6_addr"], IpAddress::v6(id->data).to_string());
      }
      if (id->type == IdType::Ipv4AddressSubnet) {
        v4_addresses.push_back(IpAddress::v4(ByteView(id->data).first(4)).to_string());
        v4_masks.push_back(IpAddress::v4(ByteView(id->data).subspan(4)).to_string());
      }
    }
    EXPECT_EQ(d["isakmp.id.type"], joined(id_types));
    EXPECT_EQ(d["isakmp.id.port"], each<IdPayload>(m, [](const IdPayload& id) { return number(id.port); }));
    EXPECT_EQ(d["isakmp.id.data.ipv4_addr"], joined(v4_addresses));
    EXPECT_EQ(d["isakmp.id.data.ipv4_subnet"], joined(v4_masks));

    // Opaque payloads, byte for byte.
    EXPECT_EQ(d["isakmp.cert.encoding"], each<CertPayload>(m, [](const CertPayload& c) { return number(c.encoding); }));
    EXPECT_EQ(d["isakmp.certreq.type"],
              each<CertRequestPayload>(m, [](const CertRequestPayload& c) { return number(c.type); }));
    EXPECT_EQ(d["isakmp.key_exchange.data"], each<KePayload>(m, [](const KePayload& ke) { return to_hex(ke.data); }));
    EXPECT_EQ(d["isakmp.nonce"], each<NoncePayload>(m, [](const NoncePayload& n) { return to_hex(n.data); }));
    EXPECT_EQ(d["isakmp.hash"], each<HashPayload>(m, [](const HashPayload& h) { return to_hex(h.data); }));
    EXPECT_EQ(d["isakmp.sig"], each<SignaturePayload>(m, [](const SignaturePayload& s) { return to_hex(s.data); }));
    EXPECT_EQ(d["isakmp.vid_bytes"], each<VendorIdPayload>(m, [](const VendorIdPayload& v) { return to_hex(v.data); }));

    // NAT traversal (RFC 3947 §3.2/§5.2, and the draft numbers).
    EXPECT_EQ(d["isakmp.ike.nat_hash"], each<NatDPayload>(m, [](const NatDPayload& n) { return to_hex(n.hash); }));
    std::vector<std::string> v4;
    std::vector<std::string> v6;
    for (const Payload& p : m.payloads)
      if (const auto* oa = std::get_if<NatOaPayload>(&p)) {
        (oa->address.is_v4() ? v4 : v6).push_back(oa->address.to_string());
      }
    EXPECT_EQ(d["isakmp.ike.nat_original_address_ipv4"], joined(v4));
    EXPECT_EQ(d["isakmp.ike.nat_original_address_ipv6"], joined(v6));
  }

  // Every payload type the codec types appears in at least one frame (the draft numbers too).
  for (PayloadType t : {PayloadType::SecurityAssociation, PayloadType::KeyExchange, PayloadType::Identification,
                        PayloadType::Certificate, PayloadType::CertificateRequest, PayloadType::Hash,
                        PayloadType::Signature, PayloadType::Nonce, PayloadType::Notification, PayloadType::Delete,
                        PayloadType::VendorId, PayloadType::NatDiscovery, PayloadType::NatOriginalAddress,
                        PayloadType::NatDiscoveryDraft, PayloadType::NatOriginalAddressDraft})
    EXPECT_TRUE(covered.count(static_cast<unsigned>(t)) == 1) << payload_name(t) << " not covered";

  if (!HasFailure()) {
    std::filesystem::remove_all(dir);
  } else {
    ADD_FAILURE() << "capture kept for inspection: " << pcap << " (tshark -r it -V)";
  }
}

}  // namespace
}  // namespace cygnet::wire::isakmp
