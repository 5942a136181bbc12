// Data-plane throughput: ESP encapsulation/decapsulation (tunnel mode, IPv4 outer) against the
// least work any ESP implementation must do with the same cipher, measured with raw OpenSSL EVP.
//
//   BM_EspEncap/<suite>/<bytes>   esp_encapsulate of one <bytes>-byte inner IPv4/UDP packet
//   BM_EspDecap/<suite>/<bytes>   esp_decapsulate of one such packet (replay window 1024 active)
//   BM_AeadSeal/<suite>/<bytes>   raw reference, sealing direction
//   BM_AeadOpen/<suite>/<bytes>   raw reference, opening direction
//
// suites: aes128gcm16, aes256gcm16, chacha20poly1305 (AEAD: reference = EVP_CIPHER_CTX keyed once;
// per packet EVP_EncryptInit_ex with only the nonce, 8 bytes of AAD, one Update over <bytes>,
// Final, GET_TAG; opening: SET_TAG, AAD, Update, Final) and aes128-sha256 (AES-128-CBC +
// HMAC-SHA256-128: reference = CBC over the ESP-padded length, ceil((<bytes> + 2) / 16) * 16, and
// HMAC-SHA256 via EVP_MAC over the 8-byte ESP header + 16-byte IV + ciphertext). The CBC reference
// reuses one IV; ESP must draw a fresh unpredictable IV per packet (RAND_bytes), which the
// reference deliberately leaves out, so that cost shows up in the encap ratio.
// Bytes processed = iterations * <bytes> everywhere, so every row reports the same unit.
#include <benchmark/benchmark.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.hpp"
#include "base/time.hpp"
#include "crypto/secure_bytes.hpp"
#include "ipsec/esp.hpp"
#include "ipsec/packet_batch.hpp"
#include "ipsec/packet_result.hpp"
#include "ipsec/security_association.hpp"
#include "wire/byte_reader.hpp"
#include "wire/ip_address.hpp"
#include "wire/ip_packet.hpp"

namespace {

using namespace cygnet;

constexpr std::array<std::size_t, 3> kSizes = {64, 512, 1400};
constexpr std::size_t kTag = 16;
constexpr std::size_t kOuterIpv4 = 20;  // esp_offset of a tunnel-mode IPv4 ESP packet

// Pre-encapsulated packets (sequence numbers 1..kDecapRing) the decap benchmark cycles through;
// when the ring wraps, a fresh inbound SA (new replay window) is built outside the timed region.
// Large enough that the wrap costs nothing measurable: with 32 packets the rebuild (pause/resume
// plus a cold new SA) still added ~45 ns per packet; between 256 and 4096 the results agree, so
// streaming the ring through the caches (7 MB at 1400 bytes) does not bias decap either.
constexpr std::size_t kDecapRing = 4096;

enum class SuiteKind { Aead, CbcHmac };

struct Suite {
  const char* name;
  SuiteKind kind;
  crypto::AeadAlgorithm aead;  // when Aead
  const char* evp_cipher;      // OpenSSL name for the raw reference
  std::size_t cipher_key;      // bytes
};

constexpr std::array<Suite, 4> kSuites = {{
    {"aes128gcm16", SuiteKind::Aead, crypto::AeadAlgorithm::AesGcm128, "AES-128-GCM", 16},
    {"aes256gcm16", SuiteKind::Aead, crypto::AeadAlgorithm::AesGcm256, "AES-256-GCM", 32},
    {"chacha20poly1305", SuiteKind::Aead, crypto::AeadAlgorithm::ChaCha20Poly1305, "ChaCha20-Poly1305", 32},
    {"aes128-sha256", SuiteKind::CbcHmac, crypto::AeadAlgorithm::AesGcm128, "AES-128-CBC", 16},
}};

// Deterministic, non-secret benchmark key material.
Bytes pattern(std::size_t n, std::uint8_t seed) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + 7 * i);
  return b;
}

wire::IpAddress addr(const char* text) {
  return *wire::IpAddress::parse(text);
}

ipsec::SaParameters sa_parameters(const Suite& suite, ipsec::Direction direction) {
  ipsec::SaParameters p;
  p.spi = 0x1000;
  p.protocol = ipsec::IpsecProtocol::Esp;
  p.mode = ipsec::Mode::Tunnel;
  p.direction = direction;
  const bool out = direction == ipsec::Direction::Outbound;
  p.local_address = addr(out ? "192.0.2.1" : "192.0.2.2");
  p.remote_address = addr(out ? "192.0.2.2" : "192.0.2.1");
  if (suite.kind == SuiteKind::Aead) {
    p.encryption = ipsec::EncryptionTransform::aead_with(suite.aead, 16);
  } else {
    p.encryption = ipsec::EncryptionTransform::cbc_with(crypto::CbcAlgorithm::AesCbc128);
    p.integrity = crypto::IntegrityAlgorithm::HmacSha256_128;
    p.integrity_key = crypto::SecureBytes(pattern(crypto::integrity_key_length(*p.integrity), 0x51));
  }
  p.encryption_key = crypto::SecureBytes(pattern(p.encryption.key_material_length(), 0x11));
  p.name = std::string("bench/") + suite.name;
  return p;  // replay_window stays at the default (1024)
}

std::unique_ptr<ipsec::SecurityAssociation> make_sa(const Suite& suite, ipsec::Direction direction) {
  return std::make_unique<ipsec::SecurityAssociation>(sa_parameters(suite, direction), TimePoint{});
}

// An inner IPv4/UDP packet of exactly `size` bytes, 198.51.100.1:5000 -> 203.0.113.1:6000.
Bytes inner_packet(std::size_t size) {
  Bytes pkt(size, 0);
  wire::Ipv4HeaderFields h;
  h.source = addr("198.51.100.1");
  h.destination = addr("203.0.113.1");
  h.protocol = wire::ip_protocol::kUdp;
  h.total_length = static_cast<std::uint16_t>(size);
  wire::write_ipv4_header(pkt, h);
  std::uint8_t* udp = pkt.data() + wire::kIpv4MinHeaderLength;
  wire::store_be16(udp, 5000);
  wire::store_be16(udp + 2, 6000);
  wire::store_be16(udp + 4, static_cast<std::uint16_t>(size - wire::kIpv4MinHeaderLength));
  for (std::size_t i = wire::kIpv4MinHeaderLength + 8; i < size; ++i) pkt[i] = static_cast<std::uint8_t>(i);
  return pkt;
}

const TimePoint kNow = TimePoint{} + Seconds{1};

// ------------------------------------------------------------------------------------------ ESP

void bm_esp_encap(benchmark::State& state, const Suite& suite, std::size_t bytes) {
  auto sa = make_sa(suite, ipsec::Direction::Outbound);
  const Bytes packet = inner_packet(bytes);
  Bytes out(bytes + ipsec::kMaxEncapsulationOverhead);
  for (auto _ : state) {
    ipsec::PacketResult r = ipsec::esp_encapsulate(*sa, packet, out, kNow);
    if (!r.ok) {
      state.SkipWithError("esp_encapsulate dropped the packet");
      break;
    }
    benchmark::DoNotOptimize(r);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

void bm_esp_decap(benchmark::State& state, const Suite& suite, std::size_t bytes) {
  auto outbound = make_sa(suite, ipsec::Direction::Outbound);
  const Bytes packet = inner_packet(bytes);
  const std::size_t stride = bytes + ipsec::kMaxEncapsulationOverhead;
  Bytes ring(stride * kDecapRing);
  std::vector<std::size_t> lengths(kDecapRing);
  for (std::size_t i = 0; i < kDecapRing; ++i) {  // sequence numbers 1..kDecapRing
    ipsec::PacketResult r =
        ipsec::esp_encapsulate(*outbound, packet, MutableByteView(ring.data() + i * stride, stride), kNow);
    if (!r.ok) {
      state.SkipWithError("esp_encapsulate failed while preparing packets");
      return;
    }
    lengths[i] = r.length;
  }
  auto inbound = make_sa(suite, ipsec::Direction::Inbound);
  Bytes out(stride);
  std::size_t next = 0;
  for (auto _ : state) {
    if (next == kDecapRing) {
      // Every packet of the ring has been accepted once: a fresh window accepts them again.
      state.PauseTiming();
      inbound = make_sa(suite, ipsec::Direction::Inbound);
      next = 0;
      state.ResumeTiming();
    }
    ipsec::PacketResult r = ipsec::esp_decapsulate(
        *inbound, ByteView(ring.data() + next * stride, lengths[next]), kOuterIpv4, out, kNow);
    if (!r.ok || r.length != bytes) {
      state.SkipWithError("esp_decapsulate dropped the packet");
      break;
    }
    ++next;
    benchmark::DoNotOptimize(r);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

// ----------------------------------------------------------------- raw OpenSSL reference: AEAD

struct CipherCtx {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  ~CipherCtx() { EVP_CIPHER_CTX_free(ctx); }
  CipherCtx() = default;
  CipherCtx(const CipherCtx&) = delete;
  CipherCtx& operator=(const CipherCtx&) = delete;
};

struct Cipher {
  EVP_CIPHER* cipher;
  explicit Cipher(const char* name) : cipher(EVP_CIPHER_fetch(nullptr, name, nullptr)) {}
  ~Cipher() { EVP_CIPHER_free(cipher); }
  Cipher(const Cipher&) = delete;
  Cipher& operator=(const Cipher&) = delete;
};

bool keyed(CipherCtx& c, const Cipher& cipher, ByteView key, int encrypt) {
  return cipher.cipher != nullptr && c.ctx != nullptr &&
         EVP_CipherInit_ex2(c.ctx, cipher.cipher, key.data(), nullptr, encrypt, nullptr) == 1;
}

// One AEAD seal exactly as ESP needs it: new nonce, 8 bytes of AAD, the payload, the tag.
bool raw_aead_seal(EVP_CIPHER_CTX* ctx, const std::uint8_t* nonce, const std::uint8_t* aad, const Bytes& in,
                   Bytes& out, std::uint8_t* tag) {
  int len = 0;
  return EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce) == 1 &&
         EVP_EncryptUpdate(ctx, nullptr, &len, aad, 8) == 1 &&
         EVP_EncryptUpdate(ctx, out.data(), &len, in.data(), static_cast<int>(in.size())) == 1 &&
         EVP_EncryptFinal_ex(ctx, out.data() + len, &len) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kTag), tag) == 1;
}

void bm_aead_seal(benchmark::State& state, const Suite& suite, std::size_t bytes) {
  Cipher cipher(suite.evp_cipher);
  CipherCtx c;
  if (!keyed(c, cipher, pattern(suite.cipher_key, 0x11), 1)) {
    state.SkipWithError("cannot initialise the EVP cipher");
    return;
  }
  const Bytes in = inner_packet(bytes);
  Bytes out(bytes);
  std::array<std::uint8_t, 12> nonce{0xa0, 0xa1, 0xa2, 0xa3};
  std::array<std::uint8_t, 8> aad{0, 0, 0x10, 0};
  std::array<std::uint8_t, kTag> tag{};
  std::uint64_t counter = 0;
  for (auto _ : state) {
    ++counter;
    wire::store_be64(nonce.data() + 4, counter);  // what ESP puts there: the sequence number
    wire::store_be32(aad.data() + 4, static_cast<std::uint32_t>(counter));
    if (!raw_aead_seal(c.ctx, nonce.data(), aad.data(), in, out, tag.data())) {
      state.SkipWithError("EVP seal failed");
      break;
    }
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

void bm_aead_open(benchmark::State& state, const Suite& suite, std::size_t bytes) {
  Cipher cipher(suite.evp_cipher);
  CipherCtx sealer;
  CipherCtx c;
  const Bytes key = pattern(suite.cipher_key, 0x11);
  if (!keyed(sealer, cipher, key, 1) || !keyed(c, cipher, key, 0)) {
    state.SkipWithError("cannot initialise the EVP cipher");
    return;
  }
  const Bytes plain = inner_packet(bytes);
  const std::array<std::uint8_t, 12> nonce{0xa0, 0xa1, 0xa2, 0xa3, 0, 0, 0, 0, 0, 0, 0, 1};
  const std::array<std::uint8_t, 8> aad{0, 0, 0x10, 0, 0, 0, 0, 1};
  std::array<std::uint8_t, kTag> tag{};
  Bytes sealed(bytes);
  if (!raw_aead_seal(sealer.ctx, nonce.data(), aad.data(), plain, sealed, tag.data())) {
    state.SkipWithError("EVP seal failed");
    return;
  }
  Bytes out(bytes);
  for (auto _ : state) {
    int len = 0;
    const bool ok =
        EVP_DecryptInit_ex(c.ctx, nullptr, nullptr, nullptr, nonce.data()) == 1 &&
        EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTag), tag.data()) == 1 &&
        EVP_DecryptUpdate(c.ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1 &&
        EVP_DecryptUpdate(c.ctx, out.data(), &len, sealed.data(), static_cast<int>(bytes)) == 1 &&
        EVP_DecryptFinal_ex(c.ctx, out.data() + len, &len) == 1;
    if (!ok) {
      state.SkipWithError("EVP open failed to verify");
      break;
    }
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

// --------------------------------------------------- raw OpenSSL reference: AES-CBC + HMAC-SHA256

struct Hmac256 {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = nullptr;
  explicit Hmac256(ByteView key) {
    if (mac == nullptr) return;
    ctx = EVP_MAC_CTX_new(mac);
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    if (ctx != nullptr && EVP_MAC_init(ctx, key.data(), key.size(), params) != 1) {
      EVP_MAC_CTX_free(ctx);
      ctx = nullptr;
    }
  }
  ~Hmac256() {
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
  }
  Hmac256(const Hmac256&) = delete;
  Hmac256& operator=(const Hmac256&) = delete;
  // Re-keys from the stored key (EVP_MAC_init with a NULL key), MACs data, writes 32 bytes.
  bool mac32(ByteView data, std::uint8_t* out32) {
    std::size_t written = 0;
    return EVP_MAC_init(ctx, nullptr, 0, nullptr) == 1 &&
           EVP_MAC_update(ctx, data.data(), data.size()) == 1 && EVP_MAC_final(ctx, out32, &written, 32) == 1;
  }
};

constexpr std::size_t kCbcBlock = 16;
constexpr std::size_t kCbcIcv = 16;
constexpr std::size_t kEspHeader = 8;

// The CBC-encrypted length ESP produces for a payload of `bytes`: payload + 2-byte trailer, padded.
std::size_t cbc_length(std::size_t bytes) {
  return (bytes + 2 + kCbcBlock - 1) / kCbcBlock * kCbcBlock;
}

struct CbcHmacReference {
  Cipher cipher{"AES-128-CBC"};
  CipherCtx enc;
  CipherCtx dec;
  Hmac256 hmac{pattern(32, 0x51)};
  bool ok = false;
  CbcHmacReference() {
    const Bytes key = pattern(16, 0x11);
    ok = keyed(enc, cipher, key, 1) && keyed(dec, cipher, key, 0) &&
         EVP_CIPHER_CTX_set_padding(enc.ctx, 0) == 1 && EVP_CIPHER_CTX_set_padding(dec.ctx, 0) == 1 &&
         hmac.ctx != nullptr;
  }
  // wire = [8-byte ESP header][16-byte IV][ciphertext]; encrypts plain (cbc_length bytes) into it
  // and writes the truncated ICV.
  bool seal(const Bytes& plain, Bytes& wire, std::uint8_t* icv) {
    std::array<std::uint8_t, 32> full;
    int len = 0;
    std::uint8_t* iv = wire.data() + kEspHeader;
    std::uint8_t* ct = iv + kCbcBlock;
    if (EVP_EncryptInit_ex(enc.ctx, nullptr, nullptr, nullptr, iv) != 1 ||
        EVP_EncryptUpdate(enc.ctx, ct, &len, plain.data(), static_cast<int>(plain.size())) != 1 ||
        EVP_EncryptFinal_ex(enc.ctx, ct + len, &len) != 1 || !hmac.mac32(wire, full.data())) {
      return false;
    }
    std::copy_n(full.begin(), kCbcIcv, icv);
    return true;
  }
  // Verifies the ICV over wire, then decrypts the ciphertext into out.
  bool open(const Bytes& wire, const std::uint8_t* icv, Bytes& out) {
    std::array<std::uint8_t, 32> full;
    int len = 0;
    const std::uint8_t* iv = wire.data() + kEspHeader;
    const std::uint8_t* ct = iv + kCbcBlock;
    const int ct_len = static_cast<int>(wire.size() - kEspHeader - kCbcBlock);
    return hmac.mac32(wire, full.data()) && CRYPTO_memcmp(full.data(), icv, kCbcIcv) == 0 &&
           EVP_DecryptInit_ex(dec.ctx, nullptr, nullptr, nullptr, iv) == 1 &&
           EVP_DecryptUpdate(dec.ctx, out.data(), &len, ct, ct_len) == 1 &&
           EVP_DecryptFinal_ex(dec.ctx, out.data() + len, &len) == 1;
  }
};

Bytes cbc_plaintext(std::size_t bytes) {
  Bytes plain = inner_packet(bytes);
  plain.resize(cbc_length(bytes), 0);
  return plain;
}

void bm_cbc_hmac_seal(benchmark::State& state, std::size_t bytes) {
  CbcHmacReference ref;
  if (!ref.ok) {
    state.SkipWithError("cannot initialise AES-128-CBC / HMAC-SHA256");
    return;
  }
  const Bytes plain = cbc_plaintext(bytes);
  Bytes wire = pattern(kEspHeader + kCbcBlock + plain.size(), 0x33);
  std::array<std::uint8_t, kCbcIcv> icv{};
  for (auto _ : state) {
    if (!ref.seal(plain, wire, icv.data())) {
      state.SkipWithError("EVP CBC/HMAC seal failed");
      break;
    }
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

void bm_cbc_hmac_open(benchmark::State& state, std::size_t bytes) {
  CbcHmacReference ref;
  if (!ref.ok) {
    state.SkipWithError("cannot initialise AES-128-CBC / HMAC-SHA256");
    return;
  }
  const Bytes plain = cbc_plaintext(bytes);
  Bytes wire = pattern(kEspHeader + kCbcBlock + plain.size(), 0x33);
  std::array<std::uint8_t, kCbcIcv> icv{};
  if (!ref.seal(plain, wire, icv.data())) {
    state.SkipWithError("EVP CBC/HMAC seal failed");
    return;
  }
  Bytes out(plain.size());
  for (auto _ : state) {
    if (!ref.open(wire, icv.data(), out)) {
      state.SkipWithError("EVP CBC/HMAC open failed to verify");
      break;
    }
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

void bm_raw_seal(benchmark::State& state, const Suite& suite, std::size_t bytes) {
  if (suite.kind == SuiteKind::Aead) {
    bm_aead_seal(state, suite, bytes);
  } else {
    bm_cbc_hmac_seal(state, bytes);
  }
}

void bm_raw_open(benchmark::State& state, const Suite& suite, std::size_t bytes) {
  if (suite.kind == SuiteKind::Aead) {
    bm_aead_open(state, suite, bytes);
  } else {
    bm_cbc_hmac_open(state, bytes);
  }
}

// ----------------------------------------------------------------- scaling over threads

// Encapsulation from N threads at once: all on one shared SA (atomic sequence numbers, one cipher
// context per worker slot, per-worker counters) versus one SA per thread (nothing shared). Real
// time, so bytes per second is the aggregate of all threads.
// `batched`: in batches of 32 packets (ipsec/packet_batch.hpp), as the daemon's workers run them:
// the SA's counters and lifetime use are added once per batch, not per packet.
void bm_esp_encap_threads(benchmark::State& state, const Suite& suite, std::size_t bytes, bool shared,
                          bool batched) {
  static const std::unique_ptr<ipsec::SecurityAssociation> shared_sa =
      make_sa(kSuites[1], ipsec::Direction::Outbound);  // aes256gcm16, the suite registered below
  std::unique_ptr<ipsec::SecurityAssociation> own_sa;
  if (!shared) own_sa = make_sa(suite, ipsec::Direction::Outbound);
  ipsec::SecurityAssociation& sa = shared ? *shared_sa : *own_sa;
  const Bytes packet = inner_packet(bytes);
  Bytes out(bytes + ipsec::kMaxEncapsulationOverhead);
  ipsec::PacketBatch batch;
  const ipsec::PacketBatch::Use use(batch);
  std::size_t in_batch = 0;
  for (auto _ : state) {
    if (batched && in_batch++ % 32 == 0) {
      batch.close();
      batch.open();
    }
    ipsec::PacketResult r = ipsec::esp_encapsulate(sa, packet, out, kNow);
    if (!r.ok) {
      state.SkipWithError("esp_encapsulate dropped the packet");
      break;
    }
    benchmark::DoNotOptimize(r);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

using BenchFn = void (*)(benchmark::State&, const Suite&, std::size_t);

void register_all() {
  const std::array<std::pair<const char*, BenchFn>, 4> kinds = {{
      {"BM_EspEncap", bm_esp_encap},
      {"BM_EspDecap", bm_esp_decap},
      {"BM_AeadSeal", bm_raw_seal},
      {"BM_AeadOpen", bm_raw_open},
  }};
  // Grouped by suite and size so each ESP row sits next to its reference.
  for (const Suite& suite : kSuites) {
    for (std::size_t bytes : kSizes) {
      for (const auto& [prefix, fn] : kinds) {
        const std::string name = std::string(prefix) + "/" + suite.name + "/" + std::to_string(bytes);
        BenchFn f = fn;
        const Suite* s = &suite;
        benchmark::RegisterBenchmark(name.c_str(), [f, s, bytes](benchmark::State& st) { f(st, *s, bytes); });
      }
    }
  }
  for (const auto& [shared, batched] :
       {std::pair{true, false}, std::pair{true, true}, std::pair{false, false}}) {
    const std::string name = std::string(shared ? (batched ? "BM_EspEncapOneSaBatched" : "BM_EspEncapOneSa")
                                                : "BM_EspEncapSaPerThread") +
                             "/aes256gcm16/1400";
    benchmark::RegisterBenchmark(name.c_str(),
                                 [shared, batched](benchmark::State& st) {
                                   bm_esp_encap_threads(st, kSuites[1], 1400, shared, batched);
                                 })
        ->Threads(1)
        ->Threads(2)
        ->UseRealTime();
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
