#include "ike/refusal_counters.hpp"

namespace cygnet::ike {

const char* refusal_reason_name(RefusalReason r) {
  switch (r) {
    case RefusalReason::HalfOpenGlobalCap: return "half_open_global_cap";
    case RefusalReason::HalfOpenPerSourceCap: return "half_open_per_source_cap";
    case RefusalReason::RequestBeforeAuth: return "request_before_auth";
    case RefusalReason::AddressChange: return "address_change";
    case RefusalReason::RepeatBudget: return "repeat_budget";
    case RefusalReason::UnverifiedEvicted: return "unverified_evicted";
    case RefusalReason::UnknownExchange: return "unknown_exchange";
  }
  return "unknown";
}

}  // namespace cygnet::ike
