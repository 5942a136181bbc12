// A probe on every heap block this test binary frees — through operator delete (C++ containers,
// crypto::SecureBytes' WipingAllocator) and through OpenSSL's CRYPTO_free/CRYPTO_clear_free (cipher
// contexts, key schedules, EVP_PKEY internals) — looking for watched byte patterns (key material)
// still present at the moment of release. freed_memory_probe.cpp replaces the global allocation
// functions and installs OpenSSL's memory hooks before main; this binary holds nothing else.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/bytes.hpp"

namespace cygnet::test::freed_memory {

// Watches the first min(16, size) bytes of `secret` (copied into static storage, never the heap).
void watch(ByteView secret);
void clear();
// From now on, every freed block is scanned; counts restart.
void arm();
void disarm();

struct Findings {
  std::size_t blocks_scanned = 0;  // freed while armed
  std::size_t blocks_with_secret = 0;
  std::string first;  // "48-byte block via operator delete", for the failure message
};
Findings findings();

// True when OpenSSL accepted the hooks (they must be set before its first allocation).
bool openssl_hooked();

}  // namespace cygnet::test::freed_memory
