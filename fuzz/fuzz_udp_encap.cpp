// libFuzzer target: RFC 3948 port-4500 classification, UDP header writing and the IPv6 UDP
// checksum, plus the IP parser on the same bytes (port 4500 traffic arrives inside IP packets).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "base/bytes.hpp"
#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"
#include "wire/ip_address.hpp"
#include "wire/ip_packet.hpp"
#include "wire/udp_encap.hpp"

namespace {

using namespace cygnet;
using namespace cygnet::wire;

void check(bool condition) {
  if (!condition) std::abort();
}

void check_classify(ByteView payload) {
  const Udp4500Payload kind = classify_udp4500_payload(payload);
  ByteReader r(payload);
  auto first = r.u32();
  switch (kind) {
    case Udp4500Payload::NatKeepalive:
      check(payload.size() == 1 && payload[0] == kNatKeepaliveByte);
      break;
    case Udp4500Payload::Ike:
      check(first.has_value() && *first == 0 && payload.size() > kNonEspMarkerLength);
      break;
    case Udp4500Payload::Esp:
      check(first.has_value() && *first != 0 && payload.size() >= 8);
      break;
    case Udp4500Payload::Malformed:
      check(!(payload.size() == 1 && payload[0] == kNatKeepaliveByte));
      check(!(first && *first == 0 && payload.size() > 4));
      check(!(first && *first != 0 && payload.size() >= 8));
      break;
  }
}

// Input layout: 16-byte source, 16-byte destination, rest is a UDP payload.
void check_udp6(ByteView input) {
  ByteReader r(input);
  auto src = r.bytes(16);
  auto dst = r.bytes(16);
  if (!src || !dst) return;
  ByteView payload = r.rest();
  if (payload.size() > 2000) return;
  Bytes datagram(kUdpHeaderLength + payload.size());
  ByteWriter w(datagram);
  w.zeros(kUdpHeaderLength);
  w.bytes(payload);
  check(w.ok() && w.remaining() == 0);
  check(write_udp_header(datagram, kNatTraversalPort, kNatTraversalPort,
                         static_cast<std::uint16_t>(datagram.size())));
  set_udp6_checksum(datagram, *src, *dst);
  check(load_be16(datagram.data() + 6) != 0);

  // Verify: pseudo-header + datagram sums to all ones.
  Bytes all(40 + datagram.size());
  ByteWriter v(all);
  v.bytes(*src);
  v.bytes(*dst);
  v.u32(static_cast<std::uint32_t>(datagram.size()));
  v.zeros(3);
  v.u8(ip_protocol::kUdp);
  v.bytes(datagram);
  check(v.ok() && v.remaining() == 0);
  check(internet_checksum(all) == 0);

  // The same datagram behind an IPv6 header parses with its ports.
  Ipv6HeaderFields fields;
  fields.source = IpAddress::v6(*src);
  fields.destination = IpAddress::v6(*dst);
  fields.next_header = ip_protocol::kUdp;
  fields.payload_length = static_cast<std::uint16_t>(datagram.size());
  Bytes packet(kIpv6HeaderLength + datagram.size());
  check(write_ipv6_header(packet, fields));
  std::copy(datagram.begin(), datagram.end(), packet.begin() + kIpv6HeaderLength);
  auto info = parse_ip_packet(packet);
  check(info && info->protocol == ip_protocol::kUdp && info->source_port == kNatTraversalPort &&
        info->header_length == kIpv6HeaderLength && info->source == fields.source);
}

// If the input is an IPv4/IPv6 UDP packet to port 4500, classify what it carries.
void check_in_packet(ByteView input) {
  auto info = parse_ip_packet(input);
  if (!info || info->protocol != ip_protocol::kUdp || info->is_fragment) return;
  ByteView udp = input.subspan(info->header_length, info->total_length - info->header_length);
  ByteReader r(udp);
  r.skip(2);
  auto dport = r.u16();
  auto length = r.u16();
  if (!r.skip(2) || !dport || !length) return;
  check(*dport == info->destination_port);
  if (*dport != kNatTraversalPort || *length < kUdpHeaderLength || *length > udp.size()) return;
  check_classify(udp.subspan(kUdpHeaderLength, *length - kUdpHeaderLength));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input(data, size);
  check_classify(input);
  check_udp6(input);
  check_in_packet(input);
  return 0;
}
