// A remote-access gateway at scale (issue 14): one `%any` connection that proves itself with an
// ECDSA P-256 certificate, authenticates users with EAP-MSCHAPv2 and leases each a virtual IPv6
// address from a pool; kClients clients (one initiator engine with a connection per client).
//
//   BM_RoadWarriorMemory     connects kClients clients, then frees the clients' engine: the heap
//                            the gateway (engine + data plane) still holds, per client (counter
//                            bytes_per_client; IKE SA, CHILD SA, lease, SAD and SPD entries).
//   BM_RoadWarriorHandshake  with kClients clients connected, one client after the other
//                            disconnects and connects again; the time measured (manual time) is
//                            only the gateway's thread CPU time: its engine handling IKE_SA_INIT and the
//                            IKE_AUTH rounds of EAP-MSCHAPv2, and its data plane installing the CHILD SA. 1 /
//                            time per iteration = handshakes per second of one gateway core.
#include <benchmark/benchmark.h>

#include <chrono>
#include <ctime>
#include <memory>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "crypto/mschapv2.hpp"
#include "crypto/x509.hpp"
#include "heap_accounting.hpp"
#include "ike/algorithms.hpp"
#include "ike/data_plane_binding.hpp"
#include "ike/engine.hpp"
#include "ike/identity.hpp"
#include "ipsec/data_plane.hpp"

namespace cygnet::bench {
namespace {

using wire::IpAddress;
using wire::IpPrefix;

constexpr int kClients = 1000;
const IpAddress kGateway = *IpAddress::parse("2001:db8::1");

IpAddress client_address(int i) {
  return *IpAddress::parse("2001:db8:c::" + std::to_string(i + 2));
}
std::string user(int i) {
  return "user" + std::to_string(i);
}
crypto::SecureBytes nt_hash(int i) {
  const std::string password = "password of user " + std::to_string(i);
  return *crypto::mschapv2::nt_password_hash(
      ByteView(reinterpret_cast<const std::uint8_t*>(password.data()), password.size()));
}

struct Pki {
  Pki() {
    crypto::CertificateSpec ca_spec;
    ca_spec.common_name = "Cygnet Bench CA";
    ca_spec.not_before = std::chrono::system_clock::now() - std::chrono::hours(24);
    ca_spec.not_after = std::chrono::system_clock::now() + std::chrono::hours(24 * 365);
    ca_spec.is_ca = true;
    ca = crypto::issue_certificate(ca_spec, ca_key.public_key(), ca_key, nullptr);
    crypto::CertificateSpec gw_spec = ca_spec;
    gw_spec.common_name = "gw.example.net";
    gw_spec.dns_names = {"gw.example.net"};
    gw_spec.is_ca = false;
    gateway = crypto::issue_certificate(gw_spec, gateway_key->public_key(), ca_key, &*ca);
  }
  crypto::PrivateKey ca_key = crypto::PrivateKey::generate(crypto::KeyType::EcdsaP256);
  std::shared_ptr<crypto::PrivateKey> gateway_key =
      std::make_shared<crypto::PrivateKey>(crypto::PrivateKey::generate(crypto::KeyType::EcdsaP256));
  std::optional<crypto::Certificate> ca;
  std::optional<crypto::Certificate> gateway;
};

ike::ChildSettings child(std::vector<IpPrefix> local, std::vector<IpPrefix> remote) {
  ike::ChildSettings c;
  c.name = "net";
  c.local_ts = std::move(local);
  c.remote_ts = std::move(remote);
  c.proposals = {*ike::parse_proposal("aes256gcm16", ike::ProtocolId::Esp, false).proposal};
  return c;
}

ike::ConnectionSettings gateway_connection(const Pki& pki) {
  ike::ConnectionSettings c;
  c.name = "rw";
  c.local_addrs = {kGateway};
  c.local_id = *ike::Identity::parse("gw.example.net");
  c.remote_id = *ike::Identity::parse("%any");
  c.auth = ike::AuthKind::PublicKey;
  c.local_auth = ike::AuthMethod::PublicKey;
  c.remote_auth = ike::AuthMethod::EapMsChapV2;
  c.private_key = pki.gateway_key;
  c.certificate = pki.gateway;
  c.ike_proposals = {
      *ike::parse_proposal("aes256gcm16-prfsha256-x25519", ike::ProtocolId::Ike, false).proposal};
  c.dpd_delay = Seconds{0};
  c.pools = {"v6"};
  c.children = {child({*IpPrefix::parse("2001:db8:1::/48")}, {*IpPrefix::parse("::/0")})};
  return c;
}

ike::ConnectionSettings client_connection(const Pki& pki, int i) {
  ike::ConnectionSettings c;
  c.name = "c" + std::to_string(i);
  c.local_addrs = {client_address(i)};
  c.remote_addrs = {kGateway};
  c.local_id = *ike::Identity::parse("laptop" + std::to_string(i) + ".example");
  c.remote_id = *ike::Identity::parse("gw.example.net");
  c.auth = ike::AuthKind::PublicKey;
  c.local_auth = ike::AuthMethod::EapMsChapV2;
  c.remote_auth = ike::AuthMethod::PublicKey;
  c.ca_certificates = {*pki.ca};
  c.eap_identity = user(i);
  c.eap_password_hash = nt_hash(i);
  c.ike_proposals = {
      *ike::parse_proposal("aes256gcm16-prfsha256-x25519", ike::ProtocolId::Ike, false).proposal};
  c.dpd_delay = Seconds{0};
  c.vips = {*IpAddress::parse("::")};
  c.children = {child({}, {*IpPrefix::parse("2001:db8:1::/48")})};
  return c;
}

ike::EngineOptions options() {
  ike::EngineOptions o;
  o.wall_origin = std::chrono::system_clock::now();  // the engine reads no clock of its own
  o.cookie_threshold = 1 << 20;                      // clients connect one after the other here
  return o;
}

// An engine whose CHILD SAs land in its own data plane.
struct Side {
  Side() : engine(options(), ike::system_random()), binding(data_plane) {}
  ike::Engine engine;
  ipsec::DataPlane data_plane;
  ike::DataPlaneBinding binding;
};

struct Gateway : Side {
  explicit Gateway(const Pki& pki) {
    ike::PoolSettings v6;
    v6.name = "v6";
    if (auto error = ike::parse_pool_range("2001:db8:ffff::/112", v6)) throw std::runtime_error(*error);
    engine.set_pools({v6});
    ike::EapUsers users;
    for (int i = 0; i < kClients; ++i) users.emplace(user(i), nt_hash(i));
    engine.set_eap_users(std::move(users));
    engine.add_connection(gateway_connection(pki), TimePoint{});
  }
};

// CPU time of this thread: what the gateway's work costs, whatever else the machine runs.
std::chrono::nanoseconds thread_cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

// Hands datagrams back and forth until both sides are quiet; returns the CPU time the gateway spent.
std::chrono::nanoseconds exchange(Side& clients, Side& gateway) {
  std::chrono::nanoseconds gateway_time{0};
  for (int round = 0; round < 64; ++round) {
    bool any = false;
    std::vector<ike::SendDatagram> to_gateway;
    for (ike::Action& a : clients.engine.take_actions()) {
      if (auto* d = std::get_if<ike::SendDatagram>(&a))
        to_gateway.push_back(std::move(*d));
      else if (auto error = clients.binding.apply(a))
        throw std::runtime_error(*error);
    }
    std::vector<ike::SendDatagram> to_clients;
    const auto begin = thread_cpu_now();
    for (const auto& d : to_gateway) gateway.engine.on_datagram(d.remote, d.local, d.payload, TimePoint{});
    for (ike::Action& a : gateway.engine.take_actions()) {
      if (auto* d = std::get_if<ike::SendDatagram>(&a))
        to_clients.push_back(std::move(*d));
      else if (auto error = gateway.binding.apply(a))
        throw std::runtime_error(*error);
    }
    gateway_time += thread_cpu_now() - begin;
    for (const auto& d : to_clients) clients.engine.on_datagram(d.remote, d.local, d.payload, TimePoint{});
    any = !to_gateway.empty() || !to_clients.empty();
    if (!any) return gateway_time;
  }
  throw std::runtime_error("exchange did not settle");
}

std::size_t established(const ike::Engine& engine) {
  std::size_t n = 0;
  for (const auto& c : engine.status(TimePoint{}))
    for (const auto& sa : c.ike_sas)
      if (sa.state == ike::IkeSaState::Established && sa.children.size() == 1) ++n;
  return n;
}

void connect_all(const Pki& pki, Side& clients, Side& gateway) {
  for (int i = 0; i < kClients; ++i) {
    clients.engine.add_connection(client_connection(pki, i), TimePoint{});
    clients.engine.up("c" + std::to_string(i), TimePoint{});
    exchange(clients, gateway);
  }
}

void BM_RoadWarriorMemory(benchmark::State& state) {
  const Pki pki;
  for (auto _ : state) {
    const std::int64_t baseline = live_heap_bytes();
    auto gateway = std::make_unique<Gateway>(pki);
    const std::int64_t empty_gateway = live_heap_bytes() - baseline;
    {
      Side clients;
      connect_all(pki, clients, *gateway);
    }  // the clients' memory is released here; what is left is the gateway's
    if (established(gateway->engine) != kClients) {
      state.SkipWithError("not every client connected");
      return;
    }
    const std::int64_t held = live_heap_bytes() - baseline - empty_gateway;
    state.counters["bytes_per_client"] = static_cast<double>(held) / kClients;
    state.counters["clients"] = kClients;
    gateway.reset();
  }
}

void BM_RoadWarriorHandshake(benchmark::State& state) {
  const Pki pki;
  Gateway gateway(pki);
  Side clients;
  connect_all(pki, clients, gateway);
  if (established(gateway.engine) != kClients) {
    state.SkipWithError("not every client connected");
    return;
  }
  int next = 0;
  for (auto _ : state) {
    const std::string name = "c" + std::to_string(next);
    next = (next + 1) % kClients;
    clients.engine.down(name, TimePoint{});
    exchange(clients, gateway);  // the Delete: not counted
    clients.engine.up(name, TimePoint{});
    state.SetIterationTime(std::chrono::duration<double>(exchange(clients, gateway)).count());
  }
  if (established(gateway.engine) != kClients) state.SkipWithError("a client did not reconnect");
  state.counters["clients"] = kClients;
  state.SetLabel("EAP-MSCHAPv2, ECDSA P-256 gateway certificate, IPv6 lease, x25519");
}

BENCHMARK(BM_RoadWarriorMemory)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RoadWarriorHandshake)->UseManualTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace cygnet::bench
