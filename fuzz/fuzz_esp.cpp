// Fuzzes ESP. The first input byte picks a scenario, so one corpus reaches every stage:
//  bit 0-1 = 0: the rest is a received IP packet, decapsulated as is (parsers, length checks,
//               replay and ICV rejection);
//          = 1: the rest is a cleartext packet to encapsulate, then decapsulate (must round-trip);
//          = 2: the rest is the decrypted ESP payload+trailer a peer might send: the target
//               encapsulates it with a valid ICV by hand so the checks *after* authentication
//               (padding, next header, inner packet) are what gets fuzzed.
//  bit 2: transport mode; bit 3: AES-CBC+HMAC instead of AES-GCM; bit 4: ESN.
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "fuzz_support.hpp"
#include "ipsec/esp.hpp"
#include "wire/byte_reader.hpp"
#include "wire/ip_packet.hpp"

using namespace cygnet;
using namespace cygnet::ipsec;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t control = data[0];
  const ByteView rest(data + 1, size - 1);
  const Mode mode = (control & 4) != 0 ? Mode::Transport : Mode::Tunnel;
  const bool aead = (control & 8) == 0;
  const bool esn = (control & 16) != 0;
  auto inbound = fuzz::fuzz_sa(IpsecProtocol::Esp, mode, aead, Direction::Inbound, esn);
  std::vector<std::uint8_t> out(rest.size() + kMaxEncapsulationOverhead);

  switch (control & 3) {
    case 0: {
      auto info = wire::parse_ip_packet(rest);
      std::size_t offset = info ? info->header_length : 20;
      esp_decapsulate(*inbound, rest, offset, out, fuzz::fuzz_time());
      break;
    }
    case 1: {
      auto outbound = fuzz::fuzz_sa(IpsecProtocol::Esp, mode, aead, Direction::Outbound, esn);
      PacketResult sealed = esp_encapsulate(*outbound, rest, out, fuzz::fuzz_time());
      if (!sealed.ok) break;
      std::vector<std::uint8_t> back(sealed.length);
      PacketResult opened = esp_decapsulate(*inbound, ByteView(out.data(), sealed.length),
                                            sealed.protocol_offset, back, fuzz::fuzz_time());
      auto original = wire::parse_ip_packet(rest);
      // Transport mode carries the packet's protocol as ESP next header; 59 means "dummy packet"
      // (RFC 4303 §2.6), which a receiver must discard.
      if (mode == Mode::Transport && original && original->protocol == wire::ip_protocol::kNoNextHeader &&
          opened.drop == DropReason::DummyPacket) {
        break;
      }
      if (!opened.ok || !original || !fuzz::same_packet(rest, ByteView(back.data(), opened.length), original->total_length)) {
        std::abort();  // whatever Cygnet sends, Cygnet must accept unchanged
      }
      break;
    }
    default: {
      if (!aead || mode != Mode::Tunnel) break;
      // Hand-built ESP over AES-GCM with the fuzz SA's key: header, IV, sealed(rest), tag.
      crypto::Aead gcm(crypto::AeadAlgorithm::AesGcm128, Bytes(16, 0x11), 16);
      const std::size_t total = 20 + 8 + 8 + rest.size() + 16;
      if (total > 0xFFFF) break;
      std::vector<std::uint8_t> packet(total);
      wire::Ipv4HeaderFields h;
      h.source = *wire::IpAddress::parse("192.0.2.1");
      h.destination = *wire::IpAddress::parse("192.0.2.2");
      h.protocol = wire::ip_protocol::kEsp;
      h.total_length = static_cast<std::uint16_t>(total);
      wire::write_ipv4_header(packet, h);
      wire::store_be32(&packet[20], 0x1000);
      wire::store_be32(&packet[24], 1);
      wire::store_be64(&packet[28], 1);
      std::array<std::uint8_t, 12> nonce{};
      std::memset(nonce.data(), 0x11, 4);
      std::memcpy(nonce.data() + 4, &packet[28], 8);
      std::array<std::uint8_t, 12> aad{};
      wire::store_be32(aad.data(), 0x1000);
      wire::store_be32(aad.data() + (esn ? 8 : 4), 1);
      gcm.seal(nonce, ByteView(aad.data(), esn ? 12 : 8), rest, MutableByteView(&packet[36], rest.size()),
               MutableByteView(&packet[36 + rest.size()], 16));
      esp_decapsulate(*inbound, packet, 20, out, fuzz::fuzz_time());
      break;
    }
  }
  return 0;
}
