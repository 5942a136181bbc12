// The new-CHILD-SA task (RFC 7296 §1.3.1): CREATE_CHILD_SA for one more CHILD SA on an
// established IKE SA, as requester and as responder. Its request and response processing are
// shared with the CHILD rekey task (task_child_rekey.cpp), which adds REKEY_SA and the retirement
// of the old SA. Every CREATE_CHILD_SA request enters through process_create_child_request, which
// hands it to the task it concerns.
#include <algorithm>

#include "ike/random_source.hpp"
#include "ike/v2/ikev2_engine.hpp"

namespace cygnet::ike {

namespace {

constexpr std::size_t kNonceLength = 32;

ikev2::ProtocolId protocol_id(ipsec::IpsecProtocol p) {
  return p == ipsec::IpsecProtocol::Ah ? ikev2::ProtocolId::Ah : ikev2::ProtocolId::Esp;
}

}  // namespace

void v2::Ikev2Engine::start(IkeSa& sa, ChildCreateTask task, TimePoint now) {
  if (task.resource) {  // an additional per-resource SA: the child is up (its fallback) by design
    if (child_settings(sa.connection, task.child))
      send_create_child_request(sa, task.child, std::nullopt, now, task.resource);
    return;
  }
  // A reauthentication recreates children that are up on the old IKE SA (task_ike_reauth.cpp).
  if ((child_is_up(sa.connection, task.child) && !sa.reauth_of) ||
      !child_settings(sa.connection, task.child)) {
    negotiating.erase({sa.connection, task.child});
    return;
  }
  send_create_child_request(sa, task.child, std::nullopt, now);
}

void v2::Ikev2Engine::on_response(IkeSa& sa, ChildCreateTask& task, const std::vector<ikev2::Payload>& in,
                                  TimePoint now) {
  process_create_child_response(sa, task.sent, in, now);
}

void v2::Ikev2Engine::send_create_child_request(IkeSa& sa, const std::string& child_name,
                                                std::optional<ChildSaId> rekey_of, TimePoint now,
                                                std::optional<std::uint32_t> resource) {
  const ChildSettings* settings = child_settings(sa.connection, child_name);
  if (!settings) return;
  ChildNegotiation n = prepare_child(sa, *settings, false);
  if (resource) {
    n.resource_info = true;
    n.resource = resource;
  }
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
    // RFC 9611: a per-resource SA's rekey is one too, for the same worker.
    n.resource_info = old.per_resource;
    n.resource = old.resource;
    ikev2::NotifyPayload rekey = notify(ikev2::NotifyType::RekeySa);
    rekey.protocol = protocol_id(old.protocol);
    rekey.spi = u32_bytes(old.inbound_spi);
    payloads.emplace_back(std::move(rekey));
  }
  append_child_request(n, payloads);
  Task sent = rekey_of ? Task{ChildRekeyTask{*rekey_of, std::move(n)}}
                       : Task{ChildCreateTask{child_name, std::move(n), resource}};
  send_request(sa, ikev2::ExchangeType::CreateChildSa, payloads, std::move(sent), now);
}

std::vector<ikev2::Payload> v2::Ikev2Engine::process_create_child_request(
    IkeSa& sa, const std::vector<ikev2::Payload>& in, TimePoint now) {
  const auto* sa_payload = ikev2::find_payload<ikev2::SaPayload>(in);
  const auto* nonce = ikev2::find_payload<ikev2::NoncePayload>(in);
  if (!sa_payload || !nonce || !nonce_length_ok(nonce->data.size()) || sa_payload->proposals.empty()) {
    malformed(sa.connection, sa.id, "CREATE_CHILD_SA request without SA or a valid nonce");
    return {notify(ikev2::NotifyType::InvalidSyntax)};
  }
  if (sa_payload->proposals.front().protocol == ikev2::ProtocolId::Ike)
    return process_rekey_ike_request(sa, in, now);
  // While the IKE SA itself is being rekeyed, new CHILD SAs would land on the wrong SA (§2.25).
  if (sa.outstanding_is<IkeRekeyTask>() || sa.replaced_by || sa.state == IkeSaState::Deleting)
    return {notify(ikev2::NotifyType::TemporaryFailure)};

  if (const auto* rekey = ikev2::find_notify(in, ikev2::NotifyType::RekeySa))
    return process_child_rekey_request(sa, in, *rekey, nonce->data, now);
  return answer_child_request(sa, in, nonce->data, nullptr, std::nullopt, now);
}

std::vector<ikev2::Payload> v2::Ikev2Engine::answer_child_request(
    IkeSa& sa, const std::vector<ikev2::Payload>& in, ByteView nonce_i, const ChildSettings* forced,
    std::optional<ChildSaId> replaces, TimePoint now) {
  Bytes nonce_r(kNonceLength);
  random->fill(nonce_r);
  std::vector<ikev2::Payload> out;
  answer_child(sa, in, nonce_i, nonce_r, false, forced, replaces, out, now);
  return out;
}

void v2::Ikev2Engine::process_create_child_response(IkeSa& sa, const ChildNegotiation& n,
                                                    const std::vector<ikev2::Payload>& in, TimePoint now) {
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
      event(EventType::Error, sa.connection, sa.id, old->id,
            "peer does not know CHILD SA " + old->child + " any more");
      remove_child(old->id, true, "unknown to the peer");
      return;
    }
  }
  const auto* nonce = ikev2::find_payload<ikev2::NoncePayload>(in);
  if (!first_error_notify(in) && (!nonce || !nonce_length_ok(nonce->data.size()))) {
    negotiating.erase({sa.connection, n.child});
    ++counters.malformed;
    event(EventType::MalformedMessage, sa.connection, sa.id, std::nullopt,
          "CREATE_CHILD_SA response without a valid nonce");
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
        fresh.child + " rekeyed: SPIs " + to_hex(u32_bytes(old->inbound_spi)) + "_i " +
            to_hex(u32_bytes(old->outbound_spi)) + "_o → " + to_hex(u32_bytes(fresh.inbound_spi)) + "_i " +
            to_hex(u32_bytes(fresh.outbound_spi)) + "_o");
  // Make-before-break: the new pair already carries our traffic; now retire the old one.
  queue_request(sa, DeleteChildrenTask{{ChildRef{old->id, old->inbound_spi, old->protocol}}}, now, true);
}

}  // namespace cygnet::ike
