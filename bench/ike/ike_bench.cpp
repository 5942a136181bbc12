// IKEv2 handshake cost against the cryptography it cannot avoid, and memory per tunnel.
//
//   BM_IkeHandshake/<group>    IKE_SA_INIT + IKE_AUTH (PSK) with the first CHILD SA, both ends in
//                              this process (two ike::Engine, each with an ipsec::DataPlane the
//                              CHILD SAs are installed into), datagrams handed over in memory.
//   BM_IkeCryptoBound/<group>  only the key-exchange and PRF work such a handshake must do, on
//                              both ends: 2 key generations, 2 shared secrets, 2 SKEYSEEDs, 2 IKE
//                              key derivations (prf+), 4 AUTH values (2 computed, 2 verified, each
//                              with its prf(SK_p, ID)) and 2 CHILD key derivations.
//   BM_IkeTunnelMemory         establishes kTunnels tunnels to one responder and reports the heap
//                              the responder (engine + data plane) holds per established IKE SA
//                              with one CHILD SA: counter bytes_per_tunnel. C++ and OpenSSL
//                              allocations are both counted (operator new and
//                              CRYPTO_set_mem_functions below).
//
// groups: x25519, ecp256 (proposal aes256gcm16-prfsha256-<group>, ESP aes256gcm16).
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <openssl/crypto.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "crypto/key_exchange.hpp"
#include "heap_accounting.hpp"
#include "ike/algorithms.hpp"
#include "ike/data_plane_binding.hpp"
#include "ike/engine.hpp"
#include "ike/identity.hpp"
#include "ike/v2/authentication.hpp"
#include "ike/v2/keys.hpp"
#include "ipsec/data_plane.hpp"

// --- Heap accounting: live bytes through operator new and OpenSSL's allocator ----------------
namespace {
std::atomic<std::int64_t> g_live_bytes{0};

void* counted_malloc(std::size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p) g_live_bytes += static_cast<std::int64_t>(malloc_usable_size(p));
  return p;
}
void counted_free(void* p) {
  if (!p) return;
  g_live_bytes -= static_cast<std::int64_t>(malloc_usable_size(p));
  std::free(p);
}
void* counted_realloc(void* p, std::size_t n) {
  std::int64_t before = p ? static_cast<std::int64_t>(malloc_usable_size(p)) : 0;
  void* q = std::realloc(p, n == 0 ? 1 : n);
  if (q) g_live_bytes += static_cast<std::int64_t>(malloc_usable_size(q)) - before;
  return q;
}
void* openssl_malloc(std::size_t n, const char*, int) {
  return counted_malloc(n);
}
void* openssl_realloc(void* p, std::size_t n, const char*, int) {
  return counted_realloc(p, n);
}
void openssl_free(void* p, const char*, int) {
  counted_free(p);
}
}  // namespace

void* operator new(std::size_t n) {
  if (void* p = counted_malloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  return operator new(n);
}
void operator delete(void* p) noexcept {
  counted_free(p);
}
void operator delete[](void* p) noexcept {
  counted_free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  counted_free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  counted_free(p);
}

namespace cygnet::bench {
std::int64_t live_heap_bytes() {
  return g_live_bytes.load();
}
}  // namespace cygnet::bench

namespace cygnet::bench {
namespace {

using ike::Action;
using ike::Endpoint;
using ike::Engine;
using wire::IpAddress;
using wire::IpPrefix;

const char* group_token(int group) {
  return group == 31 ? "x25519" : "ecp256";
}

ike::ConnectionSettings connection(const std::string& name, IpAddress local, std::optional<IpAddress> remote,
                                   int group, bool responder) {
  ike::ConnectionSettings c;
  c.name = name;
  c.local_addrs = {local};
  if (remote) c.remote_addrs = {*remote};
  c.local_id = ike::Identity::from_address(local);
  c.remote_id = remote && !responder ? ike::Identity::from_address(*remote) : *ike::Identity::parse("%any");
  c.auth = ike::AuthKind::Psk;
  std::string secret = "benchmark pre-shared key, long enough";
  c.psk = crypto::SecureBytes(ByteView(reinterpret_cast<const std::uint8_t*>(secret.data()), secret.size()));
  auto ike_proposal = ike::parse_proposal(std::string("aes256gcm16-prfsha256-") + group_token(group),
                                          ike::ProtocolId::Ike, false);
  c.ike_proposals = {*ike_proposal.proposal};
  c.dpd_delay = Seconds{0};
  ike::ChildSettings child;
  child.name = "net";
  child.proposals = {*ike::parse_proposal("aes256gcm16", ike::ProtocolId::Esp, false).proposal};
  if (responder) {
    child.local_ts = {*IpPrefix::parse("198.51.100.0/24")};
    child.remote_ts = {*IpPrefix::parse("192.0.2.0/24")};
  } else {
    child.local_ts = {IpPrefix{local, 32}};
    child.remote_ts = {*IpPrefix::parse("198.51.100.0/24")};
  }
  c.children = {child};
  return c;
}

ike::EngineOptions bench_options() {
  ike::EngineOptions o;
  o.wall_origin = std::chrono::system_clock::now();  // the engine reads no clock of its own
  return o;
}

// One gateway: an engine whose CHILD SAs land in its own data plane.
struct Gateway {
  // The production randomness (OpenSSL): the benchmark measures what cygnetd will do, including
  // OpenSSL generating the Diffie-Hellman keys. The seed only names the gateway.
  explicit Gateway(std::uint64_t /*seed*/)
      : engine(bench_options(), ike::system_random()), binding(data_plane) {}
  Engine engine;
  ipsec::DataPlane data_plane;
  ike::DataPlaneBinding binding;
  std::uint64_t children_installed = 0;
};

// Hands every datagram to the other side until neither has anything left to send.
void exchange(Gateway& a, Gateway& b, TimePoint now) {
  for (int round = 0; round < 64; ++round) {
    bool any = false;
    for (int side = 0; side < 2; ++side) {
      Gateway& from = side == 0 ? a : b;
      Gateway& to = side == 0 ? b : a;
      for (Action& action : from.engine.take_actions()) {
        if (auto* d = std::get_if<ike::SendDatagram>(&action)) {
          any = true;
          to.engine.on_datagram(d->remote, d->local, d->payload, now);
        } else {
          if (std::holds_alternative<ike::InstallChildSa>(action)) ++from.children_installed;
          if (auto error = from.binding.apply(action)) throw std::runtime_error(*error);
        }
      }
    }
    if (!any) return;
  }
  throw std::runtime_error("handshake did not settle");
}

void BM_IkeHandshake(benchmark::State& state) {
  int group = static_cast<int>(state.range(0));
  IpAddress left = *IpAddress::parse("192.0.2.10");
  IpAddress right = *IpAddress::parse("192.0.2.1");
  std::uint64_t seed = 1;
  for (auto _ : state) {
    Gateway initiator(seed++);
    Gateway responder(seed++);
    TimePoint now{};
    responder.engine.add_connection(connection("r", right, std::nullopt, group, true), now);
    initiator.engine.add_connection(connection("i", left, right, group, false), now);
    initiator.engine.up("i", now);
    exchange(initiator, responder, now);
    if (initiator.children_installed != 1 || responder.children_installed != 1) {
      state.SkipWithError("handshake did not install one CHILD SA on each side");
      return;
    }
  }
  state.SetLabel(std::string("aes256gcm16-prfsha256-") + group_token(group));
}

// The unavoidable cryptography of the same handshake, with the same algorithms and lengths.
void BM_IkeCryptoBound(benchmark::State& state) {
  auto group = static_cast<crypto::DhGroup>(state.range(0));
  auto prf = crypto::HashAlgorithm::Sha256;
  Bytes ni(32, 0x11), nr(32, 0x22), message(400, 0x33);
  std::string secret = "benchmark pre-shared key, long enough";
  ByteView psk(reinterpret_cast<const std::uint8_t*>(secret.data()), secret.size());
  ike::IkeAlgorithms ike_alg;
  ike_alg.group = group;
  ike::ChildAlgorithms child_alg;
  child_alg.encryption = ipsec::EncryptionTransform::aead_with(crypto::AeadAlgorithm::AesGcm256);
  wire::ikev2::IdPayload id_i{wire::ikev2::IdType::Ipv4Address, Bytes{192, 0, 2, 10}};
  wire::ikev2::IdPayload id_r{wire::ikev2::IdType::Ipv4Address, Bytes{192, 0, 2, 1}};
  for (auto _ : state) {
    crypto::KeyExchange a(group), b(group);
    auto secret_a = a.compute_shared_secret(b.public_value());
    auto secret_b = b.compute_shared_secret(a.public_value());
    if (!secret_a || !secret_b) {
      state.SkipWithError("key exchange failed");
      return;
    }
    for (const auto* shared : {&*secret_a, &*secret_b}) {
      auto seed = ike::skeyseed(prf, ni, nr, shared->view());
      auto keys = ike::derive_ike_sa_keys(ike_alg, seed.view(), ni, nr, 1, 2);
      // Each end computes its own AUTH and verifies the peer's.
      for (const auto* id : {&id_i, &id_r}) {
        Bytes octets = ike::signed_octets(message, nr, prf, keys.sk_pi.view(), *id);
        benchmark::DoNotOptimize(ike::psk_auth_data(prf, psk, octets));
      }
      auto child = ike::derive_child_sa_keys(prf, keys.sk_d.view(), child_alg, std::nullopt, ni, nr);
      benchmark::DoNotOptimize(child.encryption_i.view().data());
    }
  }
  state.SetLabel(std::string("aes256gcm16-prfsha256-") + group_token(static_cast<int>(state.range(0))));
}

constexpr int kTunnels = 200;

void BM_IkeTunnelMemory(benchmark::State& state) {
  IpAddress right = *IpAddress::parse("192.0.2.1");
  for (auto _ : state) {
    std::int64_t baseline = g_live_bytes.load();
    auto responder = std::make_unique<Gateway>(7);
    responder->engine.add_connection(connection("r", right, std::nullopt, 31, true), TimePoint{});
    std::int64_t empty_responder = g_live_bytes.load() - baseline;
    {
      Gateway initiator(8);
      for (int i = 0; i < kTunnels; ++i) {
        IpAddress left = IpAddress::v4(0xC0000200u + 2 + static_cast<std::uint32_t>(i));  // 192.0.2.2...
        std::string name = "i" + std::to_string(i);
        initiator.engine.add_connection(connection(name, left, right, 31, false), TimePoint{});
        initiator.engine.up(name, TimePoint{});
        exchange(initiator, *responder, TimePoint{});
      }
      if (responder->children_installed != kTunnels) {
        state.SkipWithError("not every tunnel came up");
        return;
      }
    }  // the initiator's memory is released here; what is left is the responder's
    std::int64_t held = g_live_bytes.load() - baseline - empty_responder;
    state.counters["bytes_per_tunnel"] = static_cast<double>(held) / kTunnels;
    state.counters["tunnels"] = kTunnels;
    responder.reset();
  }
}

BENCHMARK(BM_IkeHandshake)->Arg(31)->Arg(19)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_IkeCryptoBound)->Arg(31)->Arg(19)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_IkeTunnelMemory)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cygnet::bench

int main(int argc, char** argv) {
  // Before any OpenSSL allocation, so every OPENSSL_malloc is counted.
  CRYPTO_set_mem_functions(openssl_malloc, openssl_realloc, openssl_free);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
