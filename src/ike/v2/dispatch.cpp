// The IKEv2 task tables (tasks.hpp): which task starts a request, which one processes a response,
// and which one answers the peer's request. The first two visit the Task variant with one
// overload per task type and no generic fallback, the third switches over the exchange type with
// no default: a task or exchange added without its row does not compile (-Wall -Werror).
#include "ike/v2/ikev2_engine.hpp"

namespace cygnet::ike {

bool known_exchange(ikev2::ExchangeType exchange) {
  switch (exchange) {
    case ikev2::ExchangeType::IkeSaInit:
    case ikev2::ExchangeType::IkeAuth:
    case ikev2::ExchangeType::CreateChildSa:
    case ikev2::ExchangeType::Informational: return true;
  }
  return false;  // a value from the wire no enumerator names
}

void v2::Ikev2Engine::start_request(IkeSa& sa, Task task, TimePoint now) {
  std::visit([&](auto& t) { start(sa, std::move(t), now); }, task);
}

void v2::Ikev2Engine::finish_request(IkeSa& sa, Task& task, const std::vector<ikev2::Payload>& in,
                                     TimePoint now) {
  std::visit([&](auto& t) { on_response(sa, t, in, now); }, task);
}

std::optional<std::vector<ikev2::Payload>> v2::Ikev2Engine::answer_request(
    IkeSa& sa, ikev2::ExchangeType exchange, const std::vector<ikev2::Payload>& in, TimePoint now) {
  // The payload rules (ikev2_payload_rules.hpp) were checked by handle_request before this.
  // (requests; the same check belongs at the top of finish_request for responses, and in
  // on_message before process_init_request / process_init_response for unencrypted IKE_SA_INIT)
  switch (exchange) {
    case ikev2::ExchangeType::IkeSaInit:
      // Unreachable: on_message hands every IKE_SA_INIT message to task_ike_sa_init.cpp before
      // an SA is looked up; answered like an unknown exchange all the same.
      return std::vector<ikev2::Payload>{notify(ikev2::NotifyType::InvalidSyntax)};
    case ikev2::ExchangeType::IkeAuth:
      if (sa.initiator || sa.authenticated) return std::nullopt;  // IKE_AUTH goes to the responder, once
      if (sa.eap) {
        auto out = process_eap_request(sa, in, now);         // task_eap.cpp: the EAP rounds
        if (sa.eap && sa.eap->waiting) return std::nullopt;  // answered later (eap_radius_parking.cpp)
        return out;
      }
      return process_auth_request(sa, in, now);  // task_ike_auth.cpp
    case ikev2::ExchangeType::CreateChildSa:
      return process_create_child_request(sa, in, now);  // task_child_create.cpp → its task
    case ikev2::ExchangeType::Informational:
      return process_informational_request(sa, in, now);  // task_delete.cpp (liveness: empty)
  }
  // Unreachable: handle_request answers an exchange type no enumerator names before dispatch.
  return std::vector<ikev2::Payload>{notify(ikev2::NotifyType::InvalidSyntax)};
}

}  // namespace cygnet::ike
