// Failure reports: the proposal and traffic selector analyses behind "the one change that would
// agree", the rendering in words, and the per-connection log.
#include "ike/failure_report.hpp"

#include <algorithm>
#include <chrono>

#include "ike/traffic_selectors.hpp"
#include "ike/transform_registry.hpp"

namespace cygnet::ike {

const char* failure_class_name(FailureClass c) {
  switch (c) {
    case FailureClass::Proposal: return "proposal";
    case FailureClass::TrafficSelectors: return "traffic-selectors";
    case FailureClass::Identity: return "identity";
    case FailureClass::Certificate: return "certificate";
    case FailureClass::Authentication: return "authentication";
    case FailureClass::Timeout: return "timeout";
    case FailureClass::PeerDead: return "peer-dead";
    case FailureClass::Other: return "other";
  }
  return "other";
}

const char* failure_role_name(FailureRole r) {
  return r == FailureRole::Initiator ? "initiator" : "responder";
}

namespace {

using wire::ikev2::TrafficSelector;

// A type a proposal does not list means "none" for integrity, CHILD key exchange and ESN
// (RFC 7296 §3.3.3), as in proposal selection.
std::vector<Transform> values_of(const Proposal& p, TransformType type) {
  std::vector<Transform> out;
  for (const Transform& t : p.transforms)
    if (t.type == type) out.push_back(t);
  if (!out.empty()) return out;
  if (type == TransformType::Integrity) out.push_back(Transform{type, 0, std::nullopt});
  if (p.protocol != ProtocolId::Ike && (type == TransformType::KeyExchange || type == TransformType::Esn))
    out.push_back(Transform{type, 0, std::nullopt});
  return out;
}

bool lists_type(const Proposal& p, TransformType type) {
  return std::any_of(p.transforms.begin(), p.transforms.end(),
                     [type](const Transform& t) { return t.type == type; });
}

std::string value_name(const Transform& t) {
  if (t.id == 0 && t.type != TransformType::Esn) return "none";
  return transform_name(t);
}

void add_unique(std::vector<Transform>& to, const std::vector<Transform>& from) {
  for (const Transform& t : from)
    if (std::find(to.begin(), to.end(), t) == to.end()) to.push_back(t);
}

bool overlap(const std::vector<Transform>& a, const std::vector<Transform>& b) {
  return std::any_of(a.begin(), a.end(),
                     [&b](const Transform& t) { return std::find(b.begin(), b.end(), t) != b.end(); });
}

std::string names(const std::vector<Transform>& list) {
  std::string out;
  for (const Transform& t : list) out += (out.empty() ? "" : ", ") + value_name(t);
  return out;
}

std::string plural(TransformType type) {
  std::string noun = detail::transform_type_noun(type);
  return noun == "PRF" ? "PRFs" : noun + "s";
}

// The transform types in which two proposals share no value. Integrity is left out when the
// encryption already differs: an AEAD side lists none, so that miss only repeats the first.
std::vector<TransformType> differing_types(const std::vector<std::vector<Transform>>& a_by_type,
                                           const std::vector<std::vector<Transform>>& b_by_type,
                                           const std::vector<bool>& used) {
  std::vector<TransformType> out;
  bool encryption_differs = false;
  for (std::size_t i = 0; i < std::size(detail::kTransformTypeOrder); ++i) {
    const TransformType type = detail::kTransformTypeOrder[i];
    if (!used[i] || overlap(a_by_type[i], b_by_type[i])) continue;
    if (type == TransformType::Encryption) encryption_differs = true;
    if (type == TransformType::Integrity && encryption_differs) continue;
    out.push_back(type);
  }
  return out;
}

struct TypeValues {
  std::vector<std::vector<Transform>> by_type;
  std::vector<bool> used;
};

TypeValues type_values(const std::vector<const Proposal*>& proposals) {
  TypeValues v;
  v.by_type.resize(std::size(detail::kTransformTypeOrder));
  v.used.resize(std::size(detail::kTransformTypeOrder));
  for (std::size_t i = 0; i < std::size(detail::kTransformTypeOrder); ++i) {
    const TransformType type = detail::kTransformTypeOrder[i];
    for (const Proposal* p : proposals) {
      add_unique(v.by_type[i], values_of(*p, type));
      if (lists_type(*p, type)) v.used[i] = true;
    }
  }
  return v;
}

std::string type_list(const std::vector<TransformType>& types) {
  std::string out;
  for (std::size_t i = 0; i < types.size(); ++i) {
    if (i > 0) out += i + 1 == types.size() ? " and " : ", ";
    out += detail::transform_type_noun(types[i]);
  }
  return out;
}

std::size_t type_index(TransformType type) {
  for (std::size_t i = 0; i < std::size(detail::kTransformTypeOrder); ++i)
    if (detail::kTransformTypeOrder[i] == type) return i;
  return 0;
}

}  // namespace

std::vector<std::string> proposal_strings(const std::vector<Proposal>& proposals) {
  std::vector<std::string> out;
  for (const Proposal& p : proposals) out.push_back(proposal_to_string(p));
  return out;
}

ProposalDiagnosis diagnose_proposals(const std::vector<Proposal>& peer, const std::vector<Proposal>& ours,
                                     std::string_view config_key) {
  ProposalDiagnosis d;
  if (ours.empty()) return d;
  // Only the peer's proposals for our protocol count (a hostile peer may send anything).
  std::vector<const Proposal*> theirs_all;
  std::vector<const Proposal*> ours_all;
  for (const Proposal& p : peer)
    if (p.protocol == ours.front().protocol) theirs_all.push_back(&p);
  for (const Proposal& p : ours) ours_all.push_back(&p);
  if (theirs_all.empty()) return d;

  // Across all proposals: a type with no value in common cannot be fixed by another combination.
  const TypeValues theirs_v = type_values(theirs_all);
  const TypeValues ours_v = type_values(ours_all);
  std::vector<bool> used(theirs_v.used.size());
  for (std::size_t i = 0; i < used.size(); ++i) used[i] = theirs_v.used[i] || ours_v.used[i];
  const std::vector<TransformType> disjoint = differing_types(theirs_v.by_type, ours_v.by_type, used);

  // The nearest pair: fewest transform types without a common value.
  const Proposal* best_peer = nullptr;
  const Proposal* best_ours = nullptr;
  std::vector<TransformType> best_missing;
  for (const Proposal* mine : ours_all) {
    for (const Proposal* other : theirs_all) {
      if (mine->protocol != other->protocol) continue;
      const TypeValues a = type_values({other});
      const TypeValues b = type_values({mine});
      std::vector<bool> pair_used(a.used.size());
      for (std::size_t i = 0; i < pair_used.size(); ++i) pair_used[i] = a.used[i] || b.used[i];
      auto missing = differing_types(a.by_type, b.by_type, pair_used);
      if (!best_peer || missing.size() < best_missing.size()) {
        best_peer = other;
        best_ours = mine;
        best_missing = std::move(missing);
      }
    }
  }
  if (best_peer) {
    d.nearest = "peer's " + proposal_to_string(*best_peer) + " and our " + proposal_to_string(*best_ours);
    d.nearest += best_missing.empty() ? " share a value of every type but are refused by policy"
                                      : " differ in the " + type_list(best_missing);
  }

  if (disjoint.size() == 1) {
    const std::size_t i = type_index(disjoint.front());
    const auto& peer_values = theirs_v.by_type[i];
    if (peer_values.empty())
      d.fix = "peer offers no " + std::string(detail::transform_type_noun(disjoint.front())) +
              "; we require one of " + names(ours_v.by_type[i]) + " — the peer's proposals must include one";
    else
      d.fix = "peer offers " + plural(disjoint.front()) + " " + names(peer_values) +
              (peer_values.size() == 1 ? " only" : "") + "; we offer " + names(ours_v.by_type[i]) +
              " — add " + value_name(peer_values.front()) + " to " + std::string(config_key) + " to agree";
  } else if (best_peer) {
    d.fix = "add " + proposal_to_string(*best_peer) + " to " + std::string(config_key) + " to agree";
    if (!disjoint.empty()) d.fix = "no common " + type_list(disjoint) + " in any proposal — " + d.fix;
  }
  return d;
}

std::vector<std::string> selector_strings(const std::vector<TrafficSelector>& selectors) {
  std::vector<std::string> out;
  for (const auto& ts : selectors) out.push_back(ts_to_string(ts));
  return out;
}

namespace {

std::vector<TrafficSelector> intersections(const std::vector<TrafficSelector>& a,
                                           const std::vector<TrafficSelector>& b) {
  std::vector<TrafficSelector> out;
  for (const auto& x : a)
    for (const auto& y : b)
      if (auto i = ts_intersect(x, y)) out.push_back(*i);
  return out;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "(none)" : out;
}

}  // namespace

SelectorDiagnosis diagnose_selectors(const std::vector<TrafficSelector>& peer_tsi,
                                     const std::vector<TrafficSelector>& peer_tsr,
                                     const std::vector<TrafficSelector>& our_remote,
                                     const std::vector<TrafficSelector>& our_local, std::string_view child) {
  SelectorDiagnosis d;
  const auto initiator_side = intersections(peer_tsi, our_remote);
  const auto responder_side = intersections(peer_tsr, our_local);
  d.nearest = "TSi " + joined(selector_strings(peer_tsi)) +
              " within our remote_ts: " + joined(selector_strings(initiator_side)) + "; TSr " +
              joined(selector_strings(peer_tsr)) +
              " within our local_ts: " + joined(selector_strings(responder_side));
  std::vector<std::string> changes;
  if (initiator_side.empty())
    changes.push_back("add " + joined(selector_strings(peer_tsi)) + " to remote_ts");
  if (responder_side.empty()) changes.push_back("add " + joined(selector_strings(peer_tsr)) + " to local_ts");
  if (!changes.empty()) {
    d.fix = changes.front();
    if (changes.size() > 1) d.fix += " and " + changes.back();
    d.fix += " of child " + std::string(child) + " to agree (or narrow the peer's side to ours)";
  }
  return d;
}

FailureClass classify_authentication_failure(std::string_view why) {
  const auto has = [why](std::string_view s) { return why.find(s) != std::string_view::npos; };
  if (has("does not match remote_id") || has("no connection accepts") || has("does not entitle"))
    return FailureClass::Identity;
  if (has("certificate") || has("untrusted") || has(" revoked at ") || has("revocation"))
    return FailureClass::Certificate;
  return FailureClass::Authentication;
}

std::vector<std::string> render_failure(const FailureReport& r, TimePoint now) {
  std::vector<std::string> lines;
  const auto age = std::chrono::duration_cast<Seconds>(now - r.time).count();
  std::string head = std::string(failure_class_name(r.kind)) + " failure as " + failure_role_name(r.role) +
                     " in IKEv" + std::to_string(r.ike_version);
  if (!r.exchange.empty()) head += " " + r.exchange;
  if (!r.peer.empty()) head += " with " + r.peer;
  head += ", " + std::to_string(age) + " s ago";
  lines.push_back(head);
  lines.push_back("  " + r.summary);
  if (!r.child.empty()) lines.push_back("  child:      " + r.child);
  if (!r.subject.empty()) {
    lines.push_back("  ours:       " + r.subject + " " + joined(r.ours));
    lines.push_back("  theirs:     " + (r.theirs.empty() ? std::string("not shown by the peer")
                                                         : r.subject + " " + joined(r.theirs)));
  }
  if (!r.nearest.empty()) lines.push_back("  nearest:    " + r.nearest);
  if (!r.fix.empty()) lines.push_back("  fix:        " + r.fix);
  if (!r.unanswered.empty()) {
    lines.push_back("  unanswered: " + r.unanswered + " after " + std::to_string(r.retransmissions) +
                    " retransmissions");
  }
  if (r.received_anything)
    lines.push_back(std::string("  received:   ") + (*r.received_anything
                                                         ? "the peer answered earlier messages"
                                                         : "nothing at all from the peer"));
  return lines;
}

void FailureLog::record(FailureReport report) {
  if (report.time == TimePoint{}) report.time = now_;
  if (report.connection.empty()) {
    unattributed_ = std::move(report);
    return;
  }
  const std::string name = report.connection;
  recorded_in_input_.insert_or_assign(name, input_);
  by_connection_.insert_or_assign(name, std::move(report));
}

std::optional<FailureClass> failure_class_of(EventType type, std::string_view detail) {
  switch (type) {
    case EventType::NoProposalChosen: return FailureClass::Proposal;
    case EventType::TsUnacceptable: return FailureClass::TrafficSelectors;
    case EventType::AuthenticationFailed: return classify_authentication_failure(detail);
    case EventType::RetransmitGaveUp: return FailureClass::Timeout;
    case EventType::PeerDead: return FailureClass::PeerDead;
    // A pool exhausted (gateway) or no address assigned (client): `cygnetctl why` says which.
    case EventType::InternalAddressFailure: return FailureClass::Other;
    default: return std::nullopt;
  }
}

FailureReport basic_failure_report(std::string connection, FailureRole role, int ike_version,
                                   std::string exchange, FailureClass kind, std::string summary,
                                   std::string peer) {
  FailureReport r;
  r.connection = std::move(connection);
  r.role = role;
  r.ike_version = ike_version;
  r.exchange = std::move(exchange);
  r.kind = kind;
  r.summary = std::move(summary);
  r.peer = std::move(peer);
  return r;
}

void FailureLog::note_event(const Event& event, int ike_version) {
  const auto kind_of = failure_class_of(event.type, event.detail);
  if (!kind_of) return;
  const FailureClass kind = *kind_of;
  if (!event.connection.empty()) {
    auto it = recorded_in_input_.find(event.connection);
    if (it != recorded_in_input_.end() && it->second == input_) return;  // already reported in detail
  }
  FailureReport r;
  r.connection = event.connection;
  r.ike_version = ike_version;
  r.kind = kind;
  r.summary = event.detail;
  // Events do not carry the role; an explicit report does. A failure seen in a response is ours.
  r.role = FailureRole::Initiator;
  record(std::move(r));
}

std::optional<FailureReport> FailureLog::last(std::string_view connection) const {
  auto it = by_connection_.find(connection);
  if (it == by_connection_.end()) return std::nullopt;
  return it->second;
}

}  // namespace cygnet::ike
