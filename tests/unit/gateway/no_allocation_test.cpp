// Proof that the gateway core's steady-state per-packet path does not touch the heap: a batch of
// cleartext packets through GatewayCore::on_tun_packet into a reused OutputBatch, and the
// resulting ESP packets through the peer's on_raw_packet, with the C++ and OpenSSL allocation
// counters armed (the counting machinery is the one of tests/unit/ipsec/no_allocation_test.cpp).
#include <gtest/gtest.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <new>
#include <optional>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "base/bytes.hpp"
#include "base/time.hpp"
#include "crypto/hmac.hpp"
#include "crypto/secure_bytes.hpp"
#include "gateway/gateway_core.hpp"
#include "ipsec/esp.hpp"
#include "ipsec/packet_result.hpp"
#include "ipsec/security_association.hpp"
#include "two_cores.hpp"
#include "wire/byte_reader.hpp"
#include "wire/ip_address.hpp"
#include "wire/ip_packet.hpp"

// ------------------------------------------------------------------------------------- counters

namespace {

// Constant-initialised (no dynamic initialisation), so usable from the earliest constructor.
std::atomic<bool> g_armed{false};
std::atomic<std::uint64_t> g_cxx_allocations{0};
std::atomic<std::uint64_t> g_openssl_allocations{0};  // malloc + realloc calls
bool g_openssl_hook_installed = false;

void count_cxx() {
  if (g_armed.load(std::memory_order_relaxed)) g_cxx_allocations.fetch_add(1, std::memory_order_relaxed);
}

void* cxx_allocate(std::size_t size) {
  count_cxx();
  if (size == 0) size = 1;
  return std::malloc(size);
}

void* cxx_allocate_aligned(std::size_t size, std::align_val_t alignment) {
  count_cxx();
  const auto align = static_cast<std::size_t>(alignment);
  if (size == 0) size = align;
  const std::size_t rounded = (size + align - 1) / align * align;  // aligned_alloc wants a multiple
  return std::aligned_alloc(align, rounded);
}

void* openssl_malloc(std::size_t size, const char* /*file*/, int /*line*/) {
  if (g_armed.load(std::memory_order_relaxed)) g_openssl_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size);
}

void* openssl_realloc(void* ptr, std::size_t size, const char* /*file*/, int /*line*/) {
  if (g_armed.load(std::memory_order_relaxed)) g_openssl_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::realloc(ptr, size);
}

// Out of line so the compiler does not pair an inlined free() with a new-expression and warn.
[[gnu::noinline]] void release(void* ptr) noexcept {
  std::free(ptr);
}

void openssl_free(void* ptr, const char* /*file*/, int /*line*/) {
  std::free(ptr);
}

// Priority 101: the first user constructor to run (0-100 are reserved for the implementation).
__attribute__((constructor(101))) void install_openssl_allocation_hook() {
  g_openssl_hook_installed = CRYPTO_set_mem_functions(openssl_malloc, openssl_realloc, openssl_free) == 1;
}

}  // namespace

// Replaceable global allocation functions ([new.delete]): all throwing, nothrow and aligned forms.
void* operator new(std::size_t size) {
  if (void* p = cxx_allocate(size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  if (void* p = cxx_allocate(size)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return cxx_allocate(size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return cxx_allocate(size);
}
void* operator new(std::size_t size, std::align_val_t alignment) {
  if (void* p = cxx_allocate_aligned(size, alignment)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size, std::align_val_t alignment) {
  if (void* p = cxx_allocate_aligned(size, alignment)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return cxx_allocate_aligned(size, alignment);
}
void* operator new[](std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return cxx_allocate_aligned(size, alignment);
}
void operator delete(void* p) noexcept {
  release(p);
}
void operator delete[](void* p) noexcept {
  release(p);
}
void operator delete(void* p, std::size_t) noexcept {
  release(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  release(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  release(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  release(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  release(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  release(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  release(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  release(p);
}
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  release(p);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  release(p);
}

namespace cygnet::gateway {
namespace {

struct AllocationCounts {
  std::uint64_t cxx = 0;
  std::uint64_t openssl = 0;
};

// Counts allocations made while it is alive. Nothing that may allocate for its own purposes
// (gtest assertions, streams) may run inside one.
class CountingScope {
 public:
  CountingScope() {
    g_cxx_allocations.store(0);
    g_openssl_allocations.store(0);
    g_armed.store(true);
  }
  ~CountingScope() { g_armed.store(false); }
  CountingScope(const CountingScope&) = delete;
  CountingScope& operator=(const CountingScope&) = delete;
  AllocationCounts counts() const { return {g_cxx_allocations.load(), g_openssl_allocations.load()}; }
};

constexpr const char* kHookFailure =
    "CRYPTO_set_mem_functions() returned 0: OpenSSL had already allocated before this test binary's "
    "priority-101 constructor ran, so OpenSSL's allocations cannot be counted and the no-allocation "
    "claim is unproven (look for a shared library or earlier constructor using OpenSSL)";

TEST(GatewayCoreNoAllocation, CountersCount) {
  ASSERT_TRUE(g_openssl_hook_installed) << kHookFailure;
  AllocationCounts counts;
  {
    CountingScope scope;
    auto* leak_check = new int(1);
    delete leak_check;
    counts = scope.counts();
  }
  EXPECT_EQ(counts.cxx, 1u);
}

// Packets per batch and batches measured; warm-up batches first (arena and vectors reach their size).
constexpr int kBatchSize = 64;
constexpr int kWarmUpBatches = 3;
constexpr int kMeasuredBatches = 16;

TEST(GatewayCoreNoAllocation, OutboundAndInboundBatchesAllocateNothing) {
  ASSERT_TRUE(g_openssl_hook_installed) << kHookFailure;
  test::TwoCores t;
  t.up_a();
  ASSERT_EQ(t.a->data_plane().sad().size(), 2u);
  const Bytes packet = test::inner_udp_packet("198.51.100.10", "203.0.113.10", 1400 - 28);
  OutputBatch out_a;
  OutputBatch out_b;
  std::uint64_t delivered = 0;
  auto run_batch = [&] {
    out_a.clear();
    for (int i = 0; i < kBatchSize; ++i) t.a->on_tun_packet(packet, t.now, out_a);
    out_b.clear();
    for (const OutputPacket& p : out_a.packets()) t.b->on_raw_packet(out_a.bytes(p), t.now, out_b);
    delivered += out_b.packets().size();
  };
  for (int i = 0; i < kWarmUpBatches; ++i) run_batch();
  AllocationCounts counts;
  delivered = 0;
  {
    CountingScope scope;
    for (int i = 0; i < kMeasuredBatches; ++i) run_batch();
    counts = scope.counts();
  }
  EXPECT_EQ(delivered, static_cast<std::uint64_t>(kBatchSize * kMeasuredBatches));
  EXPECT_EQ(counts.cxx, 0u) << "C++ allocations on the core's per-packet path";
  EXPECT_EQ(counts.openssl, 0u) << "OpenSSL allocations on the core's per-packet path";
}

}  // namespace
}  // namespace cygnet::gateway
