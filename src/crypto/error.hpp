// Setup-time crypto failures (bad key length, unknown algorithm, OpenSSL failure) are exceptions;
// per-packet operations return bool and never throw.
#pragma once

#include <stdexcept>
#include <string>

namespace cygnet::crypto {

class CryptoError : public std::runtime_error {
 public:
  explicit CryptoError(const std::string& what);  // appends OpenSSL's error queue, then clears it
};

}  // namespace cygnet::crypto
