// Parking IKE_AUTH while the peer's certificate revocation status is fetched (revocation_checker.hpp):
// the message is kept decrypted in IkeSa::parked and processed again, from the same payloads and
// by the same code, when the answer (or the timeout) comes, so the result is what it would have
// been had the answer been cached. The responder sends no response meanwhile and drops the peer's
// retransmits (handle_request); the initiator has no request outstanding, so late duplicates of
// the response are ignored and nothing is retransmitted.
#include "ike/v2/ikev2_engine.hpp"

namespace cygnet::ike {

namespace {
crypto::WallClock wall_time(const EngineOptions& o, TimePoint now) {
  return *o.wall_origin + std::chrono::duration_cast<crypto::WallClock::duration>(now - o.steady_origin);
}
}  // namespace

RevocationGate v2::Ikev2Engine::revocation_gate(IkeSa& sa, const ConnectionSettings& conn,
                                                const std::vector<crypto::Certificate>& chain,
                                                bool is_request, const std::vector<ikev2::Payload>& payloads,
                                                Task* task, TimePoint now) {
  RevocationGate gate = shared.revocation.check(conn, chain, wall_time(options, now));
  if (gate.kind != RevocationGate::Kind::Wait) return gate;
  ParkedMessage parked;
  parked.request = gate.request;
  parked.deadline = now + options.revocation_timeout;
  parked.is_request = is_request;
  parked.message_id = sa.expected_message_id;  // responder: handle_request only processes this one
  parked.payloads = payloads;
  if (task) parked.task = std::move(*task);
  sa.parked = std::move(parked);
  ++counters.revocation_parked;
  return gate;
}

void v2::Ikev2Engine::resume_parked(std::uint64_t request, TimePoint now) {
  std::vector<IkeSaId> waiting;
  for (const auto& [id, sa] : ike_sas)
    if (sa->parked && sa->parked->request == request) waiting.push_back(id);
  for (IkeSaId id : waiting)
    if (IkeSa* sa = ike_sa(id)) resume_parked_sa(*sa, now);
}

void v2::Ikev2Engine::resume_parked_sa(IkeSa& sa, TimePoint now) {
  ParkedMessage parked = std::move(*sa.parked);
  sa.parked.reset();
  const IkeSaId id = sa.id;
  if (!parked.is_request) {
    finish_request(sa, parked.task, parked.payloads, now);  // IKE_AUTH response (task_ike_auth.cpp)
    if (IkeSa* still = ike_sa(id)) pump(*still, now);
    return;
  }
  // The tail of handle_request, for the request it parked.
  auto response = answer_request(sa, ikev2::ExchangeType::IkeAuth, parked.payloads, now);
  if (!response) return;  // parked again: the next certificate of the chain needs a fetch
  send_response(sa, ikev2::ExchangeType::IkeAuth, parked.message_id, *response);
  if (sa.remove_after_response) {
    remove_ike_sa(id, std::nullopt, "");
    return;
  }
  pump(sa, now);
}

}  // namespace cygnet::ike
