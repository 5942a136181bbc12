// Known-answer tests for crypto::Aead with AES-GCM, from the test vectors of D. McGrew and
// J. Viega, "The Galois/Counter Mode of Operation (GCM)" (revised specification submitted to
// NIST, 2005), Appendix B "AES Test Vectors" -- the vectors behind RFC 4106. Every test case with a
// 96-bit IV is used: Test Cases 1-4 (AES-128), 7-10 (AES-192) and 13-16 (AES-256). Test Cases 5-6,
// 11-12 and 17-18 use 64-bit and 480-bit IVs, which ESP never builds (RFC 4106 Section 4: salt(4)
// || IV(8)), and are left out.
//
// The spec publishes the 128-bit tag; RFC 4106 Section 5 defines the 8- and 12-octet ICVs as its
// leftmost bits, so the truncated tags are checked against prefixes of the published tag.

#include <gtest/gtest.h>

#include <vector>

#include "base/bytes.hpp"
#include "crypto/aead.hpp"
#include "crypto/error.hpp"
#include "vectors/kat_util.hpp"

namespace cygnet {
namespace {

using crypto::Aead;
using crypto::AeadAlgorithm;
using kat::hex;

struct GcmCase {
  const char* name;
  const char* key;
  const char* plaintext;
  const char* aad;
  const char* iv;
  const char* ciphertext;
  const char* tag;
};

// The 60-byte plaintext / 20-byte AAD cases reuse the 64-byte plaintext without its last 4 bytes.
constexpr const char* kP64 =
    "d9313225f88406e5a55909c5aff5269a 86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525 b16aedf5aa0de657ba637b391aafd255";
constexpr const char* kP60 =
    "d9313225f88406e5a55909c5aff5269a 86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525 b16aedf5aa0de657ba637b39";
constexpr const char* kA20 = "feedfacedeadbeeffeedfacedeadbeef abaddad2";

std::vector<GcmCase> gcm_cases() {
  return {
      // McGrew & Viega, GCM spec, Appendix B, Test Case 1 (AES-128, empty P and A).
      {"TestCase1", "00000000000000000000000000000000", "", "", "000000000000000000000000", "",
       "58e2fccefa7e3061367f1d57a4e7455a"},
      // Test Case 2.
      {"TestCase2", "00000000000000000000000000000000", "00000000000000000000000000000000", "",
       "000000000000000000000000", "0388dace60b6a392f328c2b971b2fe78",
       "ab6e47d42cec13bdf53a67b21257bddf"},
      // Test Case 3.
      {"TestCase3", "feffe9928665731c6d6a8f9467308308", kP64, "", "cafebabefacedbaddecaf888",
       "42831ec2217774244b7221b784d0d49c e3aa212f2c02a4e035c17e2329aca12e"
       "21d514b25466931c7d8f6a5aac84aa05 1ba30b396a0aac973d58e091473f5985",
       "4d5c2af327cd64a62cf35abd2ba6fab4"},
      // Test Case 4.
      {"TestCase4", "feffe9928665731c6d6a8f9467308308", kP60, kA20, "cafebabefacedbaddecaf888",
       "42831ec2217774244b7221b784d0d49c e3aa212f2c02a4e035c17e2329aca12e"
       "21d514b25466931c7d8f6a5aac84aa05 1ba30b396a0aac973d58e091",
       "5bc94fbc3221a5db94fae95ae7121a47"},
      // Test Case 7 (AES-192, empty P and A).
      {"TestCase7", "000000000000000000000000000000000000000000000000", "", "",
       "000000000000000000000000", "", "cd33b28ac773f74ba00ed1f312572435"},
      // Test Case 8.
      {"TestCase8", "000000000000000000000000000000000000000000000000",
       "00000000000000000000000000000000", "", "000000000000000000000000",
       "98e7247c07f0fe411c267e4384b0f600", "2ff58d80033927ab8ef4d4587514f0fb"},
      // Test Case 9.
      {"TestCase9", "feffe9928665731c6d6a8f9467308308 feffe9928665731c", kP64, "",
       "cafebabefacedbaddecaf888",
       "3980ca0b3c00e841eb06fac4872a2757 859e1ceaa6efd984628593b40ca1e19c"
       "7d773d00c144c525ac619d18c84a3f47 18e2448b2fe324d9ccda2710acade256",
       "9924a7c8587336bfb118024db8674a14"},
      // Test Case 10.
      {"TestCase10", "feffe9928665731c6d6a8f9467308308 feffe9928665731c", kP60, kA20,
       "cafebabefacedbaddecaf888",
       "3980ca0b3c00e841eb06fac4872a2757 859e1ceaa6efd984628593b40ca1e19c"
       "7d773d00c144c525ac619d18c84a3f47 18e2448b2fe324d9ccda2710",
       "2519498e80f1478f37ba55bd6d27618c"},
      // Test Case 13 (AES-256, empty P and A).
      {"TestCase13", "00000000000000000000000000000000 00000000000000000000000000000000", "", "",
       "000000000000000000000000", "", "530f8afbc74536b9a963b4f1c4cb738b"},
      // Test Case 14.
      {"TestCase14", "00000000000000000000000000000000 00000000000000000000000000000000",
       "00000000000000000000000000000000", "", "000000000000000000000000",
       "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
      // Test Case 15.
      {"TestCase15", "feffe9928665731c6d6a8f9467308308 feffe9928665731c6d6a8f9467308308", kP64,
       "", "cafebabefacedbaddecaf888",
       "522dc1f099567d07f47f37a32a84427d 643a8cdcbfe5c0c97598a2bd2555d1aa"
       "8cb08e48590dbb3da7b08b1056828838 c5f61e6393ba7a0abcc9f662898015ad",
       "b094dac5d93471bdec1a502270e3cc6c"},
      // Test Case 16.
      {"TestCase16", "feffe9928665731c6d6a8f9467308308 feffe9928665731c6d6a8f9467308308", kP60,
       kA20, "cafebabefacedbaddecaf888",
       "522dc1f099567d07f47f37a32a84427d 643a8cdcbfe5c0c97598a2bd2555d1aa"
       "8cb08e48590dbb3da7b08b1056828838 c5f61e6393ba7a0abcc9f662",
       "76fc6ece0f4e1768cddf8853bb2d551b"},
  };
}

AeadAlgorithm gcm_for_key(std::size_t key_length) {
  switch (key_length) {
    case 16: return AeadAlgorithm::AesGcm128;
    case 24: return AeadAlgorithm::AesGcm192;
    default: return AeadAlgorithm::AesGcm256;
  }
}

TEST(GcmSpecAesGcm, KeyLengths) {
  EXPECT_EQ(crypto::aead_key_length(AeadAlgorithm::AesGcm128), 16u);
  EXPECT_EQ(crypto::aead_key_length(AeadAlgorithm::AesGcm192), 24u);
  EXPECT_EQ(crypto::aead_key_length(AeadAlgorithm::AesGcm256), 32u);
}

TEST(GcmSpecAesGcm, SealProducesPublishedCiphertextAndTag) {
  for (const auto& tc : gcm_cases()) {
    SCOPED_TRACE(tc.name);
    const Bytes key = hex(tc.key), p = hex(tc.plaintext), a = hex(tc.aad), iv = hex(tc.iv);
    const Bytes c = hex(tc.ciphertext), t = hex(tc.tag);
    ASSERT_EQ(iv.size(), crypto::kAeadNonceLength);
    ASSERT_EQ(c.size(), p.size());
    ASSERT_EQ(t.size(), 16u);

    Aead aead(gcm_for_key(key.size()), key, 16);
    Bytes ct(p.size()), tag(16);
    ASSERT_TRUE(aead.seal(iv, a, p, ct, tag));
    EXPECT_EQ(to_hex(ct), to_hex(c));
    EXPECT_EQ(to_hex(tag), to_hex(t));

    // Sealing again with the same scheduled key gives the same answer.
    Bytes ct2(p.size()), tag2(16);
    ASSERT_TRUE(aead.seal(iv, a, p, ct2, tag2));
    EXPECT_EQ(to_hex(ct2), to_hex(c));
    EXPECT_EQ(to_hex(tag2), to_hex(t));
  }
}

TEST(GcmSpecAesGcm, SealInPlaceAndFromPieces) {
  for (const auto& tc : gcm_cases()) {
    SCOPED_TRACE(tc.name);
    const Bytes key = hex(tc.key), p = hex(tc.plaintext), a = hex(tc.aad), iv = hex(tc.iv);
    const Bytes c = hex(tc.ciphertext), t = hex(tc.tag);
    Aead aead(gcm_for_key(key.size()), key, 16);

    // ciphertext aliasing the plaintext exactly.
    Bytes buf = p, tag(16);
    ASSERT_TRUE(aead.seal(iv, a, buf, buf, tag));
    EXPECT_EQ(to_hex(buf), to_hex(c));
    EXPECT_EQ(to_hex(tag), to_hex(t));

    // plaintext in two pieces (as ESP gives packet and trailer).
    const ByteView pv(p);
    const std::size_t cut = p.size() / 3;
    Bytes ct(p.size()), tag2(16);
    ASSERT_TRUE(aead.seal(iv, a, {pv.first(cut), pv.subspan(cut)}, ct, tag2));
    EXPECT_EQ(to_hex(ct), to_hex(c));
    EXPECT_EQ(to_hex(tag2), to_hex(t));
  }
}

TEST(GcmSpecAesGcm, OpenRecoversPlaintext) {
  for (const auto& tc : gcm_cases()) {
    SCOPED_TRACE(tc.name);
    const Bytes key = hex(tc.key), p = hex(tc.plaintext), a = hex(tc.aad), iv = hex(tc.iv);
    const Bytes c = hex(tc.ciphertext), t = hex(tc.tag);
    Aead aead(gcm_for_key(key.size()), key, 16);
    Bytes out(c.size());
    ASSERT_TRUE(aead.open(iv, a, c, t, out));
    EXPECT_EQ(to_hex(out), to_hex(p));

    // In place.
    Bytes buf = c;
    ASSERT_TRUE(aead.open(iv, a, buf, t, buf));
    EXPECT_EQ(to_hex(buf), to_hex(p));
  }
}

TEST(GcmSpecAesGcm, TruncatedIcvsArePrefixesOfTheTag) {
  // RFC 4106 Section 5 (ICV lengths 8, 12 and 16 octets).
  for (const auto& tc : gcm_cases()) {
    SCOPED_TRACE(tc.name);
    const Bytes key = hex(tc.key), p = hex(tc.plaintext), a = hex(tc.aad), iv = hex(tc.iv);
    const Bytes c = hex(tc.ciphertext), t = hex(tc.tag);
    for (std::size_t icv : {std::size_t{8}, std::size_t{12}}) {
      SCOPED_TRACE(icv);
      Aead aead(gcm_for_key(key.size()), key, icv);
      EXPECT_EQ(aead.icv_length(), icv);
      Bytes ct(p.size()), tag(icv);
      ASSERT_TRUE(aead.seal(iv, a, p, ct, tag));
      EXPECT_EQ(to_hex(ct), to_hex(c));
      EXPECT_EQ(to_hex(tag), to_hex(kat::prefix(t, icv)));

      Bytes out(c.size());
      ASSERT_TRUE(aead.open(iv, a, c, kat::prefix(t, icv), out));
      EXPECT_EQ(to_hex(out), to_hex(p));

      Bytes bad_tag(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(icv));
      bad_tag[icv - 1] ^= 0x01;
      EXPECT_FALSE(aead.open(iv, a, c, bad_tag, out));
    }
  }
}

TEST(GcmSpecAesGcm, OpenRejectsModifiedTagCiphertextAadOrNonce) {
  for (const auto& tc : gcm_cases()) {
    SCOPED_TRACE(tc.name);
    const Bytes key = hex(tc.key), a = hex(tc.aad), iv = hex(tc.iv);
    const Bytes c = hex(tc.ciphertext), t = hex(tc.tag);
    Aead aead(gcm_for_key(key.size()), key, 16);
    Bytes out(c.size());

    for (std::size_t pos : {std::size_t{0}, std::size_t{7}, std::size_t{15}}) {
      Bytes bad_tag = t;
      bad_tag[pos] ^= 0x80;
      EXPECT_FALSE(aead.open(iv, a, c, bad_tag, out)) << "tag byte " << pos;
    }
    if (!c.empty()) {
      for (std::size_t pos : {std::size_t{0}, c.size() - 1}) {
        Bytes bad_c = c;
        bad_c[pos] ^= 0x01;
        EXPECT_FALSE(aead.open(iv, a, bad_c, t, out)) << "ciphertext byte " << pos;
      }
    }
    if (!a.empty()) {
      Bytes bad_a = a;
      bad_a[0] ^= 0x01;
      EXPECT_FALSE(aead.open(iv, bad_a, c, t, out));
    }
    Bytes bad_iv = iv;
    bad_iv[11] ^= 0x01;
    EXPECT_FALSE(aead.open(bad_iv, a, c, t, out));

    // The genuine message still opens after the failures (no state left behind).
    EXPECT_TRUE(aead.open(iv, a, c, t, out));
  }
}

TEST(GcmSpecAesGcm, RejectsBadKeyAndIcvLengths) {
  const Bytes key16 = hex("feffe9928665731c6d6a8f9467308308");
  EXPECT_THROW(Aead(AeadAlgorithm::AesGcm256, key16, 16), crypto::CryptoError);
  EXPECT_THROW(Aead(AeadAlgorithm::AesGcm128, key16, 4), crypto::CryptoError);
  EXPECT_NO_THROW(Aead(AeadAlgorithm::AesGcm128, key16, 8));
}

}  // namespace
}  // namespace cygnet
