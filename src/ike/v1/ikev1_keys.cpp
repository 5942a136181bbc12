// IKEv1 keying (RFC 2409 §5, §5.5, §5.7, Appendix B) over crypto::Hmac and crypto::digest.
#include "ike/v1/ikev1_keys.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

#include "crypto/constant_time.hpp"
#include "crypto/digest.hpp"
#include "crypto/error.hpp"
#include "wire/byte_reader.hpp"

namespace cygnet::ike::v1 {

namespace {

namespace isakmp = wire::isakmp;

constexpr std::size_t kMaxExpansionBlocks = 255;  // same bound as IKEv2 prf+ (ample for any SA)

void compute_or_throw(crypto::Hmac& hmac, std::initializer_list<ByteView> parts, MutableByteView out) {
  if (!hmac.compute(parts, out)) throw crypto::CryptoError("IKEv1 PRF computation failed");
}

crypto::SecureBytes prf_secure(crypto::HashAlgorithm alg, ByteView key,
                               std::initializer_list<ByteView> parts) {
  crypto::Hmac hmac(alg, key);
  crypto::SecureBytes out(crypto::hash_length(alg));
  compute_or_throw(hmac, parts, out.mutable_view());
  return out;
}

Bytes prf_public(crypto::HashAlgorithm alg, ByteView key, std::initializer_list<ByteView> parts) {
  crypto::Hmac hmac(alg, key);
  Bytes out(crypto::hash_length(alg));
  compute_or_throw(hmac, parts, out);
  return out;
}

std::array<std::uint8_t, 8> cookie_bytes(std::uint64_t cookie) {
  std::array<std::uint8_t, 8> out{};
  wire::store_be64(out.data(), cookie);
  return out;
}

std::array<std::uint8_t, 4> message_id_bytes(std::uint32_t message_id) {
  std::array<std::uint8_t, 4> out{};
  wire::store_be32(out.data(), message_id);
  return out;
}

std::size_t blocks_for(std::size_t length, std::size_t block) {
  const std::size_t blocks = (length + block - 1) / block;
  if (blocks > kMaxExpansionBlocks) throw std::length_error("IKEv1 key expansion beyond 255 blocks");
  return blocks;
}

Bytes truncated_digest(crypto::HashAlgorithm hash, std::initializer_list<ByteView> parts,
                       std::size_t block_size) {
  Bytes out = crypto::digest(hash, parts);
  if (block_size == 0 || block_size > out.size()) {
    throw std::invalid_argument("IKEv1 IV: block size larger than the hash output");
  }
  out.resize(block_size);
  return out;
}

}  // namespace

// --- algorithm choice ---

std::optional<crypto::HashAlgorithm> phase1_hash(isakmp::Phase1Hash hash) {
  switch (hash) {
    case isakmp::Phase1Hash::Sha: return crypto::HashAlgorithm::Sha1;
    case isakmp::Phase1Hash::Sha2_256: return crypto::HashAlgorithm::Sha256;
    case isakmp::Phase1Hash::Sha2_384: return crypto::HashAlgorithm::Sha384;
    case isakmp::Phase1Hash::Sha2_512: return crypto::HashAlgorithm::Sha512;
    case isakmp::Phase1Hash::Md5:
    case isakmp::Phase1Hash::Tiger: return std::nullopt;
  }
  return std::nullopt;
}

std::optional<crypto::CbcAlgorithm> phase1_cipher(isakmp::Phase1Encryption encryption,
                                                  std::optional<std::uint16_t> key_length_bits) {
  if (encryption == isakmp::Phase1Encryption::AesCbc) {
    if (!key_length_bits) return std::nullopt;
    switch (*key_length_bits) {
      case 128: return crypto::CbcAlgorithm::AesCbc128;
      case 192: return crypto::CbcAlgorithm::AesCbc192;
      case 256: return crypto::CbcAlgorithm::AesCbc256;
      default: return std::nullopt;
    }
  }
  if (encryption == isakmp::Phase1Encryption::TripleDesCbc) {
    if (key_length_bits && *key_length_bits != 192) return std::nullopt;
    return crypto::CbcAlgorithm::TripleDesCbc;
  }
  return std::nullopt;
}

// --- SKEYID ---

crypto::SecureBytes skeyid_pre_shared_key(crypto::HashAlgorithm prf, ByteView pre_shared_key, ByteView ni_b,
                                          ByteView nr_b) {
  return prf_secure(prf, pre_shared_key, {ni_b, nr_b});
}

crypto::SecureBytes skeyid_signature(crypto::HashAlgorithm prf, ByteView ni_b, ByteView nr_b, ByteView gxy) {
  // The nonces are the key (HMAC hashes a key longer than its block, RFC 2104 §2).
  Bytes nonces(ni_b.begin(), ni_b.end());
  nonces.insert(nonces.end(), nr_b.begin(), nr_b.end());
  return prf_secure(prf, nonces, {gxy});
}

SkeyidDerivatives derive_skeyid_dae(crypto::HashAlgorithm prf, ByteView skeyid, ByteView gxy,
                                    std::uint64_t cky_i, std::uint64_t cky_r) {
  const auto ci = cookie_bytes(cky_i);
  const auto cr = cookie_bytes(cky_r);
  static constexpr std::uint8_t kZero = 0, kOne = 1, kTwo = 2;
  crypto::Hmac hmac(prf, skeyid);
  const std::size_t length = crypto::hash_length(prf);
  SkeyidDerivatives out{crypto::SecureBytes(length), crypto::SecureBytes(length),
                        crypto::SecureBytes(length)};
  compute_or_throw(hmac, {gxy, ci, cr, ByteView(&kZero, 1)}, out.d.mutable_view());
  compute_or_throw(hmac, {out.d.view(), gxy, ci, cr, ByteView(&kOne, 1)}, out.a.mutable_view());
  compute_or_throw(hmac, {out.a.view(), gxy, ci, cr, ByteView(&kTwo, 1)}, out.e.mutable_view());
  return out;
}

crypto::SecureBytes phase1_encryption_key(crypto::HashAlgorithm prf, ByteView skeyid_e,
                                          std::size_t key_length) {
  if (skeyid_e.size() >= key_length) return crypto::SecureBytes(skeyid_e.first(key_length));
  const std::size_t block = crypto::hash_length(prf);
  const std::size_t blocks = blocks_for(key_length, block);
  crypto::Hmac hmac(prf, skeyid_e);
  crypto::SecureBytes stream(blocks * block);
  static constexpr std::uint8_t kZero = 0;
  for (std::size_t n = 0; n < blocks; ++n) {
    const ByteView input = n == 0 ? ByteView(&kZero, 1) : stream.view().subspan((n - 1) * block, block);
    compute_or_throw(hmac, {input}, stream.mutable_view().subspan(n * block, block));
  }
  return stream.slice(0, key_length);
}

Phase1Keys derive_phase1_keys(crypto::HashAlgorithm prf, crypto::CbcAlgorithm cipher,
                              crypto::SecureBytes skeyid, ByteView gxy, std::uint64_t cky_i,
                              std::uint64_t cky_r) {
  SkeyidDerivatives dae = derive_skeyid_dae(prf, skeyid.view(), gxy, cky_i, cky_r);
  Phase1Keys keys;
  keys.encryption_key = phase1_encryption_key(prf, dae.e.view(), crypto::cbc_key_length(cipher));
  keys.skeyid = std::move(skeyid);
  keys.skeyid_d = std::move(dae.d);
  keys.skeyid_a = std::move(dae.a);
  keys.skeyid_e = std::move(dae.e);
  return keys;
}

// --- HASH_I / HASH_R ---

Bytes hash_i(crypto::HashAlgorithm prf, ByteView skeyid, ByteView gxi, ByteView gxr, std::uint64_t cky_i,
             std::uint64_t cky_r, ByteView sai_b, ByteView idii_b) {
  const auto ci = cookie_bytes(cky_i);
  const auto cr = cookie_bytes(cky_r);
  return prf_public(prf, skeyid, {gxi, gxr, ci, cr, sai_b, idii_b});
}

Bytes hash_r(crypto::HashAlgorithm prf, ByteView skeyid, ByteView gxi, ByteView gxr, std::uint64_t cky_i,
             std::uint64_t cky_r, ByteView sai_b, ByteView idir_b) {
  const auto ci = cookie_bytes(cky_i);
  const auto cr = cookie_bytes(cky_r);
  return prf_public(prf, skeyid, {gxr, gxi, cr, ci, sai_b, idir_b});
}

// --- IVs ---

Bytes phase1_iv(crypto::HashAlgorithm hash, ByteView gxi, ByteView gxr, std::size_t block_size) {
  return truncated_digest(hash, {gxi, gxr}, block_size);
}

Bytes phase2_iv(crypto::HashAlgorithm hash, ByteView last_phase1_block, std::uint32_t message_id,
                std::size_t block_size) {
  const auto mid = message_id_bytes(message_id);
  return truncated_digest(hash, {last_phase1_block, mid}, block_size);
}

// --- Quick Mode / Informational hashes ---

Bytes quick_mode_hash1(crypto::HashAlgorithm prf, ByteView skeyid_a, std::uint32_t message_id,
                       ByteView after_hash) {
  const auto mid = message_id_bytes(message_id);
  return prf_public(prf, skeyid_a, {mid, after_hash});
}

Bytes quick_mode_hash2(crypto::HashAlgorithm prf, ByteView skeyid_a, std::uint32_t message_id, ByteView ni_b,
                       ByteView after_hash) {
  const auto mid = message_id_bytes(message_id);
  return prf_public(prf, skeyid_a, {mid, ni_b, after_hash});
}

Bytes quick_mode_hash3(crypto::HashAlgorithm prf, ByteView skeyid_a, std::uint32_t message_id, ByteView ni_b,
                       ByteView nr_b) {
  static constexpr std::uint8_t kZero = 0;
  const auto mid = message_id_bytes(message_id);
  return prf_public(prf, skeyid_a, {ByteView(&kZero, 1), mid, ni_b, nr_b});
}

Bytes informational_hash(crypto::HashAlgorithm prf, ByteView skeyid_a, std::uint32_t message_id,
                         ByteView after_hash) {
  const auto mid = message_id_bytes(message_id);
  return prf_public(prf, skeyid_a, {mid, after_hash});
}

bool hash_matches(ByteView received, ByteView expected) {
  if (received.size() != expected.size() || expected.empty()) return false;
  return crypto::equal_constant_time(received, expected);
}

std::optional<HashedChain> split_hash_payload(isakmp::PayloadType first, ByteView plaintext) {
  if (first != isakmp::PayloadType::Hash) return std::nullopt;
  constexpr std::size_t kGeneric = isakmp::kGenericPayloadHeaderLength;
  // Generic header: next payload (1), reserved (1), payload length (2, header included).
  std::size_t offset = 0;
  std::size_t hash_end = 0;
  ByteView hash;
  std::uint8_t next = static_cast<std::uint8_t>(first);
  for (std::size_t count = 0; next != 0; ++count) {
    if (count >= isakmp::kMaxPayloads) return std::nullopt;
    if (plaintext.size() - offset < kGeneric) return std::nullopt;
    const std::uint8_t* p = plaintext.data() + offset;
    const std::size_t length = static_cast<std::size_t>(p[2]) << 8 | p[3];
    if (length < kGeneric || length > plaintext.size() - offset) return std::nullopt;
    if (count == 0) {
      hash = plaintext.subspan(offset + kGeneric, length - kGeneric);
      hash_end = offset + length;
    }
    next = p[0];
    offset += length;
  }
  return HashedChain{hash, plaintext.subspan(hash_end, offset - hash_end)};
}

// --- Quick Mode KEYMAT ---

crypto::SecureBytes quick_mode_keymat(crypto::HashAlgorithm prf, ByteView skeyid_d,
                                      std::optional<ByteView> pfs_shared_secret, isakmp::ProtocolId protocol,
                                      std::uint32_t spi, ByteView ni_b, ByteView nr_b, std::size_t length) {
  const std::size_t block = crypto::hash_length(prf);
  const std::size_t blocks = blocks_for(length, block);
  const std::uint8_t protocol_octet = static_cast<std::uint8_t>(protocol);
  std::array<std::uint8_t, 4> spi_octets{};
  wire::store_be32(spi_octets.data(), spi);
  const ByteView gqm = pfs_shared_secret.value_or(ByteView{});

  crypto::Hmac hmac(prf, skeyid_d);
  crypto::SecureBytes stream(blocks * block);
  for (std::size_t n = 0; n < blocks; ++n) {
    const ByteView previous = n == 0 ? ByteView{} : stream.view().subspan((n - 1) * block, block);
    compute_or_throw(hmac, {previous, gqm, ByteView(&protocol_octet, 1), spi_octets, ni_b, nr_b},
                     stream.mutable_view().subspan(n * block, block));
  }
  return stream.slice(0, length);
}

Phase2SaKeys derive_phase2_sa_keys(crypto::HashAlgorithm prf, ByteView skeyid_d,
                                   std::optional<ByteView> pfs_shared_secret, isakmp::ProtocolId protocol,
                                   std::uint32_t spi, ByteView ni_b, ByteView nr_b,
                                   std::size_t encryption_length, std::size_t integrity_length) {
  const crypto::SecureBytes keymat = quick_mode_keymat(prf, skeyid_d, pfs_shared_secret, protocol, spi, ni_b,
                                                       nr_b, encryption_length + integrity_length);
  return Phase2SaKeys{keymat.slice(0, encryption_length), keymat.slice(encryption_length, integrity_length)};
}

}  // namespace cygnet::ike::v1
