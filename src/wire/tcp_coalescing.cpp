#include "wire/tcp_coalescing.hpp"

#include <algorithm>
#include <cstring>

#include "wire/byte_reader.hpp"
#include "wire/ip_packet.hpp"
#include "wire/transport_checksum.hpp"

namespace cygnet::wire {
namespace {

constexpr std::size_t kTcpMinHeaderLength = 20;
constexpr std::uint8_t kTcpAck = 0x10;
constexpr std::uint8_t kTcpPsh = 0x08;
constexpr std::uint16_t kTcpChecksumOffset = 16;

bool same(const std::uint8_t* a, const std::uint8_t* b, std::size_t offset, std::size_t length) {
  return std::memcmp(a + offset, b + offset, length) == 0;
}

std::size_t ip_header_length(bool v4) {
  return v4 ? kIpv4MinHeaderLength : kIpv6HeaderLength;
}

// The IP + TCP header length of a segment that may be joined, or 0 for any other packet.
std::size_t coalescable_header_length(ByteView packet) {
  if (packet.empty()) return 0;
  const std::uint8_t* p = packet.data();
  std::size_t ip_length = 0;
  if (p[0] == 0x45) {  // IPv4 without options
    if (packet.size() < kIpv4MinHeaderLength || load_be16(p + 2) != packet.size()) return 0;
    if ((load_be16(p + 6) & 0x3FFF) != 0 || p[9] != ip_protocol::kTcp) return 0;
    ip_length = kIpv4MinHeaderLength;
  } else if ((p[0] >> 4) == 6) {
    if (packet.size() < kIpv6HeaderLength ||
        std::size_t{load_be16(p + 4)} + kIpv6HeaderLength != packet.size()) {
      return 0;
    }
    if (p[6] != ip_protocol::kTcp) return 0;
    ip_length = kIpv6HeaderLength;
  } else {
    return 0;
  }
  if (packet.size() < ip_length + kTcpMinHeaderLength) return 0;
  const std::size_t tcp_length = static_cast<std::size_t>(p[ip_length + 12] >> 4) * 4;
  const std::size_t header_length = ip_length + tcp_length;
  if (tcp_length < kTcpMinHeaderLength || header_length >= packet.size()) return 0;  // no payload
  const std::uint8_t flags = p[ip_length + 13];
  if (flags != kTcpAck && flags != (kTcpAck | kTcpPsh)) return 0;
  if (!transport_checksum_valid(packet, ip_protocol::kTcp, packet.subspan(ip_length))) return 0;
  return header_length;
}

// Whether `a` and `b` are TCP packets of the same flow (addresses and ports), whatever else they
// carry. Headers shorter than that never match.
bool same_tcp_flow(ByteView a, ByteView b) {
  if (a.empty() || b.empty() || (a[0] >> 4) != (b[0] >> 4)) return false;
  std::size_t ip_length = 0;
  if ((a[0] >> 4) == 4) {
    if (a.size() < kIpv4MinHeaderLength || b.size() < kIpv4MinHeaderLength) return false;
    if (a[9] != ip_protocol::kTcp || b[9] != ip_protocol::kTcp || a[0] != b[0]) return false;
    if (!same(a.data(), b.data(), 12, 8)) return false;
    ip_length = std::size_t{a[0] & 0x0Fu} * 4;
  } else if ((a[0] >> 4) == 6) {
    if (a.size() < kIpv6HeaderLength || b.size() < kIpv6HeaderLength) return false;
    if (a[6] != ip_protocol::kTcp || b[6] != ip_protocol::kTcp) return false;
    if (!same(a.data(), b.data(), 8, 32)) return false;
    ip_length = kIpv6HeaderLength;
  } else {
    return false;
  }
  if (a.size() < ip_length + 4 || b.size() < ip_length + 4) return false;
  return same(a.data(), b.data(), ip_length, 4);
}

}  // namespace

TcpCoalescingBatch::TcpCoalescingBatch(std::size_t max_entries)
    : max_entries_(max_entries), buffer_(max_entries * kEntryCapacity) {
  entries_.reserve(max_entries);
}

void TcpCoalescingBatch::clear() {
  entries_.clear();
  coalesced_ = 0;
  rejected_ = 0;
}

bool TcpCoalescingBatch::try_append(Entry& entry, ByteView packet, std::size_t header_length) {
  const bool v4 = (packet[0] >> 4) == 4;
  if (!entry.open || entry.header_length != header_length || entry.v4 != v4) return false;
  const std::uint8_t* first =
      storage(static_cast<std::size_t>(&entry - entries_.data())) + kVirtioNetHeaderLength;
  const std::uint8_t* p = packet.data();
  if (v4) {
    // Version/IHL and TOS; DF and fragment fields; TTL and protocol; addresses.
    if (!same(first, p, 0, 2) || !same(first, p, 6, 4) || !same(first, p, 12, 8)) return false;
    const auto expected_id = static_cast<std::uint16_t>(load_be16(first + 4) + entry.segments);
    if (load_be16(p + 4) != expected_id) return false;
  } else {
    // Version, traffic class, flow label; next header and hop limit; addresses.
    if (!same(first, p, 0, 4) || !same(first, p, 6, 34)) return false;
  }
  const std::size_t t = ip_header_length(v4);
  // Ports, ACK number, data offset, window, urgent pointer and options must match; the flags may
  // differ only in PSH, which is all coalescable_header_length lets through.
  if (!same(first, p, t, 4) || !same(first, p, t + 8, 5) || !same(first, p, t + 14, 2) ||
      !same(first, p, t + 18, header_length - t - 18)) {
    return false;
  }
  if (load_be32(p + t + 4) != entry.next_sequence) return false;
  const std::size_t payload = packet.size() - header_length;
  if (payload > entry.segment_size || entry.length + payload > kMaxCoalescedLength) return false;

  std::uint8_t* stored = storage(static_cast<std::size_t>(&entry - entries_.data())) + kVirtioNetHeaderLength;
  std::copy(packet.begin() + static_cast<std::ptrdiff_t>(header_length), packet.end(), stored + entry.length);
  entry.length += payload;
  entry.segments += 1;
  entry.next_sequence += static_cast<std::uint32_t>(payload);
  const bool push = (p[t + 13] & kTcpPsh) != 0;
  if (push) stored[t + 13] |= kTcpPsh;
  if (push || payload < entry.segment_size) entry.open = false;
  return true;
}

bool TcpCoalescingBatch::add(ByteView ip_packet) {
  if (ip_packet.size() > kMaxCoalescedLength) {
    ++rejected_;
    return true;
  }
  const std::size_t header_length = coalescable_header_length(ip_packet);
  if (header_length != 0) {
    // The newest entries are the likeliest match: a flow's segments arrive back to back.
    for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
      if (try_append(*it, ip_packet, header_length)) {
        ++coalesced_;
        return true;
      }
    }
  }
  if (entries_.size() == max_entries_) return false;

  // A packet of a flow that could not join its open entry (a gap, a pure ACK, a FIN) closes it:
  // later segments must not overtake it by joining an earlier super-packet.
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].open &&
        same_tcp_flow(ByteView(storage(i) + kVirtioNetHeaderLength, entries_[i].length), ip_packet)) {
      entries_[i].open = false;
    }
  }

  const std::size_t index = entries_.size();
  std::copy(ip_packet.begin(), ip_packet.end(), storage(index) + kVirtioNetHeaderLength);
  Entry entry;
  entry.length = ip_packet.size();
  entry.header_length = header_length;
  if (header_length != 0) {
    entry.v4 = (ip_packet[0] >> 4) == 4;
    const std::size_t t = ip_header_length(entry.v4);
    entry.segment_size = ip_packet.size() - header_length;
    entry.next_sequence =
        load_be32(ip_packet.data() + t + 4) + static_cast<std::uint32_t>(entry.segment_size);
    entry.open = (ip_packet[t + 13] & kTcpPsh) == 0;
  }
  entries_.push_back(entry);
  return true;
}

void TcpCoalescingBatch::finish_entry(std::size_t index) {
  const Entry& entry = entries_[index];
  std::uint8_t* out = storage(index);
  std::uint8_t* packet = out + kVirtioNetHeaderLength;
  if (entry.segments == 1) {
    write_virtio_net_header(MutableByteView(out, kVirtioNetHeaderLength), VirtioNetHeader{});
    return;
  }
  const std::size_t t = ip_header_length(entry.v4);
  if (entry.v4) {
    store_be16(packet + 2, static_cast<std::uint16_t>(entry.length));
    store_be16(packet + 10, 0);
    store_be16(packet + 10, internet_checksum(ByteView(packet, kIpv4MinHeaderLength)));
  } else {
    store_be16(packet + 4, static_cast<std::uint16_t>(entry.length - kIpv6HeaderLength));
  }
  // NEEDS_CSUM: the checksum field holds the pseudo-header sum over the whole super-packet's TCP
  // length; the kernel adds the bytes from checksum_start on (or fixes it per segment).
  const auto tcp_length = static_cast<std::uint32_t>(entry.length - t);
  store_be16(packet + t + kTcpChecksumOffset,
             pseudo_header_sum(ByteView(packet, t), ip_protocol::kTcp, tcp_length));
  VirtioNetHeader header;
  header.flags = kVirtioNeedsChecksum;
  header.gso_type = entry.v4 ? virtio_gso::kTcpV4 : virtio_gso::kTcpV6;
  header.header_length = static_cast<std::uint16_t>(entry.header_length);
  header.gso_size = static_cast<std::uint16_t>(entry.segment_size);
  header.checksum_start = static_cast<std::uint16_t>(t);
  header.checksum_offset = kTcpChecksumOffset;
  write_virtio_net_header(MutableByteView(out, kVirtioNetHeaderLength), header);
}

std::size_t TcpCoalescingBatch::finish() {
  for (std::size_t i = 0; i < entries_.size(); ++i) finish_entry(i);
  return entries_.size();
}

ByteView TcpCoalescingBatch::entry(std::size_t index) const {
  return ByteView(storage(index), kVirtioNetHeaderLength + entries_[index].length);
}

}  // namespace cygnet::wire
