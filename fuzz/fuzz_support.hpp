// Fixed SAs for fuzz targets: deterministic keys so a crash input replays exactly.
#pragma once

#include <memory>

#include "ipsec/security_association.hpp"

namespace cygnet::fuzz {

inline TimePoint fuzz_time() { return TimePoint{} + Seconds(1000); }

inline ipsec::SaParameters fuzz_sa_parameters(ipsec::IpsecProtocol protocol, ipsec::Mode mode, bool aead,
                                              ipsec::Direction direction, bool esn) {
  using namespace cygnet::ipsec;
  SaParameters p;
  p.spi = 0x1000;
  p.protocol = protocol;
  p.mode = mode;
  p.direction = direction;
  auto a = *wire::IpAddress::parse("192.0.2.1");
  auto b = *wire::IpAddress::parse("192.0.2.2");
  p.local_address = direction == Direction::Outbound ? a : b;
  p.remote_address = direction == Direction::Outbound ? b : a;
  p.extended_sequence_numbers = esn;
  p.replay_window = 64;
  if (protocol == IpsecProtocol::Esp && aead) {
    p.encryption = EncryptionTransform::aead_with(crypto::AeadAlgorithm::AesGcm128);
    p.encryption_key = crypto::SecureBytes(Bytes(20, 0x11));
  } else {
    p.encryption = protocol == IpsecProtocol::Esp ? EncryptionTransform::cbc_with(crypto::CbcAlgorithm::AesCbc128)
                                                  : EncryptionTransform::null();
    if (protocol == IpsecProtocol::Esp) p.encryption_key = crypto::SecureBytes(Bytes(16, 0x22));
    p.integrity = crypto::IntegrityAlgorithm::HmacSha256_128;
    p.integrity_key = crypto::SecureBytes(Bytes(32, 0x33));
  }
  p.selector.local = ipsec::AddressRange::any(wire::IpFamily::V4);
  p.selector.remote = ipsec::AddressRange::any(wire::IpFamily::V4);
  return p;
}

inline std::unique_ptr<ipsec::SecurityAssociation> fuzz_sa(ipsec::IpsecProtocol protocol, ipsec::Mode mode,
                                                          bool aead, ipsec::Direction direction, bool esn) {
  return std::make_unique<ipsec::SecurityAssociation>(fuzz_sa_parameters(protocol, mode, aead, direction, esn),
                                                      fuzz_time());
}

}  // namespace cygnet::fuzz

#include <cstring>

#include "wire/ip_packet.hpp"

namespace cygnet::fuzz {

// Whether a decapsulated packet equals the original, ignoring the IPv4 header checksum, which
// transport mode recomputes (a fuzzed original may carry a wrong one).
inline bool same_packet(ByteView original, ByteView decapsulated, std::size_t original_length) {
  if (decapsulated.size() != original_length || original.size() < original_length) return false;
  for (std::size_t i = 0; i < original_length; ++i) {
    bool v4_checksum = (original[0] >> 4) == 4 && (i == 10 || i == 11);
    if (!v4_checksum && original[i] != decapsulated[i]) return false;
  }
  return true;
}

}  // namespace cygnet::fuzz
