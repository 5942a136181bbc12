// CHILD SA negotiation shared by IKE_AUTH and CREATE_CHILD_SA (RFC 7296 §1.3, §2.9, §2.17): the
// initiator's SA/TS payloads, the responder's proposal selection and TS narrowing, the initiator's
// checks of the answer, keys and installation.
#include <algorithm>

#include "ike/key_exchange_factory.hpp"
#include "ike/random_source.hpp"
#include "ike/v2/ikev2_engine.hpp"

namespace cygnet::ike {

namespace {

constexpr std::size_t kNonceLength = 32;

// The first CHILD SA (IKE_AUTH) is keyed from the IKE SA's exchange: no KE transforms there (§1.2).
std::vector<ikev2::Proposal> without_key_exchange(std::vector<ikev2::Proposal> proposals) {
  for (auto& p : proposals)
    std::erase_if(p.transforms,
                  [](const ikev2::Transform& t) { return t.type == ikev2::TransformType::KeyExchange; });
  return proposals;
}

std::string ts_list(const std::vector<ikev2::TrafficSelector>& ts) {
  std::string out;
  for (const auto& t : ts) out += (out.empty() ? "" : ", ") + ts_to_string(t);
  return "[" + out + "]";
}

std::string proposals_text(const std::vector<ikev2::Proposal>& ps) {
  std::string out;
  for (const auto& p : ps) out += (out.empty() ? "" : ", ") + proposal_to_string(p);
  return "[" + out + "]";
}

}  // namespace

ChildNegotiation v2::Ikev2Engine::prepare_child(IkeSa& sa, const ChildSettings& c, bool in_ike_auth) {
  ChildNegotiation n;
  n.child = c.name;
  do {
    n.inbound_spi = random_child_spi(*random);
  } while (std::any_of(children.begin(), children.end(),
                       [&n](const auto& kv) { return kv.second.inbound_spi == n.inbound_spi; }));
  n.proposals = in_ike_auth ? without_key_exchange(c.proposals) : c.proposals;
  std::uint8_t number = 1;
  for (auto& p : n.proposals) {
    p.number = number++;
    p.spi = u32_bytes(n.inbound_spi);
  }
  if (!in_ike_auth) {
    n.nonce.resize(kNonceLength);
    random->fill(n.nonce);
    if (auto group = first_group(n.proposals))
      n.ke = std::make_shared<crypto::KeyExchange>(new_key_exchange(*group, *random));
  }
  n.tsi = local_selectors(c, sa);
  n.tsr = remote_selectors(c, sa);
  n.transport = c.mode == ipsec::Mode::Transport;
  n.resource_info = wants_per_resource_sas(c);  // RFC 9611: this first one is the fallback
  return n;
}

void v2::Ikev2Engine::append_child_request(const ChildNegotiation& n, std::vector<ikev2::Payload>& out) {
  if (n.transport) out.emplace_back(notify(ikev2::NotifyType::UseTransportMode));
  // RFC 9611 §4: the resource identifier is opaque to the peer; ours is the worker number.
  if (n.resource_info)
    out.emplace_back(
        notify(ikev2::NotifyType::SaResourceInfo, n.resource ? u32_bytes(*n.resource) : Bytes{}));
  out.emplace_back(ikev2::SaPayload{n.proposals});
  if (!n.nonce.empty()) out.emplace_back(ikev2::NoncePayload{n.nonce});
  if (n.ke)
    out.emplace_back(ikev2::KePayload{static_cast<std::uint16_t>(n.ke->group()), n.ke->public_value()});
  out.emplace_back(ikev2::TsInitiatorPayload{{n.tsi}});
  out.emplace_back(ikev2::TsResponderPayload{{n.tsr}});
}

std::optional<ChildSaId> v2::Ikev2Engine::answer_child(IkeSa& sa, const std::vector<ikev2::Payload>& in,
                                                       ByteView nonce_i, ByteView nonce_r, bool in_ike_auth,
                                                       const ChildSettings* forced,
                                                       std::optional<ChildSaId> replaces,
                                                       std::vector<ikev2::Payload>& out, TimePoint now) {
  const auto* sa_payload = ikev2::find_payload<ikev2::SaPayload>(in);
  const auto* tsi = ikev2::find_payload<ikev2::TsInitiatorPayload>(in);
  const auto* tsr = ikev2::find_payload<ikev2::TsResponderPayload>(in);
  const ConnectionSettings* conn = connection(sa.connection);
  if (!sa_payload || !tsi || !tsr || !conn || sa_payload->proposals.empty()) {
    ++counters.malformed;
    out.emplace_back(notify(ikev2::NotifyType::InvalidSyntax));
    return std::nullopt;
  }
  // Which child: the first whose selectors accept what the peer proposed and whose proposals
  // match; when none matches both, the first with acceptable selectors explains the failure.
  const ChildSettings* settings = nullptr;
  std::optional<NarrowedSelectors> narrowed;
  std::vector<const ChildSettings*> candidates;
  if (forced)
    candidates.push_back(forced);
  else
    for (const auto& c : conn->children) candidates.push_back(&c);
  const auto offered = in_ike_auth ? without_key_exchange(sa_payload->proposals) : sa_payload->proposals;
  Selection selection;
  std::optional<ChildAlgorithms> alg;
  const ChildSettings* ts_match = nullptr;
  std::string explanation;
  for (const ChildSettings* c : candidates) {
    auto n = narrow(tsi->selectors, tsr->selectors, remote_selectors(*c, sa), local_selectors(*c, sa));
    if (!n) continue;
    const auto ours = in_ike_auth ? without_key_exchange(c->proposals) : c->proposals;
    Selection s = select_proposal(offered, ours, conn->allow_legacy);
    std::optional<ChildAlgorithms> a;
    if (s.chosen) a = child_algorithms(*s.chosen);
    if (!ts_match) {
      ts_match = c;
      explanation = s.explanation;
    }
    if (a) {
      settings = c;
      narrowed = std::move(n);
      selection = std::move(s);
      alg = a;
      break;
    }
  }
  if (!ts_match) {
    if (!candidates.empty())
      report_child_selectors_refused(sa, *candidates.front(), tsi->selectors, tsr->selectors, in_ike_auth);
    event(EventType::TsUnacceptable, sa.connection, sa.id, std::nullopt,
          "peer proposed TSi " + ts_list(tsi->selectors) + " TSr " + ts_list(tsr->selectors) +
              ": no child of connection " + sa.connection + " accepts them");
    out.emplace_back(notify(ikev2::NotifyType::TsUnacceptable));
    return std::nullopt;
  }
  if (!settings) {
    ++counters.no_proposal_chosen;
    report_child_proposals_refused(
        sa, *ts_match, offered, in_ike_auth ? without_key_exchange(ts_match->proposals) : ts_match->proposals,
        explanation, in_ike_auth);
    event(EventType::NoProposalChosen, sa.connection, sa.id, std::nullopt,
          "child " + ts_match->name + ": " + explanation);
    out.emplace_back(notify(ikev2::NotifyType::NoProposalChosen));
    return std::nullopt;
  }
  const ResourceAnswer resource = answer_resource_info(sa, *settings, in, replaces);
  if (resource.refused) {
    event(EventType::Error, sa.connection, sa.id, std::nullopt,
          "child " + settings->name + ": no more per-resource CHILD SAs (RFC 9611), answered TS_MAX_QUEUE");
    out.emplace_back(notify(ikev2::NotifyType::TsMaxQueue));
    return std::nullopt;
  }
  const auto peer_spi = read_u32(selection.chosen->spi);
  // RFC 4303 §2.1: SPI 0 never goes on the wire and 1..255 are reserved; an SPI the peer already
  // uses for another of its CHILD SAs would make its Deletes and REKEY_SAs ambiguous (catalog row 19).
  if (!peer_spi || *peer_spi < 256 || child_by_outbound_spi(sa.id, *peer_spi)) {
    ++counters.malformed;
    out.emplace_back(notify(ikev2::NotifyType::InvalidSyntax));
    return std::nullopt;
  }
  // PFS (§1.3): the KE the peer sent must be the chosen group.
  std::optional<crypto::SecureBytes> pfs_secret;
  std::optional<ikev2::KePayload> our_ke;
  if (alg->pfs_group && !in_ike_auth) {
    const auto* ke = ikev2::find_payload<ikev2::KePayload>(in);
    if (!ke || ke->group != static_cast<std::uint16_t>(*alg->pfs_group)) {
      out.emplace_back(notify(ikev2::NotifyType::InvalidKePayload,
                              u16_bytes(static_cast<std::uint16_t>(*alg->pfs_group))));
      return std::nullopt;
    }
    crypto::KeyExchange exchange = new_key_exchange(*alg->pfs_group, *random);
    pfs_secret = exchange.compute_shared_secret(ke->data);
    if (!pfs_secret) {
      ++counters.malformed;
      out.emplace_back(notify(ikev2::NotifyType::InvalidSyntax));
      return std::nullopt;
    }
    our_ke = ikev2::KePayload{ke->group, exchange.public_value()};
  } else if (in_ike_auth) {
    alg->pfs_group.reset();
  }

  NegotiatedChild n;
  n.settings = settings;
  n.algorithms = *alg;
  do {
    n.inbound_spi = random_child_spi(*random);
  } while (std::any_of(children.begin(), children.end(),
                       [&n](const auto& kv) { return kv.second.inbound_spi == n.inbound_spi; }));
  n.outbound_spi = *peer_spi;
  n.local_ts = narrowed->responder;
  n.remote_ts = narrowed->initiator;
  n.transport = settings->mode == ipsec::Mode::Transport &&
                ikev2::find_notify(in, ikev2::NotifyType::UseTransportMode) != nullptr;
  n.nonce_i.assign(nonce_i.begin(), nonce_i.end());
  n.nonce_r.assign(nonce_r.begin(), nonce_r.end());
  n.we_initiated = false;
  n.replaces = replaces;
  n.per_resource = resource.per_resource;
  n.resource = resource.resource;
  const ChildSaKeys keys = derive_child_sa_keys(
      sa.algorithms->prf, sa.keys->sk_d.view(), *alg,
      pfs_secret ? std::optional<ByteView>(pfs_secret->view()) : std::nullopt, nonce_i, nonce_r);

  ikev2::Proposal answer = *selection.chosen;
  answer.spi = u32_bytes(n.inbound_spi);
  if (n.transport) out.emplace_back(notify(ikev2::NotifyType::UseTransportMode));
  if (n.per_resource) out.emplace_back(notify(ikev2::NotifyType::SaResourceInfo));  // RFC 9611 §4
  out.emplace_back(ikev2::SaPayload{{answer}});
  if (!in_ike_auth) out.emplace_back(ikev2::NoncePayload{Bytes(nonce_r.begin(), nonce_r.end())});
  if (our_ke) out.emplace_back(std::move(*our_ke));
  out.emplace_back(ikev2::TsInitiatorPayload{{narrowed->initiator}});
  out.emplace_back(ikev2::TsResponderPayload{{narrowed->responder}});

  // Rekey responder: the peer may not have the new SA until it sees our response, so keep sending
  // on the old one until its Delete arrives (make-before-break).
  ChildSa& child = install_child(sa, n, keys, !replaces.has_value(), now);
  const ChildSaId new_id = child.id;
  const std::string text =
      child.child + " " + ts_list(child.local_ts) + " === " + ts_list(child.remote_ts) + ", " +
      child.algorithms.to_string() + ", SPIs " + to_hex(u32_bytes(child.inbound_spi)) + "_i " +
      to_hex(u32_bytes(child.outbound_spi)) + "_o" + (child.udp_encapsulated ? ", UDP-encapsulated" : "");
  if (replaces) {
    if (auto it = children.find(*replaces); it != children.end()) {
      it->second.state = ChildSaState::Rekeyed;
      it->second.replaced_by = new_id;
    }
    ++counters.child_sas_rekeyed;
    event(EventType::ChildSaRekeyed, sa.connection, sa.id, new_id, text);
  } else {
    event(EventType::ChildSaEstablished, sa.connection, sa.id, new_id, text);
  }
  return new_id;
}

std::optional<ChildSaId> v2::Ikev2Engine::accept_child(IkeSa& sa, const ChildNegotiation& n,
                                                       const std::vector<ikev2::Payload>& in,
                                                       ByteView nonce_i, ByteView nonce_r, TimePoint now) {
  negotiating.erase({sa.connection, n.child});
  const ChildSettings* settings = child_settings(sa.connection, n.child);
  const ConnectionSettings* conn = connection(sa.connection);
  if (!settings || !conn) return std::nullopt;
  auto fail = [&](EventType type, const std::string& why) -> std::optional<ChildSaId> {
    event(type, sa.connection, sa.id, std::nullopt, "child " + n.child + ": " + why);
    return std::nullopt;
  };
  if (const auto* error = first_error_notify(in)) {
    switch (error->type) {
      case ikev2::NotifyType::NoProposalChosen:
        ++counters.no_proposal_chosen;
        report_child_rejected_by_peer(sa, n, false);
        return fail(EventType::NoProposalChosen,
                    "responder accepted none of our proposals " + proposals_text(n.proposals));
      case ikev2::NotifyType::TsUnacceptable:
        report_child_rejected_by_peer(sa, n, true);
        return fail(EventType::TsUnacceptable, "responder refused our traffic selectors TSi " +
                                                   ts_list(n.tsi) + " TSr " + ts_list(n.tsr));
      default:
        return fail(EventType::Error, std::string("responder answered ") + ikev2::notify_name(error->type));
    }
  }
  const auto* sa_payload = ikev2::find_payload<ikev2::SaPayload>(in);
  const auto* tsi = ikev2::find_payload<ikev2::TsInitiatorPayload>(in);
  const auto* tsr = ikev2::find_payload<ikev2::TsResponderPayload>(in);
  if (!sa_payload || !tsi || !tsr || sa_payload->proposals.size() != 1) {
    ++counters.malformed;
    return fail(EventType::MalformedMessage, "response lacks SA, TSi or TSr");
  }
  const ikev2::Proposal& chosen = sa_payload->proposals.front();
  auto alg = child_algorithms(chosen);
  const auto peer_spi = read_u32(chosen.spi);
  if (!alg || !answer_matches_offer(chosen, n.proposals) || !peer_spi || *peer_spi < 256)
    return fail(EventType::NoProposalChosen,
                "responder chose something we did not offer: " + proposal_to_string(chosen));
  if (!selectors_within(tsi->selectors, n.tsi) || !selectors_within(tsr->selectors, n.tsr))
    return fail(EventType::TsUnacceptable, "responder returned selectors TSi " + ts_list(tsi->selectors) +
                                               " TSr " + ts_list(tsr->selectors) +
                                               " outside what we proposed");
  std::optional<crypto::SecureBytes> pfs_secret;
  if (alg->pfs_group) {
    const auto* ke = ikev2::find_payload<ikev2::KePayload>(in);
    if (!n.ke || !ke || n.ke->group() != *alg->pfs_group ||
        ke->group != static_cast<std::uint16_t>(*alg->pfs_group))
      return fail(EventType::Error, "PFS key exchange missing or in the wrong group");
    pfs_secret = n.ke->compute_shared_secret(ke->data);
    if (!pfs_secret) return fail(EventType::MalformedMessage, "invalid PFS KE value");
  }
  NegotiatedChild neg;
  neg.settings = settings;
  neg.algorithms = *alg;
  neg.inbound_spi = n.inbound_spi;
  neg.outbound_spi = *peer_spi;
  neg.local_ts = tsi->selectors;
  neg.remote_ts = tsr->selectors;
  neg.transport = n.transport && ikev2::find_notify(in, ikev2::NotifyType::UseTransportMode) != nullptr;
  neg.nonce_i.assign(nonce_i.begin(), nonce_i.end());
  neg.nonce_r.assign(nonce_r.begin(), nonce_r.end());
  neg.we_initiated = true;
  neg.replaces = n.rekey_of;
  // RFC 9611: per-resource when the responder answered with SA_RESOURCE_INFO too (a rekey keeps
  // what the SA was for).
  neg.per_resource =
      n.resource_info && (n.rekey_of || ikev2::find_notify(in, ikev2::NotifyType::SaResourceInfo) != nullptr);
  if (neg.per_resource) neg.resource = n.resource;
  const ChildSaKeys keys = derive_child_sa_keys(
      sa.algorithms->prf, sa.keys->sk_d.view(), *alg,
      pfs_secret ? std::optional<ByteView>(pfs_secret->view()) : std::nullopt, nonce_i, nonce_r);
  ChildSa& child = install_child(sa, neg, keys, true, now);
  const std::string text =
      child.child + " " + ts_list(child.local_ts) + " === " + ts_list(child.remote_ts) + ", " +
      child.algorithms.to_string() + ", SPIs " + to_hex(u32_bytes(child.inbound_spi)) + "_i " +
      to_hex(u32_bytes(child.outbound_spi)) + "_o" + (child.udp_encapsulated ? ", UDP-encapsulated" : "");
  const ChildSaId id = child.id;
  if (!n.rekey_of) event(EventType::ChildSaEstablished, sa.connection, sa.id, id, text);
  if (child.per_resource && !child.resource && !n.rekey_of) request_per_resource_sas(sa, child, now);
  return id;
}

}  // namespace cygnet::ike
