// The data path's I/O edge: what each file descriptor reads goes into the gateway core as one
// batch (src/gateway/gateway_core.hpp), and the core's output batch is written out in one place,
// one function per destination kind (TUN device, raw sockets, UDP sockets).
#include <cerrno>
#include <cstring>
#include <span>

#include "daemon/gateway.hpp"
#include "daemon/logging.hpp"
#include "wire/udp_encap.hpp"

namespace cygnet::daemon {

namespace {

// TUN reads per wake-up before the loop looks at other sources (fairness between directions);
// the sockets are read with one recvmmsg of up to kSocketBatch messages.
constexpr int kBatch = 64;

ike::Endpoint endpoint_of(const UdpEndpoint& e) {
  return ike::Endpoint{e.address, e.port};
}

spdlog::level::level_enum level_of(gateway::Notice::Level level) {
  switch (level) {
    case gateway::Notice::Level::Trace: return spdlog::level::trace;
    case gateway::Notice::Level::Debug: return spdlog::level::debug;
    case gateway::Notice::Level::Info: return spdlog::level::info;
    case gateway::Notice::Level::Warn: return spdlog::level::warn;
    case gateway::Notice::Level::Error: return spdlog::level::err;
  }
  return spdlog::level::info;
}

}  // namespace

// ---- reading: one batch per wake-up into the core ------------------------------------------

void Gateway::on_tun_readable() {
  const TimePoint now = Clock::now();
  gateway::OutputBatch& out = batch();
  for (int i = 0; i < kBatch; ++i) {
    std::optional<std::span<const ByteView>> packets;  // one read: a packet or a super-packet's segments
    try {
      packets = tun_io_->read();
    } catch (const std::system_error& e) {
      log(Subsystem::DataPlane).error("reading {}: {}", tun_->name(), e.what());
      break;
    }
    if (!packets) break;
    for (const ByteView packet : *packets) {
      ++counters_.tun_packets_read;
      core_->on_tun_packet(packet, now, out);
    }
  }
  carry_out(now);
}

void Gateway::on_link_readable(const std::string& connection) {
  const TimePoint now = Clock::now();
  RouteBasedInterface* interface = interfaces_->find(connection);
  if (interface == nullptr) return;
  gateway::OutputBatch& out = batch();
  for (int i = 0; i < kBatch; ++i) {
    std::optional<std::size_t> n;
    try {
      n = interface->tun.read(in_buffer_);
    } catch (const std::system_error& e) {
      log(Subsystem::DataPlane).error("reading {}: {}", interface->tun.name(), e.what());
      break;
    }
    if (!n) break;
    ++counters_.tun_packets_read;
    if (interface->link != 0)
      core_->on_link_packet(interface->link, ByteView(in_buffer_.data(), *n), now, out);
  }
  carry_out(now);
}

void Gateway::on_udp_readable(IkeSocket& socket) {
  const TimePoint now = Clock::now();
  gateway::OutputBatch& out = batch();
  bool engine_touched = false;
  // One recvmmsg: up to kSocketBatch datagrams, GRO aggregates already cut into their datagrams.
  std::span<const ReceivedUdp> datagrams;
  try {
    datagrams = udp_receiver_.receive(socket.socket.fd(), socket.socket.port());
  } catch (const std::system_error& e) {
    log(Subsystem::Net).debug("receiving on port {}: {}", socket.socket.port(), e.what());
  }
  for (const ReceivedUdp& d : datagrams) {
    ++counters_.network_packets_received;
    if (!workers_.empty() && d.local.port == wire::kNatTraversalPort &&
        wire::classify_udp4500_payload(d.payload) == wire::Udp4500Payload::Esp &&
        hand_to_worker(d.payload,
                       ipsec::UdpEndpoints{d.local.address, d.local.port, d.remote.address, d.remote.port})) {
      continue;  // ESP in UDP: decrypted by the worker owning its SPI
    }
    const auto verdict =
        core_->on_udp_datagram(endpoint_of(d.local), endpoint_of(d.remote), d.payload, now, out);
    engine_touched = engine_touched || verdict == gateway::InboundVerdict::Ike;
  }
  wake_workers();
  carry_out(now);
  if (engine_touched) stop_when_deletes_done(now);  // shutting down: the last Delete answered ends the loop
}

void Gateway::on_raw_readable(RawIpSocket& socket) {
  const TimePoint now = Clock::now();
  gateway::OutputBatch& out = batch();
  std::span<const ByteView> packets;  // one recvmmsg
  try {
    packets = raw_receiver_.receive(socket.receive_fd(), socket.family(), socket.protocol());
  } catch (const std::system_error& e) {
    log(Subsystem::Net).debug("raw receive: {}", e.what());
  }
  for (const ByteView packet : packets) {
    ++counters_.network_packets_received;
    if (hand_to_worker(packet, std::nullopt)) continue;  // decrypted by the worker owning its SPI
    core_->on_raw_packet(packet, now, out);
  }
  wake_workers();
  carry_out(now);
}

void Gateway::on_icmp_readable(RawIpSocket& socket) {
  const TimePoint now = Clock::now();
  gateway::OutputBatch& out = batch();
  for (int i = 0; i < kBatch; ++i) {
    std::optional<std::size_t> n;
    try {
      n = socket.receive(in_buffer_);
    } catch (const std::system_error& e) {
      log(Subsystem::Net).debug("ICMP receive: {}", e.what());
      break;
    }
    if (!n) break;
    if (core_->on_icmp_too_big(ByteView(in_buffer_.data(), *n), now, out)) replicas_dirty_ = true;
  }
  carry_out(now);
}

// ---- writing: the core's output batch, one function per destination kind -------------------

void Gateway::carry_out(TimePoint now) {
  gateway::OutputBatch& out = out_;
  // Workers see SA changes before our packets go out (a peer may use a new SA as soon as it has
  // our answer).
  if (!workers_.empty() && (replicas_dirty_ || !out.applied.empty())) publish_replicas();
  write_tun_packets(out);
  send_raw_packets(out);
  send_udp_packets(out);
  for (const gateway::Notice& notice : out.notices)
    log(Subsystem::DataPlane).log(level_of(notice.level), "{}", notice.text);
  for (const ike::ResolveRemote& request : out.resolves) resolve_remote(request);
  for (const ike::FetchRevocation& request : out.revocation_fetches) fetch_revocation(request);
  for (const ike::RadiusAccessRequest& request : out.radius_requests) relay_to_radius(request);
  note_radius_events(out);
  for (const ike::Action& change : out.virtual_ip_changes) on_virtual_ip_change(change);
  if (!out.virtual_ip_changes.empty()) apply_client_setup();
  if (out.leases_changed) leases_dirty_ = true;
  for (const ike::Event& event : out.events) {
    log_event(event);
    publish_event(event, now);
  }
  for (const gateway::AppliedAction& applied : out.applied) on_applied(applied);
  if (!out.applied.empty()) update_carriers();
  if (out.selectors_changed) reconcile_routes();
  if (leases_dirty_) save_leases();
  if (radius_accounting_due_) account_radius_sessions(now);  // gateway_radius.cpp
  // A raw send refused with EMSGSIZE: the route's MTU went down since the SA was installed.
  if (!emsgsize_peers_.empty()) {
    gateway::OutputBatch notes;
    for (const wire::IpAddress& peer : emsgsize_peers_) core_->refresh_link_mtu(peer, now, notes);
    emsgsize_peers_.clear();
    for (const gateway::Notice& notice : notes.notices)
      log(Subsystem::DataPlane).log(level_of(notice.level), "{}", notice.text);
    if (!workers_.empty()) publish_replicas();
  }
  sync_core_counters();
}

void Gateway::write_tun_packets(const gateway::OutputBatch& out) {
  for (const gateway::OutputPacket& p : out.packets()) {
    if (p.destination != gateway::Destination::Tun) continue;
    if (p.link != 0) {  // decapsulated from a route-based connection's SA: its own interface
      RouteBasedInterface* interface = interfaces_->by_link(p.link);
      if (interface != nullptr && interface->tun.write(out.bytes(p)))
        ++counters_.tun_packets_written;
      else
        ++counters_.send_errors;
      continue;
    }
    // Queued: segments of one TCP flow are joined into one write (packet_io.hpp).
    const TunWriteResult written = tun_io_->queue_write(out.bytes(p));
    counters_.tun_packets_written += written.packets_written;
    counters_.send_errors += written.packets_failed;
  }
  const TunWriteResult written = tun_io_->flush();
  counters_.tun_packets_written += written.packets_written;
  counters_.send_errors += written.packets_failed;
}

void Gateway::send_raw_packets(const gateway::OutputBatch& out) {
  // Queued per packet with the socket of its family, then sent with sendmmsg.
  sending_.clear();
  for (const gateway::OutputPacket& p : out.packets()) {
    if (p.destination != gateway::Destination::Raw) continue;
    // ESP toward a peer reached over TCP (RFC 9329) goes on its TCP connection.
    if (p.purpose == gateway::Purpose::Data && tcp_->send_raw(p.remote.address, out.bytes(p))) continue;
    const RawIpSocket* socket = raw_socket_for(p.family);
    if (socket == nullptr) {
      ++counters_.send_errors;
      continue;
    }
    raw_sender_.queue(socket->send_fd(), p.family, out.bytes(p));
    sending_.push_back(&p);
  }
  if (sending_.empty()) return;
  const std::span<const SendOutcome> outcomes = raw_sender_.flush();
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    const gateway::OutputPacket& p = *sending_[i];
    if (outcomes[i].sent) {
      ++counters_.network_packets_sent;
      if (p.purpose == gateway::Purpose::Fragment) ++counters_.outer_fragments_sent;
      continue;
    }
    ++counters_.send_errors;
    log(Subsystem::Net).debug("raw send of {} bytes: {}", p.length, std::strerror(outcomes[i].error));
    // EMSGSIZE: the route's MTU went down since the SA was installed (carry_out asks again).
    if (outcomes[i].error == EMSGSIZE && p.purpose == gateway::Purpose::Data)
      emsgsize_peers_.push_back(p.remote.address);
  }
}

void Gateway::send_udp_packets(const gateway::OutputBatch& out) {
  // Queued in batch order, so the ESP packets cut from one TUN super-packet stay consecutive and
  // leave as one GSO message (socket_batch_io.hpp).
  sending_.clear();
  for (const gateway::OutputPacket& p : out.packets()) {
    if (p.destination != gateway::Destination::Udp) continue;
    if (route_over_tcp(p, out.bytes(p), Clock::now())) continue;  // a TCP peer's (RFC 9329)
    const IkeSocket* socket = udp_socket_for(p.local);
    if (socket == nullptr) {
      ++counters_.send_errors;
      log(Subsystem::Net).warn("no socket for {} (not in [daemon] listen?)", p.local.to_string());
      continue;
    }
    if (p.local.address.family() != socket->socket.family() ||
        p.remote.address.family() != socket->socket.family()) {
      ++counters_.send_errors;  // UdpSocket::send refuses these too (EAFNOSUPPORT)
      continue;
    }
    udp_sender_.queue(socket->socket.fd(), p.local.address, UdpEndpoint{p.remote.address, p.remote.port},
                      out.bytes(p));
    sending_.push_back(&p);
  }
  if (sending_.empty()) return;
  const std::span<const SendOutcome> outcomes = udp_sender_.flush();
  if (udp_sender_.gso_lost() && !gso_loss_logged_) {
    gso_loss_logged_ = true;
    log(Subsystem::Net)
        .warn("UDP GSO refused by the kernel (EIO: no checksum offload on the route's device): off");
  }
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    const gateway::OutputPacket& p = *sending_[i];
    if (outcomes[i].sent) {
      ++counters_.network_packets_sent;
      if (p.purpose == gateway::Purpose::NatKeepalive) ++counters_.nat_keepalives_sent;
      continue;
    }
    ++counters_.send_errors;
    log(Subsystem::Net).debug("sending to {}: {}", p.remote.to_string(), std::strerror(outcomes[i].error));
  }
}

const RawIpSocket* Gateway::raw_socket_for(wire::IpFamily family) const {
  for (const auto& raw : raw_sockets_) {
    if (raw->family() == family) return raw.get();  // every one of a family sends any protocol
  }
  return nullptr;
}

const Gateway::IkeSocket* Gateway::udp_socket_for(const ike::Endpoint& local) const {
  for (const auto& s : ike_sockets_) {
    if (s->socket.port() != local.port || s->socket.family() != local.address.family()) continue;
    if (!s->any_address && !(s->bound == local.address)) continue;
    return s.get();
  }
  return nullptr;
}

void Gateway::sync_core_counters() {
  const gateway::CoreCounters& c = core_->counters();
  counters_.acquires = c.acquires;
  counters_.queued_while_negotiating = c.queued_while_negotiating;
  counters_.queue_overflow_drops = core_->acquire_queue().overflow_drops();
  counters_.queue_expired_drops = core_->acquire_queue().expired_drops();
  counters_.icmp_too_big_received = c.icmp_too_big_received;
  const SocketBatchCounters* parts[] = {&udp_receiver_.counters(), &raw_receiver_.counters(),
                                        &udp_sender_.counters(), &raw_sender_.counters()};
  SocketBatchCounters sum;
  for (const SocketBatchCounters* part : parts) {
    sum.receive_calls += part->receive_calls;
    sum.messages_received += part->messages_received;
    sum.gro_aggregates += part->gro_aggregates;
    sum.gro_datagrams += part->gro_datagrams;
    sum.truncated_drops += part->truncated_drops;
    sum.send_calls += part->send_calls;
    sum.messages_sent += part->messages_sent;
    sum.gso_messages += part->gso_messages;
    sum.gso_datagrams += part->gso_datagrams;
    sum.gso_resent_singly += part->gso_resent_singly;
  }
  counters_.sockets = sum;
}

}  // namespace cygnet::daemon
