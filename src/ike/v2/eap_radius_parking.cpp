// Parking an IKE_AUTH request while a RADIUS server decides on the EAP Response it carries
// (EAP-RADIUS, eap_radius_relay.hpp). Like revocation_parking.cpp: the request is kept decrypted
// and, when the answer comes, processed again by the same code (task_eap.cpp) as if the answer had
// been there at once. Meanwhile the client's retransmits are dropped (handle_request), so each
// EAP Response is relayed exactly once; if the SA goes first (half-open timeout, shutdown), the
// late answer finds no one waiting and is counted and ignored.
#include "ike/eap_radius_relay.hpp"
#include "ike/v2/ikev2_engine.hpp"

namespace cygnet::ike {

std::vector<ikev2::Payload> v2::Ikev2Engine::wait_for_eap_server(IkeSa& sa,
                                                                 const std::vector<ikev2::Payload>& in) {
  EapConversation& eap = *sa.eap;
  auto* relay = dynamic_cast<EapRadiusRelay*>(eap.server.get());
  if (relay == nullptr) {  // no other server answers Pending
    sa.remove_after_response = true;
    return {notify(ikev2::NotifyType::AuthenticationFailed)};
  }
  RadiusQuery query = relay->query();
  RadiusAccessRequest action;
  action.request = next_radius_request++;
  action.ike_sa = sa.id;
  action.connection = sa.connection;
  action.user_name = std::move(query.user_name);
  action.eap_message = std::move(query.eap_message);
  action.state = std::move(query.state);
  action.server = query.server;
  eap.waiting = EapConversation::Waiting{action.request, sa.expected_message_id, in};
  ++counters.radius_requests;
  actions.emplace_back(std::move(action));
  return {};
}

void v2::Ikev2Engine::on_radius_answer(std::uint64_t request, RadiusAnswer answer, TimePoint now) {
  IkeSa* waiting = nullptr;
  for (const auto& [id, sa] : ike_sas) {
    if (sa->eap && sa->eap->waiting && sa->eap->waiting->request == request) {
      waiting = sa.get();
      break;
    }
  }
  if (waiting == nullptr) {
    ++counters.radius_answers_unclaimed;
    return;
  }
  IkeSa& sa = *waiting;
  const IkeSaId id = sa.id;
  static_cast<EapRadiusRelay&>(*sa.eap->server).deliver(std::move(answer));
  EapConversation::Waiting parked = std::move(*sa.eap->waiting);
  sa.eap->waiting.reset();
  // The tail of handle_request, for the request that waited.
  auto response = answer_request(sa, ikev2::ExchangeType::IkeAuth, parked.payloads, now);
  if (!response) return;
  send_response(sa, ikev2::ExchangeType::IkeAuth, parked.message_id, *response);
  if (sa.remove_after_response) {
    remove_ike_sa(id, std::nullopt, "");
    return;
  }
  pump(sa, now);
}

}  // namespace cygnet::ike
