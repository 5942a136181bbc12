// The Delete tasks (RFC 7296 §1.4.1): INFORMATIONAL with Delete payloads for CHILD SAs or for the
// IKE SA, as requester and as responder. Every INFORMATIONAL request is answered here: Deletes,
// the initiator's AUTHENTICATION_FAILED (§2.21.2), and an empty request (a liveness check, see
// task_liveness.cpp) which gets an empty answer. INITIAL_CONTACT's cleanup of a restarted peer's
// old SAs (§2.4) is in uniqueness.cpp.
#include "ike/v2/ikev2_engine.hpp"

namespace cygnet::ike {

void v2::Ikev2Engine::start(IkeSa& sa, DeleteChildrenTask task, TimePoint now) {
  std::vector<ikev2::Payload> payloads;
  ikev2::DeletePayload esp{ikev2::ProtocolId::Esp, 4, {}};
  ikev2::DeletePayload ah{ikev2::ProtocolId::Ah, 4, {}};
  for (const ChildRef& ref : task.children) {
    auto it = children.find(ref.id);
    if (it != children.end() && it->second.state == ChildSaState::Installed)
      it->second.state = ChildSaState::Deleting;
    // §1.4.1: a Delete names the SPI we receive on.
    (ref.protocol == ipsec::IpsecProtocol::Ah ? ah : esp).spis.push_back(u32_bytes(ref.inbound_spi));
  }
  if (!esp.spis.empty()) payloads.emplace_back(std::move(esp));
  if (!ah.spis.empty()) payloads.emplace_back(std::move(ah));
  if (payloads.empty()) return;
  send_request(sa, ikev2::ExchangeType::Informational, payloads, std::move(task), now);
}

void v2::Ikev2Engine::start(IkeSa& sa, DeleteIkeTask task, TimePoint now) {
  sa.state = IkeSaState::Deleting;
  send_request(sa, ikev2::ExchangeType::Informational, {ikev2::DeletePayload{ikev2::ProtocolId::Ike, 0, {}}},
               task, now);
}

std::vector<ikev2::Payload> v2::Ikev2Engine::process_informational_request(
    IkeSa& sa, const std::vector<ikev2::Payload>& in, TimePoint now) {
  if (auto mobike = answer_mobike_request(sa, in, now)) return *mobike;  // task_mobike.cpp
  if (ikev2::find_notify(in, ikev2::NotifyType::AuthenticationFailed)) {
    // The initiator rejected our AUTH (§2.21.2).
    ++counters.authentication_failures;
    event(EventType::AuthenticationFailed, sa.connection, sa.id, std::nullopt,
          "peer " + sa.remote.to_string() + " rejected our authentication (AUTHENTICATION_FAILED)");
    std::vector<ChildSaId> ids;
    for (ChildSa* c : children_of(sa.id)) ids.push_back(c->id);
    for (ChildSaId id : ids) remove_child(id, true, "peer rejected our authentication");
    sa.remove_after_response = true;
    return {};
  }
  std::vector<ikev2::Payload> out;
  for (const auto& p : in) {
    const auto* del = std::get_if<ikev2::DeletePayload>(&p);
    if (!del) continue;
    if (del->protocol == ikev2::ProtocolId::Ike) {
      hand_over_children(sa, now);  // the peer reauthenticated: task_ike_reauth.cpp
      std::vector<ChildSaId> ids;
      for (ChildSa* c : children_of(sa.id)) ids.push_back(c->id);
      for (ChildSaId id : ids) remove_child(id, true, "IKE SA deleted by the peer");
      // The old SA of an IKE rekey goes quietly: its successor carries on.
      if (!sa.replaced_by)
        event(EventType::IkeSaDeleted, sa.connection, sa.id, std::nullopt,
              "deleted by peer " + sa.remote.to_string());
      sa.remove_after_response = true;
      return {};
    }
    if (del->protocol != ikev2::ProtocolId::Esp && del->protocol != ikev2::ProtocolId::Ah) continue;
    ikev2::DeletePayload answer;
    answer.protocol = del->protocol;
    answer.spi_size = 4;
    for (const Bytes& raw_spi : del->spis) {
      const auto spi = read_u32(raw_spi);
      ChildSa* child = spi ? child_by_outbound_spi(sa.id, *spi) : nullptr;
      // An SPI names an SA of one protocol: an AH Delete never removes an ESP SA (catalog row 3).
      if (!child || !same_protocol(del->protocol, child->protocol)) continue;
      switch (child->state) {
        case ChildSaState::Deleting:
          // Both ends deleted it at once: it is gone on both sides, nothing to answer (§1.4.1).
          remove_child(child->id, true, "deleted by both ends");
          break;
        case ChildSaState::Rekeyed: {
          // The rekey initiator retires the old SA: our new outbound SA is safe to use now.
          answer.spis.push_back(u32_bytes(child->inbound_spi));
          if (child->replaced_by) {
            auto it = children.find(*child->replaced_by);
            if (it != children.end() && it->second.activation_pending) {
              it->second.activation_pending = false;
              actions.emplace_back(ActivateChildSa{it->second.id});
            }
            retire_redundant_children(sa, *child->replaced_by, now);
          }
          child->remove_at = now + options.old_sa_grace;
          break;
        }
        case ChildSaState::Installed:
          answer.spis.push_back(u32_bytes(child->inbound_spi));
          remove_child(child->id, true, "deleted by peer");
          break;
      }
    }
    if (!answer.spis.empty()) out.emplace_back(std::move(answer));
  }
  return out;  // empty: a liveness check (or nothing we know) gets an empty answer
}

void v2::Ikev2Engine::on_response(IkeSa& /*sa*/, DeleteChildrenTask& task,
                                  const std::vector<ikev2::Payload>& /*in*/, TimePoint now) {
  for (const ChildRef& ref : task.children) {
    auto it = children.find(ref.id);
    if (it == children.end()) continue;
    if (it->second.state == ChildSaState::Rekeyed)
      it->second.remove_at = now + options.old_sa_grace;  // packets in flight may still use it
    else
      remove_child(ref.id, true, "deleted");
  }
}

void v2::Ikev2Engine::on_response(IkeSa& sa, DeleteIkeTask& /*task*/,
                                  const std::vector<ikev2::Payload>& /*in*/, TimePoint now) {
  hand_over_children(sa, now);  // a reauthenticated SA's children: kept for the grace period
  remove_ike_sa(sa.id, std::nullopt, "");
}

}  // namespace cygnet::ike
