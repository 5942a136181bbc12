#include "crypto/radius_mppe_key.hpp"

#include <openssl/evp.h>

#include <array>
#include <stdexcept>

#include "crypto/error.hpp"

namespace cygnet::crypto {
namespace {

constexpr std::size_t kBlock = 16;  // MD5 output, the RFC's chunk size
constexpr std::size_t kSaltLength = 2;

// b(i) = MD5(S + previous), where previous is R + A for the first block and c(i-1) after.
std::array<std::uint8_t, kBlock> chain_block(ByteView secret, ByteView previous_a, ByteView previous_b) {
  std::array<std::uint8_t, kBlock> out{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned int length = 0;
  const bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_md5(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, secret.data(), secret.size()) == 1 &&
                  EVP_DigestUpdate(ctx, previous_a.data(), previous_a.size()) == 1 &&
                  EVP_DigestUpdate(ctx, previous_b.data(), previous_b.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, out.data(), &length) == 1 && length == kBlock;
  EVP_MD_CTX_free(ctx);
  if (!ok) throw CryptoError("MD5 for the MS-MPPE key failed");
  return out;
}

}  // namespace

std::optional<SecureBytes> decrypt_mppe_key(ByteView value, ByteView secret, ByteView request_authenticator) {
  if (request_authenticator.size() != kRadiusAuthenticatorLength) return std::nullopt;
  if (value.size() < kSaltLength + kBlock || (value.size() - kSaltLength) % kBlock != 0) return std::nullopt;
  if ((value[0] & 0x80) == 0) return std::nullopt;  // RFC 2548: the salt's most significant bit is set
  const ByteView salt = value.first(kSaltLength);
  const ByteView cipher = value.subspan(kSaltLength);
  SecureBytes plain(cipher.size());
  for (std::size_t offset = 0; offset < cipher.size(); offset += kBlock) {
    const auto b = offset == 0 ? chain_block(secret, request_authenticator, salt)
                               : chain_block(secret, cipher.subspan(offset - kBlock, kBlock), {});
    for (std::size_t i = 0; i < kBlock; ++i) plain.mutable_view()[offset + i] = cipher[offset + i] ^ b[i];
  }
  const ByteView p = plain.view();
  const std::size_t key_length = p[0];
  if (key_length == 0 || key_length + 1 > p.size()) return std::nullopt;
  for (std::size_t i = key_length + 1; i < p.size(); ++i)
    if (p[i] != 0) return std::nullopt;
  return plain.slice(1, key_length);
}

Bytes encrypt_mppe_key(ByteView key, ByteView secret, ByteView request_authenticator, std::uint16_t salt) {
  if (key.empty() || key.size() > 255 || request_authenticator.size() != kRadiusAuthenticatorLength)
    throw std::invalid_argument("encrypt_mppe_key: key of 1 to 255 bytes and a 16-byte authenticator");
  Bytes plain(1 + key.size());
  plain[0] = static_cast<std::uint8_t>(key.size());
  std::copy(key.begin(), key.end(), plain.begin() + 1);
  plain.resize((plain.size() + kBlock - 1) / kBlock * kBlock, 0);
  Bytes out{static_cast<std::uint8_t>((salt >> 8) | 0x80), static_cast<std::uint8_t>(salt & 0xff)};
  for (std::size_t offset = 0; offset < plain.size(); offset += kBlock) {
    const auto b =
        offset == 0 ? chain_block(secret, request_authenticator, ByteView(out.data(), kSaltLength))
                    : chain_block(secret, ByteView(out.data() + kSaltLength + offset - kBlock, kBlock), {});
    for (std::size_t i = 0; i < kBlock; ++i) out.push_back(plain[offset + i] ^ b[i]);
  }
  secure_wipe(plain.data(), plain.size());
  return out;
}

}  // namespace cygnet::crypto
