#include "sim/ike_capture.hpp"

#include "wire/udp_encap.hpp"

namespace cygnet::sim {

IkeCapture::IkeCapture(Network& network, bool keep_all) : keep_all_(keep_all) {
  network.set_tap([this](TimePoint at, ByteView packet) { on_packet(at, packet); });
}

void IkeCapture::on_packet(TimePoint at, ByteView ip_packet) {
  if (keep_all_) all_.emplace_back(at, Bytes(ip_packet.begin(), ip_packet.end()));
  auto udp = parse_udp_packet(ip_packet);
  if (!udp) return;
  ByteView message = udp->payload;
  if (udp->destination.port == wire::kNatTraversalPort) {
    if (wire::classify_udp4500_payload(message) != wire::Udp4500Payload::Ike) return;
    message = message.subspan(wire::kNonEspMarkerLength);
  } else if (udp->destination.port != wire::kIkePort) {
    return;
  }
  if (message.size() < 28) return;  // shorter than the fixed IKE header (RFC 7296 §3.1)
  CapturedIke m;
  m.at = at;
  m.source = udp->source;
  m.destination = udp->destination;
  m.version = message[17];
  m.exchange = message[18];
  m.response = (message[19] & 0x20) != 0;
  m.message_id = (std::uint32_t{message[20]} << 24) | (std::uint32_t{message[21]} << 16) |
                 (std::uint32_t{message[22]} << 8) | message[23];
  m.ip_packet.assign(ip_packet.begin(), ip_packet.end());
  messages_.push_back(std::move(m));
}

std::size_t IkeCapture::count(Exchange exchange, bool response) const {
  std::size_t n = 0;
  for (const CapturedIke& m : messages_) {
    if (m.exchange == static_cast<std::uint8_t>(exchange) && m.response == response) ++n;
  }
  return n;
}

std::size_t IkeCapture::count_from(const wire::IpAddress& source, Exchange exchange, bool response) const {
  std::size_t n = 0;
  for (const CapturedIke& m : messages_) {
    if (m.source.address == source && m.exchange == static_cast<std::uint8_t>(exchange) && m.response == response) ++n;
  }
  return n;
}

std::size_t IkeCapture::count_v1_from(const wire::IpAddress& source, std::uint8_t exchange) const {
  std::size_t n = 0;
  for (const CapturedIke& m : messages_) {
    if (m.source.address == source && m.version == 0x10 && m.exchange == exchange) ++n;
  }
  return n;
}

std::size_t IkeCapture::count_other_versions(std::uint8_t version) const {
  std::size_t n = 0;
  for (const CapturedIke& m : messages_) {
    if (m.version != version) ++n;
  }
  return n;
}

}  // namespace cygnet::sim
