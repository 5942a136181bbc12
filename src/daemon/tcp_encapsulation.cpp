#include "daemon/tcp_encapsulation.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "daemon/logging.hpp"
#include "wire/byte_reader.hpp"
#include "wire/ip_packet.hpp"
#include "wire/udp_encap.hpp"

namespace cygnet::daemon {

namespace {

constexpr int kListenBacklog = 128;
constexpr int kReadsPerWakeup = 16;  // then other fds get their turn
constexpr Seconds kTick{1};
constexpr Seconds kMaxReconnectDelay{30};

socklen_t to_sockaddr(const wire::IpAddress& address, std::uint16_t port, sockaddr_storage& out) {
  std::memset(&out, 0, sizeof(out));
  if (address.family() == wire::IpFamily::V4) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&out);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    std::memcpy(&sin->sin_addr, address.bytes().data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(port);
  std::memcpy(&sin6->sin6_addr, address.bytes().data(), 16);
  return sizeof(sockaddr_in6);
}

ike::Endpoint from_sockaddr(const sockaddr_storage& in) {
  if (in.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&in);
    return {wire::IpAddress::v4(ByteView(reinterpret_cast<const std::uint8_t*>(&sin->sin_addr), 4)),
            ntohs(sin->sin_port)};
  }
  const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&in);
  return {wire::IpAddress::v6(ByteView(reinterpret_cast<const std::uint8_t*>(&sin6->sin6_addr), 16)),
          ntohs(sin6->sin6_port)};
}

ike::Endpoint local_of(int fd) {
  sockaddr_storage name{};
  socklen_t length = sizeof(name);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&name), &length) != 0) return {};
  return from_sockaddr(name);
}

void set_option(int fd, int level, int name, int value, const char* what) {
  if (setsockopt(fd, level, name, &value, sizeof(value)) != 0)
    throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

TcpEncapsulation::TcpEncapsulation(EventLoop& loop, std::uint32_t fwmark, std::size_t max_connections,
                                   Deliver deliver)
    : loop_(loop), fwmark_(fwmark), max_connections_(max_connections), deliver_(std::move(deliver)) {}

TcpEncapsulation::~TcpEncapsulation() {
  for (auto& [id, c] : connections_) {
    loop_.unwatch(c.fd);
    ::close(c.fd);
  }
  for (int fd : listeners_) {
    loop_.unwatch(fd);
    ::close(fd);
  }
}

void TcpEncapsulation::listen(const std::vector<wire::IpAddress>& configured, std::uint16_t port) {
  std::vector<wire::IpAddress> addresses = configured;
  if (addresses.empty()) addresses = {*wire::IpAddress::parse("0.0.0.0"), *wire::IpAddress::parse("::")};
  for (const wire::IpAddress& address : addresses) {
    const int family = address.family() == wire::IpFamily::V4 ? AF_INET : AF_INET6;
    const int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const std::string where = "TCP " + ike::Endpoint{address, port}.to_string();
    if (fd < 0) throw std::system_error(errno, std::generic_category(), where);
    try {
      set_option(fd, SOL_SOCKET, SO_REUSEADDR, 1, where.c_str());
      if (fwmark_ != 0) set_option(fd, SOL_SOCKET, SO_MARK, static_cast<int>(fwmark_), where.c_str());
      if (family == AF_INET6) set_option(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1, where.c_str());
      sockaddr_storage name{};
      const socklen_t length = to_sockaddr(address, port, name);
      if (::bind(fd, reinterpret_cast<sockaddr*>(&name), length) != 0 || ::listen(fd, kListenBacklog) != 0)
        throw std::system_error(errno, std::generic_category(), where);
    } catch (...) {
      ::close(fd);
      throw;
    }
    listeners_.push_back(fd);
    loop_.watch(fd, [this, fd] { accept_from(fd); });
    log(Subsystem::Net)
        .info("TCP encapsulation (RFC 9329): listening on {}", ike::Endpoint{address, port}.to_string());
  }
}

void TcpEncapsulation::accept_from(int listener) {
  const TimePoint now = Clock::now();
  for (int i = 0; i < kReadsPerWakeup; ++i) {
    sockaddr_storage name{};
    socklen_t length = sizeof(name);
    const int fd =
        ::accept4(listener, reinterpret_cast<sockaddr*>(&name), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or an error the next wake-up will see again
    const ike::Endpoint remote = from_sockaddr(name);
    if (connections_.size() >= max_connections_) {
      ++counters_.connections_refused;
      log(Subsystem::Net)
          .warn("TCP connection from {} refused: {} connections open ([daemon] tcp_max_connections)",
                remote.to_string(), connections_.size());
      ::close(fd);
      continue;
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));  // IKE and ESP are latency-bound
    if (fwmark_ != 0) {
      const int mark = static_cast<int>(fwmark_);
      setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark));
    }
    ++counters_.connections_accepted;
    const std::uint64_t id = next_id_++;
    Connection c{id, fd,           false,  false,
                 0,  local_of(fd), remote, wire::TcpFrameDecoder(wire::TcpFrameDecoder::Role::Responder),
                 {}, now,          now,    0,
                 0};
    connections_.emplace(id, std::move(c));
    loop_.watch(fd, [this, id] { on_readable(id); });
    log(Subsystem::Net).debug("TCP connection {} from {}", id, remote.to_string());
  }
}

void TcpEncapsulation::carry_peer(const wire::IpAddress& local, const wire::IpAddress& peer_address,
                                  std::uint16_t tcp_port, const std::vector<ike::Endpoint>& engine_remotes,
                                  TimePoint now) {
  for (const ike::Endpoint& e : engine_remotes)
    if (peer_of(e) != nullptr) return;  // already carried
  const std::uint64_t id = next_id_++;
  TcpPeer& peer = peers_[id];
  peer.id = id;
  peer.initiator = true;
  peer.engine_remotes = engine_remotes;
  peer.engine_remote = engine_remotes.front();
  peer.engine_local = ike::Endpoint{local, wire::kIkePort};
  peer.local = local;
  peer.connect_to = ike::Endpoint{peer_address, tcp_port};
  for (const ike::Endpoint& e : engine_remotes) peer_by_endpoint_[{e.address, e.port}] = id;
  log(Subsystem::Net)
      .info("IKE and ESP toward {} go over TCP to {} (RFC 9329)", peer_address.to_string(),
            peer.connect_to.to_string());
  open_connection(peer, now);
}

void TcpEncapsulation::open_connection(TcpPeer& peer, TimePoint now) {
  peer.reconnect_at.reset();
  ++counters_.connections_opened;
  const int family = peer.connect_to.address.family() == wire::IpFamily::V4 ? AF_INET : AF_INET6;
  const int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  auto fail = [&](int error) {
    ++counters_.connect_failures;
    log(Subsystem::Net).warn("TCP connect to {}: {}", peer.connect_to.to_string(), std::strerror(error));
    if (fd >= 0) ::close(fd);
    peer.reconnect_at = now + peer.reconnect_delay;
    peer.reconnect_delay = std::min(peer.reconnect_delay * 2, kMaxReconnectDelay);
  };
  if (fd < 0) return fail(errno);
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (fwmark_ != 0) {
    const int mark = static_cast<int>(fwmark_);
    setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark));
  }
  sockaddr_storage name{};
  if (peer.local.family() == peer.connect_to.address.family()) {  // from the connection's local address
    const socklen_t length = to_sockaddr(peer.local, 0, name);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&name), length) != 0) return fail(errno);
  }
  const socklen_t length = to_sockaddr(peer.connect_to.address, peer.connect_to.port, name);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&name), length) != 0 && errno != EINPROGRESS)
    return fail(errno);
  const std::uint64_t id = next_id_++;
  Connection c{id,
               fd,
               true,
               true,
               peer.id,
               local_of(fd),
               peer.connect_to,
               wire::TcpFrameDecoder(wire::TcpFrameDecoder::Role::Initiator),
               {},
               now,
               now,
               0,
               0};
  c.out.assign(wire::kTcpEncapPrefix.begin(),
               wire::kTcpEncapPrefix.end());  // RFC 9329 §4: first on the stream
  connections_.emplace(id, std::move(c));
  peer.connection = id;
  loop_.watch(fd, [this, id] { on_readable(id); });
  connections_.at(id).writable_watched = true;
  loop_.watch_writable(fd, [this, id] { on_writable(id); });  // tells when connect() finished
}

void TcpEncapsulation::on_writable(std::uint64_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Connection& c = it->second;
  if (c.connecting) {
    int error = 0;
    socklen_t length = sizeof(error);
    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
      ++counters_.connect_failures;
      log(Subsystem::Net).warn("TCP connect to {}: {}", c.tcp_remote.to_string(), std::strerror(error));
      close_connection(id, "");
      return;
    }
    c.connecting = false;
    c.tcp_local = local_of(c.fd);
    if (auto peer = peers_.find(c.peer); peer != peers_.end()) peer->second.reconnect_delay = Seconds{1};
    log(Subsystem::Net)
        .info("TCP connection {} to {} up (from {})", id, c.tcp_remote.to_string(), c.tcp_local.to_string());
  }
  flush(c);
}

void TcpEncapsulation::flush(Connection& c) {
  while (!c.out.empty() && !c.connecting) {
    const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      close_connection(c.id, std::strerror(errno));
      return;
    }
    c.out.erase(c.out.begin(), c.out.begin() + n);
  }
  // Watched for writability only while something waits (or the connect is under way).
  const bool want = !c.out.empty() || c.connecting;
  if (want == c.writable_watched) return;
  c.writable_watched = want;
  loop_.watch_writable(
      c.fd, want ? EventLoop::Handler([this, id = c.id] { on_writable(id); }) : EventLoop::Handler{});
}

void TcpEncapsulation::on_readable(std::uint64_t id) {
  std::vector<Inbound> frames;
  std::size_t mapped = 0;  // frames[0, mapped) already carry the TCP peer's endpoints
  for (int i = 0; i < kReadsPerWakeup; ++i) {
    auto it = connections_.find(id);
    if (it == connections_.end()) break;
    Connection& c = it->second;
    if (c.connecting) break;  // readable before writable: the connect failed; on_writable says why
    const ssize_t n = ::recv(c.fd, read_buffer_.data(), read_buffer_.size(), MSG_DONTWAIT);
    if (n == 0) {
      close_connection(id, "closed by the peer");
      break;
    }
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) close_connection(id, std::strerror(errno));
      break;
    }
    c.last_received = Clock::now();
    const wire::TcpStreamError error =
        c.decoder.feed(ByteView(read_buffer_.data(), static_cast<std::size_t>(n)), [&](ByteView payload) {
          ++counters_.frames_received;
          ++c.frames_in;
          frames.push_back(Inbound{{}, {}, Bytes(payload.begin(), payload.end())});
          Inbound& frame = frames.back();
          frame.local = ike::Endpoint{c.tcp_local.address, wire::kNatTraversalPort};
          frame.remote = c.tcp_remote;  // replaced by the TCP peer's endpoint below
        });
    if (c.peer == 0 && c.frames_in > 0) {
      // A client's first frame: its TCP peer is the one it had before (a reconnect from the same
      // address whose connection is gone) or a new one named after this connection.
      TcpPeer* reused = nullptr;
      for (auto& [pid, p] : peers_)
        if (!p.initiator && p.connection == 0 && p.engine_remote.address == c.tcp_remote.address) reused = &p;
      if (reused == nullptr) {
        const std::uint64_t pid = next_id_++;
        reused = &peers_[pid];
        reused->id = pid;
        reused->engine_remote = c.tcp_remote;
        reused->engine_remotes = {c.tcp_remote};
        peer_by_endpoint_[{c.tcp_remote.address, c.tcp_remote.port}] = pid;
      } else {
        log(Subsystem::Net)
            .info("TCP connection {} from {} takes over the TCP peer {}", id, c.tcp_remote.to_string(),
                  reused->engine_remote.to_string());
      }
      reused->connection = id;
      c.peer = reused->id;
    }
    if (auto peer = peers_.find(c.peer); peer != peers_.end()) {
      const TcpPeer& p = peer->second;
      for (; mapped < frames.size(); ++mapped) {
        Inbound& frame = frames[mapped];
        const bool ike = wire::classify_udp4500_payload(frame.payload) == wire::Udp4500Payload::Ike;
        if (!p.initiator) {
          frame.remote = p.engine_remote;
        } else if (ike && p.engine_local.port != wire::kNatTraversalPort) {
          // Answers to what the engine sent from port 500: no marker there.
          frame.payload.erase(frame.payload.begin(), frame.payload.begin() + wire::kNonEspMarkerLength);
          frame.local = p.engine_local;
          frame.remote = p.engine_remote;
        } else {
          frame.local = ike::Endpoint{p.engine_local.address, wire::kNatTraversalPort};
          frame.remote = ike::Endpoint{p.engine_remote.address, wire::kNatTraversalPort};
        }
      }
    }
    if (error != wire::TcpStreamError::None) {
      if (error == wire::TcpStreamError::BadPrefix) ++counters_.bad_prefix;
      if (error == wire::TcpStreamError::BadLength) ++counters_.bad_length;
      if (error == wire::TcpStreamError::Oversized) ++counters_.oversized_frames;
      log(Subsystem::Net)
          .warn("TCP connection {} from {}: {} (RFC 9329 framing): closed", id, c.tcp_remote.to_string(),
                wire::tcp_stream_error_name(error));
      close_connection(id, "");
      break;
    }
  }
  if (!frames.empty()) deliver_(frames);
}

void TcpEncapsulation::close_connection(std::uint64_t id, std::string_view why) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Connection& c = it->second;
  if (!why.empty())
    log(Subsystem::Net).info("TCP connection {} with {}: {}", id, c.tcp_remote.to_string(), why);
  loop_.unwatch(c.fd);
  ::close(c.fd);
  if (auto peer = peers_.find(c.peer); peer != peers_.end() && peer->second.connection == id) {
    peer->second.connection = 0;
    if (peer->second.initiator) {
      peer->second.reconnect_at = Clock::now() + peer->second.reconnect_delay;
      peer->second.reconnect_delay = std::min(peer->second.reconnect_delay * 2, kMaxReconnectDelay);
    }
  }
  connections_.erase(it);
}

TcpEncapsulation::TcpPeer* TcpEncapsulation::peer_of(const ike::Endpoint& remote) {
  auto it = peer_by_endpoint_.find({remote.address, remote.port});
  if (it == peer_by_endpoint_.end()) return nullptr;
  auto peer = peers_.find(it->second);
  return peer == peers_.end() ? nullptr : &peer->second;
}

const TcpEncapsulation::TcpPeer* TcpEncapsulation::peer_of(const ike::Endpoint& remote) const {
  return const_cast<TcpEncapsulation*>(this)->peer_of(remote);
}

std::optional<std::uint64_t> TcpEncapsulation::connection_of(const ike::Endpoint& remote) const {
  const TcpPeer* peer = peer_of(remote);
  if (peer == nullptr) return std::nullopt;
  return peer->connection;
}

bool TcpEncapsulation::send(const ike::Endpoint& local, const ike::Endpoint& remote, ByteView payload,
                            bool nat_keepalive) {
  TcpPeer* peer = peer_of(remote);
  if (peer == nullptr) return false;
  if (nat_keepalive) return true;  // TCP keeps no NAT binding alive by them (RFC 9329 §6)
  peer->engine_local = local;
  peer->engine_remote = remote;
  // From port 500 an IKE message has no marker; the frame needs one. From 4500 it has one, or is ESP.
  write_frame(*peer, payload, local.port != wire::kNatTraversalPort);
  return true;
}

bool TcpEncapsulation::send_raw(const wire::IpAddress& address, ByteView ip_packet) {
  TcpPeer* peer = nullptr;
  for (auto& [id, p] : peers_)
    if (p.engine_remote.address == address) peer = &p;
  if (peer == nullptr) return false;
  const auto info = wire::parse_ip_packet(ip_packet);
  if (!info || info->protocol != wire::ip_protocol::kEsp || info->is_fragment) {
    ++counters_.send_buffer_drops;  // AH or an outer fragment: no form for it on a TCP stream
    return true;
  }
  write_frame(*peer, ip_packet.subspan(info->header_length, info->total_length - info->header_length), false);
  return true;
}

void TcpEncapsulation::write_frame(TcpPeer& peer, ByteView payload, bool non_esp_marker) {
  auto it = connections_.find(peer.connection);
  if (it == connections_.end()) {
    ++counters_.disconnected_drops;  // the initiator reconnects on its timer; IKE retransmits
    return;
  }
  Connection& c = it->second;
  if (c.out.size() + payload.size() + 8 > kMaxSendBuffer ||
      !wire::append_tcp_frame(c.out, payload, non_esp_marker)) {
    ++counters_.send_buffer_drops;
    return;
  }
  ++counters_.frames_sent;
  ++c.frames_out;
  flush(c);
}

void TcpEncapsulation::on_timer(TimePoint now, const InUse& in_use) {
  last_tick_ = now;
  std::vector<std::uint64_t> to_close;
  for (const auto& [id, c] : connections_) {
    if (!c.initiator && c.frames_in == 0 && now - c.opened >= kHandshakeTimeout) {
      ++counters_.half_open_closed;
      to_close.push_back(id);
    } else if (now - c.last_received >= kIdleTimeout) {
      ++counters_.idle_closed;
      to_close.push_back(id);
    }
  }
  for (std::uint64_t id : to_close) close_connection(id, "timed out");
  std::vector<std::uint64_t> unused;
  for (auto& [id, peer] : peers_) {
    if (peer.connection != 0) continue;
    const bool used = std::any_of(peer.engine_remotes.begin(), peer.engine_remotes.end(), in_use) ||
                      in_use(peer.engine_remote);
    log(Subsystem::Net)
        .debug("TCP peer {}: no connection, {}", peer.engine_remote.to_string(),
               used ? "an IKE SA still uses it" : "unused: forgotten");
    if (!used) {
      unused.push_back(id);
    } else if (peer.initiator && peer.reconnect_at && now >= *peer.reconnect_at) {
      log(Subsystem::Net)
          .info("reconnecting to {} over TCP (the IKE SA is still up)", peer.connect_to.to_string());
      open_connection(peer, now);
    }
  }
  for (std::uint64_t id : unused) forget_peer(id);
}

void TcpEncapsulation::forget_peer(std::uint64_t id) {
  std::erase_if(peer_by_endpoint_, [id](const auto& entry) { return entry.second == id; });
  peers_.erase(id);
}

std::optional<TimePoint> TcpEncapsulation::next_deadline() const {
  if (connections_.empty() && peers_.empty()) return std::nullopt;
  return last_tick_ ? *last_tick_ + kTick : TimePoint{};  // never ticked: due at once
}

nlohmann::json TcpEncapsulation::counters_json() const {
  const TcpEncapCounters& c = counters_;
  return {{"connections_open", connections_.size()},
          {"connections_accepted", c.connections_accepted},
          {"connections_refused", c.connections_refused},
          {"connections_opened", c.connections_opened},
          {"connect_failures", c.connect_failures},
          {"frames_received", c.frames_received},
          {"frames_sent", c.frames_sent},
          {"bad_prefix", c.bad_prefix},
          {"bad_length", c.bad_length},
          {"oversized_frames", c.oversized_frames},
          {"half_open_closed", c.half_open_closed},
          {"idle_closed", c.idle_closed},
          {"send_buffer_drops", c.send_buffer_drops},
          {"disconnected_drops", c.disconnected_drops}};
}

nlohmann::json TcpEncapsulation::status_json(TimePoint now) const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [id, c] : connections_) {
    out.push_back({{"id", id},
                   {"role", c.initiator ? "initiator" : "responder"},
                   {"local", c.tcp_local.to_string()},
                   {"remote", c.tcp_remote.to_string()},
                   {"state", c.connecting ? "connecting" : "up"},
                   {"frames_in", c.frames_in},
                   {"frames_out", c.frames_out},
                   {"send_queued", c.out.size()},
                   {"age_seconds", std::chrono::duration_cast<Seconds>(now - c.opened).count()}});
  }
  return out;
}

}  // namespace cygnet::daemon
