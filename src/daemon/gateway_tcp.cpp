// TCP encapsulation (RFC 9329) in the gateway: which IKE SAs go over TCP, and the frames of the
// TCP connections (tcp_encapsulation.hpp) into the core. As a responder every TCP peer that
// connects to [daemon] tcp_port is served; as an initiator a connection's `tcp` decides:
//   "always":   its IKE_SA_INIT request, and everything after it, goes over TCP;
//   "fallback": the IKE_SA_INIT request goes over UDP; when it and kFallbackAfterRetransmissions
//               retransmissions of it got no answer, the next retransmission goes over TCP.
#include <algorithm>

#include "daemon/gateway.hpp"
#include "daemon/logging.hpp"
#include "wire/byte_reader.hpp"
#include "wire/udp_encap.hpp"

namespace cygnet::daemon {

namespace {

// Two unanswered retransmissions: the first one (after 1 s by default) covers a lost packet,
// the second (after 2.8 s) a slow or briefly unreachable peer; with the default five tries three
// remain for TCP (the third retransmission comes about 6 s after the first request). A
// retransmit_tries below 3 leaves no try for TCP: "fallback" then behaves as "never".
constexpr unsigned kFallbackAfterRetransmissions = 2;
constexpr Seconds kAttemptMemory{120};  // an IKE_SA_INIT's send count is kept this long

std::uint64_t load_be64(const std::uint8_t* p) {
  return (static_cast<std::uint64_t>(wire::load_be32(p)) << 32) | wire::load_be32(p + 4);
}

// The initiator SPI of an IKEv2 IKE_SA_INIT request we initiate (responder SPI 0), else nullopt.
std::optional<std::uint64_t> ike_sa_init_request(ByteView payload, std::uint16_t local_port) {
  if (local_port == wire::kNatTraversalPort) {
    if (payload.size() < wire::kNonEspMarkerLength) return std::nullopt;
    payload = payload.subspan(wire::kNonEspMarkerLength);
  }
  if (payload.size() < 28) return std::nullopt;  // the IKE header
  const std::uint64_t responder_spi = load_be64(payload.data() + 8);
  const std::uint8_t version = payload[17];
  const std::uint8_t exchange = payload[18];
  const std::uint8_t flags = payload[19];
  constexpr std::uint8_t kInitiatorFlag = 0x08;
  constexpr std::uint8_t kResponseFlag = 0x20;
  if (version != 0x20 || exchange != 34 /* IKE_SA_INIT */ || responder_spi != 0 ||
      (flags & kInitiatorFlag) == 0 || (flags & kResponseFlag) != 0)
    return std::nullopt;
  return load_be64(payload.data());
}

}  // namespace

bool tcp_initiators_configured(const config::Config& config) {
  return std::any_of(
      config.connections.begin(), config.connections.end(),
      [](const ike::ConnectionSettings& c) { return c.tcp != ike::TcpEncapsulationMode::Never; });
}

void Gateway::open_tcp() {
  tcp_ = std::make_unique<TcpEncapsulation>(
      loop_, options_.fwmark, config_.daemon.tcp_max_connections,
      [this](std::vector<TcpEncapsulation::Inbound>& frames) { on_tcp_frames(frames); });
  if (config_.daemon.tcp_port) tcp_->listen(config_.daemon.listen, *config_.daemon.tcp_port);
}

void Gateway::on_tcp_frames(std::vector<TcpEncapsulation::Inbound>& frames) {
  const TimePoint now = Clock::now();
  gateway::OutputBatch& out = batch();
  bool engine_touched = false;
  for (const TcpEncapsulation::Inbound& frame : frames) {
    ++counters_.network_packets_received;
    // IKE (non-ESP marker) to the engine, ESP to the data plane: as if it came on UDP 4500.
    const auto verdict = core_->on_udp_datagram(frame.local, frame.remote, frame.payload, now, out);
    engine_touched = engine_touched || verdict == gateway::InboundVerdict::Ike;
  }
  carry_out(now);
  if (engine_touched) stop_when_deletes_done(now);
}

bool Gateway::route_over_tcp(const gateway::OutputPacket& p, ByteView payload, TimePoint now) {
  if (tcp_->send(p.local, p.remote, payload, p.purpose == gateway::Purpose::NatKeepalive)) return true;
  if (p.purpose != gateway::Purpose::Ike || !tcp_initiators_configured(config_)) return false;
  const auto spi = ike_sa_init_request(payload, p.local.port);
  if (!spi) return false;
  std::erase_if(tcp_attempts_, [now](const auto& a) { return now - a.second.last_sent > kAttemptMemory; });
  TcpAttempt& attempt = tcp_attempts_[*spi];
  ++attempt.sends;
  attempt.last_sent = now;
  if (!attempt.connection) {
    for (const ike::ConnectionStatus& c : engine().status(now))
      for (const ike::IkeSaStatus& sa : c.ike_sas)
        if (sa.initiator && sa.initiator_spi == *spi) attempt.connection = c.name;
  }
  if (!attempt.connection) return false;
  const auto settings =
      std::find_if(config_.connections.begin(), config_.connections.end(),
                   [&](const ike::ConnectionSettings& c) { return c.name == *attempt.connection; });
  if (settings == config_.connections.end() || settings->tcp == ike::TcpEncapsulationMode::Never)
    return false;
  if (settings->tcp == ike::TcpEncapsulationMode::Fallback) {
    if (attempt.sends <= 1 + kFallbackAfterRetransmissions) return false;
    log(Subsystem::Ike)
        .info("{}: IKE_SA_INIT to {} unanswered over UDP after {} retransmissions: retrying over TCP port {}",
              settings->name, p.remote.to_string(), kFallbackAfterRetransmissions, settings->tcp_port);
  }
  if (!workers_.empty()) {
    log(Subsystem::Net)
        .error("{}: TCP encapsulation needs [daemon] workers = 1 (restart cygnetd): sent over UDP",
               settings->name);
    return false;
  }
  const wire::IpAddress& peer = p.remote.address;
  std::vector<ike::Endpoint> engine_remotes{p.remote};
  for (std::uint16_t port : {wire::kIkePort, wire::kNatTraversalPort, settings->remote_port})
    if (port != p.remote.port) engine_remotes.push_back(ike::Endpoint{peer, port});
  tcp_->carry_peer(p.local.address, peer, settings->tcp_port, engine_remotes, now);
  return tcp_->send(p.local, p.remote, payload, false);
}

bool Gateway::tcp_peer_in_use(const ike::Endpoint& remote, TimePoint now) const {
  for (const ike::ConnectionStatus& c : engine().status(now))
    for (const ike::IkeSaStatus& sa : c.ike_sas)
      if (sa.remote == remote) return true;
  return false;
}

void Gateway::tcp_timer(TimePoint now) {
  if (!tcp_) return;
  const auto due = tcp_->next_deadline();
  if (!due || now < *due) return;
  tcp_->on_timer(now, [this, now](const ike::Endpoint& remote) { return tcp_peer_in_use(remote, now); });
}

void Gateway::add_tcp_status(nlohmann::json& status, TimePoint now) const {
  if (!tcp_) return;
  // The connections and their IKE SAs are in the engine's order (status_json.cpp).
  const std::vector<ike::ConnectionStatus> engine_status = engine().status(now);
  nlohmann::json& connections = status["connections"];
  for (std::size_t i = 0; i < engine_status.size() && i < connections.size(); ++i) {
    nlohmann::json& ike_sas = connections[i]["ike_sas"];
    for (std::size_t j = 0; j < engine_status[i].ike_sas.size() && j < ike_sas.size(); ++j) {
      const auto connection = tcp_->connection_of(engine_status[i].ike_sas[j].remote);
      ike_sas[j]["transport"] = connection ? "tcp" : "udp";
      if (connection) ike_sas[j]["tcp_connection"] = *connection;
    }
  }
  status["tcp"] = {
      {"listening", config_.daemon.tcp_port ? nlohmann::json(*config_.daemon.tcp_port) : nlohmann::json()},
      {"connections", tcp_->status_json(now)}};
}

}  // namespace cygnet::daemon
