// libFuzzer target: path MTU input from the network and the TUN device. The bytes are read as a
// received ICMP Too Big (parser, and DataPlane::on_icmp_too_big against a plane with one SA pair),
// as an inner packet that may be answered with ICMP (what we build must parse back), as a SYN to
// clamp (the checksum must still verify when it was valid) and as an outer packet to fragment
// (the pieces must add up to the original).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "fuzz_support.hpp"
#include "ipsec/data_plane.hpp"
#include "ipsec/mss_clamp.hpp"
#include "wire/icmp_too_big.hpp"
#include "wire/ip_fragment.hpp"
#include "wire/ip_packet.hpp"

using namespace cygnet;
using namespace cygnet::ipsec;

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

DataPlane& plane() {
  static DataPlane* dp = [] {
    auto* d = new DataPlane();
    Policy protect;
    protect.selector.local = AddressRange::any(wire::IpFamily::V4);
    protect.selector.remote = AddressRange::any(wire::IpFamily::V4);
    protect.action = PolicyAction::Protect;
    PolicyId id = d->spd().add(protect);
    auto out = fuzz::fuzz_sa(IpsecProtocol::Esp, Mode::Tunnel, true, Direction::Outbound, false);
    const wire::IpAddress peer = out->params().remote_address;
    d->spd().bind_sa(id, d->sad().add(std::move(out)));
    d->path_mtu().set_link_mtu(peer, 600);  // most packets are too big: every path MTU branch
    return d;
  }();
  return *dp;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input(data, size);
  const TimePoint now = fuzz::fuzz_time();

  if (const auto message = wire::parse_icmp_too_big(input)) {
    check(message->quoted_payload.data() >= data && message->quoted_payload.data() <= data + size);
  }
  plane().on_icmp_too_big(input, now);

  std::vector<std::uint8_t> out(size + kMaxEncapsulationOverhead + 1280);
  const OutboundOutcome o = plane().process_outbound(input, out, now);
  if (o.kind == OutboundOutcome::Kind::TooBig) {
    const auto answer = wire::parse_icmp_too_big(ByteView(out.data(), o.result.length));
    check(answer.has_value());
  }

  if (wire::may_answer_with_icmp_error(input)) {
    const auto info = wire::parse_ip_packet(input);
    const wire::IpAddress source = info->destination;
    const std::size_t n = wire::build_icmp_too_big(out, source, input, 1280);
    check(n != 0 && n <= (info->family == wire::IpFamily::V4 ? 576u : 1280u));
  }

  std::vector<std::uint8_t> copy(input.begin(), input.end());
  clamp_tcp_mss(copy, 1000);

  std::vector<std::uint8_t> scratch(576);
  wire::fragment_ip_packet(input, 576, 1, scratch, [](ByteView fragment) {
    check(fragment.size() <= 576);
    return true;
  });
  return 0;
}
