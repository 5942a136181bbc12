// CREATE_CHILD_SA (RFC 7296 §1.3): new CHILD SAs, CHILD SA rekeys (make-before-break, §1.3.3,
// §2.8) and IKE SA rekeys (§1.3.2, §2.18), as requester and as responder.
#include <algorithm>

#include "ike/engine_impl.hpp"
#include "ike/key_exchange_factory.hpp"
#include "ike/random_source.hpp"
#include "ike/retransmission.hpp"

namespace cygnet::ike {

namespace {

constexpr std::size_t kNonceLength = 32;

ikev2::ProtocolId protocol_id(ipsec::IpsecProtocol p) {
  return p == ipsec::IpsecProtocol::Ah ? ikev2::ProtocolId::Ah : ikev2::ProtocolId::Esp;
}

bool rekey_ike_in_flight(const IkeSa& sa) {
  return sa.outstanding && std::holds_alternative<RekeyIkeInFlight>(sa.outstanding->task);
}

}  // namespace

void Engine::Impl::send_create_child_request(IkeSa& sa, const std::string& child_name,
                                             std::optional<ChildSaId> rekey_of, TimePoint now) {
  const ChildSettings* settings = child_settings(sa.connection, child_name);
  if (!settings) return;
  ChildNegotiation n = prepare_child(sa, *settings, false);
  std::vector<ikev2::Payload> payloads;
  if (rekey_of) {
    auto it = children.find(*rekey_of);
    if (it == children.end()) return;
    const ChildSa& old = it->second;
    n.rekey_of = old.id;
    // A rekey keeps the old SA's selectors; REKEY_SA names the SPI we receive on (§1.3.3).
    n.tsi = old.local_ts;
    n.tsr = old.remote_ts;
    n.transport = old.mode == ipsec::Mode::Transport;
    ikev2::NotifyPayload rekey = notify(ikev2::NotifyType::RekeySa);
    rekey.protocol = protocol_id(old.protocol);
    rekey.spi = u32_bytes(old.inbound_spi);
    payloads.emplace_back(std::move(rekey));
  }
  append_child_request(n, payloads);
  send_request(sa, ikev2::ExchangeType::CreateChildSa, payloads, CreateChildInFlight{std::move(n)}, now);
}

void Engine::Impl::send_rekey_ike_request(IkeSa& sa, TimePoint now) {
  const ConnectionSettings* conn = connection(sa.connection);
  if (!conn || !sa.algorithms) return;
  RekeyIkeInFlight task;
  task.new_spi = fresh_ike_spi();
  task.nonce.resize(kNonceLength);
  random->fill(task.nonce);
  // Offer the current group first: the responder already accepted it.
  const crypto::DhGroup group =
      proposals_allow_group(conn->ike_proposals, sa.algorithms->group) ? sa.algorithms->group : *first_group(conn->ike_proposals);
  task.ke = std::make_shared<crypto::KeyExchange>(new_key_exchange(group, *random));
  task.proposals = conn->ike_proposals;
  std::uint8_t number = 1;
  for (auto& p : task.proposals) {
    p.number = number++;
    p.spi = u64_bytes(task.new_spi);
  }
  std::vector<ikev2::Payload> payloads;
  payloads.emplace_back(ikev2::SaPayload{task.proposals});
  payloads.emplace_back(ikev2::NoncePayload{task.nonce});
  payloads.emplace_back(ikev2::KePayload{static_cast<std::uint16_t>(group), task.ke->public_value()});
  sa.state = IkeSaState::Rekeying;
  send_request(sa, ikev2::ExchangeType::CreateChildSa, payloads, std::move(task), now);
}

std::vector<ikev2::Payload> Engine::Impl::process_create_child_request(IkeSa& sa, const std::vector<ikev2::Payload>& in,
                                                                       TimePoint now) {
  const auto* sa_payload = ikev2::find_payload<ikev2::SaPayload>(in);
  const auto* nonce = ikev2::find_payload<ikev2::NoncePayload>(in);
  if (!sa_payload || !nonce || !nonce_length_ok(nonce->data.size()) || sa_payload->proposals.empty()) {
    malformed(sa.connection, sa.id, "CREATE_CHILD_SA request without SA or a valid nonce");
    return {notify(ikev2::NotifyType::InvalidSyntax)};
  }
  if (sa_payload->proposals.front().protocol == ikev2::ProtocolId::Ike) return process_rekey_ike_request(sa, in, now);
  // While the IKE SA itself is being rekeyed, new CHILD SAs would land on the wrong SA (§2.25).
  if (rekey_ike_in_flight(sa) || sa.replaced_by || sa.state == IkeSaState::Deleting)
    return {notify(ikev2::NotifyType::TemporaryFailure)};

  const ChildSettings* forced = nullptr;
  std::optional<ChildSaId> replaces;
  if (const auto* rekey = ikev2::find_notify(in, ikev2::NotifyType::RekeySa)) {
    const auto spi = read_u32(rekey->spi);
    ChildSa* old = spi ? child_by_outbound_spi(sa.id, *spi) : nullptr;
    // REKEY_SA's protocol says which kind of SA the SPI names (§3.10): an unknown protocol, or AH
    // for an ESP SA, names none of ours (Libreswan CVE-2023-38710; catalog row 3).
    if (old && !same_protocol(rekey->protocol, old->protocol)) old = nullptr;
    if (!old || old->state != ChildSaState::Installed) {
      ikev2::NotifyPayload not_found = notify(ikev2::NotifyType::ChildSaNotFound);
      not_found.protocol = rekey->protocol;
      not_found.spi = rekey->spi;
      return {not_found};
    }
    forced = child_settings(old->connection, old->child);
    if (!forced) return {notify(ikev2::NotifyType::NoProposalChosen)};
    replaces = old->id;
  }
  Bytes nonce_r(kNonceLength);
  random->fill(nonce_r);
  std::vector<ikev2::Payload> out;
  answer_child(sa, in, nonce->data, nonce_r, false, forced, replaces, out, now);
  return out;
}

void Engine::Impl::process_create_child_response(IkeSa& sa, CreateChildInFlight& task,
                                                 const std::vector<ikev2::Payload>& in, TimePoint now) {
  const ChildNegotiation& n = task.child;
  ChildSa* old = nullptr;
  if (n.rekey_of) {
    auto it = children.find(*n.rekey_of);
    if (it != children.end()) old = &it->second;
  }
  if (const auto* error = first_error_notify(in)) {
    if (old && (error->type == ikev2::NotifyType::TemporaryFailure)) {
      // The peer is busy (e.g. rekeying the IKE SA): try again shortly (§2.25).
      old->rekey_requested = false;
      old->rekey_at = now + Seconds{2} + std::chrono::milliseconds(random->next_u32() % 3000);
      negotiating.erase({sa.connection, n.child});
      return;
    }
    if (old && error->type == ikev2::NotifyType::ChildSaNotFound) {
      negotiating.erase({sa.connection, n.child});
      // Already rekeyed or being deleted by the peer: nothing left to do for this SA.
      if (old->state != ChildSaState::Installed) return;
      event(EventType::Error, sa.connection, sa.id, old->id, "peer does not know CHILD SA " + old->child + " any more");
      remove_child(old->id, true, "unknown to the peer");
      return;
    }
  }
  const auto* nonce = ikev2::find_payload<ikev2::NoncePayload>(in);
  if (!first_error_notify(in) && (!nonce || !nonce_length_ok(nonce->data.size()))) {
    negotiating.erase({sa.connection, n.child});
    ++counters.malformed;
    event(EventType::MalformedMessage, sa.connection, sa.id, std::nullopt, "CREATE_CHILD_SA response without a valid nonce");
    if (old) old->rekey_requested = false;
    return;
  }
  const Bytes nonce_r = nonce ? nonce->data : Bytes{};
  const auto id = accept_child(sa, n, in, n.nonce, nonce_r, now);
  if (!old) return;
  if (!id) {
    old->rekey_requested = false;  // try again at the next opportunity (expiry still applies)
    old->rekey_at = now + Seconds{10};
    return;
  }
  ChildSa& fresh = children.at(*id);
  if (resolve_rekey_collision(sa, *old, fresh, n.nonce, nonce_r, now)) return;
  old->state = ChildSaState::Rekeyed;
  old->replaced_by = fresh.id;
  ++counters.child_sas_rekeyed;
  event(EventType::ChildSaRekeyed, sa.connection, sa.id, fresh.id,
        fresh.child + " rekeyed: SPIs " + to_hex(u32_bytes(old->inbound_spi)) + "_i " + to_hex(u32_bytes(old->outbound_spi)) +
            "_o → " + to_hex(u32_bytes(fresh.inbound_spi)) + "_i " + to_hex(u32_bytes(fresh.outbound_spi)) + "_o");
  // Make-before-break: the new pair already carries our traffic; now retire the old one.
  queue_request(sa, PendingDeleteChildren{{ChildRef{old->id, old->inbound_spi, old->protocol}}}, now, true);
}

bool Engine::Impl::resolve_rekey_collision(IkeSa& sa, ChildSa& old, ChildSa& ours, ByteView our_ni, ByteView our_nr,
                                           TimePoint now) {
  if (old.state != ChildSaState::Rekeyed || !old.replaced_by) return false;
  auto it = children.find(*old.replaced_by);
  if (it == children.end() || it->second.created_by_us) return false;
  ChildSa& theirs = it->second;
  // §2.8.1: both ends rekeyed the same SA. The exchange with the lowest of the four nonces made
  // the redundant SA; its initiator deletes it, the other initiator deletes the old SA.
  auto lowest = [](ByteView x, ByteView y) {
    return std::lexicographical_compare(x.begin(), x.end(), y.begin(), y.end()) ? x : y;
  };
  const ByteView our_low = lowest(our_ni, our_nr);
  const ByteView their_low = lowest(theirs.nonce_i, theirs.nonce_r);
  const bool ours_redundant =
      std::lexicographical_compare(our_low.begin(), our_low.end(), their_low.begin(), their_low.end());
  if (ours_redundant) {
    if (theirs.activation_pending) {
      theirs.activation_pending = false;
      actions.emplace_back(ActivateChildSa{theirs.id});
    }
    ours.state = ChildSaState::Rekeyed;
    ours.replaced_by = theirs.id;
    queue_request(sa, PendingDeleteChildren{{ChildRef{ours.id, ours.inbound_spi, ours.protocol}}}, now, true);
  } else {
    theirs.state = ChildSaState::Rekeyed;  // the peer deletes it
    theirs.replaced_by = ours.id;
    old.replaced_by = ours.id;
    queue_request(sa, PendingDeleteChildren{{ChildRef{old.id, old.inbound_spi, old.protocol}}}, now, true);
  }
  return true;
}

IkeSa& Engine::Impl::adopt_rekeyed_ike_sa(IkeSa& old, bool we_initiated, std::uint64_t spi_i, std::uint64_t spi_r,
                                          const ikev2::Proposal& chosen, ByteView shared_secret, ByteView ni,
                                          ByteView nr, TimePoint now) {
  auto fresh = std::make_unique<IkeSa>();
  IkeSa& sa = *fresh;
  sa.id = next_ike_sa_id++;
  sa.connection = old.connection;
  sa.initiator = we_initiated;  // the rekey's initiator is the new SA's original initiator (§2.18)
  sa.state = IkeSaState::Established;
  sa.authenticated = true;
  sa.spi_i = spi_i;
  sa.spi_r = spi_r;
  sa.local = old.local;
  sa.remote = old.remote;
  sa.nat_local = old.nat_local;
  sa.nat_remote = old.nat_remote;
  sa.fragmentation = old.fragmentation;
  sa.peer_signature_hashes = old.peer_signature_hashes;
  ikev2::Proposal p = chosen;
  p.spi.clear();
  sa.proposal = p;
  sa.algorithms = ike_algorithms(p);
  sa.nonce_i.assign(ni.begin(), ni.end());
  sa.nonce_r.assign(nr.begin(), nr.end());
  sa.local_id = old.local_id;
  sa.remote_id = old.remote_id;
  sa.created = now;
  sa.established_at = now;
  sa.last_received = now;
  const auto seed = rekey_skeyseed(old.algorithms->prf, old.keys->sk_d.view(), shared_secret, ni, nr);
  ike_sas[sa.id] = std::move(fresh);
  by_spi[sa.our_spi()] = sa.id;
  set_ike_keys(sa, seed.view());
  release_establishment_state(sa);  // authenticated already: no IKE_AUTH follows
  for (ChildSa* c : children_of(old.id)) c->ike_sa = sa.id;
  // Work queued on the old SA continues on the new one (except deleting the old one).
  for (auto& p2 : old.queue)
    if (!std::holds_alternative<PendingDeleteIke>(p2)) sa.queue.push_back(std::move(p2));
  old.queue.clear();
  old.replaced_by = sa.id;
  old.state = IkeSaState::Rekeying;
  // The old SA only waits for its Delete exchange; if that never comes, it goes quietly.
  old.rekey_at.reset();
  old.expire_at = now + retransmit_total(options) + Seconds{10};
  if (const ConnectionSettings* conn = connection(sa.connection)) schedule_ike_lifetime(sa, *conn, now);
  ++counters.ike_sas_rekeyed;
  event(EventType::IkeSaRekeyed, sa.connection, sa.id, std::nullopt,
        "IKE SA " + to_hex(u64_bytes(old.spi_i)) + "_i " + to_hex(u64_bytes(old.spi_r)) + "_r → " +
            to_hex(u64_bytes(sa.spi_i)) + "_i " + to_hex(u64_bytes(sa.spi_r)) + "_r, " + sa.algorithms->to_string());
  return sa;
}

std::vector<ikev2::Payload> Engine::Impl::process_rekey_ike_request(IkeSa& sa, const std::vector<ikev2::Payload>& in,
                                                                    TimePoint now) {
  const ConnectionSettings* conn = connection(sa.connection);
  const auto* sa_payload = ikev2::find_payload<ikev2::SaPayload>(in);
  const auto* nonce = ikev2::find_payload<ikev2::NoncePayload>(in);
  const auto* ke = ikev2::find_payload<ikev2::KePayload>(in);
  if (!conn || sa.replaced_by || sa.state == IkeSaState::Deleting) return {notify(ikev2::NotifyType::TemporaryFailure)};
  if (rekey_ike_in_flight(sa) || (sa.outstanding && std::holds_alternative<CreateChildInFlight>(sa.outstanding->task))) {
    // Both ends rekeying at once: refuse; each retries after a random delay.
    return {notify(ikev2::NotifyType::TemporaryFailure)};
  }
  if (!ke || !nonce) {
    malformed(sa.connection, sa.id, "IKE SA rekey request without KE or nonce");
    return {notify(ikev2::NotifyType::InvalidSyntax)};
  }
  Selection selection = select_proposal(sa_payload->proposals, conn->ike_proposals, conn->allow_legacy);
  std::optional<IkeAlgorithms> alg;
  if (selection.chosen) alg = ike_algorithms(*selection.chosen);
  if (!alg) {
    ++counters.no_proposal_chosen;
    event(EventType::NoProposalChosen, sa.connection, sa.id, std::nullopt, "IKE SA rekey: " + selection.explanation);
    return {notify(ikev2::NotifyType::NoProposalChosen)};
  }
  const auto peer_spi = read_u64(selection.chosen->spi);
  if (!peer_spi || *peer_spi == 0) {
    malformed(sa.connection, sa.id, "IKE SA rekey proposal without an 8-byte SPI");
    return {notify(ikev2::NotifyType::InvalidSyntax)};
  }
  if (ke->group != static_cast<std::uint16_t>(alg->group))
    return {notify(ikev2::NotifyType::InvalidKePayload, u16_bytes(static_cast<std::uint16_t>(alg->group)))};
  crypto::KeyExchange ours = new_key_exchange(alg->group, *random);
  auto secret = ours.compute_shared_secret(ke->data);
  if (!secret) {
    malformed(sa.connection, sa.id, "IKE SA rekey: invalid KE value");
    return {notify(ikev2::NotifyType::InvalidSyntax)};
  }
  Bytes nonce_r(kNonceLength);
  random->fill(nonce_r);
  const std::uint64_t our_spi = fresh_ike_spi();
  IkeSa& fresh = adopt_rekeyed_ike_sa(sa, false, *peer_spi, our_spi, *selection.chosen, secret->view(), nonce->data,
                                      nonce_r, now);
  (void)fresh;
  ikev2::Proposal answer = *selection.chosen;
  answer.spi = u64_bytes(our_spi);
  return {ikev2::SaPayload{{answer}}, ikev2::NoncePayload{nonce_r},
          ikev2::KePayload{static_cast<std::uint16_t>(alg->group), ours.public_value()}};
}

void Engine::Impl::process_rekey_ike_response(IkeSa& sa, RekeyIkeInFlight& task, const std::vector<ikev2::Payload>& in,
                                              TimePoint now) {
  sa.state = IkeSaState::Established;
  auto retry_later = [&](Seconds base) {
    sa.rekey_requested = false;
    sa.rekey_at = now + base + std::chrono::milliseconds(random->next_u32() % 5000);
  };
  if (const auto* error = first_error_notify(in)) {
    if (error->type == ikev2::NotifyType::NoProposalChosen) {
      ++counters.no_proposal_chosen;
      event(EventType::NoProposalChosen, sa.connection, sa.id, std::nullopt, "peer refused our IKE SA rekey proposals");
    } else if (error->type != ikev2::NotifyType::TemporaryFailure) {
      event(EventType::Error, sa.connection, sa.id, std::nullopt,
            std::string("IKE SA rekey failed: peer answered ") + ikev2::notify_name(error->type));
    }
    retry_later(error->type == ikev2::NotifyType::TemporaryFailure ? Seconds{1} : Seconds{30});
    return;
  }
  const auto* sa_payload = ikev2::find_payload<ikev2::SaPayload>(in);
  const auto* nonce = ikev2::find_payload<ikev2::NoncePayload>(in);
  const auto* ke = ikev2::find_payload<ikev2::KePayload>(in);
  if (!sa_payload || !nonce || !ke || sa_payload->proposals.size() != 1 || !nonce_length_ok(nonce->data.size())) {
    malformed(sa.connection, sa.id, "IKE SA rekey response without SA, KE or a valid nonce");
    retry_later(Seconds{30});
    return;
  }
  const ikev2::Proposal& chosen = sa_payload->proposals.front();
  const auto alg = ike_algorithms(chosen);
  const auto peer_spi = read_u64(chosen.spi);
  if (!alg || !peer_spi || *peer_spi == 0 || !answer_matches_offer(chosen, task.proposals) ||
      ke->group != static_cast<std::uint16_t>(task.ke->group()) || alg->group != task.ke->group()) {
    event(EventType::Error, sa.connection, sa.id, std::nullopt, "IKE SA rekey response does not match our offer");
    retry_later(Seconds{30});
    return;
  }
  auto secret = task.ke->compute_shared_secret(ke->data);
  if (!secret) {
    malformed(sa.connection, sa.id, "IKE SA rekey response: invalid KE value");
    retry_later(Seconds{30});
    return;
  }
  IkeSa& fresh = adopt_rekeyed_ike_sa(sa, true, task.new_spi, *peer_spi, chosen, secret->view(), task.nonce,
                                      nonce->data, now);
  queue_request(sa, PendingDeleteIke{}, now, true);
  pump(fresh, now);
}

}  // namespace cygnet::ike
