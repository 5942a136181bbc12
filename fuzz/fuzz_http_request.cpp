// Fuzz target: the metrics endpoint's HTTP request parser (anyone who can reach [daemon] metrics
// sends it bytes), fed whole and, as a slow client would, in two pieces; plus the "ADDRESS:PORT"
// parser of the metrics setting. Every outcome must be consistent: a complete request has a
// method and a path without its query, a refusal has a status and a reason.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/listen_endpoint.hpp"
#include "daemon/http_request.hpp"

namespace {

void check(const cygnet::daemon::HttpRequest& r) {
  using Outcome = cygnet::daemon::HttpRequest::Outcome;
  if (r.outcome == Outcome::Complete && (r.method.empty() || r.path.find('?') != std::string::npos))
    std::abort();
  if (r.outcome == Outcome::Bad && (r.error_status < 400 || r.error.empty())) std::abort();
  if (r.outcome != Outcome::Bad && r.error_status != 0) std::abort();
  // An answer can always be built for it.
  if (cygnet::daemon::http_response(r.error_status == 0 ? 200 : r.error_status, "text/plain", r.error)
          .empty())
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto whole = cygnet::daemon::parse_http_request(text);
  check(whole);
  // What a client sent so far: a prefix is never "complete" with another request line.
  const auto half = cygnet::daemon::parse_http_request(text.substr(0, size / 2));
  check(half);
  if (half.outcome == cygnet::daemon::HttpRequest::Outcome::Complete &&
      (whole.outcome != half.outcome || whole.method != half.method || whole.path != half.path)) {
    std::abort();
  }
  std::string error;
  const auto endpoint = cygnet::config::parse_listen_endpoint(text, error);
  if (!endpoint && error.empty()) std::abort();
  if (endpoint) {
    // What it prints reads back as the same endpoint.
    std::string again_error;
    const auto again = cygnet::config::parse_listen_endpoint(endpoint->to_string(), again_error);
    if (!again || !(*again == *endpoint)) std::abort();
  }
  return 0;
}
