// The IKE SA rekey task (RFC 7296 §1.3.2, §2.18): CREATE_CHILD_SA with an IKE proposal, a fresh
// SPI, nonce and KE. The rekey's initiator becomes the new SA's original initiator; the CHILD SAs
// and queued tasks move to the new SA, and the old one is deleted. Simultaneous rekeys are refused
// with TEMPORARY_FAILURE and retried after a random delay.
#include "ike/key_exchange_factory.hpp"
#include "ike/random_source.hpp"
#include "ike/retransmission.hpp"
#include "ike/v2/ikev2_engine.hpp"

namespace cygnet::ike {

namespace {
constexpr std::size_t kNonceLength = 32;
}  // namespace

void v2::Ikev2Engine::start(IkeSa& sa, IkeRekeyTask /*task: filled by send_rekey_ike_request*/,
                            TimePoint now) {
  if (sa.replaced_by || sa.state != IkeSaState::Established) return;
  send_rekey_ike_request(sa, now);
}

void v2::Ikev2Engine::on_response(IkeSa& sa, IkeRekeyTask& task, const std::vector<ikev2::Payload>& in,
                                  TimePoint now) {
  process_rekey_ike_response(sa, task, in, now);
}

void v2::Ikev2Engine::send_rekey_ike_request(IkeSa& sa, TimePoint now) {
  const ConnectionSettings* conn = connection(sa.connection);
  if (!conn || !sa.algorithms) return;
  IkeRekeyTask task;
  task.new_spi = fresh_ike_spi();
  task.nonce.resize(kNonceLength);
  random->fill(task.nonce);
  // Offer the current group first: the responder already accepted it.
  const crypto::DhGroup group = proposals_allow_group(conn->ike_proposals, sa.algorithms->group)
                                    ? sa.algorithms->group
                                    : *first_group(conn->ike_proposals);
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

std::vector<ikev2::Payload> v2::Ikev2Engine::process_rekey_ike_request(IkeSa& sa,
                                                                       const std::vector<ikev2::Payload>& in,
                                                                       TimePoint now) {
  const ConnectionSettings* conn = connection(sa.connection);
  const auto* sa_payload = ikev2::find_payload<ikev2::SaPayload>(in);
  const auto* nonce = ikev2::find_payload<ikev2::NoncePayload>(in);
  const auto* ke = ikev2::find_payload<ikev2::KePayload>(in);
  if (!conn || sa.replaced_by || sa.state == IkeSaState::Deleting)
    return {notify(ikev2::NotifyType::TemporaryFailure)};
  if (sa.outstanding_is<IkeRekeyTask>() || sa.outstanding_is<ChildCreateTask>() ||
      sa.outstanding_is<ChildRekeyTask>()) {
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
    event(EventType::NoProposalChosen, sa.connection, sa.id, std::nullopt,
          "IKE SA rekey: " + selection.explanation);
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
  IkeSa& fresh = adopt_rekeyed_ike_sa(sa, false, *peer_spi, our_spi, *selection.chosen, secret->view(),
                                      nonce->data, nonce_r, now);
  (void)fresh;
  ikev2::Proposal answer = *selection.chosen;
  answer.spi = u64_bytes(our_spi);
  return {ikev2::SaPayload{{answer}}, ikev2::NoncePayload{nonce_r},
          ikev2::KePayload{static_cast<std::uint16_t>(alg->group), ours.public_value()}};
}

void v2::Ikev2Engine::process_rekey_ike_response(IkeSa& sa, IkeRekeyTask& task,
                                                 const std::vector<ikev2::Payload>& in, TimePoint now) {
  sa.state = IkeSaState::Established;
  auto retry_later = [&](Seconds base) {
    sa.rekey_requested = false;
    sa.rekey_at = now + base + std::chrono::milliseconds(random->next_u32() % 5000);
  };
  if (const auto* error = first_error_notify(in)) {
    if (error->type == ikev2::NotifyType::NoProposalChosen) {
      ++counters.no_proposal_chosen;
      event(EventType::NoProposalChosen, sa.connection, sa.id, std::nullopt,
            "peer refused our IKE SA rekey proposals");
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
  if (!sa_payload || !nonce || !ke || sa_payload->proposals.size() != 1 ||
      !nonce_length_ok(nonce->data.size())) {
    malformed(sa.connection, sa.id, "IKE SA rekey response without SA, KE or a valid nonce");
    retry_later(Seconds{30});
    return;
  }
  const ikev2::Proposal& chosen = sa_payload->proposals.front();
  const auto alg = ike_algorithms(chosen);
  const auto peer_spi = read_u64(chosen.spi);
  if (!alg || !peer_spi || *peer_spi == 0 || !answer_matches_offer(chosen, task.proposals) ||
      ke->group != static_cast<std::uint16_t>(task.ke->group()) || alg->group != task.ke->group()) {
    event(EventType::Error, sa.connection, sa.id, std::nullopt,
          "IKE SA rekey response does not match our offer");
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
  queue_request(sa, DeleteIkeTask{}, now, true);
  pump(fresh, now);
}

IkeSa& v2::Ikev2Engine::adopt_rekeyed_ike_sa(IkeSa& old, bool we_initiated, std::uint64_t spi_i,
                                             std::uint64_t spi_r, const ikev2::Proposal& chosen,
                                             ByteView shared_secret, ByteView ni, ByteView nr,
                                             TimePoint now) {
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
  sa.mobike = old.mobike;  // MOBIKE state goes with the IKE SA (task_mobike.cpp)
  sa.peer_additional_addresses = old.peer_additional_addresses;
  sa.verified_peer_addresses = old.verified_peer_addresses;
  sa.peer_signature_hashes = old.peer_signature_hashes;
  ikev2::Proposal p = chosen;
  p.spi.clear();
  sa.proposal = p;
  sa.algorithms = ike_algorithms(p);
  sa.nonce_i.assign(ni.begin(), ni.end());
  sa.nonce_r.assign(nr.begin(), nr.end());
  sa.local_id = old.local_id;
  sa.remote_id = old.remote_id;
  sa.eap_identity = old.eap_identity;
  // A rekey is no reauthentication: the deadline (and one under way) stays (task_ike_reauth.cpp).
  sa.reauth_at = old.reauth_at;
  sa.reauth_by = std::exchange(old.reauth_by, std::nullopt);
  // The virtual IPs stay with the client: the new SA holds them now, the old one releases nothing.
  sa.leases = std::exchange(old.leases, {});
  sa.lease_identity = old.lease_identity;
  sa.eap_identity = old.eap_identity;  // still the user `cygnetctl status` shows
  sa.virtual_ips = std::exchange(old.virtual_ips, {});
  sa.created = now;
  sa.established_at = now;
  sa.last_received = now;
  const auto seed = rekey_skeyseed(old.algorithms->prf, old.keys->sk_d.view(), shared_secret, ni, nr);
  ike_sas[sa.id] = std::move(fresh);
  by_spi[sa.our_spi()] = sa.id;
  set_ike_keys(sa, seed.view());
  release_establishment_state(sa);  // authenticated already: no IKE_AUTH follows
  move_children_to(old.id, sa.id);
  // Work queued on the old SA continues on the new one (except deleting the old one).
  for (auto& p2 : old.queue)
    if (!std::holds_alternative<DeleteIkeTask>(p2)) sa.queue.push_back(std::move(p2));
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
            to_hex(u64_bytes(sa.spi_i)) + "_i " + to_hex(u64_bytes(sa.spi_r)) + "_r, " +
            sa.algorithms->to_string());
  return sa;
}

}  // namespace cygnet::ike
