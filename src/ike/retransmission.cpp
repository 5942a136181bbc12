#include "ike/retransmission.hpp"

#include <cmath>

namespace cygnet::ike {

Duration retransmit_delay(const EngineOptions& options, unsigned n) {
  const double ms = static_cast<double>(options.retransmit_timeout.count()) *
                    std::pow(options.retransmit_base, static_cast<double>(n));
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double, std::milli>(ms));
}

Duration retransmit_total(const EngineOptions& options) {
  Duration total{0};
  for (unsigned n = 0; n <= options.retransmit_tries; ++n) total += retransmit_delay(options, n);
  return total;
}

}  // namespace cygnet::ike
