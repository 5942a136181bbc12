// Everything that defines one security association, as negotiated by IKE or configured by hand.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crypto/aead.hpp"
#include "crypto/block_cipher.hpp"
#include "crypto/hmac.hpp"
#include "crypto/secure_bytes.hpp"
#include "ipsec/lifetime.hpp"
#include "ipsec/replay_window.hpp"
#include "ipsec/selector.hpp"
#include "wire/ip_address.hpp"

namespace cygnet::ipsec {

enum class IpsecProtocol : std::uint8_t { Esp = 50, Ah = 51 };
enum class Mode : std::uint8_t { Tunnel, Transport };
enum class Direction : std::uint8_t { Inbound, Outbound };

const char* protocol_name(IpsecProtocol p);
const char* mode_name(Mode m);
const char* direction_name(Direction d);

// ESP encryption: NULL (RFC 2410), CBC with a separate integrity algorithm, or an AEAD.
struct EncryptionTransform {
  enum class Kind : std::uint8_t { Null, Cbc, Aead };
  Kind kind = Kind::Null;
  crypto::CbcAlgorithm cbc = crypto::CbcAlgorithm::AesCbc128;
  crypto::AeadAlgorithm aead = crypto::AeadAlgorithm::AesGcm128;
  std::uint8_t aead_icv_length = 16;

  static EncryptionTransform null() { return {}; }
  static EncryptionTransform cbc_with(crypto::CbcAlgorithm a) { return {Kind::Cbc, a, {}, 16}; }
  static EncryptionTransform aead_with(crypto::AeadAlgorithm a, std::uint8_t icv = 16) {
    return {Kind::Aead, {}, a, icv};
  }
  // Key material this transform consumes: for AEADs the cipher key plus the 4-byte salt.
  std::size_t key_material_length() const;
  std::string name() const;  // e.g. "aes256gcm16", "aes128", "null"
};

inline constexpr std::size_t kAeadSaltLength = 4;

struct UdpEncapsulation {
  std::uint16_t local_port = 4500;
  std::uint16_t remote_port = 4500;
};

struct SaParameters {
  std::uint32_t spi = 0;
  IpsecProtocol protocol = IpsecProtocol::Esp;
  Mode mode = Mode::Tunnel;
  Direction direction = Direction::Outbound;
  // Outer addresses: tunnel endpoints in tunnel mode, the hosts themselves in transport mode.
  wire::IpAddress local_address;
  wire::IpAddress remote_address;
  std::optional<UdpEncapsulation> udp_encapsulation;  // RFC 3948, ESP only

  EncryptionTransform encryption;                       // ESP only; ignored for AH
  crypto::SecureBytes encryption_key;                   // includes the AEAD salt at the end
  std::optional<crypto::IntegrityAlgorithm> integrity;  // required for AH and for non-AEAD ESP
  crypto::SecureBytes integrity_key;
  // RFC 4303 permits confidentiality-only ESP, RFC 8221 advises against it: refused unless set
  // explicitly (used for the RFC 3602 known-answer packets).
  bool allow_encryption_without_integrity = false;

  bool extended_sequence_numbers = false;
  std::uint32_t replay_window = kDefaultReplayWindow;  // inbound only; 0 turns anti-replay off
  LifetimeLimits lifetime;
  Selector selector;  // traffic this SA carries (checked on inbound)
  // Further selector pairs of the same SA (an IKEv2 CHILD SA may carry several TSi × TSr pairs).
  std::vector<Selector> extra_selectors;
  bool carries_inbound(const wire::IpPacketInfo& inner) const;
  bool carries_outbound(const wire::IpPacketInfo& inner) const;  // an SA chosen without SPD lookup
  // TCP MSS clamping of SYNs through this SA (both directions): nullopt = off, 0 = derived from
  // the inner MTU (mss_clamp.hpp), otherwise that MSS.
  std::optional<std::uint16_t> mss_clamp;
  std::string name;  // for status and events, e.g. "site-b/net"
};

}  // namespace cygnet::ipsec
