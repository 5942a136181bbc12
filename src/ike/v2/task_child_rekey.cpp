// The CHILD SA rekey task (RFC 7296 §1.3.3, §2.8): CREATE_CHILD_SA with REKEY_SA naming the SA
// to replace, make-before-break (the new pair is installed before the old one is deleted), and
// simultaneous rekeys by both ends (§2.8.1). The request and the response share the new-child
// code of task_child_create.cpp.
#include <algorithm>

#include "ike/v2/ikev2_engine.hpp"

namespace cygnet::ike {

void v2::Ikev2Engine::start(IkeSa& sa, ChildRekeyTask task, TimePoint now) {
  auto it = children.find(task.id);
  if (it == children.end() || it->second.state != ChildSaState::Installed || it->second.ike_sa != sa.id)
    return;
  send_create_child_request(sa, it->second.child, task.id, now);
}

void v2::Ikev2Engine::on_response(IkeSa& sa, ChildRekeyTask& task, const std::vector<ikev2::Payload>& in,
                                  TimePoint now) {
  process_create_child_response(sa, task.sent, in, now);
}

std::vector<ikev2::Payload> v2::Ikev2Engine::process_child_rekey_request(
    IkeSa& sa, const std::vector<ikev2::Payload>& in, const ikev2::NotifyPayload& rekey, ByteView nonce_i,
    TimePoint now) {
  const auto spi = read_u32(rekey.spi);
  ChildSa* old = spi ? child_by_outbound_spi(sa.id, *spi) : nullptr;
  // REKEY_SA's protocol says which kind of SA the SPI names (§3.10): an unknown protocol, or AH
  // for an ESP SA, names none of ours (Libreswan CVE-2023-38710; catalog row 3).
  if (old && !same_protocol(rekey.protocol, old->protocol)) old = nullptr;
  if (!old || old->state != ChildSaState::Installed) {
    ikev2::NotifyPayload not_found = notify(ikev2::NotifyType::ChildSaNotFound);
    not_found.protocol = rekey.protocol;
    not_found.spi = rekey.spi;
    return {not_found};
  }
  const ChildSettings* forced = child_settings(old->connection, old->child);
  if (!forced) return {notify(ikev2::NotifyType::NoProposalChosen)};
  return answer_child_request(sa, in, nonce_i, forced, old->id, now);
}

bool v2::Ikev2Engine::resolve_rekey_collision(IkeSa& sa, ChildSa& old, ChildSa& ours, ByteView our_ni,
                                              ByteView our_nr, TimePoint now) {
  if (old.state != ChildSaState::Rekeyed || !old.replaced_by) return false;
  auto it = children.find(*old.replaced_by);
  if (it == children.end() || it->second.created_by_us) return false;
  ChildSa& theirs = it->second;
  // §2.8.1: both ends rekeyed the same SA. The exchange with the lowest of the four nonces made
  // the redundant SA; its initiator deletes it, the other initiator deletes the old SA.
  auto lowest = [](ByteView x, ByteView y) {
    return std::lexicographical_compare(x.begin(), x.end(), y.begin(), y.end()) ? x : y;
  };
  const ByteView our_low = lowest(our_ni, our_nr);
  const ByteView their_low = lowest(theirs.nonce_i, theirs.nonce_r);
  const bool ours_redundant =
      std::lexicographical_compare(our_low.begin(), our_low.end(), their_low.begin(), their_low.end());
  if (ours_redundant) {
    ours.state = ChildSaState::Rekeyed;
    ours.replaced_by = theirs.id;
    if (theirs.activation_pending) {
      // The peer installs its SA only when our answer to its request arrives, which may still be
      // on the way (responses and ESP overtake each other): sending on it now could hit an SPI
      // the peer does not know yet. Its Delete of the old SA is the proof that it has it
      // (task_delete.cpp); until then we keep sending on ours, which the peer installed when it
      // answered us, and do not delete ours either — a Delete arriving before the peer has seen
      // the collision would remove ours there at once, under packets in flight.
      ours.delete_when_replacement_active = true;
    } else {
      // The peer's Delete of the old SA came first: its SA is in place; move back to it.
      actions.emplace_back(ActivateChildSa{theirs.id});
      const ChildRef redundant{ours.id, ours.inbound_spi, ours.protocol};
      queue_request(sa, DeleteChildrenTask{{redundant}}, now, true);
    }
  } else {
    theirs.state = ChildSaState::Rekeyed;  // the peer deletes it
    theirs.replaced_by = ours.id;
    old.replaced_by = ours.id;
    queue_request(sa, DeleteChildrenTask{{ChildRef{old.id, old.inbound_spi, old.protocol}}}, now, true);
  }
  return true;
}

void v2::Ikev2Engine::retire_redundant_children(IkeSa& sa, ChildSaId winner, TimePoint now) {
  std::vector<ChildRef> redundant;
  for (ChildSa* c : children_of(sa.id))
    if (c->delete_when_replacement_active && c->replaced_by == winner) {
      c->delete_when_replacement_active = false;
      redundant.push_back(ChildRef{c->id, c->inbound_spi, c->protocol});
    }
  if (!redundant.empty()) queue_request(sa, DeleteChildrenTask{std::move(redundant)}, now);
}

}  // namespace cygnet::ike
