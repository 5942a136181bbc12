#include "sim/network.hpp"

#include <algorithm>

#include "wire/udp_encap.hpp"

namespace cygnet::sim {

Network::Network(std::uint64_t seed) : rng_(seed) {}

namespace {
bool is_host_route(const wire::IpPrefix& prefix) {
  return prefix.length == prefix.address.bit_length();
}
}  // namespace

void Network::attach(const wire::IpPrefix& prefix, PacketReceiver receiver) {
  detach(prefix);
  if (is_host_route(prefix))
    host_routes_[prefix.address] = std::move(receiver);
  else
    routes_.push_back(Route{prefix, std::move(receiver)});
}

void Network::detach(const wire::IpPrefix& prefix) {
  if (is_host_route(prefix))
    host_routes_.erase(prefix.address);
  else
    std::erase_if(routes_, [&](const Route& r) { return r.prefix == prefix; });
}

void Network::set_link(const wire::IpAddress& from, const wire::IpAddress& to, const LinkConditions& c) {
  links_[{from, to}] = c;
}

void Network::set_path(const wire::IpAddress& a, const wire::IpAddress& b, const LinkConditions& c) {
  set_link(a, b, c);
  set_link(b, a, c);
}

const LinkConditions& Network::link(const wire::IpAddress& from, const wire::IpAddress& to) const {
  auto it = links_.find({from, to});
  return it == links_.end() ? default_link_ : it->second;
}

const PacketReceiver* Network::route(const wire::IpAddress& destination) const {
  // A host route is the longest prefix there is.
  if (auto host = host_routes_.find(destination); host != host_routes_.end()) return &host->second;
  const Route* best = nullptr;
  for (const Route& r : routes_) {
    if (r.prefix.contains(destination) && (best == nullptr || r.prefix.length > best->prefix.length))
      best = &r;
  }
  return best ? &best->receiver : nullptr;
}

bool Network::chance(double p) {
  if (p <= 0.0) return false;
  if (p >= 1.0) return true;
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < p;
}

Duration Network::random_delay(const LinkConditions& c) {
  Duration d = c.delay;
  if (c.jitter > Duration::zero()) {
    d += Duration(std::uniform_int_distribution<Duration::rep>(0, c.jitter.count())(rng_));
  }
  return d;
}

void Network::enqueue(Bytes packet, TimePoint at) {
  queue_.push_back(InFlight{at, next_order_++, std::move(packet)});
  std::push_heap(queue_.begin(), queue_.end(), Later{});
}

void Network::send(Bytes ip_packet, TimePoint now) {
  ++counters_.sent;
  if (tap_) tap_(now, ip_packet);
  auto info = wire::parse_ip_packet(ip_packet);
  if (!info) {
    ++counters_.unroutable;
    return;
  }
  const LinkConditions& c = link(info->source, info->destination);
  if (chance(c.loss)) {
    ++counters_.lost;
    return;
  }
  if (chance(c.duplicate)) {
    ++counters_.duplicated;
    enqueue(ip_packet, now + random_delay(c));
  }
  enqueue(std::move(ip_packet), now + random_delay(c));
}

std::optional<TimePoint> Network::next_delivery() const {
  if (queue_.empty()) return std::nullopt;
  return queue_.front().at;
}

void Network::deliver_due(TimePoint now) {
  while (!queue_.empty() && queue_.front().at <= now) {
    std::pop_heap(queue_.begin(), queue_.end(), Later{});
    InFlight item = std::move(queue_.back());
    queue_.pop_back();
    auto info = wire::parse_ip_packet(item.packet);
    const PacketReceiver* r = info ? route(info->destination) : nullptr;
    if (r == nullptr) {
      ++counters_.unroutable;
      continue;
    }
    ++counters_.delivered;
    // Copy the receiver: it may attach/detach endpoints (a restarting node) while running.
    PacketReceiver receiver = *r;
    receiver(item.packet, now);
  }
}

Bytes build_udp_packet(const ike::Endpoint& source, const ike::Endpoint& destination, ByteView payload) {
  const bool v4 = source.address.is_v4();
  const std::size_t ip_header = v4 ? wire::kIpv4MinHeaderLength : wire::kIpv6HeaderLength;
  const std::size_t udp_length = wire::kUdpHeaderLength + payload.size();
  Bytes packet(ip_header + udp_length);
  MutableByteView all(packet);
  MutableByteView udp = all.subspan(ip_header);
  wire::write_udp_header(udp, source.port, destination.port, static_cast<std::uint16_t>(udp_length));
  std::copy(payload.begin(), payload.end(), udp.begin() + wire::kUdpHeaderLength);
  if (v4) {
    wire::Ipv4HeaderFields f;
    f.source = source.address;
    f.destination = destination.address;
    f.protocol = wire::ip_protocol::kUdp;
    f.total_length = static_cast<std::uint16_t>(packet.size());
    wire::write_ipv4_header(all, f);
  } else {
    wire::Ipv6HeaderFields f;
    f.source = source.address;
    f.destination = destination.address;
    f.next_header = wire::ip_protocol::kUdp;
    f.payload_length = static_cast<std::uint16_t>(udp_length);
    wire::write_ipv6_header(all, f);
    wire::set_udp6_checksum(udp, source.address.bytes(), destination.address.bytes());
  }
  return packet;
}

std::optional<UdpDatagram> parse_udp_packet(ByteView ip_packet) {
  auto info = wire::parse_ip_packet(ip_packet);
  if (!info || info->protocol != wire::ip_protocol::kUdp || info->is_fragment) return std::nullopt;
  if (info->header_length + wire::kUdpHeaderLength > info->total_length) return std::nullopt;
  const std::size_t begin = info->header_length + wire::kUdpHeaderLength;
  UdpDatagram d;
  d.source = ike::Endpoint{info->source, info->source_port};
  d.destination = ike::Endpoint{info->destination, info->destination_port};
  d.payload = ip_packet.subspan(begin, info->total_length - begin);
  return d;
}

}  // namespace cygnet::sim
