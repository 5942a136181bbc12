// Proof that the steady-state ESP packet path does not touch the heap.
//
// Two counters, armed only around the packets under test:
//  - C++: every replaceable global operator new/delete form is replaced below (the replacement
//    applies to the whole test binary; it forwards to malloc/free and counts only while armed);
//  - OpenSSL: CRYPTO_set_mem_functions routes every OPENSSL_malloc/realloc/free through counting
//    wrappers. OpenSSL accepts that only before its first allocation, so it is installed from a
//    constructor function with the highest user priority (101), which runs before every C++ static
//    initialiser of the executable and long before main(): whether ctest runs each test in its own
//    process or the binary runs all tests (or a --gtest_filter subset) in one, the hook is in
//    place before any test code. If OpenSSL refuses it anyway (something allocated through OpenSSL
//    first, e.g. a shared library's load-time constructor), every test here FAILS saying so; and a
//    self-check proves both counters really count before any "zero allocations" claim is trusted.
//
// Per suite and mode: outbound + inbound SA, warm-up packets (first-use work such as OpenSSL's
// lazy DRBG set-up happens there), then 1000 packets encapsulated and decapsulated with both
// counters armed.
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
#include "ipsec/data_plane.hpp"
#include "ipsec/esp.hpp"
#include "ipsec/packet_batch.hpp"
#include "ipsec/packet_result.hpp"
#include "ipsec/security_association.hpp"
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

namespace cygnet::ipsec {
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

// ------------------------------------------------------------------------------ packet set-up

enum class Suite {
  Aes128Gcm16,
  Aes256Gcm16,
  ChaCha20Poly1305,
  Aes128Sha256,  // AES-128-CBC + HMAC-SHA256-128
  Aes256Sha384,  // AES-256-CBC + HMAC-SHA384-192
  Aes256Sha512,  // AES-256-CBC + HMAC-SHA512-256
  Aes128Sha1,    // AES-128-CBC + HMAC-SHA1-96
};

const char* suite_name(Suite s) {
  switch (s) {
    case Suite::Aes128Gcm16: return "aes128gcm16";
    case Suite::Aes256Gcm16: return "aes256gcm16";
    case Suite::ChaCha20Poly1305: return "chacha20poly1305";
    case Suite::Aes128Sha256: return "aes128-sha256";
    case Suite::Aes256Sha384: return "aes256-sha384";
    case Suite::Aes256Sha512: return "aes256-sha512";
    case Suite::Aes128Sha1: return "aes128-sha1";
  }
  return "?";
}

Bytes key_pattern(std::size_t n, std::uint8_t seed) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + 13 * i);
  return b;
}

wire::IpAddress address(const char* text) {
  return *wire::IpAddress::parse(text);
}

SaParameters parameters(Suite suite, Mode mode, Direction direction) {
  SaParameters p;
  p.spi = 0x4242;
  p.protocol = IpsecProtocol::Esp;
  p.mode = mode;
  p.direction = direction;
  const bool out = direction == Direction::Outbound;
  // Tunnel: gateway addresses; transport: the hosts the inner packet travels between.
  const char* a = mode == Mode::Tunnel ? "192.0.2.1" : "198.51.100.1";
  const char* b = mode == Mode::Tunnel ? "192.0.2.2" : "203.0.113.1";
  p.local_address = address(out ? a : b);
  p.remote_address = address(out ? b : a);
  std::optional<crypto::IntegrityAlgorithm> integrity;
  switch (suite) {
    case Suite::Aes128Gcm16:
      p.encryption = EncryptionTransform::aead_with(crypto::AeadAlgorithm::AesGcm128);
      break;
    case Suite::Aes256Gcm16:
      p.encryption = EncryptionTransform::aead_with(crypto::AeadAlgorithm::AesGcm256);
      break;
    case Suite::ChaCha20Poly1305:
      p.encryption = EncryptionTransform::aead_with(crypto::AeadAlgorithm::ChaCha20Poly1305);
      break;
    case Suite::Aes128Sha256:
      p.encryption = EncryptionTransform::cbc_with(crypto::CbcAlgorithm::AesCbc128);
      integrity = crypto::IntegrityAlgorithm::HmacSha256_128;
      break;
    case Suite::Aes256Sha384:
      p.encryption = EncryptionTransform::cbc_with(crypto::CbcAlgorithm::AesCbc256);
      integrity = crypto::IntegrityAlgorithm::HmacSha384_192;
      break;
    case Suite::Aes256Sha512:
      p.encryption = EncryptionTransform::cbc_with(crypto::CbcAlgorithm::AesCbc256);
      integrity = crypto::IntegrityAlgorithm::HmacSha512_256;
      break;
    case Suite::Aes128Sha1:
      p.encryption = EncryptionTransform::cbc_with(crypto::CbcAlgorithm::AesCbc128);
      integrity = crypto::IntegrityAlgorithm::HmacSha1_96;
      break;
  }
  p.encryption_key = crypto::SecureBytes(key_pattern(p.encryption.key_material_length(), 0x21));
  if (integrity) {
    p.integrity = integrity;
    p.integrity_key = crypto::SecureBytes(key_pattern(crypto::integrity_key_length(*integrity), 0x61));
  }
  p.name = std::string("no-alloc/") + suite_name(suite);
  return p;  // default replay window (1024) on the inbound side
}

// IPv4/UDP 198.51.100.1:4000 -> 203.0.113.1:4001 of `size` bytes (the same for tunnel and transport).
Bytes udp_packet(std::size_t size, std::uint8_t fill) {
  Bytes pkt(size, fill);
  wire::Ipv4HeaderFields h;
  h.source = address("198.51.100.1");
  h.destination = address("203.0.113.1");
  h.protocol = wire::ip_protocol::kUdp;
  h.total_length = static_cast<std::uint16_t>(size);
  wire::write_ipv4_header(pkt, h);
  std::uint8_t* udp = pkt.data() + wire::kIpv4MinHeaderLength;
  wire::store_be16(udp, 4000);
  wire::store_be16(udp + 2, 4001);
  wire::store_be16(udp + 4, static_cast<std::uint16_t>(size - wire::kIpv4MinHeaderLength));
  wire::store_be16(udp + 6, 0);
  return pkt;
}

constexpr std::size_t kWarmUpPackets = 8;
constexpr std::size_t kMeasuredPackets = 1000;

struct RunResult {
  AllocationCounts counts;
  std::size_t failures = 0;  // packets dropped or not round-tripped intact
  std::size_t round_trips = 0;
};

// Warm-up, then kMeasuredPackets round trips with the counters armed. All buffers exist before.
// `batched`: in PacketBatches of 32 packets, as a data-plane worker runs them (counts held per
// batch, packet_batch.hpp); the batch object exists before the counters are armed.
RunResult run(Suite suite, Mode mode, bool batched = false) {
  SecurityAssociation outbound(parameters(suite, mode, Direction::Outbound), TimePoint{});
  SecurityAssociation inbound(parameters(suite, mode, Direction::Inbound), TimePoint{});
  // Sizes cycle through small, odd (padding varies) and full-MTU packets.
  const std::vector<Bytes> packets = {udp_packet(64, 0xa5), udp_packet(333, 0x5a), udp_packet(1400, 0x3c)};
  Bytes wire_buffer(1500 + kMaxEncapsulationOverhead);
  Bytes clear_buffer(1500 + kMaxEncapsulationOverhead);
  const TimePoint now = TimePoint{} + Seconds{5};

  auto round_trip = [&](std::size_t i) {
    const Bytes& packet = packets[i % packets.size()];
    const PacketResult enc = esp_encapsulate(outbound, packet, wire_buffer, now);
    if (!enc.ok) return false;
    const ByteView sent(wire_buffer.data(), enc.length);
    const PacketResult dec = esp_decapsulate(inbound, sent, enc.protocol_offset, clear_buffer, now);
    return dec.ok && dec.length == packet.size() &&
           std::equal(packet.begin(), packet.end(), clear_buffer.begin() + 0);
  };

  RunResult result;
  for (std::size_t i = 0; i < kWarmUpPackets; ++i) {
    if (!round_trip(i)) ++result.failures;
  }
  PacketBatch batch;
  const PacketBatch::Use use(batch);  // collects only while open (batched runs)
  {
    CountingScope scope;
    for (std::size_t i = 0; i < kMeasuredPackets; ++i) {
      if (batched && i % 32 == 0) {
        batch.close();
        batch.open();
      }
      if (round_trip(i)) {
        ++result.round_trips;
      } else {
        ++result.failures;
      }
    }
    batch.close();
    result.counts = scope.counts();
  }
  if (batched && (outbound.traffic().packets != kWarmUpPackets + kMeasuredPackets ||
                  inbound.lifetime().packets() != kWarmUpPackets + kMeasuredPackets)) {
    ++result.failures;  // the held counts were not all added when the batches closed
  }
  return result;
}

std::string case_name(Suite suite, Mode mode) {
  return std::string(suite_name(suite)) + "/" + mode_name(mode);
}

// gtest names allow only letters, digits and '_': "aes128-sha256/tunnel" -> "aes128_sha256_tunnel".
std::string test_name(const ::testing::TestParamInfo<std::tuple<Suite, Mode>>& param_info) {
  std::string name = case_name(std::get<0>(param_info.param), std::get<1>(param_info.param));
  for (char& c : name) {
    if (c == '-' || c == '/') c = '_';
  }
  return name;
}

// ------------------------------------------------------------------------------------- tests

// Without these, "zero allocations" could be a counter that never counts.
TEST(NoAllocation, CountersSeeAllocations) {
  ASSERT_TRUE(g_openssl_hook_installed) << kHookFailure;
  AllocationCounts counts;
  {
    CountingScope scope;
    void* a = ::operator new(64);
    asm volatile("" : : "g"(a) : "memory");  // keeps the pair from being elided
    ::operator delete(a);
    void* b = OPENSSL_malloc(64);
    asm volatile("" : : "g"(b) : "memory");
    OPENSSL_free(b);
    counts = scope.counts();
  }
  EXPECT_EQ(counts.cxx, 1u) << "the operator new replacement is not in effect";
  EXPECT_EQ(counts.openssl, 1u) << "OpenSSL allocations are not routed through the counting hook";
}

class AeadNoAllocation : public ::testing::TestWithParam<std::tuple<Suite, Mode>> {};

// AEAD suites: nothing at all may allocate per packet, in Cygnet or in OpenSSL.
TEST_P(AeadNoAllocation, SteadyStateEncapAndDecapAllocateNothing) {
  ASSERT_TRUE(g_openssl_hook_installed) << kHookFailure;
  const auto [suite, mode] = GetParam();
  const RunResult r = run(suite, mode);
  ASSERT_EQ(r.failures, 0u) << case_name(suite, mode) << ": packets failed to round-trip";
  ASSERT_EQ(r.round_trips, kMeasuredPackets);
  EXPECT_EQ(r.counts.cxx, 0u) << case_name(suite, mode) << ": operator new called on the packet path";
  EXPECT_EQ(r.counts.openssl, 0u) << case_name(suite, mode) << ": OpenSSL allocated on the packet path";
}

// The same in batches (per-batch accounting, what the daemon's workers run).
TEST_P(AeadNoAllocation, BatchedEncapAndDecapAllocateNothing) {
  ASSERT_TRUE(g_openssl_hook_installed) << kHookFailure;
  const auto [suite, mode] = GetParam();
  const RunResult r = run(suite, mode, true);
  ASSERT_EQ(r.failures, 0u) << case_name(suite, mode) << ": packets failed to round-trip or were miscounted";
  ASSERT_EQ(r.round_trips, kMeasuredPackets);
  EXPECT_EQ(r.counts.cxx, 0u) << case_name(suite, mode) << ": operator new called on the packet path";
  EXPECT_EQ(r.counts.openssl, 0u) << case_name(suite, mode) << ": OpenSSL allocated on the packet path";
}

INSTANTIATE_TEST_SUITE_P(Suites, AeadNoAllocation,
                         ::testing::Combine(::testing::Values(Suite::Aes128Gcm16, Suite::Aes256Gcm16,
                                                              Suite::ChaCha20Poly1305),
                                            ::testing::Values(Mode::Tunnel, Mode::Transport)),
                         test_name);

class CbcHmacNoAllocation : public ::testing::TestWithParam<std::tuple<Suite, Mode>> {};

// CBC + HMAC suites: Cygnet itself must not allocate. OpenSSL 3.0 does, inside every HMAC: the
// re-initialisation with the scheduled key (EVP_MAC_init with a NULL key -> HMAC_Init_ex) and
// HMAC_Final each call EVP_MD_CTX_copy_ex, which frees the destination digest context and
// dupctx()s a new one (one OPENSSL_malloc in the digest provider, e.g. sha2_prov.c). Measured with
// OpenSSL 3.0.19: exactly 2 per HMAC computation, so 4 per encap+decap round trip; the CBC cipher
// and RAND_bytes (the per-packet IV) allocate nothing once warm. The count is reported (test
// property + stdout) and bounded by that known cost, so any further allocation fails the test; an
// OpenSSL that copies digest contexts in place reports 0, which the bound also accepts.
constexpr std::uint64_t kOpensslHmacAllocationsPerRoundTrip = 4;

TEST_P(CbcHmacNoAllocation, SteadyStateEncapAndDecapAllocateNothingInCygnet) {
  ASSERT_TRUE(g_openssl_hook_installed) << kHookFailure;
  const auto [suite, mode] = GetParam();
  const RunResult r = run(suite, mode);
  ASSERT_EQ(r.failures, 0u) << case_name(suite, mode) << ": packets failed to round-trip";
  ASSERT_EQ(r.round_trips, kMeasuredPackets);
  EXPECT_EQ(r.counts.cxx, 0u) << case_name(suite, mode) << ": operator new called on the packet path";

  const double per_packet = static_cast<double>(r.counts.openssl) / static_cast<double>(kMeasuredPackets);
  std::ostringstream text;
  text << per_packet;
  RecordProperty("openssl_allocations_per_round_trip", text.str());
  std::cout << "[ INFO     ] " << case_name(suite, mode) << ": " << r.counts.openssl
            << " OpenSSL allocations over " << kMeasuredPackets << " encap+decap round trips (" << per_packet
            << " per round trip, " << OpenSSL_version(OPENSSL_VERSION) << ")\n";
  EXPECT_LE(r.counts.openssl, kOpensslHmacAllocationsPerRoundTrip * kMeasuredPackets)
      << case_name(suite, mode) << ": OpenSSL allocates more than its known HMAC context copies";
}

INSTANTIATE_TEST_SUITE_P(Suites, CbcHmacNoAllocation,
                         ::testing::Combine(::testing::Values(Suite::Aes128Sha256, Suite::Aes256Sha384,
                                                              Suite::Aes256Sha512, Suite::Aes128Sha1),
                                            ::testing::Values(Mode::Tunnel, Mode::Transport)),
                         test_name);

// The whole outbound path of the data plane (parse, SPD index lookup, SAD, ESP) with 1000
// tunnels, traffic spread over all of them: the policy lookup allocates nothing either.
TEST(NoAllocation, OutboundThroughAThousandPoliciesAllocatesNothing) {
  ASSERT_TRUE(g_openssl_hook_installed) << kHookFailure;
  constexpr std::uint32_t kTunnels = 1000;
  // Tunnel t: host 198.51.100.(t % 200) <-> host 203.0.113.(t / 200), behind a default bypass.
  auto local_host = [](std::uint32_t t) { return 0xc6336400u + t % 200; };
  auto remote_host = [](std::uint32_t t) { return 0xcb007100u + t / 200; };
  DataPlane dp;
  Policy rest;
  rest.selector.local = AddressRange::any(wire::IpFamily::V4);
  rest.selector.remote = AddressRange::any(wire::IpFamily::V4);
  rest.action = PolicyAction::Bypass;
  rest.priority = 1000;
  dp.spd().add(rest);
  for (std::uint32_t t = 0; t < kTunnels; ++t) {
    Policy p;
    p.selector.local = AddressRange::from_prefix(wire::IpPrefix{wire::IpAddress::v4(local_host(t)), 32});
    p.selector.remote = AddressRange::from_prefix(wire::IpPrefix{wire::IpAddress::v4(remote_host(t)), 32});
    p.priority = 90;
    const PolicyId id = dp.spd().add(p);
    SaParameters params = parameters(Suite::Aes256Gcm16, Mode::Tunnel, Direction::Outbound);
    params.spi = 0x10000 + t;
    ASSERT_TRUE(
        dp.spd().bind_sa(id, dp.sad().add(std::make_unique<SecurityAssociation>(params, TimePoint{}))));
  }
  Bytes packet = udp_packet(333, 0x5a);
  Bytes out(packet.size() + kMaxEncapsulationOverhead);
  const TimePoint now = TimePoint{} + Seconds{5};
  auto send = [&](std::uint32_t t) {
    wire::store_be32(packet.data() + 12, local_host(t));
    wire::store_be32(packet.data() + 16, remote_host(t));
    const OutboundOutcome o = dp.process_outbound(packet, out, now);
    return o.kind == OutboundOutcome::Kind::Protected && o.sa.has_value();
  };
  std::size_t failures = 0;
  for (std::uint32_t t = 0; t < kTunnels; ++t) failures += send(t) ? 0 : 1;  // warm-up: every SA once
  AllocationCounts counts;
  {
    CountingScope scope;
    for (std::uint32_t i = 0; i < kMeasuredPackets; ++i) failures += send(i * 7 % kTunnels) ? 0 : 1;
    counts = scope.counts();
  }
  ASSERT_EQ(failures, 0u) << "packets were not protected";
  EXPECT_EQ(counts.cxx, 0u) << "operator new called on the outbound path";
  EXPECT_EQ(counts.openssl, 0u) << "OpenSSL allocated on the outbound path";
}

}  // namespace
}  // namespace cygnet::ipsec
