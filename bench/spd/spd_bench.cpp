// Policy lookup cost against the number of tunnels (issue 13): the indexed SPD (src/ipsec/spd.*)
// next to the linear first-match scan it replaced (kept here, only for the comparison).
//
//   BM_Lookup/<impl>/<tunnels>             one outbound SPD lookup (IpPacketInfo already parsed)
//   BM_Outbound/<impl>/<tunnels>/<bytes>   the whole outbound path of one <bytes>-byte inner
//                                          IPv4/UDP packet: parse, policy lookup, SA, ESP
//                                          encapsulation (aes256gcm16, tunnel mode)
//
// impl:
//   indexed         Spd (and DataPlane::process_outbound itself for BM_Outbound), traffic spread
//                   at random over all tunnels: a stream of independent packets, so the CPU
//                   overlaps one packet's cache misses with the next one's work.
//   indexed-one-active  the same SPD, but all traffic on one tunnel (its hosts still random): the
//                   access pattern of the 1-tunnel case, so what differs from 1 tunnel is the cost
//                   of the structure's size itself, not of the cache footprint of many tunnels.
//   indexed-chained (lookup only) each packet is chosen by the previous lookup's result, so
//                   lookups cannot overlap: the latency of one lookup whose tunnel is not in the
//                   L1/L2 cache (with 10,000 tunnels spread at random), the cold-cache number.
//   indexed-one-sa  (outbound only) random traffic, every policy bound to one SA: separates the
//                   policy lookup's share from the cache misses of 10,000 SAs' cipher state.
//   linear          the old ordered-vector scan, with the same parse/SA/encapsulation steps.
// tunnels: 1, 100, 1000, 10000; tunnel i protects 10.(i/256).(i%256).0/24 <->
// 10.(128+i/256).(i%256).0/24 with its own PROTECT policy and outbound SA, policies added in
// tunnel order (the linear scan finds tunnel i after i failed matches). Traffic is a fixed ring of
// 16384 packets (the same ring length for every tunnel count) whose tunnel and host addresses are
// drawn at random. These addresses never leave the process.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "base/time.hpp"
#include "crypto/secure_bytes.hpp"
#include "ipsec/data_plane.hpp"
#include "ipsec/esp.hpp"
#include "ipsec/spd.hpp"
#include "wire/byte_reader.hpp"
#include "wire/ip_address.hpp"
#include "wire/ip_packet.hpp"

namespace {

using namespace cygnet;

constexpr std::array<std::uint32_t, 4> kTunnelCounts = {1, 100, 1000, 10000};
constexpr std::array<std::size_t, 2> kSizes = {64, 1400};
constexpr std::size_t kRing = 16384;
const TimePoint kNow = TimePoint{} + Seconds{1};

// ------------------------------------------------------------- the old SPD: an ordered vector

class LinearSpd {
 public:
  void add(ipsec::Policy policy) {
    auto at = std::upper_bound(
        policies_.begin(), policies_.end(), policy.priority,
        [](std::uint32_t priority, const ipsec::Policy& p) { return priority < p.priority; });
    policies_.insert(at, std::move(policy));
  }
  const ipsec::Policy* lookup_outbound(const wire::IpPacketInfo& packet) const {
    for (const ipsec::Policy& p : policies_) {
      if (p.selector.matches_outbound(packet)) return &p;
    }
    return nullptr;
  }

 private:
  std::vector<ipsec::Policy> policies_;
};

// ------------------------------------------------------------------------- tunnels and traffic

std::uint32_t local_network(std::uint32_t tunnel) {
  return 0x0a000000u + (tunnel << 8);
}  // 10.0.0.0/9
std::uint32_t remote_network(std::uint32_t tunnel) {
  return 0x0a800000u + (tunnel << 8);
}  // 10.128.0.0/9

ipsec::Policy tunnel_policy(std::uint32_t tunnel) {
  ipsec::Policy p;
  p.selector.local =
      ipsec::AddressRange::from_prefix(wire::IpPrefix{wire::IpAddress::v4(local_network(tunnel)), 24});
  p.selector.remote =
      ipsec::AddressRange::from_prefix(wire::IpPrefix{wire::IpAddress::v4(remote_network(tunnel)), 24});
  p.priority = 90;  // what the IKE binding gives a CHILD SA's policy
  p.action = ipsec::PolicyAction::Protect;
  p.name = "tunnel-" + std::to_string(tunnel);
  return p;
}

ipsec::SaParameters outbound_sa(std::uint32_t tunnel) {
  ipsec::SaParameters p;
  p.spi = 0x10000 + tunnel;
  p.protocol = ipsec::IpsecProtocol::Esp;
  p.mode = ipsec::Mode::Tunnel;
  p.direction = ipsec::Direction::Outbound;
  p.local_address = *wire::IpAddress::parse("192.0.2.1");
  p.remote_address = *wire::IpAddress::parse("192.0.2.2");
  p.encryption = ipsec::EncryptionTransform::aead_with(crypto::AeadAlgorithm::AesGcm256, 16);
  Bytes key(p.encryption.key_material_length());
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(tunnel * 31 + i);
  p.encryption_key = crypto::SecureBytes(key);
  p.name = "bench/tunnel-" + std::to_string(tunnel);
  return p;
}

struct Flow {
  std::uint32_t source;  // host order
  std::uint32_t destination;
};

enum class Spread { AllTunnels, OneActive };

// kRing flows spread at random over `tunnels`, or all on the middle tunnel with random hosts
// (fixed seed: every run sends the same traffic).
std::vector<Flow> traffic(std::uint32_t tunnels, Spread spread = Spread::AllTunnels) {
  std::mt19937 rng(1307);
  std::vector<Flow> flows(kRing);
  for (Flow& f : flows) {
    const std::uint32_t drawn = std::uniform_int_distribution<std::uint32_t>(0, tunnels - 1)(rng);
    const std::uint32_t tunnel = spread == Spread::AllTunnels ? drawn : tunnels / 2;
    f.source = local_network(tunnel) + 1 + rng() % 254;
    f.destination = remote_network(tunnel) + 1 + rng() % 254;
  }
  return flows;
}

wire::IpPacketInfo info_of(const Flow& f) {
  wire::IpPacketInfo p;
  p.family = wire::IpFamily::V4;
  p.source = wire::IpAddress::v4(f.source);
  p.destination = wire::IpAddress::v4(f.destination);
  p.protocol = wire::ip_protocol::kUdp;
  p.source_port = 5000;
  p.destination_port = 6000;
  return p;
}

// A `size`-byte IPv4/UDP packet; its addresses are rewritten per packet (as a fresh TUN read would).
Bytes inner_packet(std::size_t size) {
  Bytes pkt(size, 0);
  wire::Ipv4HeaderFields h;
  h.source = wire::IpAddress::v4(local_network(0) + 1);
  h.destination = wire::IpAddress::v4(remote_network(0) + 1);
  h.protocol = wire::ip_protocol::kUdp;
  h.total_length = static_cast<std::uint16_t>(size);
  wire::write_ipv4_header(pkt, h);
  std::uint8_t* udp = pkt.data() + wire::kIpv4MinHeaderLength;
  wire::store_be16(udp, 5000);
  wire::store_be16(udp + 2, 6000);
  wire::store_be16(udp + 4, static_cast<std::uint16_t>(size - wire::kIpv4MinHeaderLength));
  return pkt;
}

void set_addresses(Bytes& packet, const Flow& f) {
  wire::store_be32(packet.data() + 12, f.source);
  wire::store_be32(packet.data() + 16, f.destination);
}

// ----------------------------------------------------------------------------------- lookups

void bm_lookup_indexed(benchmark::State& state, std::uint32_t tunnels, Spread spread) {
  ipsec::Spd spd;
  for (std::uint32_t t = 0; t < tunnels; ++t) spd.add(tunnel_policy(t));
  std::vector<wire::IpPacketInfo> infos;
  for (const Flow& f : traffic(tunnels, spread)) infos.push_back(info_of(f));
  std::size_t next = 0;
  for (auto _ : state) {
    const ipsec::Policy* p = spd.lookup_outbound(infos[next]);
    if (p == nullptr) {
      state.SkipWithError("a packet matched no policy");
      break;
    }
    benchmark::DoNotOptimize(p);
    next = (next + 1) % kRing;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// The next packet depends on this lookup's result (through a zero the compiler cannot see), so
// one lookup's cache misses cannot overlap with the next one's: latency, not throughput.
void bm_lookup_chained(benchmark::State& state, std::uint32_t tunnels) {
  ipsec::Spd spd;
  for (std::uint32_t t = 0; t < tunnels; ++t) spd.add(tunnel_policy(t));
  std::vector<wire::IpPacketInfo> infos;
  for (const Flow& f : traffic(tunnels)) infos.push_back(info_of(f));
  std::size_t zero = 0;
  benchmark::DoNotOptimize(zero);
  std::size_t next = 0;
  for (auto _ : state) {
    const ipsec::Policy* p = spd.lookup_outbound(infos[next]);
    if (p == nullptr) {
      state.SkipWithError("a packet matched no policy");
      break;
    }
    next = (next + 1 + (reinterpret_cast<std::uintptr_t>(p) & zero)) % kRing;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void bm_lookup_linear(benchmark::State& state, std::uint32_t tunnels) {
  LinearSpd spd;
  for (std::uint32_t t = 0; t < tunnels; ++t) spd.add(tunnel_policy(t));
  std::vector<wire::IpPacketInfo> infos;
  for (const Flow& f : traffic(tunnels)) infos.push_back(info_of(f));
  std::size_t next = 0;
  for (auto _ : state) {
    const ipsec::Policy* p = spd.lookup_outbound(infos[next]);
    if (p == nullptr) {
      state.SkipWithError("a packet matched no policy");
      break;
    }
    benchmark::DoNotOptimize(p);
    next = (next + 1) % kRing;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// ------------------------------------------------------------------------ whole outbound path

// shared_sa: every policy uses tunnel 0's SA, so the SA's cipher state stays in the cache and
// only the policy lookup still varies with the number of tunnels (the "policy share" of the path).
void bm_outbound_indexed(benchmark::State& state, std::uint32_t tunnels, std::size_t bytes, bool shared_sa,
                         Spread spread) {
  ipsec::DataPlane dp;
  std::optional<ipsec::SaHandle> sa;
  for (std::uint32_t t = 0; t < tunnels; ++t) {
    const ipsec::PolicyId id = dp.spd().add(tunnel_policy(t));
    if (!sa || !shared_sa)
      sa = dp.sad().add(std::make_unique<ipsec::SecurityAssociation>(outbound_sa(t), TimePoint{}));
    dp.bind_outbound_sa(id, sa);
  }
  const std::vector<Flow> flows = traffic(tunnels, spread);
  Bytes packet = inner_packet(bytes);
  Bytes out(bytes + ipsec::kMaxEncapsulationOverhead);
  std::size_t next = 0;
  for (auto _ : state) {
    set_addresses(packet, flows[next]);
    const ipsec::OutboundOutcome o = dp.process_outbound(packet, out, kNow);
    if (o.kind != ipsec::OutboundOutcome::Kind::Protected) {
      state.SkipWithError("a packet was not protected");
      break;
    }
    benchmark::DoNotOptimize(o);
    benchmark::ClobberMemory();
    next = (next + 1) % kRing;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// The same steps as DataPlane::process_outbound for a PROTECT hit, with the linear scan.
void bm_outbound_linear(benchmark::State& state, std::uint32_t tunnels, std::size_t bytes) {
  LinearSpd spd;
  ipsec::Sad sad;
  for (std::uint32_t t = 0; t < tunnels; ++t) {
    ipsec::Policy p = tunnel_policy(t);
    p.outbound_sa = sad.add(std::make_unique<ipsec::SecurityAssociation>(outbound_sa(t), TimePoint{}));
    spd.add(std::move(p));
  }
  const std::vector<Flow> flows = traffic(tunnels);
  Bytes packet = inner_packet(bytes);
  Bytes out(bytes + ipsec::kMaxEncapsulationOverhead);
  std::size_t next = 0;
  for (auto _ : state) {
    set_addresses(packet, flows[next]);
    const auto info = wire::parse_ip_packet(packet);
    const ipsec::Policy* policy = info ? spd.lookup_outbound(*info) : nullptr;
    ipsec::SecurityAssociation* sa = policy && policy->outbound_sa ? sad.find(*policy->outbound_sa) : nullptr;
    if (sa == nullptr || !sa->usable()) {
      state.SkipWithError("a packet found no usable SA");
      break;
    }
    const ipsec::PacketResult r = ipsec::esp_encapsulate(*sa, packet, out, kNow);
    if (!r.ok) {
      state.SkipWithError("esp_encapsulate dropped the packet");
      break;
    }
    benchmark::DoNotOptimize(r);
    benchmark::ClobberMemory();
    next = (next + 1) % kRing;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void register_all() {
  for (const std::uint32_t n : kTunnelCounts) {
    const std::string suffix = "/" + std::to_string(n);
    benchmark::RegisterBenchmark(("BM_Lookup/indexed" + suffix).c_str(),
                                 [n](benchmark::State& s) { bm_lookup_indexed(s, n, Spread::AllTunnels); });
    benchmark::RegisterBenchmark(("BM_Lookup/indexed-one-active" + suffix).c_str(),
                                 [n](benchmark::State& s) { bm_lookup_indexed(s, n, Spread::OneActive); });
    benchmark::RegisterBenchmark(("BM_Lookup/indexed-chained" + suffix).c_str(),
                                 [n](benchmark::State& s) { bm_lookup_chained(s, n); });
    benchmark::RegisterBenchmark(("BM_Lookup/linear" + suffix).c_str(),
                                 [n](benchmark::State& s) { bm_lookup_linear(s, n); });
  }
  for (const std::size_t bytes : kSizes) {
    for (const std::uint32_t n : kTunnelCounts) {
      const std::string suffix = "/" + std::to_string(n) + "/" + std::to_string(bytes);
      benchmark::RegisterBenchmark(("BM_Outbound/indexed" + suffix).c_str(), [n, bytes](benchmark::State& s) {
        bm_outbound_indexed(s, n, bytes, false, Spread::AllTunnels);
      });
      benchmark::RegisterBenchmark(
          ("BM_Outbound/indexed-one-active" + suffix).c_str(),
          [n, bytes](benchmark::State& s) { bm_outbound_indexed(s, n, bytes, false, Spread::OneActive); });
      benchmark::RegisterBenchmark(
          ("BM_Outbound/indexed-one-sa" + suffix).c_str(),
          [n, bytes](benchmark::State& s) { bm_outbound_indexed(s, n, bytes, true, Spread::AllTunnels); });
      benchmark::RegisterBenchmark(("BM_Outbound/linear" + suffix).c_str(),
                                   [n, bytes](benchmark::State& s) { bm_outbound_linear(s, n, bytes); });
    }
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
