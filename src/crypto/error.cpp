#include "crypto/error.hpp"

#include <openssl/err.h>

namespace cygnet::crypto {

namespace {
std::string with_openssl_errors(const std::string& what) {
  std::string text = what;
  unsigned long code = 0;
  while ((code = ERR_get_error()) != 0) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    text += ": ";
    text += buffer;
  }
  return text;
}
}  // namespace

CryptoError::CryptoError(const std::string& what) : std::runtime_error(with_openssl_errors(what)) {}

}  // namespace cygnet::crypto
