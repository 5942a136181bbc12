#include "ipsec/drop_reason.hpp"

namespace cygnet::ipsec {

const char* drop_reason_name(DropReason reason) {
  switch (reason) {
    case DropReason::UnknownSpi: return "unknown_spi";
    case DropReason::Replay: return "replay";
    case DropReason::TooOld: return "too_old";
    case DropReason::IcvFailure: return "icv_failure";
    case DropReason::BadPadding: return "bad_padding";
    case DropReason::Malformed: return "malformed";
    case DropReason::PolicyMismatch: return "policy_mismatch";
    case DropReason::SequenceExhausted: return "sequence_exhausted";
    case DropReason::Expired: return "expired";
    case DropReason::PolicyDiscard: return "policy_discard";
    case DropReason::NoSa: return "no_sa";
    case DropReason::DummyPacket: return "dummy_packet";
    case DropReason::BufferTooSmall: return "buffer_too_small";
    case DropReason::TooBig: return "too_big";
    case DropReason::NoWorkerSlot: return "no_worker_slot";
    case DropReason::kCount: break;
  }
  return "unknown";
}

}  // namespace cygnet::ipsec
