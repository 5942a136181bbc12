// A second IKE SA of one peer identity on one connection (a second login, a reauthentication, a
// restarted peer), as responder once the newcomer authenticated: the connection's `unique`
// (swanctl semantics) and the peer's INITIAL_CONTACT (RFC 7296 §2.4) decide what happens to the
// older ones. The identity is the EAP identity when the peer used EAP (a user on several devices
// shares an IKE identity such as an address), otherwise the IKE identity.
//
//   no (default)  both stay; INITIAL_CONTACT removes the older ones (locally: the peer forgot them)
//   never         both stay; INITIAL_CONTACT ignored
//   replace       the older ones are deleted (Delete sent; with INITIAL_CONTACT not waited for)
//   keep          the newcomer is refused with AUTHENTICATION_FAILED while an older one lives,
//                 unless it comes from the same address as the older one: that is the peer
//                 reauthenticating (make-before-break), which replaces it as strongSwan does
#include <algorithm>

#include "ike/v2/ikev2_engine.hpp"

namespace cygnet::ike {

std::string v2::Ikev2Engine::peer_identity_key(const IkeSa& sa) {
  if (!sa.eap_identity.empty()) return "eap:" + sa.eap_identity;
  return sa.remote_id ? sa.remote_id->to_string() : std::string();
}

bool v2::Ikev2Engine::enforce_uniqueness(IkeSa& sa, const ConnectionSettings& conn, bool initial_contact,
                                         std::vector<IkeSaId>& to_replace) {
  const std::string who = peer_identity_key(sa);
  if (who.empty()) return true;
  std::vector<IkeSaId> older;
  bool same_address = false;
  for (const auto& [id, other] : ike_sas) {
    if (id == sa.id || !other->authenticated || other->replaced_by || other->closing ||
        other->connection != sa.connection || peer_identity_key(*other) != who)
      continue;
    older.push_back(id);
    if (other->remote.address == sa.remote.address) same_address = true;
  }
  if (older.empty()) return true;
  const std::string peer = "peer " + sa.remote.to_string() + " (" + who + ")";
  switch (conn.unique) {
    case UniquePolicy::Never: return true;
    case UniquePolicy::No:
      if (initial_contact) handle_initial_contact(sa);
      return true;
    case UniquePolicy::Keep:
      if (!same_address) {
        ++counters.unique_refused;
        event(EventType::DuplicateIkeSa, sa.connection, sa.id, std::nullopt,
              peer + ": refused with AUTHENTICATION_FAILED (unique = keep): IKE SA #" +
                  std::to_string(older.front()) + " of the same identity is up");
        return false;
      }
      break;  // the peer reauthenticating: as replace
    case UniquePolicy::Replace: break;
  }
  to_replace = std::move(older);
  for (IkeSaId id : to_replace)
    event(EventType::DuplicateIkeSa, sa.connection, id, std::nullopt,
          peer + ": IKE SA #" + std::to_string(id) + " deleted, replaced by IKE SA #" +
              std::to_string(sa.id) + " (unique = " + unique_policy_name(conn.unique) +
              (same_address ? ", same address" : "") + ")");
  return true;
}

void v2::Ikev2Engine::replace_older_sas(IkeSa& sa, const std::vector<IkeSaId>& older, bool initial_contact,
                                        TimePoint now) {
  for (IkeSaId id : older) {
    IkeSa* other = ike_sa(id);
    if (!other || other->closing || id == sa.id) continue;
    ++counters.unique_replaced;
    if (initial_contact) {
      // The newcomer says the peer forgot its older SAs: one Delete, unanswered (another device
      // of the user learns it was replaced; a restarted peer ignores it), then gone here.
      hand_over_children(*other, now);
      ikev2::Header h;
      h.initiator_spi = other->spi_i;
      h.responder_spi = other->spi_r;
      h.exchange = ikev2::ExchangeType::Informational;
      h.flags = other->initiator ? ikev2::kFlagInitiator : std::uint8_t{0};
      h.message_id = other->next_message_id++;
      for (const Bytes& d : protect(*other, h, {ikev2::DeletePayload{ikev2::ProtocolId::Ike, 0, {}}}))
        emit(other->local, other->remote, d);
      remove_ike_sa(id, std::nullopt, "");
      continue;
    }
    // Children whose traffic the newcomer's CHILD SA carries stay for the grace period (packets in
    // flight); the others go now. The Delete tells the peer, which may still hold the SA (a
    // reauthentication) or be gone (another device: the Delete then goes unanswered).
    hand_over_children(*other, now);  // task_ike_reauth.cpp
    std::vector<ChildSaId> kids;
    for (ChildSa* c : children_of(id)) kids.push_back(c->id);
    for (ChildSaId c : kids) remove_child(c, true, "replaced by a newer IKE SA of the same identity");
    release_virtual_ips(*other);  // the newcomer holds the same lease (a lease belongs to the identity)
    close_after_outstanding(*other, now);
  }
}

void v2::Ikev2Engine::handle_initial_contact(IkeSa& sa) {
  // The peer restarted: every other IKE SA with the same identity is stale (§2.4). Remove them
  // locally; the peer no longer knows their keys, so no Delete is sent.
  const std::string who = peer_identity_key(sa);
  if (who.empty()) return;
  std::vector<IkeSaId> stale;
  for (const auto& [id, other] : ike_sas)
    if (id != sa.id && other->authenticated && other->connection == sa.connection &&
        peer_identity_key(*other) == who)
      stale.push_back(id);
  for (IkeSaId id : stale) {
    ++counters.initial_contact_removed;
    event(EventType::InitialContact, sa.connection, id, std::nullopt,
          "peer " + who + " restarted (INITIAL_CONTACT): removing its old IKE SA");
    remove_ike_sa(id, std::nullopt, "");
  }
}

void v2::Ikev2Engine::start(IkeSa& sa, ReplaceOlderTask task, TimePoint now) {
  replace_older_sas(sa, task.older, task.initial_contact, now);
}

// Never called: the task sends no request.
void v2::Ikev2Engine::on_response(IkeSa& /*sa*/, ReplaceOlderTask& /*task*/,
                                  const std::vector<ikev2::Payload>& /*in*/, TimePoint /*now*/) {}

bool v2::Ikev2Engine::child_carried_by_other_sa(const IkeSa& sa, const NegotiatedChild& n) const {
  if (n.we_initiated || n.replaces || !n.settings) return false;
  const std::string who = peer_identity_key(sa);
  if (who.empty()) return false;
  for (const auto& [cid, c] : children) {
    if (c.ike_sa == sa.id || c.state != ChildSaState::Installed || c.connection != sa.connection ||
        c.child != n.settings->name || c.remote_ts != n.remote_ts)
      continue;
    auto other = ike_sas.find(c.ike_sa);
    if (other != ike_sas.end() && peer_identity_key(*other->second) == who) return true;
  }
  return false;
}

}  // namespace cygnet::ike
