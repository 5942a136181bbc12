#include "ipsec/selector.hpp"

#include <algorithm>
#include <array>
#include <cstddef>

namespace cygnet::ipsec {

namespace {

wire::IpAddress make_address(wire::IpFamily family, const std::array<std::uint8_t, 16>& octets) {
  return family == wire::IpFamily::V4 ? wire::IpAddress::v4(ByteView(octets.data(), 4))
                                      : wire::IpAddress::v6(ByteView(octets.data(), 16));
}

// Byte-wise comparison of two addresses of the same family (network order, so lexicographic
// order is numeric order).
bool less_or_equal(ByteView a, ByteView b) {
  return !std::lexicographical_compare(b.begin(), b.end(), a.begin(), a.end());
}

bool bit_at(ByteView bytes, std::size_t index) {
  return ((bytes[index / 8] >> (7 - index % 8)) & 1u) != 0;
}

}  // namespace

AddressRange AddressRange::from_prefix(const wire::IpPrefix& prefix) {
  const wire::IpFamily family = prefix.address.family();
  const ByteView bytes = prefix.address.bytes();
  const std::size_t bits = prefix.address.bit_length();
  const std::size_t length = std::min<std::size_t>(prefix.length, bits);

  std::array<std::uint8_t, 16> first{};
  std::array<std::uint8_t, 16> last{};
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    // Bits of this byte inside the prefix: 0..8.
    const std::size_t covered = length >= (i + 1) * 8 ? 8 : (length > i * 8 ? length - i * 8 : 0);
    const auto network_mask = static_cast<std::uint8_t>(covered == 0 ? 0 : 0xFFu << (8 - covered));
    first[i] = static_cast<std::uint8_t>(bytes[i] & network_mask);
    last[i] = static_cast<std::uint8_t>(first[i] | static_cast<std::uint8_t>(~network_mask));
  }
  return AddressRange{make_address(family, first), make_address(family, last)};
}

AddressRange AddressRange::any(wire::IpFamily family) {
  std::array<std::uint8_t, 16> zeros{};
  std::array<std::uint8_t, 16> ones{};
  ones.fill(0xFF);
  return AddressRange{make_address(family, zeros), make_address(family, ones)};
}

bool AddressRange::contains(const wire::IpAddress& a) const {
  if (a.family() != first.family() || a.family() != last.family()) return false;
  return less_or_equal(first.bytes(), a.bytes()) && less_or_equal(a.bytes(), last.bytes());
}

std::optional<std::size_t> AddressRange::prefix_length() const {
  if (first.family() != last.family()) return std::nullopt;
  const ByteView f = first.bytes();
  const ByteView l = last.bytes();
  const std::size_t bits = first.bit_length();
  std::size_t common = 0;
  while (common < bits && bit_at(f, common) == bit_at(l, common)) ++common;
  // After the common bits, first must continue with zeros only and last with ones only.
  for (std::size_t i = common; i < bits; ++i) {
    if (bit_at(f, i) || !bit_at(l, i)) return std::nullopt;
  }
  return common;
}

std::string AddressRange::to_string() const {
  if (const auto length = prefix_length()) return first.to_string() + "/" + std::to_string(*length);
  return first.to_string() + "-" + last.to_string();
}

namespace {

bool ports_match(const Selector& s, const wire::IpPacketInfo& packet, std::uint16_t local_port,
                 std::uint16_t remote_port) {
  if (s.local_ports.is_any() && s.remote_ports.is_any()) return true;
  // A fragment carries no (or only partial) upper-layer header: it cannot satisfy a port
  // selector (RFC 4301 §4.4.1.1 OPAQUE handling; fragments need reassembly first).
  if (packet.is_fragment) return false;
  return s.local_ports.contains(local_port) && s.remote_ports.contains(remote_port);
}

}  // namespace

bool Selector::matches_outbound(const wire::IpPacketInfo& packet) const {
  return local.contains(packet.source) && remote.contains(packet.destination) &&
         (protocol == 0 || protocol == packet.protocol) &&
         ports_match(*this, packet, packet.source_port, packet.destination_port);
}

bool Selector::matches_inbound(const wire::IpPacketInfo& packet) const {
  // ICMP type/code are not ports: RFC 4301 §4.4.1.1 packs the type into the "local port" and the
  // code into the "remote port" selector whichever way the message travels.
  const bool icmp =
      packet.protocol == wire::ip_protocol::kIcmp || packet.protocol == wire::ip_protocol::kIcmpv6;
  return local.contains(packet.destination) && remote.contains(packet.source) &&
         (protocol == 0 || protocol == packet.protocol) &&
         (icmp ? ports_match(*this, packet, packet.source_port, packet.destination_port)
               : ports_match(*this, packet, packet.destination_port, packet.source_port));
}

namespace {

std::string ports_to_string(const PortRange& p) {
  if (p.is_any()) return "any";
  if (p.first == p.last) return std::to_string(p.first);
  return std::to_string(p.first) + "-" + std::to_string(p.last);
}

}  // namespace

std::string Selector::to_string() const {
  std::string out = local.to_string();
  if (!local_ports.is_any()) out += "[" + ports_to_string(local_ports) + "]";
  out += " <=> ";
  out += remote.to_string();
  if (!remote_ports.is_any()) out += "[" + ports_to_string(remote_ports) + "]";
  out += " proto ";
  out += protocol == 0 ? std::string("any") : std::to_string(protocol);
  return out;
}

}  // namespace cygnet::ipsec
