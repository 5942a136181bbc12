// IKE_AUTH (RFC 7296 §1.2, §2.15): identities, AUTH (PSK or RFC 7427 signatures with certificates,
// each side its own method: split authentication), INITIAL_CONTACT, and the first CHILD SA. A CHILD
// failure leaves the IKE SA up. A client authenticating with EAP sends no AUTH; the rounds that
// follow are task_eap.cpp's, which ends in the same tails (answer_authenticated_request,
// complete_authentication).
#include "ike/v2/authentication.hpp"
#include "ike/v2/ikev2_engine.hpp"
#include "ike/v2/peer_authentication.hpp"

namespace cygnet::ike {

namespace {
crypto::WallClock wall_time(const EngineOptions& o, TimePoint now) {
  return *o.wall_origin + std::chrono::duration_cast<crypto::WallClock::duration>(now - o.steady_origin);
}
}  // namespace

// Started by process_init_response once the IKE SA has keys; never queued.
void v2::Ikev2Engine::start(IkeSa& sa, IkeAuthTask /*task: built by send_auth_request*/, TimePoint now) {
  send_auth_request(sa, now);
}

void v2::Ikev2Engine::on_response(IkeSa& sa, IkeAuthTask& task, const std::vector<ikev2::Payload>& in,
                                  TimePoint now) {
  process_auth_response(sa, task, in, now);
}

void v2::Ikev2Engine::send_auth_request(IkeSa& sa, TimePoint now) {
  const ConnectionSettings* conn = connection(sa.connection);
  if (!conn) return;
  sa.local_id = our_identity(*conn, sa);
  const ikev2::IdPayload idi = sa.local_id.to_payload();
  const Bytes octets =
      signed_octets(sa.init_request, sa.nonce_r, sa.algorithms->prf, sa.keys->sk_pi.view(), idi);
  const bool eap = local_auth_method(*conn) == AuthMethod::EapMsChapV2;  // §2.16: no AUTH yet
  auto auth = make_auth_payload(*conn, sa.algorithms->prf, sa.peer_signature_hashes, octets);
  if (!auth && !eap) {
    remove_ike_sa(sa.id, EventType::Error, "cannot authenticate: the connection has no PSK or private key");
    return;
  }
  std::vector<ikev2::Payload> payloads;
  payloads.emplace_back(ikev2::IdInitiatorPayload{idi});
  for (auto& c : our_certificate_payloads(*conn, sa.peer_certificate_requests))
    payloads.push_back(std::move(c));
  if (auto req = our_certificate_request(*conn)) payloads.emplace_back(std::move(*req));
  // INITIAL_CONTACT tells the peer to drop state of an earlier incarnation of us (§2.4).
  bool other_sa = false;
  for (const auto& [id, other] : ike_sas)
    if (id != sa.id && other->connection == sa.connection && other->authenticated) other_sa = true;
  if (!other_sa) payloads.emplace_back(notify(ikev2::NotifyType::InitialContact));
  if (!conn->remote_id.any && !conn->remote_id.data.empty())
    payloads.emplace_back(ikev2::IdResponderPayload{conn->remote_id.to_payload()});
  if (auth) payloads.emplace_back(std::move(*auth));
  append_config_request(*conn, payloads);    // task_config.cpp
  append_mobike_supported(*conn, payloads);  // task_mobike.cpp
  IkeAuthTask task;
  if (sa.first_child) {
    if (const ChildSettings* child = child_settings(sa.connection, *sa.first_child)) {
      ChildNegotiation n = prepare_child(sa, *child, true);
      append_child_request(n, payloads);
      task.child = std::move(n);
    }
  }
  send_request(sa, ikev2::ExchangeType::IkeAuth, payloads, std::move(task), now);
}

std::optional<std::vector<ikev2::Payload>> v2::Ikev2Engine::process_auth_request(
    IkeSa& sa, const std::vector<ikev2::Payload>& in, TimePoint now) {
  const auto* idi = ikev2::find_payload<ikev2::IdInitiatorPayload>(in);
  const auto* auth = ikev2::find_payload<ikev2::AuthPayload>(in);
  const auto* idr = ikev2::find_payload<ikev2::IdResponderPayload>(in);
  if (!idi) {
    malformed(sa.connection, sa.id, "IKE_AUTH request without IDi");
    sa.remove_after_response = true;
    return std::vector<ikev2::Payload>{notify(ikev2::NotifyType::InvalidSyntax)};
  }
  const Identity peer = Identity::from_payload(*idi);
  auto reject = [&](const std::string& conn_name, const std::string& why) -> std::vector<ikev2::Payload> {
    ++counters.authentication_failures;
    report_authentication(sa, conn_name, peer.to_string(), why);
    event(EventType::AuthenticationFailed, conn_name, sa.id, std::nullopt,
          "peer " + sa.remote.to_string() + " (" + peer.to_string() + "): " + why);
    sa.remove_after_response = true;
    return {notify(ikev2::NotifyType::AuthenticationFailed)};
  };

  // The final choice of connection: addresses, the peer's ID and (when sent) the ID it wants us to be.
  // A request without AUTH asks for EAP (§2.16): only a connection with an EAP remote_auth takes it.
  const ConnectionSettings* conn = nullptr;
  const ConnectionSettings* by_address = nullptr;
  const ConnectionSettings* other_method = nullptr;
  for (const auto& c : connections) {
    if (!address_allowed(c.local_addrs, sa.local.address) || !remote_allowed(c, sa.remote.address)) continue;
    if (!by_address) by_address = &c;
    if (!c.remote_id.matches(peer)) continue;
    if (idr && !our_identity(c, sa).matches(Identity::from_payload(*idr))) continue;
    if (is_eap(remote_auth_method(c)) == (auth != nullptr)) {
      if (!other_method) other_method = &c;
      continue;
    }
    conn = &c;
    break;
  }
  if (!conn && other_method) {
    return reject(other_method->name,
                  auth ? "the client sent AUTH but connection " + other_method->name +
                             " authenticates clients with EAP (remote_auth = eap-mschapv2)"
                       : "the client sent no AUTH (it wants EAP) but connection " + other_method->name +
                             " has remote_auth = " + auth_method_name(remote_auth_method(*other_method)));
  }
  if (!conn) {
    if (!by_address) return reject(sa.connection, "no connection accepts " + sa.remote.to_string());
    return reject(by_address->name, "peer ID " + peer.to_string() + " does not match remote_id " +
                                        by_address->remote_id.to_string() + " of connection " +
                                        by_address->name);
  }
  sa.connection = conn->name;
  if (!auth) return begin_eap_as_gateway(sa, *conn, peer, in, now);  // task_eap.cpp
  const Bytes octets =
      signed_octets(sa.init_request, sa.nonce_r, sa.algorithms->prf, sa.keys->sk_pi.view(), *idi);
  std::vector<crypto::Certificate> chain;
  if (auto why =
          verify_peer(*conn, peer, in, *auth, sa.algorithms->prf, octets, wall_time(options, now), &chain))
    return reject(conn->name, *why);
  if (remote_auth_method(*conn) == AuthMethod::PublicKey) {
    const RevocationGate gate = revocation_gate(sa, *conn, chain, true, in, nullptr, now);
    if (gate.kind == RevocationGate::Kind::Wait) return std::nullopt;  // resumed by resume_parked_sa
    if (gate.kind == RevocationGate::Kind::Refuse) return reject(conn->name, gate.why);
  }

  sa.remote_id = peer;
  sa.local_id = our_identity(*conn, sa);
  const ikev2::IdPayload our_id = sa.local_id.to_payload();
  const Bytes our_octets =
      signed_octets(sa.init_response, sa.nonce_i, sa.algorithms->prf, sa.keys->sk_pr.view(), our_id);
  auto our_auth = make_auth_payload(*conn, sa.algorithms->prf, sa.peer_signature_hashes, our_octets);
  if (!our_auth)
    return reject(conn->name, "we cannot authenticate ourselves: no PSK or private key configured");
  std::vector<ikev2::Payload> out;
  out.emplace_back(ikev2::IdResponderPayload{our_id});
  for (auto& c : our_certificate_payloads(*conn, in)) out.push_back(std::move(c));
  out.emplace_back(std::move(*our_auth));
  return answer_authenticated_request(sa, *conn, in, std::move(out), now);
}

std::vector<ikev2::Payload> v2::Ikev2Engine::answer_authenticated_request(
    IkeSa& sa, const ConnectionSettings& conn, const std::vector<ikev2::Payload>& in,
    std::vector<ikev2::Payload> out, TimePoint now) {
  if (ikev2::find_notify(in, ikev2::NotifyType::InitialContact)) handle_initial_contact(sa);
  // After INITIAL_CONTACT: the peer's earlier SAs gave their leases back, so it gets the same address.
  std::vector<ikev2::Payload> config;
  const ConfigAnswer config_answer = answer_config_request(sa, conn, in, config);  // task_config.cpp
  if (config_answer == ConfigAnswer::Malformed) {
    release_virtual_ips(sa);
    sa.remove_after_response = true;
    return std::vector<ikev2::Payload>{notify(ikev2::NotifyType::InvalidSyntax)};
  }
  ike_sa_established(sa, now);
  take_mobike_announcement(sa, conn, in);  // task_mobike.cpp

  for (auto& p : config) out.push_back(std::move(p));
  if (sa.mobike) append_mobike_supported(conn, out);
  // §3.15.4: without an address there is no CHILD SA (INTERNAL_ADDRESS_FAILURE is already in `config`).
  if (ikev2::find_payload<ikev2::SaPayload>(in) && config_answer != ConfigAnswer::AddressFailure)
    answer_child(sa, in, sa.nonce_i, sa.nonce_r, true, nullptr, std::nullopt, out, now);
  release_establishment_state(sa);
  return out;
}

void v2::Ikev2Engine::process_auth_response(IkeSa& sa, IkeAuthTask& task,
                                            const std::vector<ikev2::Payload>& in, TimePoint now) {
  const IkeSaId id = sa.id;
  const ConnectionSettings* conn = connection(sa.connection);
  if (!conn) {
    remove_ike_sa(id, std::nullopt, "");
    return;
  }
  if (ikev2::find_notify(in, ikev2::NotifyType::AuthenticationFailed)) {
    ++counters.authentication_failures;
    report_authentication_rejected_by_peer(sa, *conn);
    remove_ike_sa(
        id, EventType::AuthenticationFailed,
        "responder " + sa.remote.to_string() + " rejected our authentication (AUTHENTICATION_FAILED)");
    return;
  }
  const auto* idr = ikev2::find_payload<ikev2::IdResponderPayload>(in);
  const auto* auth = ikev2::find_payload<ikev2::AuthPayload>(in);
  if (!idr || !auth) {
    const auto* error = first_error_notify(in);
    if (error)
      remove_ike_sa(id, EventType::Error,
                    std::string("IKE_AUTH failed: responder answered ") + ikev2::notify_name(error->type));
    else {
      ++counters.malformed;
      remove_ike_sa(id, EventType::MalformedMessage, "IKE_AUTH response without IDr or AUTH");
    }
    return;
  }
  const Identity peer = Identity::from_payload(*idr);
  const Bytes octets =
      signed_octets(sa.init_response, sa.nonce_i, sa.algorithms->prf, sa.keys->sk_pr.view(), *idr);
  std::vector<crypto::Certificate> chain;
  std::optional<std::string> why =
      verify_peer(*conn, peer, in, *auth, sa.algorithms->prf, octets, wall_time(options, now), &chain);
  if (!why && remote_auth_method(*conn) == AuthMethod::PublicKey) {
    Task parked_task = std::move(task);
    const RevocationGate gate = revocation_gate(sa, *conn, chain, false, in, &parked_task, now);
    if (gate.kind == RevocationGate::Kind::Wait) return;  // resumed by resume_parked_sa
    task = std::move(std::get<IkeAuthTask>(parked_task));
    if (gate.kind == RevocationGate::Kind::Refuse) why = gate.why;
  }
  if (why) {
    ++counters.authentication_failures;
    report_authentication(sa, sa.connection, peer.to_string(), *why);
    // §2.21.2: tell the responder, then forget the SA. Nothing of it was installed.
    ikev2::Header h;
    h.initiator_spi = sa.spi_i;
    h.responder_spi = sa.spi_r;
    h.exchange = ikev2::ExchangeType::Informational;
    h.flags = ikev2::kFlagInitiator;
    h.message_id = sa.next_message_id++;
    for (const Bytes& d : protect(sa, h, {notify(ikev2::NotifyType::AuthenticationFailed)}))
      emit(sa.local, sa.remote, d);
    remove_ike_sa(id, EventType::AuthenticationFailed,
                  "responder " + sa.remote.to_string() + " (" + peer.to_string() + "): " + *why);
    return;
  }
  if (local_auth_method(*conn) == AuthMethod::EapMsChapV2) {
    begin_eap_as_client(sa, *conn, task, *idr, in, now);  // task_eap.cpp
    return;
  }
  complete_authentication(sa, *conn, task.child, peer, in, now);
}

void v2::Ikev2Engine::complete_authentication(IkeSa& sa, const ConnectionSettings& conn,
                                              std::optional<ChildNegotiation>& child, const Identity& peer,
                                              const std::vector<ikev2::Payload>& in, TimePoint now) {
  const IkeSaId id = sa.id;
  sa.remote_id = peer;
  ike_sa_established(sa, now);
  take_mobike_announcement(sa, conn, in);  // task_mobike.cpp
  sa.first_child.reset();
  if (!take_config_reply(sa, conn, in)) {  // task_config.cpp
    // A client that asked for a virtual IP and got none has no use for the SA (nor its CHILD SA,
    // whose selectors would be the whole address space).
    if (child) negotiating.erase({sa.connection, child->child});
    queue_request(sa, DeleteIkeTask{}, now, true);
    return;
  }
  if (child) accept_child(sa, *child, in, sa.nonce_i, sa.nonce_r, now);
  if (IkeSa* still = ike_sa(id)) release_establishment_state(*still);
}

}  // namespace cygnet::ike
