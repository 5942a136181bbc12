// Proposal selection (RFC 7296 §2.7, §3.3): the responder picks one transform of each type from
// the first of its own proposals that a peer proposal satisfies, and explains a failure in words;
// the initiator checks that the answer is one of the things it offered.
#include <algorithm>
#include <array>
#include <string>

#include "ike/transform_registry.hpp"

namespace cygnet::ike {

namespace {

using wire::ikev2::EsnId;
using wire::ikev2::IntegrityId;
using wire::ikev2::KeyExchangeId;

// A type that is absent means the same as its "none" value: no integrity next to an AEAD, no PFS
// for a CHILD SA, no extended sequence numbers (RFC 7296 §3.3.3).
std::optional<Transform> implicit_value(TransformType type, ProtocolId protocol) {
  switch (type) {
    case TransformType::Integrity:
      return Transform{type, static_cast<std::uint16_t>(IntegrityId::None), std::nullopt};
    case TransformType::KeyExchange:
      if (protocol == ProtocolId::Ike) return std::nullopt;
      return Transform{type, static_cast<std::uint16_t>(KeyExchangeId::None), std::nullopt};
    case TransformType::Esn:
      if (protocol == ProtocolId::Ike) return std::nullopt;
      return Transform{type, static_cast<std::uint16_t>(EsnId::NoEsn), std::nullopt};
    default: return std::nullopt;
  }
}

struct TypeChoice {
  std::vector<Transform> candidates;  // the explicit ones, or the implicit value
  bool explicit_list = false;
};

TypeChoice choices(const Proposal& p, TransformType type) {
  TypeChoice c;
  for (const Transform& t : p.transforms)
    if (t.type == type) c.candidates.push_back(t);
  c.explicit_list = !c.candidates.empty();
  if (!c.explicit_list)
    if (auto implicit = implicit_value(type, p.protocol)) c.candidates.push_back(*implicit);
  return c;
}

bool has_value(const std::vector<Transform>& list, const Transform& t) {
  return std::find(list.begin(), list.end(), t) != list.end();
}

std::string quoted_refusal(const Transform& t, AlgorithmStrength s) {
  const std::string name = "'" + transform_name(t) + "'";
  switch (s) {
    case AlgorithmStrength::Legacy: return name + " is legacy and allow_legacy is off";
    case AlgorithmStrength::Forbidden: return name + " is forbidden";
    case AlgorithmStrength::Unsupported: return name + " is not supported";
    case AlgorithmStrength::Recommended: break;
  }
  return name + " was refused";
}

// What one (ours, peer's) pair yields: the chosen proposal, or per type why not.
struct PairOutcome {
  std::optional<Proposal> chosen;
  std::array<bool, 5> type_missing{};  // indexed like kTransformTypeOrder
  std::array<bool, 5> one_side_absent{};  // the type was missing and one side did not list it
  std::vector<std::string> refusals;   // common transforms that policy refused
  bool inconsistent = false;           // every type matched but the combination is unusable
  bool unusable_proposal = false;      // the peer's proposal cannot be accepted at all
};

PairOutcome match_pair(const Proposal& ours, const Proposal& peer, bool allow_legacy) {
  PairOutcome out;
  Proposal chosen;
  chosen.number = peer.number;
  chosen.protocol = peer.protocol;
  chosen.spi = peer.spi;
  // RFC 7296 §3.3.6: a proposal with a transform type we do not understand cannot be accepted.
  for (const Transform& t : peer.transforms) {
    if (std::find(std::begin(detail::kTransformTypeOrder), std::end(detail::kTransformTypeOrder), t.type) ==
        std::end(detail::kTransformTypeOrder)) {
      out.refusals.push_back("peer proposal " + std::to_string(peer.number) + " has unknown transform type " +
                             std::to_string(static_cast<unsigned>(t.type)));
      out.unusable_proposal = true;
      return out;
    }
  }
  bool complete = true;
  for (std::size_t i = 0; i < std::size(detail::kTransformTypeOrder); ++i) {
    const TransformType type = detail::kTransformTypeOrder[i];
    const TypeChoice mine = choices(ours, type);
    const TypeChoice theirs = choices(peer, type);
    if (!mine.explicit_list && !theirs.explicit_list) continue;  // neither side uses the type
    std::optional<Transform> pick;
    for (const Transform& t : mine.candidates) {
      if (!has_value(theirs.candidates, t)) continue;
      if (!detail::transform_acceptable(t, peer.protocol, allow_legacy)) {
        const AlgorithmStrength s = transform_strength(t, peer.protocol);
        out.refusals.push_back(quoted_refusal(t, s));
        continue;
      }
      pick = t;
      break;
    }
    if (!pick) {
      out.type_missing[i] = true;
      out.one_side_absent[i] = !mine.explicit_list || !theirs.explicit_list;
      complete = false;
      continue;
    }
    // Answer with the transform only if the peer sent one of that type.
    if (theirs.explicit_list) chosen.transforms.push_back(*pick);
  }
  if (!complete) return out;
  const bool usable = chosen.protocol == ProtocolId::Ike ? ike_algorithms(chosen).has_value()
                                                         : child_algorithms(chosen).has_value();
  if (!usable) {
    out.inconsistent = true;
    return out;
  }
  out.chosen = std::move(chosen);
  return out;
}

std::string list_of(const std::vector<Proposal>& proposals) {
  std::string out = "[";
  for (std::size_t i = 0; i < proposals.size(); ++i) {
    if (i > 0) out += ", ";
    if (proposals[i].protocol != ProtocolId::Ike) out += std::string(detail::protocol_label(proposals[i].protocol)) + ":";
    out += proposal_to_string(proposals[i]);
  }
  return out + "]";
}

}  // namespace

Selection select_proposal(const std::vector<Proposal>& offered, const std::vector<Proposal>& ours,
                          bool allow_legacy) {
  std::array<bool, 5> matched_somewhere{};
  std::array<bool, 5> used_somewhere{};
  std::array<bool, 5> only_absent_misses{true, true, true, true, true};
  std::vector<std::string> refusals;
  bool any_pair = false;
  bool any_inconsistent = false;

  for (const Proposal& mine : ours) {
    for (const Proposal& peer : offered) {
      if (peer.protocol != mine.protocol) continue;
      any_pair = true;
      PairOutcome outcome = match_pair(mine, peer, allow_legacy);
      if (outcome.chosen) {
        Selection s;
        s.explanation = "chose [" + proposal_to_string(*outcome.chosen) + "] from peer proposal " +
                        std::to_string(peer.number);
        s.chosen = std::move(outcome.chosen);
        return s;
      }
      any_inconsistent = any_inconsistent || outcome.inconsistent;
      for (std::string& r : outcome.refusals)
        if (std::find(refusals.begin(), refusals.end(), r) == refusals.end()) refusals.push_back(std::move(r));
      if (outcome.unusable_proposal) continue;
      for (std::size_t i = 0; i < outcome.type_missing.size(); ++i) {
        const TypeChoice a = choices(mine, detail::kTransformTypeOrder[i]);
        const TypeChoice b = choices(peer, detail::kTransformTypeOrder[i]);
        if (a.explicit_list || b.explicit_list) used_somewhere[i] = true;
        if (!outcome.type_missing[i]) matched_somewhere[i] = true;
        if (outcome.type_missing[i] && !outcome.one_side_absent[i]) only_absent_misses[i] = false;
      }
    }
  }

  std::string reasons;
  auto add_reason = [&reasons](const std::string& r) {
    if (!reasons.empty()) reasons += ", ";
    reasons += r;
  };
  if (!any_pair) {
    add_reason("no proposal for the same protocol");
  } else {
    // An AEAD-only side lists no integrity: when the encryption already differs, "no common
    // integrity algorithm" would only repeat that.
    const std::size_t kEncryption = 0, kIntegrity = 1;
    const bool integrity_is_consequence = !matched_somewhere[kEncryption] && only_absent_misses[kIntegrity];
    for (std::size_t i = 0; i < used_somewhere.size(); ++i)
      if (used_somewhere[i] && !matched_somewhere[i] && !(i == kIntegrity && integrity_is_consequence))
        add_reason(std::string("no common ") + detail::transform_type_noun(detail::kTransformTypeOrder[i]));
    if (reasons.empty() && refusals.empty())
      add_reason(any_inconsistent ? "the common algorithms do not form a usable combination"
                                  : "no single proposal has every type in common");
  }
  for (const std::string& r : refusals) add_reason(r);

  Selection s;
  s.explanation = "peer offered " + list_of(offered) + "; we accept " + list_of(ours) + ": " + reasons;
  return s;
}

bool answer_matches_offer(const Proposal& answer, const std::vector<Proposal>& offered) {
  // Exactly one transform of each type (RFC 7296 §3.3.6).
  for (TransformType type : detail::kTransformTypeOrder) {
    const auto n = std::count_if(answer.transforms.begin(), answer.transforms.end(),
                                 [type](const Transform& t) { return t.type == type; });
    if (n > 1) return false;
  }
  for (const Proposal& p : offered) {
    if (p.number != answer.number || p.protocol != answer.protocol) continue;
    bool subset = true;
    for (const Transform& t : answer.transforms)
      if (!has_value(p.transforms, t)) subset = false;
    if (!subset) return false;
    // Every type we offered must be answered, unless what we offered includes "none" for it.
    for (TransformType type : detail::kTransformTypeOrder) {
      const TypeChoice mine = choices(p, type);
      if (!mine.explicit_list) continue;
      const bool answered = std::any_of(answer.transforms.begin(), answer.transforms.end(),
                                        [type](const Transform& t) { return t.type == type; });
      if (answered) continue;
      const auto implicit = implicit_value(type, p.protocol);
      if (!implicit || !has_value(mine.candidates, *implicit)) return false;
    }
    return true;
  }
  return false;
}

}  // namespace cygnet::ike
