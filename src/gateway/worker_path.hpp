// The per-packet data path one worker thread runs (docs/architecture.md, "Workers"): cleartext
// packets from its TUN queue out as ESP/AH, ESP/AH handed to it (packet_ring.hpp) back in as
// cleartext. The control part — engine, acquire queue, timers — stays in GatewayCore on the
// control thread; this class reaches it only through requests (worker_requests.hpp).
//
// It runs the unchanged ipsec::DataPlane code on a replica (DataPlane::replica(): own SPD and
// SAD maps, shared SA objects). The control thread makes a new replica after each change and
// publish()es it; the worker takes it at the start of its next batch (refresh(): one atomic
// exchange), so an SA install, rekey or removal never takes a lock on the packet path. A removed
// SA stays alive in the old replica until the worker moved on.
//
// Sans-I/O like GatewayCore: the caller owns the OutputBatch and carries it out.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "base/bytes.hpp"
#include "base/time.hpp"
#include "gateway/gateway_core.hpp"
#include "gateway/output_batch.hpp"
#include "gateway/protected_output.hpp"
#include "gateway/shunt_table.hpp"
#include "gateway/worker_requests.hpp"
#include "ipsec/data_plane.hpp"
#include "ipsec/packet_batch.hpp"

namespace cygnet::gateway {

// Per worker, for `cygnetctl stats` and the tests. One writer (the worker), relaxed atomics so
// the control thread may read them at any time.
struct WorkerCounters {
  std::atomic<std::uint64_t> tun_packets_read{0};  // cleartext packets handed to on_tun_packet
  std::atomic<std::uint64_t> protected_out{0};
  std::atomic<std::uint64_t> network_packets_in{0};  // ESP/AH packets handed to the worker
  std::atomic<std::uint64_t> decapsulated_in{0};
  std::atomic<std::uint64_t> outbound_drops{0};  // TooBig answers included
  std::atomic<std::uint64_t> inbound_drops{0};
  std::atomic<std::uint64_t> acquires{0};          // requests for an SA sent to the control thread
  std::atomic<std::uint64_t> requests_dropped{0};  // requests refused by a full request queue
  std::atomic<std::uint64_t> replicas_taken{0};    // data plane replicas picked up
};

class WorkerPath {
 public:
  // `index` numbers the worker (0, 1, ...): it keeps IPv6 fragment identifications apart.
  WorkerPath(std::size_t index, WorkerRequestQueue& requests);
  ~WorkerPath();
  WorkerPath(const WorkerPath&) = delete;
  WorkerPath& operator=(const WorkerPath&) = delete;

  // --- control thread
  // Hands over a new replica (replacing one not yet taken), with what the core knows about its
  // SAs and policies (route-based interfaces, shunts, per-resource SAs:
  // GatewayCore::replica_context()). The policies of this worker's per-resource SAs are bound to
  // them in the replica here.
  void publish(std::unique_ptr<ipsec::DataPlane> replica, ReplicaContext context = {});

  // --- worker thread
  // Takes the newest published replica, if any, and opens the batch: until publish_counters(),
  // each SA's statistics and lifetime use are added once per batch (ipsec/packet_batch.hpp).
  // Call before each batch. False while the worker
  // has never had one (then every packet is dropped as no_sa / policy_discard, counted). An
  // inbound packet for an unknown SPI also looks for a newer replica and is tried once more
  // (its first attempt stays counted as unknown_spi in the replaced replica's counters).
  bool refresh();
  OutboundVerdict on_tun_packet(ByteView ip_packet, TimePoint now, OutputBatch& out);
  InboundVerdict on_raw_packet(ByteView ip_packet, TimePoint now, OutputBatch& out);
  InboundVerdict on_esp_in_udp(ByteView esp, const ipsec::UdpEndpoints& endpoints, TimePoint now,
                               OutputBatch& out);
  // Closes the batch (the SAs' held counts added) and makes this worker's data plane counters
  // readable by data_plane_counters(). Call after a batch; never waits (the copy is skipped while
  // a reader holds them).
  void publish_counters();

  // --- any thread
  const WorkerCounters& counters() const { return counters_; }
  // The data plane counters of every replica this worker used, as of its last publish_counters().
  ipsec::GlobalCounters data_plane_counters() const;
  // Packets each shunt (by ShuntTable::key_of) decided on this worker, as of publish_counters().
  std::unordered_map<std::string, ShuntCounts> shunt_counts() const;
  std::size_t index() const { return index_; }

 private:
  // A published replica and its context, handed over as one.
  struct Replica {
    std::unique_ptr<ipsec::DataPlane> plane;
    ReplicaContext context;
  };
  bool take_pending();  // true: a newer replica replaced the current one
  void count_shunt(const std::optional<ipsec::PolicyId>& policy, bool outbound);
  InboundVerdict inbound_outcome(const ipsec::InboundOutcome& o, MutableByteView room, OutputBatch& out);
  void report_lifetime(const std::optional<ipsec::SaHandle>& sa, ipsec::LifetimeEvent event);
  void request(WorkerRequest request);

  const std::size_t index_;
  WorkerRequestQueue& requests_;
  std::atomic<Replica*> pending_{nullptr};   // published, not yet taken (owned)
  std::unique_ptr<ipsec::DataPlane> plane_;  // the worker's current replica
  ReplicaContext context_;                   // ... and its context
  std::unordered_map<std::string, ShuntCounts> shunt_counts_;
  ipsec::GlobalCounters retired_;  // counters of the replicas it replaced
  // After plane_: destroyed first, while the SAs it may still hold counts for are alive. Closed
  // before a replica is let go (take_pending), so every SA it noted outlives it.
  ipsec::PacketBatch batch_;
  ProtectedOutput protected_output_;
  WorkerCounters counters_;
  mutable std::mutex published_mutex_;
  ipsec::GlobalCounters published_;
  std::unordered_map<std::string, ShuntCounts> published_shunts_;
};

// Adds `from` into `into` (every traffic, drop and path MTU count).
void add_counters(ipsec::GlobalCounters& into, const ipsec::GlobalCounters& from);

}  // namespace cygnet::gateway
