// What the engine counts for monitoring beyond the plain counters: exchanges by kind and role,
// failures by reason, and how long handshakes take. Times come from the `now` the engine is
// given, so this stays clock-free like the rest of src/ike.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "base/time.hpp"

namespace cygnet::ike {

enum class EventType : std::uint8_t;

// IKEv2 exchanges, then IKEv1's.
enum class ExchangeKind : std::uint8_t {
  IkeSaInit,
  IkeAuth,
  CreateChildSa,
  Informational,
  MainMode,
  AggressiveMode,
  QuickMode,
  InformationalV1,
  kCount,
};
inline constexpr std::size_t kExchangeKindCount = static_cast<std::size_t>(ExchangeKind::kCount);
const char* exchange_kind_name(ExchangeKind kind);  // "IKE_SA_INIT", "MAIN_MODE", ...

enum class ExchangeRole : std::uint8_t { Initiator, Responder };
inline constexpr std::size_t kExchangeRoleCount = 2;
const char* exchange_role_name(ExchangeRole role);  // "initiator" | "responder"

// Why a negotiation failed or an SA went down unplanned: a small fixed set, for metric labels.
enum class FailureReason : std::uint8_t {
  NoProposalChosen,
  TsUnacceptable,
  AuthenticationFailed,
  Timeout,   // retransmissions exhausted, half-open expired
  PeerDead,  // liveness check unanswered
  Malformed,
  InvalidKe,  // the peer asked for another key exchange group
  Other,
  kCount,
};
inline constexpr std::size_t kFailureReasonCount = static_cast<std::size_t>(FailureReason::kCount);
const char* failure_reason_name(FailureReason reason);  // "no_proposal_chosen", ...
// The failure an event reports, or nullopt for events that are not failures.
std::optional<FailureReason> failure_reason_of(EventType type);

// Time from the first IKE_SA_INIT / MM1 / AM1 to an established IKE SA, in fixed buckets (upper
// bounds in seconds, Prometheus-style; the last bucket, +Inf, is implicit in `count`).
struct LatencyHistogram {
  static constexpr std::array<double, 12> kUpperBoundsSeconds{0.005, 0.01, 0.025, 0.05, 0.1,  0.25,
                                                              0.5,   1.0,  2.5,   5.0,  10.0, 30.0};
  std::array<std::uint64_t, kUpperBoundsSeconds.size()> per_bucket{};  // not cumulative
  std::uint64_t count = 0;
  double sum_seconds = 0;

  void observe(Duration elapsed);
  // Observations ≤ kUpperBoundsSeconds[i] (what Prometheus's _bucket{le=...} reports).
  std::uint64_t cumulative(std::size_t bucket) const;
};

struct ExchangeCounters {
  std::array<std::array<std::uint64_t, kExchangeRoleCount>, kExchangeKindCount> counts{};
  void count(ExchangeKind kind, ExchangeRole role) {
    ++counts[static_cast<std::size_t>(kind)][static_cast<std::size_t>(role)];
  }
  std::uint64_t get(ExchangeKind kind, ExchangeRole role) const {
    return counts[static_cast<std::size_t>(kind)][static_cast<std::size_t>(role)];
  }
};

struct FailureCounters {
  std::array<std::uint64_t, kFailureReasonCount> by_reason{};
  std::uint64_t get(FailureReason reason) const { return by_reason[static_cast<std::size_t>(reason)]; }
};

}  // namespace cygnet::ike
