// Fuzz target: the control protocol. cygnetd parses whatever a local client writes to its control
// socket (parse_request), and cygnetctl renders whatever comes back (render_status/render_stats/render_why,
// which must cope with any JSON shape a different daemon version might send). Any input must give
// a request or an error sentence, and rendering must never throw or crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cli/stats_text.hpp"
#include "cli/status_text.hpp"
#include "cli/why_text.hpp"
#include "control/control_protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string error;
  const auto request = cygnet::control::parse_request(text, error);
  if (!request && error.empty()) std::abort();  // a refusal always says why
  const nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_discarded()) {
    (void)cygnet::cli::render_status(parsed);
    (void)cygnet::cli::render_stats(parsed);
    (void)cygnet::cli::render_why(parsed);
  }
  return 0;
}
