// Per-batch accounting (issue 13): a data-plane worker handles packets in batches, so an SA's
// statistics and lifetime use are added to the shared counters once per batch rather than once
// per packet (the lifetime's byte and packet totals are atomics every worker writes; adding to
// them per packet bounces their cache line between cores).
//
// While a PacketBatch is open and in use on a thread (a PacketBatch::Use on the stack), each packet
// that thread completes on an SA is held in the thread's own shard of that SA (plain adds, no
// atomic), and the SA is noted in the batch. Lifetime limits are still checked for every packet,
// against the shared totals plus what this thread holds: on one thread that is exact; with several
// workers a limit is seen at most one batch per other worker late (each event is still reported
// exactly once, by the first packet that sees it). close() adds what was held to the SAs'
// counters and lifetimes, one addition per SA.
//
// Contract: every SA touched while the batch is open must outlive close(), which runs on the
// thread that held the counts (a worker closes its batch before it lets go of a data plane
// replica, gateway/worker_path.cpp). Only packets processed inside a Use are held, so other code
// on the same thread (and its SAs) is never affected. A batch notes at most kMaxSasPerBatch SAs;
// a packet on a further SA is accounted at once, as without a batch.
#pragma once

#include <array>
#include <cstddef>

namespace cygnet::ipsec {

class SecurityAssociation;

class PacketBatch {
 public:
  static constexpr std::size_t kMaxSasPerBatch = 32;

  PacketBatch() = default;
  ~PacketBatch() { close(); }
  PacketBatch(const PacketBatch&) = delete;
  PacketBatch& operator=(const PacketBatch&) = delete;

  // Starts collecting (a no-op when open already).
  void open() { open_ = true; }
  // Adds everything held to the SAs noted, and stops collecting. Safe to call when not open.
  void close();
  bool is_open() const { return open_; }

  // Makes `batch` the calling thread's batch for its lifetime (packets processed meanwhile are
  // held in it while it is open). Nested: the outer one stays in force.
  class Use {
   public:
    explicit Use(PacketBatch& batch);
    ~Use();
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;

   private:
    bool installed_ = false;
  };

  // --- for SecurityAssociation: the open batch in use on the calling thread, or nullptr
  static PacketBatch* current();
  // Notes `sa` as holding counts for this batch; false when the batch is full (account at once).
  bool note(SecurityAssociation& sa);

 private:
  std::array<SecurityAssociation*, kMaxSasPerBatch> touched_{};
  std::size_t touched_count_ = 0;
  bool open_ = false;
};

}  // namespace cygnet::ipsec
