// One data-plane worker thread of cygnetd when [daemon] workers is more than 1
// (docs/architecture.md, "Workers"). It owns:
//   - one queue of the multi-queue TUN device: the kernel hands it whole flows (by flow hash),
//     which it encrypts (gateway::WorkerPath) and sends with sendmmsg from its own raw sending
//     sockets, or from the shared UDP 4500 socket for ESP in UDP (UDP GSO as on the control
//     thread; sendmmsg on one socket from several threads is safe: each message is whole);
//   - a PacketRing the control thread fills with the ESP/AH packets of the SPIs it owns (the
//     control thread reads the raw sockets, which would give every worker a copy of every
//     packet); it decrypts them and writes them into its TUN queue (a route-based connection's
//     packets go back to the control thread, which owns those interfaces).
// It never waits for the control thread: SA changes arrive as replicas (WorkerPath::publish),
// acquires and lifetime limits leave through the WorkerRequestQueue.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "daemon/os/sockets.hpp"
#include "daemon/os/tun_device.hpp"
#include "daemon/packet_io.hpp"
#include "daemon/socket_batch_io.hpp"
#include "gateway/output_batch.hpp"
#include "gateway/packet_ring.hpp"
#include "gateway/worker_path.hpp"
#include "gateway/worker_pause.hpp"
#include "ike/engine.hpp"

namespace cygnet::daemon {

// The worker's I/O counts (its packet counts are WorkerPath::counters()). One writer each, read
// by the control thread for `cygnetctl stats`.
struct WorkerIoCounters {
  std::atomic<std::uint64_t> tun_packets_written{0};
  std::atomic<std::uint64_t> network_packets_sent{0};
  std::atomic<std::uint64_t> send_errors{0};
  std::atomic<std::uint64_t> handed_over{0};      // ESP/AH packets the control thread queued for it
  std::atomic<std::uint64_t> hand_over_drops{0};  // ... refused: its ring was full (or too big)
  // Its TunPacketIo's offload counters, copied after every batch.
  std::atomic<std::uint64_t> tun_super_packets_read{0};
  std::atomic<std::uint64_t> tun_segments_from_super_packets{0};
  std::atomic<std::uint64_t> tun_coalesced_writes{0};
  std::atomic<std::uint64_t> tun_segments_coalesced{0};
  std::atomic<std::uint64_t> tun_offload_errors{0};
  // Its batched senders' counters (sendmmsg calls, UDP GSO), copied after every batch.
  std::atomic<std::uint64_t> socket_send_calls{0};
  std::atomic<std::uint64_t> socket_messages_sent{0};
  std::atomic<std::uint64_t> gso_messages{0};
  std::atomic<std::uint64_t> gso_datagrams{0};
  std::atomic<std::uint64_t> gso_resent_singly{0};
};

class DataWorker {
 public:
  // The fd of the UDP socket to send from for a local endpoint, -1 for none (a lookup in sockets
  // fixed at start).
  using UdpSocketFor = std::function<int(const ike::Endpoint& local)>;

  static constexpr std::size_t kRingSlots = 1024;
  static constexpr std::size_t kRingSlotSize = 2048;  // larger ESP/AH stays on the control thread

  // `tun_queues`: every queue of the TUN device (all outlive the worker); the worker reads
  // queue `index` and writes decrypted packets to the queue of their inner flow (below). Opens
  // the worker's raw sending sockets (throws).
  DataWorker(std::size_t index, const std::vector<TunDevice*>& tun_queues,
             gateway::WorkerRequestQueue& requests, gateway::WorkerPause& pause, std::uint32_t fwmark,
             bool udp_gso, UdpSocketFor udp_socket_for);
  ~DataWorker();  // stop()s
  DataWorker(const DataWorker&) = delete;
  DataWorker& operator=(const DataWorker&) = delete;

  void start();
  void stop();  // asks the thread to end and joins it; idempotent

  // --- control thread
  gateway::WorkerPath& path() { return path_; }
  // Queues a packet from the network for this worker (ESP in UDP: `udp` set). False: dropped.
  bool hand_over(ByteView packet, const std::optional<ipsec::UdpEndpoints>& udp = std::nullopt);
  // Wakes the thread (after hand_over()s, or after a new replica was published).
  void wake();

  // --- any thread
  const WorkerIoCounters& io_counters() const { return io_; }
  std::size_t index() const { return path_.index(); }

 private:
  void run();
  void carry_out(gateway::OutputBatch& out);

  TunDevice& tun_;
  // One per TUN queue (the worker's own, read and written, is at its index). A decrypted packet
  // is written to the queue its inner flow hashes to, the same for both directions of the flow:
  // the kernel steers a flow's outgoing packets to the queue its incoming packets were last
  // written to (tun automq), so each flow stays on one worker — spread over all of them even
  // when one SA (one SPI, one decrypting worker) carries every flow.
  std::vector<std::unique_ptr<TunPacketIo>> tun_ios_;
  TunPacketIo& tun_io_;
  gateway::WorkerPath path_;
  gateway::WorkerRequestQueue& requests_;
  gateway::WorkerPause& pause_;
  gateway::PacketRing ring_{kRingSlots, kRingSlotSize};
  std::optional<RawIpSocket> raw_v4_;
  std::optional<RawIpSocket> raw_v6_;  // absent on a host without IPv6
  UdpSocketFor udp_socket_for_;
  // The sockets are written like the control thread's: sendmmsg, UDP GSO for ESP in UDP.
  RawBatchSender raw_sender_;
  UdpBatchSender udp_sender_;
  std::vector<const gateway::OutputPacket*> sending_;  // queued in the senders, in order
  int wake_fd_ = -1;
  std::atomic<bool> stopping_{false};
  WorkerIoCounters io_;
  std::thread thread_;
};

}  // namespace cygnet::daemon
