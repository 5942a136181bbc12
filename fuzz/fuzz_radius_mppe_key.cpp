// libFuzzer target: MS-MPPE-Send/Recv-Key decryption (RFC 2548 §2.4.2), which reads attribute
// values a RADIUS server sends. Input: a 16-byte Request Authenticator, then the attribute value;
// the secret is fixed (the seed is the unit test's known answer under it). Whatever decrypts
// re-encrypts, with the same salt, to the same bytes when the padding is the minimal one.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "base/bytes.hpp"
#include "crypto/radius_mppe_key.hpp"

namespace {

using namespace cygnet;

void check(bool condition) {
  if (!condition) std::abort();
}

constexpr std::string_view kSecret = "cygnet-kat-secret";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < crypto::kRadiusAuthenticatorLength) return 0;
  const ByteView input(data, size);
  const ByteView authenticator = input.first(crypto::kRadiusAuthenticatorLength);
  const ByteView value = input.subspan(crypto::kRadiusAuthenticatorLength);
  const ByteView secret(reinterpret_cast<const std::uint8_t*>(kSecret.data()), kSecret.size());
  const auto key = crypto::decrypt_mppe_key(value, secret, authenticator);
  if (!key) return 0;
  check(!key->empty() && key->size() + 1 <= value.size() - 2);
  const std::size_t minimal = (key->size() + 1 + 15) / 16 * 16;
  if (value.size() - 2 != minimal) return 0;
  const auto salt = static_cast<std::uint16_t>(((value[0] & 0x7f) << 8) | value[1]);
  const Bytes again = crypto::encrypt_mppe_key(key->view(), secret, authenticator, salt);
  check(again == Bytes(value.begin(), value.end()));
  return 0;
}
