// The requester side of every IKE SA: initiating, and the per-SA queue of tasks (window size 1,
// §2.3) from which pump() starts the next one (dispatch.cpp: start_request).
#include <algorithm>

#include "ike/v2/ikev2_engine.hpp"

namespace cygnet::ike {

void v2::Ikev2Engine::initiate(const ConnectionSettings& conn, std::vector<std::string> child_names,
                               TimePoint now) {
  if (conn.ike_proposals.empty() || !first_group(conn.ike_proposals)) {
    event(EventType::Error, conn.name, std::nullopt, std::nullopt, "cannot initiate: no usable IKE proposal");
    return;
  }
  if (!conn.remote_hosts.empty()) {
    request_resolution(conn, std::move(child_names));  // every initiation re-resolves
    return;
  }
  if (conn.remote_addrs.empty()) {
    event(EventType::Error, conn.name, std::nullopt, std::nullopt,
          "cannot initiate: remote_addrs is %any (responder only)");
    return;
  }
  initiate_to(conn, conn.remote_addrs.front(), std::move(child_names), now);
}

void v2::Ikev2Engine::initiate_to(const ConnectionSettings& conn, const wire::IpAddress& remote,
                                  std::vector<std::string> child_names, TimePoint now) {
  IkeSa& sa = create_ike_sa(conn, true, now);
  sa.remote = Endpoint{remote, conn.remote_port};
  // The first local address of the peer's family that the host has now (on_local_addresses): after
  // a MOBIKE move the first configured one may be gone, and answers to it would never arrive.
  std::optional<wire::IpAddress> local;
  for (const auto& a : conn.local_addrs) {
    if (a.family() != sa.remote.address.family()) continue;
    const bool present = local_addresses.empty() || std::find(local_addresses.begin(), local_addresses.end(),
                                                              a) != local_addresses.end();
    if (present || !local) local = a;
    if (present) break;
  }
  // A peer reached on 4500 from the start is talked to from 4500 too, with the non-ESP marker
  // (RFC 7296 §2.23); otherwise IKE starts on 500 and floats when a NAT is detected.
  const bool nat_port = sa.remote.port == ikev2::kNatTraversalPort;
  sa.local =
      Endpoint{local.value_or(wire::IpAddress{}), nat_port ? ikev2::kNatTraversalPort : ikev2::kIkePort};
  for (std::size_t i = 0; i < child_names.size(); ++i) {
    negotiating.insert({conn.name, child_names[i]});
    if (i == 0)
      sa.first_child = child_names[i];
    else
      sa.queue.push_back(ChildCreateTask{child_names[i]});
  }
  send_init_request(sa, now);
}

void v2::Ikev2Engine::queue_request(IkeSa& sa, Task task, TimePoint now, bool front) {
  if (front)
    sa.queue.push_front(std::move(task));
  else
    sa.queue.push_back(std::move(task));
  pump(sa, now);
}

void v2::Ikev2Engine::pump(IkeSa& sa, TimePoint now) {
  while (!sa.outstanding && !sa.queue.empty()) {
    // Before authentication only IKE_SA_INIT/IKE_AUTH run; a replaced SA only deletes itself.
    if (!sa.authenticated) return;
    if (sa.replaced_by && !std::holds_alternative<DeleteIkeTask>(sa.queue.front())) {
      sa.queue.pop_front();
      continue;
    }
    Task task = std::move(sa.queue.front());
    sa.queue.pop_front();
    start_request(sa, std::move(task), now);
  }
}

void v2::Ikev2Engine::bring_down(const std::string& conn, TimePoint now) {
  std::vector<IkeSaId> ids;
  for (const auto& [id, sa] : ike_sas)
    if (sa->connection == conn) ids.push_back(id);
  for (IkeSaId id : ids) {
    IkeSa* sa = ike_sa(id);
    if (!sa) continue;
    if (!sa->authenticated) {
      remove_ike_sa(id, EventType::IkeSaDeleted, "closed by the operator before it was established");
      continue;
    }
    if (!sa->replaced_by) {  // the old SA of an IKE rekey has no children and was reported already
      std::vector<ChildSaId> kids;
      for (ChildSa* c : children_of(id)) kids.push_back(c->id);
      for (ChildSaId c : kids) remove_child(c, true, "closed by the operator");
      event(EventType::IkeSaDeleted, conn, id, std::nullopt, "closed by the operator");
    }
    // Every IKE SA the peer may still hold is deleted there, the old one of an IKE rekey too
    // (its own Delete may still be queued, or the peer owes us one: both ends deleting is fine).
    close_after_outstanding(*sa, now);
  }
  for (auto it = negotiating.begin(); it != negotiating.end();)
    it = it->first == conn ? negotiating.erase(it) : std::next(it);
}

// Window size 1 (RFC 7296 §2.3): a request still outstanding is not abandoned, because the peer
// may already have acted on it (made the new IKE SA of a rekey, say); a Delete sent past it with
// the next message ID would be dropped by a peer that never got it, and read as the normal end of
// the rekey by one that did, leaving the new SA up there. So only the Delete stays queued, and
// pump() sends it once that exchange has ended (end_exchange_before_delete) or was given up.
void v2::Ikev2Engine::close_after_outstanding(IkeSa& sa, TimePoint now) {
  if (sa.closing) return;
  sa.closing = true;
  sa.state = IkeSaState::Deleting;
  sa.queue.clear();
  if (sa.outstanding && std::holds_alternative<DeleteIkeTask>(sa.outstanding->task)) return;
  sa.queue.push_back(DeleteIkeTask{});
  pump(sa, now);
}

// The response to the request that was outstanding when the SA began closing.
void v2::Ikev2Engine::end_exchange_before_delete(IkeSa& sa, Task& task, const std::vector<ikev2::Payload>& in,
                                                 TimePoint now) {
  if (auto* rekey = std::get_if<IkeRekeyTask>(&task)) {
    // The peer has made the new IKE SA already: take it over (its keys) and delete it too, next
    // to the old one; the Delete of the old one alone would leave the new one up at the peer.
    on_response(sa, *rekey, in, now);
    sa.state = IkeSaState::Deleting;
    if (sa.replaced_by)
      if (IkeSa* fresh = ike_sa(*sa.replaced_by)) close_after_outstanding(*fresh, now);
    return;
  }
  // A new or rekeyed CHILD SA is not installed: it would go at once. The peer's half goes with
  // the IKE SA's Delete.
  if (const auto* create = std::get_if<ChildCreateTask>(&task)) {
    negotiating.erase({sa.connection, create->sent.child});
    return;
  }
  if (const auto* rekey_child = std::get_if<ChildRekeyTask>(&task)) {
    negotiating.erase({sa.connection, rekey_child->sent.child});
    return;
  }
  finish_request(sa, task, in, now);  // Delete of CHILD SAs, liveness check
}

}  // namespace cygnet::ike
