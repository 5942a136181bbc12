#include "ipsec/sa_parameters.hpp"

namespace cygnet::ipsec {

std::size_t EncryptionTransform::key_material_length() const {
  switch (kind) {
    case Kind::Null: return 0;
    case Kind::Cbc: return crypto::cbc_key_length(cbc);
    case Kind::Aead: return crypto::aead_key_length(aead) + kAeadSaltLength;
  }
  return 0;
}

std::string EncryptionTransform::name() const {
  switch (kind) {
    case Kind::Null: return "null";
    case Kind::Cbc: return crypto::cbc_name(cbc);
    case Kind::Aead:
      if (aead == crypto::AeadAlgorithm::ChaCha20Poly1305) return "chacha20poly1305";
      return std::string(crypto::aead_name(aead)) + std::to_string(aead_icv_length);
  }
  return "?";
}

bool SaParameters::carries_inbound(const wire::IpPacketInfo& inner) const {
  if (selector.matches_inbound(inner)) return true;
  for (const Selector& s : extra_selectors)
    if (s.matches_inbound(inner)) return true;
  return false;
}

bool SaParameters::carries_outbound(const wire::IpPacketInfo& inner) const {
  if (selector.matches_outbound(inner)) return true;
  for (const Selector& s : extra_selectors)
    if (s.matches_outbound(inner)) return true;
  return false;
}

}  // namespace cygnet::ipsec
