// IKEv1 keying (RFC 2409): SKEYID for pre-shared keys and signatures, SKEYID_d/_a/_e (§5), the
// phase-1 encryption key with the Appendix B expansion, HASH_I/HASH_R (§5), the phase-1 IV and
// the phase-2/Informational IVs (Appendix B), the Quick Mode HASH(1)/(2)/(3) (§5.5), the
// Informational HASH (§5.7) and the Quick Mode KEYMAT with and without PFS (§5.5).
//
// The prf is HMAC with the negotiated phase-1 hash (RFC 2409 §4: "the HMAC version of the
// negotiated hash algorithm" when no PRF attribute was negotiated — none is defined); the IVs use
// the bare hash. SHA-1 is legacy; SHA2-256/384/512 are the IANA values 4/5/6 (RFC 4868 §2.1 for
// their HMAC use). MD5 and Tiger are refused. Secrets are crypto::SecureBytes; nothing is logged.
//
// Cookies are taken as the header carries them (uint64, network order on the wire); message IDs
// likewise (uint32, big-endian in every hash input).
#pragma once

#include <cstdint>
#include <optional>

#include "base/bytes.hpp"
#include "crypto/block_cipher.hpp"
#include "crypto/hmac.hpp"
#include "crypto/secure_bytes.hpp"
#include "wire/isakmp_constants.hpp"

namespace cygnet::ike::v1 {

// --- algorithm choice from the negotiated phase-1 attributes ---

// The hash (and HMAC prf) for a Phase1Hash attribute value: Sha → SHA-1, Sha2_256/384/512 → SHA-2.
// nullopt for MD5, Tiger and unknown values.
std::optional<crypto::HashAlgorithm> phase1_hash(wire::isakmp::Phase1Hash hash);

// The CBC cipher for a Phase1Encryption attribute value and its Key Length attribute (bits):
// AES-CBC needs 128, 192 or 256 (RFC 3602 §5.3: the Key Length attribute MUST be sent for AES);
// 3DES-CBC takes no Key Length attribute (or 192). nullopt for anything else (DES, IDEA, ...).
std::optional<crypto::CbcAlgorithm> phase1_cipher(wire::isakmp::Phase1Encryption encryption,
                                                  std::optional<std::uint16_t> key_length_bits);

// --- SKEYID and its derivatives (§5) ---

// Pre-shared keys: SKEYID = prf(pre-shared-key, Ni_b | Nr_b).
crypto::SecureBytes skeyid_pre_shared_key(crypto::HashAlgorithm prf, ByteView pre_shared_key, ByteView ni_b,
                                          ByteView nr_b);
// Signatures (DSS, RSA, ECDSA): SKEYID = prf(Ni_b | Nr_b, g^xy).
crypto::SecureBytes skeyid_signature(crypto::HashAlgorithm prf, ByteView ni_b, ByteView nr_b, ByteView gxy);

struct SkeyidDerivatives {
  crypto::SecureBytes d;  // SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0)
  crypto::SecureBytes a;  // SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1)
  crypto::SecureBytes e;  // SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2)
};
SkeyidDerivatives derive_skeyid_dae(crypto::HashAlgorithm prf, ByteView skeyid, ByteView gxy,
                                    std::uint64_t cky_i, std::uint64_t cky_r);

// Appendix B: the cipher key from SKEYID_e. When SKEYID_e is at least key_length long, its first
// key_length octets; otherwise K = K1 | K2 | K3 ... with K1 = prf(SKEYID_e, 0) (one zero octet) and
// Kn = prf(SKEYID_e, Kn-1), truncated to key_length. Throws std::length_error beyond 255 blocks.
crypto::SecureBytes phase1_encryption_key(crypto::HashAlgorithm prf, ByteView skeyid_e,
                                          std::size_t key_length);

// Everything phase 1 needs once g^xy is known.
struct Phase1Keys {
  crypto::SecureBytes skeyid, skeyid_d, skeyid_a, skeyid_e;
  crypto::SecureBytes encryption_key;  // cbc_key_length(cipher) octets (Appendix B)
};
Phase1Keys derive_phase1_keys(crypto::HashAlgorithm prf, crypto::CbcAlgorithm cipher,
                              crypto::SecureBytes skeyid, ByteView gxy, std::uint64_t cky_i,
                              std::uint64_t cky_r);

// --- phase-1 authentication hashes (§5) ---

// HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b)
// HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b)
// SAi_b is the body of the initiator's SA payload (without its generic header) — the initiator's
// offer, in both hashes; IDii_b/IDir_b the body of the sender's ID payload. g^xi/g^xr are the KE
// payload bodies as sent.
Bytes hash_i(crypto::HashAlgorithm prf, ByteView skeyid, ByteView gxi, ByteView gxr, std::uint64_t cky_i,
             std::uint64_t cky_r, ByteView sai_b, ByteView idii_b);
Bytes hash_r(crypto::HashAlgorithm prf, ByteView skeyid, ByteView gxi, ByteView gxr, std::uint64_t cky_i,
             std::uint64_t cky_r, ByteView sai_b, ByteView idir_b);

// --- IVs (Appendix B) ---

// The first phase-1 IV: hash(g^xi | g^xr) truncated to the cipher's block size. Later phase-1
// messages chain: each IV is the last ciphertext block of the previous message (Ikev1Protection
// returns it).
Bytes phase1_iv(crypto::HashAlgorithm hash, ByteView gxi, ByteView gxr, std::size_t block_size);
// The first IV of a Quick Mode or Informational exchange: hash(last phase-1 CBC output block |
// M-ID) truncated to the block size; the exchange's later messages chain from there as in phase 1.
Bytes phase2_iv(crypto::HashAlgorithm hash, ByteView last_phase1_block, std::uint32_t message_id,
                std::size_t block_size);

// --- Quick Mode and Informational hashes (§5.5, §5.7) ---
//
// `after_hash` is the message's payload chain from the first byte after the HASH payload to the
// end of the last payload — generic headers included, block padding excluded (split_hash_payload
// finds it in a decrypted plaintext).

// HASH(1) = prf(SKEYID_a, M-ID | SA | Ni [ | KE ] [ | IDci | IDcr ])
Bytes quick_mode_hash1(crypto::HashAlgorithm prf, ByteView skeyid_a, std::uint32_t message_id,
                       ByteView after_hash);
// HASH(2) = prf(SKEYID_a, M-ID | Ni_b | SA | Nr [ | KE ] [ | IDci | IDcr ]) — Ni_b: the initiator's
// Quick Mode nonce body.
Bytes quick_mode_hash2(crypto::HashAlgorithm prf, ByteView skeyid_a, std::uint32_t message_id, ByteView ni_b,
                       ByteView after_hash);
// HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b)
Bytes quick_mode_hash3(crypto::HashAlgorithm prf, ByteView skeyid_a, std::uint32_t message_id, ByteView ni_b,
                       ByteView nr_b);
// Informational HASH(1) = prf(SKEYID_a, M-ID | N/D)
Bytes informational_hash(crypto::HashAlgorithm prf, ByteView skeyid_a, std::uint32_t message_id,
                         ByteView after_hash);

// Compares a received hash with the expected one in constant time (false on a length mismatch).
bool hash_matches(ByteView received, ByteView expected);

// A decrypted plaintext whose first payload is HASH (Quick Mode, Informational): the HASH data and
// the chain after it, up to the end of the last payload (padding dropped). nullopt when the first
// payload is not HASH or a length runs past the bytes or the chain never ends (parse errors are the
// codec's job; this only frames).
struct HashedChain {
  ByteView hash;        // the HASH payload's data
  ByteView after_hash;  // the payloads after it, generic headers included
};
std::optional<HashedChain> split_hash_payload(wire::isakmp::PayloadType first, ByteView plaintext);

// --- Quick Mode keying material (§5.5) ---

// KEYMAT = K1 | K2 | ... truncated to length, with
//   K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b)
//   Kn = prf(SKEYID_d, Kn-1 | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b)
// One KEYMAT per SA (per direction): `spi` is the SPI the receiving peer chose for it, `protocol`
// its protocol (ESP 3, AH 2), Ni_b/Nr_b the Quick Mode nonce bodies, g(qm)^xy the Quick Mode
// Diffie-Hellman shared secret when PFS was negotiated. Throws std::length_error beyond 255 blocks.
crypto::SecureBytes quick_mode_keymat(crypto::HashAlgorithm prf, ByteView skeyid_d,
                                      std::optional<ByteView> pfs_shared_secret,
                                      wire::isakmp::ProtocolId protocol, std::uint32_t spi, ByteView ni_b,
                                      ByteView nr_b, std::size_t length);

// The keys of one SA out of its KEYMAT: encryption key first, then the integrity key (the order
// every IKEv1 implementation uses for ESP with authentication; AH: encryption_length 0).
struct Phase2SaKeys {
  crypto::SecureBytes encryption, integrity;
};
Phase2SaKeys derive_phase2_sa_keys(crypto::HashAlgorithm prf, ByteView skeyid_d,
                                   std::optional<ByteView> pfs_shared_secret,
                                   wire::isakmp::ProtocolId protocol, std::uint32_t spi, ByteView ni_b,
                                   ByteView nr_b, std::size_t encryption_length,
                                   std::size_t integrity_length);

}  // namespace cygnet::ike::v1
