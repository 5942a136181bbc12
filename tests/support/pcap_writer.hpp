// Test support: writes UDP datagrams (IKE on 500/4500, ESP-in-UDP, anything) into a classic pcap
// file with LINKTYPE_RAW, so that a simulated exchange can be opened in Wireshark or checked by
// tshark. IP and UDP headers come from the src/wire builders; UDP checksums are filled in for both
// families so the capture looks like real traffic.
//
// On port 4500 the caller passes the UDP payload as sent: an IKE message already carries its
// 4-byte non-ESP marker (RFC 3948 §2.2), ESP does not.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>

#include "base/bytes.hpp"
#include "base/time.hpp"
#include "wire/byte_reader.hpp"
#include "wire/ip_address.hpp"
#include "wire/ip_packet.hpp"
#include "wire/udp_encap.hpp"

namespace cygnet::test {

struct UdpEndpoint {
  wire::IpAddress address;
  std::uint16_t port = 0;
};

// An IPv4 or IPv6 packet (by the endpoints' family) carrying one UDP datagram. nullopt when the
// families differ or the payload does not fit a 16-bit length.
inline std::optional<Bytes> build_udp_packet(const UdpEndpoint& source, const UdpEndpoint& destination,
                                             ByteView payload, std::uint16_t ipv4_identification = 0) {
  if (source.address.family() != destination.address.family()) return std::nullopt;
  const bool v4 = source.address.is_v4();
  const std::size_t ip_header = v4 ? wire::kIpv4MinHeaderLength : wire::kIpv6HeaderLength;
  const std::size_t udp_length = wire::kUdpHeaderLength + payload.size();
  if (udp_length > 0xffff || (v4 && ip_header + udp_length > 0xffff)) return std::nullopt;

  Bytes packet(ip_header + udp_length);
  const MutableByteView udp = MutableByteView(packet).subspan(ip_header);
  if (!wire::write_udp_header(udp, source.port, destination.port, static_cast<std::uint16_t>(udp_length)))
    return std::nullopt;
  std::copy(payload.begin(), payload.end(), udp.begin() + wire::kUdpHeaderLength);

  if (v4) {
    wire::Ipv4HeaderFields ip;
    ip.source = source.address;
    ip.destination = destination.address;
    ip.protocol = wire::ip_protocol::kUdp;
    ip.total_length = static_cast<std::uint16_t>(packet.size());
    ip.identification = ipv4_identification;
    if (!wire::write_ipv4_header(packet, ip)) return std::nullopt;
    // RFC 768 checksum over the pseudo-header (addresses, zero, protocol, UDP length) + datagram;
    // a computed zero is sent as all ones because zero means "no checksum".
    Bytes summed(12 + udp_length);
    const ByteView s = source.address.bytes();
    const ByteView d = destination.address.bytes();
    std::copy(s.begin(), s.end(), summed.begin());
    std::copy(d.begin(), d.end(), summed.begin() + 4);
    summed[9] = wire::ip_protocol::kUdp;
    wire::store_be16(summed.data() + 10, static_cast<std::uint16_t>(udp_length));
    std::copy(udp.begin(), udp.end(), summed.begin() + 12);
    std::uint16_t checksum = wire::internet_checksum(summed);
    if (checksum == 0) checksum = 0xffff;
    wire::store_be16(udp.data() + 6, checksum);
  } else {
    wire::Ipv6HeaderFields ip;
    ip.source = source.address;
    ip.destination = destination.address;
    ip.next_header = wire::ip_protocol::kUdp;
    ip.payload_length = static_cast<std::uint16_t>(udp_length);
    if (!wire::write_ipv6_header(packet, ip)) return std::nullopt;
    wire::set_udp6_checksum(udp, source.address.bytes(), destination.address.bytes());
  }
  return packet;
}

// Classic libpcap format (magic a1b2c3d4 written little-endian, version 2.4, microsecond stamps).
class PcapWriter {
 public:
  static constexpr std::uint32_t kLinkTypeRaw = 101;  // raw IPv4/IPv6, no link-layer header
  static constexpr std::uint32_t kSnapLength = 65535;

  explicit PcapWriter(const std::filesystem::path& path) : out_(path, std::ios::binary | std::ios::trunc) {
    put32(0xa1b2c3d4);
    put16(2);
    put16(4);
    put32(0);  // thiszone: timestamps are UTC
    put32(0);  // sigfigs
    put32(kSnapLength);
    put32(kLinkTypeRaw);
  }

  bool ok() const { return out_.good(); }
  std::size_t frames() const { return frames_; }

  // One raw IP packet at `timestamp` (a duration since the capture's epoch, e.g. a simulator's
  // TimePoint::time_since_epoch()).
  bool write_packet(ByteView ip_packet, Duration timestamp) {
    if (ip_packet.size() > kSnapLength) return false;
    const auto micros = std::max<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::microseconds>(timestamp).count());
    put32(static_cast<std::uint32_t>(micros / 1000000));
    put32(static_cast<std::uint32_t>(micros % 1000000));
    put32(static_cast<std::uint32_t>(ip_packet.size()));
    put32(static_cast<std::uint32_t>(ip_packet.size()));
    out_.write(reinterpret_cast<const char*>(ip_packet.data()), static_cast<std::streamsize>(ip_packet.size()));
    out_.flush();
    ++frames_;
    return ok();
  }
  bool write_packet(ByteView ip_packet, TimePoint at) { return write_packet(ip_packet, at.time_since_epoch()); }

  // One UDP datagram inside IPv4/IPv6 (by the endpoints' family).
  bool write_udp(const UdpEndpoint& source, const UdpEndpoint& destination, ByteView payload,
                 Duration timestamp) {
    auto packet = build_udp_packet(source, destination, payload, static_cast<std::uint16_t>(frames_ + 1));
    return packet && write_packet(*packet, timestamp);
  }
  bool write_udp(const UdpEndpoint& source, const UdpEndpoint& destination, ByteView payload, TimePoint at) {
    return write_udp(source, destination, payload, at.time_since_epoch());
  }

 private:
  void put16(std::uint16_t v) {
    const char bytes[2] = {static_cast<char>(v & 0xff), static_cast<char>(v >> 8)};
    out_.write(bytes, 2);
  }
  void put32(std::uint32_t v) {
    put16(static_cast<std::uint16_t>(v & 0xffff));
    put16(static_cast<std::uint16_t>(v >> 16));
  }

  std::ofstream out_;
  std::size_t frames_ = 0;
};

}  // namespace cygnet::test
