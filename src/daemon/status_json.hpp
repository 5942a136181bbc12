// The daemon's answers to `cygnetctl status` and `cygnetctl stats`, in the JSON documented in
// control/control_protocol.hpp: the engine's view of its SAs joined with the data plane's
// counters for each of them.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "daemon/socket_batch_io.hpp"
#include "gateway/sa_traffic.hpp"
#include "ike/data_plane_binding.hpp"
#include "ike/engine.hpp"
#include "ipsec/data_plane.hpp"

namespace cygnet::daemon {

struct DaemonInfo {
  long pid = 0;
  std::int64_t uptime_seconds = 0;
  std::string config_path;
  std::string tun;
  TimePoint now{};  // for path MTUs, whose learned values age
};

// Counted by the daemon's I/O edge (the cores count the rest).
struct DaemonCounters {
  std::uint64_t tun_packets_read = 0;
  std::uint64_t tun_packets_written = 0;
  std::uint64_t network_packets_received = 0;
  std::uint64_t network_packets_sent = 0;
  std::uint64_t send_errors = 0;
  std::uint64_t acquires = 0;
  std::uint64_t queued_while_negotiating = 0;
  std::uint64_t queue_overflow_drops = 0;
  std::uint64_t queue_expired_drops = 0;
  std::uint64_t nat_keepalives_sent = 0;
  std::uint64_t outer_fragments_sent = 0;   // IP fragments of outer packets larger than the path MTU
  std::uint64_t icmp_too_big_received = 0;  // ICMP Too Big read on the outer side (before checking)
  std::uint64_t control_requests = 0;
  std::uint64_t reloads = 0;
  // CRL / OCSP fetching (revocation_fetcher.hpp): URIs fetched, URIs that failed, CRLs reused.
  std::uint64_t revocation_downloads = 0;
  std::uint64_t revocation_download_failures = 0;
  std::uint64_t crl_cache_hits = 0;
  // TUN offloads (daemon/packet_io.hpp); zero with [daemon] offload = false or an old kernel.
  std::uint64_t tun_super_packets_read = 0;
  std::uint64_t tun_segments_from_super_packets = 0;
  std::uint64_t tun_coalesced_writes = 0;
  std::uint64_t tun_segments_coalesced = 0;
  std::uint64_t tun_offload_errors = 0;
  // Batched socket I/O (daemon/socket_batch_io.hpp): system calls, messages, UDP GSO and GRO.
  SocketBatchCounters sockets;
};

nlohmann::json status_json(const std::vector<ike::ConnectionStatus>& status,
                           const std::vector<ike::ConnectionSettings>& connections,
                           const ike::DataPlaneBinding& binding, const ipsec::DataPlane& data_plane,
                           const DaemonInfo& daemon);

// The "data_plane" object of stats: traffic, drops by reason, path MTU counts.
nlohmann::json data_plane_counters_json(const ipsec::GlobalCounters& g);

nlohmann::json stats_json(const std::vector<ike::ConnectionStatus>& status, const ike::EngineCounters& ike,
                          const ike::DataPlaneBinding& binding, const ipsec::DataPlane& data_plane,
                          const DaemonCounters& daemon);

// One CHILD SA's traffic and drops from the data plane (zeros when its SAs are not installed).
using gateway::SaTraffic;
using gateway::traffic_of;

// `cygnetctl leases`: {"pools": [{"name", "first", "last", "size", "online", "offline", "free"}],
// "leases": [{"pool", "address", "identity", "state": "online"|"offline"}]}. "free" counts the
// never-used addresses; offline leases are reserved for their identities until those run out.
nlohmann::json leases_json(const std::vector<ike::Lease>& leases,
                           const std::vector<ike::PoolSettings>& pools);
std::string spi_hex(std::uint32_t spi);      // "c1a2b3c4"
std::string ike_spi_hex(std::uint64_t spi);  // "0123456789abcdef"

}  // namespace cygnet::daemon
