// The metrics endpoint's request parser: complete, incomplete and refused requests.
#include "daemon/http_request.hpp"

#include <gtest/gtest.h>

#include <string>

namespace cygnet::daemon {
namespace {

TEST(HttpRequest, CompleteGetWithHeadersAndQuery) {
  const HttpRequest r = parse_http_request("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n");
  ASSERT_EQ(r.outcome, HttpRequest::Outcome::Complete);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/metrics");
}

TEST(HttpRequest, BareLineFeedsAndHttp10) {
  const HttpRequest r = parse_http_request("POST /other HTTP/1.0\n\n");
  ASSERT_EQ(r.outcome, HttpRequest::Outcome::Complete);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/other");
}

TEST(HttpRequest, IncompleteUntilTheBlankLine) {
  EXPECT_EQ(parse_http_request("").outcome, HttpRequest::Outcome::Incomplete);
  EXPECT_EQ(parse_http_request("GET /metr").outcome, HttpRequest::Outcome::Incomplete);
  EXPECT_EQ(parse_http_request("GET /metrics HTTP/1.1\r\nHost: a\r\n").outcome,
            HttpRequest::Outcome::Incomplete);
}

TEST(HttpRequest, BadRequestLinesAreRefusedAtOnce) {
  for (const char* bad : {"\r\n", "GET\r\n", "GET /metrics\r\n", " /metrics HTTP/1.1\r\n",
                          "G(T / HTTP/1.1\r\n", "GET  HTTP/1.1\r\n", "GET / HTTP/1\r\n", "GET / http/1.1\r\n",
                          "GET /\x01 HTTP/1.1\r\n", "GET / HTTP/1.1 extra\r\n", "\x16\x03\x01\x02\x01\n"}) {
    const HttpRequest r = parse_http_request(bad);
    EXPECT_EQ(r.outcome, HttpRequest::Outcome::Bad) << bad;
    EXPECT_EQ(r.error_status, 400) << bad;
    EXPECT_FALSE(r.error.empty());
  }
  EXPECT_EQ(parse_http_request("GET / HTTP/2.0\r\n\r\n").error_status, 505);
}

TEST(HttpRequest, OversizedHeadIsRefusedWith431) {
  const std::string endless = "GET /metrics HTTP/1.1\r\nX: " + std::string(kMaxHttpRequestBytes, 'a');
  const HttpRequest r = parse_http_request(endless);
  EXPECT_EQ(r.outcome, HttpRequest::Outcome::Bad);
  EXPECT_EQ(r.error_status, 431);
  const HttpRequest complete_but_huge = parse_http_request(endless + "\r\n\r\n");
  EXPECT_EQ(complete_but_huge.error_status, 431);
}

TEST(HttpRequest, ResponsesCloseAndCarryTheirLength) {
  EXPECT_EQ(http_response(404, "text/plain", "no\n"),
            "HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
            "Connection: close\r\n\r\nno\n");
  EXPECT_NE(http_response(405, "text/plain", "").find("\r\nAllow: GET, HEAD\r\n"), std::string::npos);
}

}  // namespace
}  // namespace cygnet::daemon
