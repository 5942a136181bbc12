#include "ipsec/packet_batch.hpp"

#include "ipsec/security_association.hpp"

namespace cygnet::ipsec {

namespace {
// The batch in use on this thread. Trivially initialised: one TLS load per packet, no guard.
thread_local PacketBatch* t_batch_in_use = nullptr;
}  // namespace

void PacketBatch::close() {
  if (!open_) return;
  for (std::size_t i = 0; i < touched_count_; ++i) touched_[i]->release_held();
  touched_count_ = 0;
  open_ = false;
}

PacketBatch::Use::Use(PacketBatch& batch) {
  if (t_batch_in_use != nullptr) return;
  t_batch_in_use = &batch;
  installed_ = true;
}

PacketBatch::Use::~Use() {
  if (installed_) t_batch_in_use = nullptr;
}

PacketBatch* PacketBatch::current() {
  PacketBatch* batch = t_batch_in_use;
  return batch != nullptr && batch->open_ ? batch : nullptr;
}

bool PacketBatch::note(SecurityAssociation& sa) {
  if (touched_count_ == touched_.size()) return false;
  touched_[touched_count_++] = &sa;
  return true;
}

}  // namespace cygnet::ipsec
