// Everything time-driven: retransmissions, half-open expiry, rekeys at ~90 % of a lifetime, hard
// expiry, liveness checks, and the grace period of rekeyed CHILD SAs. next_deadline() and
// on_timer() share the same conditions so a due deadline is always consumed.
#include <algorithm>

#include "ike/v2/ikev2_engine.hpp"

namespace cygnet::ike {

namespace {

std::optional<TimePoint> dpd_deadline(const IkeSa& sa, const ConnectionSettings* conn) {
  if (!conn || conn->dpd_delay.count() <= 0 || !sa.authenticated || sa.replaced_by || sa.outstanding ||
      sa.dpd_queued || sa.state == IkeSaState::Deleting)
    return std::nullopt;
  return sa.last_received + conn->dpd_delay;
}

// A reauthentication to start: due, and none under way (one whose new SA failed is retried).
std::optional<TimePoint> reauth_deadline(const IkeSa& sa,
                                         const std::map<IkeSaId, std::unique_ptr<IkeSa>>& sas) {
  if (!sa.reauth_at || sa.closing || sa.state == IkeSaState::Deleting) return std::nullopt;
  if (sa.reauth_by && sas.contains(*sa.reauth_by)) return std::nullopt;
  return sa.reauth_at;
}

void earliest(std::optional<TimePoint>& acc, std::optional<TimePoint> t) {
  if (t && (!acc || *t < *acc)) acc = t;
}

}  // namespace

void v2::Ikev2Engine::on_timer_sa(IkeSa& sa, TimePoint now) {
  const IkeSaId id = sa.id;
  if (sa.half_open_expire && now >= *sa.half_open_expire && !sa.authenticated) {
    remove_ike_sa(id, std::nullopt, "");
    return;
  }
  if (sa.parked && now >= sa.parked->deadline) {
    // The FetchRevocation went unanswered: decided as "unknown", and the policy says the rest.
    shared.revocation.give_up(sa.parked->request,
                              *options.wall_origin + std::chrono::duration_cast<crypto::WallClock::duration>(
                                                         now - options.steady_origin));
    resume_parked(sa.parked->request, now);
    if (!ike_sa(id)) return;
  }
  if (sa.outstanding && now >= sa.outstanding->next_retransmit) {
    retransmit_or_give_up(sa, now);
    if (!ike_sa(id)) return;
  }
  if (!sa.authenticated) return;
  if (sa.expire_at && now >= *sa.expire_at) {
    if (sa.replaced_by)
      remove_ike_sa(id, std::nullopt, "");
    else
      remove_ike_sa(id, EventType::IkeSaDeleted, "IKE SA lifetime expired before a rekey succeeded");
    return;
  }
  if (sa.replaced_by) return;
  if (sa.rekey_at && !sa.rekey_requested && now >= *sa.rekey_at && sa.state == IkeSaState::Established) {
    sa.rekey_requested = true;
    queue_request(sa, IkeRekeyTask{}, now);
  }
  if (auto reauth = reauth_deadline(sa, ike_sas); reauth && now >= *reauth) {
    if (sa.reauth_by) {  // the last attempt's new SA failed: the old one carries on, retry soon
      sa.reauth_by.reset();
      sa.reauth_at = now + Seconds{30};
    } else {
      start_reauthentication(sa, now);  // task_ike_reauth.cpp
    }
  }
  if (auto dpd = dpd_deadline(sa, connection(sa.connection)); dpd && now >= *dpd) {
    sa.dpd_queued = true;
    queue_request(sa, LivenessTask{}, now);
  }
  std::vector<ChildSaId> ids;
  for (ChildSa* c : children_of(id)) ids.push_back(c->id);
  for (ChildSaId cid : ids) {
    auto it = children.find(cid);
    if (it == children.end()) continue;
    ChildSa& c = it->second;
    if (c.remove_at && now >= *c.remove_at) {
      remove_child(cid, false, "");
      continue;
    }
    if (c.state == ChildSaState::Installed && c.expire_at && now >= *c.expire_at) {
      // Hard lifetime without a successful rekey: stop using it and tell the peer.
      const ChildRef ref{c.id, c.inbound_spi, c.protocol};
      remove_child(cid, true, "lifetime expired before a rekey succeeded");
      queue_request(sa, DeleteChildrenTask{{ref}}, now);
      continue;
    }
    if (c.state == ChildSaState::Rekeyed && c.expire_at && now >= *c.expire_at && !c.remove_at) {
      // The peer never deleted the old SA of its rekey: switch to the new one and drop it.
      if (c.replaced_by) {
        auto n = children.find(*c.replaced_by);
        if (n != children.end() && n->second.activation_pending) {
          n->second.activation_pending = false;
          actions.emplace_back(ActivateChildSa{n->second.id});
        }
        retire_redundant_children(sa, *c.replaced_by, now);
      }
      remove_child(cid, false, "");
      continue;
    }
    if (c.state == ChildSaState::Installed && c.rekey_at && !c.rekey_requested && now >= *c.rekey_at) {
      c.rekey_requested = true;
      queue_request(sa, ChildRekeyTask{cid}, now);
    }
  }
}

void v2::Ikev2Engine::on_timer(TimePoint now) {
  std::vector<IkeSaId> ids;
  for (const auto& [id, sa] : ike_sas) ids.push_back(id);
  for (IkeSaId id : ids)
    if (IkeSa* sa = ike_sa(id)) on_timer_sa(*sa, now);
}

void v2::Ikev2Engine::retry_failed_resolutions(TimePoint now) {
  std::vector<std::string> retry;  // host names whose resolution failed (engine_resolution.cpp)
  for (const auto& [name, at] : resolve_retry_at)
    if (at <= now) retry.push_back(name);
  for (const auto& name : retry) {
    resolve_retry_at.erase(name);
    up(name, now);
  }
}

std::optional<TimePoint> v2::Ikev2Engine::next_deadline() const {
  std::optional<TimePoint> next;
  for (const auto& [id, sa_ptr] : ike_sas) {
    const IkeSa& sa = *sa_ptr;
    if (!sa.authenticated) earliest(next, sa.half_open_expire);
    if (sa.outstanding) earliest(next, sa.outstanding->next_retransmit);
    if (sa.parked) earliest(next, sa.parked->deadline);
    if (!sa.authenticated) continue;
    earliest(next, sa.expire_at);
    if (sa.replaced_by) continue;
    if (!sa.rekey_requested && sa.state == IkeSaState::Established) earliest(next, sa.rekey_at);
    earliest(next, dpd_deadline(sa, connection(sa.connection)));
    earliest(next, reauth_deadline(sa, ike_sas));
  }
  for (const auto& [cid, c] : children) {
    earliest(next, c.remove_at);
    if (c.state == ChildSaState::Installed) {
      earliest(next, c.expire_at);
      if (!c.rekey_requested) earliest(next, c.rekey_at);
    }
    if (c.state == ChildSaState::Rekeyed && !c.remove_at) earliest(next, c.expire_at);
  }
  for (const auto& [name, at] : resolve_retry_at) earliest(next, std::optional<TimePoint>(at));
  return next;
}

}  // namespace cygnet::ike
