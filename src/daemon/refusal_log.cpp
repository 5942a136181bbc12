#include "daemon/refusal_log.hpp"

#include <chrono>

namespace cygnet::daemon {

std::vector<std::string> RefusalLog::lines_due(const ike::RefusalCounters& counters, TimePoint now) {
  std::vector<std::string> out;
  for (std::size_t r = 0; r < ike::kRefusalReasonCount; ++r) {
    const std::uint64_t value = counters.by_reason[r];
    if (value <= logged_[r]) continue;
    if (ever_[r] && now - last_line_[r] < interval_) continue;  // suppressed; counted in the next line
    const std::string since =
        ever_[r] ? "in the last " +
                       std::to_string(std::chrono::duration_cast<Seconds>(now - last_line_[r]).count()) + " s"
                 : "so far";
    out.push_back("refused " + std::to_string(value - logged_[r]) + " IKE request(s) (" +
                  ike::refusal_reason_name(static_cast<ike::RefusalReason>(r)) + ") " + since);
    logged_[r] = value;
    last_line_[r] = now;
    ever_[r] = true;
  }
  return out;
}

}  // namespace cygnet::daemon
