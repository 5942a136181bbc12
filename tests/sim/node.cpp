#include "sim/node.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <type_traits>

#include "sim/virtual_clock.hpp"
#include "wire/udp_encap.hpp"

namespace cygnet::sim {

namespace {

const char* exchange_name(std::uint8_t type) {
  switch (type) {
    case 34: return "IKE_SA_INIT";
    case 35: return "IKE_AUTH";
    case 36: return "CREATE_CHILD_SA";
    case 37: return "INFORMATIONAL";
    default: return "?";
  }
}

const char* isakmp_exchange_name(std::uint8_t type) {
  switch (type) {
    case 2: return "Main Mode";
    case 4: return "Aggressive Mode";
    case 5: return "Informational";
    case 32: return "Quick Mode";
    default: return "?";
  }
}

// "IKE_AUTH request #1" from the fixed IKE header (RFC 7296 §3.1), or "IKEv1 Quick Mode #… (encrypted)"
// from the ISAKMP header (RFC 2408 §3.1), for trace output only.
std::string describe_ike(ByteView message) {
  if (message.size() < 28) return "short IKE message";
  const std::uint32_t id = (std::uint32_t{message[20]} << 24) | (std::uint32_t{message[21]} << 16) |
                           (std::uint32_t{message[22]} << 8) | message[23];
  if (message[17] == 0x10) {
    std::string s = std::string("IKEv1 ") + isakmp_exchange_name(message[18]) + " #" + std::to_string(id);
    if ((message[19] & 0x01) != 0) s += " encrypted";
    return s + " (" + std::to_string(message.size()) + " bytes)";
  }
  std::string s = exchange_name(message[18]);
  s += (message[19] & 0x20) != 0 ? " response #" : " request #";
  s += std::to_string(id);
  s += " (" + std::to_string(message.size()) + " bytes)";
  return s;
}

std::string action_name(const ike::Action& action) {
  return std::visit(
      [](const auto& a) -> std::string {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, ike::InstallChildSa>) return "InstallChildSa " + std::to_string(a.id);
        if constexpr (std::is_same_v<T, ike::ActivateChildSa>)
          return "ActivateChildSa " + std::to_string(a.id);
        if constexpr (std::is_same_v<T, ike::RemoveChildSa>) return "RemoveChildSa " + std::to_string(a.id);
        if constexpr (std::is_same_v<T, ike::InstallTrapPolicy>)
          return "InstallTrapPolicy " + a.connection + "/" + a.child;
        if constexpr (std::is_same_v<T, ike::RemoveTrapPolicy>)
          return "RemoveTrapPolicy " + a.connection + "/" + a.child;
        if constexpr (std::is_same_v<T, ike::SendDatagram>) return "SendDatagram";
        if constexpr (std::is_same_v<T, ike::FetchRevocation>)
          return "FetchRevocation " + std::to_string(a.request) + " " + a.certificate;
        return "Event";
      },
      action);
}

}  // namespace

Node::Node(Network& network, NodeConfig config, TimePoint now)
    : network_(network), config_(std::move(config)), tracing_(std::getenv("CYGNET_SIM_TRACE") != nullptr) {
  network_.attach(wire::IpPrefix{config_.address, static_cast<std::uint8_t>(config_.address.bit_length())},
                  [this](ByteView packet, TimePoint t) { receive(packet, t); });
  build(config_.seed, now);
}

Node::~Node() {
  network_.detach(wire::IpPrefix{config_.address, static_cast<std::uint8_t>(config_.address.bit_length())});
}

void Node::build(std::uint64_t seed, TimePoint now) {
  if (core_) {
    before_restart_ = counters();
  }
  core_.reset();
  ike::EngineOptions options = config_.options;
  options.wall_origin = wall_origin();
  options.steady_origin = kEpoch;
  gateway::CoreOptions core_options;
  core_options.hold_while_negotiating = config_.hold_while_negotiating;
  core_options.nat_keepalive = std::nullopt;  // the simulated network has no NAT mappings to keep
  core_ = std::make_unique<gateway::GatewayCore>(options, std::move(core_options), ike::seeded_random(seed));
  for (const ike::ConnectionSettings& c : config_.connections) {
    gateway::OutputBatch out;
    if (!core_->add_connection(c, now, out)) binding_errors_.push_back("add_connection refused " + c.name);
    carry_out(out, now);
  }
}

void Node::restart(std::uint64_t seed, TimePoint now) {
  touched();
  trace(now, "restart");
  build(seed, now);
}

void Node::trace(TimePoint now, const std::string& text) const {
  if (!tracing_) return;
  std::fprintf(stderr, "[%10.3f] %s: %s\n", seconds_since_epoch(now), config_.name.c_str(), text.c_str());
}

std::uint64_t Node::engine_inputs() const {
  const gateway::CoreCounters& c = core_->counters();
  return c.ike_datagrams_in + c.acquires + c.soft_limits + c.hard_limits;
}

void Node::receive(ByteView ip_packet, TimePoint now) {
  // A packet only the data plane saw cannot move the node's deadline (engine timers, held
  // packets' expiry): the event loop need not read it again, which would cost a walk over every
  // SA of a gateway with a thousand clients for each of their ESP packets.
  const std::uint64_t inputs_before = engine_inputs();
  // What the daemon's sockets do: UDP to 500/4500 arrives as a datagram with its endpoints, ESP
  // and AH as whole IP packets.
  gateway::OutputBatch out;
  auto udp = parse_udp_packet(ip_packet);
  if (udp && (udp->destination.port == wire::kIkePort || udp->destination.port == wire::kNatTraversalPort)) {
    if (tracing_ && (udp->destination.port == wire::kIkePort ||
                     wire::classify_udp4500_payload(udp->payload) == wire::Udp4500Payload::Ike)) {
      ByteView msg = udp->payload;
      if (udp->destination.port == wire::kNatTraversalPort && msg.size() >= 4) msg = msg.subspan(4);
      trace(now, "<- " + udp->source.to_string() + " " + describe_ike(msg));
    }
    core_->on_udp_datagram(udp->destination, udp->source, udp->payload, now, out);
  } else if (core_->on_raw_packet(ip_packet, now, out) == gateway::InboundVerdict::Bypass) {
    if (host_sink_) host_sink_(ip_packet, now);
  }
  if (engine_inputs() != inputs_before || !out.applied.empty()) touched();
  carry_out(out, now);
}

OutboundVerdict Node::send_cleartext(ByteView ip_packet, TimePoint now) {
  const std::uint64_t inputs_before = engine_inputs();  // as in receive()
  gateway::OutputBatch out;
  const OutboundVerdict v = core_->on_tun_packet(ip_packet, now, out);
  if (engine_inputs() != inputs_before || !out.applied.empty()) touched();
  if (v.kind == ipsec::OutboundOutcome::Kind::Acquire) trace(now, "acquire");
  carry_out(out, now);
  return v;
}

void Node::on_timer(TimePoint now) {
  touched();
  gateway::OutputBatch out;
  core_->on_timer(now, out);
  carry_out(out, now);
}

void Node::move_to(const wire::IpAddress& address, TimePoint now) {
  touched();
  network_.detach(wire::IpPrefix{config_.address, static_cast<std::uint8_t>(config_.address.bit_length())});
  config_.address = address;
  network_.attach(wire::IpPrefix{config_.address, static_cast<std::uint8_t>(config_.address.bit_length())},
                  [this](ByteView packet, TimePoint t) { receive(packet, t); });
  engine().on_local_addresses({address}, now);
  drain(now);
}

void Node::drain(TimePoint now) {
  touched();
  gateway::OutputBatch out;
  core_->drain(now, out);
  carry_out(out, now);
}

void Node::carry_out(const gateway::OutputBatch& out, TimePoint now) {
  for (const ike::Event& event : out.events) {
    trace(now, std::string("event ") + ike::event_type_name(event.type) + " [" + event.connection + "] " +
                   event.detail);
    events_.push_back(RecordedEvent{now, event});
  }
  for (const gateway::AppliedAction& applied : out.applied) trace(now, action_name(applied.action));
  for (const std::string& error : out.binding_errors) {
    binding_errors_.push_back(error);
    trace(now, "binding error: " + error);
  }
  for (const gateway::Notice& notice : out.notices) trace(now, notice.text);
  for (const ike::FetchRevocation& fetch : out.revocation_fetches) {
    trace(now, "FetchRevocation " + std::to_string(fetch.request) + " " + fetch.certificate);
    fetches_.push_back(fetch);  // the test plays the CRL / OCSP server (revocation_test.cpp)
  }
  for (const ike::RadiusAccessRequest& request : out.radius_requests) {
    trace(now, "RadiusAccessRequest " + std::to_string(request.request) + " for IKE SA " +
                   std::to_string(request.ike_sa) + " user " + request.user_name);
    radius_requests_.push_back(request);  // the test plays the RADIUS server (eap_radius_test.cpp)
  }
  for (const gateway::OutputPacket& p : out.packets()) {
    const ByteView bytes = out.bytes(p);
    switch (p.destination) {
      case gateway::Destination::Udp:
        if (tracing_ && p.purpose == gateway::Purpose::Ike) {
          ByteView msg = bytes;
          if (p.local.port == wire::kNatTraversalPort && msg.size() >= 4) msg = msg.subspan(4);
          trace(now, "-> " + p.remote.to_string() + " " + describe_ike(msg));
        }
        network_.send(build_udp_packet(p.local, p.remote, bytes), now);
        break;
      case gateway::Destination::Raw: network_.send(Bytes(bytes.begin(), bytes.end()), now); break;
      case gateway::Destination::Tun:
        // Copied: the sink may send packets, which runs the core again.
        if (host_sink_) host_sink_(Bytes(bytes.begin(), bytes.end()), now);
        break;
    }
  }
}

NodeCounters Node::counters() const {
  const gateway::CoreCounters& c = core_->counters();
  NodeCounters n = before_restart_;
  n.ike_datagrams_in += c.ike_datagrams_in;
  n.ike_datagrams_out += c.ike_datagrams_out;
  n.protected_out += c.protected_out;
  n.bypassed_out += c.bypassed_out;
  n.acquires += c.acquires;
  n.decapsulated_in += c.decapsulated_in;
  n.bypassed_in += c.bypassed_in;
  n.soft_limits += c.soft_limits;
  n.hard_limits += c.hard_limits;
  for (std::size_t r = 0; r < ipsec::kDropReasonCount; ++r) {
    n.outbound_drops.by_reason[r] += c.outbound_drops.by_reason[r];
    n.inbound_drops.by_reason[r] += c.inbound_drops.by_reason[r];
  }
  return n;
}

std::size_t Node::count_events(ike::EventType type) const {
  return static_cast<std::size_t>(std::count_if(
      events_.begin(), events_.end(), [&](const RecordedEvent& e) { return e.event.type == type; }));
}

std::vector<RecordedEvent> Node::events_of(ike::EventType type) const {
  std::vector<RecordedEvent> out;
  for (const RecordedEvent& e : events_) {
    if (e.event.type == type) out.push_back(e);
  }
  return out;
}

std::optional<RecordedEvent> Node::first_event(ike::EventType type) const {
  for (const RecordedEvent& e : events_) {
    if (e.event.type == type) return e;
  }
  return std::nullopt;
}

std::vector<ike::IkeSaStatus> Node::ike_sas(std::string_view connection, TimePoint now) const {
  for (const ike::ConnectionStatus& c : engine().status(now)) {
    if (c.name == connection) return c.ike_sas;
  }
  return {};
}

std::size_t Node::established_ike_sas(std::string_view connection, TimePoint now) const {
  std::size_t n = 0;
  for (const ike::IkeSaStatus& s : ike_sas(connection, now)) {
    if (s.state == ike::IkeSaState::Established || s.state == ike::IkeSaState::Rekeying) ++n;
  }
  return n;
}

std::size_t Node::child_sas(std::string_view connection, std::string_view child, TimePoint now) const {
  std::size_t n = 0;
  for (const ike::IkeSaStatus& s : ike_sas(connection, now)) {
    for (const ike::ChildSaStatus& c : s.children) {
      if (c.child == child) ++n;
    }
  }
  return n;
}

}  // namespace cygnet::sim
