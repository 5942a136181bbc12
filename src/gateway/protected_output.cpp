#include "gateway/protected_output.hpp"

#include "wire/ip_fragment.hpp"

namespace cygnet::gateway {

bool ProtectedOutput::emit(const ipsec::OutboundOutcome& o, const ipsec::SecurityAssociation& sa,
                           OutputBatch& out) {
  const ipsec::SaParameters& p = sa.params();
  const ike::Endpoint peer{p.remote_address, 0};
  if (p.udp_encapsulation) {
    // ESP in UDP larger than the path goes out whole: the UDP socket lets the kernel fragment it.
    out.commit(OutputPacket{Destination::Udp, Purpose::Data, p.local_address.family(),
                            ike::Endpoint{p.local_address, p.udp_encapsulation->local_port},
                            ike::Endpoint{p.remote_address, p.udp_encapsulation->remote_port}, 0, 0},
               o.result.length, o.result.protocol_offset);  // the socket sends only the ESP part
    return true;
  }
  if (o.fragment_to == 0) {
    out.commit(OutputPacket{Destination::Raw, Purpose::Data, p.local_address.family(), {}, peer, 0, 0},
               o.result.length);
    return true;
  }
  // Larger than the path MTU and the inner packet allowed it: IP fragments. The whole packet sits
  // uncommitted in the arena where the fragments will go: copied aside first (this path only).
  const ByteView whole = out.reserve(o.result.length).first(o.result.length);
  fragment_source_.assign(whole.begin(), whole.end());
  const std::size_t sent = wire::fragment_ip_packet(
      fragment_source_, o.fragment_to, next_fragment_id_++, fragment_scratch_, [&](ByteView fragment) {
        out.add(OutputPacket{Destination::Raw, Purpose::Fragment, p.local_address.family(), {}, peer, 0, 0},
                fragment);
        return true;
      });
  return sent != 0;
}

}  // namespace cygnet::gateway
