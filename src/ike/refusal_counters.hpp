// Requests refused to protect the responder from hostile peers and networks, by reason (both IKE
// versions). Surfaced in `cygnetctl stats` and the Prometheus metrics, and logged at a rate limit
// by the daemon.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace cygnet::ike {

enum class RefusalReason : std::uint8_t {
  HalfOpenGlobalCap,     // no state, no DH work: max_half_open responder SAs already exist
  HalfOpenPerSourceCap,  // ... or max_half_open_per_source from this address (cookie or not)
  RequestBeforeAuth,     // INFORMATIONAL / CREATE_CHILD_SA on an IKE SA before IKE_AUTH completed
  AddressChange,         // an authenticated request from another address without a NAT to explain it
  RepeatBudget,          // a repeated first message got no more answers (amplification bound)
  UnverifiedEvicted,     // IKEv1 at the global cap: the oldest Main Mode SA whose peer never
                         // returned our cookie (no DH done) made room for a new MM1
  UnknownExchange,       // an IKEv2 exchange type no task knows: dropped unless it arrives as a
                         // request inside an established IKE SA (then answered INVALID_SYNTAX)
};
inline constexpr std::size_t kRefusalReasonCount = 7;

// "half_open_global_cap", ...: stats keys and metrics labels.
const char* refusal_reason_name(RefusalReason r);

struct RefusalCounters {
  std::array<std::uint64_t, kRefusalReasonCount> by_reason{};
  void count(RefusalReason r) { ++by_reason[static_cast<std::size_t>(r)]; }
  std::uint64_t operator[](RefusalReason r) const { return by_reason[static_cast<std::size_t>(r)]; }
};

}  // namespace cygnet::ike
