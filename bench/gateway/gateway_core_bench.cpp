// The gateway core's per-packet path against the bare data plane it wraps, on the very same SAs
// (negotiated by two cores back to back, aes256gcm16, 1400-byte inner packets; the outbound pair
// also with 64-byte packets, where the per-packet work around the cipher shows most):
//   Bare/Outbound   DataPlane::process_outbound
//   Core/Outbound   GatewayCore::on_tun_packet into a reused OutputBatch (cleared every 64 packets)
//   Bare/RoundTrip  process_outbound on A, then process_inbound on B
//   Core/RoundTrip  on_tun_packet on A, then on_raw_packet on B (each into its batch)
// Inbound cost = RoundTrip - Outbound. bench/run-gateway prints the core's overhead.
#include <benchmark/benchmark.h>

#include "unit/gateway/two_cores.hpp"

namespace cygnet::gateway {
namespace {

constexpr std::size_t kPacketSize = 1400;
constexpr int kBatchSize = 64;

struct Setup {
  test::TwoCores cores;
  Bytes packet;
  explicit Setup(std::size_t size = kPacketSize)
      : packet(test::inner_udp_packet("198.51.100.10", "203.0.113.10", size - 28)) {
    cores.up_a();
  }
};

void report(benchmark::State& state, std::size_t size = kPacketSize) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(size));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BareOutbound(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  Setup s(size);
  ipsec::DataPlane& a = s.cores.a->data_plane();
  Bytes out(size + ipsec::kMaxEncapsulationOverhead);
  for (auto _ : state) {
    auto o = a.process_outbound(s.packet, out, s.cores.now);
    benchmark::DoNotOptimize(o);
  }
  report(state, size);
}

void CoreOutbound(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  Setup s(size);
  OutputBatch out;
  int in_batch = 0;
  for (auto _ : state) {
    if (in_batch++ == kBatchSize) {
      out.clear();
      in_batch = 1;
    }
    auto v = s.cores.a->on_tun_packet(s.packet, s.cores.now, out);
    benchmark::DoNotOptimize(v);
  }
  report(state, size);
}

void BareRoundTrip(benchmark::State& state) {
  Setup s;
  ipsec::DataPlane& a = s.cores.a->data_plane();
  ipsec::DataPlane& b = s.cores.b->data_plane();
  Bytes esp(kPacketSize + ipsec::kMaxEncapsulationOverhead);
  Bytes inner(kPacketSize + ipsec::kMaxEncapsulationOverhead);
  for (auto _ : state) {
    auto o = a.process_outbound(s.packet, esp, s.cores.now);
    auto i = b.process_inbound(ByteView(esp.data(), o.result.length), inner, s.cores.now);
    benchmark::DoNotOptimize(i);
  }
  report(state);
}

void CoreRoundTrip(benchmark::State& state) {
  Setup s;
  OutputBatch out_a;
  OutputBatch out_b;
  int in_batch = 0;
  for (auto _ : state) {
    if (in_batch++ == kBatchSize) {
      out_a.clear();
      out_b.clear();
      in_batch = 1;
    }
    s.cores.a->on_tun_packet(s.packet, s.cores.now, out_a);
    auto v = s.cores.b->on_raw_packet(out_a.bytes(out_a.packets().back()), s.cores.now, out_b);
    benchmark::DoNotOptimize(v);
  }
  if (s.cores.b->counters().decapsulated_in != static_cast<std::uint64_t>(state.iterations()))
    state.SkipWithError("a packet did not make the round trip");
  report(state);
}

BENCHMARK(BareOutbound)->Name("Bare/Outbound/aes256gcm16")->Arg(1400)->Arg(64);
BENCHMARK(CoreOutbound)->Name("Core/Outbound/aes256gcm16")->Arg(1400)->Arg(64);
BENCHMARK(BareRoundTrip)->Name("Bare/RoundTrip/aes256gcm16/1400");
BENCHMARK(CoreRoundTrip)->Name("Core/RoundTrip/aes256gcm16/1400");

}  // namespace
}  // namespace cygnet::gateway

BENCHMARK_MAIN();
