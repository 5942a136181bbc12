// One simulated gateway: the gateway core cygnetd ships (gateway::GatewayCore: engine with seeded
// randomness and a fixed wall-clock origin, data plane, binding, acquire queue), attached to the
// Network at one address. The node only does the I/O the daemon would: packets from the network
// into the core, and the core's output batch onto the network (raw packets and UDP datagrams) or
// to the host sink (decapsulated packets).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/gateway_core.hpp"
#include "sim/network.hpp"

namespace cygnet::sim {

struct NodeConfig {
  std::string name;         // "A", "B": for trace output
  wire::IpAddress address;  // the gateway's outer address
  std::vector<ike::ConnectionSettings> connections;
  ike::EngineOptions options;  // wall_origin / steady_origin are set by the node
  std::uint64_t seed = 1;      // the engine's ike::seeded_random
  // Packets that hit a trap wait in the acquire queue for their SA, as in cygnetd; off: dropped
  // (the simulator's behaviour before it drove the shared core).
  bool hold_while_negotiating = true;
};

struct RecordedEvent {
  TimePoint at;
  ike::Event event;
};

struct NodeCounters {
  std::uint64_t ike_datagrams_in = 0;
  std::uint64_t ike_datagrams_out = 0;
  std::uint64_t protected_out = 0;
  std::uint64_t bypassed_out = 0;
  std::uint64_t acquires = 0;  // outbound packets that hit a PROTECT policy without an SA
  ipsec::DropCounters outbound_drops;
  std::uint64_t decapsulated_in = 0;
  std::uint64_t bypassed_in = 0;
  ipsec::DropCounters inbound_drops;
  std::uint64_t soft_limits = 0;  // lifetime Rekey events reported to the engine
  std::uint64_t hard_limits = 0;  // lifetime Expired events reported to the engine
};

using OutboundVerdict = gateway::OutboundVerdict;

class Node {
 public:
  Node(Network& network, NodeConfig config, TimePoint now);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // The gateway reboots: fresh engine, data plane and binding with the same configuration (and
  // `seed` for the new engine's randomness); events and counters are kept.
  void restart(std::uint64_t seed, TimePoint now);

  const std::string& name() const { return config_.name; }
  const wire::IpAddress& address() const { return config_.address; }
  const NodeConfig& config() const { return config_; }
  // Non-const access may change what the node waits for: each one tells the event loop to read
  // next_deadline() again (set_on_touched) before it picks the next event.
  gateway::GatewayCore& core() {
    touched();
    return *core_;
  }
  ike::Engine& engine() {
    touched();
    return core_->engine();
  }
  const gateway::GatewayCore& core() const { return *core_; }
  const ike::Engine& engine() const { return core_->engine(); }
  ipsec::DataPlane& data_plane() {
    touched();
    return core_->data_plane();
  }
  const ipsec::DataPlane& data_plane() const { return core_->data_plane(); }
  ike::DataPlaneBinding& binding() {
    touched();
    return core_->binding();
  }
  // Called on every input and every non-const access (the Simulation's wake-up bookkeeping).
  void set_on_touched(std::function<void()> hook) { on_touched_ = std::move(hook); }

  // The host's outer address changes (a client moving to another network): the node is reached at
  // `address` from now on, and the engine hears of it (Engine::on_local_addresses), as cygnetd's
  // address monitor would tell it.
  void move_to(const wire::IpAddress& address, TimePoint now);
  // A packet from the network addressed to this gateway: IKE to the engine, the rest to the data plane.
  void receive(ByteView ip_packet, TimePoint now);
  // A cleartext packet from the protected side, leaving through the data plane.
  OutboundVerdict send_cleartext(ByteView ip_packet, TimePoint now);
  // Decapsulated (or bypassed) packets for the protected side end up here.
  void set_host_sink(std::function<void(ByteView, TimePoint)> sink) { host_sink_ = std::move(sink); }

  std::optional<TimePoint> next_deadline() const { return core_->next_deadline(); }
  void on_timer(TimePoint now);
  // Carries out whatever the engine has queued (after calling it directly, e.g. engine().up()).
  void drain(TimePoint now);

  const std::vector<RecordedEvent>& events() const { return events_; }
  // FetchRevocation actions the engine emitted, in order; the test answers them (or not).
  const std::vector<ike::FetchRevocation>& fetches() const { return fetches_; }
  // RadiusAccessRequest actions the engine emitted, in order; the test answers them (or not).
  const std::vector<ike::RadiusAccessRequest>& radius_requests() const { return radius_requests_; }
  std::size_t count_events(ike::EventType type) const;
  std::vector<RecordedEvent> events_of(ike::EventType type) const;
  std::optional<RecordedEvent> first_event(ike::EventType type) const;
  // Every action the binding refused ("InstallChildSa 7: inbound SPI clash"): should stay empty.
  const std::vector<std::string>& binding_errors() const { return binding_errors_; }
  // Over the node's whole life, restarts included.
  NodeCounters counters() const;

  // Convenience views of engine status.
  std::vector<ike::IkeSaStatus> ike_sas(std::string_view connection, TimePoint now) const;
  std::size_t established_ike_sas(std::string_view connection, TimePoint now) const;
  // CHILD SAs named `child` over all established IKE SAs of the connection.
  std::size_t child_sas(std::string_view connection, std::string_view child, TimePoint now) const;

 private:
  void build(std::uint64_t seed, TimePoint now);
  void touched() {
    if (on_touched_) on_touched_();
  }
  // Inputs that reach the engine (IKE datagrams, acquires, lifetime limits), counted by the core.
  std::uint64_t engine_inputs() const;
  // Carries out one output batch: onto the network, to the host sink, into events_.
  void carry_out(const gateway::OutputBatch& out, TimePoint now);
  void trace(TimePoint now, const std::string& text) const;

  Network& network_;
  NodeConfig config_;
  std::unique_ptr<gateway::GatewayCore> core_;
  std::function<void(ByteView, TimePoint)> host_sink_;
  std::function<void()> on_touched_;
  std::vector<RecordedEvent> events_;
  std::vector<ike::FetchRevocation> fetches_;
  std::vector<ike::RadiusAccessRequest> radius_requests_;
  std::vector<std::string> binding_errors_;
  NodeCounters before_restart_;  // counted by cores this node had before the current one
  bool tracing_ = false;
};

}  // namespace cygnet::sim
