// The little HTTP/1.x the metrics endpoint needs: the request line of a GET, read from a buffer
// that may hold only part of the request. Headers are skipped (nothing in them matters here); the
// request ends at the blank line. Anything else is refused with the status to answer.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cygnet::daemon {

// A request head larger than this is refused (431): a scraper sends a few hundred bytes.
inline constexpr std::size_t kMaxHttpRequestBytes = 8192;

struct HttpRequest {
  enum class Outcome { Incomplete, Complete, Bad };
  Outcome outcome = Outcome::Incomplete;
  std::string method;    // Complete: "GET", "POST", ...
  std::string path;      // Complete: the target without its query string
  int error_status = 0;  // Bad: 400, 431 or 505
  std::string error;     // Bad: why, in words
};

// Looks at everything received so far.
HttpRequest parse_http_request(std::string_view received);

// A whole HTTP/1.0 response with Connection: close.
std::string http_response(int status, std::string_view content_type, std::string_view body);
const char* http_status_text(int status);

}  // namespace cygnet::daemon
