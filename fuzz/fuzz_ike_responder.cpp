// Fuzzes the IKEv2 responder: a fresh ike::Engine with one PSK connection and seeded randomness
// receives the input as IKE datagrams, then runs its timers. Must never crash, leak or hang.
//
// First byte: bit 0 = port (0: 500, 1: 4500, where IKE carries the non-ESP marker);
// bit 1 = several datagrams: the rest is a sequence of [u16 big-endian length][bytes] records
// (a short last record takes what is left), each delivered 100 ms after the previous one.
// Otherwise the rest is a single datagram. Randomness (SPIs, nonces) and time are fixed, but the
// responder's Diffie-Hellman key comes from OpenSSL, so the later messages of a recorded exchange
// (seed corpus: IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL from a real initiator) reach
// the responder's SK decryption and integrity check rather than a full handshake.
#include <cstdint>
#include <vector>

#include "ike_responder_setup.hpp"

using namespace cygnet;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint16_t port = (data[0] & 1) != 0 ? 4500 : 500;
  const bool several = (data[0] & 2) != 0;

  ike::Engine engine(fuzz::ike_fuzz_options(), ike::seeded_random(fuzz::kResponderSeed));
  TimePoint now = fuzz::ike_fuzz_time();
  if (!engine.add_connection(fuzz::ike_fuzz_connection(true), now)) __builtin_trap();
  (void)engine.take_actions();

  const ike::Endpoint local{fuzz::responder_address(), port};
  const ike::Endpoint remote{fuzz::initiator_address(), port};
  for (ByteView datagram : fuzz::split_datagrams(ByteView(data + 1, size - 1), several)) {
    engine.on_datagram(local, remote, datagram, now);
    (void)engine.take_actions();
    now += std::chrono::milliseconds(100);
  }
  // Retransmissions, liveness checks, half-open expiry, rekeys: whatever the input set up.
  for (int i = 0; i < 4; ++i) {
    const auto deadline = engine.next_deadline();
    if (!deadline) break;
    now = std::max(now, *deadline);
    engine.on_timer(now);
    (void)engine.take_actions();
  }
  (void)engine.status(now);
  return 0;
}
