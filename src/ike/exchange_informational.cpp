// INFORMATIONAL (RFC 7296 §1.4, §2.4): Delete of CHILD SAs and of the IKE SA, liveness checks,
// error notifications, and INITIAL_CONTACT's cleanup of a restarted peer's old SAs.
#include "ike/engine_impl.hpp"

namespace cygnet::ike {

std::vector<ikev2::Payload> Engine::Impl::process_informational_request(IkeSa& sa,
                                                                        const std::vector<ikev2::Payload>& in,
                                                                        TimePoint now) {
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
      std::vector<ChildSaId> ids;
      for (ChildSa* c : children_of(sa.id)) ids.push_back(c->id);
      for (ChildSaId id : ids) remove_child(id, true, "IKE SA deleted by the peer");
      // The old SA of an IKE rekey goes quietly: its successor carries on.
      if (!sa.replaced_by)
        event(EventType::IkeSaDeleted, sa.connection, sa.id, std::nullopt, "deleted by peer " + sa.remote.to_string());
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

void Engine::Impl::process_informational_response(IkeSa& sa, InFlight& task, const std::vector<ikev2::Payload>& in,
                                                  TimePoint now) {
  (void)in;
  if (std::holds_alternative<DeleteIkeInFlight>(task) || std::holds_alternative<NotifyInFlight>(task)) {
    remove_ike_sa(sa.id, std::nullopt, "");
    return;
  }
  if (auto* del = std::get_if<DeleteChildrenInFlight>(&task)) {
    for (const ChildRef& ref : del->children) {
      auto it = children.find(ref.id);
      if (it == children.end()) continue;
      if (it->second.state == ChildSaState::Rekeyed)
        it->second.remove_at = now + options.old_sa_grace;  // packets in flight may still use it
      else
        remove_child(ref.id, true, "deleted");
    }
    return;
  }
  // DpdInFlight: the answer itself is the proof of life (last_received was updated).
}

void Engine::Impl::handle_initial_contact(IkeSa& sa) {
  // The peer restarted: every other IKE SA with the same identity is stale (§2.4). Remove them
  // locally; the peer no longer knows their keys, so no Delete is sent.
  if (!sa.remote_id) return;
  std::vector<IkeSaId> stale;
  for (const auto& [id, other] : ike_sas)
    if (id != sa.id && other->authenticated && other->remote_id && *other->remote_id == *sa.remote_id &&
        other->connection == sa.connection)
      stale.push_back(id);
  for (IkeSaId id : stale) {
    event(EventType::InitialContact, sa.connection, id, std::nullopt,
          "peer " + sa.remote_id->to_string() + " restarted (INITIAL_CONTACT): removing its old IKE SA");
    remove_ike_sa(id, std::nullopt, "");
  }
}

}  // namespace cygnet::ike
