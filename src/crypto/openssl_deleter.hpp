// Internal to src/crypto: unique_ptr deleters for OpenSSL objects, so every object has one owner
// and is freed on every path (e.g. std::unique_ptr<EVP_PKEY, OpenSslDeleter<&EVP_PKEY_free>>).
#pragma once

namespace cygnet::crypto::detail {

template <auto Free>
struct OpenSslDeleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};

}  // namespace cygnet::crypto::detail
