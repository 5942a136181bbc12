#include "gateway/gateway_core.hpp"

#include <algorithm>

#include "ipsec/packet_result.hpp"
#include "wire/byte_reader.hpp"
#include "wire/icmp_too_big.hpp"
#include "wire/ip_packet.hpp"
#include "wire/udp_encap.hpp"

namespace cygnet::gateway {

namespace {

constexpr std::uint8_t kNatKeepalive = 0xff;  // RFC 3948 §2.3
constexpr Seconds kQueueExpiryInterval{1};    // how often held packets past max_wait are dropped

wire::IpFamily family_of(ByteView ip_packet) {
  return !ip_packet.empty() && ip_packet[0] >> 4 == 6 ? wire::IpFamily::V6 : wire::IpFamily::V4;
}

}  // namespace

GatewayCore::GatewayCore(ike::EngineOptions engine_options, CoreOptions options,
                         std::shared_ptr<ike::RandomSource> random)
    : options_(std::move(options)),
      engine_(std::make_unique<ike::Engine>(std::move(engine_options), std::move(random))),
      acquire_queue_(options_.acquire_limits) {}

GatewayCore::~GatewayCore() = default;

void GatewayCore::note(OutputBatch& out, Notice::Level level, std::string text) const {
  out.notices.push_back(Notice{level, std::move(text)});
}

// ---- control --------------------------------------------------------------------------------

bool GatewayCore::add_connection(const ike::ConnectionSettings& settings, TimePoint now, OutputBatch& out) {
  if (options_.nat_keepalive && !next_keepalive_) next_keepalive_ = now + *options_.nat_keepalive;
  connections_[settings.name] = settings;
  // Before the engine may install anything (start_action = start, trap): the link must exist.
  const bool route_based = settings.route_interface && !settings.children.empty();
  if (route_based) {
    const LinkId link = next_link_++;
    links_[link] = RouteLink{settings.name, settings.children.front().name, {}, std::nullopt};
    link_by_connection_[settings.name] = link;
  }
  if (!engine_->add_connection(settings, now)) {
    connections_.erase(settings.name);
    if (route_based) {
      links_.erase(link_by_connection_[settings.name]);
      link_by_connection_.erase(settings.name);
    }
    drain(now, out);
    return false;
  }
  drain(now, out);
  return true;
}

void GatewayCore::remove_connection(const std::string& name, TimePoint now, OutputBatch& out) {
  engine_->remove_connection(name, now);
  acquire_queue_.discard_connection(name);
  connections_.erase(name);
  drain(now, out);  // its RemoveChildSa actions still find the link
  if (auto link = link_by_connection_.find(name); link != link_by_connection_.end()) {
    std::erase_if(link_by_inbound_sa_, [&](const auto& entry) { return entry.second == link->second; });
    links_.erase(link->second);
    link_by_connection_.erase(link);
  }
}

std::optional<LinkId> GatewayCore::link_of(const std::string& connection) const {
  auto it = link_by_connection_.find(connection);
  if (it == link_by_connection_.end()) return std::nullopt;
  return it->second;
}

bool GatewayCore::link_has_sa(LinkId link) const {
  auto it = links_.find(link);
  return it != links_.end() && it->second.outbound.has_value();
}

bool GatewayCore::up(const std::string& name, TimePoint now, OutputBatch& out) {
  const bool known = engine_->up(name, now);
  drain(now, out);
  return known;
}

bool GatewayCore::down(const std::string& name, TimePoint now, OutputBatch& out) {
  const bool known = engine_->down(name, now);
  drain(now, out);
  return known;
}

void GatewayCore::drain(TimePoint now, OutputBatch& out) {
  for (std::vector<ike::Action> actions = engine_->take_actions(); !actions.empty();
       actions = engine_->take_actions()) {
    for (ike::Action& action : actions) {
      if (auto* send = std::get_if<ike::SendDatagram>(&action)) {
        ++counters_.ike_datagrams_out;
        out.add(OutputPacket{Destination::Udp, Purpose::Ike, send->local.address.family(), send->local,
                             send->remote, 0, 0},
                send->payload);
      } else if (auto* resolve = std::get_if<ike::ResolveRemote>(&action)) {
        out.resolves.push_back(std::move(*resolve));
      } else if (auto* fetch = std::get_if<ike::FetchRevocation>(&action)) {
        out.revocation_fetches.push_back(std::move(*fetch));
      } else if (auto* radius = std::get_if<ike::RadiusAccessRequest>(&action)) {
        out.radius_requests.push_back(std::move(*radius));
      } else if (std::holds_alternative<ike::LeaseChanged>(action)) {
        out.leases_changed = true;
      } else if (std::holds_alternative<ike::VirtualIpsAssigned>(action) ||
                 std::holds_alternative<ike::VirtualIpsReleased>(action)) {
        out.virtual_ip_changes.push_back(std::move(action));
      } else if (auto* event = std::get_if<ike::Event>(&action)) {
        if (ike::is_failure_event(event->type) && !event->connection.empty()) {
          if (const std::size_t n = acquire_queue_.discard_connection(event->connection)) {
            note(out, Notice::Level::Info,
                 event->connection + ": " + std::to_string(n) +
                     " queued packet(s) dropped, negotiation failed");
          }
        }
        out.events.push_back(std::move(*event));
      } else {
        apply_data_plane_action(action, now, out);
      }
    }
  }
}

void GatewayCore::apply_data_plane_action(const ike::Action& engine_action, TimePoint now, OutputBatch& out) {
  std::optional<SaTraffic> retired;
  if (const auto* retiring = std::get_if<ike::RemoveChildSa>(&engine_action)) {
    retired = traffic_of(retiring->id, binding_, data_plane_);
  }
  // A child's MSS clamp is a data plane setting the engine does not negotiate: added here.
  std::optional<ike::Action> with_clamp;
  if (const auto* install = std::get_if<ike::InstallChildSa>(&engine_action)) {
    std::optional<std::uint16_t> clamp;
    if (auto c = connections_.find(install->connection); c != connections_.end()) {
      for (const ike::ChildSettings& child : c->second.children) {
        if (child.name == install->child) clamp = child.mss_clamp;
      }
    }
    if (clamp) {
      with_clamp = engine_action;
      auto& adjusted = std::get<ike::InstallChildSa>(*with_clamp);
      adjusted.inbound.mss_clamp = clamp;
      adjusted.outbound.mss_clamp = clamp;
    }
    learn_link_mtu(install->outbound.remote_address, now, out);
  }
  const ike::Action& action = with_clamp ? *with_clamp : engine_action;
  // A route-based connection's policies are its interface, not SPD entries: its whole-family
  // selectors must not catch the shared TUN device's traffic, so the binding gets none (the SAs
  // keep their own selectors for the inbound check).
  const std::string* connection = nullptr;
  if (const auto* install = std::get_if<ike::InstallChildSa>(&action)) connection = &install->connection;
  if (const auto* trap = std::get_if<ike::InstallTrapPolicy>(&action)) connection = &trap->connection;
  if (const auto* untrap = std::get_if<ike::RemoveTrapPolicy>(&action)) connection = &untrap->connection;
  const bool route_based = connection != nullptr && is_route_based(*connection);
  std::optional<ike::DataPlaneBinding::Handles> removed;
  if (const auto* remove = std::get_if<ike::RemoveChildSa>(&action))
    removed = binding_.handles_of(remove->id);
  std::optional<std::string> error;
  if (route_based && std::holds_alternative<ike::InstallChildSa>(action)) {
    ike::Action without_policies = action;
    std::get<ike::InstallChildSa>(without_policies).selectors.clear();
    error = binding_.apply(without_policies);
  } else if (std::holds_alternative<ike::UpdateChildSaAddresses>(action) && options_.with_workers_paused) {
    // MOBIKE edits the SAs in place: no worker may read their endpoints meanwhile.
    options_.with_workers_paused([&] { error = binding_.apply(action); });
  } else if (!route_based) {
    error = binding_.apply(action);
  }  // a route-based trap: acquires come from on_link_packet, nothing for the SPD
  if (error) {
    out.binding_errors.push_back(*error);
    note(out, Notice::Level::Error, "could not apply an engine action: " + *error);
    return;
  }
  if (!links_.empty()) track_link_sas(action, removed);
  out.selectors_changed = out.selectors_changed || std::holds_alternative<ike::InstallChildSa>(action) ||
                          std::holds_alternative<ike::RemoveChildSa>(action) ||
                          std::holds_alternative<ike::InstallTrapPolicy>(action) ||
                          std::holds_alternative<ike::RemoveTrapPolicy>(action);
  out.applied.push_back(AppliedAction{action, retired});
  if (const auto* install = std::get_if<ike::InstallChildSa>(&action)) {
    if (install->route_outbound) release_queued(install->connection, install->child, now, out);
  }
}

void GatewayCore::track_link_sas(const ike::Action& action,
                                 std::optional<ike::DataPlaneBinding::Handles> removed) {
  if (const auto* install = std::get_if<ike::InstallChildSa>(&action)) {
    auto link = link_by_connection_.find(install->connection);
    const auto handles = binding_.handles_of(install->id);
    if (link == link_by_connection_.end() || !handles) return;
    RouteLink& l = links_.at(link->second);
    l.installed.push_back(install->id);
    link_by_inbound_sa_[handles->inbound] = link->second;
    if (install->route_outbound) l.outbound = handles->outbound;
    return;
  }
  const ike::ChildSaId id =
      std::holds_alternative<ike::ActivateChildSa>(action) ? std::get<ike::ActivateChildSa>(action).id
      : std::holds_alternative<ike::RemoveChildSa>(action) ? std::get<ike::RemoveChildSa>(action).id
                                                           : 0;
  if (id == 0) return;
  for (auto& [link, l] : links_) {
    auto it = std::find(l.installed.begin(), l.installed.end(), id);
    if (it == l.installed.end()) continue;
    if (std::holds_alternative<ike::ActivateChildSa>(action)) {
      if (const auto handles = binding_.handles_of(id)) l.outbound = handles->outbound;
      return;
    }
    l.installed.erase(it);
    if (removed) link_by_inbound_sa_.erase(removed->inbound);
    // The removed SA carried the traffic: the newest remaining one takes over (or none: carrier down).
    if (!removed || l.outbound == removed->outbound) {
      l.outbound.reset();
      if (!l.installed.empty())
        if (const auto handles = binding_.handles_of(l.installed.back())) l.outbound = handles->outbound;
    }
    return;
  }
}

// ---- packets --------------------------------------------------------------------------------

OutboundVerdict GatewayCore::on_tun_packet(ByteView ip_packet, TimePoint now, OutputBatch& out) {
  // Encrypted straight into the batch's arena: no copy of the protected packet.
  MutableByteView room = out.reserve(ip_packet.size() + ipsec::kMaxEncapsulationOverhead);
  const ipsec::OutboundOutcome o = data_plane_.process_outbound(ip_packet, room, now);
  std::optional<AcquireQueue::Key> target;
  if (o.kind == ipsec::OutboundOutcome::Kind::Acquire) {
    ++counters_.acquires;
    target = o.policy ? binding_.acquire_target(*o.policy) : std::nullopt;
    if (!target) {
      out.binding_errors.push_back("acquire on a policy the binding does not know");
      return OutboundVerdict{o.kind, o.drop};
    }
  }
  return finish_outbound(o, ip_packet, target, now, out);
}

OutboundVerdict GatewayCore::on_link_packet(LinkId link, ByteView ip_packet, TimePoint now,
                                            OutputBatch& out) {
  auto it = links_.find(link);
  if (it == links_.end()) {  // read just before its connection was removed
    counters_.outbound_drops.count(ipsec::DropReason::PolicyDiscard);
    return OutboundVerdict{};
  }
  MutableByteView room = out.reserve(ip_packet.size() + ipsec::kMaxEncapsulationOverhead);
  const ipsec::OutboundOutcome o =
      data_plane_.process_outbound_on_sa(it->second.outbound, ip_packet, room, now);
  std::optional<AcquireQueue::Key> target;
  if (o.kind == ipsec::OutboundOutcome::Kind::Acquire) {
    ++counters_.acquires;
    target = AcquireQueue::Key{it->second.connection, it->second.child};
  }
  return finish_outbound(o, ip_packet, target, now, out);
}

OutboundVerdict GatewayCore::finish_outbound(const ipsec::OutboundOutcome& o, ByteView ip_packet,
                                             const std::optional<AcquireQueue::Key>& target, TimePoint now,
                                             OutputBatch& out) {
  switch (o.kind) {
    case ipsec::OutboundOutcome::Kind::Protected:
      ++counters_.protected_out;
      emit_protected(o, out);
      report_lifetime(o.sa, o.result.lifetime_event, now, out);
      break;
    case ipsec::OutboundOutcome::Kind::Bypass:
      // A BYPASS policy: out in the clear (the daemon's marked socket keeps it out of the TUN).
      ++counters_.bypassed_out;
      if (o.policy) shunts_.count_outbound(*o.policy);
      out.add(OutputPacket{Destination::Raw, Purpose::Bypass, family_of(ip_packet), {}, {}, 0, 0}, ip_packet);
      break;
    case ipsec::OutboundOutcome::Kind::Acquire: {
      if (options_.hold_while_negotiating && acquire_queue_.hold(*target, ip_packet, now)) {
        ++counters_.queued_while_negotiating;
        if (!next_queue_expiry_) next_queue_expiry_ = now + kQueueExpiryInterval;
      }
      engine_->on_acquire(target->first, target->second, now);
      drain(now, out);
      break;
    }
    case ipsec::OutboundOutcome::Kind::TooBig: {
      // Locally generated, like a router's ICMP: out of the raw socket, routed to the sender by
      // the main table (written into the TUN device instead, a source that is one of our own
      // addresses would be dropped as a martian).
      counters_.outbound_drops.count(o.drop);  // TooBig
      const ByteView answer = out.reserve(o.result.length).first(o.result.length);
      out.commit(OutputPacket{Destination::Raw, Purpose::TooBig, family_of(answer), {}, {}, 0, 0},
                 o.result.length);
      break;
    }
    case ipsec::OutboundOutcome::Kind::Dropped:
      counters_.outbound_drops.count(o.drop);
      if (o.policy && o.drop == ipsec::DropReason::PolicyDiscard) shunts_.count_outbound(*o.policy);
      if (options_.trace_drops)
        note(out, Notice::Level::Trace,
             std::string("outbound packet dropped: ") + ipsec::drop_reason_name(o.drop));
      report_lifetime(o.sa, o.result.lifetime_event, now, out);
      break;
  }
  return OutboundVerdict{o.kind, o.drop};
}

void GatewayCore::emit_protected(const ipsec::OutboundOutcome& o, OutputBatch& out) {
  // The data plane says which SA protected the packet: its endpoints say where it goes.
  const ipsec::SecurityAssociation* sa = o.sa_entry;
  if (sa == nullptr) return;
  if (!protected_output_.emit(o, *sa, out))
    note(out, Notice::Level::Debug,
         "could not fragment a " + std::to_string(o.result.length) + "-byte packet to " +
             std::to_string(o.fragment_to));
}

InboundVerdict GatewayCore::on_udp_datagram(const ike::Endpoint& local, const ike::Endpoint& remote,
                                            ByteView payload, TimePoint now, OutputBatch& out) {
  if (local.port == wire::kNatTraversalPort) {
    const wire::Udp4500Payload kind = wire::classify_udp4500_payload(payload);
    if (kind == wire::Udp4500Payload::Esp) {
      ++counters_.esp_in_udp_in;
      // Straight to the data plane with the endpoints the socket reported: no header rebuilt.
      MutableByteView room = out.reserve(payload.size() + ipsec::kMaxEncapsulationOverhead);
      const ipsec::UdpEndpoints endpoints{local.address, local.port, remote.address, remote.port};
      return inbound_outcome(data_plane_.process_esp_in_udp(payload, endpoints, room, now), room, now, out);
    }
    if (kind != wire::Udp4500Payload::Ike) return InboundVerdict::Keepalive;  // nothing to do
  }
  ++counters_.ike_datagrams_in;
  engine_->on_datagram(local, remote, payload, now);
  drain(now, out);
  return InboundVerdict::Ike;
}

InboundVerdict GatewayCore::on_raw_packet(ByteView ip_packet, TimePoint now, OutputBatch& out) {
  return deliver_inbound(ip_packet, now, out);
}

InboundVerdict GatewayCore::deliver_inbound(ByteView ip_packet, TimePoint now, OutputBatch& out) {
  MutableByteView room = out.reserve(ip_packet.size() + ipsec::kMaxEncapsulationOverhead);
  return inbound_outcome(data_plane_.process_inbound(ip_packet, room, now), room, now, out);
}

InboundVerdict GatewayCore::inbound_outcome(const ipsec::InboundOutcome& o, MutableByteView room,
                                            TimePoint now, OutputBatch& out) {
  InboundVerdict verdict = InboundVerdict::Dropped;
  switch (o.kind) {
    case ipsec::InboundOutcome::Kind::Decapsulated: {
      ++counters_.decapsulated_in;
      OutputPacket packet{Destination::Tun, Purpose::Data, family_of(room), {}, {}, 0, 0};
      if (!link_by_inbound_sa_.empty() && o.sa) {  // an SA of a route-based connection: its interface
        if (auto link = link_by_inbound_sa_.find(*o.sa); link != link_by_inbound_sa_.end())
          packet.link = link->second;
      }
      out.commit(packet, o.result.length);
      verdict = InboundVerdict::Decapsulated;
      break;
    }
    case ipsec::InboundOutcome::Kind::Bypass:
      ++counters_.bypassed_in;
      if (o.policy) shunts_.count_inbound(*o.policy);
      verdict = InboundVerdict::Bypass;  // the kernel already delivered the cleartext original
      break;
    case ipsec::InboundOutcome::Kind::Dropped:
      counters_.inbound_drops.count(o.drop);
      if (o.policy) shunts_.count_inbound(*o.policy);
      if (options_.trace_drops)
        note(out, Notice::Level::Trace,
             std::string("inbound packet dropped: ") + ipsec::drop_reason_name(o.drop));
      break;
  }
  report_lifetime(o.sa, o.result.lifetime_event, now, out);
  return verdict;
}

bool GatewayCore::on_icmp_too_big(ByteView packet, TimePoint now, OutputBatch& out) {
  // Our own Too Big to a sender on this host comes back through loopback (it quotes the inner
  // packet, not ESP/AH/UDP): not news from the outer path, so not counted.
  const auto quoted = wire::parse_icmp_too_big(packet);
  if (quoted && quoted->quoted_protocol != wire::ip_protocol::kEsp &&
      quoted->quoted_protocol != wire::ip_protocol::kAh &&
      quoted->quoted_protocol != wire::ip_protocol::kUdp) {
    return false;
  }
  ++counters_.icmp_too_big_received;
  if (!data_plane_.on_icmp_too_big(packet, now)) return false;
  const auto mtu = data_plane_.path_mtu().current(quoted->quoted_destination, now);
  const auto sender = wire::parse_ip_packet(packet);
  note(out, Notice::Level::Info,
       "path MTU toward " + quoted->quoted_destination.to_string() + ": " + std::to_string(mtu.value_or(0)) +
           " (ICMP from " + (sender ? sender->source.to_string() : std::string("?")) + ")");
  return true;
}

void GatewayCore::refresh_link_mtu(const wire::IpAddress& peer, TimePoint now, OutputBatch& out) {
  learn_link_mtu(peer, now, out);
}

void GatewayCore::learn_link_mtu(const wire::IpAddress& peer, TimePoint now, OutputBatch& out) {
  if (!options_.route_mtu) return;
  const std::optional<std::uint32_t> mtu = options_.route_mtu(peer);
  if (!mtu) return;
  const auto before = data_plane_.path_mtu().current(peer, now);
  data_plane_.path_mtu().set_link_mtu(peer, *mtu);
  const auto after = data_plane_.path_mtu().current(peer, now);
  if (before != after)
    note(out, Notice::Level::Info,
         "path MTU toward " + peer.to_string() + ": " + std::to_string(after.value_or(0)) + " (route)");
}

void GatewayCore::report_lifetime(std::optional<ipsec::SaHandle> sa, ipsec::LifetimeEvent event,
                                  TimePoint now, OutputBatch& out) {
  if (event == ipsec::LifetimeEvent::None || !sa) return;
  auto child = binding_.child_of(*sa);
  if (!child) return;  // an SA already handed back (the old inbound SA in its grace period)
  if (event == ipsec::LifetimeEvent::Rekey) {
    ++counters_.soft_limits;
    note(out, Notice::Level::Info,
         "CHILD SA #" + std::to_string(*child) + " reached its soft limit: rekeying");
    engine_->on_child_sa_soft_limit(*child, now);
  } else {
    ++counters_.hard_limits;
    note(out, Notice::Level::Info,
         "CHILD SA #" + std::to_string(*child) + " reached its hard limit: deleting");
    engine_->on_child_sa_hard_limit(*child, now);
  }
  drain(now, out);
}

void GatewayCore::release_queued(const std::string& connection, const std::string& child, TimePoint now,
                                 OutputBatch& out) {
  std::vector<Bytes> packets = acquire_queue_.release({connection, child}, now);
  if (acquire_queue_.size() == 0) next_queue_expiry_.reset();
  if (packets.empty()) return;
  note(out, Notice::Level::Info,
       connection + "/" + child + ": sending " + std::to_string(packets.size()) +
           " packet(s) held during the negotiation");
  const std::optional<LinkId> link = link_of(connection);
  for (const Bytes& packet : packets) {
    if (link)
      on_link_packet(*link, packet, now, out);
    else
      on_tun_packet(packet, now, out);
  }
}

void GatewayCore::send_nat_keepalives(TimePoint now, OutputBatch& out) {
  static const std::uint8_t keepalive[] = {kNatKeepalive};
  for (const ike::ConnectionStatus& c : engine_->status(now)) {
    for (const ike::IkeSaStatus& sa : c.ike_sas) {
      if (!sa.nat_detected || sa.state != ike::IkeSaState::Established) continue;
      if (sa.local.port != wire::kNatTraversalPort) continue;
      ++counters_.nat_keepalives;
      out.add(OutputPacket{Destination::Udp, Purpose::NatKeepalive, sa.local.address.family(), sa.local,
                           sa.remote, 0, 0},
              ByteView(keepalive, sizeof keepalive));
    }
  }
}

// ---- requests from workers ------------------------------------------------------------------

void GatewayCore::on_worker_request(const WorkerRequest& request, TimePoint now, OutputBatch& out) {
  if (request.kind == WorkerRequest::Kind::LifetimeLimit) {
    report_lifetime(request.sa, request.event, now, out);
    return;
  }
  if (request.kind == WorkerRequest::Kind::LinkMtuRefused) {
    learn_link_mtu(request.peer, now, out);
    return;
  }
  if (request.kind == WorkerRequest::Kind::LinkPacket) {
    // Decapsulated by a worker on a route-based connection's SA: out of that interface, if it
    // still exists (the daemon writes interfaces on this thread only).
    if (links_.contains(request.link))
      out.add(
          OutputPacket{
              Destination::Tun, Purpose::Data, family_of(request.packet), {}, {}, 0, 0, request.link},
          request.packet);
    return;
  }
  const ipsec::Policy* policy = data_plane_.spd().find(request.policy);
  if (policy == nullptr) return;  // removed meanwhile
  if (policy->outbound_sa) {
    // The SA arrived after the worker's replica was made: send the packet from here.
    on_tun_packet(request.packet, now, out);
    return;
  }
  ++counters_.acquires;
  const auto target = binding_.acquire_target(request.policy);
  if (!target) {
    out.binding_errors.push_back("acquire on a policy the binding does not know");
    return;
  }
  if (options_.hold_while_negotiating && acquire_queue_.hold(*target, request.packet, now)) {
    ++counters_.queued_while_negotiating;
    if (!next_queue_expiry_) next_queue_expiry_ = now + kQueueExpiryInterval;
  }
  engine_->on_acquire(target->first, target->second, now);
  drain(now, out);
}

ReplicaContext GatewayCore::replica_context() const {
  ReplicaContext context;
  context.links.insert(link_by_inbound_sa_.begin(), link_by_inbound_sa_.end());
  context.shunt_keys = shunts_.policy_keys();
  context.resource_bindings = binding_.resource_bindings();
  return context;
}

// ---- time -----------------------------------------------------------------------------------

std::optional<TimePoint> GatewayCore::next_deadline() const {
  std::optional<TimePoint> deadline = engine_->next_deadline();
  for (const auto& own : {next_queue_expiry_, next_keepalive_}) {
    if (own && (!deadline || *own < *deadline)) deadline = own;
  }
  return deadline;
}

void GatewayCore::on_timer(TimePoint now, OutputBatch& out) {
  engine_->on_timer(now);
  drain(now, out);
  if (next_queue_expiry_ && now >= *next_queue_expiry_) {
    if (const std::size_t n = acquire_queue_.expire(now)) {
      note(out, Notice::Level::Info,
           std::to_string(n) + " queued packet(s) dropped after waiting too long for an SA");
    }
    next_queue_expiry_ =
        acquire_queue_.size() == 0 ? std::nullopt : std::optional(now + kQueueExpiryInterval);
  }
  if (options_.nat_keepalive) {
    if (!next_keepalive_) {
      next_keepalive_ = now + *options_.nat_keepalive;
    } else if (now >= *next_keepalive_) {
      next_keepalive_ = now + *options_.nat_keepalive;
      send_nat_keepalives(now, out);
    }
  }
}

}  // namespace cygnet::gateway
