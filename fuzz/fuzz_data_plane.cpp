// Fuzzes the data plane facade: SPD lookup, SAD lookup, ESP/AH/ESP-in-UDP dispatch and the
// inbound selector check. First byte: bit 0 = direction (0 inbound, 1 outbound); inbound with
// bit 1 set: the rest is the payload of a UDP 4500 datagram (process_esp_in_udp, no IP header).
#include <cstdint>
#include <vector>

#include "fuzz_support.hpp"
#include "ipsec/data_plane.hpp"

using namespace cygnet;
using namespace cygnet::ipsec;

namespace {

DataPlane& plane() {
  static DataPlane* dp = [] {
    auto* d = new DataPlane();
    Policy protect;
    protect.selector.local = AddressRange::from_prefix(*wire::IpPrefix::parse("198.51.100.0/24"));
    protect.selector.remote = AddressRange::from_prefix(*wire::IpPrefix::parse("203.0.113.0/24"));
    protect.action = PolicyAction::Protect;
    PolicyId id = d->spd().add(protect);
    auto out = fuzz::fuzz_sa(IpsecProtocol::Esp, Mode::Tunnel, true, Direction::Outbound, false);
    d->spd().bind_sa(id, d->sad().add(std::move(out)));
    d->sad().add(fuzz::fuzz_sa(IpsecProtocol::Esp, Mode::Tunnel, true, Direction::Inbound, false));
    Policy bypass;
    bypass.selector.local = AddressRange::any(wire::IpFamily::V6);
    bypass.selector.remote = AddressRange::any(wire::IpFamily::V6);
    bypass.action = PolicyAction::Bypass;
    d->spd().add(bypass);
    return d;
  }();
  return *dp;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const ByteView packet(data + 1, size - 1);
  std::vector<std::uint8_t> out(packet.size() + kMaxEncapsulationOverhead);
  if ((data[0] & 3) == 2) {
    const UdpEndpoints endpoints{*wire::IpAddress::parse("192.0.2.2"), 4500,
                                 *wire::IpAddress::parse("192.0.2.1"), 4500};
    plane().process_esp_in_udp(packet, endpoints, out, fuzz::fuzz_time());
  } else if ((data[0] & 1) == 0) {
    plane().process_inbound(packet, out, fuzz::fuzz_time());
  } else {
    plane().process_outbound(packet, out, fuzz::fuzz_time());
  }
  return 0;
}
