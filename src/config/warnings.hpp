// Valid but weak configuration choices, reported by `cygnetctl check`: legacy algorithms, short
// PSKs, aggressive mode with a PSK, missing PFS, disabled DPD or anti-replay, very long lifetimes.
// Never errors: the configuration loads either way.
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"

namespace cygnet::config {

// Above this, a lifetime keeps one key in use (and one SA exposed) for unusually long.
inline constexpr Seconds kLongLifetime{24 * 3600};
// Below this, a PSK is within reach of a dictionary or brute-force attack on a captured exchange.
inline constexpr std::size_t kShortPskLength = 20;

// One line per finding, "warning: connection 'x': ..." or "note: ..." (a note is a choice that
// may well be deliberate), in the order of the connections and children.
std::vector<std::string> weak_choices(const Config& config);

}  // namespace cygnet::config
