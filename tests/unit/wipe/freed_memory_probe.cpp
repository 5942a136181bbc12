#include "unit/wipe/freed_memory_probe.hpp"

#include <openssl/crypto.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

namespace cygnet::test::freed_memory {
namespace {

// Every block carries its size in a 16-byte prefix (keeps malloc's 16-byte alignment), so the
// probe knows how much to scan when it is freed.
constexpr std::size_t kPrefix = 16;
constexpr std::size_t kWindow = 16;
constexpr std::size_t kMaxPatterns = 128;

struct Pattern {
  std::array<std::uint8_t, kWindow> bytes{};
  std::size_t size = 0;
};
std::array<Pattern, kMaxPatterns> g_patterns;
std::size_t g_pattern_count = 0;
bool g_armed = false;
bool g_in_probe = false;
Findings g_findings;
char g_first[96] = {};
bool g_openssl_hooked = false;

void* allocate(std::size_t n) {
  auto* base = static_cast<unsigned char*>(std::malloc(n + kPrefix));
  if (!base) return nullptr;
  std::memcpy(base, &n, sizeof n);
  return base + kPrefix;
}

void scan(const unsigned char* p, std::size_t n, const char* via) {
  if (!g_armed || g_in_probe || n == 0) return;
  g_in_probe = true;
  ++g_findings.blocks_scanned;
  for (std::size_t i = 0; i < g_pattern_count; ++i) {
    const Pattern& pattern = g_patterns[i];
    if (pattern.size == 0 || pattern.size > n) continue;
    if (memmem(p, n, pattern.bytes.data(), pattern.size) != nullptr) {
      if (g_findings.blocks_with_secret++ == 0)
        std::snprintf(g_first, sizeof g_first, "%zu-byte block via %s, pattern %zu", n, via, i);
      break;
    }
  }
  g_in_probe = false;
}

void release(void* p, const char* via) {
  if (!p) return;
  auto* base = static_cast<unsigned char*>(p) - kPrefix;
  std::size_t n = 0;
  std::memcpy(&n, base, sizeof n);
  scan(static_cast<unsigned char*>(p), n, via);
  std::free(base);
}

void* reallocate(void* p, std::size_t n, const char* via) {
  if (!p) return allocate(n);
  std::size_t old = 0;
  std::memcpy(&old, static_cast<unsigned char*>(p) - kPrefix, sizeof old);
  void* fresh = allocate(n);
  if (!fresh) return nullptr;
  std::memcpy(fresh, p, old < n ? old : n);
  release(p, via);
  return fresh;
}

void* openssl_malloc(std::size_t n, const char*, int) {
  return allocate(n);
}
void* openssl_realloc(void* p, std::size_t n, const char*, int) {
  return reallocate(p, n, "OpenSSL realloc");
}
void openssl_free(void* p, const char*, int) {
  release(p, "OpenSSL free");
}

// Before main (and before OpenSSL's first allocation), so every OpenSSL block goes through here.
__attribute__((constructor(101))) void hook_openssl() {
  g_openssl_hooked = CRYPTO_set_mem_functions(openssl_malloc, openssl_realloc, openssl_free) == 1;
}

}  // namespace

void watch(ByteView secret) {
  if (g_pattern_count == kMaxPatterns || secret.empty()) return;
  Pattern& p = g_patterns[g_pattern_count++];
  p.size = secret.size() < kWindow ? secret.size() : kWindow;
  std::memcpy(p.bytes.data(), secret.data(), p.size);
}
void clear() {
  for (auto& p : g_patterns) OPENSSL_cleanse(p.bytes.data(), p.bytes.size());
  g_pattern_count = 0;
}
void arm() {
  g_findings = Findings{};
  g_first[0] = 0;
  g_armed = true;
}
void disarm() {
  g_armed = false;
}
Findings findings() {
  Findings f = g_findings;
  f.first = g_first;
  return f;
}
bool openssl_hooked() {
  return g_openssl_hooked;
}

}  // namespace cygnet::test::freed_memory

// The replaceable global allocation functions ([new.delete.single], [new.delete.array]).
void* operator new(std::size_t n) {
  if (void* p = cygnet::test::freed_memory::allocate(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  return operator new(n);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return cygnet::test::freed_memory::allocate(n);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return cygnet::test::freed_memory::allocate(n);
}
void operator delete(void* p) noexcept {
  cygnet::test::freed_memory::release(p, "operator delete");
}
void operator delete[](void* p) noexcept {
  cygnet::test::freed_memory::release(p, "operator delete[]");
}
void operator delete(void* p, std::size_t) noexcept {
  cygnet::test::freed_memory::release(p, "operator delete");
}
void operator delete[](void* p, std::size_t) noexcept {
  cygnet::test::freed_memory::release(p, "operator delete[]");
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  cygnet::test::freed_memory::release(p, "operator delete");
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  cygnet::test::freed_memory::release(p, "operator delete[]");
}
