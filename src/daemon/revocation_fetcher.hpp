// Fetching CRLs and OCSP responses for the engine's FetchRevocation actions, off the event loop:
// one worker thread drives a libcurl multi handle (every URI of a request in parallel), and hands
// each finished request back through a queue and an eventfd the loop watches, as resolver.hpp
// does for host names. HTTP only (plus file:// for CRLs, which only an [authorities] table can
// name: the engine passes no file:// URI from a certificate), no redirects, connect timeout 5 s,
// 10 s in all, at most 4 MiB. CRLs are cached by URI until their nextUpdate (bounded); OCSP
// answers are not (each carries its request's nonce; the engine caches the verdict).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ike/engine.hpp"

namespace cygnet::daemon {

struct RevocationFetchResult {
  std::uint64_t request = 0;
  ike::RevocationData data;
};

struct RevocationFetchCounters {
  std::uint64_t requests = 0;   // FetchRevocation actions handled
  std::uint64_t downloads = 0;  // URIs fetched successfully (HTTP 200 or a file)
  std::uint64_t failures = 0;   // URIs that failed (unreachable, HTTP error, too large, timeout)
  std::uint64_t crl_cache_hits = 0;
};

class RevocationFetcher {
 public:
  static constexpr std::chrono::seconds kConnectTimeout{5};
  static constexpr std::chrono::seconds kTotalTimeout{10};
  static constexpr std::size_t kMaxCachedCrls = 64;

  RevocationFetcher();   // throws std::system_error / std::runtime_error
  ~RevocationFetcher();  // stops the worker; transfers in progress are abandoned
  RevocationFetcher(const RevocationFetcher&) = delete;
  RevocationFetcher& operator=(const RevocationFetcher&) = delete;

  int fd() const { return event_fd_; }  // readable when results are waiting
  void fetch(const ike::FetchRevocation& request);
  std::vector<RevocationFetchResult> take_results();
  RevocationFetchCounters counters() const;

 private:
  struct CachedCrl {
    Bytes data;
    std::chrono::system_clock::time_point expires;
  };
  void work();
  RevocationFetchResult run(const ike::FetchRevocation& request);
  void remember_crl(const std::string& uri, const Bytes& data);

  int event_fd_ = -1;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<ike::FetchRevocation> requests_;
  std::vector<RevocationFetchResult> results_;
  std::map<std::string, CachedCrl> crl_cache_;
  RevocationFetchCounters counters_;
  bool stopping_ = false;
  void* multi_ = nullptr;  // CURLM*, used by the worker only (and curl_multi_wakeup on stop)
  std::thread worker_;     // last: starts once everything above exists
};

}  // namespace cygnet::daemon
