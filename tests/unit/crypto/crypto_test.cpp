// Unit tests for the crypto layer's behaviour beyond the RFC vectors (tests/vectors): misuse is
// refused, secrets are wiped, randomness is not constant, ICV comparison is exact.
#include <gtest/gtest.h>

#include <set>

#include "crypto/aead.hpp"
#include "crypto/block_cipher.hpp"
#include "crypto/constant_time.hpp"
#include "crypto/error.hpp"
#include "crypto/hmac.hpp"
#include "crypto/random.hpp"
#include "crypto/secure_bytes.hpp"

namespace cygnet::crypto {
namespace {

TEST(SecureWipe, ZeroesTheBuffer) {
  std::array<std::uint8_t, 32> key;
  key.fill(0xAB);
  secure_wipe(key.data(), key.size());
  for (auto b : key) EXPECT_EQ(b, 0);
}

TEST(SecureBytes, WipingAllocatorClearsReleasedStorage) {
  // Observe the allocator's deallocate directly: storage handed back must be zero.
  WipingAllocator<std::uint8_t> alloc;
  std::uint8_t* p = alloc.allocate(64);
  std::fill_n(p, 64, 0x5A);
  secure_wipe(p, 64);
  for (int i = 0; i < 64; ++i) EXPECT_EQ(p[i], 0);
  alloc.deallocate(p, 64);
}

TEST(SecureBytes, SliceCopiesTheRange) {
  SecureBytes s(Bytes{1, 2, 3, 4, 5});
  SecureBytes t = s.slice(1, 3);
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t.view()[0], 2);
  EXPECT_EQ(t.view()[2], 4);
}

TEST(Random, BytesDifferBetweenCalls) {
  std::set<Bytes> seen;
  for (int i = 0; i < 64; ++i) {
    Bytes b(16);
    random_bytes(b);
    seen.insert(b);
  }
  EXPECT_EQ(seen.size(), 64u);  // a repeat of 128 random bits would mean a broken CSPRNG
  std::set<std::uint32_t> words;
  for (int i = 0; i < 64; ++i) words.insert(random_u32());
  EXPECT_GT(words.size(), 60u);
}

TEST(ConstantTime, ComparesContentAndLength) {
  Bytes a{1, 2, 3}, b{1, 2, 3}, c{1, 2, 4}, d{1, 2};
  EXPECT_TRUE(equal_constant_time(a, b));
  EXPECT_FALSE(equal_constant_time(a, c));
  EXPECT_FALSE(equal_constant_time(a, d));
  EXPECT_TRUE(equal_constant_time(ByteView(), ByteView()));
}

TEST(Aead, RefusesWrongKeyAndIcvLengths) {
  EXPECT_THROW(Aead(AeadAlgorithm::AesGcm128, Bytes(15), 16), CryptoError);
  EXPECT_THROW(Aead(AeadAlgorithm::AesGcm256, Bytes(16), 16), CryptoError);
  EXPECT_THROW(Aead(AeadAlgorithm::AesGcm128, Bytes(16), 10), CryptoError);
  EXPECT_THROW(Aead(AeadAlgorithm::ChaCha20Poly1305, Bytes(32), 12), CryptoError);
  EXPECT_NO_THROW(Aead(AeadAlgorithm::AesGcm192, Bytes(24), 8));
}

TEST(Aead, MultiPartSealEqualsOneShotSeal) {
  Aead a(AeadAlgorithm::AesGcm256, Bytes(32, 7), 16);
  Bytes nonce(12, 1), aad{9, 9, 9, 9}, p1(100, 0x41), p2{1, 2, 3, 2, 4};
  Bytes whole = p1;
  whole.insert(whole.end(), p2.begin(), p2.end());
  Bytes c1(whole.size()), t1(16), c2(whole.size()), t2(16);
  ASSERT_TRUE(a.seal(nonce, aad, ByteView(whole), c1, t1));
  ASSERT_TRUE(a.seal(nonce, aad, {ByteView(p1), ByteView(p2)}, c2, t2));
  EXPECT_EQ(c1, c2);
  EXPECT_EQ(t1, t2);
  Bytes back(whole.size());
  EXPECT_TRUE(a.open(nonce, aad, c1, t1, back));
  EXPECT_EQ(back, whole);
  aad[0] ^= 1;
  EXPECT_FALSE(a.open(nonce, aad, c1, t1, back));
}

TEST(Aead, OneDirectionalContextsRefuseTheOtherDirection) {
  Aead seal_only(AeadAlgorithm::AesGcm128, Bytes(16, 3), 16, AeadUse::Seal);
  Aead open_only(AeadAlgorithm::AesGcm128, Bytes(16, 3), 16, AeadUse::Open);
  Bytes nonce(12), pt(32, 5), ct(32), tag(16), back(32);
  ASSERT_TRUE(seal_only.seal(nonce, ByteView(), ByteView(pt), ct, tag));
  EXPECT_FALSE(seal_only.open(nonce, ByteView(), ct, tag, back));
  EXPECT_FALSE(open_only.seal(nonce, ByteView(), ByteView(pt), ct, tag));
  EXPECT_TRUE(open_only.open(nonce, ByteView(), ct, tag, back));
  EXPECT_EQ(back, pt);
}

TEST(Aead, RejectsBadNonceAndShortBuffers) {
  Aead a(AeadAlgorithm::ChaCha20Poly1305, Bytes(32, 1), 16);
  Bytes pt(10), ct(9), ct_ok(10), tag(16), short_nonce(11), nonce(12);
  EXPECT_FALSE(a.seal(short_nonce, ByteView(), ByteView(pt), ct_ok, tag));  // nonce must be 12 bytes
  EXPECT_FALSE(a.seal(nonce, ByteView(), ByteView(pt), ct, tag));         // ciphertext buffer too small
}

TEST(CbcCipher, RefusesPartialBlocksAndWrongIv) {
  CbcCipher c(CbcAlgorithm::AesCbc128, Bytes(16, 1));
  Bytes out(32);
  EXPECT_FALSE(c.encrypt(Bytes(16), Bytes(15), out));
  EXPECT_FALSE(c.encrypt(Bytes(8), Bytes(16), out));
  EXPECT_TRUE(c.encrypt(Bytes(16), Bytes(32), out));
  EXPECT_THROW(CbcCipher(CbcAlgorithm::AesCbc256, Bytes(16)), CryptoError);
}

TEST(CbcCipher, MultiPartEncryptMatchesOneShot) {
  CbcCipher c(CbcAlgorithm::AesCbc256, Bytes(32, 2));
  Bytes iv(16, 9), a(21, 0x11), b(11, 0x22), whole = a;
  whole.insert(whole.end(), b.begin(), b.end());
  Bytes o1(32), o2(32), back(32);
  ASSERT_TRUE(c.encrypt(iv, whole, o1));
  ASSERT_TRUE(c.encrypt(iv, {ByteView(a), ByteView(b)}, o2));
  EXPECT_EQ(o1, o2);
  ASSERT_TRUE(c.decrypt(iv, o1, back));
  EXPECT_EQ(back, whole);
}

TEST(CbcCipher, MakeIvIsTheBlockFunctionOfTheNonce) {
  // NIST SP 800-38A Appendix C: IV = CIPH_K(nonce). Check against a one-block CBC encryption
  // with a zero IV, which equals the block function on that block.
  CbcCipher c(CbcAlgorithm::AesCbc128, Bytes(16, 0x77));
  Bytes iv1(16), iv2(16), again(16), zero_iv(16), block(16), expected(16);
  ASSERT_TRUE(c.make_iv(1, iv1));
  ASSERT_TRUE(c.make_iv(2, iv2));
  ASSERT_TRUE(c.make_iv(1, again));
  EXPECT_NE(iv1, iv2);
  EXPECT_EQ(iv1, again);
  block[15] = 1;
  ASSERT_TRUE(c.encrypt(zero_iv, block, expected));
  EXPECT_EQ(iv1, expected);
  EXPECT_NE(iv1, block);  // not the bare counter
  Bytes wrong(8);
  EXPECT_FALSE(c.make_iv(3, wrong));
  CbcCipher des(CbcAlgorithm::TripleDesCbc, Bytes(24, 0x15));
  Bytes des_iv(8);
  EXPECT_TRUE(des.make_iv(1, des_iv));
}

TEST(Hmac, TruncationIsAPrefixAndVerifyIsExact) {
  Hmac h(HashAlgorithm::Sha256, Bytes(32, 0x0b));
  Bytes data{'h', 'i'}, full(32), trunc(16);
  ASSERT_TRUE(h.compute({ByteView(data)}, full));
  ASSERT_TRUE(h.compute({ByteView(data)}, trunc));
  EXPECT_TRUE(std::equal(trunc.begin(), trunc.end(), full.begin()));
  EXPECT_TRUE(h.verify({ByteView(data)}, trunc));
  trunc[15] ^= 0x80;
  EXPECT_FALSE(h.verify({ByteView(data)}, trunc));
  Bytes too_long(33);
  EXPECT_FALSE(h.compute({ByteView(data)}, too_long));  // longer than the hash
}

TEST(Hmac, PartsAreConcatenated) {
  Hmac h(HashAlgorithm::Sha512, Bytes(5, 1));
  Bytes a{1, 2, 3}, b{4, 5}, ab{1, 2, 3, 4, 5}, m1(64), m2(64);
  ASSERT_TRUE(h.compute({ByteView(a), ByteView(b)}, m1));
  ASSERT_TRUE(h.compute({ByteView(ab)}, m2));
  EXPECT_EQ(m1, m2);
}

TEST(IntegrityAlgorithms, KeyAndIcvLengthsFollowRfc4868AndRfc2404) {
  EXPECT_EQ(integrity_key_length(IntegrityAlgorithm::HmacSha1_96), 20u);
  EXPECT_EQ(integrity_icv_length(IntegrityAlgorithm::HmacSha1_96), 12u);
  EXPECT_EQ(integrity_key_length(IntegrityAlgorithm::HmacSha256_128), 32u);
  EXPECT_EQ(integrity_icv_length(IntegrityAlgorithm::HmacSha256_128), 16u);
  EXPECT_EQ(integrity_key_length(IntegrityAlgorithm::HmacSha384_192), 48u);
  EXPECT_EQ(integrity_icv_length(IntegrityAlgorithm::HmacSha384_192), 24u);
  EXPECT_EQ(integrity_key_length(IntegrityAlgorithm::HmacSha512_256), 64u);
  EXPECT_EQ(integrity_icv_length(IntegrityAlgorithm::HmacSha512_256), 32u);
}

}  // namespace
}  // namespace cygnet::crypto
