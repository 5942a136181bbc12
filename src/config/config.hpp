// The daemon's configuration file (TOML shaped like strongSwan's swanctl.conf) turned into typed,
// validated settings. All or nothing: any error means no Config, so a typo can never leave a
// half-applied configuration behind. docs/configuration.md describes every key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/listen_endpoint.hpp"
#include "config/radius_settings.hpp"
#include "ike/address_pool.hpp"
#include "ike/connection_settings.hpp"
#include "ike/eap_mschapv2.hpp"
#include "ipsec/shunt.hpp"
#include "wire/ip_address.hpp"

namespace cygnet::config {

// The most data-plane workers [daemon] workers accepts (each takes a worker slot of the data
// plane, ipsec/worker_slot.hpp, which has 64 for workers, the IKE thread and tests together).
inline constexpr std::size_t kMaxWorkers = 32;

struct DaemonSettings {
  std::vector<wire::IpAddress> listen;  // empty = every local address
  std::string control_socket = "/run/cygnet/cygnetd.sock";
  std::string tun = "cygnet0";
  std::string log_level = "info";         // trace | debug | info | warn | error | off
  std::optional<ListenEndpoint> metrics;  // Prometheus endpoint; off unless set
  // `cygnetctl export-keys` (root only) may read the SAs' keys: off unless set explicitly.
  bool allow_key_export = false;
  bool drop_cleartext = true;  // nftables drops cleartext that bypassed the tunnel (RFC 4301 §5.2)
  // TUN with IFF_VNET_HDR + TUNSETOFFLOAD (TSO/USO/checksum) when the kernel has it; read at start.
  bool offload = true;
  // Data-plane worker threads (1 to kMaxWorkers); unset: one per online CPU. Read at start.
  std::optional<std::size_t> workers;
  // Caps on half-open responder IKE SAs, IKEv2 and IKEv1 alike (0 = none); unset: the engine's
  // defaults (ike::EngineOptions).
  std::optional<std::size_t> max_half_open;
  std::optional<std::size_t> max_half_open_per_source;
  // IKE retransmissions (strongSwan's charon.retransmit_timeout/_tries): the first after this
  // long, then 1.8 times longer each; the IKE SA is given up after `retransmit_tries` of them.
  // Unset: the engine's defaults (1 s, 5: about 41 s). Read at start.
  std::optional<Milliseconds> retransmit_timeout;
  std::optional<unsigned> retransmit_tries;
  // TCP encapsulation (RFC 9329) as a responder: the TCP port to accept IKE and ESP on (off
  // unless set), and how many such connections may be open at once. Read at start.
  std::optional<std::uint16_t> tcp_port;
  std::size_t tcp_max_connections = 1000;
  // Where cygnetd keeps state across restarts (the pools' leases, leases.json).
  std::string state_dir = "/var/lib/cygnet";
};

struct Config {
  DaemonSettings daemon;
  std::vector<ike::ConnectionSettings> connections;  // in file order
  ike::EapUsers eap_users;                           // [eap_users.NAME]: NT hashes for EAP-MSCHAPv2 gateways
  std::vector<ike::PoolSettings> pools;              // [pools.NAME], in file order
  std::optional<RadiusSettings> radius;              // [radius]: EAP-RADIUS and accounting
  std::vector<ipsec::ShuntSettings> shunts;          // [shunts.NAME]: pass/drop policies, in file order
  std::string source_path;
};

// One problem, located in the file. line/column are 1-based; 0 when the problem has no place in
// the text (e.g. the file cannot be read).
struct ConfigError {
  std::string file;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  std::string message;

  // "file:line:col: message", or "file: message" without a position.
  std::string to_string() const;
};

struct LoadResult {
  std::optional<Config> config;     // set only when errors is empty
  std::vector<ConfigError> errors;  // every problem found, in file order

  bool ok() const { return config.has_value(); }
  // One formatted error per line (for cygnetd and `cygnetctl check`).
  std::string error_text() const;
};

// Reads and validates a file; relative psk_file/certificate paths are resolved against the
// file's directory.
LoadResult load_config_file(const std::string& path);

// Validates TOML text. source_name is used in error messages; base_dir resolves relative paths
// (psk_file, certificate, private_key, ca_certificates).
LoadResult parse_config(std::string_view text, std::string source_name,
                        const std::filesystem::path& base_dir);

}  // namespace cygnet::config
