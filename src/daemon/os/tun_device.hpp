// The TUN device the data plane reads cleartext packets from and writes decapsulated packets to
// (IFF_TUN | IFF_NO_PI: each read/write is exactly one IPv4 or IPv6 packet). With offloads asked
// for, it is opened with IFF_VNET_HDR and TUNSETOFFLOAD: every read and write then starts with a
// 10-byte virtio-net header and may carry a TCP (or UDP) super-packet of up to 64 KiB
// (wire/virtio_net_header.hpp; daemon/packet_io.hpp splits and joins them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "base/bytes.hpp"

namespace cygnet::daemon {

// Which offloads the kernel accepted (TUNSETOFFLOAD); all false when none were asked for or the
// kernel has none, and then there is no virtio header either.
struct TunOffloads {
  bool virtio_header = false;     // IFF_VNET_HDR: reads and writes carry a virtio_net_hdr
  bool checksum = false;          // TUN_F_CSUM: packets may come with a partial checksum
  bool tcp_segmentation = false;  // TUN_F_TSO4 | TUN_F_TSO6: TCP super-packets
  bool udp_segmentation = false;  // TUN_F_USO4 | TUN_F_USO6 (Linux 6.2+): UDP super-datagrams
  std::string describe() const;   // "checksum, TSO, USO" or "none", for the start-up log
};

class TunDevice {
 public:
  // Creates the TUN device `name` (or attaches to an existing one of that name), non-blocking,
  // with the given MTU, and brings it up. Throws std::system_error with the device name and the
  // errno text on failure (e.g. no /dev/net/tun, name in use by a non-TUN link).
  // With `offload`, asks for IFF_VNET_HDR and the offloads above, keeping whatever subset the
  // kernel grants; a kernel without TUNSETOFFLOAD gives a plain device (offloads() all false).
  // With `carrier` false the carrier is off before the link goes up, so the kernel sends nothing
  // into it (IPv6 router solicitations, MLD) that would have to be read as traffic.
  // With `multi_queue` the device is opened with IFF_MULTI_QUEUE: this object is its first queue
  // and open_queue() adds more. The kernel then picks the queue a packet is read from by its
  // flow hash, so one flow always comes out of the same queue (one worker, in order).
  static TunDevice open(const std::string& name, int mtu, bool offload = false, bool carrier = true,
                        bool multi_queue = false);

  // open() with multi_queue when `queues` > 1. A persistent device (`ip tuntap add`) keeps the
  // queue mode it was created with and refuses the other with EINVAL: a single-queue one is then
  // opened single-queue (single_queue_fallback: one queue only), a multi-queue one wanted for one
  // queue is opened as one queue of a multi-queue device.
  struct ForQueues;
  static ForQueues open_for_queues(const std::string& name, int mtu, bool offload, bool carrier,
                                   std::size_t queues);

  // Another queue of a device opened with multi_queue (same flags and offloads). Every queue
  // must be read: the kernel gives each its share of the flows. Throws std::system_error.
  TunDevice open_queue() const;

  TunDevice(TunDevice&& other) noexcept;
  TunDevice& operator=(TunDevice&& other) noexcept;
  TunDevice(const TunDevice&) = delete;
  TunDevice& operator=(const TunDevice&) = delete;
  ~TunDevice();  // closes the fd: the kernel removes a non-persistent TUN device with it

  int fd() const { return fd_; }
  const std::string& name() const { return name_; }
  int ifindex() const { return ifindex_; }
  int mtu() const { return mtu_; }
  const TunOffloads& offloads() const { return offloads_; }

  // One packet into `buffer`: its length, or nullopt when none is waiting (EAGAIN). Throws
  // std::system_error on other errors. A packet longer than `buffer` is dropped (the kernel would
  // silently cut it), counted in truncated_drops(), and the next waiting packet is read instead.
  std::optional<std::size_t> read(MutableByteView buffer);
  // One packet out. False (errno kept) when the kernel refused it; never throws.
  bool write(ByteView packet);

  // The link's carrier (TUNSETCARRIER, Linux 5.0+): off, the kernel reports the link down (no
  // LOWER_UP) and queues nothing for it, so routing daemons see the path gone. Throws
  // std::system_error on failure.
  void set_carrier(bool on);

  // Packets read() dropped because they did not fit the caller's buffer.
  std::uint64_t truncated_drops() const { return truncated_drops_; }

 private:
  TunDevice(int fd, std::string name, int ifindex, int mtu, TunOffloads offloads, bool multi_queue)
      : fd_(fd),
        name_(std::move(name)),
        ifindex_(ifindex),
        mtu_(mtu),
        offloads_(offloads),
        multi_queue_(multi_queue) {}
  int fd_ = -1;
  std::string name_;
  int ifindex_ = 0;
  int mtu_ = 0;
  TunOffloads offloads_;
  bool multi_queue_ = false;
  std::uint64_t truncated_drops_ = 0;
};

struct TunDevice::ForQueues {
  TunDevice device;
  bool single_queue_fallback = false;  // asked for several queues, the existing device has one
};

}  // namespace cygnet::daemon
