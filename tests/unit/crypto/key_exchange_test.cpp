// Diffie-Hellman for IKE: published known answers (RFC 5903 §8, RFC 7748 §6), agreement between
// two fresh parties for every group, and refusal of malformed or weak peer public values.
#include "crypto/key_exchange.hpp"

#include <gtest/gtest.h>
#include <openssl/bn.h>

#include <memory>
#include <string>

#include "crypto/error.hpp"

namespace cygnet::crypto {
namespace {

Bytes hex(std::string_view text) {
  Bytes out = from_hex(text);
  EXPECT_FALSE(out.empty()) << "bad hex constant";
  return out;
}

Bytes concat(const Bytes& a, const Bytes& b) {
  Bytes out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// ---- RFC 5903 §8: ECP known answers (x | y public values, x-only shared secret) ----------------

struct EcpVector {
  DhGroup group;
  const char* i;
  const char* gix;
  const char* giy;
  const char* r;
  const char* grx;
  const char* gry;
  const char* girx;
};

// RFC 5903 §8.1 (256-bit random ECP group), §8.2 (384-bit), §8.3 (521-bit), copied from the RFC
// text: initiator private i, g^i = (gix, giy), responder private r, g^r = (grx, gry), g^ir x.
const EcpVector kRfc5903[] = {
    {DhGroup::Ecp256, "C88F01F5 10D9AC3F 70A292DA A2316DE5 44E9AAB8 AFE84049 C62A9C57 862D1433",
     "DAD0B653 94221CF9 B051E1FE CA5787D0 98DFE637 FC90B9EF 945D0C37 72581180",
     "5271A046 1CDB8252 D61F1C45 6FA3E59A B1F45B33 ACCF5F58 389E0577 B8990BB3",
     "C6EF9C5D 78AE012A 011164AC B397CE20 88685D8F 06BF9BE0 B283AB46 476BEE53",
     "D12DFB52 89C8D4F8 1208B702 70398C34 2296970A 0BCCB74C 736FC755 4494BF63",
     "56FBF3CA 366CC23E 8157854C 13C58D6A AC23F046 ADA30F83 53E74F33 039872AB",
     "D6840F6B 42F6EDAF D13116E0 E1256520 2FEF8E9E CE7DCE03 812464D0 4B9442DE"},
    {DhGroup::Ecp384,
     "099F3C70 34D4A2C6 99884D73 A375A67F 7624EF7C 6B3C0F16 0647B674 14DCE655"
     "E35B5380 41E649EE 3FAEF896 783AB194",
     "667842D7 D180AC2C DE6F74F3 7551F557 55C7645C 20EF73E3 1634FE72 B4C55EE6"
     "DE3AC808 ACB4BDB4 C88732AE E95F41AA",
     "9482ED1F C0EEB9CA FC498462 5CCFC23F 65032149 E0E144AD A0241815 35A0F38E"
     "EB9FCFF3 C2C947DA E69B4C63 4573A81C",
     "41CB0779 B4BDB85D 47846725 FBEC3C94 30FAB46C C8DC5060 855CC9BD A0AA2942"
     "E0308312 916B8ED2 960E4BD5 5A7448FC",
     "E558DBEF 53EECDE3 D3FCCFC1 AEA08A89 A987475D 12FD950D 83CFA417 32BC509D"
     "0D1AC43A 0336DEF9 6FDA41D0 774A3571",
     "DCFBEC7A ACF31964 72169E83 8430367F 66EEBE3C 6E70C416 DD5F0C68 759DD1FF"
     "F83FA401 42209DFF 5EAAD96D B9E6386C",
     "11187331 C279962D 93D60424 3FD592CB 9D0A926F 422E4718 7521287E 7156C5C4"
     "D6031355 69B9E9D0 9CF5D4A2 70F59746"},
    {DhGroup::Ecp521,
     "0037ADE9 319A89F4 DABDB3EF 411AACCC A5123C61 ACAB57B5 393DCE47 608172A0"
     "95AA85A3 0FE1C295 2C6771D9 37BA9777 F5957B26 39BAB072 462F68C2 7A57382D"
     "4A52",
     "0015417E 84DBF28C 0AD3C278 713349DC 7DF153C8 97A1891B D98BAB43 57C9ECBE"
     "E1E3BF42 E00B8E38 0AEAE57C 2D107564 94188594 2AF5A7F4 601723C4 195D176C"
     "ED3E",
     "017CAE20 B6641D2E EB695786 D8C94614 6239D099 E18E1D5A 514C739D 7CB4A10A"
     "D8A78801 5AC405D7 799DC75E 7B7D5B6C F2261A6A 7F150743 8BF01BEB 6CA3926F"
     "9582",
     "0145BA99 A847AF43 793FDD0E 872E7CDF A16BE30F DC780F97 BCCC3F07 8380201E"
     "9C677D60 0B343757 A3BDBF2A 3163E4C2 F869CCA7 458AA4A4 EFFC311F 5CB15168"
     "5EB9",
     "00D0B397 5AC4B799 F5BEA16D 5E13E9AF 971D5E9B 984C9F39 728B5E57 39735A21"
     "9B97C356 436ADC6E 95BB0352 F6BE64A6 C2912D4E F2D0433C ED2B6171 640012D9"
     "460F",
     "015C6822 6383956E 3BD066E7 97B623C2 7CE0EAC2 F551A10C 2C724D98 52077B87"
     "220B6536 C5C408A1 D2AEBB8E 86D678AE 49CB5709 1F473229 6579AB44 FCD17F0F"
     "C56A",
     "01144C7D 79AE6956 BC8EDB8E 7C787C45 21CB086F A64407F9 7894E5E6 B2D79B04"
     "D1427E73 CA4BAA24 0A347868 59810C06 B3C715A3 A8CC3151 F2BEE417 996D19F3"
     "DDEA"},
};

TEST(KeyExchangeKnownAnswer, Rfc5903EcpGroups) {
  for (const EcpVector& v : kRfc5903) {
    SCOPED_TRACE(dh_group_name(v.group));
    KeyExchange initiator(v.group, hex(v.i));
    KeyExchange responder(v.group, hex(v.r));
    const Bytes gi = concat(hex(v.gix), hex(v.giy));
    const Bytes gr = concat(hex(v.grx), hex(v.gry));
    // RFC 5903 §7: the KE payload carries x | y, no SEC 1 0x04 prefix.
    EXPECT_EQ(to_hex(initiator.public_value()), to_hex(gi));
    EXPECT_EQ(to_hex(responder.public_value()), to_hex(gr));
    EXPECT_EQ(initiator.public_value().size(), dh_public_length(v.group));

    std::optional<SecureBytes> at_initiator = initiator.compute_shared_secret(gr);
    std::optional<SecureBytes> at_responder = responder.compute_shared_secret(gi);
    ASSERT_TRUE(at_initiator.has_value());
    ASSERT_TRUE(at_responder.has_value());
    EXPECT_EQ(to_hex(at_initiator->view()), to_hex(hex(v.girx)));  // x coordinate only
    EXPECT_EQ(to_hex(at_responder->view()), to_hex(hex(v.girx)));
  }
}

// RFC 7748 §6.1: Alice and Bob's X25519 keys and their shared secret K.
TEST(KeyExchangeKnownAnswer, Rfc7748X25519) {
  KeyExchange alice(DhGroup::Curve25519,
                    hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
  KeyExchange bob(DhGroup::Curve25519,
                  hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
  EXPECT_EQ(to_hex(alice.public_value()), "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  EXPECT_EQ(to_hex(bob.public_value()), "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  const char* k = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
  std::optional<SecureBytes> at_alice = alice.compute_shared_secret(bob.public_value());
  std::optional<SecureBytes> at_bob = bob.compute_shared_secret(alice.public_value());
  ASSERT_TRUE(at_alice && at_bob);
  EXPECT_EQ(to_hex(at_alice->view()), k);
  EXPECT_EQ(to_hex(at_bob->view()), k);
}

// RFC 7748 §6.2: the same exchange over Curve448.
TEST(KeyExchangeKnownAnswer, Rfc7748X448) {
  KeyExchange alice(DhGroup::Curve448, hex("9a8f4925d1519f5775cf46b04b5800d4ee9ee8bae8bc5565d498c28d"
                                           "d9c9baf574a9419744897391006382a6f127ab1d9ac2d8c0a598726b"));
  KeyExchange bob(DhGroup::Curve448, hex("1c306a7ac2a0e2e0990b294470cba339e6453772b075811d8fad0d1d"
                                         "6927c120bb5ee8972b0d3e21374c9c921b09d1b0366f10b65173992d"));
  EXPECT_EQ(to_hex(alice.public_value()),
            "9b08f7cc31b7e3e67d22d5aea121074a273bd2b83de09c63faa73d2c"
            "22c5d9bbc836647241d953d40c5b12da88120d53177f80e532c41fa0");
  EXPECT_EQ(to_hex(bob.public_value()),
            "3eb7a829b0cd20f5bcfc0b599b6feccf6da4627107bdb0d4f345b430"
            "27d8b972fc3e34fb4232a13ca706dcb57aec3dae07bdc1c67bf33609");
  const char* k =
      "07fff4181ac6cc95ec1c16a94a0f74d12da232ce40a77552281d282b"
      "b60c0b56fd2464c335543936521c24403085d59a449a5037514a879d";
  std::optional<SecureBytes> at_alice = alice.compute_shared_secret(bob.public_value());
  std::optional<SecureBytes> at_bob = bob.compute_shared_secret(alice.public_value());
  ASSERT_TRUE(at_alice && at_bob);
  EXPECT_EQ(to_hex(at_alice->view()), k);
  EXPECT_EQ(to_hex(at_bob->view()), k);
}

// ---- Every group: two fresh parties agree --------------------------------------------------

const DhGroup kAllGroups[] = {DhGroup::Modp1024, DhGroup::Modp2048,   DhGroup::Modp3072,
                              DhGroup::Modp4096, DhGroup::Ecp256,     DhGroup::Ecp384,
                              DhGroup::Ecp521,   DhGroup::Curve25519, DhGroup::Curve448};

std::size_t expected_secret_length(DhGroup g) {
  switch (g) {
    case DhGroup::Ecp256: return 32;
    case DhGroup::Ecp384: return 48;
    case DhGroup::Ecp521: return 66;
    default: return dh_public_length(g);  // MODP: prime length; Montgomery: key length
  }
}

TEST(KeyExchange, BothSidesAgreeInEveryGroup) {
  for (DhGroup g : kAllGroups) {
    SCOPED_TRACE(dh_group_name(g));
    KeyExchange a(g);
    KeyExchange b(g);
    EXPECT_EQ(a.group(), g);
    EXPECT_EQ(a.public_value().size(), dh_public_length(g));
    EXPECT_NE(a.public_value(), b.public_value());  // fresh private keys
    std::optional<SecureBytes> sa = a.compute_shared_secret(b.public_value());
    std::optional<SecureBytes> sb = b.compute_shared_secret(a.public_value());
    ASSERT_TRUE(sa && sb);
    EXPECT_EQ(sa->size(), expected_secret_length(g));
    EXPECT_EQ(to_hex(sa->view()), to_hex(sb->view()));
  }
}

TEST(KeyExchange, MovedObjectKeepsItsKey) {
  KeyExchange a(DhGroup::Ecp256);
  KeyExchange b(DhGroup::Ecp256);
  const Bytes a_public = a.public_value();
  KeyExchange moved(std::move(a));
  EXPECT_EQ(moved.public_value(), a_public);
  std::optional<SecureBytes> s1 = moved.compute_shared_secret(b.public_value());
  std::optional<SecureBytes> s2 = b.compute_shared_secret(a_public);
  ASSERT_TRUE(s1 && s2);
  EXPECT_EQ(to_hex(s1->view()), to_hex(s2->view()));
}

TEST(KeyExchange, GroupIdsNamesAndLengths) {
  EXPECT_EQ(dh_group_from_id(2), DhGroup::Modp1024);
  EXPECT_EQ(dh_group_from_id(14), DhGroup::Modp2048);
  EXPECT_EQ(dh_group_from_id(15), DhGroup::Modp3072);
  EXPECT_EQ(dh_group_from_id(16), DhGroup::Modp4096);
  EXPECT_EQ(dh_group_from_id(19), DhGroup::Ecp256);
  EXPECT_EQ(dh_group_from_id(20), DhGroup::Ecp384);
  EXPECT_EQ(dh_group_from_id(21), DhGroup::Ecp521);
  EXPECT_EQ(dh_group_from_id(31), DhGroup::Curve25519);
  EXPECT_EQ(dh_group_from_id(32), DhGroup::Curve448);
  for (std::uint16_t unimplemented : {0, 1, 5, 17, 18, 22, 23, 24, 25, 26, 30, 33, 65535})
    EXPECT_FALSE(dh_group_from_id(unimplemented).has_value()) << unimplemented;

  EXPECT_STREQ(dh_group_name(DhGroup::Modp2048), "modp2048");
  EXPECT_STREQ(dh_group_name(DhGroup::Ecp384), "ecp384");
  EXPECT_STREQ(dh_group_name(DhGroup::Curve25519), "x25519");
  EXPECT_STREQ(dh_group_name(DhGroup::Curve448), "x448");

  EXPECT_EQ(dh_public_length(DhGroup::Modp1024), 128u);
  EXPECT_EQ(dh_public_length(DhGroup::Modp2048), 256u);
  EXPECT_EQ(dh_public_length(DhGroup::Modp3072), 384u);
  EXPECT_EQ(dh_public_length(DhGroup::Modp4096), 512u);
  EXPECT_EQ(dh_public_length(DhGroup::Ecp256), 64u);
  EXPECT_EQ(dh_public_length(DhGroup::Ecp384), 96u);
  EXPECT_EQ(dh_public_length(DhGroup::Ecp521), 132u);
  EXPECT_EQ(dh_public_length(DhGroup::Curve25519), 32u);
  EXPECT_EQ(dh_public_length(DhGroup::Curve448), 56u);
}

// ---- MODP: padding and the peer value range -------------------------------------------------

// The primes themselves, from OpenSSL's copies of RFC 2409 §6.2 and RFC 3526 §3-5.
Bytes modp_prime(DhGroup g) {
  std::unique_ptr<BIGNUM, decltype(&BN_free)> p(nullptr, &BN_free);
  switch (g) {
    case DhGroup::Modp1024: p.reset(BN_get_rfc2409_prime_1024(nullptr)); break;
    case DhGroup::Modp2048: p.reset(BN_get_rfc3526_prime_2048(nullptr)); break;
    case DhGroup::Modp3072: p.reset(BN_get_rfc3526_prime_3072(nullptr)); break;
    case DhGroup::Modp4096: p.reset(BN_get_rfc3526_prime_4096(nullptr)); break;
    default: break;
  }
  if (!p) return {};
  Bytes out(static_cast<std::size_t>(BN_num_bytes(p.get())));
  BN_bn2bin(p.get(), out.data());
  return out;
}

Bytes small_value(std::size_t length, std::uint8_t last) {
  Bytes out(length, 0);
  out.back() = last;
  return out;
}

const DhGroup kModpGroups[] = {DhGroup::Modp1024, DhGroup::Modp2048, DhGroup::Modp3072, DhGroup::Modp4096};

TEST(KeyExchangeModp, PublicValueAndSecretAreLeftPaddedToThePrimeLength) {
  for (DhGroup g : kModpGroups) {
    SCOPED_TRACE(dh_group_name(g));
    const std::size_t length = dh_public_length(g);
    // Private exponent 1: the public value is g = 2, and the secret is the peer's value itself —
    // both far shorter than the prime, so the padding is visible.
    KeyExchange fixed(g, Bytes{0x01});
    EXPECT_EQ(fixed.public_value(), small_value(length, 2));
    std::optional<SecureBytes> secret = fixed.compute_shared_secret(small_value(length, 4));  // 4 = 2^2
    ASSERT_TRUE(secret.has_value());
    EXPECT_EQ(Bytes(secret->view().begin(), secret->view().end()), small_value(length, 4));
  }
}

TEST(KeyExchangeModp, PeerValuesOutsideTheGroupAreRefused) {
  for (DhGroup g : kModpGroups) {
    SCOPED_TRACE(dh_group_name(g));
    KeyExchange kx(g);
    const std::size_t length = dh_public_length(g);
    const Bytes p = modp_prime(g);
    ASSERT_EQ(p.size(), length);
    Bytes p_minus_1 = p;
    p_minus_1.back() -= 1;  // the primes end in 0xff…ff
    Bytes p_minus_2 = p;
    p_minus_2.back() -= 2;
    Bytes above_p(length, 0xff);

    EXPECT_FALSE(kx.compute_shared_secret(small_value(length, 0)));  // 0
    EXPECT_FALSE(kx.compute_shared_secret(small_value(length, 1)));  // 1: secret would be 1
    EXPECT_FALSE(kx.compute_shared_secret(p_minus_1));               // p-1: secret would be ±1
    EXPECT_FALSE(kx.compute_shared_secret(p));
    EXPECT_FALSE(kx.compute_shared_secret(above_p));
    // -2 is a quadratic non-residue mod these safe primes: outside the order-q subgroup that
    // g = 2 generates, so OpenSSL's SP 800-56A full public-key check refuses it. Legacy group 2
    // gets the range check only (RFC 6989 §2.1 requires no more for safe primes; OpenSSL 3.0.22
    // will not derive against a peer key with a q our own group 2 key cannot carry).
    if (g != DhGroup::Modp1024) {
      EXPECT_FALSE(kx.compute_shared_secret(p_minus_2));
    }

    // Lengths: one byte short, one byte long (even when the extra byte is a leading zero), empty.
    Bytes valid = KeyExchange(g).public_value();
    ASSERT_TRUE(kx.compute_shared_secret(valid).has_value());
    Bytes shorter(valid.begin() + 1, valid.end());
    Bytes longer = valid;
    longer.insert(longer.begin(), 0x00);
    EXPECT_FALSE(kx.compute_shared_secret(shorter));
    EXPECT_FALSE(kx.compute_shared_secret(longer));
    EXPECT_FALSE(kx.compute_shared_secret(Bytes{}));
  }
}

TEST(KeyExchangeModp, TestConstructorRefusesAnOutOfRangeExponent) {
  EXPECT_THROW(KeyExchange(DhGroup::Modp2048, Bytes{0x00}), CryptoError);
  EXPECT_THROW(KeyExchange(DhGroup::Modp2048, modp_prime(DhGroup::Modp2048)), CryptoError);
}

// ---- ECP and Montgomery: malformed points --------------------------------------------------

TEST(KeyExchangeEcp, PointNotOnTheCurveIsRefused) {
  for (const EcpVector& v : kRfc5903) {
    SCOPED_TRACE(dh_group_name(v.group));
    KeyExchange kx(v.group, hex(v.i));
    Bytes gr = concat(hex(v.grx), hex(v.gry));
    ASSERT_TRUE(kx.compute_shared_secret(gr).has_value());
    Bytes off_curve = gr;
    off_curve.back() ^= 0x01;  // same x, a y that does not satisfy the curve equation
    EXPECT_FALSE(kx.compute_shared_secret(off_curve));
    EXPECT_FALSE(kx.compute_shared_secret(Bytes(gr.size(), 0x00)));  // (0, 0) is not a point
    EXPECT_FALSE(kx.compute_shared_secret(Bytes(gr.size(), 0xff)));  // coordinates beyond p
  }
}

TEST(KeyExchangeEcp, WrongLengthAndSec1PrefixAreRefused) {
  const EcpVector& v = kRfc5903[0];
  KeyExchange kx(v.group, hex(v.i));
  Bytes gr = concat(hex(v.grx), hex(v.gry));
  Bytes with_prefix = gr;
  with_prefix.insert(with_prefix.begin(), 0x04);  // SEC 1 form: not the IKE encoding
  EXPECT_FALSE(kx.compute_shared_secret(with_prefix));
  EXPECT_FALSE(kx.compute_shared_secret(ByteView(gr).first(gr.size() - 1)));
  EXPECT_FALSE(kx.compute_shared_secret(hex(v.grx)));  // x alone (compressed-style)
}

TEST(KeyExchangeEcp, TestConstructorRefusesAWrongLengthScalar) {
  EXPECT_THROW(KeyExchange(DhGroup::Ecp256, Bytes(31, 0x01)), CryptoError);
  EXPECT_THROW(KeyExchange(DhGroup::Ecp384, Bytes(32, 0x01)), CryptoError);
}

TEST(KeyExchangeMontgomery, SmallOrderPeerValueYieldsNoSecret) {
  // RFC 7748 §6: an all-zero output (here from the all-zero, small-order u) must be refused.
  KeyExchange x25519(DhGroup::Curve25519);
  EXPECT_FALSE(x25519.compute_shared_secret(Bytes(32, 0x00)));
  Bytes u_one(32, 0x00);
  u_one[0] = 0x01;  // u = 1 (little-endian) also has small order
  EXPECT_FALSE(x25519.compute_shared_secret(u_one));
  KeyExchange x448(DhGroup::Curve448);
  EXPECT_FALSE(x448.compute_shared_secret(Bytes(56, 0x00)));
}

TEST(KeyExchangeMontgomery, WrongLengthsAreRefused) {
  KeyExchange x25519(DhGroup::Curve25519);
  KeyExchange peer(DhGroup::Curve25519);
  Bytes longer = peer.public_value();
  longer.push_back(0x00);
  EXPECT_FALSE(x25519.compute_shared_secret(longer));
  EXPECT_FALSE(x25519.compute_shared_secret(ByteView(peer.public_value()).first(31)));
  EXPECT_FALSE(x25519.compute_shared_secret(KeyExchange(DhGroup::Curve448).public_value()));
  EXPECT_THROW(KeyExchange(DhGroup::Curve25519, Bytes(31, 0x01)), CryptoError);
}

}  // namespace
}  // namespace cygnet::crypto
