// How one protected packet becomes entries of an OutputBatch: a whole ESP/AH packet for the raw
// socket, the ESP part of an ESP-in-UDP packet for the UDP socket, or IP fragments when it is
// larger than the path MTU and the inner packet allowed fragmentation. Shared by the gateway core
// and the per-worker data path (worker_path.hpp); each owns one (its scratch buffers).
#pragma once

#include <cstdint>

#include "base/bytes.hpp"
#include "gateway/output_batch.hpp"
#include "ipsec/data_plane.hpp"

namespace cygnet::gateway {

class ProtectedOutput {
 public:
  // `first_fragment_id`: where IPv6 Fragment identifications start; workers start apart so that
  // two of them never fragment toward one peer with the same identification at the same time.
  explicit ProtectedOutput(std::uint32_t first_fragment_id = 1) : next_fragment_id_(first_fragment_id) {}

  // `o` is a Protected outcome whose packet sits uncommitted at the end of `out`, from `sa`.
  // False when the packet had to be fragmented and could not be (nothing emitted).
  bool emit(const ipsec::OutboundOutcome& o, const ipsec::SecurityAssociation& sa, OutputBatch& out);

 private:
  Bytes fragment_source_;  // an outer packet being fragmented
  Bytes fragment_scratch_ = Bytes(65536);
  std::uint32_t next_fragment_id_;  // IPv6 Fragment header identification
};

}  // namespace cygnet::gateway
