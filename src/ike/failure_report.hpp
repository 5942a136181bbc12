// Why a connection is not up: the last negotiation failure per connection, for either role and
// either IKE version, with both sides' offers and the nearest match (`cygnetctl why NAME`, the
// `last_failure` of `status --json`). The exchange code records a detailed report where it knows
// both offers; every other failure event becomes a report with its event text as the summary.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.hpp"
#include "ike/algorithms.hpp"
#include "ike/engine.hpp"

namespace cygnet::ike {

enum class FailureClass : std::uint8_t {
  Proposal,
  TrafficSelectors,
  Identity,
  Certificate,
  Authentication,
  Timeout,
  PeerDead,
  Other,
};
const char* failure_class_name(FailureClass c);  // "proposal", "traffic-selectors", ...

enum class FailureRole : std::uint8_t { Initiator, Responder };
const char* failure_role_name(FailureRole r);  // "initiator", "responder"

struct FailureReport {
  TimePoint time{};
  std::string connection;  // empty: no connection matched the peer
  FailureRole role = FailureRole::Initiator;
  int ike_version = 2;
  std::string exchange;  // "IKE_SA_INIT", "IKE_AUTH", "CREATE_CHILD_SA", "Main Mode", ...
  FailureClass kind = FailureClass::Other;
  std::string summary;  // one line
  std::string peer;     // "192.0.2.1[500]"
  std::string child;    // the CHILD SA concerned, if any
  // What `ours` and `theirs` list: "IKE proposals", "ESP proposals", "traffic selectors",
  // "identities". `theirs` is empty when the peer did not show its side (an initiator only sees
  // the responder's notify).
  std::string subject;
  std::vector<std::string> ours;
  std::vector<std::string> theirs;
  std::string nearest;  // the closest pair of offers and how they differ
  std::string fix;      // the one change that would make both sides agree
  // Timeouts: the request nobody answered, how often it was sent again, and whether the peer's
  // address ever answered anything.
  std::string unanswered;
  unsigned retransmissions = 0;
  std::optional<bool> received_anything;
};

// The report in words, one line each: a headline, then the details that are known.
// `now` gives the age ("3 s ago").
std::vector<std::string> render_failure(const FailureReport& report, TimePoint now);

// Proposal mismatch analysis: which transform type has no overlap and the one change that would
// make the two sides agree. `peer` is what the other side offered, `ours` our configured list,
// `config_key` where ours come from ("ike_proposals", "esp_proposals").
struct ProposalDiagnosis {
  std::string nearest;
  std::string fix;
};
ProposalDiagnosis diagnose_proposals(const std::vector<Proposal>& peer, const std::vector<Proposal>& ours,
                                     std::string_view config_key);
std::vector<std::string> proposal_strings(const std::vector<Proposal>& proposals);

// Traffic selector mismatch analysis (responder): the peer's TSi/TSr against our remote_ts/local_ts.
struct SelectorDiagnosis {
  std::string nearest;
  std::string fix;
};
SelectorDiagnosis diagnose_selectors(const std::vector<wire::ikev2::TrafficSelector>& peer_tsi,
                                     const std::vector<wire::ikev2::TrafficSelector>& peer_tsr,
                                     const std::vector<wire::ikev2::TrafficSelector>& our_remote,
                                     const std::vector<wire::ikev2::TrafficSelector>& our_local,
                                     std::string_view child);
std::vector<std::string> selector_strings(const std::vector<wire::ikev2::TrafficSelector>& selectors);

// An authentication failure's words ("PSK mismatch ...", "untrusted certificate: ...") → its class.
FailureClass classify_authentication_failure(std::string_view why);

// The class of a failure event (nullopt: not a negotiation failure).
std::optional<FailureClass> failure_class_of(EventType type, std::string_view detail);

// A report with the fields every failure has; the caller adds what it knows beyond that.
FailureReport basic_failure_report(std::string connection, FailureRole role, int ike_version,
                                   std::string exchange, FailureClass kind, std::string summary,
                                   std::string peer);

// The last report per connection. The engine sets the time at each input; explicit reports are
// recorded before their failure event, which then adds nothing.
class FailureLog {
 public:
  // Each engine input (datagram, timer, operator command) starts here.
  void set_now(TimePoint now) {
    now_ = now;
    ++input_;
  }
  TimePoint now() const { return now_; }
  void record(FailureReport report);
  // A failure event (NoProposalChosen, TsUnacceptable, AuthenticationFailed, RetransmitGaveUp,
  // PeerDead) without a detailed report of this input becomes one from its text.
  void note_event(const Event& event, int ike_version);
  std::optional<FailureReport> last(std::string_view connection) const;
  // The last failure that no connection could be held responsible for (e.g. no connection
  // accepts the peer's addresses).
  const std::optional<FailureReport>& unattributed() const { return unattributed_; }

 private:
  TimePoint now_{};
  std::uint64_t input_ = 0;
  std::map<std::string, FailureReport, std::less<>> by_connection_;
  std::map<std::string, std::uint64_t, std::less<>> recorded_in_input_;
  std::optional<FailureReport> unattributed_;
};

}  // namespace cygnet::ike
