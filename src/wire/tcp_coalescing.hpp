// GRO in userspace: joins consecutive in-order TCP segments of one flow, as they come out of ESP
// decryption, into super-packets written to a TUN device opened with IFF_VNET_HDR, so the kernel
// takes one write (and one trip through its stack) for up to 64 KiB instead of one per segment.
//
// Segments are joined under the rules Linux's own tcp_gro_receive applies, so that re-splitting
// the super-packet (which the kernel does when it forwards it) gives back exactly the segments
// that went in:
// - same addresses and ports; IPv4 without options and not fragmented, IPv6 without extension
//   headers; same TOS/TTL/DF (IPv4) or traffic class/flow label/hop limit (IPv6);
// - consecutive IPv4 IDs, contiguous sequence numbers, same ACK number and window;
// - flags ACK or ACK|PSH only, identical TCP options;
// - every segment but the last exactly as long as the first (gso_size); a shorter segment or one
//   with PSH ends the super-packet; at most 64 KiB in all;
// - each segment's TCP checksum verifies (a corrupt segment is passed on alone, for the kernel to
//   drop, rather than laundered by a recomputed checksum).
// Anything else is passed through as its own entry with an all-zero virtio header.
//
// The batch owns one preallocated buffer per entry; adding packets never allocates.
#pragma once

#include <cstdint>
#include <vector>

#include "base/bytes.hpp"
#include "wire/virtio_net_header.hpp"

namespace cygnet::wire {

class TcpCoalescingBatch {
 public:
  // Room for `max_entries` TUN writes of up to 64 KiB each (allocated here, once).
  explicit TcpCoalescingBatch(std::size_t max_entries);

  // Adds one IP packet bound for the TUN device: appended to a pending super-packet of its flow,
  // or stored as a new entry. Returns false (nothing stored) when the batch is full: write it out,
  // clear() and add again. Packets longer than 64 KiB are refused the same way they would be by
  // the device, by returning true without storing them; rejected() counts them.
  bool add(ByteView ip_packet);

  // Finishes every entry (lengths, checksums, virtio header) and returns how many there are.
  // Each entry(i) is then exactly what one write() to the TUN device takes.
  std::size_t finish();
  ByteView entry(std::size_t index) const;

  void clear();
  std::size_t size() const { return entries_.size(); }
  // Packets added since the last clear() that were appended to an earlier one (not new entries).
  std::size_t coalesced() const { return coalesced_; }
  std::size_t rejected() const { return rejected_; }

 private:
  struct Entry {
    std::size_t length = 0;         // IP packet bytes stored after the virtio header
    std::size_t header_length = 0;  // IP + TCP header; 0 when the entry cannot grow
    std::size_t segment_size = 0;   // payload of the first segment (gso_size)
    std::size_t segments = 1;
    std::uint32_t next_sequence = 0;
    bool open = false;  // may still take another segment
    bool v4 = true;
  };

  std::uint8_t* storage(std::size_t index) { return buffer_.data() + index * kEntryCapacity; }
  const std::uint8_t* storage(std::size_t index) const { return buffer_.data() + index * kEntryCapacity; }
  bool try_append(Entry& entry, ByteView packet, std::size_t header_length);
  void finish_entry(std::size_t index);

  static constexpr std::size_t kMaxCoalescedLength = 65535;  // IPv4 total length, IPv6 payload
  static constexpr std::size_t kEntryCapacity = kVirtioNetHeaderLength + kMaxCoalescedLength;
  std::size_t max_entries_;
  std::vector<std::uint8_t> buffer_;
  std::vector<Entry> entries_;
  std::size_t coalesced_ = 0;
  std::size_t rejected_ = 0;
};

}  // namespace cygnet::wire
