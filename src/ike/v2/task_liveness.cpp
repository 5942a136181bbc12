// The liveness task (RFC 7296 §1.4, §2.4): an empty INFORMATIONAL request, queued by the timers
// (engine_timers.cpp) when the peer has been silent for dpd_delay. The answer itself is the proof
// of life (handle_response updated last_received); no answer after every retransmission removes
// the SAs with a PeerDead event (retransmit_or_give_up). The peer's empty requests are answered
// with an empty response by process_informational_request (task_delete.cpp).
#include "ike/v2/ikev2_engine.hpp"

namespace cygnet::ike {

void v2::Ikev2Engine::start(IkeSa& sa, LivenessTask task, TimePoint now) {
  sa.dpd_queued = false;
  send_request(sa, ikev2::ExchangeType::Informational, {}, task, now);
}

void v2::Ikev2Engine::on_response(IkeSa& /*sa*/, LivenessTask& /*task*/,
                                  const std::vector<ikev2::Payload>& /*in*/, TimePoint /*now*/) {}

}  // namespace cygnet::ike
