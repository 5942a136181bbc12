#include "ike/engine_metrics.hpp"

#include "ike/engine.hpp"

namespace cygnet::ike {

const char* exchange_kind_name(ExchangeKind kind) {
  switch (kind) {
    case ExchangeKind::IkeSaInit: return "IKE_SA_INIT";
    case ExchangeKind::IkeAuth: return "IKE_AUTH";
    case ExchangeKind::CreateChildSa: return "CREATE_CHILD_SA";
    case ExchangeKind::Informational: return "INFORMATIONAL";
    case ExchangeKind::MainMode: return "MAIN_MODE";
    case ExchangeKind::AggressiveMode: return "AGGRESSIVE_MODE";
    case ExchangeKind::QuickMode: return "QUICK_MODE";
    case ExchangeKind::InformationalV1: return "INFORMATIONAL_V1";
    case ExchangeKind::kCount: break;
  }
  return "?";
}

const char* exchange_role_name(ExchangeRole role) {
  return role == ExchangeRole::Initiator ? "initiator" : "responder";
}

const char* failure_reason_name(FailureReason reason) {
  switch (reason) {
    case FailureReason::NoProposalChosen: return "no_proposal_chosen";
    case FailureReason::TsUnacceptable: return "ts_unacceptable";
    case FailureReason::AuthenticationFailed: return "authentication_failed";
    case FailureReason::Timeout: return "timeout";
    case FailureReason::PeerDead: return "peer_dead";
    case FailureReason::Malformed: return "malformed";
    case FailureReason::InvalidKe: return "invalid_ke";
    case FailureReason::Other: return "other";
    case FailureReason::kCount: break;
  }
  return "?";
}

std::optional<FailureReason> failure_reason_of(EventType type) {
  switch (type) {
    case EventType::NoProposalChosen: return FailureReason::NoProposalChosen;
    case EventType::TsUnacceptable: return FailureReason::TsUnacceptable;
    case EventType::AuthenticationFailed: return FailureReason::AuthenticationFailed;
    case EventType::RetransmitGaveUp: return FailureReason::Timeout;
    case EventType::PeerDead: return FailureReason::PeerDead;
    case EventType::MalformedMessage: return FailureReason::Malformed;
    case EventType::InvalidKeRetry: return FailureReason::InvalidKe;
    case EventType::InternalAddressFailure:
    case EventType::Error: return FailureReason::Other;
    default: return std::nullopt;
  }
}

void LatencyHistogram::observe(Duration elapsed) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  ++count;
  sum_seconds += seconds;
  for (std::size_t i = 0; i < kUpperBoundsSeconds.size(); ++i) {
    if (seconds <= kUpperBoundsSeconds[i]) {
      ++per_bucket[i];
      return;
    }
  }
}

std::uint64_t LatencyHistogram::cumulative(std::size_t bucket) const {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i <= bucket && i < per_bucket.size(); ++i) total += per_bucket[i];
  return total;
}

}  // namespace cygnet::ike
