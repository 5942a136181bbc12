// Known-answer tests for crypto::Hmac as the ESP/AH integrity transforms of RFC 4868 ("Using
// HMAC-SHA-256, HMAC-SHA-384, and HMAC-SHA-512 with IPsec"), Section 2.7.2 "Test Vectors for
// Authentication": Test Cases AUTH256-1..4 (2.7.2.1), AUTH384-1..4 (2.7.2.2) and AUTH512-1..4
// (2.7.2.3). Each case gives the full PRF-HMAC-SHA-xxx output and the truncated HMAC-SHA-xxx-yyy
// ICV; the keys are as long as the integrity keys of Section 2.1.1 (256, 384, 512 bits).
//
// Errata: AUTH512-4 uses the key as corrected by RFC 4868 Erratum 1785 (Verified): the RFC text
// prints an extra first line "0a0b0c0d0e0f10111213141516171819" that makes the "(64 bytes)" key
// 80 bytes; the published outputs are those of the 64-byte key 0x01..0x40. AUTH384-4 uses the key
// exactly as printed: Erratum 5507 ("Held for Document Update") proposes 2122..2f30 as its third
// line, but the published outputs are those of the printed key (0a0b..1819).

#include <gtest/gtest.h>

#include <vector>

#include "base/bytes.hpp"
#include "crypto/hmac.hpp"
#include "vectors/kat_util.hpp"

namespace cygnet {
namespace {

using crypto::HashAlgorithm;
using crypto::Hmac;
using crypto::IntegrityAlgorithm;
using kat::hex;
using kat::repeat;

struct Rfc4868Case {
  const char* name;
  Bytes key;
  Bytes data;
  const char* prf;   // PRF-HMAC-SHA-xxx: the full HMAC output
  const char* auth;  // HMAC-SHA-xxx-yyy: the truncated ICV
};

// "what do ya want for nothing?" as printed in RFC 4868 Section 2.7.2.
Bytes jefe_data() {
  return hex("7768617420646f2079612077616e7420"   // "what do ya want "
             "666f72206e6f7468696e673f");          // "for nothing?"
}

// RFC 4868 Section 2.7.2.1, SHA256 Authentication Test Vectors.
std::vector<Rfc4868Case> auth256_cases() {
  return {
      // Test Case AUTH256-1.
      {"AUTH256-1",
       hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b 0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),  // 32 bytes
       hex("4869205468657265"),                                                  // "Hi There"
       "198a607eb44bfbc69903a0f1cf2bbdc5 ba0aa3f3d9ae3c1c7a3b1696a0b68cf7",
       "198a607eb44bfbc69903a0f1cf2bbdc5"},
      // Test Case AUTH256-2.
      {"AUTH256-2",
       hex("4a6566654a6566654a6566654a656665"     // "JefeJefeJefeJefe"
           "4a6566654a6566654a6566654a656665"),   // "JefeJefeJefeJefe"
       jefe_data(),
       "167f928588c5cc2eef8e3093caa0e87c 9ff566a14794aa61648d81621a2a40c6",
       "167f928588c5cc2eef8e3093caa0e87c"},
      // Test Case AUTH256-3.
      {"AUTH256-3",
       repeat(0xaa, 32),  // aaaa...aa (32 bytes)
       repeat(0xdd, 50),  // dddd...dd (50 bytes)
       "cdcb1220d1ecccea91e53aba3092f962 e549fe6ce9ed7fdc43191fbde45c30b0",
       "cdcb1220d1ecccea91e53aba3092f962"},
      // Test Case AUTH256-4.
      {"AUTH256-4",
       hex("0102030405060708090a0b0c0d0e0f10 1112131415161718191a1b1c1d1e1f20"),  // 32 bytes
       repeat(0xcd, 50),                                                        // (50 bytes)
       "372efcf9b40b35c2115b1346903d2ef4 2fced46f0846e7257bb156d3d7b30d3f",
       "372efcf9b40b35c2115b1346903d2ef4"},
  };
}

// RFC 4868 Section 2.7.2.2, SHA384 Authentication Test Vectors.
std::vector<Rfc4868Case> auth384_cases() {
  return {
      // Test Case AUTH384-1.
      {"AUTH384-1",
       hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b 0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"
           "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),  // 48 bytes
       hex("4869205468657265"),                  // "Hi There"
       "b6a8d5636f5c6a7224f9977dcf7ee6c7 fb6d0c48cbdee9737a959796489bddbc"
       "4c5df61d5b3297b4fb68dab9f1b582c2",
       "b6a8d5636f5c6a7224f9977dcf7ee6c7 fb6d0c48cbdee973"},
      // Test Case AUTH384-2.
      {"AUTH384-2",
       hex("4a6566654a6566654a6566654a656665"     // "JefeJefeJefeJefe"
           "4a6566654a6566654a6566654a656665"     // "JefeJefeJefeJefe"
           "4a6566654a6566654a6566654a656665"),   // "JefeJefeJefeJefe"
       jefe_data(),
       "2c7353974f1842fd66d53c452ca42122 b28c0b594cfb184da86a368e9b8e16f5"
       "349524ca4e82400cbde0686d403371c9",
       "2c7353974f1842fd66d53c452ca42122 b28c0b594cfb184d"},
      // Test Case AUTH384-3.
      {"AUTH384-3",
       repeat(0xaa, 48),  // aaaa...aa (48 bytes)
       repeat(0xdd, 50),  // dddd...dd (50 bytes)
       "809f439be00274321d4a538652164b53 554a508184a0c3160353e3428597003d"
       "35914a18770f9443987054944b7c4b4a",
       "809f439be00274321d4a538652164b53 554a508184a0c316"},
      // Test Case AUTH384-4 (key exactly as published; see the note at the top of the file).
      {"AUTH384-4",
       hex("0102030405060708090a0b0c0d0e0f10 1112131415161718191a1b1c1d1e1f20"
           "0a0b0c0d0e0f10111213141516171819"),  // 48 bytes
       repeat(0xcd, 50),                         // cdcd...cd (50 bytes)
       "5b540085c6e6358096532b2493609ed1 cb298f774f87bb5c2ebf182c83cc7428"
       "707fb92eab2536a5812258228bc96687",
       "5b540085c6e6358096532b2493609ed1 cb298f774f87bb5c"},
  };
}

// RFC 4868 Section 2.7.2.3, SHA512 Authentication Test Vectors.
std::vector<Rfc4868Case> auth512_cases() {
  return {
      // Test Case AUTH512-1.
      {"AUTH512-1",
       hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b 0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"
           "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b 0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),  // 64 bytes
       hex("4869205468657265"),                                                  // "Hi There"
       "637edc6e01dce7e6742a99451aae82df 23da3e92439e590e43e761b33e910fb8"
       "ac2878ebd5803f6f0b61dbce5e251ff8 789a4722c1be65aea45fd464e89f8f5b",
       "637edc6e01dce7e6742a99451aae82df 23da3e92439e590e43e761b33e910fb8"},
      // Test Case AUTH512-2.
      {"AUTH512-2",
       hex("4a6566654a6566654a6566654a656665"     // "JefeJefeJefeJefe"
           "4a6566654a6566654a6566654a656665"     // "JefeJefeJefeJefe"
           "4a6566654a6566654a6566654a656665"     // "JefeJefeJefeJefe"
           "4a6566654a6566654a6566654a656665"),   // "JefeJefeJefeJefe"
       jefe_data(),
       "cb370917ae8a7ce28cfd1d8f4705d614 1c173b2a9362c15df235dfb251b15454"
       "6aa334ae9fb9afc2184932d8695e397b fa0ffb93466cfcceaae38c833b7dba38",
       "cb370917ae8a7ce28cfd1d8f4705d614 1c173b2a9362c15df235dfb251b15454"},
      // Test Case AUTH512-3.
      {"AUTH512-3",
       repeat(0xaa, 64),  // aaaa...aa (64 bytes)
       repeat(0xdd, 50),  // dddd...dd (50 bytes)
       "2ee7acd783624ca9398710f3ee05ae41 b9f9b0510c87e49e586cc9bf961733d8"
       "623c7b55cebefccf02d5581acc1c9d5f b1ff68a1de45509fbe4da9a433922655",
       "2ee7acd783624ca9398710f3ee05ae41 b9f9b0510c87e49e586cc9bf961733d8"},
      // Test Case AUTH512-4, key as corrected by RFC 4868 Erratum 1785.
      {"AUTH512-4",
       hex("0102030405060708090a0b0c0d0e0f10 1112131415161718191a1b1c1d1e1f20"
           "2122232425262728292a2b2c2d2e2f30 3132333435363738393a3b3c3d3e3f40"),  // 64 bytes
       repeat(0xcd, 50),                                                        // (50 bytes)
       "5e6688e5a3daec826ca32eaea224eff5 e700628947470e13ad01302561bab108"
       "b8c48cbc6b807dcfbd850521a685babc 7eae4a2a2e660dc0e86b931d65503fd2",
       "5e6688e5a3daec826ca32eaea224eff5 e700628947470e13ad01302561bab108"},
  };
}

void check_rfc4868(IntegrityAlgorithm integ, const std::vector<Rfc4868Case>& cases) {
  const HashAlgorithm alg = crypto::integrity_hash(integ);
  const std::size_t icv_length = crypto::integrity_icv_length(integ);
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.name);
    const Bytes prf = hex(tc.prf);
    const Bytes auth = hex(tc.auth);
    ASSERT_EQ(tc.key.size(), crypto::integrity_key_length(integ));
    ASSERT_EQ(prf.size(), crypto::hash_length(alg));
    ASSERT_EQ(auth.size(), icv_length);

    Hmac mac(alg, tc.key);

    // PRF case: the full output.
    Bytes full(mac.output_length());
    ASSERT_TRUE(mac.compute({ByteView(tc.data)}, full));
    EXPECT_EQ(to_hex(full), to_hex(prf));

    // AUTH case: compute straight into an ICV-sized span (truncation to the leftmost bits).
    Bytes icv(icv_length);
    ASSERT_TRUE(mac.compute({ByteView(tc.data)}, icv));
    EXPECT_EQ(to_hex(icv), to_hex(auth));

    // ESP computes the ICV over header and payload given separately.
    Bytes icv_split(icv_length);
    const ByteView data(tc.data);
    ASSERT_TRUE(mac.compute({data.first(3), data.subspan(3, 5), data.subspan(8)}, icv_split));
    EXPECT_EQ(to_hex(icv_split), to_hex(auth));

    // verify() against the truncated ICV and the full output.
    EXPECT_TRUE(mac.verify({data}, auth));
    EXPECT_TRUE(mac.verify({data}, prf));
    for (std::size_t pos : {std::size_t{0}, icv_length / 2, icv_length - 1}) {
      Bytes bad = auth;
      bad[pos] ^= 0x01;
      EXPECT_FALSE(mac.verify({data}, bad)) << "flipped ICV byte " << pos;
    }
    Bytes bad_data = tc.data;
    bad_data.back() ^= 0x01;
    EXPECT_FALSE(mac.verify({ByteView(bad_data)}, auth));
  }
}

TEST(Rfc4868IntegrityTransforms, KeyAndIcvLengths) {
  // RFC 4868 Section 2.1.1 (key lengths) and Section 2.3 (truncation lengths).
  EXPECT_EQ(crypto::integrity_hash(IntegrityAlgorithm::HmacSha256_128), HashAlgorithm::Sha256);
  EXPECT_EQ(crypto::integrity_key_length(IntegrityAlgorithm::HmacSha256_128), 32u);
  EXPECT_EQ(crypto::integrity_icv_length(IntegrityAlgorithm::HmacSha256_128), 16u);
  EXPECT_EQ(crypto::integrity_hash(IntegrityAlgorithm::HmacSha384_192), HashAlgorithm::Sha384);
  EXPECT_EQ(crypto::integrity_key_length(IntegrityAlgorithm::HmacSha384_192), 48u);
  EXPECT_EQ(crypto::integrity_icv_length(IntegrityAlgorithm::HmacSha384_192), 24u);
  EXPECT_EQ(crypto::integrity_hash(IntegrityAlgorithm::HmacSha512_256), HashAlgorithm::Sha512);
  EXPECT_EQ(crypto::integrity_key_length(IntegrityAlgorithm::HmacSha512_256), 64u);
  EXPECT_EQ(crypto::integrity_icv_length(IntegrityAlgorithm::HmacSha512_256), 32u);
}

TEST(Rfc4868IntegrityTransforms, HmacSha256_128_Auth256Cases) {
  check_rfc4868(IntegrityAlgorithm::HmacSha256_128, auth256_cases());
}

TEST(Rfc4868IntegrityTransforms, HmacSha384_192_Auth384Cases) {
  check_rfc4868(IntegrityAlgorithm::HmacSha384_192, auth384_cases());
}

TEST(Rfc4868IntegrityTransforms, HmacSha512_256_Auth512Cases) {
  check_rfc4868(IntegrityAlgorithm::HmacSha512_256, auth512_cases());
}

}  // namespace
}  // namespace cygnet
