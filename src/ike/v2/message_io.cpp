// IKEv2 messages in and out: routing a message to its IKE SA (or to the IKE_SA_INIT responder),
// duplicate requests answered from the cache, SK/SKF protection, the non-ESP marker on what we
// send from port 4500, and the requester's retransmissions. The facade (engine.cpp) strips the
// marker from what arrives and hands ISAKMP (IKEv1) datagrams to the other engine.
#include <algorithm>

#include "ike/retransmission.hpp"
#include "ike/v2/ikev2_engine.hpp"
#include "ike/v2/ikev2_payload_rules.hpp"

namespace cygnet::ike {

namespace {
constexpr std::size_t kNonEspMarker = 4;  // RFC 3948 §2.2: zeros where ESP has its SPI
// A peer retransmits a request a handful of times (retransmit_tries); more copies than this are
// not a lossy path but someone replaying the request, and get no answer.
constexpr std::uint32_t kMaxDuplicateAnswers = 16;
}  // namespace

void v2::Ikev2Engine::emit(const Endpoint& local, const Endpoint& remote, ByteView message) {
  Bytes payload;
  if (local.port == ikev2::kNatTraversalPort) payload.assign(kNonEspMarker, 0);
  payload.insert(payload.end(), message.begin(), message.end());
  actions.emplace_back(SendDatagram{local, remote, std::move(payload)});
  ++counters.datagrams_sent;
}

void v2::Ikev2Engine::malformed(const std::string& conn, std::optional<IkeSaId> sa,
                                const std::string& detail) {
  ++counters.malformed;
  event(EventType::MalformedMessage, conn, sa, std::nullopt, detail);
}

void v2::Ikev2Engine::on_message(const Endpoint& local, const Endpoint& remote, ByteView data,
                                 TimePoint now) {
  const auto header = ikev2::parse_header(data);
  if (!header) {
    malformed("", std::nullopt,
              "unparsable IKE header from " + remote.to_string() + ": " + header.failure.detail);
    return;
  }
  const ikev2::Header& h = *header.value;
  const bool init_request = h.exchange == ikev2::ExchangeType::IkeSaInit && !h.is_response();
  if ((h.version >> 4) != (ikev2::kVersion >> 4)) {
    if (init_request && (h.version >> 4) > (ikev2::kVersion >> 4))
      send_init_error(local, remote, h, ikev2::NotifyType::InvalidMajorVersion, {});
    malformed("", std::nullopt,
              "IKE major version " + std::to_string(h.version >> 4) + " from " + remote.to_string());
    return;
  }
  const auto parsed = ikev2::parse_message(data);
  if (!parsed) {
    if (init_request && h.responder_spi == 0) {
      if (parsed.failure.error == ikev2::ParseError::UnsupportedCriticalPayload)
        send_init_error(local, remote, h, ikev2::NotifyType::UnsupportedCriticalPayload,
                        {parsed.failure.critical_payload_type});
      else
        send_init_error(local, remote, h, ikev2::NotifyType::InvalidSyntax, {});
    }
    malformed("", std::nullopt,
              "malformed " + std::string(ikev2::exchange_name(h.exchange)) + " from " + remote.to_string() +
                  ": " + ikev2::parse_error_name(parsed.failure.error) + " " + parsed.failure.detail);
    return;
  }
  const ikev2::Message& m = *parsed.value;

  if (h.exchange == ikev2::ExchangeType::IkeSaInit) {
    // Payload rules before any handler; nothing is authenticated yet, so no answer (catalog row 2).
    if (auto violation = check_ikev2_payloads(m, m.payloads)) {
      malformed("", std::nullopt, violation->detail + " from " + remote.to_string() + "; dropped");
      return;
    }
    if (!h.is_response()) {
      if (h.responder_spi != 0 || h.message_id != 0 || !h.from_initiator() || h.initiator_spi == 0) {
        malformed("", std::nullopt,
                  "IKE_SA_INIT request with bad SPIs/flags/message ID from " + remote.to_string());
        return;
      }
      if (IkeSa* half = half_open_for(h.initiator_spi, remote)) {
        // A retransmitted IKE_SA_INIT: answer with the same response, keep no new state. Once the
        // SA is past IKE_SA_INIT a late copy is simply dropped.
        if (!half->authenticated && half->last_response_id == 0u &&
            std::equal(half->init_request.begin(), half->init_request.end(), data.begin(), data.end())) {
          ++counters.duplicate_requests;
          if (++half->duplicate_answers > kMaxDuplicateAnswers) return;
          for (const Bytes& d : half->last_response) emit(half->local, half->remote, d);
        }
        return;
      }
      process_init_request(m, data, local, remote, now);
      return;
    }
    IkeSa* sa = ike_sa_by_spi(h.initiator_spi);
    if (!sa || !sa->initiator || sa->state != IkeSaState::Connecting || !sa->outstanding ||
        sa->outstanding->exchange != ikev2::ExchangeType::IkeSaInit || h.message_id != 0) {
      ++counters.unknown_spi;
      return;
    }
    process_init_response(*sa, m, data, now);
    return;
  }

  const std::uint64_t ours = h.from_initiator() ? h.responder_spi : h.initiator_spi;
  const std::uint64_t theirs = h.from_initiator() ? h.initiator_spi : h.responder_spi;
  IkeSa* sa = ike_sa_by_spi(ours);
  const bool sa_matches = sa && sa->peer_spi() == theirs && sa->initiator != h.from_initiator() && sa->sk_in;
  // An exchange type no task knows: only a request under an established IKE SA may be answered
  // (handle_request, after the integrity check); anything else is dropped unanswered (RFC 7296
  // §3.10.1: INVALID_SYNTAX only in an encrypted packet whose Message ID and checksum are valid).
  if (!known_exchange(h.exchange) && (h.is_response() || !sa_matches || !sa->authenticated)) {
    counters.refusals.count(RefusalReason::UnknownExchange);
    return;
  }
  if (!sa_matches) {
    ++counters.unknown_spi;
    return;
  }
  if (h.is_response())
    handle_response(*sa, m, data, now);
  else
    handle_request(*sa, m, data, local, remote, now);
}

Decrypted v2::Ikev2Engine::decrypt(IkeSa& sa, const ikev2::Message& m, ByteView raw) {
  Decrypted out;
  if (m.payloads.empty() || !sa.sk_in) {
    out.detail = "no Encrypted payload";
    return out;
  }
  std::optional<ikev2::PayloadType> first;
  Bytes chain;
  const ikev2::Payload& last = m.payloads.back();
  if (const auto* sk = std::get_if<ikev2::EncryptedPayload>(&last)) {
    auto plain = sa.sk_in->unprotect(raw, *sk);
    if (!plain) {
      out.detail = "Encrypted payload fails its integrity check";
      return out;
    }
    first = sk->first_inner;
    chain = std::move(*plain);
  } else if (const auto* skf = std::get_if<ikev2::EncryptedFragmentPayload>(&last)) {
    if (!sa.fragmentation) {
      out.detail = "fragment received but fragmentation was not negotiated";
      return out;
    }
    auto plain = sa.sk_in->unprotect_fragment(raw, *skf);
    if (!plain) {
      out.detail = "Encrypted Fragment payload fails its integrity check";
      return out;
    }
    FragmentReassembler& r = m.header.is_response() ? sa.response_fragments : sa.request_fragments;
    auto complete = r.add(m.header.message_id, *skf, std::move(*plain));
    if (!complete) {
      out.kind = Decrypted::Kind::FragmentPending;
      return out;
    }
    first = complete->first_inner;
    chain = std::move(complete->chain);
  } else {
    out.detail = "message without an Encrypted payload";
    return out;
  }
  auto inner = ikev2::parse_payload_chain(*first, chain);
  if (!inner) {
    out.kind = inner.failure.error == ikev2::ParseError::UnsupportedCriticalPayload
                   ? Decrypted::Kind::UnsupportedCritical
                   : Decrypted::Kind::BadSyntax;
    out.critical_type = inner.failure.critical_payload_type;
    out.detail = std::string(ikev2::parse_error_name(inner.failure.error)) + " " + inner.failure.detail;
    return out;
  }
  out.kind = Decrypted::Kind::Complete;
  out.payloads = std::move(*inner.value);
  return out;
}

std::vector<Bytes> v2::Ikev2Engine::protect(IkeSa& sa, const ikev2::Header& header,
                                            const std::vector<ikev2::Payload>& payloads) {
  const ikev2::EncodedChain chain = ikev2::encode_payload_chain(payloads);
  if (sa.fragmentation) {
    const std::size_t marker = sa.local.port == ikev2::kNatTraversalPort ? kNonEspMarker : 0;
    return sa.sk_out->protect_fragmented(header, chain, options.max_datagram - marker, *random);
  }
  return {sa.sk_out->protect(header, chain, *random)};
}

void v2::Ikev2Engine::send_request(IkeSa& sa, ikev2::ExchangeType exchange,
                                   const std::vector<ikev2::Payload>& payloads, Task task, TimePoint now) {
  ikev2::Header h;
  h.initiator_spi = sa.spi_i;
  h.responder_spi = sa.spi_r;
  h.exchange = exchange;
  h.flags = sa.initiator ? ikev2::kFlagInitiator : 0;
  h.message_id = sa.next_message_id++;
  OutstandingRequest request;
  request.message_id = h.message_id;
  request.exchange = exchange;
  request.datagrams = protect(sa, h, payloads);
  request.next_retransmit = now + retransmit_delay(options, 0);
  request.task = std::move(task);
  for (const Bytes& d : request.datagrams) emit(sa.local, sa.remote, d);
  sa.outstanding = std::move(request);
  counters.exchanges.count(exchange_kind(exchange), ExchangeRole::Initiator);
}

void v2::Ikev2Engine::send_response(IkeSa& sa, ikev2::ExchangeType exchange, std::uint32_t message_id,
                                    const std::vector<ikev2::Payload>& payloads) {
  ikev2::Header h;
  h.initiator_spi = sa.spi_i;
  h.responder_spi = sa.spi_r;
  h.exchange = exchange;
  h.flags = static_cast<std::uint8_t>((sa.initiator ? ikev2::kFlagInitiator : 0) | ikev2::kFlagResponse);
  h.message_id = message_id;
  sa.last_response = protect(sa, h, payloads);
  sa.duplicate_answers = 0;
  sa.last_response_id = message_id;
  sa.expected_message_id = message_id + 1;
  for (const Bytes& d : sa.last_response) emit(sa.local, sa.remote, d);
  counters.exchanges.count(exchange_kind(exchange), ExchangeRole::Responder);
}

void v2::Ikev2Engine::send_init_error(const Endpoint& local, const Endpoint& remote,
                                      const ikev2::Header& request, ikev2::NotifyType type, Bytes data) {
  ikev2::Message m;
  m.header.initiator_spi = request.initiator_spi;
  m.header.responder_spi = 0;
  m.header.exchange = ikev2::ExchangeType::IkeSaInit;
  m.header.flags = ikev2::kFlagResponse;
  m.header.message_id = request.message_id;
  m.payloads.emplace_back(notify(type, std::move(data)));
  emit(local, remote, ikev2::serialize_message(m));
}

void v2::Ikev2Engine::handle_request(IkeSa& sa, const ikev2::Message& m, ByteView raw, const Endpoint& local,
                                     const Endpoint& remote, TimePoint now) {
  const std::uint32_t mid = m.header.message_id;
  if (sa.parked && sa.parked->is_request) {
    // Our answer waits for a revocation fetch (revocation_parking.cpp): this is the peer
    // retransmitting the parked request. It gets the one response when the wait ends.
    ++counters.revocation_parked_drops;
    return;
  }
  if (sa.eap && sa.eap->waiting) {
    // The RADIUS server has not answered the EAP Response yet (eap_radius_parking.cpp): this is
    // the client retransmitting it. It is relayed once; the answer goes out when the server's comes.
    ++counters.radius_parked_drops;
    return;
  }
  if (sa.last_response_id && mid == *sa.last_response_id) {
    // Retransmitted request: resend the cached response (every fragment), never process twice. A
    // fragmented request triggers this once, on its first fragment.
    const auto* skf = std::get_if<ikev2::EncryptedFragmentPayload>(&m.payloads.back());
    if (skf && skf->fragment_number != 1) return;
    ++counters.duplicate_requests;
    if (++sa.duplicate_answers > kMaxDuplicateAnswers) return;
    for (const Bytes& d : sa.last_response) emit(sa.local, sa.remote, d);
    return;
  }
  if (mid != sa.expected_message_id) return;  // older than our window, or beyond it: drop

  Decrypted d = decrypt(sa, m, raw);
  const IkeSaId id = sa.id;
  switch (d.kind) {
    case Decrypted::Kind::FragmentPending: return;
    case Decrypted::Kind::Invalid:
      malformed(sa.connection, id,
                std::string(ikev2::exchange_name(m.header.exchange)) + " request dropped: " + d.detail);
      return;
    case Decrypted::Kind::UnsupportedCritical:
      ++counters.malformed;
      send_response(sa, m.header.exchange, mid,
                    {notify(ikev2::NotifyType::UnsupportedCriticalPayload, {d.critical_type})});
      return;
    case Decrypted::Kind::BadSyntax:
      malformed(sa.connection, id,
                std::string(ikev2::exchange_name(m.header.exchange)) + " request: " + d.detail);
      send_response(sa, m.header.exchange, mid, {notify(ikev2::NotifyType::InvalidSyntax)});
      return;
    case Decrypted::Kind::Complete: break;
  }
  // Before IKE_AUTH completes only IKE_AUTH itself is accepted: no state change, no answer.
  if (!sa.authenticated && m.header.exchange != ikev2::ExchangeType::IkeAuth) {
    counters.refusals.count(RefusalReason::RequestBeforeAuth);
    return;
  }
  // IKE_AUTH goes to the responder, once.
  if (m.header.exchange == ikev2::ExchangeType::IkeAuth && (sa.initiator || sa.authenticated)) return;
  if (!known_exchange(m.header.exchange)) {
    // Authenticated and in the window (on_message drops the rest): answered INVALID_SYNTAX so the
    // peer's window moves on (§2.3); nothing else changes, not even the peer's address.
    counters.refusals.count(RefusalReason::UnknownExchange);
    event(EventType::MalformedMessage, sa.connection, id, std::nullopt,
          "request of unknown exchange type " + std::to_string(static_cast<unsigned>(m.header.exchange)) +
              " from " + remote.to_string() + ": answered INVALID_SYNTAX");
    send_response(sa, m.header.exchange, mid, {notify(ikev2::NotifyType::InvalidSyntax)});
    return;
  }
  if (refuse_by_payload_rules(sa, m, d.payloads)) return;
  sa.last_received = now;
  sa.request_local = local;
  sa.request_remote = remote;
  if (!is_mobike_update(sa, m.header.exchange, d.payloads))  // MOBIKE moves the SA itself (task_mobike.cpp)
    follow_peer_address(sa, local, remote);

  std::optional<std::vector<ikev2::Payload>> response =
      answer_request(sa, m.header.exchange, d.payloads, now);
  if (!response) return;  // not to be answered at all (dispatch.cpp)
  send_response(sa, m.header.exchange, mid, *response);
  if (sa.remove_after_response) {
    remove_ike_sa(id, std::nullopt, "");
    return;
  }
  pump(sa, now);
}

bool v2::Ikev2Engine::refuse_by_payload_rules(IkeSa& sa, const ikev2::Message& m,
                                              const std::vector<ikev2::Payload>& payloads) {
  auto violation = check_ikev2_payloads(m, payloads);
  if (!violation) return false;
  // An SK-protected request: answer INVALID_SYNTAX (RFC 7296 §2.21.4), count it, change nothing else.
  // A failed IKE_AUTH leaves no IKE SA behind (§2.21.2); an established one is untouched.
  const IkeSaId id = sa.id;
  malformed(sa.connection, id, violation->detail);
  send_response(sa, m.header.exchange, m.header.message_id, {notify(ikev2::NotifyType::InvalidSyntax)});
  if (!sa.authenticated) remove_ike_sa(id, std::nullopt, "");
  return true;
}

void v2::Ikev2Engine::follow_peer_address(IkeSa& sa, const Endpoint& local, const Endpoint& remote) {
  if (sa.local == local && sa.remote == remote) return;
  // The move to port 4500 for IKE_AUTH (RFC 7296 §2.23, RFC 4555 §3): same addresses, new ports.
  const bool port_float = !sa.authenticated && local.port == ikev2::kNatTraversalPort &&
                          sa.local.address == local.address && sa.remote.address == remote.address;
  // Otherwise only a NAT in front of the peer explains a new address or port; this is the newest
  // request (handle_request processes no other), as §2.23 asks.
  if (!port_float && !sa.nat_remote) {
    counters.refusals.count(RefusalReason::AddressChange);
    return;
  }
  sa.local = local;
  const bool moved = sa.remote != remote;
  if (moved) peer_address_changed(sa, remote);
  sa.remote = remote;
  // MOBIKE: a NAT rebinding takes the CHILD SAs along too (RFC 7296 §2.23), e.g. the new mapping
  // a client's float to 4500 gets after a move (task_mobike.cpp).
  if (moved && sa.mobike && sa.authenticated) move_children(sa);
}

void v2::Ikev2Engine::handle_response(IkeSa& sa, const ikev2::Message& m, ByteView raw, TimePoint now) {
  if (!sa.outstanding || m.header.message_id != sa.outstanding->message_id ||
      m.header.exchange != sa.outstanding->exchange)
    return;  // not the answer we wait for (late duplicate)
  Decrypted d = decrypt(sa, m, raw);
  if (d.kind == Decrypted::Kind::FragmentPending) return;
  if (d.kind != Decrypted::Kind::Complete) {
    malformed(sa.connection, sa.id,
              std::string(ikev2::exchange_name(m.header.exchange)) + " response dropped: " + d.detail);
    return;
  }
  if (auto violation = check_ikev2_payloads(m, d.payloads)) {
    // A response cannot be answered. Before IKE_AUTH completes the IKE SA fails; after, the response
    // is dropped and the request retransmitted (no state moves on a response that breaks the rules).
    if (!sa.authenticated) {
      ++counters.malformed;
      remove_ike_sa(sa.id, EventType::MalformedMessage, violation->detail);
    } else {
      malformed(sa.connection, sa.id, violation->detail + "; dropped");
    }
    return;
  }
  sa.last_received = now;
  OutstandingRequest request = std::move(*sa.outstanding);
  sa.outstanding.reset();
  const IkeSaId id = sa.id;
  if (sa.closing && !std::holds_alternative<DeleteIkeTask>(request.task))
    end_exchange_before_delete(sa, request.task, d.payloads, now);  // its Delete follows (pump)
  else
    finish_request(sa, request.task, d.payloads, now);
  if (IkeSa* still = ike_sa(id)) pump(*still, now);
}

void v2::Ikev2Engine::retransmit_or_give_up(IkeSa& sa, TimePoint now) {
  OutstandingRequest& o = *sa.outstanding;
  if (o.retransmits >= options.retransmit_tries && retry_mobike_path(sa, now)) return;  // task_mobike.cpp
  if (o.retransmits >= options.retransmit_tries) {
    const IkeSaId id = sa.id;
    if (std::holds_alternative<DeleteIkeTask>(o.task) || sa.closing) {
      remove_ike_sa(id, std::nullopt, "");  // we were deleting it anyway
      return;
    }
    const bool liveness = std::holds_alternative<LivenessTask>(o.task);
    report_unanswered(sa, o, liveness);
    const std::string what = std::string(ikev2::exchange_name(o.exchange)) + " request " +
                             std::to_string(o.message_id) + " to " + sa.remote.to_string() +
                             " unanswered after " + std::to_string(o.retransmits) + " retransmissions";
    remove_ike_sa(id, liveness ? EventType::PeerDead : EventType::RetransmitGaveUp,
                  liveness ? "liveness check failed: " + what + "; SAs removed" : what + "; SAs removed");
    return;
  }
  ++o.retransmits;
  ++counters.retransmissions;
  for (const Bytes& d : o.datagrams) emit(sa.local, sa.remote, d);
  o.next_retransmit = now + retransmit_delay(options, o.retransmits);
}

}  // namespace cygnet::ike
