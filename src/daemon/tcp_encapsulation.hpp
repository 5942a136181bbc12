// TCP encapsulation of IKE and ESP (RFC 9329) on cygnetd's side: the TCP sockets — listeners,
// accepted connections (responder) and connections we open (initiator) — their framing
// (wire/tcp_encap_stream.hpp: "IKETCP", 16-bit length frames) and which engine peer each one
// carries. Owned by the Gateway, on its (the IKE) thread; every fd is on the Gateway's EventLoop.
//
// The engine and the data plane never learn about TCP. A peer reached over TCP is, to them, a UDP
// endpoint (a "TCP peer"):
//   responder: the client's address and the source port of its first TCP connection; frames from
//              it arrive as datagrams on our port 4500 (IKE with the non-ESP marker, or ESP);
//   initiator: the peer's address on port 500 and 4500 (IKE_SA_INIT goes to 500 and floats to
//              4500 as for UDP); ESP goes to 4500.
// Whatever the core addresses to a TCP peer's endpoint — IKE, ESP in UDP, or raw ESP — is framed
// onto the peer's current connection instead (send(), send_raw()); NAT keepalives are dropped,
// TCP does not need them. A connection that closes leaves its TCP peer, and so the IKE SA, in
// place (RFC 9329 §6): the initiator reconnects while an IKE SA still uses the peer, and a client
// that reconnects from the same address takes its TCP peer over again. A TCP peer is forgotten
// once no IKE SA uses it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "base/bytes.hpp"
#include "base/time.hpp"
#include "daemon/event_loop.hpp"
#include "ike/engine.hpp"
#include "wire/ip_address.hpp"
#include "wire/tcp_encap_stream.hpp"

namespace cygnet::daemon {

struct TcpEncapCounters {
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_refused = 0;  // accepted beyond [daemon] tcp_max_connections: closed at once
  std::uint64_t connections_opened = 0;   // initiator: connects started (reconnects included)
  std::uint64_t connect_failures = 0;
  std::uint64_t frames_received = 0;
  std::uint64_t frames_sent = 0;
  std::uint64_t bad_prefix = 0;  // framing errors: the connection is closed
  std::uint64_t bad_length = 0;
  std::uint64_t oversized_frames = 0;
  std::uint64_t half_open_closed = 0;    // accepted, no complete frame within kHandshakeTimeout
  std::uint64_t idle_closed = 0;         // nothing received for kIdleTimeout
  std::uint64_t send_buffer_drops = 0;   // frames dropped: the connection's send buffer was full
  std::uint64_t disconnected_drops = 0;  // frames for a TCP peer without a connection right now
};

class TcpEncapsulation {
 public:
  // A frame read from a connection, as the core takes it (GatewayCore::on_udp_datagram).
  struct Inbound {
    ike::Endpoint local;
    ike::Endpoint remote;
    Bytes payload;
  };
  using Deliver = std::function<void(std::vector<Inbound>& frames)>;
  // Whether an IKE SA still talks to this engine endpoint (the peer's address and port).
  using InUse = std::function<bool(const ike::Endpoint& remote)>;

  // A connection that has not delivered one complete frame by then is closed (half-open).
  static constexpr Seconds kHandshakeTimeout{10};
  // A connection on which nothing arrived for this long is closed (an IKE SA with liveness checks
  // sends something every dpd_delay; the initiator reconnects if its IKE SA is still there).
  static constexpr Seconds kIdleTimeout{600};
  // Per connection, frames waiting for the socket beyond this are dropped (counted).
  static constexpr std::size_t kMaxSendBuffer = 4 * 1024 * 1024;

  TcpEncapsulation(EventLoop& loop, std::uint32_t fwmark, std::size_t max_connections, Deliver deliver);
  ~TcpEncapsulation();
  TcpEncapsulation(const TcpEncapsulation&) = delete;
  TcpEncapsulation& operator=(const TcpEncapsulation&) = delete;

  // Responder: accept connections on `port` of each address (empty: every address of both
  // families). Throws std::system_error naming the address.
  void listen(const std::vector<wire::IpAddress>& addresses, std::uint16_t port);
  bool listening() const { return !listeners_.empty(); }

  // Initiator: from now on carry everything for `peer` (the engine endpoints `engine_remotes`)
  // over a TCP connection from `local` to `peer`:`tcp_port`, opened now. Nothing if already so.
  void carry_peer(const wire::IpAddress& local, const wire::IpAddress& peer, std::uint16_t tcp_port,
                  const std::vector<ike::Endpoint>& engine_remotes, TimePoint now);

  // A UDP payload the core addressed from `local` to `remote`. True when `remote` is a TCP peer:
  // the payload was framed onto its connection (queued while connecting) or dropped (counted).
  bool send(const ike::Endpoint& local, const ike::Endpoint& remote, ByteView payload, bool nat_keepalive);
  // A complete IP packet the core would send on a raw socket to `peer`. True when `peer` is a TCP
  // peer's address: the ESP packet inside is framed onto its connection (AH cannot go over TCP:
  // dropped).
  bool send_raw(const wire::IpAddress& peer, ByteView ip_packet);
  // The connection carrying an engine endpoint now: nullopt when it is no TCP peer; 0 when it is
  // one without a connection at the moment.
  std::optional<std::uint64_t> connection_of(const ike::Endpoint& remote) const;

  // Timeouts, reconnects and TCP peers no IKE SA uses any more. `in_use` is asked only about
  // peers without a connection.
  void on_timer(TimePoint now, const InUse& in_use);
  std::optional<TimePoint> next_deadline() const;

  const TcpEncapCounters& counters() const { return counters_; }
  nlohmann::json counters_json() const;
  nlohmann::json status_json(TimePoint now) const;  // every connection

 private:
  struct Connection {
    std::uint64_t id = 0;
    int fd = -1;
    bool initiator = false;
    bool connecting = false;  // initiator: connect() not finished
    std::uint64_t peer = 0;   // its TcpPeer
    ike::Endpoint tcp_local;  // the socket's own addresses
    ike::Endpoint tcp_remote;
    wire::TcpFrameDecoder decoder;
    Bytes out;  // frames (and "IKETCP") not yet written
    TimePoint opened;
    TimePoint last_received;
    std::uint64_t frames_in = 0;
    std::uint64_t frames_out = 0;
    bool writable_watched = false;  // EPOLLOUT asked for (changed only when this flips)
  };
  struct TcpPeer {
    std::uint64_t id = 0;
    bool initiator = false;
    std::vector<ike::Endpoint> engine_remotes;  // the endpoints the engine uses for this peer
    ike::Endpoint engine_local;                 // what the engine sent from last (initiator)
    ike::Endpoint engine_remote;                // ... and to
    wire::IpAddress local;                      // initiator: our address to connect from
    ike::Endpoint connect_to;                   // initiator: the peer's TCP endpoint
    std::uint64_t connection = 0;               // 0: none right now
    std::optional<TimePoint> reconnect_at;      // initiator, connection lost
    Seconds reconnect_delay{1};
  };

  void accept_from(int listener);
  void open_connection(TcpPeer& peer, TimePoint now);
  void on_readable(std::uint64_t connection);
  void on_writable(std::uint64_t connection);
  // Queues a frame and writes what the socket takes.
  void write_frame(TcpPeer& peer, ByteView payload, bool non_esp_marker);
  void flush(Connection& c);
  // Closes the socket; its peer stays (initiator: a reconnect is scheduled).
  void close_connection(std::uint64_t connection, std::string_view why);
  TcpPeer* peer_of(const ike::Endpoint& remote);
  const TcpPeer* peer_of(const ike::Endpoint& remote) const;
  void forget_peer(std::uint64_t peer);

  EventLoop& loop_;
  std::uint32_t fwmark_;
  std::size_t max_connections_;
  Deliver deliver_;
  std::vector<int> listeners_;
  std::map<std::uint64_t, Connection> connections_;
  std::map<std::uint64_t, TcpPeer> peers_;
  std::map<std::pair<wire::IpAddress, std::uint16_t>, std::uint64_t> peer_by_endpoint_;
  std::uint64_t next_id_ = 1;  // connections and peers
  std::optional<TimePoint> last_tick_;
  TcpEncapCounters counters_;
  Bytes read_buffer_ = Bytes(65536);
};

}  // namespace cygnet::daemon
