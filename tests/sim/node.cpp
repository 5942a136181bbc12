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
  // Tear down in dependency order: the binding refers to the data plane.
  engine_.reset();
  binding_.reset();
  data_plane_ = std::make_unique<ipsec::DataPlane>();
  binding_ = std::make_unique<ike::DataPlaneBinding>(*data_plane_);
  ike::EngineOptions options = config_.options;
  options.wall_origin = wall_origin();
  options.steady_origin = kEpoch;
  engine_ = std::make_unique<ike::Engine>(options, ike::seeded_random(seed));
  for (const ike::ConnectionSettings& c : config_.connections) {
    if (!engine_->add_connection(c, now)) binding_errors_.push_back("add_connection refused " + c.name);
    drain(now);
  }
}

void Node::restart(std::uint64_t seed, TimePoint now) {
  trace(now, "restart");
  build(seed, now);
}

void Node::trace(TimePoint now, const std::string& text) const {
  if (!tracing_) return;
  std::fprintf(stderr, "[%10.3f] %s: %s\n", seconds_since_epoch(now), config_.name.c_str(), text.c_str());
}

void Node::receive(ByteView ip_packet, TimePoint now) {
  auto udp = parse_udp_packet(ip_packet);
  if (udp && (udp->destination.port == wire::kIkePort ||
              (udp->destination.port == wire::kNatTraversalPort &&
               wire::classify_udp4500_payload(udp->payload) != wire::Udp4500Payload::Esp))) {
    ++counters_.ike_datagrams_in;
    if (udp->destination.port == wire::kNatTraversalPort &&
        wire::classify_udp4500_payload(udp->payload) == wire::Udp4500Payload::NatKeepalive) {
      return;  // keepalives only refresh NAT mappings
    }
    if (tracing_) {
      ByteView msg = udp->payload;
      if (udp->destination.port == wire::kNatTraversalPort && msg.size() >= 4) msg = msg.subspan(4);
      trace(now, "<- " + udp->source.to_string() + " " + describe_ike(msg));
    }
    engine_->on_datagram(udp->destination, udp->source, udp->payload, now);
    drain(now);
    return;
  }
  scratch_.resize(ip_packet.size() + ipsec::kMaxEncapsulationOverhead);
  ipsec::InboundOutcome o = data_plane_->process_inbound(ip_packet, scratch_, now);
  switch (o.kind) {
    case ipsec::InboundOutcome::Kind::Decapsulated: {
      ++counters_.decapsulated_in;
      // Copy: the sink may send packets, which reuses scratch_.
      Bytes inner(scratch_.begin(), scratch_.begin() + static_cast<std::ptrdiff_t>(o.result.length));
      report_lifetime(o.sa, o.result.lifetime_event, now);
      if (host_sink_) host_sink_(inner, now);
      break;
    }
    case ipsec::InboundOutcome::Kind::Bypass:
      ++counters_.bypassed_in;
      if (host_sink_) host_sink_(ip_packet, now);
      break;
    case ipsec::InboundOutcome::Kind::Dropped:
      counters_.inbound_drops.count(o.drop);
      trace(now, std::string("inbound drop ") + ipsec::drop_reason_name(o.drop));
      report_lifetime(o.sa, o.result.lifetime_event, now);
      break;
  }
}

OutboundVerdict Node::send_cleartext(ByteView ip_packet, TimePoint now) {
  scratch_.resize(ip_packet.size() + ipsec::kMaxEncapsulationOverhead);
  ipsec::OutboundOutcome o = data_plane_->process_outbound(ip_packet, scratch_, now);
  OutboundVerdict v{o.kind, o.drop};
  switch (o.kind) {
    case ipsec::OutboundOutcome::Kind::Protected: {
      ++counters_.protected_out;
      Bytes packet(scratch_.begin(), scratch_.begin() + static_cast<std::ptrdiff_t>(o.result.length));
      network_.send(std::move(packet), now);
      report_lifetime(o.sa, o.result.lifetime_event, now);
      break;
    }
    case ipsec::OutboundOutcome::Kind::Bypass:
      ++counters_.bypassed_out;
      network_.send(Bytes(ip_packet.begin(), ip_packet.end()), now);
      break;
    case ipsec::OutboundOutcome::Kind::Acquire: {
      ++counters_.acquires;
      auto target = o.policy ? binding_->acquire_target(*o.policy) : std::nullopt;
      if (target) {
        trace(now, "acquire " + target->first + "/" + target->second);
        engine_->on_acquire(target->first, target->second, now);
        drain(now);
      } else {
        binding_errors_.push_back("acquire on a policy the binding does not know");
      }
      break;
    }
    case ipsec::OutboundOutcome::Kind::TooBig:  // the simulator sets no path MTU; counted if it did
    case ipsec::OutboundOutcome::Kind::Dropped:
      counters_.outbound_drops.count(o.drop);
      trace(now, std::string("outbound drop ") + ipsec::drop_reason_name(o.drop));
      report_lifetime(o.sa, o.result.lifetime_event, now);
      break;
  }
  return v;
}

void Node::report_lifetime(std::optional<ipsec::SaHandle> sa, ipsec::LifetimeEvent e, TimePoint now) {
  if (e == ipsec::LifetimeEvent::None || !sa) return;
  auto child = binding_->child_of(*sa);
  if (!child) return;  // an SA already handed back (e.g. the old inbound SA in its grace period)
  if (e == ipsec::LifetimeEvent::Rekey) {
    ++counters_.soft_limits;
    trace(now, "soft limit child " + std::to_string(*child));
    engine_->on_child_sa_soft_limit(*child, now);
  } else {
    ++counters_.hard_limits;
    trace(now, "hard limit child " + std::to_string(*child));
    engine_->on_child_sa_hard_limit(*child, now);
  }
  drain(now);
}

void Node::on_timer(TimePoint now) {
  engine_->on_timer(now);
  drain(now);
}

void Node::drain(TimePoint now) {
  // Applying actions never calls back into the engine, but loop in case it queues more.
  for (std::vector<ike::Action> actions = engine_->take_actions(); !actions.empty();
       actions = engine_->take_actions()) {
    for (const ike::Action& action : actions) {
      if (const auto* send = std::get_if<ike::SendDatagram>(&action)) {
        ++counters_.ike_datagrams_out;
        if (tracing_) {
          ByteView msg = send->payload;
          if (send->local.port == wire::kNatTraversalPort && msg.size() >= 4) msg = msg.subspan(4);
          trace(now, "-> " + send->remote.to_string() + " " + describe_ike(msg));
        }
        network_.send(build_udp_packet(send->local, send->remote, send->payload), now);
      } else if (const auto* fetch = std::get_if<ike::FetchRevocation>(&action)) {
        trace(now, action_name(action));
        fetches_.push_back(*fetch);  // the test plays the CRL / OCSP server (revocation_test.cpp)
      } else if (const auto* event = std::get_if<ike::Event>(&action)) {
        trace(now, std::string("event ") + ike::event_type_name(event->type) + " [" + event->connection +
                       "] " + event->detail);
        events_.push_back(RecordedEvent{now, *event});
      } else {
        trace(now, action_name(action));
        if (auto error = binding_->apply(action)) {
          binding_errors_.push_back(action_name(action) + ": " + *error);
          trace(now, "binding error: " + binding_errors_.back());
        }
      }
    }
  }
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
  for (const ike::ConnectionStatus& c : engine_->status(now)) {
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
