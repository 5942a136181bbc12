// The gateway core: the IKE engine, the data plane, the binding between them and the acquire
// queue as one sans-I/O object. cygnetd (src/daemon) feeds it what its file descriptors read and
// carries out what it returns; the simulator (tests/sim) drives the very same class.
//
//   TUN packets ──on_tun_packet──▶ SPD/SAD ──▶ OutputBatch: Raw (ESP/AH) or Udp (ESP in UDP)
//                                    └ no SA: acquire → engine; the packet waits in the AcquireQueue
//   raw ESP/AH ──on_raw_packet──▶ DataPlane::process_inbound ──▶ OutputBatch: Tun
//   UDP 500/4500 ──on_udp_datagram──▶ IKE: Engine, ESP in UDP: data plane, keepalive: nothing
//   ICMP Too Big ──on_icmp_too_big──▶ path MTU toward the peer
//   engine actions ──▶ IKE datagrams (Udp), SAs and policies into the data plane (AppliedAction),
//                      events, host names to resolve
//
// Every input takes the time `now` and an OutputBatch the caller owns and clear()s; the core
// appends to it. The core never calls out, except for the optional route MTU query below (a pure
// read of the host's routing table, asked for when an SA is installed so the first packets
// already respect a small local link).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/bytes.hpp"
#include "base/time.hpp"
#include "gateway/acquire_queue.hpp"
#include "gateway/core_counters.hpp"
#include "gateway/output_batch.hpp"
#include "gateway/protected_output.hpp"
#include "gateway/shunt_table.hpp"
#include "gateway/worker_requests.hpp"
#include "ike/data_plane_binding.hpp"
#include "ike/engine.hpp"
#include "ike/random_source.hpp"
#include "ipsec/data_plane.hpp"

namespace cygnet::gateway {

struct CoreOptions {
  // Packets that hit a trap policy wait for their CHILD SA (bounded); off: they are dropped.
  bool hold_while_negotiating = true;
  AcquireLimits acquire_limits;
  // NAT keepalives (RFC 3948 §4) on every established IKE SA behind a NAT; nullopt: none.
  std::optional<Seconds> nat_keepalive = Seconds{20};
  // Emits a Trace notice for every dropped packet (costly: only when someone reads them).
  bool trace_drops = false;
  // The MTU of the route toward a peer (nullopt: unknown). Asked when an SA is installed and
  // by refresh_link_mtu(); unset: path MTU comes from ICMP alone.
  std::function<std::optional<std::uint32_t>(const wire::IpAddress& peer)> route_mtu;
  // Runs `change` while no other thread processes packets (the daemon's data-plane workers
  // paused). Used for the one SA change made in place, MOBIKE's move of a CHILD SA's addresses:
  // everything else replaces SAs and reaches workers as a new replica. Unset: `change` runs at once.
  std::function<void(const std::function<void()>& change)> with_workers_paused;
};

// A route-based connection's interface as the core knows it (0 is never one: the shared TUN).
using LinkId = std::uint32_t;

// What a data-plane worker needs besides its data plane replica (worker_path.hpp).
struct ReplicaContext {
  std::map<ipsec::SaHandle, LinkId> links;  // inbound SAs of route-based connections, their interface
  std::unordered_map<ipsec::PolicyId, std::string> shunt_keys;  // shunt policies, ShuntTable::key_of
  // RFC 9611 per-resource CHILD SAs: resource r belongs to worker r mod `workers` (set by whoever
  // runs the workers), whose replica binds the policy to that outbound SA instead of the fallback.
  std::vector<ike::DataPlaneBinding::ResourceBinding> resource_bindings;
  std::size_t workers = 1;
};

// The worker a per-resource SA's resource belongs to (ReplicaContext::resource_bindings).
inline std::size_t worker_of_resource(std::uint32_t resource, std::size_t workers) {
  return workers == 0 ? 0 : resource % workers;
}

// What happened to one cleartext packet handed to the core.
struct OutboundVerdict {
  ipsec::OutboundOutcome::Kind kind = ipsec::OutboundOutcome::Kind::Dropped;
  ipsec::DropReason drop = ipsec::DropReason::PolicyDiscard;
};

// What happened to one packet from the network.
enum class InboundVerdict : std::uint8_t {
  Ike,           // handed to the engine
  Keepalive,     // a NAT keepalive, or a datagram on 4500 that is neither IKE nor ESP: nothing to do
  Decapsulated,  // the inner packet is in the batch (Destination::Tun)
  Bypass,        // cleartext a BYPASS policy allows (the kernel delivers it; nothing in the batch)
  Dropped,
};

class GatewayCore {
 public:
  GatewayCore(ike::EngineOptions engine_options, CoreOptions options,
              std::shared_ptr<ike::RandomSource> random = ike::system_random());
  ~GatewayCore();
  GatewayCore(const GatewayCore&) = delete;
  GatewayCore& operator=(const GatewayCore&) = delete;

  // --- control inputs
  // False when the engine refused the connection (its settings are then not kept).
  bool add_connection(const ike::ConnectionSettings& settings, TimePoint now, OutputBatch& out);
  // Also drops every packet held for it.
  void remove_connection(const std::string& name, TimePoint now, OutputBatch& out);
  bool up(const std::string& name, TimePoint now, OutputBatch& out);    // false: unknown connection
  bool down(const std::string& name, TimePoint now, OutputBatch& out);  // false: unknown connection
  // The configured pass/drop shunts (replacing earlier ones; their counts carry over by name).
  void set_shunts(const std::vector<ipsec::ShuntSettings>& shunts) {
    shunts_.replace(data_plane_.spd(), shunts);
  }
  // Carries out whatever the engine queued after a direct call on engine() (status calls queue none).
  void drain(TimePoint now, OutputBatch& out);

  // --- packets
  // A cleartext packet from the protected side (read from the TUN device).
  OutboundVerdict on_tun_packet(ByteView ip_packet, TimePoint now, OutputBatch& out);
  // A cleartext packet read from a route-based connection's interface: protected with that
  // connection's current CHILD SA, no SPD lookup (whatever was routed into the interface belongs
  // to the tunnel). No SA: an acquire for the connection's child, the packet held like a trapped
  // one. Decapsulated packets of its SAs come out with OutputPacket::link = `link`.
  OutboundVerdict on_link_packet(LinkId link, ByteView ip_packet, TimePoint now, OutputBatch& out);
  // A UDP payload received on port 500 or 4500 (`local`: where it arrived).
  InboundVerdict on_udp_datagram(const ike::Endpoint& local, const ike::Endpoint& remote, ByteView payload,
                                 TimePoint now, OutputBatch& out);
  // A whole IP packet from the network for the data plane: ESP or AH from the raw sockets (or, in
  // the simulator, any packet that is not IKE).
  InboundVerdict on_raw_packet(ByteView ip_packet, TimePoint now, OutputBatch& out);
  // An IP packet carrying ICMP Fragmentation Needed / Packet Too Big from the outer path.
  // Returns whether it lowered a path MTU. Our own Too Big looped back (quoting an inner packet,
  // not ESP/AH/UDP) is ignored without counting.
  bool on_icmp_too_big(ByteView ip_packet, TimePoint now, OutputBatch& out);
  // A raw send toward `peer` failed with EMSGSIZE: the route MTU changed, ask for it again.
  void refresh_link_mtu(const wire::IpAddress& peer, TimePoint now, OutputBatch& out);

  // --- requests from data-plane workers (worker_path.hpp), on this (the control) thread
  // Acquire: held and negotiated as if on_tun_packet() had met the policy without an SA (a policy
  // removed since the worker's replica was made is ignored). Lifetime: reported to the engine.
  void on_worker_request(const WorkerRequest& request, TimePoint now, OutputBatch& out);

  // --- time
  std::optional<TimePoint> next_deadline() const;
  void on_timer(TimePoint now, OutputBatch& out);

  // --- route-based connections (ConnectionSettings::route_interface)
  // The link of a loaded route-based connection (a new id each time it is added).
  std::optional<LinkId> link_of(const std::string& connection) const;
  // Whether the link has a CHILD SA carrying its outbound traffic (its carrier follows this).
  bool link_has_sa(LinkId link) const;
  bool is_route_based(const std::string& connection) const {
    return link_by_connection_.contains(connection);
  }

  // --- views (status, stats, tests)
  ike::Engine& engine() { return *engine_; }
  const ike::Engine& engine() const { return *engine_; }
  ipsec::DataPlane& data_plane() { return data_plane_; }
  const ipsec::DataPlane& data_plane() const { return data_plane_; }
  ike::DataPlaneBinding& binding() { return binding_; }
  const ike::DataPlaneBinding& binding() const { return binding_; }
  const AcquireQueue& acquire_queue() const { return acquire_queue_; }
  const CoreCounters& counters() const { return counters_; }
  const std::vector<ShuntState>& shunts() const { return shunts_.shunts(); }
  const ShuntTable& shunt_table() const { return shunts_; }
  // For the workers' next replicas (published with DataPlane::replica()).
  ReplicaContext replica_context() const;

 private:
  // Protected / bypassed / dropped / acquire (for `target`) for an outcome of either lookup.
  OutboundVerdict finish_outbound(const ipsec::OutboundOutcome& o, ByteView ip_packet,
                                  const std::optional<AcquireQueue::Key>& target, TimePoint now,
                                  OutputBatch& out);
  // Keeps route-based links' SAs current across an engine action; `removed` is the handles of a
  // RemoveChildSa's SA, read before the binding forgot them.
  void track_link_sas(const ike::Action& action, std::optional<ike::DataPlaneBinding::Handles> removed);
  InboundVerdict deliver_inbound(ByteView ip_packet, TimePoint now, OutputBatch& out);
  // The data plane's answer to a packet from the network (its inner packet, if any, in `room`).
  InboundVerdict inbound_outcome(const ipsec::InboundOutcome& o, MutableByteView room, TimePoint now,
                                 OutputBatch& out);
  void emit_protected(const ipsec::OutboundOutcome& o, OutputBatch& out);
  void apply_data_plane_action(const ike::Action& action, TimePoint now, OutputBatch& out);
  void report_lifetime(std::optional<ipsec::SaHandle> sa, ipsec::LifetimeEvent event, TimePoint now,
                       OutputBatch& out);
  void release_queued(const std::string& connection, const std::string& child, TimePoint now,
                      OutputBatch& out);
  void learn_link_mtu(const wire::IpAddress& peer, TimePoint now, OutputBatch& out);
  void send_nat_keepalives(TimePoint now, OutputBatch& out);
  void note(OutputBatch& out, Notice::Level level, std::string text) const;

  CoreOptions options_;
  ipsec::DataPlane data_plane_;
  ike::DataPlaneBinding binding_{data_plane_};
  std::unique_ptr<ike::Engine> engine_;
  AcquireQueue acquire_queue_;
  CoreCounters counters_;
  ShuntTable shunts_;
  // Per connection, the data plane settings the engine does not negotiate (a child's MSS clamp).
  std::map<std::string, ike::ConnectionSettings> connections_;
  // Route-based connections: each link's child and outbound SA; inbound SAs point at their link.
  struct RouteLink {
    std::string connection;
    std::string child;
    std::vector<ike::ChildSaId> installed;    // its CHILD SAs, oldest first
    std::optional<ipsec::SaHandle> outbound;  // the one carrying traffic now
  };
  std::map<LinkId, RouteLink> links_;
  std::map<std::string, LinkId> link_by_connection_;
  std::map<ipsec::SaHandle, LinkId> link_by_inbound_sa_;
  LinkId next_link_ = 1;
  std::optional<TimePoint> next_queue_expiry_;  // while packets are held
  std::optional<TimePoint> next_keepalive_;
  ProtectedOutput protected_output_;
};

}  // namespace cygnet::gateway
