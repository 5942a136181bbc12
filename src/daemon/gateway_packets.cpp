// The data path: cleartext from the TUN device through the SPD/SAD to the network, protected
// packets from the network back to the TUN device, and IKE datagrams to the engine.
#include <cerrno>
#include <cstring>

#include "daemon/gateway.hpp"
#include "daemon/logging.hpp"
#include "wire/byte_reader.hpp"
#include "wire/icmp_too_big.hpp"
#include "wire/ip_fragment.hpp"
#include "wire/ip_packet.hpp"
#include "wire/udp_encap.hpp"

namespace cygnet::daemon {

namespace {

// Reads per wake-up before the loop looks at other sources (fairness between directions).
constexpr int kBatch = 64;
constexpr std::uint8_t kNatKeepalive = 0xff;  // RFC 3948 §2.3

ike::Endpoint endpoint_of(const UdpEndpoint& e) {
  return ike::Endpoint{e.address, e.port};
}

}  // namespace

void Gateway::on_tun_readable() {
  const TimePoint now = Clock::now();
  for (int i = 0; i < kBatch; ++i) {
    std::optional<std::span<const ByteView>> packets;  // one read: a packet or a super-packet's segments
    try {
      packets = tun_io_->read();
    } catch (const std::system_error& e) {
      log(Subsystem::DataPlane).error("reading {}: {}", tun_->name(), e.what());
      return;
    }
    if (!packets) return;
    for (const ByteView packet : *packets) {
      ++counters_.tun_packets_read;
      send_cleartext_packet(packet, now);
    }
  }
}

void Gateway::flush_tun_writes() {
  const TunWriteResult written = tun_io_->flush();
  counters_.tun_packets_written += written.packets_written;
  counters_.send_errors += written.packets_failed;
}

void Gateway::send_cleartext_packet(ByteView ip_packet, TimePoint now) {
  ipsec::OutboundOutcome o = data_plane_.process_outbound(ip_packet, out_buffer_, now);
  switch (o.kind) {
    case ipsec::OutboundOutcome::Kind::Protected:
      send_protected(o);
      report_lifetime(o.sa, o.result.lifetime_event, now);
      break;
    case ipsec::OutboundOutcome::Kind::Bypass:
      // A BYPASS policy: out in the clear, on the marked socket so it does not loop into the TUN.
      send_raw(ip_packet, ip_packet[0] >> 4 == 4 ? wire::IpFamily::V4 : wire::IpFamily::V6);
      break;
    case ipsec::OutboundOutcome::Kind::Acquire: {
      auto target = o.policy ? binding_.acquire_target(*o.policy) : std::nullopt;
      if (!target) break;
      ++counters_.acquires;
      if (acquire_queue_.hold(*target, ip_packet, now)) {
        ++counters_.queued_while_negotiating;
      } else {
        counters_.queue_overflow_drops = acquire_queue_.overflow_drops();
      }
      engine_->on_acquire(target->first, target->second, now);
      drain(now);
      break;
    }
    case ipsec::OutboundOutcome::Kind::TooBig: {
      // Locally generated, like a router's ICMP: out of the marked raw socket, routed to the
      // sender by the main table (written into the TUN device instead, a source that is one of
      // our own addresses would be dropped as a martian).
      const ByteView icmp(out_buffer_.data(), o.result.length);
      send_raw(icmp, icmp[0] >> 4 == 4 ? wire::IpFamily::V4 : wire::IpFamily::V6);
      break;
    }
    case ipsec::OutboundOutcome::Kind::Dropped:
      log(Subsystem::DataPlane).trace("outbound packet dropped: {}", ipsec::drop_reason_name(o.drop));
      report_lifetime(o.sa, o.result.lifetime_event, now);
      break;
  }
}

void Gateway::send_protected(const ipsec::OutboundOutcome& o) {
  const ipsec::SecurityAssociation* sa = o.sa ? data_plane_.sad().find(*o.sa) : nullptr;
  if (sa == nullptr) return;
  const ipsec::SaParameters& p = sa->params();
  const ByteView packet(out_buffer_.data(), o.result.length);
  if (p.udp_encapsulation) {
    send_udp(ike::Endpoint{p.local_address, p.udp_encapsulation->local_port},
             ike::Endpoint{p.remote_address, p.udp_encapsulation->remote_port},
             packet.subspan(o.result.protocol_offset));
  } else if (o.fragment_to != 0) {
    send_fragmented(packet, o.fragment_to, p.local_address.family());
  } else if (!send_raw(packet, p.local_address.family()) && errno == EMSGSIZE) {
    // The route's MTU went down since the SA was installed: take the new one from now on.
    learn_link_mtu(p.remote_address);
  }
  // ESP in UDP larger than the path goes out whole: the UDP socket lets the kernel fragment it.
}

void Gateway::send_fragmented(ByteView ip_packet, std::size_t mtu, wire::IpFamily family) {
  const std::size_t sent =
      wire::fragment_ip_packet(ip_packet, mtu, next_fragment_id_++, fragment_buffer_,
                               [&](ByteView fragment) { return send_raw(fragment, family); });
  counters_.outer_fragments_sent += sent;
  if (sent == 0)
    log(Subsystem::Net).debug("could not fragment a {}-byte packet to {}", ip_packet.size(), mtu);
}

void Gateway::learn_link_mtu(const wire::IpAddress& peer) {
  const std::optional<std::uint32_t> mtu = route_mtu_toward(peer, options_.fwmark);
  if (!mtu) return;
  const TimePoint now = Clock::now();
  const auto before = data_plane_.path_mtu().current(peer, now);
  data_plane_.path_mtu().set_link_mtu(peer, *mtu);
  const auto after = data_plane_.path_mtu().current(peer, now);
  if (before != after)
    log(Subsystem::DataPlane).info("path MTU toward {}: {} (route)", peer.to_string(), *after);
}

void Gateway::on_icmp_readable(RawIpSocket& socket) {
  const TimePoint now = Clock::now();
  for (int i = 0; i < kBatch; ++i) {
    std::optional<std::size_t> n;
    try {
      n = socket.receive(in_buffer_);
    } catch (const std::system_error& e) {
      log(Subsystem::Net).debug("ICMP receive: {}", e.what());
      return;
    }
    if (!n) return;
    const ByteView packet(in_buffer_.data(), *n);
    // Our own Too Big to a sender on this host comes back through loopback (it quotes the inner
    // packet, not ESP/AH/UDP): not news from the outer path, so not counted.
    const auto quoted = wire::parse_icmp_too_big(packet);
    if (quoted && quoted->quoted_protocol != wire::ip_protocol::kEsp &&
        quoted->quoted_protocol != wire::ip_protocol::kAh &&
        quoted->quoted_protocol != wire::ip_protocol::kUdp) {
      continue;
    }
    ++counters_.icmp_too_big_received;
    if (data_plane_.on_icmp_too_big(packet, now)) {
      const auto message = wire::parse_icmp_too_big(packet);
      const auto mtu = data_plane_.path_mtu().current(message->quoted_destination, now);
      log(Subsystem::DataPlane)
          .info("path MTU toward {}: {} (ICMP from {})", message->quoted_destination.to_string(),
                mtu.value_or(0),
                wire::parse_ip_packet(packet) ? wire::parse_ip_packet(packet)->source.to_string() : "?");
    }
  }
}

bool Gateway::send_raw(ByteView ip_packet, wire::IpFamily family) {
  for (auto& raw : raw_sockets_) {
    if (raw->family() != family) continue;
    if (raw->send(ip_packet)) {
      ++counters_.network_packets_sent;
      return true;
    }
    break;
  }
  const int error = errno;
  ++counters_.send_errors;
  log(Subsystem::Net).debug("raw send of {} bytes: {}", ip_packet.size(), std::strerror(error));
  errno = error;  // the caller may act on it (EMSGSIZE)
  return false;
}

bool Gateway::send_udp(const ike::Endpoint& local, const ike::Endpoint& remote, ByteView payload) {
  IkeSocket* chosen = nullptr;
  for (auto& s : ike_sockets_) {
    if (s->socket.port() != local.port || s->socket.family() != local.address.family()) continue;
    if (!s->any_address && !(s->bound == local.address)) continue;
    chosen = s.get();
    break;
  }
  if (chosen == nullptr) {
    ++counters_.send_errors;
    log(Subsystem::Net).warn("no socket for {} (not in [daemon] listen?)", local.to_string());
    return false;
  }
  if (!chosen->socket.send(payload, local.address, UdpEndpoint{remote.address, remote.port})) {
    ++counters_.send_errors;
    log(Subsystem::Net).debug("sending to {}: {}", remote.to_string(), std::strerror(errno));
    return false;
  }
  ++counters_.network_packets_sent;
  return true;
}

void Gateway::on_udp_readable(IkeSocket& socket) {
  const TimePoint now = Clock::now();
  bool engine_touched = false;
  for (int i = 0; i < kBatch; ++i) {
    std::optional<ReceivedDatagram> d;
    // Received after the headroom, so an ESP-in-UDP packet can get its IP/UDP header back in place.
    MutableByteView space(in_buffer_.data() + kHeadroom, in_buffer_.size() - kHeadroom);
    try {
      d = socket.socket.receive(space);
    } catch (const std::system_error& e) {
      log(Subsystem::Net).debug("receiving on port {}: {}", socket.socket.port(), e.what());
      break;
    }
    if (!d) break;
    ++counters_.network_packets_received;
    const ByteView payload(space.data(), d->length);
    if (socket.socket.port() == wire::kNatTraversalPort) {
      const wire::Udp4500Payload kind = wire::classify_udp4500_payload(payload);
      if (kind == wire::Udp4500Payload::Esp) {
        // Rebuild the IP and UDP headers the socket stripped: the data plane takes whole packets.
        const bool v4 = d->local.address.is_v4();
        const std::size_t header =
            (v4 ? wire::kIpv4MinHeaderLength : wire::kIpv6HeaderLength) + wire::kUdpHeaderLength;
        std::uint8_t* start = space.data() - header;
        const std::size_t total = header + d->length;
        MutableByteView ip(start, total);
        if (v4) {
          wire::Ipv4HeaderFields h;
          h.source = d->remote.address;
          h.destination = d->local.address;
          h.protocol = wire::ip_protocol::kUdp;
          h.total_length = static_cast<std::uint16_t>(total);
          wire::write_ipv4_header(ip, h);
        } else {
          wire::Ipv6HeaderFields h;
          h.source = d->remote.address;
          h.destination = d->local.address;
          h.next_header = wire::ip_protocol::kUdp;
          h.payload_length = static_cast<std::uint16_t>(total - wire::kIpv6HeaderLength);
          wire::write_ipv6_header(ip, h);
        }
        std::uint8_t* udp = start + (header - wire::kUdpHeaderLength);
        wire::store_be16(udp, d->remote.port);
        wire::store_be16(udp + 2, d->local.port);
        wire::store_be16(udp + 4, static_cast<std::uint16_t>(wire::kUdpHeaderLength + d->length));
        wire::store_be16(udp + 6, 0);
        deliver_inbound(ByteView(start, total), now);
        continue;
      }
      if (kind != wire::Udp4500Payload::Ike) continue;  // NAT keepalive or garbage: nothing to do
    }
    engine_->on_datagram(endpoint_of(d->local), endpoint_of(d->remote), payload, now);
    engine_touched = true;
  }
  flush_tun_writes();
  if (engine_touched) {
    drain(now);
    stop_when_deletes_done(now);  // shutting down: the last Delete answered ends the loop
  }
}

void Gateway::on_raw_readable(RawIpSocket& socket) {
  const TimePoint now = Clock::now();
  for (int i = 0; i < kBatch; ++i) {
    std::optional<std::size_t> n;
    try {
      n = socket.receive(in_buffer_);
    } catch (const std::system_error& e) {
      log(Subsystem::Net).debug("raw receive: {}", e.what());
      break;
    }
    if (!n) break;
    ++counters_.network_packets_received;
    deliver_inbound(ByteView(in_buffer_.data(), *n), now);
  }
  flush_tun_writes();  // decapsulated packets go to the TUN device in joined batches
}

void Gateway::deliver_inbound(ByteView ip_packet, TimePoint now) {
  ipsec::InboundOutcome o = data_plane_.process_inbound(ip_packet, out_buffer_, now);
  switch (o.kind) {
    case ipsec::InboundOutcome::Kind::Decapsulated: {
      const TunWriteResult written = tun_io_->queue_write(ByteView(out_buffer_.data(), o.result.length));
      counters_.tun_packets_written += written.packets_written;
      counters_.send_errors += written.packets_failed;
      break;
    }
    case ipsec::InboundOutcome::Kind::Bypass:
      break;  // the kernel already delivered the cleartext original; nothing to re-inject
    case ipsec::InboundOutcome::Kind::Dropped:
      log(Subsystem::DataPlane).trace("inbound packet dropped: {}", ipsec::drop_reason_name(o.drop));
      break;
  }
  report_lifetime(o.sa, o.result.lifetime_event, now);
}

void Gateway::report_lifetime(std::optional<ipsec::SaHandle> sa, ipsec::LifetimeEvent event, TimePoint now) {
  if (event == ipsec::LifetimeEvent::None || !sa) return;
  auto child = binding_.child_of(*sa);
  if (!child) return;  // an SA already handed back (the old inbound SA in its grace period)
  if (event == ipsec::LifetimeEvent::Rekey) {
    log(Subsystem::DataPlane).info("CHILD SA #{} reached its soft limit: rekeying", *child);
    engine_->on_child_sa_soft_limit(*child, now);
  } else {
    log(Subsystem::DataPlane).info("CHILD SA #{} reached its hard limit: deleting", *child);
    engine_->on_child_sa_hard_limit(*child, now);
  }
  drain(now);
}

void Gateway::release_queued(const std::string& connection, const std::string& child, TimePoint now) {
  std::vector<Bytes> packets = acquire_queue_.release({connection, child}, now);
  counters_.queue_expired_drops = acquire_queue_.expired_drops();
  if (packets.empty()) return;
  log(Subsystem::DataPlane)
      .info("{}/{}: sending {} packet(s) held during the negotiation", connection, child, packets.size());
  for (const Bytes& packet : packets) send_cleartext_packet(packet, now);
}

void Gateway::send_nat_keepalives(TimePoint now) {
  static const std::uint8_t keepalive[] = {kNatKeepalive};
  for (const ike::ConnectionStatus& c : engine_->status(now)) {
    for (const ike::IkeSaStatus& sa : c.ike_sas) {
      if (!sa.nat_detected || sa.state != ike::IkeSaState::Established) continue;
      if (sa.local.port != wire::kNatTraversalPort) continue;
      if (send_udp(sa.local, sa.remote, keepalive)) ++counters_.nat_keepalives_sent;
    }
  }
}

}  // namespace cygnet::daemon
