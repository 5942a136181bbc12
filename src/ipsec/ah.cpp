// AH packet processing (RFC 4302). Layout of what ah_encapsulate writes:
//
//   [IP header (+ extension headers)][NH][Len][Reserved][SPI][Seq][ICV + padding][payload]
//
// The ICV covers the whole packet with the fields that routers may change zeroed (§3.3.3.1), so
// it is computed over a zeroed copy of the header built on the stack, then the AH header with a
// zero ICV, then the payload, then the ESN high half when ESN is on (§3.3.2.1).
#include "ipsec/ah.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "ipsec/packet_path.hpp"
#include "wire/ah_header.hpp"
#include "wire/byte_reader.hpp"
#include "wire/ip_packet.hpp"

namespace cygnet::ipsec {

namespace {

using wire::IpFamily;

// Headers (IPv4 with options, IPv6 with extension headers before AH) larger than this are
// refused: real packets stay far below, and the zeroed copy lives on the stack.
constexpr std::size_t kMaxHeaderBeforeAh = 512;
// Zeros standing in for the ICV (and our own zero ICV padding) while the ICV is computed.
constexpr std::array<std::uint8_t, 1024> kZeros{};

// IPv4 options that do not change in transit (RFC 4302 Appendix A.1); every other option is
// zeroed whole for the ICV.
bool ipv4_option_immutable(std::uint8_t type) {
  switch (type) {
    case 0:    // end of options list
    case 1:    // no operation
    case 130:  // security
    case 133:  // extended security
    case 134:  // commercial security
    case 148:  // router alert
    case 149:  // sender directed multi-destination delivery
      return true;
    default: return false;
  }
}

bool zero_ipv4_mutable(MutableByteView h) {
  h[1] = 0;           // type of service (DSCP/ECN)
  h[6] = h[7] = 0;    // flags + fragment offset
  h[8] = 0;           // TTL
  h[10] = h[11] = 0;  // header checksum
  std::size_t i = wire::kIpv4MinHeaderLength;
  while (i < h.size()) {
    std::uint8_t type = h[i];
    if (type == 0) break;  // end of list: the rest is zero padding
    if (type == 1) {
      ++i;
      continue;
    }
    if (i + 1 >= h.size()) return false;
    std::size_t length = h[i + 1];
    if (length < 2 || i + length > h.size()) return false;
    if (!ipv4_option_immutable(type)) std::fill_n(h.begin() + static_cast<std::ptrdiff_t>(i), length, 0);
    i += length;
  }
  return true;
}

// Zeroes the data of hop-by-hop/destination options whose "may change en route" bit (0x20) is set
// (RFC 4302 §3.3.3.1.2.1).
bool zero_ipv6_option_data(MutableByteView options) {
  std::size_t i = 0;
  while (i < options.size()) {
    std::uint8_t type = options[i];
    if (type == 0) {
      ++i;
      continue;
    }  // Pad1
    if (i + 1 >= options.size()) return false;
    std::size_t length = options[i + 1];
    if (i + 2 + length > options.size()) return false;
    if ((type & 0x20) != 0) std::fill_n(options.begin() + static_cast<std::ptrdiff_t>(i + 2), length, 0);
    i += 2 + length;
  }
  return true;
}

bool zero_ipv6_mutable(MutableByteView h) {
  h[0] &= 0xf0;     // traffic class (high nibble part) ...
  h[1] = 0;         // ... traffic class (low nibble part) and flow label
  h[2] = h[3] = 0;  // flow label
  h[7] = 0;         // hop limit
  std::uint8_t next = h[6];
  std::size_t offset = wire::kIpv6HeaderLength;
  while (offset < h.size()) {
    if (offset + 2 > h.size()) return false;
    std::size_t length = (std::size_t{h[offset + 1]} + 1) * 8;
    if (next == wire::ip_protocol::kFragment) length = 8;
    if (offset + length > h.size()) return false;
    if (next == wire::ip_protocol::kHopByHop || next == wire::ip_protocol::kDestinationOptions) {
      if (!zero_ipv6_option_data(h.subspan(offset + 2, length - 2))) return false;
    }
    // Routing headers are "mutable but predictable"; Cygnet neither sends nor expects them before
    // AH, so they are covered as received.
    next = h[offset];
    offset += length;
  }
  return offset == h.size();
}

// Stack copy of the header with mutable fields zeroed; returns false if the header is malformed.
bool zeroed_header_copy(ByteView header, IpFamily family,
                        std::array<std::uint8_t, kMaxHeaderBeforeAh>& scratch) {
  if (header.size() > scratch.size()) return false;
  std::memcpy(scratch.data(), header.data(), header.size());
  MutableByteView h(scratch.data(), header.size());
  return family == IpFamily::V4 ? zero_ipv4_mutable(h) : zero_ipv6_mutable(h);
}

// AH length including ICV padding: 32-bit aligned for IPv4, 64-bit for IPv6 (RFC 4302 §3.3.3.2.1).
std::size_t ah_length_for(std::size_t icv, IpFamily family) {
  std::size_t align = family == IpFamily::V4 ? 4 : 8;
  std::size_t raw = wire::kAhFixedLength + icv;
  return (raw + align - 1) / align * align;
}

}  // namespace

std::size_t ah_encapsulated_length(const SecurityAssociation& sa, const wire::IpPacketInfo& inner) {
  const bool tunnel = sa.mode() == Mode::Tunnel;
  const IpFamily outer_family = tunnel ? sa.params().local_address.family() : inner.family;
  const std::size_t header = tunnel ? outer_ip_header_length(sa) : inner.header_length;
  const std::size_t payload = tunnel ? inner.total_length : inner.total_length - inner.header_length;
  return header + ah_length_for(sa.icv_length(), outer_family) + payload;
}

PacketResult ah_encapsulate(SecurityAssociation& sa, ByteView ip_packet, MutableByteView out, TimePoint now) {
  const auto parsed = wire::parse_ip_packet(ip_packet);
  if (parsed) return ah_encapsulate(sa, ip_packet, *parsed, out, now);
  LifetimeEvent time_event = LifetimeEvent::None;
  if (auto refused = refuse_if_expired(sa, now, time_event)) return *refused;
  if (auto refused = refuse_without_worker(sa)) return *refused;
  return drop(sa, DropReason::Malformed);
}

PacketResult ah_encapsulate(SecurityAssociation& sa, ByteView ip_packet, const wire::IpPacketInfo& inner,
                            MutableByteView out, TimePoint now) {
  LifetimeEvent time_event = LifetimeEvent::None;
  if (auto refused = refuse_if_expired(sa, now, time_event)) return *refused;
  if (auto refused = refuse_without_worker(sa)) return *refused;
  const bool tunnel = sa.mode() == Mode::Tunnel;
  if (!tunnel && inner.family != sa.params().local_address.family()) return drop(sa, DropReason::Malformed);

  const IpFamily outer_family = tunnel ? sa.params().local_address.family() : inner.family;
  const std::size_t header = tunnel ? outer_ip_header_length(sa) : inner.header_length;
  const std::size_t icv = sa.icv_length();
  const std::size_t ah_length = ah_length_for(icv, outer_family);
  const std::size_t payload_from = tunnel ? 0 : inner.header_length;
  const ByteView payload = ip_packet.subspan(payload_from, inner.total_length - payload_from);
  const std::size_t total = header + ah_length + payload.size();
  if (total > out.size()) return drop(sa, DropReason::BufferTooSmall);
  if (header > kMaxHeaderBeforeAh || !fits_ip_length(outer_family, total))
    return drop(sa, DropReason::Malformed);

  PacketResult refused;
  const auto seq_opt = take_sequence(sa, refused);
  if (!seq_opt) return refused;
  const std::uint64_t seq = *seq_opt;
  std::uint8_t* p = out.data();

  // Payload first (memmove: callers may encapsulate in place), then the headers in front of it.
  const std::uint8_t ds_field = inner_ds_field(ip_packet, inner.family);
  std::memmove(p + header + ah_length, payload.data(), payload.size());
  const ByteView moved_payload(p + header + ah_length, payload.size());
  if (tunnel) {
    write_outer_header(sa, ds_field, MutableByteView(p, header), total, wire::ip_protocol::kAh,
                       static_cast<std::uint16_t>(seq), inner_dont_fragment(ip_packet, inner.family));
  } else {
    std::memmove(p, ip_packet.data(), header);
    p[inner.next_header_offset] = wire::ip_protocol::kAh;
    wire::update_ip_length(MutableByteView(p, total), inner.family, total);
  }
  std::uint8_t* ah = p + header;
  ah[0] = tunnel ? (inner.family == IpFamily::V4 ? wire::ip_protocol::kIpv4 : wire::ip_protocol::kIpv6)
                 : inner.protocol;
  ah[1] = static_cast<std::uint8_t>(ah_length / 4 - 2);
  ah[2] = ah[3] = 0;
  wire::store_be32(ah + 4, sa.spi());
  wire::store_be32(ah + 8, static_cast<std::uint32_t>(seq));
  std::memset(ah + wire::kAhFixedLength, 0, ah_length - wire::kAhFixedLength);

  std::array<std::uint8_t, kMaxHeaderBeforeAh> scratch;
  if (!zeroed_header_copy(ByteView(p, header), outer_family, scratch)) return drop(sa, DropReason::Malformed);
  std::array<std::uint8_t, 4> seq_high;
  wire::store_be32(seq_high.data(), static_cast<std::uint32_t>(seq >> 32));
  const bool esn = sa.params().extended_sequence_numbers;
  if (!sa.integrity()->compute({ByteView(scratch.data(), header), ByteView(ah, wire::kAhFixedLength),
                                ByteView(kZeros.data(), ah_length - wire::kAhFixedLength), moved_payload,
                                esn ? ByteView(seq_high) : ByteView()},
                               MutableByteView(ah + wire::kAhFixedLength, icv))) {
    return drop(sa, DropReason::Malformed);
  }

  return packet_done(sa, total, header, moved_payload.size(), time_event, now);
}

PacketResult ah_decapsulate(SecurityAssociation& sa, ByteView ip_packet, std::size_t ah_offset,
                            MutableByteView out, TimePoint now) {
  LifetimeEvent time_event = LifetimeEvent::None;
  if (auto refused = refuse_if_expired(sa, now, time_event)) return *refused;
  if (auto refused = refuse_without_worker(sa)) return *refused;
  auto outer = wire::parse_ip_packet(ip_packet);
  if (!outer || outer->protocol != wire::ip_protocol::kAh || ah_offset != outer->header_length ||
      ah_offset > kMaxHeaderBeforeAh || outer->total_length < ah_offset + wire::kAhFixedLength) {
    return drop(sa, DropReason::Malformed);
  }
  const std::uint8_t* ah = ip_packet.data() + ah_offset;
  const std::size_t icv = sa.icv_length();
  const std::size_t ah_length = wire::ah_total_length(ah[1]);
  const std::size_t alignment = outer->family == IpFamily::V4 ? 4 : 8;
  if (ah_length < wire::kAhFixedLength + icv || ah_length % alignment != 0 ||
      ah_offset + ah_length > outer->total_length) {
    return drop(sa, DropReason::Malformed);
  }
  if (wire::load_be32(ah + 4) != sa.spi()) return drop(sa, DropReason::UnknownSpi);

  const ReplayWindow::CheckResult replay = sa.replay_window().check(wire::load_be32(ah + 8));
  if (auto reason = replay_drop(replay.verdict)) return drop(sa, *reason);
  const std::uint64_t seq = replay.sequence;
  const ByteView payload(ah + ah_length, outer->total_length - ah_offset - ah_length);
  // Refuse before verifying: a packet that cannot be delivered must not use up its number.
  const std::size_t needed = sa.mode() == Mode::Tunnel ? payload.size() : ah_offset + payload.size();
  if (needed > out.size()) return drop(sa, DropReason::BufferTooSmall);

  std::array<std::uint8_t, kMaxHeaderBeforeAh> scratch;
  if (!zeroed_header_copy(ip_packet.first(ah_offset), outer->family, scratch))
    return drop(sa, DropReason::Malformed);
  std::array<std::uint8_t, 4> seq_high;
  wire::store_be32(seq_high.data(), static_cast<std::uint32_t>(seq >> 32));
  const bool esn = sa.params().extended_sequence_numbers;
  // The ICV field counts as zero; the ICV padding after it is covered as sent (RFC 4302 §3.3.3.2.1).
  const ByteView icv_padding(ah + wire::kAhFixedLength + icv, ah_length - wire::kAhFixedLength - icv);
  if (!sa.integrity()->verify(
          {ByteView(scratch.data(), ah_offset), ByteView(ah, wire::kAhFixedLength),
           ByteView(kZeros.data(), icv), icv_padding, payload, esn ? ByteView(seq_high) : ByteView()},
          ByteView(ah + wire::kAhFixedLength, icv))) {
    return drop(sa, DropReason::IcvFailure);
  }
  // The authoritative replay test: another thread may have accepted the same number since check().
  if (auto reason = replay_drop(sa.replay_window().accept(seq))) return drop(sa, *reason);

  const std::uint8_t next_header = ah[0];
  std::size_t result_length = 0;
  if (sa.mode() == Mode::Tunnel) {
    if (next_header != wire::ip_protocol::kIpv4 && next_header != wire::ip_protocol::kIpv6) {
      return drop(sa, DropReason::Malformed);
    }
    auto inner = wire::parse_ip_packet(payload);
    const IpFamily expected = next_header == wire::ip_protocol::kIpv4 ? IpFamily::V4 : IpFamily::V6;
    if (!inner || inner->family != expected) return drop(sa, DropReason::Malformed);
    result_length = inner->total_length;
    std::memcpy(out.data(), payload.data(), result_length);
  } else {
    result_length = ah_offset + payload.size();
    std::memcpy(out.data(), ip_packet.data(), ah_offset);
    std::memcpy(out.data() + ah_offset, payload.data(), payload.size());
    out[outer->next_header_offset] = next_header;
    wire::update_ip_length(MutableByteView(out.data(), result_length), outer->family, result_length);
  }

  return packet_done(sa, result_length, 0, payload.size(), time_event, now);
}

}  // namespace cygnet::ipsec
