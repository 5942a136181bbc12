// Fuzzes the IKEv1 responder (RFC 2409): a fresh ike::Engine with two ike_version = 1 PSK
// connections (Main Mode; Aggressive Mode allowed for its own peer) and seeded randomness receives
// the input as ISAKMP datagrams, then runs its timers. Must never crash, leak or hang.
//
// First byte: bit 0 = port (0: 500, 1: 4500, where IKE carries the non-ESP marker);
// bit 1 = several datagrams: the rest is a sequence of [u16 big-endian length][bytes] records
// (a short last record takes what is left), each delivered 100 ms after the previous one;
// bit 2 = the datagrams come from the Aggressive Mode peer's address instead of the Main Mode one's.
// Otherwise the rest is a single datagram. Randomness (cookies, nonces, Diffie-Hellman keys) and
// time are fixed, so the seed corpus — whole exchanges recorded from a real initiator against this
// responder (Main Mode + Quick Mode, Aggressive Mode, DPD, Delete) — replays into the encrypted
// messages, and mutations of it reach the decryption, HASH checks and Quick Mode processing.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "ikev1_responder_setup.hpp"

using namespace cygnet;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint16_t port = (data[0] & 1) != 0 ? 4500 : 500;
  const bool several = (data[0] & 2) != 0;
  const bool from_aggressive_peer = (data[0] & 4) != 0;

  ike::Engine engine(fuzz::ike_fuzz_options(), ike::seeded_random(fuzz::kIkev1ResponderSeed));
  TimePoint now = fuzz::ike_fuzz_time();
  for (ike::ConnectionSettings& c : fuzz::ikev1_fuzz_connections(true)) {
    if (!engine.add_connection(std::move(c), now)) __builtin_trap();
  }
  (void)engine.take_actions();

  const ike::Endpoint local{fuzz::responder_address(), port};
  const ike::Endpoint remote{
      from_aggressive_peer ? fuzz::aggressive_initiator_address() : fuzz::initiator_address(), port};
  for (ByteView datagram : fuzz::split_datagrams(ByteView(data + 1, size - 1), several)) {
    engine.on_datagram(local, remote, datagram, now);
    (void)engine.take_actions();
    now += std::chrono::milliseconds(100);
  }
  // Retransmissions, DPD, half-open expiry, rekeys, deletes: whatever the input set up.
  for (int i = 0; i < 4; ++i) {
    const auto deadline = engine.next_deadline();
    if (!deadline) break;
    now = std::max(now, *deadline);
    engine.on_timer(now);
    (void)engine.take_actions();
  }
  // Soft/hard limits of whatever CHILD SA got installed, and the status report over every SA.
  for (const ike::ConnectionStatus& c : engine.status(now)) {
    for (const ike::IkeSaStatus& sa : c.ike_sas) {
      for (const ike::ChildSaStatus& child : sa.children) {
        engine.on_child_sa_soft_limit(child.id, now);
        (void)engine.take_actions();
      }
    }
  }
  (void)engine.status(now);
  return 0;
}
