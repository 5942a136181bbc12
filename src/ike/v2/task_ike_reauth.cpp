// Make-before-break reauthentication (RFC 7296 §2.8.3, RFC 4478): at `reauth_time` (minus jitter)
// the side that can reach its peer builds a whole new IKE SA — IKE_SA_INIT and IKE_AUTH with fresh
// authentication, EAP included — and recreates there every CHILD SA of the old one (the first
// inside IKE_AUTH, the others with CREATE_CHILD_SA). Each new CHILD SA takes the outbound traffic
// as it is installed; the old SA keeps receiving until the ReauthRetireTask, queued behind the
// children, deletes it. A virtual IP client asks for the address it holds, and hands it from the
// old SA to the new one without releasing it. An IKE rekey of the old SA meanwhile is followed
// (reauth_predecessor); a new SA that fails is retried a little later while the old one lives.
#include <algorithm>

#include "ike/random_source.hpp"
#include "ike/retransmission.hpp"
#include "ike/v2/ikev2_engine.hpp"

namespace cygnet::ike {

void v2::Ikev2Engine::schedule_reauthentication(IkeSa& sa, const ConnectionSettings& conn, TimePoint now) {
  sa.reauth_at.reset();
  sa.reauth_by.reset();
  // A responder-only connection (remote_addrs %any) cannot reach its peer: the peer reauthenticates.
  if (conn.reauth_time.count() <= 0 || (conn.remote_addrs.empty() && conn.remote_hosts.empty())) return;
  // As strongSwan: at reauth_time minus up to `rekey_jitter` of it, so both ends rarely collide.
  const double l = static_cast<double>(conn.reauth_time.count());
  const double at = std::max(1.0, l - l * options.rekey_jitter * random->next_unit());
  sa.reauth_at = now + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(at));
  // Reauthentication due within the IKE lifetime wins over rekeying (a new IKE SA has new keys);
  // a later one leaves the rekeys in between (schedule_ike_lifetime keeps to the same rule).
  if (sa.expire_at && *sa.reauth_at <= *sa.expire_at) sa.rekey_at.reset();
}

void v2::Ikev2Engine::start_reauthentication(IkeSa& old, TimePoint now) {
  const ConnectionSettings* conn = connection(old.connection);
  if (!conn || conn->ike_proposals.empty() || !first_group(conn->ike_proposals)) return;
  const IkeSaId old_id = old.id;
  IkeSa& fresh = create_ike_sa(*conn, true, now);  // the table holds pointers: `old` stays valid
  fresh.local = old.local;
  fresh.remote = old.remote;  // where the peer is now (MOBIKE, NAT float included)
  fresh.reauth_of = old_id;
  old.reauth_by = fresh.id;
  // The children to recreate, each name once, oldest first.
  std::vector<std::string> names;
  for (ChildSa* c : children_of(old_id))
    if (c->state == ChildSaState::Installed && std::find(names.begin(), names.end(), c->child) == names.end())
      names.push_back(c->child);
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i == 0)
      fresh.first_child = names[i];
    else
      fresh.queue.push_back(ChildCreateTask{names[i]});
  }
  fresh.queue.push_back(ReauthRetireTask{});
  send_init_request(fresh, now);
}

IkeSa* v2::Ikev2Engine::reauth_predecessor(const IkeSa& fresh) {
  if (!fresh.reauth_of) return nullptr;
  IkeSa* p = ike_sa(*fresh.reauth_of);
  // Follow IKE rekeys of the old SA (each hands its place to replaced_by); a few at most.
  for (int hops = 0; p && p->replaced_by && *p->replaced_by != fresh.id && hops < 8; ++hops)
    p = ike_sa(*p->replaced_by);
  if (p && p->replaced_by) return nullptr;
  return p;
}

const std::vector<wire::IpAddress>* v2::Ikev2Engine::reauth_virtual_ips(const IkeSa& fresh) {
  const IkeSa* old = reauth_predecessor(fresh);
  return old && !old->virtual_ips.empty() ? &old->virtual_ips : nullptr;
}

// Every child queued before this task is up (or was refused): the old SA goes.
void v2::Ikev2Engine::start(IkeSa& fresh, ReauthRetireTask /*task*/, TimePoint now) {
  IkeSa* old = reauth_predecessor(fresh);
  fresh.reauth_of.reset();
  if (!old) return;  // it went meanwhile (deleted by the peer, expired): nothing to retire
  old->reauth_by.reset();
  old->reauth_at.reset();
  // Same addresses: they move to the new SA without VirtualIpsReleased (the TUN keeps them).
  if (old->virtual_ips == fresh.virtual_ips) old->virtual_ips.clear();
  // Children recreated on the new SA leave quietly, like the old SAs of a rekey; one the peer
  // refused to recreate is reported when it goes.
  for (ChildSa* c : children_of(old->id))
    if (c->state == ChildSaState::Installed &&
        std::any_of(children.begin(), children.end(), [&](const auto& entry) {
          return entry.second.ike_sa == fresh.id && entry.second.child == c->child &&
                 entry.second.state == ChildSaState::Installed;
        }))
      c->state = ChildSaState::Rekeyed;
  old->replaced_by = fresh.id;  // from now on it only waits for its Delete
  old->rekey_at.reset();
  old->expire_at = now + retransmit_total(options) + Seconds{10};
  ++counters.ike_sas_reauthenticated;
  event(EventType::IkeSaReauthenticated, fresh.connection, fresh.id, std::nullopt,
        "IKE SA " + to_hex(u64_bytes(fresh.spi_i)) + "_i " + to_hex(u64_bytes(fresh.spi_r)) +
            "_r replaces IKE SA " + to_hex(u64_bytes(old->spi_i)) + "_i " + to_hex(u64_bytes(old->spi_r)) +
            "_r (make-before-break reauthentication)");
  close_after_outstanding(*old, now);
}

void v2::Ikev2Engine::hand_over_children(IkeSa& old, TimePoint now) {
  const std::string who = peer_identity_key(old);
  if (who.empty()) return;
  for (ChildSa* c : children_of(old.id)) {
    if (c->state != ChildSaState::Installed && c->state != ChildSaState::Rekeyed) continue;
    ChildSa* successor = nullptr;
    for (auto& [cid, other] : children) {
      if (other.ike_sa == old.id || other.state != ChildSaState::Installed ||
          other.connection != c->connection || other.child != c->child || other.remote_ts != c->remote_ts)
        continue;
      const IkeSa* carrier = ike_sa(other.ike_sa);
      if (carrier && carrier->authenticated && !carrier->closing && peer_identity_key(*carrier) == who)
        successor = &other;
    }
    if (!successor) continue;
    if (successor->activation_pending) {
      successor->activation_pending = false;
      actions.emplace_back(ActivateChildSa{successor->id});
    }
    c->state = ChildSaState::Rekeyed;           // leaves quietly
    children_by_ike.erase({c->ike_sa, c->id});  // the index by IKE SA follows the move
    c->ike_sa = successor->ike_sa;
    children_by_ike.emplace(c->ike_sa, c->id);
    c->remove_at = now + options.old_sa_grace;
  }
}

// Never called: the task sends no request.
void v2::Ikev2Engine::on_response(IkeSa& /*sa*/, ReauthRetireTask& /*task*/,
                                  const std::vector<ikev2::Payload>& /*in*/, TimePoint /*now*/) {}

}  // namespace cygnet::ike
