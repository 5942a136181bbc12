// IKE_AUTH with EAP (RFC 7296 §2.16), both roles. The client's first IKE_AUTH request carries no
// AUTH; the gateway proves itself (IDr, CERT, AUTH) and sends the first EAP Request; EAP Responses
// and Requests then travel one per IKE_AUTH exchange; after EAP-Success each side sends an AUTH
// computed like a PSK AUTH with the EAP method's MSK as the key, which binds the EAP conversation
// to this IKE SA. Only then is the IKE SA up and the first request's CP, SA and TS answered.
//
//   client                                     gateway
//   IDi, [IDr], [CP], SA, TSi, TSr       →
//                                        ←     IDr, CERT, AUTH, EAP(Request/Identity)
//   EAP(Response/Identity)               →
//                                        ←     EAP(Request/MSCHAPv2 Challenge)     ... (rounds)
//                                        ←     EAP(Success)
//   AUTH(MSK)                            →
//                                        ←     AUTH(MSK), [CP], SA, TSi, TSr
//
// The gateway's side of the EAP method sits behind EapServer (eap_server.hpp). Every message is an
// ordinary IKE_AUTH exchange: message IDs, retransmission and the response cache work as for any
// other. An EAP Response the server discards (malformed, replayed, out of order, oversized) is
// counted and answered with the current Request again; the server fails the conversation after
// kMaxEapRounds packets, and the half-open timeout bounds it in time. A failure costs only this SA.
#include "ike/eap_tls_roles.hpp"
#include "ike/peer_certificate.hpp"
#include "ike/v2/authentication.hpp"
#include "ike/v2/ikev2_engine.hpp"
#include "ike/v2/peer_authentication.hpp"

namespace cygnet::ike {

namespace {

// Peer-supplied text for a log line: printable ASCII only, bounded.
std::string printable(std::string_view text) {
  constexpr std::size_t kLimit = 64;
  std::string out;
  for (char c : text.substr(0, kLimit)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  if (text.size() > kLimit) out += "...";
  return out;
}

// An EAP-MSCHAPv2 Failure Request (RFC 3748 §4, draft-kamath §2.5): code 1, type 26, OpCode 4.
bool is_mschapv2_failure_request(ByteView packet) {
  return packet.size() >= 6 && packet[0] == 1 && packet[4] == 26 && packet[5] == 4;
}

ikev2::AuthPayload msk_auth(crypto::HashAlgorithm prf, const crypto::SecureBytes& msk, ByteView octets) {
  return ikev2::AuthPayload{ikev2::AuthMethod::SharedKeyMic, psk_auth_data(prf, msk.view(), octets)};
}

FailureReport eap_failure_report(const IkeSa& sa, const std::string& connection, const std::string& method,
                                 const std::string& why) {
  FailureReport r;
  r.connection = connection;
  r.role = sa.initiator ? FailureRole::Initiator : FailureRole::Responder;
  r.exchange = "IKE_AUTH";
  r.kind = FailureClass::Authentication;
  r.peer = sa.remote.to_string();
  r.summary = method + ": " + why;
  r.subject = "EAP authentication";
  return r;
}

}  // namespace

// ---- gateway (EAP server) ----

std::vector<ikev2::Payload> v2::Ikev2Engine::begin_eap_as_gateway(IkeSa& sa, const ConnectionSettings& conn,
                                                                  const Identity& peer,
                                                                  const std::vector<ikev2::Payload>& in,
                                                                  TimePoint /*now*/) {
  const auto refuse = [&](const std::string& why) -> std::vector<ikev2::Payload> {
    ++counters.authentication_failures;
    report_authentication(sa, conn.name, peer.to_string(), why);
    event(EventType::AuthenticationFailed, conn.name, sa.id, std::nullopt,
          "peer " + sa.remote.to_string() + " (" + peer.to_string() + "): " + why);
    sa.remove_after_response = true;
    return {notify(ikev2::NotifyType::AuthenticationFailed)};
  };
  sa.local_id = our_identity(conn, sa);
  const ikev2::IdPayload our_id = sa.local_id.to_payload();
  const Bytes our_octets =
      signed_octets(sa.init_response, sa.nonce_i, sa.algorithms->prf, sa.keys->sk_pr.view(), our_id);
  auto our_auth = make_auth_payload(conn, sa.algorithms->prf, sa.peer_signature_hashes, our_octets);
  if (!our_auth) return refuse("we cannot authenticate ourselves: no PSK or private key configured");
  auto server = remote_auth_method(conn) == AuthMethod::EapTls
                    ? make_eap_tls_server(conn, random)
                    : make_eap_server(remote_auth_method(conn), eap_users, random);
  if (!server) return refuse("remote_auth of connection " + conn.name + " is not an EAP method");

  auto eap = std::make_unique<EapConversation>();
  eap->server = std::move(server);
  eap->first_request = in;
  eap->initiator_id = *ikev2::find_payload<ikev2::IdInitiatorPayload>(in);
  eap->responder_id = our_id;
  eap->last_request = eap->server->start();
  std::vector<ikev2::Payload> out;
  out.emplace_back(ikev2::IdResponderPayload{our_id});
  for (auto& c : our_certificate_payloads(conn, in)) out.push_back(std::move(c));
  out.emplace_back(std::move(*our_auth));
  out.emplace_back(ikev2::EapPayload{eap->last_request});
  sa.eap = std::move(eap);
  ++counters.eap_conversations;
  return out;
}

std::optional<std::vector<ikev2::Payload>> v2::Ikev2Engine::process_eap_request(
    IkeSa& sa, const std::vector<ikev2::Payload>& in, TimePoint now) {
  EapConversation& eap = *sa.eap;
  const Identity peer = Identity::from_payload(eap.initiator_id);
  // A refusal, told once: counted, reported for `cygnetctl why`, logged with the EAP identity
  // (never a secret).
  const auto tell_refusal = [&](const std::string& why) {
    ++counters.authentication_failures;
    const ConnectionSettings* settings = connection(sa.connection);
    const bool tls = settings && remote_auth_method(*settings) == AuthMethod::EapTls;
    FailureReport r = eap_failure_report(sa, sa.connection, tls ? "EAP-TLS" : "EAP-MSCHAPv2", why);
    r.ours = {tls ? "remote_auth eap-tls" : "remote_auth eap-mschapv2"};
    r.theirs = {"ID " + peer.to_string()};
    if (!sa.eap_identity.empty()) r.theirs.push_back("EAP identity " + printable(sa.eap_identity));
    r.fix = tls ? certificate_failure_fix(why)
                : "the client's EAP identity and password must match an [eap_users.NAME] table with that "
                  "password";
    failures.record(std::move(r));
    event(EventType::AuthenticationFailed, sa.connection, sa.id, std::nullopt,
          "peer " + sa.remote.to_string() + " (" + peer.to_string() + "), EAP identity '" +
              printable(sa.eap_identity) + "': " + why);
  };
  // Refused: EAP-Failure when the method produced one, AUTHENTICATION_FAILED, the SA goes after
  // this response (RFC 7296 §2.21.2).
  const auto refuse = [&](const std::string& why, Bytes eap_failure,
                          bool told = false) -> std::vector<ikev2::Payload> {
    if (!told) tell_refusal(why);
    sa.remove_after_response = true;
    std::vector<ikev2::Payload> out;
    if (!eap_failure.empty()) out.emplace_back(ikev2::EapPayload{std::move(eap_failure)});
    out.emplace_back(notify(ikev2::NotifyType::AuthenticationFailed));
    return out;
  };
  const ConnectionSettings* conn = connection(sa.connection);
  if (!conn) return refuse("connection " + sa.connection + " was removed during EAP", {});

  if (!eap.msk) {
    EapStep step;
    if (eap.awaiting_revocation) {  // resumed (revocation_parking.cpp): the method had succeeded
      step = std::move(*eap.awaiting_revocation);
      eap.awaiting_revocation.reset();
    } else {
      const auto* packet = ikev2::find_payload<ikev2::EapPayload>(in);
      if (!packet)
        return refuse("IKE_AUTH request without EAP payload before EAP finished (out of order)", {});
      step = eap.server->on_response(packet->message);
    }
    sa.eap_identity = eap.server->eap_identity();
    switch (step.status) {
      case EapStatus::Continue:
        // With a reason: the method refused the client and asks it to acknowledge (MSCHAPv2
        // Failure). Told now: a client may leave without acknowledging (strongSwan sends
        // AUTHENTICATION_FAILED in an INFORMATIONAL, which an SA not yet up does not take; the
        // half-open timeout then removes it).
        if (!step.reason.empty()) tell_refusal(step.reason);
        eap.last_request = std::move(step.reply);
        return std::vector<ikev2::Payload>{ikev2::EapPayload{eap.last_request}};
      case EapStatus::Discarded:
        // RFC 3748 §4.1: the authenticator ignores it; IKE wants an answer, so the same Request.
        ++counters.eap_discarded;
        malformed(sa.connection, sa.id, "EAP message discarded: " + step.reason);
        return std::vector<ikev2::Payload>{ikev2::EapPayload{eap.last_request}};
      case EapStatus::Failure:
        return refuse(step.reason, std::move(step.reply), is_mschapv2_failure_request(eap.last_request));
      case EapStatus::Success: {
        // EAP-TLS: the client's certificate passes the IKE certificate checks, revocation
        // included, before the EAP-Success goes out (eap_certificates.cpp).
        const RevocationGate gate =
            eap_certificate_gate(sa, *conn, eap.server->client_certificates(), peer, true, in, nullptr, now);
        if (gate.kind == RevocationGate::Kind::Wait) {
          eap.awaiting_revocation = std::move(step);
          return std::nullopt;  // parked; resume_parked_sa answers
        }
        if (gate.kind == RevocationGate::Kind::Refuse) {
          Bytes eap_failure = std::move(step.reply);  // EAP-Failure: EAP-Success's layout, code 4
          eap_failure[0] = static_cast<std::uint8_t>(wire::eap::Code::Failure);
          return refuse(gate.why, std::move(eap_failure));
        }
        eap.msk = *eap.server->msk();
        return std::vector<ikev2::Payload>{ikev2::EapPayload{std::move(step.reply)}};
      }
      case EapStatus::Pending:
        return wait_for_eap_server(sa, in);  // eap_radius_parking.cpp: no response until the answer
    }
    return refuse("unknown EAP result", {});
  }

  // EAP succeeded: the client's AUTH, keyed with the MSK, over its first message and IDi.
  const auto* auth = ikev2::find_payload<ikev2::AuthPayload>(in);
  if (!auth) return refuse("IKE_AUTH request without AUTH after EAP-Success (out of order)", {});
  const crypto::HashAlgorithm prf = sa.algorithms->prf;
  const Bytes octets =
      signed_octets(sa.init_request, sa.nonce_r, prf, sa.keys->sk_pi.view(), eap.initiator_id);
  if (auth->method != ikev2::AuthMethod::SharedKeyMic ||
      !verify_psk_auth(prf, eap.msk->view(), octets, auth->data))
    return refuse("the AUTH payload after EAP does not verify with the EAP MSK", {});
  const Bytes our_octets =
      signed_octets(sa.init_response, sa.nonce_i, prf, sa.keys->sk_pr.view(), eap.responder_id);
  std::vector<ikev2::Payload> out{msk_auth(prf, *eap.msk, our_octets)};
  const std::vector<ikev2::Payload> first_request = std::move(eap.first_request);
  sa.eap.reset();
  sa.remote_id = peer;
  return answer_authenticated_request(sa, *conn, first_request, std::move(out), now);  // task_ike_auth.cpp
}

// ---- client (EAP peer) ----

void v2::Ikev2Engine::begin_eap_as_client(IkeSa& sa, const ConnectionSettings& conn, IkeAuthTask& task,
                                          const ikev2::IdPayload& idr, const std::vector<ikev2::Payload>& in,
                                          TimePoint now) {
  auto eap = std::make_unique<EapConversation>();
  eap->peer = make_eap_peer(conn, random);
  eap->initiator_id = sa.local_id.to_payload();
  eap->responder_id = idr;
  sa.eap = std::move(eap);
  sa.eap_identity = conn.eap_identity;
  ++counters.eap_conversations;
  EapRoundTask next{std::move(task.child)};
  on_response(sa, next, in, now);  // the first EAP Request came with the gateway's AUTH
}

void v2::Ikev2Engine::send_eap_round(IkeSa& sa, EapRoundTask task, Bytes eap_packet, TimePoint now) {
  std::vector<ikev2::Payload> payloads;
  if (!eap_packet.empty()) {
    payloads.emplace_back(ikev2::EapPayload{std::move(eap_packet)});
  } else {
    const crypto::HashAlgorithm prf = sa.algorithms->prf;
    const Bytes octets =
        signed_octets(sa.init_request, sa.nonce_r, prf, sa.keys->sk_pi.view(), sa.eap->initiator_id);
    payloads.emplace_back(msk_auth(prf, *sa.eap->msk, octets));
  }
  send_request(sa, ikev2::ExchangeType::IkeAuth, payloads, std::move(task), now);
}

// Sent by send_eap_round as the answer to the gateway's response; never queued.
void v2::Ikev2Engine::start(IkeSa& /*sa*/, EapRoundTask /*task*/, TimePoint /*now*/) {}

void v2::Ikev2Engine::on_response(IkeSa& sa, EapRoundTask& task, const std::vector<ikev2::Payload>& in,
                                  TimePoint now) {
  const ConnectionSettings* conn = connection(sa.connection);
  if (!conn || !sa.eap) {
    remove_ike_sa(sa.id, std::nullopt, "");
    return;
  }
  EapConversation& eap = *sa.eap;
  // Ends the SA: counted, reported for `cygnetctl why`, and (when the gateway has not refused us
  // already) AUTHENTICATION_FAILED sent in an INFORMATIONAL (§2.21.2).
  const auto fail = [&](const std::string& why, bool tell_gateway) {
    ++counters.authentication_failures;
    const std::string method = eap.peer->method_name();
    const bool tls = local_auth_method(*conn) == AuthMethod::EapTls;
    FailureReport r = eap_failure_report(sa, conn->name, method, why);
    r.ours = {std::string("local_auth ") + auth_method_name(local_auth_method(*conn)),
              "eap_identity " + printable(conn->eap_identity)};
    r.fix =
        tls ? "check our certificate against the gateway's CAs (its log names the reason)"
            : "check eap_identity and eap_password against the gateway's EAP user (its log names the reason)";
    failures.record(std::move(r));
    if (tell_gateway) {
      ikev2::Header h;
      h.initiator_spi = sa.spi_i;
      h.responder_spi = sa.spi_r;
      h.exchange = ikev2::ExchangeType::Informational;
      h.flags = ikev2::kFlagInitiator;
      h.message_id = sa.next_message_id++;
      for (const Bytes& d : protect(sa, h, {notify(ikev2::NotifyType::AuthenticationFailed)}))
        emit(sa.local, sa.remote, d);
    }
    remove_ike_sa(sa.id, EventType::AuthenticationFailed,
                  method + " as '" + printable(conn->eap_identity) + "' with gateway " +
                      sa.remote.to_string() + ": " + why);
  };
  const auto* packet = ikev2::find_payload<ikev2::EapPayload>(in);
  if (ikev2::find_notify(in, ikev2::NotifyType::AuthenticationFailed)) {
    std::string why = "the gateway refused our EAP authentication (AUTHENTICATION_FAILED)";
    if (packet && !eap.msk) {
      const EapStep step = eap.peer->on_request(packet->message);
      if (step.status == EapStatus::Failure && !step.reason.empty()) why = step.reason;
    }
    fail(why, false);
    return;
  }

  if (!eap.msk) {
    if (!packet) {
      const auto* error = first_error_notify(in);
      fail(error ? std::string("the gateway answered ") + ikev2::notify_name(error->type)
                 : "the gateway's IKE_AUTH response has no EAP payload",
           error == nullptr);
      return;
    }
    EapStep step;
    if (eap.awaiting_revocation) {  // resumed (revocation_parking.cpp): the method had succeeded
      step = std::move(*eap.awaiting_revocation);
      eap.awaiting_revocation.reset();
    } else {
      step = eap.peer->on_request(packet->message);
    }
    switch (step.status) {
      case EapStatus::Continue: send_eap_round(sa, std::move(task), std::move(step.reply), now); return;
      case EapStatus::Success: {
        // EAP-TLS: the TLS server's certificate passes the IKE certificate checks for the
        // gateway's identity before we take the MSK (eap_certificates.cpp).
        Task parked_task = std::move(task);
        const RevocationGate gate =
            eap_certificate_gate(sa, *conn, eap.peer->server_certificates(),
                                 Identity::from_payload(eap.responder_id), false, in, &parked_task, now);
        if (gate.kind == RevocationGate::Kind::Wait) {
          eap.awaiting_revocation = std::move(step);
          return;  // parked; resume_parked_sa calls us again
        }
        task = std::move(std::get<EapRoundTask>(parked_task));
        if (gate.kind == RevocationGate::Kind::Refuse) {
          fail("the gateway's EAP-TLS certificate: " + gate.why, true);
          return;
        }
        eap.msk = *eap.peer->msk();
        send_eap_round(sa, std::move(task), {}, now);  // the AUTH from the MSK
        return;
      }
      case EapStatus::Failure:
      case EapStatus::Pending:  // only a gateway's server waits
        fail(step.reason, true);
        return;
      case EapStatus::Discarded:
        // Each of our requests gets exactly one response: there is no later one to wait for.
        ++counters.eap_discarded;
        fail("the gateway's EAP message was discarded: " + step.reason, true);
        return;
    }
    return;
  }

  // The gateway's AUTH, keyed with the MSK, and the rest of IKE_AUTH.
  const auto* auth = ikev2::find_payload<ikev2::AuthPayload>(in);
  if (!auth) {
    const auto* error = first_error_notify(in);
    fail(error ? std::string("the gateway answered ") + ikev2::notify_name(error->type)
               : "the final IKE_AUTH response has no AUTH",
         error == nullptr);
    return;
  }
  const crypto::HashAlgorithm prf = sa.algorithms->prf;
  const Bytes octets =
      signed_octets(sa.init_response, sa.nonce_i, prf, sa.keys->sk_pr.view(), eap.responder_id);
  if (auth->method != ikev2::AuthMethod::SharedKeyMic ||
      !verify_psk_auth(prf, eap.msk->view(), octets, auth->data)) {
    fail("the gateway's AUTH after EAP does not verify with the EAP MSK", true);
    return;
  }
  const Identity peer = Identity::from_payload(eap.responder_id);
  sa.eap.reset();
  complete_authentication(sa, *conn, task.child, peer, in, now);  // task_ike_auth.cpp
}

}  // namespace cygnet::ike
