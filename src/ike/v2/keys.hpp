// IKEv2 key derivation (RFC 7296 §2.13–2.18): prf+, SKEYSEED, the seven IKE SA keys, CHILD SA
// KEYMAT (with optional PFS) and the rekeyed IKE SA's SKEYSEED.
#pragma once

#include <cstdint>
#include <optional>

#include "base/bytes.hpp"
#include "crypto/hmac.hpp"
#include "crypto/secure_bytes.hpp"
#include "ike/algorithms.hpp"
#include "ike/child_sa.hpp"

namespace cygnet::ike {

// prf+ (§2.13): T1 | T2 | ... truncated to length; at most 255 blocks (throws beyond).
crypto::SecureBytes prf_plus(crypto::HashAlgorithm prf, ByteView key, ByteView seed, std::size_t length);
// A single PRF output (HMAC), as used by AUTH and SKEYSEED.
crypto::SecureBytes prf(crypto::HashAlgorithm prf, ByteView key, std::initializer_list<ByteView> data);

// SKEYSEED = prf(Ni | Nr, g^ir) (§2.14).
crypto::SecureBytes skeyseed(crypto::HashAlgorithm prf, ByteView ni, ByteView nr, ByteView shared_secret);
// Rekeyed IKE SA: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) (§2.18), with the OLD prf.
crypto::SecureBytes rekey_skeyseed(crypto::HashAlgorithm old_prf, ByteView old_sk_d, ByteView shared_secret,
                                   ByteView ni, ByteView nr);

struct IkeSaKeys {
  crypto::SecureBytes sk_d, sk_ai, sk_ar, sk_ei, sk_er, sk_pi, sk_pr;
};
// {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr).
IkeSaKeys derive_ike_sa_keys(const IkeAlgorithms& alg, ByteView skeyseed, ByteView ni, ByteView nr,
                             std::uint64_t spi_i, std::uint64_t spi_r);

// CHILD SA keys (§2.17, ChildSaKeys in child_sa.hpp): KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr),
// taken in the order encryption key, integrity key for initiator→responder, then the same for
// responder→initiator.
ChildSaKeys derive_child_sa_keys(crypto::HashAlgorithm prf, ByteView sk_d, const ChildAlgorithms& alg,
                                 std::optional<ByteView> pfs_shared_secret, ByteView ni, ByteView nr);

}  // namespace cygnet::ike
