// IKEv1 keying (RFC 2409): algorithm mapping, Appendix B expansion lengths, HASH_I/HASH_R, the
// IVs, the Quick Mode and Informational hashes, Quick Mode KEYMAT with and without PFS, and framing
// of a HASH-first chain. The published SKEYID vectors live in tests/vectors/ikev1_kdf_test.cpp.
//
// Expected values marked "Python:" were computed once with /usr/bin/python3's hmac/hashlib (an
// independent oracle) from the inputs below:
//   skeyid = bytes(range(32)); gxi = b'\x11'*64; gxr = b'\x22'*64
//   ci = struct.pack('>Q', 0x0102030405060708); cr = struct.pack('>Q', 0x1112131415161718)
//   sai = b'\x33'*48; idii = bytes.fromhex('01000000c0000201'); idir = bytes.fromhex('01000000c6336401')
//   mid = struct.pack('>I', 0x7a3b2c1d); ni = b'\x44'*16; nr = b'\x55'*16; after = b'\x66'*40
//   prf(h, k, *parts) = hmac.new(k, b''.join(parts), h).digest()
#include "ike/v1/ikev1_keys.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "crypto/hmac.hpp"
#include "wire/isakmp_message.hpp"

namespace cygnet::ike::v1 {
namespace {

using crypto::CbcAlgorithm;
using crypto::HashAlgorithm;
namespace isakmp = wire::isakmp;

std::string hex_of(const crypto::SecureBytes& b) {
  return to_hex(b.view());
}
Bytes fill(std::uint8_t value, std::size_t n) {
  return Bytes(n, value);
}
Bytes range_bytes(std::uint8_t first, std::size_t n) {
  Bytes out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(first + i);
  return out;
}

constexpr std::uint64_t kCkyI = 0x0102030405060708ULL;
constexpr std::uint64_t kCkyR = 0x1112131415161718ULL;
constexpr std::uint32_t kMid = 0x7a3b2c1dU;

struct Inputs {
  Bytes skeyid = range_bytes(0, 32);
  Bytes gxi = fill(0x11, 64);
  Bytes gxr = fill(0x22, 64);
  Bytes sai = fill(0x33, 48);
  Bytes idii = from_hex("01000000c0000201");
  Bytes idir = from_hex("01000000c6336401");
  Bytes ni = fill(0x44, 16);
  Bytes nr = fill(0x55, 16);
  Bytes after = fill(0x66, 40);
};

TEST(Ikev1Algorithms, Phase1HashMapping) {
  EXPECT_EQ(phase1_hash(isakmp::Phase1Hash::Sha), HashAlgorithm::Sha1);
  EXPECT_EQ(phase1_hash(isakmp::Phase1Hash::Sha2_256), HashAlgorithm::Sha256);
  EXPECT_EQ(phase1_hash(isakmp::Phase1Hash::Sha2_384), HashAlgorithm::Sha384);
  EXPECT_EQ(phase1_hash(isakmp::Phase1Hash::Sha2_512), HashAlgorithm::Sha512);
  EXPECT_FALSE(phase1_hash(isakmp::Phase1Hash::Md5));
  EXPECT_FALSE(phase1_hash(isakmp::Phase1Hash::Tiger));
  EXPECT_FALSE(phase1_hash(static_cast<isakmp::Phase1Hash>(99)));
}

TEST(Ikev1Algorithms, Phase1CipherMapping) {
  using E = isakmp::Phase1Encryption;
  EXPECT_EQ(phase1_cipher(E::AesCbc, 128), CbcAlgorithm::AesCbc128);
  EXPECT_EQ(phase1_cipher(E::AesCbc, 192), CbcAlgorithm::AesCbc192);
  EXPECT_EQ(phase1_cipher(E::AesCbc, 256), CbcAlgorithm::AesCbc256);
  EXPECT_FALSE(phase1_cipher(E::AesCbc, std::nullopt));  // RFC 3602 §5.3: Key Length is mandatory
  EXPECT_FALSE(phase1_cipher(E::AesCbc, 64));
  EXPECT_EQ(phase1_cipher(E::TripleDesCbc, std::nullopt), CbcAlgorithm::TripleDesCbc);
  EXPECT_EQ(phase1_cipher(E::TripleDesCbc, 192), CbcAlgorithm::TripleDesCbc);
  EXPECT_FALSE(phase1_cipher(E::TripleDesCbc, 128));
  EXPECT_FALSE(phase1_cipher(E::DesCbc, std::nullopt));
  EXPECT_FALSE(phase1_cipher(E::BlowfishCbc, 128));
}

// --- Appendix B ---

TEST(Ikev1AppendixB, ExpansionOnlyWhenSkeyidEIsShorter) {
  const Bytes e20 = range_bytes(0xa0, 20);  // an HMAC-SHA1 SKEYID_e
  // Python: K1 = prf(sha1, e, b'\0'); K2 = prf(sha1, e, K1); (K1 + K2)[:n]
  const std::string k1k2 = "6c4150776682f3297cbb1bc4d8c553b020bfaaef98cded083f80a7707df40e76";
  // 3DES (24 > 20) and AES-256 (32 > 20) need K1 | K2; AES-128/192 are prefixes of SKEYID_e.
  EXPECT_EQ(hex_of(phase1_encryption_key(HashAlgorithm::Sha1, e20, 24)), k1k2.substr(0, 48));
  EXPECT_EQ(hex_of(phase1_encryption_key(HashAlgorithm::Sha1, e20, 32)), k1k2);
  EXPECT_EQ(hex_of(phase1_encryption_key(HashAlgorithm::Sha1, e20, 16)), to_hex(e20).substr(0, 32));
  EXPECT_EQ(hex_of(phase1_encryption_key(HashAlgorithm::Sha1, e20, 20)), to_hex(e20));
  // Exact block boundaries and a long key: K1 is prf(SKEYID_e, 0), K2 = prf(SKEYID_e, K1).
  crypto::Hmac hmac(HashAlgorithm::Sha1, e20);
  Bytes k1(20), k2(20), k3(20);
  const std::uint8_t zero = 0;
  ASSERT_TRUE(hmac.compute({ByteView(&zero, 1)}, k1));
  ASSERT_TRUE(hmac.compute({ByteView(k1)}, k2));
  ASSERT_TRUE(hmac.compute({ByteView(k2)}, k3));
  EXPECT_EQ(hex_of(phase1_encryption_key(HashAlgorithm::Sha1, e20, 60)),
            to_hex(k1) + to_hex(k2) + to_hex(k3));
  EXPECT_EQ(phase1_encryption_key(HashAlgorithm::Sha1, e20, 41).size(), 41u);
  EXPECT_EQ(phase1_encryption_key(HashAlgorithm::Sha1, e20, 0).size(), 0u);
  EXPECT_THROW(phase1_encryption_key(HashAlgorithm::Sha1, e20, 256 * 20), std::length_error);
}

TEST(Ikev1AppendixB, Phase1KeyLengthsForEveryCipherAndPrf) {
  const Bytes gxy = fill(0x5a, 256);
  for (HashAlgorithm prf :
       {HashAlgorithm::Sha1, HashAlgorithm::Sha256, HashAlgorithm::Sha384, HashAlgorithm::Sha512}) {
    for (CbcAlgorithm cipher : {CbcAlgorithm::AesCbc128, CbcAlgorithm::AesCbc192, CbcAlgorithm::AesCbc256,
                                CbcAlgorithm::TripleDesCbc}) {
      const crypto::SecureBytes skeyid =
          skeyid_pre_shared_key(prf, from_hex("736563726574"), fill(1, 16), fill(2, 16));
      const Phase1Keys k = derive_phase1_keys(prf, cipher, skeyid, gxy, kCkyI, kCkyR);
      const std::size_t key_length = crypto::cbc_key_length(cipher);
      ASSERT_EQ(k.encryption_key.size(), key_length)
          << crypto::hash_name(prf) << " " << crypto::cbc_name(cipher);
      EXPECT_EQ(k.skeyid_e.size(), crypto::hash_length(prf));
      const bool expanded =
          crypto::hash_length(prf) < key_length;  // only SHA-1 with 3DES / AES-192 / AES-256
      EXPECT_EQ(expanded, prf == HashAlgorithm::Sha1 && key_length > 20);
      if (!expanded) {
        EXPECT_EQ(hex_of(k.encryption_key), hex_of(k.skeyid_e).substr(0, 2 * key_length));
      } else {
        EXPECT_EQ(hex_of(k.encryption_key),
                  hex_of(phase1_encryption_key(prf, k.skeyid_e.view(), key_length)));
        EXPECT_NE(hex_of(k.encryption_key).substr(0, 40), hex_of(k.skeyid_e));
      }
      EXPECT_NE(hex_of(k.skeyid_d), hex_of(k.skeyid_a));
      EXPECT_NE(hex_of(k.skeyid_a), hex_of(k.skeyid_e));
    }
  }
}

TEST(Ikev1Skeyid, CookiesAndConstantsMatter) {
  const Bytes skeyid = range_bytes(0, 20);
  const Bytes gxy = fill(0x42, 128);
  const SkeyidDerivatives a = derive_skeyid_dae(HashAlgorithm::Sha1, skeyid, gxy, kCkyI, kCkyR);
  const SkeyidDerivatives b = derive_skeyid_dae(HashAlgorithm::Sha1, skeyid, gxy, kCkyR, kCkyI);
  EXPECT_NE(hex_of(a.d), hex_of(b.d));
  // SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0), checked against a direct HMAC.
  crypto::Hmac hmac(HashAlgorithm::Sha1, skeyid);
  Bytes expected(20);
  const Bytes tail = from_hex(
      "01020304050607081112131415161718"
      "00");
  ASSERT_TRUE(hmac.compute({ByteView(gxy), ByteView(tail)}, expected));
  EXPECT_EQ(hex_of(a.d), to_hex(expected));
}

// --- HASH_I / HASH_R ---

TEST(Ikev1AuthHash, HashIAndHashRMatchPython) {
  const Inputs in;
  // Python: prf(h, skeyid, gxi, gxr, ci, cr, sai, idii) and prf(h, skeyid, gxr, gxi, cr, ci, sai, idir)
  EXPECT_EQ(to_hex(hash_i(HashAlgorithm::Sha1, in.skeyid, in.gxi, in.gxr, kCkyI, kCkyR, in.sai, in.idii)),
            "d9354ab5928945ac3c609df91c1146ed84c73aeb");
  EXPECT_EQ(to_hex(hash_r(HashAlgorithm::Sha1, in.skeyid, in.gxi, in.gxr, kCkyI, kCkyR, in.sai, in.idir)),
            "688b485666766e2f8d529ea0ace01884581eddb8");
  EXPECT_EQ(to_hex(hash_i(HashAlgorithm::Sha256, in.skeyid, in.gxi, in.gxr, kCkyI, kCkyR, in.sai, in.idii)),
            "cd1b3841acf8cd267955a4881e01f5fc2d01d38434012af935dbacf0131086db");
  EXPECT_EQ(to_hex(hash_r(HashAlgorithm::Sha256, in.skeyid, in.gxi, in.gxr, kCkyI, kCkyR, in.sai, in.idir)),
            "4e259fc2dcd9546f39ea715a7d8b9bef4c80c8e291ae835765626dd0d303c2cb");
}

TEST(Ikev1AuthHash, HashRIsTheMirrorOfHashI) {
  const Inputs in;
  for (HashAlgorithm h :
       {HashAlgorithm::Sha1, HashAlgorithm::Sha256, HashAlgorithm::Sha384, HashAlgorithm::Sha512}) {
    EXPECT_EQ(hash_r(h, in.skeyid, in.gxi, in.gxr, kCkyI, kCkyR, in.sai, in.idir),
              hash_i(h, in.skeyid, in.gxr, in.gxi, kCkyR, kCkyI, in.sai, in.idir));
    EXPECT_EQ(hash_i(h, in.skeyid, in.gxi, in.gxr, kCkyI, kCkyR, in.sai, in.idii).size(),
              crypto::hash_length(h));
  }
}

TEST(Ikev1AuthHash, HashMatchesIsExact) {
  const Bytes a = from_hex("00112233445566778899");
  Bytes b = a;
  EXPECT_TRUE(hash_matches(a, b));
  b[9] ^= 1;
  EXPECT_FALSE(hash_matches(a, b));
  EXPECT_FALSE(hash_matches(ByteView(a).first(9), a));
  EXPECT_FALSE(hash_matches({}, {}));
}

// --- IVs ---

TEST(Ikev1Iv, Phase1IvIsTruncatedHashOfPublicValues) {
  const Inputs in;
  // Python: hashlib.sha1(gxi + gxr).digest()[:16]; hashlib.sha256(gxi + gxr).digest()[:8]
  EXPECT_EQ(to_hex(phase1_iv(HashAlgorithm::Sha1, in.gxi, in.gxr, 16)), "4a5c0fe44a38baabc95ca8ad7862ac05");
  EXPECT_EQ(to_hex(phase1_iv(HashAlgorithm::Sha256, in.gxi, in.gxr, 8)), "4ee7fc72fe18c4a9");
  EXPECT_THROW(phase1_iv(HashAlgorithm::Sha1, in.gxi, in.gxr, 32), std::invalid_argument);
  EXPECT_THROW(phase1_iv(HashAlgorithm::Sha1, in.gxi, in.gxr, 0), std::invalid_argument);
}

TEST(Ikev1Iv, Phase2IvHashesLastBlockAndMessageId) {
  const Bytes last = from_hex("00112233445566778899aabbccddeeff");
  // Python: hashlib.sha256(last + mid).digest()[:16]; hashlib.sha1(last[:8] + mid).digest()[:8]
  EXPECT_EQ(to_hex(phase2_iv(HashAlgorithm::Sha256, last, kMid, 16)), "f5c55dd9b1c6343654ad9459ceb5a18d");
  EXPECT_EQ(to_hex(phase2_iv(HashAlgorithm::Sha1, ByteView(last).first(8), kMid, 8)), "ea0482ef208c8c24");
  // Every exchange gets its own IV.
  EXPECT_NE(phase2_iv(HashAlgorithm::Sha256, last, kMid, 16),
            phase2_iv(HashAlgorithm::Sha256, last, kMid + 1, 16));
}

// --- Quick Mode / Informational hashes ---

TEST(Ikev1QuickModeHash, MatchesPython) {
  const Inputs in;
  const Bytes& k = in.skeyid;  // stands in for SKEYID_a
  // Python: prf(h, k, mid, after); prf(h, k, mid, ni, after); prf(h, k, b'\0', mid, ni, nr)
  EXPECT_EQ(to_hex(quick_mode_hash1(HashAlgorithm::Sha1, k, kMid, in.after)),
            "192bceeb4b0497d6737ff6200b37a280b42e2d81");
  EXPECT_EQ(to_hex(quick_mode_hash2(HashAlgorithm::Sha1, k, kMid, in.ni, in.after)),
            "25aabe0d8c219ce25425e415e6290d1375a929aa");
  EXPECT_EQ(to_hex(quick_mode_hash3(HashAlgorithm::Sha1, k, kMid, in.ni, in.nr)),
            "1bd84f63143d7b439b25ef5fdf95a77df74430a0");
  EXPECT_EQ(to_hex(quick_mode_hash1(HashAlgorithm::Sha256, k, kMid, in.after)),
            "b0287edf587e149005ded78890aff3cbb0f41cc2a7cc9ab855c663caf92d7aaf");
  EXPECT_EQ(to_hex(quick_mode_hash2(HashAlgorithm::Sha256, k, kMid, in.ni, in.after)),
            "d8dc3e453a2de389c8451a1bf97309eb3770ab15b2730f3bb54e0790e53a6452");
  EXPECT_EQ(to_hex(quick_mode_hash3(HashAlgorithm::Sha256, k, kMid, in.ni, in.nr)),
            "c7855b61a46dfd9054f637304f443a234217bdf878e7a4fcf72079dc4179869a");
  // §5.7: the Informational HASH has HASH(1)'s form.
  EXPECT_EQ(informational_hash(HashAlgorithm::Sha256, k, kMid, in.after),
            quick_mode_hash1(HashAlgorithm::Sha256, k, kMid, in.after));
}

TEST(Ikev1QuickModeHash, SplitHashPayloadFramesTheChain) {
  std::vector<isakmp::Payload> payloads;
  payloads.emplace_back(isakmp::HashPayload{Bytes(20, 0)});
  isakmp::SaPayload sa;
  isakmp::Proposal proposal;
  proposal.protocol = isakmp::ProtocolId::Esp;
  proposal.spi = from_hex("c0ffee01");
  isakmp::Transform t;
  t.id = 12;  // ESP_AES
  t.attributes.push_back(isakmp::Attribute::basic(isakmp::Phase2Attribute::KeyLength, 256));
  proposal.transforms.push_back(t);
  sa.proposals.push_back(proposal);
  payloads.emplace_back(sa);
  payloads.emplace_back(isakmp::NoncePayload{Bytes(32, 0x44)});
  const isakmp::EncodedChain chain = isakmp::encode_payload_chain(payloads);
  ASSERT_EQ(chain.first, isakmp::PayloadType::Hash);

  Bytes padded = chain.bytes;
  padded.insert(padded.end(), {0, 0, 0, 7});  // padding after the last payload
  const auto split = split_hash_payload(chain.first, padded);
  ASSERT_TRUE(split);
  EXPECT_EQ(split->hash.size(), 20u);
  EXPECT_EQ(split->after_hash.data(), padded.data() + 24);
  EXPECT_EQ(split->after_hash.size(), chain.bytes.size() - 24);

  // The HASH(1) over the split equals the HASH(1) over the payloads encoded without the HASH.
  const isakmp::EncodedChain rest =
      isakmp::encode_payload_chain(std::vector<isakmp::Payload>(payloads.begin() + 1, payloads.end()));
  const Bytes k = range_bytes(0, 20);
  EXPECT_EQ(quick_mode_hash1(HashAlgorithm::Sha1, k, kMid, split->after_hash),
            quick_mode_hash1(HashAlgorithm::Sha1, k, kMid, rest.bytes));

  // A lone HASH payload: nothing after it.
  const isakmp::EncodedChain lone = isakmp::encode_payload_chain({payloads.front()});
  const auto lone_split = split_hash_payload(lone.first, lone.bytes);
  ASSERT_TRUE(lone_split);
  EXPECT_TRUE(lone_split->after_hash.empty());
}

TEST(Ikev1QuickModeHash, SplitHashPayloadRefusesBadFraming) {
  const Bytes hash_only = from_hex(
      "00000008"
      "aabbccdd");
  EXPECT_FALSE(split_hash_payload(isakmp::PayloadType::Nonce, hash_only));          // HASH must come first
  EXPECT_FALSE(split_hash_payload(isakmp::PayloadType::Hash, {}));                  // no bytes
  EXPECT_FALSE(split_hash_payload(isakmp::PayloadType::Hash, from_hex("000000")));  // short header
  EXPECT_FALSE(split_hash_payload(isakmp::PayloadType::Hash, from_hex("00000003"
                                                                      "00")));  // length < 4
  EXPECT_FALSE(split_hash_payload(isakmp::PayloadType::Hash, from_hex("0000000c"
                                                                      "aabbccdd")));  // past the end
  EXPECT_FALSE(split_hash_payload(isakmp::PayloadType::Hash, from_hex("0a000008"
                                                                      "aabbccdd")));  // never ends
  EXPECT_TRUE(split_hash_payload(isakmp::PayloadType::Hash, hash_only));
}

// --- Quick Mode KEYMAT ---

TEST(Ikev1Keymat, MatchesPythonWithAndWithoutPfs) {
  const Inputs in;
  const Bytes skeyid_d = fill(0x77, 20);
  const Bytes gqm = fill(0x88, 128);
  // Python: K1 = prf(h, d, [g |] b'\x03' | spi | ni | nr), Kn = prf(h, d, Kn-1 | [g |] ...), spi = 0xc0ffee01
  EXPECT_EQ(hex_of(quick_mode_keymat(HashAlgorithm::Sha1, skeyid_d, std::nullopt, isakmp::ProtocolId::Esp,
                                     0xc0ffee01U, in.ni, in.nr, 64)),
            "370a7c9be213c4eacd5484aad956bf72265c47ffe068f5688f8805b0236db744c290a354238e001c9128b6526b6ff8ef"
            "73c0748aed488a742740dda0fc8eddf7");
  EXPECT_EQ(hex_of(quick_mode_keymat(HashAlgorithm::Sha1, skeyid_d, ByteView(gqm), isakmp::ProtocolId::Esp,
                                     0xc0ffee01U, in.ni, in.nr, 64)),
            "efd69325bfa995d61cdfba9eef7744c02a256ccdd5a0a19ca899175f29ae9eba8d99cc6daf5f39768ffb010c616a3418"
            "2141a0d9b76f1fe9bcb84837adfce147");
  EXPECT_EQ(
      hex_of(quick_mode_keymat(HashAlgorithm::Sha256, fill(0x99, 32), std::nullopt, isakmp::ProtocolId::Esp,
                               0xc0ffee01U, in.ni, in.nr, 48)),
      "7800d44637c165b2d1fcb1febecc836e13344de148c01c398a0b80ba0e70c1e6235782435a9590ff715db8e0074db538");
}

TEST(Ikev1Keymat, PrefixStableAndBoundToSpiAndProtocol) {
  const Inputs in;
  const Bytes d = fill(0x77, 20);
  const std::string full = hex_of(
      quick_mode_keymat(HashAlgorithm::Sha1, d, std::nullopt, isakmp::ProtocolId::Esp, 1, in.ni, in.nr, 100));
  EXPECT_EQ(full.size(), 200u);
  EXPECT_EQ(hex_of(quick_mode_keymat(HashAlgorithm::Sha1, d, std::nullopt, isakmp::ProtocolId::Esp, 1, in.ni,
                                     in.nr, 33)),
            full.substr(0, 66));
  EXPECT_NE(hex_of(quick_mode_keymat(HashAlgorithm::Sha1, d, std::nullopt, isakmp::ProtocolId::Esp, 2, in.ni,
                                     in.nr, 100)),
            full);
  EXPECT_NE(hex_of(quick_mode_keymat(HashAlgorithm::Sha1, d, std::nullopt, isakmp::ProtocolId::Ah, 1, in.ni,
                                     in.nr, 100)),
            full);
  // An empty PFS secret is not "no PFS" in value terms, but it hashes the same bytes.
  EXPECT_EQ(hex_of(quick_mode_keymat(HashAlgorithm::Sha1, d, ByteView{}, isakmp::ProtocolId::Esp, 1, in.ni,
                                     in.nr, 100)),
            full);
  EXPECT_EQ(
      quick_mode_keymat(HashAlgorithm::Sha1, d, std::nullopt, isakmp::ProtocolId::Esp, 1, in.ni, in.nr, 0)
          .size(),
      0u);
  EXPECT_THROW(quick_mode_keymat(HashAlgorithm::Sha1, d, std::nullopt, isakmp::ProtocolId::Esp, 1, in.ni,
                                 in.nr, 256 * 20),
               std::length_error);
}

TEST(Ikev1Keymat, SaKeysSplitEncryptionThenIntegrity) {
  const Inputs in;
  const Bytes d = fill(0x77, 20);
  const Bytes gqm = fill(0x88, 128);
  // AES-256 (32) + HMAC-SHA-256-128 (32) with PFS: the 64-octet Python KEYMAT above, split 32/32.
  const Phase2SaKeys k = derive_phase2_sa_keys(HashAlgorithm::Sha1, d, ByteView(gqm), isakmp::ProtocolId::Esp,
                                               0xc0ffee01U, in.ni, in.nr, 32, 32);
  EXPECT_EQ(hex_of(k.encryption), "efd69325bfa995d61cdfba9eef7744c02a256ccdd5a0a19ca899175f29ae9eba");
  EXPECT_EQ(hex_of(k.integrity), "8d99cc6daf5f39768ffb010c616a34182141a0d9b76f1fe9bcb84837adfce147");
  // AH: integrity only.
  const Phase2SaKeys ah = derive_phase2_sa_keys(HashAlgorithm::Sha1, d, std::nullopt, isakmp::ProtocolId::Ah,
                                                7, in.ni, in.nr, 0, 20);
  EXPECT_TRUE(ah.encryption.empty());
  EXPECT_EQ(ah.integrity.size(), 20u);
}

}  // namespace
}  // namespace cygnet::ike::v1
