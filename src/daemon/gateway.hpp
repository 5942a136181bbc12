// cygnetd's gateway: the gateway core (engine + data plane, src/gateway) wired to the operating
// system. Each readable fd is read in a batch into the core; the core's output batch is written
// out by one function per destination kind (gateway_packets.cpp):
//   TUN device ──read──▶ GatewayCore ──▶ raw ESP/AH socket or UDP 4500
//   raw socket / UDP 500/4500 ──▶ GatewayCore ──write──▶ TUN device; IKE ◀──▶ engine
//   applied SA/policy changes ──▶ routes, cleartext filter, log; events ──▶ log, monitor, metrics
// With [daemon] workers = 1 this thread does everything. With more, data-plane workers
// (data_worker.hpp, gateway_workers.cpp) each read one TUN queue and decrypt the ESP/AH this
// thread hands them by SPI; IKE, timers and control stay here, on one epoll loop.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "config/config.hpp"
#include "daemon/address_monitor.hpp"
#include "daemon/cleartext_filter.hpp"
#include "daemon/client_addresses.hpp"
#include "daemon/control_clients.hpp"
#include "daemon/data_worker.hpp"
#include "daemon/event_loop.hpp"
#include "daemon/event_subscribers.hpp"
#include "daemon/metrics_report.hpp"
#include "daemon/metrics_server.hpp"
#include "daemon/os/netlink.hpp"
#include "daemon/os/sockets.hpp"
#include "daemon/os/tun_device.hpp"
#include "daemon/packet_io.hpp"
#include "daemon/radius_accounting.hpp"
#include "daemon/radius_client.hpp"
#include "daemon/refusal_log.hpp"
#include "daemon/resolved_dns.hpp"
#include "daemon/resolver.hpp"
#include "daemon/revocation_fetcher.hpp"
#include "daemon/route_based_interfaces.hpp"
#include "daemon/route_planner.hpp"
#include "daemon/service_notifier.hpp"
#include "daemon/socket_batch_io.hpp"
#include "daemon/status_json.hpp"
#include "daemon/tcp_encapsulation.hpp"
#include "gateway/gateway_core.hpp"

namespace cygnet::daemon {

// Whether any connection initiates over TCP (`tcp` = "always" or "fallback"; gateway_tcp.cpp).
bool tcp_initiators_configured(const config::Config& config);

struct GatewayOptions {
  std::string config_path;
  std::uint32_t fwmark = kDefaultFwmark;  // on every socket of ours: skips the tunnel routing table
  std::uint32_t routing_table = 199;      // routes into the TUN device live here
  std::uint32_t rule_priority = 199;      // "not fwmark FWMARK lookup TABLE"
  int tun_mtu = 1400;                     // leaves room for ESP-in-UDP over a 1500-byte path
  Seconds nat_keepalive{20};              // RFC 3948 §4 suggests 20 s; NAT bindings often last 30-60 s
  std::optional<std::string> log_levels;  // command-line override of [daemon] log_level
};

class Gateway {
 public:
  // Opens the TUN device, sockets and control socket, installs the routing rule and loads the
  // connections. Throws std::exception with a message naming what failed.
  Gateway(config::Config config, GatewayOptions options);
  ~Gateway();  // removes routes and rules; the TUN device disappears with its fd
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Runs until SIGTERM/SIGINT (SIGHUP reloads), then deletes every SA (Delete sent). Returns the
  // process exit code.
  int run();

 private:
  struct IkeSocket {
    UdpSocket socket;
    bool any_address = true;
    wire::IpAddress bound;
  };

  // --- set-up and tear-down (gateway.cpp)
  void open_sockets();
  void enable_udp_offloads();  // UDP GSO / GRO on the IKE sockets where the kernel has them
  void open_control_socket();
  void install_rules();
  void remove_rules_and_routes();
  // Into the current batch (batch()): the caller carries it out.
  void add_connection(const ike::ConnectionSettings& settings, TimePoint now);
  void remove_connection(const std::string& name, TimePoint now);
  void shutdown(TimePoint now);
  // After shutdown(): ends the loop once every Delete exchange is over, or at stop_by_.
  void stop_when_deletes_done(TimePoint now);

  // --- the core's facts (gateway.cpp)
  ike::Engine& engine() { return core_->engine(); }
  const ike::Engine& engine() const { return core_->engine(); }
  // The output batch, emptied: every input into the core appends to it, carry_out() empties it out.
  gateway::OutputBatch& batch() {
    out_.clear();
    return out_;
  }
  // Carries out what the engine queued after a direct call on engine().
  void drain(TimePoint now);
  void on_applied(const gateway::AppliedAction& applied);
  // Pools and leases (gateway_leases.cpp): the state file read at start, rewritten on changes.
  void load_leases();
  void save_leases();
  void log_virtual_ips(const ike::Action& action);
  // Cygnet as a remote-access client (gateway_client.cpp): the assigned virtual addresses on the
  // TUN device, the routes' preferred source, DNS through systemd-resolved; all undone on release.
  void on_virtual_ip_change(const ike::Action& change);
  void forget_client_connection(const std::string& name);  // unloaded: its assignment goes too
  void apply_client_setup();
  void remove_client_leftovers();  // at start: addresses a crashed run left on the TUN device
  void remove_client_setup();      // at exit
  nlohmann::json client_status_json() const;
  void log_event(const ike::Event& event);
  void reconcile_routes();
  // config_.shunts into the core's SPD, the route planner and the cleartext filter.
  void apply_shunts();
  // Route-based interfaces: opened (and watched) for a connection being added; carriers after SA changes.
  bool open_interface(const ike::ConnectionSettings& settings);
  void close_unused_interfaces(const std::vector<ike::ConnectionSettings>& connections);
  void update_carriers();
  void housekeeping(TimePoint now);
  std::optional<TimePoint> next_deadline() const;
  SaCounts sa_counts(TimePoint now) const;  // for systemd's STATUS= (service_notifier.hpp)

  // --- packets (gateway_packets.cpp): reading a batch into the core
  void on_tun_readable();
  // A route-based connection's interface (route_based_interfaces.hpp) has packets.
  void on_link_readable(const std::string& connection);
  void on_udp_readable(IkeSocket& socket);
  void on_raw_readable(RawIpSocket& socket);
  // ICMP Fragmentation Needed / Packet Too Big on the outer side → the core's path MTU.
  void on_icmp_readable(RawIpSocket& socket);
  // --- writing the core's output batch (gateway_packets.cpp), one function per destination kind
  void carry_out(TimePoint now);
  void write_tun_packets(const gateway::OutputBatch& out);
  void send_raw_packets(const gateway::OutputBatch& out);
  void send_udp_packets(const gateway::OutputBatch& out);
  // The raw socket that sends IP packets of `family`; the UDP socket bound to `local` (null: none).
  const RawIpSocket* raw_socket_for(wire::IpFamily family) const;
  const IkeSocket* udp_socket_for(const ike::Endpoint& local) const;
  void sync_core_counters();  // the core's counts into counters_ (stats, metrics)

  // --- data-plane workers (gateway_workers.cpp); nothing happens here with one worker
  void start_workers(std::size_t count);
  void stop_workers();
  // A new data plane replica for every worker (after SAs, policies or path MTUs changed).
  void publish_replicas();
  // Hands an ESP/AH packet (or ESP in UDP: `udp`) to the worker owning its SPI. False: not
  // handed over (no workers, no SPI found, too large for the ring): the core takes it here.
  bool hand_to_worker(ByteView packet, const std::optional<ipsec::UdpEndpoints>& udp);
  void wake_workers();  // those handed packets since the last call
  void on_worker_requests_readable();
  nlohmann::json workers_json() const;
  // The data plane counters of this thread and every worker, summed.
  ipsec::GlobalCounters data_plane_counters() const;
  // counters_ plus the workers' TUN and network counts.
  DaemonCounters daemon_counters() const;
  // The shunts with what this thread and every worker counted for them.
  std::vector<gateway::ShuntState> shunt_states() const;
  // Runs `change` with every worker paused at a checkpoint, then publishes new replicas
  // (CoreOptions::with_workers_paused: MOBIKE's in-place move of an SA's addresses).
  void with_workers_paused(const std::function<void()>& change);

  // --- control socket (gateway_control.cpp)
  void on_control_readable();
  std::optional<nlohmann::json> serve_control(const nlohmann::json& request, int client);
  nlohmann::json handle_request(const nlohmann::json& request, TimePoint now);
  nlohmann::json reload(TimePoint now);
  // --- key export (gateway_key_export.cpp): `client` is the requester's socket (SO_PEERCRED)
  nlohmann::json export_keys(const nlohmann::json& request, int client);
  // --- host names in remote_addrs (gateway_resolution.cpp)
  void resolve_remote(const ike::ResolveRemote& request);
  void on_resolver_readable();
  // --- local address changes for MOBIKE clients (gateway_addresses.cpp)
  void watch_local_addresses();
  void on_local_addresses_changed();
  // --- certificate revocation data (gateway_revocation.cpp)
  void fetch_revocation(const ike::FetchRevocation& request);
  void on_revocation_readable();
  // --- EAP-RADIUS and accounting (gateway_radius.cpp)
  void start_radius();  // with [radius]: the client and its fd in the loop
  void relay_to_radius(const ike::RadiusAccessRequest& request);
  void on_radius_readable();
  // The answers no RADIUS server will give (the queue was full): given to the engine now.
  void answer_refused_radius(TimePoint now);
  // Start / Interim-Update / Stop for the EAP-RADIUS clients' sessions as they are now.
  void account_radius_sessions(TimePoint now);
  void note_radius_events(const gateway::OutputBatch& out);

  // --- TCP encapsulation, RFC 9329 (gateway_tcp.cpp)
  void open_tcp();
  void on_tcp_frames(std::vector<TcpEncapsulation::Inbound>& frames);
  // A UDP payload of the output batch that goes over TCP instead (a TCP peer's, or an
  // IKE_SA_INIT of a connection with `tcp`): true when taken.
  bool route_over_tcp(const gateway::OutputPacket& p, ByteView payload, TimePoint now);
  bool tcp_peer_in_use(const ike::Endpoint& remote, TimePoint now) const;
  void tcp_timer(TimePoint now);
  void add_tcp_status(nlohmann::json& status, TimePoint now) const;

  // --- metrics and monitor subscribers (gateway_watch.cpp)
  void open_metrics();
  std::string render_metrics();
  void publish_event(const ike::Event& event, TimePoint now);
  void publish_notice(std::string_view type, std::string_view detail);
  bool accept_monitor(int client);  // takes the fd; false when refused (fd closed)

  config::Config config_;
  bool leases_dirty_ = false;
  GatewayOptions options_;
  TimePoint started_;

  EventLoop loop_;
  std::optional<Netlink> netlink_;
  std::optional<AddressMonitor> address_monitor_;  // MOBIKE: our address changes (gateway_addresses.cpp)
  std::optional<TunDevice> tun_;
  std::optional<TunPacketIo> tun_io_;  // reads/writes tun_ in offload-sized units
  std::vector<std::unique_ptr<IkeSocket>> ike_sockets_;
  std::vector<std::unique_ptr<RawIpSocket>> raw_sockets_;
  std::vector<std::unique_ptr<RawIpSocket>> icmp_sockets_;  // receive only, filtered to Too Big
  int control_fd_ = -1;
  std::vector<RuleSpec> installed_rules_;
  std::vector<RouteSpec> installed_routes_;
  std::unique_ptr<RouteBasedInterfaces> interfaces_;  // after netlink_: closed before it

  std::unique_ptr<gateway::GatewayCore> core_;
  gateway::OutputBatch out_;                     // reused by every call into the core
  std::vector<wire::IpAddress> emsgsize_peers_;  // raw sends refused as too big, this batch
  RoutePlanner routes_;
  ClientAssignments client_assignments_;
  ResolvedDns resolved_;
  std::optional<LinkDns> applied_dns_;  // what systemd-resolved holds for the TUN link
  std::optional<LinkDns> wanted_dns_;   // what the assignments ask for (applied or not)
  std::string dns_state_ =
      "none";  // for status: "none", "applied through systemd-resolved", "not applied: ..."
  std::unique_ptr<CleartextFilter> cleartext_filter_;  // set once the TUN device exists
  DaemonCounters counters_;
  Resolver resolver_;
  RevocationFetcher revocation_fetcher_;
  // EAP-RADIUS (gateway_radius.cpp): the client (null without [radius]), the Access-Requests on
  // the wire by engine request (for the log), those refused for a full queue, and accounting.
  struct RadiusInFlight {
    ike::IkeSaId ike_sa = 0;
    std::string user;
  };
  std::unique_ptr<RadiusClient> radius_;
  std::map<std::uint64_t, RadiusInFlight> radius_in_flight_;
  std::vector<std::uint64_t> radius_refused_;
  std::optional<RadiusAccounting> radius_accounting_;
  bool radius_accounting_due_ = false;
  TimePoint next_housekeeping_;
  std::optional<TimePoint> stop_by_;  // SIGTERM/SIGINT: the latest moment the loop ends
  ServiceNotifier notifier_ = ServiceNotifier::from_environment();  // no-op outside systemd
  RefusalLog refusal_log_;  // rate-limited lines for refused (hostile) IKE requests

  Bytes in_buffer_ = Bytes(65536);  // one ICMP packet read, reused
  // Batched socket I/O (socket_batch_io.hpp): one recvmmsg / sendmmsg per batch, UDP GSO and GRO
  // when [daemon] offload is on and the kernel has them (open_sockets decides).
  UdpBatchReceiver udp_receiver_;
  RawBatchReceiver raw_receiver_;
  UdpBatchSender udp_sender_{false};
  RawBatchSender raw_sender_;
  std::vector<const gateway::OutputPacket*> sending_;  // what each queued send is, in queue order
  bool gso_loss_logged_ = false;

  // TCP encapsulation: after loop_, so its fds leave the loop before it closes.
  std::unique_ptr<TcpEncapsulation> tcp_;
  struct TcpAttempt {  // an IKE_SA_INIT request of ours, by initiator SPI
    unsigned sends = 0;
    TimePoint last_sent;
    std::optional<std::string> connection;
  };
  std::map<std::uint64_t, TcpAttempt> tcp_attempts_;

  // Watching: after loop_, so they leave the loop before it closes.
  EventSubscribers subscribers_{loop_};
  ControlClients control_clients_{loop_,
                                  [this](const nlohmann::json& request, int fd, const PeerCredentials&) {
                                    return serve_control(request, fd);
                                  }};
  std::unique_ptr<MetricsServer> metrics_;
  RetiredTraffic retired_traffic_;
  ConnectionEventCounts connection_events_;

  // Data-plane workers (gateway_workers.cpp). Declared last so that they stop before anything
  // they use (TUN queues, IKE sockets, the request queue) goes away.
  gateway::WorkerRequestQueue worker_requests_;
  int worker_requests_fd_ = -1;  // eventfd: a worker queued a request
  bool replicas_dirty_ = false;  // the data plane changed outside an applied action (path MTU)
  std::vector<std::unique_ptr<TunDevice>> tun_queues_;  // the TUN device's queues beyond tun_
  std::vector<std::unique_ptr<DataWorker>> workers_;
  std::vector<bool> wake_pending_;
  gateway::WorkerPause worker_pause_;
  // Inbound SPIs of route-based connections: their ESP stays on this thread, which owns those
  // interfaces (refreshed with every replica).
  std::unordered_set<std::uint32_t> route_based_spis_;
  // RFC 9611 per-resource SAs: inbound SPI -> the worker that owns it (else the SPI hash decides).
  std::unordered_map<std::uint32_t, std::size_t> resource_spi_workers_;
};

}  // namespace cygnet::daemon
