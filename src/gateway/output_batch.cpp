#include "gateway/output_batch.hpp"

#include <algorithm>
#include <cstring>

namespace cygnet::gateway {

void OutputBatch::clear() {
  used_ = 0;
  packets_.clear();
  events.clear();
  applied.clear();
  resolves.clear();
  revocation_fetches.clear();
  radius_requests.clear();
  leases_changed = false;
  virtual_ip_changes.clear();
  notices.clear();
  binding_errors.clear();
  selectors_changed = false;
}

MutableByteView OutputBatch::reserve(std::size_t max_length) {
  // Grows geometrically and only past the largest batch seen so far: steady state never resizes.
  if (arena_.size() < used_ + max_length) arena_.resize(std::max(arena_.size() * 2, used_ + max_length));
  return MutableByteView(arena_.data() + used_, max_length);
}

void OutputBatch::commit(const OutputPacket& descriptor, std::size_t length, std::size_t skip) {
  OutputPacket p = descriptor;
  p.offset = used_ + skip;
  p.length = length - skip;
  used_ += length;
  packets_.push_back(p);
}

void OutputBatch::add(const OutputPacket& descriptor, ByteView bytes) {
  MutableByteView room = reserve(bytes.size());
  if (!bytes.empty()) std::memcpy(room.data(), bytes.data(), bytes.size());
  commit(descriptor, bytes.size());
}

}  // namespace cygnet::gateway
