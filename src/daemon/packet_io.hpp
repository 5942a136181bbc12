// Packet I/O on the TUN device in units as large as the kernel allows. With offloads on
// (TunDevice::offloads()), one read returns a TCP/UDP super-packet of up to 64 KiB, split here
// into the IP packets it stands for, and decapsulated TCP segments are joined into super-packets
// so that one write carries a whole run of them. Without offloads it reads and writes one packet
// at a time, as before. Every buffer is allocated in the constructor: no allocation per packet.
//
// The gateway calls read() until it returns nullopt, queue_write() for each packet bound for the
// device and flush() when its batch of input is done (queue_write flushes by itself when full).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/bytes.hpp"
#include "daemon/os/tun_device.hpp"
#include "wire/tcp_coalescing.hpp"

namespace cygnet::daemon {

// Counted by TunPacketIo; the gateway copies them into `cygnetctl stats` (daemon section).
struct TunOffloadCounters {
  std::uint64_t super_packets_read = 0;           // reads that held a GSO packet
  std::uint64_t segments_from_super_packets = 0;  // IP packets those were split into
  std::uint64_t coalesced_writes = 0;             // writes that carried a joined super-packet
  std::uint64_t segments_coalesced = 0;           // IP packets those writes carried
  std::uint64_t offload_errors = 0;  // reads whose virtio header did not fit the packet (dropped)
};

struct TunWriteResult {
  std::uint64_t packets_written = 0;  // IP packets the kernel took
  std::uint64_t packets_failed = 0;   // IP packets in writes the kernel refused
};

class TunPacketIo {
 public:
  // Packets queued before a write; 64 writes of up to 64 KiB each when coalescing.
  static constexpr std::size_t kWriteBatch = 64;

  explicit TunPacketIo(TunDevice& tun);

  // One read from the device: the IP packets it held (one, or the segments of a super-packet),
  // valid until the next read(); nullopt when nothing is waiting. A read whose virtio header does
  // not fit its packet gives an empty span (counted in offload_errors). Throws std::system_error
  // like TunDevice::read.
  std::optional<std::span<const ByteView>> read();

  // Queues one IP packet for the device. With offloads off it is written at once.
  TunWriteResult queue_write(ByteView ip_packet);
  // Writes every queued packet.
  TunWriteResult flush();

  const TunOffloadCounters& counters() const { return counters_; }

 private:
  TunDevice& tun_;
  bool offload_;
  Bytes read_buffer_;
  Bytes segment_arena_;
  std::vector<MutableByteView> slots_;
  std::vector<std::size_t> lengths_;
  std::vector<ByteView> packets_;
  wire::TcpCoalescingBatch write_batch_;
  std::size_t queued_ = 0;  // IP packets in write_batch_
  TunOffloadCounters counters_;
};

}  // namespace cygnet::daemon
