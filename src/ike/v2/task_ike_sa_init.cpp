// IKE_SA_INIT (RFC 7296 §1.2, §2.6 cookies, §2.7 proposals, §2.23 NAT detection; RFC 7383 and
// RFC 7427 announcements): the initiator's request and its retries, the responder's stateless
// checks and its half-open SA.
#include <algorithm>
#include <set>

#include "ike/key_exchange_factory.hpp"
#include "ike/random_source.hpp"
#include "ike/retransmission.hpp"
#include "ike/v2/authentication.hpp"
#include "ike/v2/ikev2_engine.hpp"
#include "ike/v2/nat_detection.hpp"
#include "ike/v2/peer_authentication.hpp"

namespace cygnet::ike {

namespace {

constexpr std::size_t kNonceLength = 32;
constexpr unsigned kMaxInitRetries = 4;

std::vector<ikev2::Proposal> numbered_without_spi(const std::vector<ikev2::Proposal>& in) {
  std::vector<ikev2::Proposal> out = in;
  std::uint8_t n = 1;
  for (auto& p : out) {
    p.number = n++;
    p.spi.clear();
  }
  return out;
}

std::vector<const ikev2::NotifyPayload*> all_notifies(const std::vector<ikev2::Payload>& payloads,
                                                      ikev2::NotifyType type) {
  std::vector<const ikev2::NotifyPayload*> out;
  for (const auto& p : payloads)
    if (const auto* n = std::get_if<ikev2::NotifyPayload>(&p); n && n->type == type) out.push_back(n);
  return out;
}

// Whether a NAT rewrote `endpoint`: the peer sent hashes and none matches what we see.
bool nat_between(const std::vector<ikev2::Payload>& payloads, ikev2::NotifyType type, std::uint64_t spi_i,
                 std::uint64_t spi_r, const Endpoint& endpoint) {
  const auto hashes = all_notifies(payloads, type);
  if (hashes.empty()) return false;
  const Bytes expected = nat_detection_hash(spi_i, spi_r, endpoint);
  return std::none_of(hashes.begin(), hashes.end(),
                      [&expected](const ikev2::NotifyPayload* n) { return n->data == expected; });
}

bool uses_public_key(const ConnectionSettings& c) {
  return local_auth_method(c) == AuthMethod::PublicKey || remote_auth_method(c) == AuthMethod::PublicKey;
}

}  // namespace

// Sent by initiate_to when the SA is created; never queued.
void v2::Ikev2Engine::start(IkeSa& sa, IkeSaInitTask /*task*/, TimePoint now) {
  send_init_request(sa, now);
}

// Never called: the IKE_SA_INIT response is unencrypted and goes from on_message straight to
// process_init_response (handle_response only takes encrypted responses of an SA with keys).
void v2::Ikev2Engine::on_response(IkeSa& /*sa*/, IkeSaInitTask& /*task*/,
                                  const std::vector<ikev2::Payload>& /*in*/, TimePoint /*now*/) {}

void v2::Ikev2Engine::send_init_request(IkeSa& sa, TimePoint now) {
  const ConnectionSettings* conn = connection(sa.connection);
  if (!conn) return;
  if (!sa.ke)
    sa.ke =
        std::make_shared<crypto::KeyExchange>(new_key_exchange(*first_group(conn->ike_proposals), *random));
  if (sa.nonce_i.empty()) {
    sa.nonce_i.resize(kNonceLength);
    random->fill(sa.nonce_i);
  }
  std::vector<ikev2::Payload> payloads;
  if (!sa.cookie.empty()) payloads.emplace_back(notify(ikev2::NotifyType::Cookie, sa.cookie));
  payloads.emplace_back(ikev2::SaPayload{numbered_without_spi(conn->ike_proposals)});
  payloads.emplace_back(ikev2::KePayload{static_cast<std::uint16_t>(sa.ke->group()), sa.ke->public_value()});
  payloads.emplace_back(ikev2::NoncePayload{sa.nonce_i});
  const bool force = conn->encapsulation == Encapsulation::ForceUdp;
  payloads.emplace_back(
      notify(ikev2::NotifyType::NatDetectionSourceIp, force ? forced_nat_detection_hash(sa.spi_i, 0, sa.local)
                                                            : nat_detection_hash(sa.spi_i, 0, sa.local)));
  payloads.emplace_back(
      notify(ikev2::NotifyType::NatDetectionDestinationIp, nat_detection_hash(sa.spi_i, 0, sa.remote)));
  payloads.emplace_back(notify(ikev2::NotifyType::IkeFragmentationSupported));
  if (uses_public_key(*conn))
    payloads.emplace_back(notify(ikev2::NotifyType::SignatureHashAlgorithms,
                                 encode_signature_hash_algorithms(supported_signature_hashes())));
  ikev2::Message m;
  m.header.initiator_spi = sa.spi_i;
  m.header.exchange = ikev2::ExchangeType::IkeSaInit;
  m.header.flags = ikev2::kFlagInitiator;
  m.header.message_id = 0;
  m.payloads = std::move(payloads);
  sa.init_request = ikev2::serialize_message(m);
  emit(sa.local, sa.remote, sa.init_request);
  counters.exchanges.count(ExchangeKind::IkeSaInit, ExchangeRole::Initiator);
  sa.next_message_id = 1;
  OutstandingRequest request;
  request.message_id = 0;
  request.exchange = ikev2::ExchangeType::IkeSaInit;
  request.datagrams = {sa.init_request};
  request.next_retransmit = now + retransmit_delay(options, 0);
  request.task = IkeSaInitTask{};
  sa.outstanding = std::move(request);
}

void v2::Ikev2Engine::process_init_request(const ikev2::Message& m, ByteView raw, const Endpoint& local,
                                           const Endpoint& remote, TimePoint now) {
  const ikev2::Header& h = m.header;
  std::vector<const ConnectionSettings*> candidates;
  for (const auto& c : connections)
    if (address_allowed(c.local_addrs, local.address) && remote_allowed(c, remote.address) &&
        !c.ike_proposals.empty())
      candidates.push_back(&c);
  if (candidates.empty()) {
    failures.record(basic_failure_report("", FailureRole::Responder, 2, "IKE_SA_INIT", FailureClass::Other,
                                         "no connection accepts IKE_SA_INIT from " + remote.to_string() +
                                             " to " + local.to_string() + " (local_addrs/remote_addrs)",
                                         remote.to_string()));
    event(EventType::Error, "", std::nullopt, std::nullopt,
          "IKE_SA_INIT from " + remote.to_string() + " to " + local.to_string() +
              ": no connection accepts these addresses");
    send_init_error(local, remote, h, ikev2::NotifyType::NoProposalChosen, {});
    return;
  }
  const auto* sa_payload = ikev2::find_payload<ikev2::SaPayload>(m.payloads);
  const auto* ke = ikev2::find_payload<ikev2::KePayload>(m.payloads);
  const auto* nonce = ikev2::find_payload<ikev2::NoncePayload>(m.payloads);
  // Each of SA, KE and Nonce exactly once was checked by the payload table (ikev2_payload_rules.hpp).
  if (!sa_payload || !ke || !nonce || !nonce_length_ok(nonce->data.size()) || sa_payload->proposals.empty()) {
    malformed(candidates.front()->name, std::nullopt,
              "IKE_SA_INIT from " + remote.to_string() + " lacks a 16..256-byte nonce or a proposal");
    send_init_error(local, remote, h, ikev2::NotifyType::InvalidSyntax, {});
    return;
  }

  // Past the caps: no state, no DH, no answer (RFC 8019 §4.4); a cookie does not lift them.
  switch (half_open.admits(remote.address)) {
    case HalfOpenVerdict::GlobalCap: counters.refusals.count(RefusalReason::HalfOpenGlobalCap); return;
    case HalfOpenVerdict::PerSourceCap: counters.refusals.count(RefusalReason::HalfOpenPerSourceCap); return;
    case HalfOpenVerdict::Admit: break;
  }
  // Under load, only initiators that prove they receive at their address get state (§2.6).
  if (half_open_count() >= options.cookie_threshold) {
    const auto* cookie =
        m.payloads.empty() ? nullptr : std::get_if<ikev2::NotifyPayload>(&m.payloads.front());
    const bool valid = cookie && cookie->type == ikev2::NotifyType::Cookie &&
                       cookies.verify(cookie->data, nonce->data, remote.address, h.initiator_spi);
    if (!valid) {
      ++counters.cookies_sent;
      send_init_error(local, remote, h, ikev2::NotifyType::Cookie,
                      cookies.make(nonce->data, remote.address, h.initiator_spi, *random, now));
      return;
    }
  }

  const ConnectionSettings* conn = nullptr;
  std::optional<ikev2::Proposal> chosen;
  std::optional<IkeAlgorithms> alg;
  std::string explanation;
  for (const ConnectionSettings* c : candidates) {
    Selection s = select_proposal(sa_payload->proposals, c->ike_proposals, c->allow_legacy);
    if (s.chosen) {
      if (auto a = ike_algorithms(*s.chosen)) {
        conn = c;
        chosen = std::move(s.chosen);
        alg = a;
        break;
      }
    }
    if (explanation.empty()) explanation = s.explanation;
  }
  if (!conn) {
    ++counters.no_proposal_chosen;
    report_ike_proposals_refused(candidates, sa_payload->proposals, remote, explanation);
    event(EventType::NoProposalChosen, candidates.front()->name, std::nullopt, std::nullopt,
          "IKE_SA_INIT from " + remote.to_string() + ": " + explanation);
    send_init_error(local, remote, h, ikev2::NotifyType::NoProposalChosen, {});
    return;
  }
  if (ke->group != static_cast<std::uint16_t>(alg->group)) {
    send_init_error(local, remote, h, ikev2::NotifyType::InvalidKePayload,
                    u16_bytes(static_cast<std::uint16_t>(alg->group)));
    return;
  }
  if (ke->data.size() != crypto::dh_public_length(alg->group)) {
    malformed(
        conn->name, std::nullopt,
        "IKE_SA_INIT KE data has the wrong length for " + std::string(crypto::dh_group_name(alg->group)));
    send_init_error(local, remote, h, ikev2::NotifyType::InvalidSyntax, {});
    return;
  }
  crypto::KeyExchange ours = new_key_exchange(alg->group, *random);
  auto secret = ours.compute_shared_secret(ke->data);
  if (!secret) {
    malformed(conn->name, std::nullopt, "IKE_SA_INIT KE value is not a valid public value");
    send_init_error(local, remote, h, ikev2::NotifyType::InvalidSyntax, {});
    return;
  }

  IkeSa& sa = create_ike_sa(*conn, false, now);
  sa.spi_i = h.initiator_spi;
  sa.local = local;
  sa.remote = remote;
  sa.nonce_i = nonce->data;
  sa.nonce_r.resize(kNonceLength);
  random->fill(sa.nonce_r);
  chosen->spi.clear();
  sa.proposal = chosen;
  sa.algorithms = alg;
  sa.init_request.assign(raw.begin(), raw.end());
  sa.half_open_expire = now + options.half_open_timeout;
  half_open.add(remote.address);
  sa.half_open_source = remote.address;
  responders_by_spi_i.emplace(sa.spi_i, sa.id);
  sa.nat_remote = nat_between(m.payloads, ikev2::NotifyType::NatDetectionSourceIp, sa.spi_i, 0, remote);
  sa.nat_local = nat_between(m.payloads, ikev2::NotifyType::NatDetectionDestinationIp, sa.spi_i, 0, local);
  if (conn->encapsulation == Encapsulation::ForceUdp) sa.nat_local = true;
  sa.fragmentation = ikev2::find_notify(m.payloads, ikev2::NotifyType::IkeFragmentationSupported) != nullptr;
  if (const auto* hashes = ikev2::find_notify(m.payloads, ikev2::NotifyType::SignatureHashAlgorithms))
    sa.peer_signature_hashes = decode_signature_hash_algorithms(hashes->data);

  std::vector<ikev2::Payload> payloads;
  payloads.emplace_back(ikev2::SaPayload{{*chosen}});
  payloads.emplace_back(ikev2::KePayload{static_cast<std::uint16_t>(alg->group), ours.public_value()});
  payloads.emplace_back(ikev2::NoncePayload{sa.nonce_r});
  // CERTREQ naming the CAs we trust (RFC 7296 §3.7): peers such as strongSwan (send_cert =
  // ifasked) send their certificate only when asked. The connection is not final until IKE_AUTH,
  // so every candidate's CAs are named, each once.
  {
    ikev2::CertReqPayload request;
    std::set<Bytes> named;
    for (const ConnectionSettings* c : candidates) {
      auto req = our_certificate_request(*c);
      if (!req) continue;
      for (std::size_t i = 0; i + 20 <= req->data.size(); i += 20) {
        Bytes id(req->data.begin() + static_cast<std::ptrdiff_t>(i),
                 req->data.begin() + static_cast<std::ptrdiff_t>(i + 20));
        if (named.insert(id).second) request.data.insert(request.data.end(), id.begin(), id.end());
      }
    }
    if (!request.data.empty()) payloads.emplace_back(std::move(request));
  }
  const bool force = conn->encapsulation == Encapsulation::ForceUdp;
  payloads.emplace_back(notify(ikev2::NotifyType::NatDetectionSourceIp,
                               force ? forced_nat_detection_hash(sa.spi_i, sa.spi_r, local)
                                     : nat_detection_hash(sa.spi_i, sa.spi_r, local)));
  payloads.emplace_back(
      notify(ikev2::NotifyType::NatDetectionDestinationIp, nat_detection_hash(sa.spi_i, sa.spi_r, remote)));
  if (sa.fragmentation) payloads.emplace_back(notify(ikev2::NotifyType::IkeFragmentationSupported));
  if (std::any_of(candidates.begin(), candidates.end(),
                  [](const ConnectionSettings* c) { return uses_public_key(*c); }))
    payloads.emplace_back(notify(ikev2::NotifyType::SignatureHashAlgorithms,
                                 encode_signature_hash_algorithms(supported_signature_hashes())));
  ikev2::Message response;
  response.header.initiator_spi = sa.spi_i;
  response.header.responder_spi = sa.spi_r;
  response.header.exchange = ikev2::ExchangeType::IkeSaInit;
  response.header.flags = ikev2::kFlagResponse;
  response.header.message_id = 0;
  response.payloads = std::move(payloads);
  sa.init_response = ikev2::serialize_message(response);
  counters.exchanges.count(ExchangeKind::IkeSaInit, ExchangeRole::Responder);
  sa.last_response = {sa.init_response};
  sa.duplicate_answers = 0;
  sa.last_response_id = 0;
  sa.expected_message_id = 1;
  set_ike_keys(sa, skeyseed(alg->prf, sa.nonce_i, sa.nonce_r, secret->view()).view());
  emit(sa.local, sa.remote, sa.init_response);
}

void v2::Ikev2Engine::process_init_response(IkeSa& sa, const ikev2::Message& m, ByteView raw, TimePoint now) {
  const ConnectionSettings* conn = connection(sa.connection);
  if (!conn) {
    remove_ike_sa(sa.id, std::nullopt, "");
    return;
  }
  const IkeSaId id = sa.id;
  auto fail = [&](EventType type, const std::string& detail) { remove_ike_sa(id, type, detail); };

  if (const auto* cookie = ikev2::find_notify(m.payloads, ikev2::NotifyType::Cookie)) {
    if (cookie->data.empty() || cookie->data.size() > 64 || sa.init_retries >= kMaxInitRetries) {
      fail(EventType::Error, "IKE_SA_INIT: unusable or repeated COOKIE from " + sa.remote.to_string());
      return;
    }
    ++sa.init_retries;
    sa.cookie = cookie->data;
    event(EventType::CookieRequested, sa.connection, id, std::nullopt,
          sa.remote.to_string() + " is under load and asked for a cookie; retrying with it");
    send_init_request(sa, now);
    return;
  }
  if (const auto* invalid_ke = ikev2::find_notify(m.payloads, ikev2::NotifyType::InvalidKePayload)) {
    std::optional<crypto::DhGroup> group;
    if (invalid_ke->data.size() == 2)
      group = crypto::dh_group_from_id(
          static_cast<std::uint16_t>((invalid_ke->data[0] << 8) | invalid_ke->data[1]));
    if (!group || !proposals_allow_group(conn->ike_proposals, *group) ||
        (sa.ke && sa.ke->group() == *group) || sa.init_retries >= kMaxInitRetries) {
      report_ike_proposals_rejected_by_peer(
          sa, *conn,
          "the responder requires key exchange group " +
              (group ? crypto::dh_group_name(*group) : std::string("(unknown)")) +
              ", which we do not propose");
      fail(EventType::NoProposalChosen,
           "responder " + sa.remote.to_string() + " requires key exchange group " +
               (group ? crypto::dh_group_name(*group) : std::string("(unknown)")) +
               ", which we do not propose");
      return;
    }
    ++sa.init_retries;
    const std::string from = sa.ke ? crypto::dh_group_name(sa.ke->group()) : "?";
    sa.ke = std::make_shared<crypto::KeyExchange>(new_key_exchange(*group, *random));
    event(EventType::InvalidKeRetry, sa.connection, id, std::nullopt,
          "responder wants " + std::string(crypto::dh_group_name(*group)) + " instead of " + from +
              "; retrying");
    send_init_request(sa, now);
    return;
  }
  if (ikev2::find_notify(m.payloads, ikev2::NotifyType::NoProposalChosen)) {
    ++counters.no_proposal_chosen;
    std::string offered;
    for (const auto& p : conn->ike_proposals)
      offered += (offered.empty() ? "" : ", ") + proposal_to_string(p);
    report_ike_proposals_rejected_by_peer(
        sa, *conn, "the responder accepted none of our IKE proposals (NO_PROPOSAL_CHOSEN)");
    fail(EventType::NoProposalChosen,
         "responder " + sa.remote.to_string() + " accepted none of our IKE proposals [" + offered + "]");
    return;
  }
  if (const auto* error = first_error_notify(m.payloads)) {
    fail(EventType::Error,
         std::string("IKE_SA_INIT failed: responder answered ") + ikev2::notify_name(error->type));
    return;
  }

  const auto* sa_payload = ikev2::find_payload<ikev2::SaPayload>(m.payloads);
  const auto* ke = ikev2::find_payload<ikev2::KePayload>(m.payloads);
  const auto* nonce = ikev2::find_payload<ikev2::NoncePayload>(m.payloads);
  if (!sa_payload || !ke || !nonce || !nonce_length_ok(nonce->data.size()) || m.header.responder_spi == 0 ||
      sa_payload->proposals.size() != 1) {
    malformed(sa.connection, id, "IKE_SA_INIT response lacks SA, KE, a valid nonce or the responder SPI");
    return;  // dropped; we keep retransmitting
  }
  const ikev2::Proposal& chosen = sa_payload->proposals.front();
  const auto alg = ike_algorithms(chosen);
  // Compare with the proposals as numbered on the wire, not as configured.
  if (!answer_matches_offer(chosen, numbered_without_spi(conn->ike_proposals)) || !alg) {
    fail(EventType::NoProposalChosen,
         "responder chose a proposal we did not offer: " + proposal_to_string(chosen));
    return;
  }
  if (ke->group != static_cast<std::uint16_t>(alg->group) || !sa.ke || sa.ke->group() != alg->group) {
    fail(EventType::Error, "IKE_SA_INIT response: KE group does not match the chosen proposal");
    return;
  }
  auto secret = sa.ke->compute_shared_secret(ke->data);
  if (!secret) {
    malformed(sa.connection, id, "IKE_SA_INIT response: invalid KE public value");
    return;
  }
  sa.outstanding.reset();
  sa.spi_r = m.header.responder_spi;
  sa.nonce_r = nonce->data;
  sa.init_response.assign(raw.begin(), raw.end());
  ikev2::Proposal p = chosen;
  p.spi.clear();
  sa.proposal = p;
  sa.algorithms = alg;
  sa.nat_remote =
      nat_between(m.payloads, ikev2::NotifyType::NatDetectionSourceIp, sa.spi_i, sa.spi_r, sa.remote);
  sa.nat_local =
      nat_between(m.payloads, ikev2::NotifyType::NatDetectionDestinationIp, sa.spi_i, sa.spi_r, sa.local);
  if (conn->encapsulation == Encapsulation::ForceUdp) sa.nat_local = true;
  sa.fragmentation = ikev2::find_notify(m.payloads, ikev2::NotifyType::IkeFragmentationSupported) != nullptr;
  if (const auto* hashes = ikev2::find_notify(m.payloads, ikev2::NotifyType::SignatureHashAlgorithms))
    sa.peer_signature_hashes = decode_signature_hash_algorithms(hashes->data);
  for (const auto& payload : m.payloads)
    if (std::holds_alternative<ikev2::CertReqPayload>(payload))
      sa.peer_certificate_requests.push_back(payload);
  set_ike_keys(sa, skeyseed(alg->prf, sa.nonce_i, sa.nonce_r, secret->view()).view());
  sa.ke.reset();
  if (sa.udp_encapsulated()) {
    // §2.23: after detecting a NAT the initiator continues on port 4500.
    sa.local.port = ikev2::kNatTraversalPort;
    if (sa.remote.port == ikev2::kIkePort)
      peer_address_changed(sa, Endpoint{sa.remote.address, ikev2::kNatTraversalPort});
    if (sa.remote.port == ikev2::kIkePort) sa.remote.port = ikev2::kNatTraversalPort;
  }
  start(sa, IkeAuthTask{}, now);  // task_ike_auth.cpp
}

}  // namespace cygnet::ike
