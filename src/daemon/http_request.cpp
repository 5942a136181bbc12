#include "daemon/http_request.hpp"

#include <algorithm>

namespace cygnet::daemon {
namespace {

HttpRequest bad(int status, std::string why) {
  HttpRequest r;
  r.outcome = HttpRequest::Outcome::Bad;
  r.error_status = status;
  r.error = std::move(why);
  return r;
}

// RFC 9110 token characters, for the method.
bool is_token_char(char c) {
  if (c >= 'A' && c <= 'Z') return true;
  if (c >= 'a' && c <= 'z') return true;
  if (c >= '0' && c <= '9') return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_visible(char c) {
  return c > ' ' && c < '\x7f';
}

}  // namespace

HttpRequest parse_http_request(std::string_view received) {
  // The head ends at the first empty line; clients may use bare LF (RFC 9112 §2.2 allows it).
  std::size_t head_end = std::string_view::npos;
  for (std::string_view terminator : {std::string_view("\r\n\r\n"), std::string_view("\n\n")}) {
    const std::size_t at = received.find(terminator);
    if (at != std::string_view::npos) head_end = std::min(head_end, at);
  }
  if (head_end == std::string_view::npos) {
    if (received.size() >= kMaxHttpRequestBytes) return bad(431, "request head longer than 8192 bytes");
    // A request line that is already wrong need not wait for the rest.
    const std::size_t line_end = received.find('\n');
    if (line_end == std::string_view::npos) return {};
    received = received.substr(0, line_end + 1);
  } else if (head_end >= kMaxHttpRequestBytes) {
    return bad(431, "request head longer than 8192 bytes");
  }
  std::string_view line = received.substr(0, received.find('\n'));
  if (line.ends_with('\r')) line.remove_suffix(1);

  const std::size_t first_space = line.find(' ');
  if (first_space == std::string_view::npos || first_space == 0) return bad(400, "malformed request line");
  const std::string_view method = line.substr(0, first_space);
  if (!std::all_of(method.begin(), method.end(), is_token_char)) return bad(400, "malformed method");
  const std::string_view rest = line.substr(first_space + 1);
  const std::size_t second_space = rest.find(' ');
  if (second_space == std::string_view::npos || second_space == 0) return bad(400, "malformed request line");
  const std::string_view target = rest.substr(0, second_space);
  const std::string_view version = rest.substr(second_space + 1);
  if (!std::all_of(target.begin(), target.end(), is_visible)) return bad(400, "malformed request target");
  if (version.size() != 8 || !version.starts_with("HTTP/") || version[6] != '.' || version[5] < '0' ||
      version[5] > '9' || version[7] < '0' || version[7] > '9') {
    return bad(400, "malformed HTTP version");
  }
  if (version[5] != '1') return bad(505, "only HTTP/1.x is served");

  if (head_end == std::string_view::npos) return {};  // the line is fine; the headers are still coming
  HttpRequest r;
  r.outcome = HttpRequest::Outcome::Complete;
  r.method = std::string(method);
  r.path = std::string(target.substr(0, target.find('?')));
  return r;
}

const char* http_status_text(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
  }
}

std::string http_response(int status, std::string_view content_type, std::string_view body) {
  std::string out = "HTTP/1.0 " + std::to_string(status) + " " + http_status_text(status) + "\r\n";
  out += "Content-Type: ";
  out += content_type;
  out += "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  if (status == 405) out += "Allow: GET, HEAD\r\n";
  out += "Connection: close\r\n\r\n";
  out += body;
  return out;
}

}  // namespace cygnet::daemon
