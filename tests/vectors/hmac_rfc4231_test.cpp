// Known-answer tests for crypto::Hmac:
//   * RFC 4231 ("Identifiers and Test Vectors for HMAC-SHA-224, HMAC-SHA-256, HMAC-SHA-384, and
//     HMAC-SHA-512"), Section 4, Test Cases 1-7, for HMAC-SHA-256/384/512 (SHA-224 is not offered
//     by crypto::Hmac). Test Case 5 is the RFC's truncation case: only the leftmost 128 bits are
//     published.
//   * RFC 2202 ("Test Cases for HMAC-MD5 and HMAC-SHA-1"), Section 3, test cases 1-7 for
//     HMAC-SHA-1, including the digest-96 of test case 5 (the HMAC-SHA-1-96 ICV of RFC 2404).
// Every key, data and expected value below is copied from the RFC text; nothing is computed here.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "crypto/hmac.hpp"
#include "vectors/kat_util.hpp"

namespace cygnet {
namespace {

using crypto::HashAlgorithm;
using crypto::Hmac;
using kat::ascii;
using kat::hex;
using kat::repeat;

struct Rfc4231Case {
  const char* name;
  Bytes key;
  Bytes data;
  const char* hmac_sha256;  // full output, or the truncated output for Test Case 5
  const char* hmac_sha384;
  const char* hmac_sha512;
};

std::vector<Rfc4231Case> rfc4231_cases() {
  return {
      // RFC 4231 Section 4.2, Test Case 1.
      {"TestCase1",
       hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b 0b0b0b0b"),  // 20 bytes
       hex("4869205468657265"),                            // "Hi There"
       "b0344c61d8db38535ca8afceaf0bf12b 881dc200c9833da726e9376c2e32cff7",
       "afd03944d84895626b0825f4ab46907f 15f9dadbe4101ec682aa034c7cebc59c"
       "faea9ea9076ede7f4af152e8b2fa9cb6",
       "87aa7cdea5ef619d4ff0b4241a1d6cb0 2379f4e2ce4ec2787ad0b30545e17cde"
       "daa833b7d6b8a702038b274eaea3f4e4 be9d914eeb61f1702e696c203a126854"},
      // RFC 4231 Section 4.3, Test Case 2: a key shorter than the length of the HMAC output.
      {"TestCase2",
       hex("4a656665"),                                      // "Jefe"
       hex("7768617420646f2079612077616e7420"                // "what do ya want "
           "666f72206e6f7468696e673f"),                      // "for nothing?"
       "5bdcc146bf60754e6a042426089575c7 5a003f089d2739839dec58b964ec3843",
       "af45d2e376484031617f78d2b58a6b1b 9c7ef464f5a01b47e42ec3736322445e"
       "8e2240ca5e69e2c78b3239ecfab21649",
       "164b7a7bfcf819e2e395fbe73b56e0a3 87bd64222e831fd610270cd7ea250554"
       "9758bf75c05a994a6d034f65f8f0e6fd caeab1a34d4a6b4b636e070a38bce737"},
      // RFC 4231 Section 4.4, Test Case 3: combined length of key and data larger than 64 bytes.
      {"TestCase3",
       repeat(0xaa, 20),  // aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa aaaaaaaa (20 bytes)
       repeat(0xdd, 50),  // dddd...dd (50 bytes)
       "773ea91e36800e46854db8ebd09181a7 2959098b3ef8c122d9635514ced565fe",
       "88062608d3e6ad8a0aa2ace014c8a86f 0aa635d947ac9febe83ef4e55966144b"
       "2a5ab39dc13814b94e3ab6e101a34f27",
       "fa73b0089d56a284efb0f0756c890be9 b1b5dbdd8ee81a3655f83e33b2279d39"
       "bf3e848279a722c806b485a47e67c807 b946a337bee8942674278859e13292fb"},
      // RFC 4231 Section 4.5, Test Case 4: combined length of key and data larger than 64 bytes.
      {"TestCase4",
       hex("0102030405060708090a0b0c0d0e0f10 111213141516171819"),  // 25 bytes
       repeat(0xcd, 50),                                            // cdcd...cd (50 bytes)
       "82558a389a443c0ea4cc819899f2083a 85f0faa3e578f8077a2e3ff46729665b",
       "3e8a69b7783c25851933ab6290af6ca7 7a9981480850009cc5577c6e1f573b4e"
       "6801dd23c4a7d679ccf8a386c674cffb",
       "b0ba465637458c6990e5a8c5f61d4af7 e576d97ff94b872de76f8050361ee3db"
       "a91ca5c11aa25eb4d679275cc5788063 a5f19741120c4f2de2adebeb10a298dd"},
      // RFC 4231 Section 4.6, Test Case 5: truncation of the output to 128 bits (the RFC publishes
      // only these 128 bits).
      {"TestCase5",
       hex("0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c 0c0c0c0c"),  // 20 bytes
       hex("546573742057697468205472756e6361"              // "Test With Trunca"
           "74696f6e"),                                    // "tion"
       "a3b6167473100ee06e0c796c2955552b",
       "3abf34c3503b2a23a46efc619baef897",
       "415fad6271580a531d4179bc891d87a6"},
      // RFC 4231 Section 4.7, Test Case 6: a key larger than 128 bytes (SHA-384/512 block size).
      {"TestCase6",
       repeat(0xaa, 131),  // aaaa...aa (131 bytes)
       hex("54657374205573696e67204c61726765"    // "Test Using Large"
           "72205468616e20426c6f636b2d53697a"    // "r Than Block-Siz"
           "65204b6579202d2048617368204b6579"    // "e Key - Hash Key"
           "204669727374"),                      // " First"
       "60e431591ee0b67f0d8a26aacbf5b77f 8e0bc6213728c5140546040f0ee37f54",
       "4ece084485813e9088d2c63a041bc5b4 4f9ef1012a2b588f3cd11f05033ac4c6"
       "0c2ef6ab4030fe8296248df163f44952",
       "80b24263c7c1a3ebb71493c1dd7be8b4 9b46d1f41b4aeec1121b013783f8f352"
       "6b56d037e05f2598bd0fd2215d6a1e52 95e64f73f63f0aec8b915a985d786598"},
      // RFC 4231 Section 4.8, Test Case 7: a key and data larger than 128 bytes.
      {"TestCase7",
       repeat(0xaa, 131),  // aaaa...aa (131 bytes)
       hex("54686973206973206120746573742075"    // "This is a test u"
           "73696e672061206c6172676572207468"    // "sing a larger th"
           "616e20626c6f636b2d73697a65206b65"    // "an block-size ke"
           "7920616e642061206c61726765722074"    // "y and a larger t"
           "68616e20626c6f636b2d73697a652064"    // "han block-size d"
           "6174612e20546865206b6579206e6565"    // "ata. The key nee"
           "647320746f2062652068617368656420"    // "ds to be hashed "
           "6265666f7265206265696e6720757365"    // "before being use"
           "642062792074686520484d414320616c"    // "d by the HMAC al"
           "676f726974686d2e"),                  // "gorithm."
       "9b09ffa71b942fcb27635fbcd5b0e944 bfdc63644f0713938a7f51535c3a35e2",
       "6617178e941f020d351e2f254e8fd32c 602420feb0b8fb9adccebb82461e99c5"
       "a678cc31e799176d3860e6110c46523e",
       "e37b6a775dc87dbaa4dfa9f96e5e3ffd debd71f8867289865df5a32d20cdc944"
       "b6022cac3c4982b10d5eeb55c3e4de15 134676fb6de0446065c97440fa8c6a58"},
  };
}

// Computes the MAC truncated to expected.size() (the full output for every case but Test Case 5),
// in one part and split in two parts, and checks verify() accepts it and rejects a flipped bit.
void check_hmac(HashAlgorithm alg, const Bytes& key, const Bytes& data, const Bytes& expected) {
  Hmac mac(alg, key);
  ASSERT_LE(expected.size(), mac.output_length());

  Bytes out(expected.size());
  ASSERT_TRUE(mac.compute({ByteView(data)}, out));
  EXPECT_EQ(to_hex(out), to_hex(expected));

  // Same MAC over the data given in two pieces (the concatenation is what is authenticated).
  const std::size_t half = data.size() / 2;
  Bytes split(expected.size());
  ASSERT_TRUE(mac.compute({ByteView(data).first(half), ByteView(data).subspan(half)}, split));
  EXPECT_EQ(to_hex(split), to_hex(expected));

  // The key schedule is reused: a second computation gives the same answer.
  Bytes again(expected.size());
  ASSERT_TRUE(mac.compute({ByteView(data)}, again));
  EXPECT_EQ(to_hex(again), to_hex(expected));

  EXPECT_TRUE(mac.verify({ByteView(data)}, expected));
  Bytes wrong = expected;
  wrong.back() ^= 0x01;
  EXPECT_FALSE(mac.verify({ByteView(data)}, wrong));
  Bytes wrong_data = data;
  wrong_data.front() ^= 0x80;
  EXPECT_FALSE(mac.verify({ByteView(wrong_data)}, expected));
}

TEST(Rfc4231HmacSha2, OutputLengths) {
  // RFC 4231 Section 1: SHA-256/384/512 outputs are 256, 384 and 512 bits.
  EXPECT_EQ(crypto::hash_length(HashAlgorithm::Sha256), 32u);
  EXPECT_EQ(crypto::hash_length(HashAlgorithm::Sha384), 48u);
  EXPECT_EQ(crypto::hash_length(HashAlgorithm::Sha512), 64u);
  EXPECT_EQ(crypto::hash_length(HashAlgorithm::Sha1), 20u);
}

TEST(Rfc4231HmacSha2, HmacSha256TestCases1To7) {
  for (const auto& tc : rfc4231_cases()) {
    SCOPED_TRACE(tc.name);
    check_hmac(HashAlgorithm::Sha256, tc.key, tc.data, hex(tc.hmac_sha256));
  }
}

TEST(Rfc4231HmacSha2, HmacSha384TestCases1To7) {
  for (const auto& tc : rfc4231_cases()) {
    SCOPED_TRACE(tc.name);
    check_hmac(HashAlgorithm::Sha384, tc.key, tc.data, hex(tc.hmac_sha384));
  }
}

TEST(Rfc4231HmacSha2, HmacSha512TestCases1To7) {
  for (const auto& tc : rfc4231_cases()) {
    SCOPED_TRACE(tc.name);
    check_hmac(HashAlgorithm::Sha512, tc.key, tc.data, hex(tc.hmac_sha512));
  }
}

TEST(Rfc4231HmacSha2, TestCase5TruncatedTo128BitsIsPrefixOfFullOutput) {
  // RFC 4231 Section 4.6: the published 128-bit values are the leftmost bits of the full MAC.
  const auto cases = rfc4231_cases();
  const Rfc4231Case& tc = cases[4];
  ASSERT_STREQ(tc.name, "TestCase5");
  const struct {
    HashAlgorithm alg;
    const char* truncated;
  } algs[] = {{HashAlgorithm::Sha256, tc.hmac_sha256},
              {HashAlgorithm::Sha384, tc.hmac_sha384},
              {HashAlgorithm::Sha512, tc.hmac_sha512}};
  for (const auto& a : algs) {
    SCOPED_TRACE(crypto::hash_name(a.alg));
    Hmac mac(a.alg, tc.key);
    Bytes full(mac.output_length());
    ASSERT_TRUE(mac.compute({ByteView(tc.data)}, full));
    const Bytes expected = hex(a.truncated);
    ASSERT_EQ(expected.size(), 16u);
    EXPECT_EQ(to_hex(kat::prefix(full, 16)), to_hex(expected));
    Bytes out16(16);
    ASSERT_TRUE(mac.compute({ByteView(tc.data)}, out16));
    EXPECT_EQ(to_hex(out16), to_hex(expected));
    EXPECT_TRUE(mac.verify({ByteView(tc.data)}, expected));
  }
}

struct Rfc2202Case {
  const char* name;
  Bytes key;
  Bytes data;
  const char* digest;
};

TEST(Rfc2202HmacSha1, TestCases1To7) {
  const std::vector<Rfc2202Case> cases = {
      // RFC 2202 Section 3, test_case 1: key = 0x0b repeated 20 times, data = "Hi There".
      {"test_case_1", repeat(0x0b, 20), ascii("Hi There"),
       "b617318655057264e28bc0b6fb378c8ef146be00"},
      // RFC 2202 Section 3, test_case 2: key = "Jefe", data = "what do ya want for nothing?".
      {"test_case_2", ascii("Jefe"), ascii("what do ya want for nothing?"),
       "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
      // RFC 2202 Section 3, test_case 3: key = 0xaa repeated 20 times, data = 0xdd repeated 50.
      {"test_case_3", repeat(0xaa, 20), repeat(0xdd, 50),
       "125d7342b9ac11cd91a39af48aa17b4f63f175d3"},
      // RFC 2202 Section 3, test_case 4: key = 0x0102...19 (25 bytes), data = 0xcd repeated 50.
      {"test_case_4", hex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
       repeat(0xcd, 50), "4c9007f4026250c6bc8414f9bf50c86c2d7235da"},
      // RFC 2202 Section 3, test_case 5: key = 0x0c repeated 20 times.
      {"test_case_5", repeat(0x0c, 20), ascii("Test With Truncation"),
       "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04"},
      // RFC 2202 Section 3, test_case 6: key = 0xaa repeated 80 times.
      {"test_case_6", repeat(0xaa, 80),
       ascii("Test Using Larger Than Block-Size Key - Hash Key First"),
       "aa4ae5e15272d00e95705637ce8a3b55ed402112"},
      // RFC 2202 Section 3, test_case 7: key = 0xaa repeated 80 times.
      {"test_case_7", repeat(0xaa, 80),
       ascii("Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data"),
       "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"},
  };
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.name);
    check_hmac(HashAlgorithm::Sha1, tc.key, tc.data, hex(tc.digest));
  }
}

TEST(Rfc2202HmacSha1, TestCase5Digest96) {
  // RFC 2202 Section 3, test_case 5: digest-96 = 0x4c1a03424b55e07fe7f27be1, i.e. the
  // HMAC-SHA-1-96 ICV of RFC 2404.
  const Bytes expected = hex("4c1a03424b55e07fe7f27be1");
  Hmac mac(HashAlgorithm::Sha1, repeat(0x0c, 20));
  Bytes out(12);
  ASSERT_TRUE(mac.compute({ByteView(ascii("Test With Truncation"))}, out));
  EXPECT_EQ(to_hex(out), to_hex(expected));
  EXPECT_TRUE(mac.verify({ByteView(ascii("Test With Truncation"))}, expected));

  // RFC 2404 Section 2: HMAC-SHA-1-96 uses a 160-bit key and a 96-bit ICV.
  EXPECT_EQ(crypto::integrity_hash(crypto::IntegrityAlgorithm::HmacSha1_96), HashAlgorithm::Sha1);
  EXPECT_EQ(crypto::integrity_icv_length(crypto::IntegrityAlgorithm::HmacSha1_96), 12u);
  EXPECT_EQ(crypto::integrity_key_length(crypto::IntegrityAlgorithm::HmacSha1_96), 20u);
}

}  // namespace
}  // namespace cygnet
