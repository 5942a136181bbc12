// Fuzzes AH. First byte: bit 0 = 0 decapsulate the rest as a received packet; 1 encapsulate the
// rest as a cleartext packet and decapsulate it again (must round-trip). Bit 2: transport; bit 4: ESN.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "fuzz_support.hpp"
#include "ipsec/ah.hpp"
#include "wire/ip_packet.hpp"

using namespace cygnet;
using namespace cygnet::ipsec;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t control = data[0];
  const ByteView rest(data + 1, size - 1);
  const Mode mode = (control & 4) != 0 ? Mode::Transport : Mode::Tunnel;
  const bool esn = (control & 16) != 0;
  auto inbound = fuzz::fuzz_sa(IpsecProtocol::Ah, mode, false, Direction::Inbound, esn);
  std::vector<std::uint8_t> out(rest.size() + kMaxEncapsulationOverhead);
  if ((control & 1) == 0) {
    auto info = wire::parse_ip_packet(rest);
    ah_decapsulate(*inbound, rest, info ? info->header_length : 20, out, fuzz::fuzz_time());
    return 0;
  }
  auto outbound = fuzz::fuzz_sa(IpsecProtocol::Ah, mode, false, Direction::Outbound, esn);
  PacketResult sealed = ah_encapsulate(*outbound, rest, out, fuzz::fuzz_time());
  if (!sealed.ok) return 0;
  std::vector<std::uint8_t> back(sealed.length);
  PacketResult opened =
      ah_decapsulate(*inbound, ByteView(out.data(), sealed.length), sealed.protocol_offset, back, fuzz::fuzz_time());
  auto original = wire::parse_ip_packet(rest);
  if (!opened.ok || !original || !fuzz::same_packet(rest, ByteView(back.data(), opened.length), original->total_length)) {
    std::abort();
  }
  return 0;
}
