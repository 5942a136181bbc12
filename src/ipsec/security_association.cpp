#include "ipsec/security_association.hpp"

#include <stdexcept>
#include <string>

#include "wire/ip_packet.hpp"

namespace cygnet::ipsec {

namespace {

void require(bool condition, const std::string& what) {
  if (!condition) throw std::invalid_argument(what);
}

// An SA is used in one direction only, so only that direction's cipher context is scheduled.
crypto::AeadUse aead_use(Direction d) {
  return d == Direction::Outbound ? crypto::AeadUse::Seal : crypto::AeadUse::Open;
}

}  // namespace

SecurityAssociation::SecurityAssociation(SaParameters params, TimePoint created)
    : params_(std::move(params)),
      replay_(params_.direction == Direction::Inbound ? params_.replay_window : 0,
              params_.extended_sequence_numbers),
      lifetime_(params_.lifetime, created) {
  const std::string who = "SA " + params_.name + ": ";
  require(params_.spi > 255, who + "SPI must be above 255 (RFC 4303 §2.1 reserves 0-255)");
  require(params_.local_address.family() == params_.remote_address.family(),
          who + "outer addresses must be of one family");
  if (params_.local_address.is_v4()) {
    const std::uint8_t outer_protocol = params_.protocol == IpsecProtocol::Ah ? wire::ip_protocol::kAh
                                        : params_.udp_encapsulation           ? wire::ip_protocol::kUdp
                                                                              : wire::ip_protocol::kEsp;
    outer_ipv4_.emplace(params_.local_address, params_.remote_address, outer_protocol);
  }

  if (params_.integrity) {
    crypto::IntegrityAlgorithm integ = *params_.integrity;
    require(params_.integrity_key.size() == crypto::integrity_key_length(integ),
            who + "integrity key must be " + std::to_string(crypto::integrity_key_length(integ)) + " bytes");
    hmac_.emplace(crypto::integrity_hash(integ), params_.integrity_key.view());
    icv_length_ = crypto::integrity_icv_length(integ);
  }

  if (params_.protocol == IpsecProtocol::Ah) {
    require(params_.integrity.has_value(), who + "AH needs an integrity algorithm");
    require(params_.encryption.kind == EncryptionTransform::Kind::Null && params_.encryption_key.empty(),
            who + "AH takes no encryption");
    require(!params_.udp_encapsulation, who + "AH cannot be UDP-encapsulated (RFC 3948 covers ESP only)");
  } else {
    const EncryptionTransform& enc = params_.encryption;
    require(params_.encryption_key.size() == enc.key_material_length(),
            who + "encryption key material must be " + std::to_string(enc.key_material_length()) + " bytes");
    switch (enc.kind) {
      case EncryptionTransform::Kind::Aead: {
        require(!params_.integrity, who + "an AEAD takes no separate integrity algorithm");
        std::size_t key_len = crypto::aead_key_length(enc.aead);
        aead_.emplace(enc.aead, params_.encryption_key.view().first(key_len), enc.aead_icv_length,
                      aead_use(params_.direction));
        ByteView salt = params_.encryption_key.view().subspan(key_len, kAeadSaltLength);
        std::copy(salt.begin(), salt.end(), salt_.begin());
        icv_length_ = enc.aead_icv_length;
        break;
      }
      case EncryptionTransform::Kind::Cbc:
        require(params_.integrity || params_.allow_encryption_without_integrity,
                who + "CBC encryption without integrity is refused (RFC 8221)");
        cbc_.emplace(enc.cbc, params_.encryption_key.view());
        break;
      case EncryptionTransform::Kind::Null:
        require(params_.integrity.has_value(),
                who + "NULL encryption needs an integrity algorithm (RFC 4303 §3.2)");
        break;
    }
  }
  // The contexts hold the scheduled keys now; drop our copies (SecureBytes wipes them).
  params_.encryption_key = crypto::SecureBytes();
  params_.integrity_key = crypto::SecureBytes();
}

std::optional<std::uint64_t> SecurityAssociation::next_sequence() {
  const std::uint64_t limit = params_.extended_sequence_numbers ? UINT64_MAX : UINT32_MAX;
  if (exhausted_ || last_sent_ >= limit) {
    exhausted_ = true;
    return std::nullopt;
  }
  return ++last_sent_;
}

}  // namespace cygnet::ipsec
