// The data path's I/O edge: what each file descriptor reads goes into the gateway core as one
// batch (src/gateway/gateway_core.hpp), and the core's output batch is written out in one place,
// one function per destination kind (TUN device, raw sockets, UDP sockets).
#include <cerrno>
#include <cstring>
#include <span>

#include "daemon/gateway.hpp"
#include "daemon/logging.hpp"

namespace cygnet::daemon {

namespace {

// Reads per wake-up before the loop looks at other sources (fairness between directions).
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
  for (int i = 0; i < kBatch; ++i) {
    std::optional<ReceivedDatagram> d;
    try {
      d = socket.socket.receive(in_buffer_);
    } catch (const std::system_error& e) {
      log(Subsystem::Net).debug("receiving on port {}: {}", socket.socket.port(), e.what());
      break;
    }
    if (!d) break;
    ++counters_.network_packets_received;
    const auto verdict = core_->on_udp_datagram(endpoint_of(d->local), endpoint_of(d->remote),
                                                ByteView(in_buffer_.data(), d->length), now, out);
    engine_touched = engine_touched || verdict == gateway::InboundVerdict::Ike;
  }
  carry_out(now);
  if (engine_touched) stop_when_deletes_done(now);  // shutting down: the last Delete answered ends the loop
}

void Gateway::on_raw_readable(RawIpSocket& socket) {
  const TimePoint now = Clock::now();
  gateway::OutputBatch& out = batch();
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
    core_->on_raw_packet(ByteView(in_buffer_.data(), *n), now, out);
  }
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
    core_->on_icmp_too_big(ByteView(in_buffer_.data(), *n), now, out);
  }
  carry_out(now);
}

// ---- writing: the core's output batch, one function per destination kind -------------------

void Gateway::carry_out(TimePoint now) {
  gateway::OutputBatch& out = out_;
  write_tun_packets(out);
  send_raw_packets(out);
  send_udp_packets(out);
  for (const gateway::Notice& notice : out.notices)
    log(Subsystem::DataPlane).log(level_of(notice.level), "{}", notice.text);
  for (const ike::ResolveRemote& request : out.resolves) resolve_remote(request);
  for (const ike::FetchRevocation& request : out.revocation_fetches) fetch_revocation(request);
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
  // A raw send refused with EMSGSIZE: the route's MTU went down since the SA was installed.
  if (!emsgsize_peers_.empty()) {
    gateway::OutputBatch notes;
    for (const wire::IpAddress& peer : emsgsize_peers_) core_->refresh_link_mtu(peer, now, notes);
    emsgsize_peers_.clear();
    for (const gateway::Notice& notice : notes.notices)
      log(Subsystem::DataPlane).log(level_of(notice.level), "{}", notice.text);
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
  for (const gateway::OutputPacket& p : out.packets()) {
    if (p.destination != gateway::Destination::Raw) continue;
    if (send_raw(out.bytes(p), p.family)) {
      if (p.purpose == gateway::Purpose::Fragment) ++counters_.outer_fragments_sent;
    } else if (errno == EMSGSIZE && p.purpose == gateway::Purpose::Data) {
      emsgsize_peers_.push_back(p.remote.address);
    }
  }
}

void Gateway::send_udp_packets(const gateway::OutputBatch& out) {
  for (const gateway::OutputPacket& p : out.packets()) {
    if (p.destination != gateway::Destination::Udp) continue;
    if (send_udp(p.local, p.remote, out.bytes(p)) && p.purpose == gateway::Purpose::NatKeepalive)
      ++counters_.nat_keepalives_sent;
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

void Gateway::sync_core_counters() {
  const gateway::CoreCounters& c = core_->counters();
  counters_.acquires = c.acquires;
  counters_.queued_while_negotiating = c.queued_while_negotiating;
  counters_.queue_overflow_drops = core_->acquire_queue().overflow_drops();
  counters_.queue_expired_drops = core_->acquire_queue().expired_drops();
  counters_.icmp_too_big_received = c.icmp_too_big_received;
}

}  // namespace cygnet::daemon
