#include "sim/traffic.hpp"

#include <algorithm>

#include "wire/udp_encap.hpp"

namespace cygnet::sim {

namespace {

void put_u32(Bytes& out, std::size_t at, std::uint32_t v) {
  out[at] = static_cast<std::uint8_t>(v >> 24);
  out[at + 1] = static_cast<std::uint8_t>(v >> 16);
  out[at + 2] = static_cast<std::uint8_t>(v >> 8);
  out[at + 3] = static_cast<std::uint8_t>(v);
}

std::uint32_t get_u32(ByteView in, std::size_t at) {
  return (std::uint32_t{in[at]} << 24) | (std::uint32_t{in[at + 1]} << 16) |
         (std::uint32_t{in[at + 2]} << 8) | in[at + 3];
}

// Marks simulator traffic so a stray packet is never mistaken for it.
constexpr std::uint32_t kMagic = 0x5133c0de;

}  // namespace

std::size_t TrafficGenerator::add_flow(const Flow& flow, TimePoint start) {
  State s;
  s.flow = flow;
  s.flow.payload_size = std::max<std::size_t>(flow.payload_size, 12);
  s.next = start;
  flows_.push_back(std::move(s));
  schedule_.push_back(Due{start, flows_.size() - 1});
  std::push_heap(schedule_.begin(), schedule_.end(), LaterDue{});
  auto sink = [this](ByteView packet, TimePoint) { on_delivered(packet); };
  flow.from->set_host_sink(sink);
  flow.to->set_host_sink(sink);
  return flows_.size() - 1;
}

void TrafficGenerator::resume(TimePoint now) {
  running_ = true;
  schedule_.clear();
  for (std::size_t i = 0; i < flows_.size(); ++i) {
    flows_[i].next = std::max(flows_[i].next, now);
    schedule_.push_back(Due{flows_[i].next, i});
  }
  std::make_heap(schedule_.begin(), schedule_.end(), LaterDue{});
}

std::optional<TimePoint> TrafficGenerator::next_tick() const {
  if (!running_ || schedule_.empty()) return std::nullopt;
  return schedule_.front().at;
}

Bytes TrafficGenerator::build_packet(std::size_t index, State& s) const {
  Bytes payload(s.flow.payload_size, 0);
  put_u32(payload, 0, kMagic);
  put_u32(payload, 4, static_cast<std::uint32_t>(index));
  put_u32(payload, 8, static_cast<std::uint32_t>(s.sequence));
  // Ports from the flow: build_udp_packet takes endpoints.
  return build_udp_packet(ike::Endpoint{s.flow.source, s.flow.source_port},
                          ike::Endpoint{s.flow.destination, s.flow.destination_port}, payload);
}

void TrafficGenerator::tick(TimePoint now) {
  if (!running_) return;
  // The flows due, in flow order (as if every flow were visited in turn).
  std::vector<std::size_t> due;
  while (!schedule_.empty() && schedule_.front().at <= now) {
    std::pop_heap(schedule_.begin(), schedule_.end(), LaterDue{});
    due.push_back(schedule_.back().flow);
    schedule_.pop_back();
  }
  std::sort(due.begin(), due.end());
  for (std::size_t i : due) {
    send_due(i, now);
    schedule_.push_back(Due{flows_[i].next, i});
    std::push_heap(schedule_.begin(), schedule_.end(), LaterDue{});
  }
}

void TrafficGenerator::send_due(std::size_t i, TimePoint now) {
  State& s = flows_[i];
  while (s.next <= now) {
    Bytes packet = build_packet(i, s);
    ++s.sequence;
    ++s.counters.sent;
    s.seen.push_back(false);
    s.next += s.flow.interval;
    OutboundVerdict v = s.flow.from->send_cleartext(packet, now);
    if (!s.first_verdict) s.first_verdict = v;
    switch (v.kind) {
      case ipsec::OutboundOutcome::Kind::Protected: ++s.counters.protected_out; break;
      case ipsec::OutboundOutcome::Kind::Acquire: ++s.counters.acquires; break;
      case ipsec::OutboundOutcome::Kind::TooBig:
      case ipsec::OutboundOutcome::Kind::Dropped: s.counters.outbound_drops.count(v.drop); break;
      case ipsec::OutboundOutcome::Kind::Bypass: break;
    }
  }
}

void TrafficGenerator::on_delivered(ByteView packet) {
  auto udp = parse_udp_packet(packet);
  if (!udp || udp->payload.size() < 12 || get_u32(udp->payload, 0) != kMagic) return;
  const std::uint32_t index = get_u32(udp->payload, 4);
  const std::uint32_t sequence = get_u32(udp->payload, 8);
  if (index >= flows_.size()) return;
  State& s = flows_[index];
  if (sequence >= s.seen.size()) return;            // not a packet this generator sent
  const bool counted = sequence >= s.counted_from;  // sent after the last reset_counters
  if (s.seen[sequence]) {
    if (counted) ++s.counters.duplicates;
  } else {
    s.seen[sequence] = true;
    if (counted) ++s.counters.delivered;
  }
}

void TrafficGenerator::reset_counters() {
  for (State& s : flows_) {
    s.counters = FlowCounters{};
    s.counted_from = s.sequence;
  }
}

}  // namespace cygnet::sim
