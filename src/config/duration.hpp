// Durations in the configuration: "30s", "15m", "4h", "1d", combinations in descending order such
// as "1h30m", or a plain integer meaning seconds ("90" or the TOML integer 90).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/time.hpp"

namespace cygnet::config {

// 100 years: far beyond any sensible lifetime, and small enough that adding it to a steady_clock
// time point in nanoseconds cannot overflow (2^63 ns is about 292 years).
inline constexpr Seconds kMaxDuration{100LL * 365 * 24 * 3600};

struct DurationParse {
  std::optional<Seconds> value;
  std::string error;  // e.g. "unknown unit 'x' in '5x' (use s, m, h or d)"
};

// Accepts 0 ("0s"); whether zero is allowed is the caller's rule (dpd_delay = 0 disables DPD).
DurationParse parse_duration(std::string_view text);
// Same check for a TOML integer (seconds).
DurationParse duration_from_seconds(long long seconds);

// The shortest form parse_duration reads back: "0s", "45s", "1h30m", "1d".
std::string format_duration(Seconds duration);

}  // namespace cygnet::config
