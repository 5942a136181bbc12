// The IKEv2 engine's failure reports (failure_report.hpp): built where a negotiation fails, with
// what each side offered, and kept per connection for `cygnetctl why`.
#include <cstdlib>

#include "ike/peer_certificate.hpp"
#include "ike/v2/ikev2_engine.hpp"

namespace cygnet::ike {

namespace {

// select_proposal's explanation ends with the reasons: "peer offered [...]; we accept [...]: no
// common key exchange group".
std::string reasons_of(const std::string& explanation) {
  const auto at = explanation.rfind("]: ");
  return at == std::string::npos ? explanation : explanation.substr(at + 3);
}

const char* child_proposal_key(const ChildSettings& child) {
  return child.protocol == ipsec::IpsecProtocol::Ah ? "ah_proposals" : "esp_proposals";
}

const char* child_proposal_subject(const ChildSettings& child) {
  return child.protocol == ipsec::IpsecProtocol::Ah ? "AH proposals" : "ESP proposals";
}

FailureRole role_of(const IkeSa& sa) {
  return sa.initiator ? FailureRole::Initiator : FailureRole::Responder;
}

// "peer used AUTH method 14, we expect a PSK" → "digital signature (RFC 7427)".
std::string peer_auth_method(const std::string& why) {
  const std::string marker = "AUTH method ";
  const auto at = why.find(marker);
  if (at == std::string::npos) return "another method";
  const int method = std::atoi(why.c_str() + at + marker.size());
  switch (method) {
    case 1: return "an RSA signature (AUTH method 1)";
    case 2: return "a PSK (AUTH method 2)";
    case 9:
    case 10:
    case 11: return "an ECDSA signature (AUTH method " + std::to_string(method) + ")";
    case 14: return "a digital signature (AUTH method 14, RFC 7427)";
    default: return "AUTH method " + std::to_string(method);
  }
}

std::string bracketed(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return "[" + out + "]";
}

// A child the peer asked us for and we refused: the fields both refusal reports share.
FailureReport child_refusal(const IkeSa& sa, const ChildSettings& child, FailureClass kind,
                            bool in_ike_auth) {
  FailureReport r;
  r.connection = sa.connection;
  r.role = FailureRole::Responder;
  r.exchange = in_ike_auth ? "IKE_AUTH" : "CREATE_CHILD_SA";
  r.kind = kind;
  r.peer = sa.remote.to_string();
  r.child = child.name;
  return r;
}

}  // namespace

void v2::Ikev2Engine::report_ike_proposals_refused(const std::vector<const ConnectionSettings*>& candidates,
                                                   const std::vector<ikev2::Proposal>& offered,
                                                   const Endpoint& remote, const std::string& explanation) {
  // Every connection the peer's addresses matched could have taken the SA: each gets the report.
  for (const ConnectionSettings* c : candidates) {
    FailureReport r;
    r.connection = c->name;
    r.role = FailureRole::Responder;
    r.exchange = "IKE_SA_INIT";
    r.kind = FailureClass::Proposal;
    r.peer = remote.to_string();
    r.summary = "none of the peer's IKE proposals is acceptable: " + reasons_of(explanation);
    r.subject = "IKE proposals";
    r.ours = proposal_strings(c->ike_proposals);
    r.theirs = proposal_strings(offered);
    const ProposalDiagnosis d = diagnose_proposals(offered, c->ike_proposals, "ike_proposals");
    r.nearest = d.nearest;
    r.fix = d.fix;
    failures.record(std::move(r));
  }
}

void v2::Ikev2Engine::report_ike_proposals_rejected_by_peer(const IkeSa& sa, const ConnectionSettings& conn,
                                                            std::string summary) {
  FailureReport r;
  r.connection = conn.name;
  r.role = FailureRole::Initiator;
  r.exchange = "IKE_SA_INIT";
  r.kind = FailureClass::Proposal;
  r.peer = sa.remote.to_string();
  r.summary = std::move(summary);
  r.subject = "IKE proposals";
  r.ours = proposal_strings(conn.ike_proposals);
  r.fix =
      "the responder accepts none of our ike_proposals; add one of its proposals (its `cygnetctl why` or log "
      "names them)";
  failures.record(std::move(r));
}

void v2::Ikev2Engine::report_child_selectors_refused(const IkeSa& sa, const ChildSettings& child,
                                                     const std::vector<ikev2::TrafficSelector>& tsi,
                                                     const std::vector<ikev2::TrafficSelector>& tsr,
                                                     bool in_ike_auth) {
  const auto our_local = local_selectors(child, sa);
  const auto our_remote = remote_selectors(child, sa);
  FailureReport r = child_refusal(sa, child, FailureClass::TrafficSelectors, in_ike_auth);
  r.summary = "no child of " + sa.connection + " accepts the peer's traffic selectors";
  r.subject = "traffic selectors";
  r.ours = {"local_ts " + bracketed(selector_strings(our_local)),
            "remote_ts " + bracketed(selector_strings(our_remote))};
  r.theirs = {"TSi " + bracketed(selector_strings(tsi)), "TSr " + bracketed(selector_strings(tsr))};
  const SelectorDiagnosis d = diagnose_selectors(tsi, tsr, our_remote, our_local, child.name);
  r.nearest = d.nearest;
  r.fix = d.fix;
  failures.record(std::move(r));
}

void v2::Ikev2Engine::report_child_proposals_refused(const IkeSa& sa, const ChildSettings& child,
                                                     const std::vector<ikev2::Proposal>& offered,
                                                     const std::vector<ikev2::Proposal>& ours,
                                                     const std::string& explanation, bool in_ike_auth) {
  FailureReport r = child_refusal(sa, child, FailureClass::Proposal, in_ike_auth);
  r.summary = std::string("none of the peer's ") + child_proposal_subject(child) +
              " is acceptable: " + reasons_of(explanation);
  r.subject = child_proposal_subject(child);
  r.ours = proposal_strings(ours);
  r.theirs = proposal_strings(offered);
  const ProposalDiagnosis d = diagnose_proposals(offered, ours, child_proposal_key(child));
  r.nearest = d.nearest;
  r.fix = d.fix;
  failures.record(std::move(r));
}

void v2::Ikev2Engine::report_child_rejected_by_peer(const IkeSa& sa, const ChildNegotiation& n,
                                                    bool selectors) {
  const ChildSettings* child = child_settings(sa.connection, n.child);
  FailureReport r;
  r.connection = sa.connection;
  r.role = FailureRole::Initiator;
  r.exchange = n.nonce.empty() ? "IKE_AUTH" : "CREATE_CHILD_SA";  // IKE_AUTH uses the IKE SA's nonces
  r.peer = sa.remote.to_string();
  r.child = n.child;
  if (selectors) {
    r.kind = FailureClass::TrafficSelectors;
    r.summary = "the responder refused our traffic selectors (TS_UNACCEPTABLE)";
    r.subject = "traffic selectors";
    r.ours = {"TSi " + bracketed(selector_strings(n.tsi)), "TSr " + bracketed(selector_strings(n.tsr))};
    r.fix = "the responder's local_ts/remote_ts cover none of ours; narrow local_ts/remote_ts of child " +
            n.child + " to its ranges (its `cygnetctl why` names them)";
  } else {
    r.kind = FailureClass::Proposal;
    const char* subject = child ? child_proposal_subject(*child) : "ESP proposals";
    r.summary = std::string("the responder accepted none of our ") + subject + " (NO_PROPOSAL_CHOSEN)";
    r.subject = subject;
    r.ours = proposal_strings(n.proposals);
    r.fix = std::string("the responder accepts none of our ") +
            (child ? child_proposal_key(*child) : "esp_proposals") +
            "; add one of its proposals (its `cygnetctl why` or log names them)";
  }
  failures.record(std::move(r));
}

void v2::Ikev2Engine::report_authentication(const IkeSa& sa, const std::string& connection,
                                            const std::string& peer_id, const std::string& why) {
  FailureReport r;
  r.connection = connection;
  r.role = role_of(sa);
  r.exchange = "IKE_AUTH";
  r.kind = classify_authentication_failure(why);
  r.peer = sa.remote.to_string();
  r.summary = why;
  const ConnectionSettings* conn = this->connection(connection);
  if (r.kind == FailureClass::Identity) {
    r.subject = "identities";
    if (conn) r.ours = {"remote_id " + conn->remote_id.to_string()};
    r.theirs = {"ID " + peer_id};
    if (conn)
      r.fix = "set remote_id of " + connection + " to \"" + peer_id + "\" (or the peer's local_id to \"" +
              conn->remote_id.to_string() + "\") to agree";
  } else if (r.kind == FailureClass::Authentication && conn) {
    const bool method = why.find("AUTH method") != std::string::npos;
    r.subject = "authentication";
    const char* ours = conn->auth == AuthKind::Psk ? "psk" : "pubkey";
    r.ours = {std::string("auth ") + ours};
    r.theirs = {"ID " + peer_id};
    if (method) r.theirs.push_back("authenticates with " + peer_auth_method(why));
    r.fix = method
                ? "the peer authenticates with " + peer_auth_method(why) + " but " + connection +
                      " has auth = " + ours + ": use the same auth method on both sides"
                : "the pre-shared keys differ (same method, same identities): set the same psk on both sides";
  } else if (r.kind == FailureClass::Certificate) {
    r.subject = "certificates";
    if (conn)
      for (const auto& ca : conn->ca_certificates) r.ours.push_back("cacert " + ca.subject_string());
    r.theirs = {"ID " + peer_id};
    r.fix = certificate_failure_fix(why);
  }
  failures.record(std::move(r));
}

void v2::Ikev2Engine::report_authentication_rejected_by_peer(const IkeSa& sa,
                                                             const ConnectionSettings& conn) {
  FailureReport r;
  r.connection = conn.name;
  r.role = FailureRole::Initiator;
  r.exchange = "IKE_AUTH";
  r.kind = FailureClass::Authentication;
  r.peer = sa.remote.to_string();
  r.summary = "the responder rejected our authentication (AUTHENTICATION_FAILED)";
  r.subject = "authentication";
  r.ours = {std::string("auth ") + (conn.auth == AuthKind::Psk ? "psk" : "pubkey"),
            "ID " + sa.local_id.to_string()};
  r.fix =
      conn.auth == AuthKind::Psk
          ? "the responder does not accept our PSK or ID: compare psk, auth and remote_id on its side"
          : "the responder does not accept our certificate or ID: compare its cacerts, auth and remote_id";
  failures.record(std::move(r));
}

void v2::Ikev2Engine::report_unanswered(const IkeSa& sa, const OutstandingRequest& request, bool liveness) {
  FailureReport r;
  r.connection = sa.connection;
  r.role = role_of(sa);
  r.exchange = ikev2::exchange_name(request.exchange);
  r.kind = liveness ? FailureClass::PeerDead : FailureClass::Timeout;
  r.peer = sa.remote.to_string();
  r.unanswered = r.exchange + " request " + std::to_string(request.message_id);
  r.retransmissions = request.retransmits;
  // The responder got the peer's IKE_SA_INIT; an initiator has heard from the peer once it knows
  // the responder's SPI.
  const bool heard = !sa.initiator || sa.spi_r != 0;
  r.received_anything = heard;
  r.summary = liveness ? "the peer stopped answering liveness checks; its SAs were removed"
              : heard  ? "no answer from the peer to " + r.exchange + " (it answered before)"
                       : "no answer from the peer at all";
  failures.record(std::move(r));
}

}  // namespace cygnet::ike
