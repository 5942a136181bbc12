// Known answers from RFC 2759 §9.2 (MS-CHAPv2) and RFC 3079 §3.5.3 (128-bit MPPE keys), which
// share one example: user "User", password "clientPass".
#include "crypto/mschapv2.hpp"

#include <gtest/gtest.h>

#include <string_view>

#include "crypto/error.hpp"
#include "crypto/legacy_algorithms.hpp"

namespace cygnet::crypto::mschapv2 {
namespace {

ByteView text(std::string_view s) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

const Bytes kAuthenticatorChallenge = from_hex("5B5D7C7D7B3F2F3E3C2C602132262628");
const Bytes kPeerChallenge = from_hex("21402324255E262A28295F2B3A337C7E");
const Bytes kNtResponse = from_hex("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF");

SecureBytes client_pass_hash() {
  return *nt_password_hash(text("clientPass"));
}

TEST(Md4, Rfc1320Vectors) {
  EXPECT_EQ(to_hex(md4(text("")).view()), "31d6cfe0d16ae931b73c59d7e0c089c0");
  EXPECT_EQ(to_hex(md4(text("abc")).view()), "a448017aaf21d8525fc10ae87aa6729d");
}

TEST(MsChapV2, Rfc2759PasswordHashes) {
  EXPECT_EQ(to_hex(client_pass_hash().view()), "44ebba8d5312b8d611474411f56989ae");
  EXPECT_EQ(to_hex(hash_nt_password_hash(client_pass_hash().view()).view()),
            "41c00c584bd2d91c4017a2a12fa59f3f");
}

TEST(MsChapV2, Rfc2759ChallengeHash) {
  EXPECT_EQ(to_hex(challenge_hash(kPeerChallenge, kAuthenticatorChallenge, "User")), "d02e4386bce91226");
  // The domain prefix is not part of the hashed name (§8.2).
  EXPECT_EQ(challenge_hash(kPeerChallenge, kAuthenticatorChallenge, "EXAMPLE\\User"),
            challenge_hash(kPeerChallenge, kAuthenticatorChallenge, "User"));
}

TEST(MsChapV2, Rfc2759NtResponse) {
  const NtResponse response =
      generate_nt_response(kAuthenticatorChallenge, kPeerChallenge, "User", client_pass_hash().view());
  EXPECT_EQ(Bytes(response.begin(), response.end()), kNtResponse);
}

TEST(MsChapV2, Rfc2759AuthenticatorResponse) {
  EXPECT_EQ(generate_authenticator_response(client_pass_hash().view(), kNtResponse, kPeerChallenge,
                                            kAuthenticatorChallenge, "User"),
            "S=407A5589115FD0D6209F510FE9C04566932CDA56");
}

TEST(MsChapV2, WrongPasswordGivesADifferentResponse) {
  const NtResponse response = generate_nt_response(kAuthenticatorChallenge, kPeerChallenge, "User",
                                                   nt_password_hash(text("clientPasS"))->view());
  EXPECT_NE(Bytes(response.begin(), response.end()), kNtResponse);
}

TEST(MsChapV2, Rfc3079MasterAndSendKeys) {
  const SecureBytes master = master_key(hash_nt_password_hash(client_pass_hash().view()).view(), kNtResponse);
  EXPECT_EQ(to_hex(master.view()), "fdece3717a8c838cb388e527ae3cdd31");
  // §3.5.3 derives the server's send key: GetAsymmetricStartKey(MasterKey, 16, TRUE, TRUE).
  EXPECT_EQ(to_hex(asymmetric_start_key(master.view(), true, true).view()),
            "8b7cdc149b993a1ba118cb153f56dccb");
  // The client's receive key is the server's send key.
  EXPECT_EQ(asymmetric_start_key(master.view(), false, false).view().size(), 16u);
  EXPECT_EQ(to_hex(asymmetric_start_key(master.view(), false, false).view()),
            to_hex(asymmetric_start_key(master.view(), true, true).view()));
  EXPECT_EQ(to_hex(asymmetric_start_key(master.view(), true, false).view()),
            to_hex(asymmetric_start_key(master.view(), false, true).view()));
}

TEST(MsChapV2, MskIsClientSendKeyThenClientReceiveKey) {
  const SecureBytes key = msk(client_pass_hash().view(), kNtResponse);
  ASSERT_EQ(key.size(), kMskLength);
  // Client send key (Magic2), as wpa_supplicant and strongSwan compute it for this example.
  EXPECT_EQ(to_hex(key.view()),
            "d5f0e9521e3ea9589645e86051c82226"
            "8b7cdc149b993a1ba118cb153f56dccb");
}

TEST(MsChapV2, PasswordsAreUtf8AsUtf16) {
  // U+00E9 is 0xE9 0x00 in UTF-16LE, same as the Latin-1 byte widened.
  EXPECT_EQ(to_hex(nt_password_hash(text("caf\xc3\xa9"))->view()),
            to_hex(md4(from_hex("630061006600e900")).view()));
  // U+1F600 becomes the surrogate pair D83D DE00.
  EXPECT_EQ(to_hex(nt_password_hash(text("\xf0\x9f\x98\x80"))->view()),
            to_hex(md4(from_hex("3dd800de")).view()));
}

TEST(MsChapV2, InvalidOrOverlongPasswordsAreRefused) {
  EXPECT_FALSE(nt_password_hash(text("\xc3")));          // truncated sequence
  EXPECT_FALSE(nt_password_hash(text("\xc0\xaf")));      // overlong '/'
  EXPECT_FALSE(nt_password_hash(text("\xed\xa0\x80")));  // a lone surrogate
  EXPECT_FALSE(nt_password_hash(text("\xff")));
  EXPECT_TRUE(nt_password_hash(text(std::string(256, 'a'))));
  EXPECT_FALSE(nt_password_hash(text(std::string(257, 'a'))));
}

TEST(MsChapV2, WrongLengthsThrowInsteadOfReadingPastTheEnd) {
  EXPECT_THROW(challenge_hash(Bytes(15), kAuthenticatorChallenge, "User"), CryptoError);
  EXPECT_THROW(challenge_response(Bytes(8), Bytes(15)), CryptoError);
  EXPECT_THROW(master_key(Bytes(16), Bytes(23)), CryptoError);
}

}  // namespace
}  // namespace cygnet::crypto::mschapv2
