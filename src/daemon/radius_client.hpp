// The gateway's RADIUS client (EAP-RADIUS, RFC 3579; accounting, RFC 2866) on top of radcli, whose
// calls block: a few worker threads, each with its own radcli handle, take requests from a
// bounded queue and hand each answer back through a queue and an eventfd the event loop watches
// (as revocation_fetcher.hpp does). The interface is asynchronous so the IKE engine can park an
// IKE_AUTH while RADIUS decides: submit(session, EAP message, State) → later, from take_results(),
// the outcome for that session.
//
// Servers are tried in order; one that does not answer within `timeout` × (1 + `retries`) is
// skipped for the next. A conversation that has a State stays on the server that issued it.
// radcli 1.2.11 logs a Response Authenticator mismatch but still hands the answer back, so an
// Access-Accept is believed only when its MS-MPPE keys decrypt under our secret
// (crypto/radius_mppe_key.hpp); FreeRADIUS itself drops requests whose Message-Authenticator
// (or accounting Request Authenticator) does not verify, which shows here as no answer.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "base/bytes.hpp"
#include "base/time.hpp"
#include "config/radius_settings.hpp"
#include "crypto/secure_bytes.hpp"
#include "wire/ip_address.hpp"

namespace cygnet::daemon {

struct RadiusAuthRequest {
  std::uint64_t session = 0;  // the caller's handle (an IKE SA), returned with the outcome
  std::string user_name;      // the EAP identity (User-Name)
  Bytes eap_message;          // the peer's EAP Response
  Bytes state;                // the last Access-Challenge's State; empty on the first round
  // The server that answered the previous round (RadiusAuthResult::server): with a State, the
  // conversation must stay there. nullopt: every server in order.
  std::optional<std::size_t> server;
};

enum class RadiusOutcome : std::uint8_t {
  Challenge,  // Access-Challenge: send eap_message to the peer, submit its answer with state
  Accept,     // Access-Accept: eap_message (EAP-Success) to the peer, msk keys AUTH
  Reject,     // Access-Reject: eap_message (EAP-Failure, may be empty), authentication failed
  Failed,     // no usable answer (servers unreachable, wrong secret, malformed): failed, reason says why
};
const char* radius_outcome_name(RadiusOutcome outcome);

struct RadiusAuthResult {
  std::uint64_t session = 0;
  RadiusOutcome outcome = RadiusOutcome::Failed;
  Bytes eap_message;
  Bytes state;
  std::optional<crypto::SecureBytes> msk;  // Accept only
  std::optional<std::size_t> server;       // the index of the server that answered
  std::string reason;                      // for the log: what happened (never a secret)
};

enum class AccountingStatus : std::uint8_t { Start = 1, Stop = 2, InterimUpdate = 3 };  // Acct-Status-Type
const char* accounting_status_name(AccountingStatus status);

struct AccountingRecord {
  AccountingStatus status = AccountingStatus::Start;
  std::string session_id;  // Acct-Session-Id: the same for Start, Interim-Update and Stop
  std::string user_name;
  std::optional<wire::IpAddress> framed_address;  // the client's virtual address
  std::uint64_t octets_from_client = 0;           // Acct-Input-Octets (+ Gigawords)
  std::uint64_t octets_to_client = 0;             // Acct-Output-Octets (+ Gigawords)
  std::uint64_t packets_from_client = 0;
  std::uint64_t packets_to_client = 0;
  std::uint32_t session_seconds = 0;  // Acct-Session-Time (Interim-Update and Stop)
  // Acct-Terminate-Cause (RFC 2866 §5.10), Stop only: 1 User-Request (the client deleted the IKE
  // SA), 4 Idle-Timeout (dead peer), 6 Admin-Reset (cygnetctl / shutdown), 9 NAS-Error.
  std::uint32_t terminate_cause = 1;
};

struct AccountingResult {
  std::string session_id;
  AccountingStatus status = AccountingStatus::Start;
  bool acknowledged = false;
  std::string reason;
};

struct RadiusCounters {
  std::uint64_t access_requests = 0;  // Access-Requests sent (one per round, not per retransmission)
  std::uint64_t accepts = 0;
  std::uint64_t rejects = 0;
  std::uint64_t challenges = 0;
  std::uint64_t failures = 0;         // rounds that ended Failed
  std::uint64_t server_timeouts = 0;  // a server that did not answer a round (failover)
  std::uint64_t accounting_sent = 0;
  std::uint64_t accounting_failed = 0;
  std::uint64_t refused_busy = 0;  // submit()/account() refused: the queue was full
};

class RadiusClient {
 public:
  static constexpr std::size_t kWorkers = 4;      // requests on the wire at once
  static constexpr std::size_t kMaxQueued = 256;  // waiting for a worker; beyond: refused

  explicit RadiusClient(const config::RadiusSettings& settings);  // throws std::runtime_error
  // Stops the workers: each finishes the request it is in, queued accounting records still go out
  // (bounded by the timeouts), queued Access-Requests are dropped.
  ~RadiusClient();
  RadiusClient(const RadiusClient&) = delete;
  RadiusClient& operator=(const RadiusClient&) = delete;

  int fd() const { return event_fd_; }  // readable when results are waiting
  // false (and counted) when kMaxQueued requests already wait: answer the peer with a failure.
  bool submit(RadiusAuthRequest request);
  // false when accounting is off or the queue is full.
  bool account(AccountingRecord record);
  std::vector<RadiusAuthResult> take_results();
  std::vector<AccountingResult> take_accounting_results();
  RadiusCounters counters() const;
  bool accounting_enabled() const { return accounting_; }
  Seconds interim_interval() const { return interim_interval_; }

  struct Shared;  // what the workers read (servers, secret): defined in radius_client.cpp

 private:
  using Job = std::variant<RadiusAuthRequest, AccountingRecord>;
  void work();
  void post(Job job);

  const bool accounting_;
  const Seconds interim_interval_;
  int event_fd_ = -1;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  std::vector<RadiusAuthResult> results_;
  std::vector<AccountingResult> accounting_results_;
  RadiusCounters counters_;
  bool stopping_ = false;
  std::unique_ptr<Shared> shared_;
  std::vector<std::thread> workers_;  // last: start once everything above exists
};

}  // namespace cygnet::daemon
