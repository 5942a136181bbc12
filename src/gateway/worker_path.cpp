#include "gateway/worker_path.hpp"

namespace cygnet::gateway {

namespace {

wire::IpFamily family_of(ByteView ip_packet) {
  return !ip_packet.empty() && ip_packet[0] >> 4 == 6 ? wire::IpFamily::V6 : wire::IpFamily::V4;
}

void add_traffic(ipsec::TrafficCounters& into, const ipsec::TrafficCounters& from) {
  into.packets += from.packets;
  into.bytes += from.bytes;
}

// A packet for an SA installed after this batch began: the control thread published the replica
// that has it before handing the packet over (it publishes before answering the peer, and the
// peer only then uses the SA), so the newer replica is waiting.
bool unknown_spi(const ipsec::InboundOutcome& o) {
  return o.kind == ipsec::InboundOutcome::Kind::Dropped && o.drop == ipsec::DropReason::UnknownSpi;
}

void bump(std::atomic<std::uint64_t>& counter) {
  // One writer: a relaxed load and store, not a locked read-modify-write.
  counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

}  // namespace

void add_counters(ipsec::GlobalCounters& into, const ipsec::GlobalCounters& from) {
  add_traffic(into.outbound, from.outbound);
  add_traffic(into.inbound, from.inbound);
  add_traffic(into.bypassed, from.bypassed);
  for (std::size_t i = 0; i < into.drops.by_reason.size(); ++i)
    into.drops.by_reason[i] += from.drops.by_reason[i];
  into.path_mtu.too_big_sent += from.path_mtu.too_big_sent;
  into.path_mtu.fragmented_packets += from.path_mtu.fragmented_packets;
  into.path_mtu.mss_clamped += from.path_mtu.mss_clamped;
  into.path_mtu.icmp_accepted += from.path_mtu.icmp_accepted;
  into.path_mtu.icmp_ignored += from.path_mtu.icmp_ignored;
}

// Fragment identifications: 2^24 apart per worker, the control thread's core starting at 1.
WorkerPath::WorkerPath(std::size_t index, WorkerRequestQueue& requests)
    : index_(index),
      requests_(requests),
      plane_(std::make_unique<ipsec::DataPlane>()),
      protected_output_(static_cast<std::uint32_t>((index + 1) << 24)) {}

WorkerPath::~WorkerPath() {
  delete pending_.exchange(nullptr);
}

void WorkerPath::publish(std::unique_ptr<ipsec::DataPlane> replica, ReplicaContext context) {
  // RFC 9611: this worker sends on its own per-resource SA where it has one (the replica's
  // policies otherwise point at the fallback). Done here, on the control thread, before the
  // worker can see the replica.
  for (const auto& b : context.resource_bindings)
    if (worker_of_resource(b.resource, context.workers) == index_)
      replica->bind_outbound_sa(b.policy, b.outbound);
  // Whoever exchanges a pointer out owns it: a replica the worker never took is freed here.
  auto* next = new Replica{std::move(replica), std::move(context)};
  delete pending_.exchange(next, std::memory_order_acq_rel);
}

bool WorkerPath::refresh() {
  take_pending();
  batch_.open();
  return counters_.replicas_taken.load(std::memory_order_relaxed) != 0;
}

bool WorkerPath::take_pending() {
  std::unique_ptr<Replica> next(pending_.exchange(nullptr, std::memory_order_acq_rel));
  if (next == nullptr) return false;
  // The old replica may hold the last reference to an SA this batch holds counts for.
  const bool batch_was_open = batch_.is_open();
  batch_.close();
  add_counters(retired_, plane_->counters());
  plane_ = std::move(next->plane);  // the old replica (and any SA only it still held) goes here
  context_ = std::move(next->context);
  bump(counters_.replicas_taken);
  if (batch_was_open) batch_.open();
  return true;
}

void WorkerPath::publish_counters() {
  batch_.close();
  std::unique_lock lock(published_mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return;  // a reader is copying them: next batch
  published_ = retired_;
  add_counters(published_, plane_->counters());
  if (!shunt_counts_.empty()) published_shunts_ = shunt_counts_;
}

std::unordered_map<std::string, ShuntCounts> WorkerPath::shunt_counts() const {
  std::lock_guard lock(published_mutex_);
  return published_shunts_;
}

void WorkerPath::count_shunt(const std::optional<ipsec::PolicyId>& policy, bool outbound) {
  if (!policy || context_.shunt_keys.empty()) return;
  const auto key = context_.shunt_keys.find(*policy);
  if (key == context_.shunt_keys.end()) return;  // a policy, not a shunt's
  ShuntCounts& counts = shunt_counts_[key->second];
  ++(outbound ? counts.packets_out : counts.packets_in);
}

ipsec::GlobalCounters WorkerPath::data_plane_counters() const {
  std::lock_guard lock(published_mutex_);
  return published_;
}

void WorkerPath::request(WorkerRequest r) {
  if (!requests_.push(std::move(r))) bump(counters_.requests_dropped);
}

void WorkerPath::report_lifetime(const std::optional<ipsec::SaHandle>& sa, ipsec::LifetimeEvent event) {
  // The SA's tracker hands each event to exactly one packet, whichever worker it is on.
  if (event == ipsec::LifetimeEvent::None || !sa) return;
  WorkerRequest r;
  r.kind = WorkerRequest::Kind::LifetimeLimit;
  r.sa = *sa;
  r.event = event;
  request(std::move(r));
}

OutboundVerdict WorkerPath::on_tun_packet(ByteView ip_packet, TimePoint now, OutputBatch& out) {
  bump(counters_.tun_packets_read);
  const ipsec::PacketBatch::Use batch(batch_);
  MutableByteView room = out.reserve(ip_packet.size() + ipsec::kMaxEncapsulationOverhead);
  const ipsec::OutboundOutcome o = plane_->process_outbound(ip_packet, room, now);
  switch (o.kind) {
    case ipsec::OutboundOutcome::Kind::Protected: {
      // The SA the data plane used (one lookup, as in GatewayCore::emit_protected).
      const ipsec::SecurityAssociation* sa = o.sa_entry;
      if (sa != nullptr && protected_output_.emit(o, *sa, out)) {
        bump(counters_.protected_out);
      } else {
        bump(counters_.outbound_drops);
      }
      report_lifetime(o.sa, o.result.lifetime_event);
      break;
    }
    case ipsec::OutboundOutcome::Kind::Bypass:
      count_shunt(o.policy, true);
      out.add(OutputPacket{Destination::Raw, Purpose::Bypass, family_of(ip_packet), {}, {}, 0, 0}, ip_packet);
      break;
    case ipsec::OutboundOutcome::Kind::Acquire:
      if (o.policy) {
        bump(counters_.acquires);
        WorkerRequest r;
        r.kind = WorkerRequest::Kind::Acquire;
        r.policy = *o.policy;
        r.packet.assign(ip_packet.begin(), ip_packet.end());
        request(std::move(r));
      }
      break;
    case ipsec::OutboundOutcome::Kind::TooBig:
      bump(counters_.outbound_drops);
      out.commit(OutputPacket{Destination::Raw, Purpose::TooBig, family_of(room), {}, {}, 0, 0},
                 o.result.length);
      break;
    case ipsec::OutboundOutcome::Kind::Dropped:
      bump(counters_.outbound_drops);
      if (o.drop == ipsec::DropReason::PolicyDiscard) count_shunt(o.policy, true);
      report_lifetime(o.sa, o.result.lifetime_event);
      break;
  }
  return OutboundVerdict{o.kind, o.drop};
}

InboundVerdict WorkerPath::on_raw_packet(ByteView ip_packet, TimePoint now, OutputBatch& out) {
  bump(counters_.network_packets_in);
  const ipsec::PacketBatch::Use batch(batch_);
  MutableByteView room = out.reserve(ip_packet.size() + ipsec::kMaxEncapsulationOverhead);
  ipsec::InboundOutcome o = plane_->process_inbound(ip_packet, room, now);
  if (unknown_spi(o) && take_pending()) o = plane_->process_inbound(ip_packet, room, now);
  return inbound_outcome(o, room, out);
}

InboundVerdict WorkerPath::on_esp_in_udp(ByteView esp, const ipsec::UdpEndpoints& endpoints, TimePoint now,
                                         OutputBatch& out) {
  bump(counters_.network_packets_in);
  const ipsec::PacketBatch::Use batch(batch_);
  MutableByteView room = out.reserve(esp.size() + ipsec::kMaxEncapsulationOverhead);
  ipsec::InboundOutcome o = plane_->process_esp_in_udp(esp, endpoints, room, now);
  if (unknown_spi(o) && take_pending()) o = plane_->process_esp_in_udp(esp, endpoints, room, now);
  return inbound_outcome(o, room, out);
}

InboundVerdict WorkerPath::inbound_outcome(const ipsec::InboundOutcome& o, MutableByteView room,
                                           OutputBatch& out) {
  InboundVerdict verdict = InboundVerdict::Dropped;
  switch (o.kind) {
    case ipsec::InboundOutcome::Kind::Decapsulated: {
      bump(counters_.decapsulated_in);
      OutputPacket packet{Destination::Tun, Purpose::Data, family_of(room), {}, {}, 0, 0};
      if (!context_.links.empty() && o.sa) {  // a route-based connection's SA: its interface
        if (const auto link = context_.links.find(*o.sa); link != context_.links.end())
          packet.link = link->second;
      }
      out.commit(packet, o.result.length);
      verdict = InboundVerdict::Decapsulated;
      break;
    }
    case ipsec::InboundOutcome::Kind::Bypass:
      count_shunt(o.policy, false);
      verdict = InboundVerdict::Bypass;
      break;
    case ipsec::InboundOutcome::Kind::Dropped:
      bump(counters_.inbound_drops);
      count_shunt(o.policy, false);
      break;
  }
  report_lifetime(o.sa, o.result.lifetime_event);
  return verdict;
}

}  // namespace cygnet::gateway
