// ESP packet processing (RFC 4303). Layout of what esp_encapsulate writes:
//
//   [outer IP header][UDP header?][SPI][Seq][IV][payload][padding][pad len][next hdr][ICV]
//                                 \_ protocol_offset      \______ encrypted ______/
//
// Tunnel mode: payload = the whole inner packet, outer header new. Transport mode: payload = the
// original packet's upper-layer data, outer header = the original header with protocol/length
// rewritten. No heap allocation: everything is written into the caller's buffer or the stack.
#include "ipsec/esp.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

#include "ipsec/packet_path.hpp"
#include "wire/byte_reader.hpp"
#include "wire/esp_header.hpp"
#include "wire/ip_packet.hpp"
#include "wire/udp_encap.hpp"

namespace cygnet::ipsec {

namespace {

using wire::IpFamily;
using wire::IpPacketInfo;

// Sizes that depend only on the SA's transform.
struct EspGeometry {
  std::size_t iv_length;
  std::size_t alignment;  // payload + trailer is padded to a multiple of this
  std::size_t icv_length;
};

EspGeometry geometry_of(const SecurityAssociation& sa) {
  const EncryptionTransform& enc = sa.params().encryption;
  switch (enc.kind) {
    case EncryptionTransform::Kind::Aead:
      return {8, 4, sa.icv_length()};  // RFC 4106 §3.1 / RFC 7634 §2: 8-byte IV, 4-byte alignment
    case EncryptionTransform::Kind::Cbc: {
      std::size_t block = crypto::cbc_block_size(enc.cbc);
      return {block, block, sa.icv_length()};
    }
    case EncryptionTransform::Kind::Null: return {0, 4, sa.icv_length()};
  }
  return {0, 4, 0};
}

// Additional authenticated data for AEADs (RFC 4106 §5, RFC 7634 §2.1): SPI, [seq high,] seq low.
std::size_t build_aead_aad(std::uint8_t* aad, std::uint32_t spi, std::uint64_t seq, bool esn) {
  wire::store_be32(aad, spi);
  if (esn) {
    wire::store_be32(aad + 4, static_cast<std::uint32_t>(seq >> 32));
    wire::store_be32(aad + 8, static_cast<std::uint32_t>(seq));
    return 12;
  }
  wire::store_be32(aad + 4, static_cast<std::uint32_t>(seq));
  return 8;
}

void build_aead_nonce(std::uint8_t* nonce, ByteView salt, const std::uint8_t* iv) {
  std::memcpy(nonce, salt.data(), kAeadSaltLength);
  std::memcpy(nonce + kAeadSaltLength, iv, 8);
}

}  // namespace

std::size_t esp_encapsulated_length(const SecurityAssociation& sa, const wire::IpPacketInfo& inner) {
  const EspGeometry geo = geometry_of(sa);
  const bool tunnel = sa.mode() == Mode::Tunnel;
  const std::size_t outer_header = tunnel ? outer_ip_header_length(sa) : inner.header_length;
  const std::size_t udp = sa.params().udp_encapsulation ? wire::kUdpHeaderLength : 0;
  const std::size_t payload = tunnel ? inner.total_length : inner.total_length - inner.header_length;
  const std::size_t pad = (0 - (payload + wire::kEspTrailerLength)) & (geo.alignment - 1);
  return outer_header + udp + wire::kEspHeaderLength + geo.iv_length + payload + pad +
         wire::kEspTrailerLength + geo.icv_length;
}

PacketResult esp_encapsulate(SecurityAssociation& sa, ByteView ip_packet, MutableByteView out,
                             TimePoint now) {
  const auto parsed = wire::parse_ip_packet(ip_packet);
  if (parsed) return esp_encapsulate(sa, ip_packet, *parsed, out, now);
  LifetimeEvent time_event = LifetimeEvent::None;
  if (auto refused = refuse_if_expired(sa, now, time_event)) return *refused;
  if (auto refused = refuse_without_worker(sa)) return *refused;
  return drop(sa, DropReason::Malformed);
}

PacketResult esp_encapsulate(SecurityAssociation& sa, ByteView ip_packet, const IpPacketInfo& inner,
                             MutableByteView out, TimePoint now) {
  LifetimeEvent time_event = LifetimeEvent::None;
  if (auto refused = refuse_if_expired(sa, now, time_event)) return *refused;
  if (auto refused = refuse_without_worker(sa)) return *refused;
  const bool tunnel = sa.mode() == Mode::Tunnel;
  if (!tunnel && inner.family != sa.params().local_address.family()) return drop(sa, DropReason::Malformed);

  const EspGeometry geo = geometry_of(sa);
  const std::size_t outer_header = tunnel ? outer_ip_header_length(sa) : inner.header_length;
  const std::size_t udp = sa.params().udp_encapsulation ? wire::kUdpHeaderLength : 0;
  const std::size_t payload_offset_in = tunnel ? 0 : inner.header_length;
  const ByteView payload = ip_packet.subspan(payload_offset_in, inner.total_length - payload_offset_in);
  // Alignments are powers of two (4, 8 or 16): a mask instead of a division per packet.
  const std::size_t pad = (0 - (payload.size() + wire::kEspTrailerLength)) & (geo.alignment - 1);
  const std::size_t esp_offset = outer_header + udp;
  const std::size_t iv_offset = esp_offset + wire::kEspHeaderLength;
  const std::size_t cipher_offset = iv_offset + geo.iv_length;
  const std::size_t cipher_length = payload.size() + pad + wire::kEspTrailerLength;
  const std::size_t icv_offset = cipher_offset + cipher_length;
  const std::size_t total = icv_offset + geo.icv_length;
  if (total > out.size()) return drop(sa, DropReason::BufferTooSmall);
  const IpFamily outer_family = tunnel ? sa.params().local_address.family() : inner.family;
  if (!fits_ip_length(outer_family, total)) return drop(sa, DropReason::Malformed);  // too big to send

  PacketResult refused;
  const auto seq_opt = take_sequence(sa, refused);
  if (!seq_opt) return refused;
  const std::uint64_t seq = *seq_opt;
  const bool esn = sa.params().extended_sequence_numbers;
  std::uint8_t* p = out.data();

  // Payload and trailer (padding 1, 2, 3, ... per RFC 4303 §2.4, pad length, next header) are
  // laid out in the output and encrypted there in place: one copy of the packet is cheaper than
  // a second cipher update call for the trailer (measured, docs/performance.md).
  std::uint8_t* plain = p + cipher_offset;
  std::memmove(plain, payload.data(), payload.size());  // memmove: callers may encapsulate in place
  std::uint8_t* trailer = plain + payload.size();
  for (std::size_t i = 0; i < pad; ++i) trailer[i] = static_cast<std::uint8_t>(i + 1);
  trailer[pad] = static_cast<std::uint8_t>(pad);
  trailer[pad + 1] =
      tunnel ? (inner.family == IpFamily::V4 ? wire::ip_protocol::kIpv4 : wire::ip_protocol::kIpv6)
             : inner.protocol;

  wire::store_be32(p + esp_offset, sa.spi());
  wire::store_be32(p + esp_offset + 4, static_cast<std::uint32_t>(seq));
  MutableByteView cipher_out(p + cipher_offset, cipher_length);

  bool sealed = false;
  switch (sa.params().encryption.kind) {
    case EncryptionTransform::Kind::Aead: {
      // IV = the 64-bit sequence number: unique per SA because sequence numbers never repeat.
      wire::store_be64(p + iv_offset, seq);
      std::array<std::uint8_t, 12> aad;
      std::array<std::uint8_t, crypto::kAeadNonceLength> nonce;
      std::size_t aad_len = build_aead_aad(aad.data(), sa.spi(), seq, esn);
      build_aead_nonce(nonce.data(), sa.aead_salt(), p + iv_offset);
      sealed = sa.aead()->seal(nonce, ByteView(aad.data(), aad_len), ByteView(cipher_out), cipher_out,
                               MutableByteView(p + icv_offset, geo.icv_length));
      break;
    }
    case EncryptionTransform::Kind::Cbc:
      // CBC needs an unpredictable IV (RFC 3602 §2.4): the cipher applied to the never-repeating
      // sequence number under the SA key (NIST SP 800-38A Appendix C).
      sealed = sa.cbc()->make_iv(seq, MutableByteView(p + iv_offset, geo.iv_length)) &&
               sa.cbc()->encrypt(ByteView(p + iv_offset, geo.iv_length), ByteView(cipher_out), cipher_out);
      break;
    case EncryptionTransform::Kind::Null:
      sealed = true;  // RFC 2410: the laid-out payload and trailer are the "ciphertext"
      break;
  }
  if (sealed && sa.integrity() != nullptr) {
    // ICV over ESP header, IV and ciphertext, with the ESN high half appended (RFC 4303 §2.2.1).
    std::array<std::uint8_t, 4> seq_high;
    wire::store_be32(seq_high.data(), static_cast<std::uint32_t>(seq >> 32));
    sealed = sa.integrity()->compute(
        {ByteView(p + esp_offset, icv_offset - esp_offset), esn ? ByteView(seq_high) : ByteView()},
        MutableByteView(p + icv_offset, geo.icv_length));
  }
  if (!sealed) return drop(sa, DropReason::Malformed);  // OpenSSL failure: never send half-built

  if (udp != 0) {
    const UdpEncapsulation& ports = *sa.params().udp_encapsulation;
    wire::write_udp_header(MutableByteView(p + outer_header, udp), ports.local_port, ports.remote_port,
                           static_cast<std::uint16_t>(total - outer_header));
  }
  if (tunnel) {
    write_outer_header(sa, inner_ds_field(ip_packet, inner.family), MutableByteView(p, outer_header), total,
                       udp != 0 ? wire::ip_protocol::kUdp : wire::ip_protocol::kEsp,
                       static_cast<std::uint16_t>(seq), inner_dont_fragment(ip_packet, inner.family));
  } else {
    std::memmove(p, ip_packet.data(), outer_header);
    p[inner.next_header_offset] = udp != 0 ? wire::ip_protocol::kUdp : wire::ip_protocol::kEsp;
    wire::update_ip_length(MutableByteView(p, total), inner.family, total);
  }
  if (udp != 0 && !sa.params().local_address.is_v4()) {
    wire::set_udp6_checksum(MutableByteView(p + outer_header, total - outer_header),
                            sa.params().local_address.bytes(), sa.params().remote_address.bytes());
  }

  return packet_done(sa, total, esp_offset, payload.size(), time_event, now);
}

namespace {

// The part of decapsulation that needs only the ESP bytes (header to ICV): checks, replay,
// decryption/ICV, padding. The cleartext payload lands at out[payload_offset]; on success returns
// nullopt with its length and next header set, else the drop.
std::optional<PacketResult> open_esp(SecurityAssociation& sa, ByteView esp_bytes, MutableByteView out,
                                     std::size_t payload_offset, std::size_t& payload_length,
                                     std::uint8_t& next_header) {
  const EspGeometry geo = geometry_of(sa);
  const std::uint8_t* esp = esp_bytes.data();
  const std::size_t esp_length = esp_bytes.size();
  if (esp_length < wire::kEspHeaderLength + geo.iv_length + wire::kEspTrailerLength + geo.icv_length) {
    return drop(sa, DropReason::Malformed);
  }
  const std::size_t cipher_length = esp_length - wire::kEspHeaderLength - geo.iv_length - geo.icv_length;
  if (cipher_length % geo.alignment != 0 && sa.params().encryption.kind == EncryptionTransform::Kind::Cbc) {
    return drop(sa, DropReason::Malformed);  // CBC ciphertext must be whole blocks
  }
  if (wire::load_be32(esp) != sa.spi()) return drop(sa, DropReason::UnknownSpi);

  // Replay check first: cheap, and it infers the ESN high half the ICV needs.
  const ReplayWindow::CheckResult replay = sa.replay_window().check(wire::load_be32(esp + 4));
  if (auto reason = replay_drop(replay.verdict)) return drop(sa, *reason);
  const std::uint64_t seq = replay.sequence;
  const bool esn = sa.params().extended_sequence_numbers;

  if (payload_offset + cipher_length > out.size()) return drop(sa, DropReason::BufferTooSmall);
  const std::uint8_t* iv = esp + wire::kEspHeaderLength;
  const ByteView ciphertext(iv + geo.iv_length, cipher_length);
  const ByteView icv(iv + geo.iv_length + cipher_length, geo.icv_length);
  MutableByteView plain(out.data() + payload_offset, cipher_length);

  switch (sa.params().encryption.kind) {
    case EncryptionTransform::Kind::Aead: {
      std::array<std::uint8_t, 12> aad;
      std::array<std::uint8_t, crypto::kAeadNonceLength> nonce;
      std::size_t aad_len = build_aead_aad(aad.data(), sa.spi(), seq, esn);
      build_aead_nonce(nonce.data(), sa.aead_salt(), iv);
      if (!sa.aead()->open(nonce, ByteView(aad.data(), aad_len), ciphertext, icv, plain)) {
        return drop(sa, DropReason::IcvFailure);
      }
      break;
    }
    case EncryptionTransform::Kind::Cbc:
    case EncryptionTransform::Kind::Null: {
      if (sa.integrity() != nullptr) {
        std::array<std::uint8_t, 4> seq_high;
        wire::store_be32(seq_high.data(), static_cast<std::uint32_t>(seq >> 32));
        if (!sa.integrity()->verify(
                {ByteView(esp, esp_length - geo.icv_length), esn ? ByteView(seq_high) : ByteView()}, icv)) {
          return drop(sa, DropReason::IcvFailure);
        }
      }
      if (sa.cbc() != nullptr) {
        if (!sa.cbc()->decrypt(ByteView(iv, geo.iv_length), ciphertext, plain))
          return drop(sa, DropReason::Malformed);
      } else {
        std::memcpy(plain.data(), ciphertext.data(), cipher_length);
      }
      break;
    }
  }
  // Authenticated: only now may the window move (RFC 4303 §3.4.3). accept() is the authoritative
  // test: another thread may have accepted the same number since check().
  if (auto reason = replay_drop(sa.replay_window().accept(seq))) return drop(sa, *reason);

  const std::uint8_t pad_length = plain[cipher_length - 2];
  next_header = plain[cipher_length - 1];
  if (std::size_t{pad_length} + wire::kEspTrailerLength > cipher_length)
    return drop(sa, DropReason::BadPadding);
  payload_length = cipher_length - wire::kEspTrailerLength - pad_length;
  for (std::size_t i = 0; i < pad_length; ++i) {
    if (plain[payload_length + i] != static_cast<std::uint8_t>(i + 1))
      return drop(sa, DropReason::BadPadding);
  }
  if (next_header == wire::ip_protocol::kNoNextHeader) return drop(sa, DropReason::DummyPacket);
  return std::nullopt;
}

// Tunnel mode: out[0, payload_length) holds the inner packet; its length without TFC padding
// (RFC 4303 §2.7), or the drop.
std::optional<std::size_t> inner_packet_length(ByteView out, std::size_t payload_length,
                                               std::uint8_t next_header) {
  if (next_header != wire::ip_protocol::kIpv4 && next_header != wire::ip_protocol::kIpv6) return std::nullopt;
  auto inner = wire::parse_ip_packet(ByteView(out.data(), payload_length));
  const IpFamily expected = next_header == wire::ip_protocol::kIpv4 ? IpFamily::V4 : IpFamily::V6;
  if (!inner || inner->family != expected) return std::nullopt;
  return inner->total_length;
}

}  // namespace

PacketResult esp_decapsulate(SecurityAssociation& sa, ByteView ip_packet, std::size_t esp_offset,
                             MutableByteView out, TimePoint now) {
  LifetimeEvent time_event = LifetimeEvent::None;
  if (auto refused = refuse_if_expired(sa, now, time_event)) return *refused;
  if (auto refused = refuse_without_worker(sa)) return *refused;
  auto outer = wire::parse_ip_packet(ip_packet);
  if (!outer || esp_offset < outer->header_length || esp_offset > outer->total_length) {
    return drop(sa, DropReason::Malformed);
  }
  const bool tunnel = sa.mode() == Mode::Tunnel;
  // Cleartext goes to out at payload_offset: after the copied outer header in transport mode.
  const std::size_t payload_offset = tunnel ? 0 : outer->header_length;
  std::size_t payload_length = 0;
  std::uint8_t next_header = 0;
  const ByteView esp(ip_packet.data() + esp_offset, outer->total_length - esp_offset);
  if (auto refused = open_esp(sa, esp, out, payload_offset, payload_length, next_header)) return *refused;

  std::size_t result_length = 0;
  if (tunnel) {
    const auto inner = inner_packet_length(out, payload_length, next_header);
    if (!inner) return drop(sa, DropReason::Malformed);
    result_length = *inner;
  } else {
    std::memcpy(out.data(), ip_packet.data(), outer->header_length);
    out[outer->next_header_offset] = next_header;
    result_length = outer->header_length + payload_length;
    wire::update_ip_length(MutableByteView(out.data(), result_length), outer->family, result_length);
  }

  return packet_done(sa, result_length, 0, payload_length, time_event, now);
}

PacketResult esp_decapsulate_tunnel_payload(SecurityAssociation& sa, ByteView esp, MutableByteView out,
                                            TimePoint now) {
  LifetimeEvent time_event = LifetimeEvent::None;
  if (auto refused = refuse_if_expired(sa, now, time_event)) return *refused;
  if (auto refused = refuse_without_worker(sa)) return *refused;
  if (sa.mode() != Mode::Tunnel) return drop(sa, DropReason::Malformed);
  std::size_t payload_length = 0;
  std::uint8_t next_header = 0;
  if (auto refused = open_esp(sa, esp, out, 0, payload_length, next_header)) return *refused;
  const auto inner = inner_packet_length(out, payload_length, next_header);
  if (!inner) return drop(sa, DropReason::Malformed);
  return packet_done(sa, *inner, 0, payload_length, time_event, now);
}

}  // namespace cygnet::ipsec
