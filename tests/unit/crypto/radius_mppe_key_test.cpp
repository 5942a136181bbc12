// MS-MPPE-Send/Recv-Key decryption (RFC 2548 §2.4.2-2.4.3). RFC 2548 publishes no test vector; the
// known answer below was computed by an independent implementation (Python hashlib, the same
// construction tests/interop/ops/radius_forger.py uses), and the live test checks the keys
// FreeRADIUS sends against the MSK the EAP-MSCHAPv2 peer derives.
#include "crypto/radius_mppe_key.hpp"

#include <gtest/gtest.h>

#include <string_view>

namespace cygnet::crypto {
namespace {

Bytes range(std::uint8_t first, std::size_t count) {
  Bytes out(count);
  for (std::size_t i = 0; i < count; ++i) out[i] = static_cast<std::uint8_t>(first + i);
  return out;
}

Bytes from_hex(std::string_view hex) {
  Bytes out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

ByteView text(std::string_view s) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

const Bytes kRequestAuthenticator = range(0x10, 16);
const Bytes kKey = range(0xa0, 16);
constexpr std::string_view kSecret = "cygnet-kat-secret";
// salt 0x8123, then length 16 || key || 15 zero bytes, encrypted.
constexpr std::string_view kEncrypted =
    "8123b93737aac703b4d6ad6dc73189a2b8d1b86342ad7e32561868fb55d1b2ed849a";

TEST(RadiusMppeKey, DecryptsTheIndependentlyComputedKnownAnswer) {
  const auto key = decrypt_mppe_key(from_hex(kEncrypted), text(kSecret), kRequestAuthenticator);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(Bytes(key->view().begin(), key->view().end()), kKey);
}

TEST(RadiusMppeKey, EncryptMatchesTheKnownAnswerAndRoundTrips) {
  EXPECT_EQ(encrypt_mppe_key(kKey, text(kSecret), kRequestAuthenticator, 0x0123), from_hex(kEncrypted));
  const Bytes long_key = range(1, 32);  // two and more blocks: the chain continues over c(i-1)
  const Bytes value = encrypt_mppe_key(long_key, text(kSecret), kRequestAuthenticator, 0x7777);
  EXPECT_EQ(value.size(), 2u + 48u);
  const auto back = decrypt_mppe_key(value, text(kSecret), kRequestAuthenticator);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(Bytes(back->view().begin(), back->view().end()), long_key);
}

TEST(RadiusMppeKey, AnotherSecretDecryptsToNothing) {
  // Every block is keyed with the secret, so the 15 padding bytes come out as noise.
  EXPECT_FALSE(decrypt_mppe_key(from_hex(kEncrypted), text("another secret"), kRequestAuthenticator));
  EXPECT_FALSE(decrypt_mppe_key(from_hex(kEncrypted), text("cygnet-kat-secreT"), kRequestAuthenticator));
}

TEST(RadiusMppeKey, AnotherRequestAuthenticatorNeverYieldsTheKey) {
  // Only the first block depends on the Request Authenticator (the padding sits in the second),
  // so this may pass the length check, but never gives the key back.
  const auto key = decrypt_mppe_key(from_hex(kEncrypted), text(kSecret), range(0x11, 16));
  if (key) {
    EXPECT_NE(Bytes(key->view().begin(), key->view().end()), kKey);
  }
}

TEST(RadiusMppeKey, MalformedValuesAreRefused) {
  const Bytes good = from_hex(kEncrypted);
  Bytes no_salt_bit = good;
  no_salt_bit[0] &= 0x7f;
  EXPECT_FALSE(decrypt_mppe_key(no_salt_bit, text(kSecret), kRequestAuthenticator));
  EXPECT_FALSE(decrypt_mppe_key(ByteView(good).first(good.size() - 1), text(kSecret), kRequestAuthenticator));
  EXPECT_FALSE(decrypt_mppe_key(ByteView(good).first(2), text(kSecret), kRequestAuthenticator));
  EXPECT_FALSE(decrypt_mppe_key({}, text(kSecret), kRequestAuthenticator));
  EXPECT_FALSE(decrypt_mppe_key(good, text(kSecret), ByteView(kRequestAuthenticator).first(15)));
  Bytes flipped_padding = good;
  flipped_padding.back() ^= 1;  // the last padding byte no longer decrypts to zero
  EXPECT_FALSE(decrypt_mppe_key(flipped_padding, text(kSecret), kRequestAuthenticator));
}

}  // namespace
}  // namespace cygnet::crypto
