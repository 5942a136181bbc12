#include "daemon/metrics_report.hpp"

#include <set>

#include "daemon/prometheus_text.hpp"

namespace cygnet::daemon {
namespace {

void add(ipsec::TrafficCounters& to, const ipsec::TrafficCounters& from) {
  to.packets += from.packets;
  to.bytes += from.bytes;
}

void add(SaTraffic& to, const SaTraffic& from) {
  add(to.inbound, from.inbound);
  add(to.outbound, from.outbound);
  for (std::size_t r = 0; r < ipsec::kDropReasonCount; ++r) to.drops.by_reason[r] += from.drops.by_reason[r];
}

const char* drop_name(std::size_t r) {
  return ipsec::drop_reason_name(static_cast<ipsec::DropReason>(r));
}

void child_sas(PrometheusText& out, const MetricsSources& s) {
  struct Row {
    std::string connection, child, in_spi, out_spi;
    SaTraffic traffic;
  };
  std::vector<Row> rows;
  for (const ike::ConnectionStatus& c : s.status)
    for (const ike::IkeSaStatus& sa : c.ike_sas)
      for (const ike::ChildSaStatus& child : sa.children)
        rows.push_back({c.name, child.child, spi_hex(child.inbound_spi), spi_hex(child.outbound_spi),
                        traffic_of(child.id, s.binding, s.data_plane)});

  out.family("cygnet_child_sa_bytes_total", "counter",
             "Inner (cleartext) bytes through an installed CHILD SA, by the SPI of each direction");
  for (const Row& r : rows) {
    out.sample("cygnet_child_sa_bytes_total",
               {{"connection", r.connection}, {"child", r.child}, {"spi", r.in_spi}, {"direction", "in"}},
               r.traffic.inbound.bytes);
    out.sample("cygnet_child_sa_bytes_total",
               {{"connection", r.connection}, {"child", r.child}, {"spi", r.out_spi}, {"direction", "out"}},
               r.traffic.outbound.bytes);
  }
  out.family("cygnet_child_sa_packets_total", "counter", "Packets through an installed CHILD SA");
  for (const Row& r : rows) {
    out.sample("cygnet_child_sa_packets_total",
               {{"connection", r.connection}, {"child", r.child}, {"spi", r.in_spi}, {"direction", "in"}},
               r.traffic.inbound.packets);
    out.sample("cygnet_child_sa_packets_total",
               {{"connection", r.connection}, {"child", r.child}, {"spi", r.out_spi}, {"direction", "out"}},
               r.traffic.outbound.packets);
  }
  out.family("cygnet_child_sa_drops_total", "counter",
             "Packets an installed CHILD SA dropped, by reason (reasons with drops only)");
  for (const Row& r : rows)
    for (std::size_t reason = 0; reason < ipsec::kDropReasonCount; ++reason)
      if (r.traffic.drops.by_reason[reason] != 0)
        out.sample("cygnet_child_sa_drops_total",
                   {{"connection", r.connection},
                    {"child", r.child},
                    {"spi", r.in_spi},
                    {"reason", drop_name(reason)}},
                   r.traffic.drops.by_reason[reason]);

  // Per connection: the current CHILD SAs plus every one already removed.
  std::map<std::string, SaTraffic> per_connection;
  for (const ike::ConnectionStatus& c : s.status) {
    SaTraffic& total = per_connection[c.name];
    if (const SaTraffic* retired = s.retired.of(c.name)) total = *retired;
  }
  for (const Row& r : rows) add(per_connection[r.connection], r.traffic);
  out.family("cygnet_connection_bytes_total", "counter",
             "Inner bytes through all CHILD SAs of a connection, removed ones included");
  for (const auto& [name, t] : per_connection) {
    out.sample("cygnet_connection_bytes_total", {{"connection", name}, {"direction", "in"}}, t.inbound.bytes);
    out.sample("cygnet_connection_bytes_total", {{"connection", name}, {"direction", "out"}},
               t.outbound.bytes);
  }
  out.family("cygnet_connection_packets_total", "counter",
             "Packets through all CHILD SAs of a connection, removed ones included");
  for (const auto& [name, t] : per_connection) {
    out.sample("cygnet_connection_packets_total", {{"connection", name}, {"direction", "in"}},
               t.inbound.packets);
    out.sample("cygnet_connection_packets_total", {{"connection", name}, {"direction", "out"}},
               t.outbound.packets);
  }
}

void sa_tables(PrometheusText& out, const MetricsSources& s) {
  out.family("cygnet_ike_sas", "gauge", "IKE SAs (IKEv1: ISAKMP SAs) by connection and state");
  for (const ike::ConnectionStatus& c : s.status) {
    for (ike::IkeSaState state : {ike::IkeSaState::Connecting, ike::IkeSaState::Established,
                                  ike::IkeSaState::Rekeying, ike::IkeSaState::Deleting}) {
      std::uint64_t n = 0;
      for (const ike::IkeSaStatus& sa : c.ike_sas) n += sa.state == state ? 1 : 0;
      out.sample("cygnet_ike_sas", {{"connection", c.name}, {"state", ike::ike_sa_state_name(state)}}, n);
    }
  }
  out.family("cygnet_child_sas", "gauge", "Installed CHILD SAs by connection");
  for (const ike::ConnectionStatus& c : s.status) {
    std::uint64_t n = 0;
    for (const ike::IkeSaStatus& sa : c.ike_sas) n += sa.children.size();
    out.sample("cygnet_child_sas", {{"connection", c.name}}, n);
  }
}

void engine(PrometheusText& out, const ike::EngineCounters& ike) {
  auto counter = [&out](const char* name, const char* help, std::uint64_t value) {
    out.family(name, "counter", help);
    out.sample(name, {}, value);
  };
  counter("cygnet_ike_sas_established_total", "IKE SAs established (rekeys not included)",
          ike.ike_sas_established);
  counter("cygnet_child_sas_established_total", "CHILD SAs established (rekeys not included)",
          ike.child_sas_established);
  counter("cygnet_ike_sas_rekeyed_total", "IKE SA rekeys completed", ike.ike_sas_rekeyed);
  counter("cygnet_child_sas_rekeyed_total", "CHILD SA rekeys completed", ike.child_sas_rekeyed);
  counter("cygnet_ike_sas_reauthenticated_total", "make-before-break reauthentications completed",
          ike.ike_sas_reauthenticated);
  counter("cygnet_ike_unique_replaced_total", "IKE SAs deleted by unique = replace (or keep, reauth)",
          ike.unique_replaced);
  counter("cygnet_ike_unique_refused_total", "IKE SAs refused by unique = keep", ike.unique_refused);
  counter("cygnet_ike_initial_contact_removed_total", "IKE SAs removed because of INITIAL_CONTACT",
          ike.initial_contact_removed);
  counter("cygnet_ike_cookies_sent_total", "COOKIE challenges sent to IKE_SA_INIT requests",
          ike.cookies_sent);
  counter("cygnet_ike_retransmissions_total", "IKE messages retransmitted", ike.retransmissions);
  counter("cygnet_ike_malformed_total", "IKE datagrams dropped as unparsable or failing integrity",
          ike.malformed);
  out.family("cygnet_ike_datagrams_total", "counter", "IKE datagrams received and sent");
  out.sample("cygnet_ike_datagrams_total", {{"direction", "in"}}, ike.datagrams_received);
  out.sample("cygnet_ike_datagrams_total", {{"direction", "out"}}, ike.datagrams_sent);

  out.family("cygnet_ike_exchanges_total", "counter",
             "IKE exchanges started (initiator) or answered (responder)");
  for (std::size_t k = 0; k < ike::kExchangeKindCount; ++k)
    for (ike::ExchangeRole role : {ike::ExchangeRole::Initiator, ike::ExchangeRole::Responder})
      out.sample("cygnet_ike_exchanges_total",
                 {{"exchange", ike::exchange_kind_name(static_cast<ike::ExchangeKind>(k))},
                  {"role", ike::exchange_role_name(role)}},
                 ike.exchanges.get(static_cast<ike::ExchangeKind>(k), role));

  out.family("cygnet_ike_failures_total", "counter",
             "Failed negotiations and unplanned SA losses, by reason");
  for (std::size_t r = 0; r < ike::kFailureReasonCount; ++r)
    out.sample("cygnet_ike_failures_total",
               {{"reason", ike::failure_reason_name(static_cast<ike::FailureReason>(r))}},
               ike.failures.by_reason[r]);

  out.family("cygnet_ike_refusals_total", "counter",
             "IKE requests refused as hostile (caps, amplification), by reason");
  for (std::size_t r = 0; r < ike::kRefusalReasonCount; ++r)
    out.sample("cygnet_ike_refusals_total",
               {{"reason", ike::refusal_reason_name(static_cast<ike::RefusalReason>(r))}},
               ike.refusals.by_reason[r]);

  out.family("cygnet_ike_half_open_sas", "gauge", "Responder IKE SAs not yet established");
  out.sample("cygnet_ike_half_open_sas", {}, ike.half_open_ike_sas);

  const ike::LatencyHistogram& h = ike.handshake_latency;
  std::vector<std::uint64_t> cumulative;
  for (std::size_t i = 0; i < h.per_bucket.size(); ++i) cumulative.push_back(h.cumulative(i));
  out.family("cygnet_ike_handshake_duration_seconds", "histogram",
             "Time from the first IKE_SA_INIT (IKEv1: first phase-1 message) to the IKE SA established");
  out.histogram("cygnet_ike_handshake_duration_seconds", {}, ike::LatencyHistogram::kUpperBoundsSeconds,
                cumulative, h.count, h.sum_seconds);
}

void data_plane(PrometheusText& out, const MetricsSources& s) {
  const ipsec::GlobalCounters& g = s.data_plane.counters();
  out.family("cygnet_data_plane_packets_total", "counter",
             "Packets protected (out), unprotected (in) or bypassed");
  out.sample("cygnet_data_plane_packets_total", {{"direction", "out"}}, g.outbound.packets);
  out.sample("cygnet_data_plane_packets_total", {{"direction", "in"}}, g.inbound.packets);
  out.sample("cygnet_data_plane_packets_total", {{"direction", "bypass"}}, g.bypassed.packets);
  out.family("cygnet_data_plane_bytes_total", "counter",
             "Inner bytes protected (out), unprotected (in) or bypassed");
  out.sample("cygnet_data_plane_bytes_total", {{"direction", "out"}}, g.outbound.bytes);
  out.sample("cygnet_data_plane_bytes_total", {{"direction", "in"}}, g.inbound.bytes);
  out.sample("cygnet_data_plane_bytes_total", {{"direction", "bypass"}}, g.bypassed.bytes);
  out.family("cygnet_data_plane_drops_total", "counter", "Packets the data plane dropped, by reason");
  for (std::size_t r = 0; r < ipsec::kDropReasonCount; ++r)
    out.sample("cygnet_data_plane_drops_total", {{"reason", drop_name(r)}}, g.drops.by_reason[r]);
  out.family("cygnet_queue_drops_total", "counter",
             "Packets queued while negotiating and then dropped, by reason");
  out.sample("cygnet_queue_drops_total", {{"reason", "overflow"}}, s.daemon.queue_overflow_drops);
  out.sample("cygnet_queue_drops_total", {{"reason", "expired"}}, s.daemon.queue_expired_drops);
  out.family("cygnet_send_errors_total", "counter", "Packets the operating system refused to send");
  out.sample("cygnet_send_errors_total", {}, s.daemon.send_errors);
  out.family("cygnet_socket_calls_total", "counter",
             "recvmmsg / sendmmsg calls on the network sockets (each moves up to 64 messages)");
  out.sample("cygnet_socket_calls_total", {{"direction", "receive"}}, s.daemon.sockets.receive_calls);
  out.sample("cygnet_socket_calls_total", {{"direction", "send"}}, s.daemon.sockets.send_calls);
  out.family("cygnet_udp_gso_datagrams_total", "counter",
             "ESP-in-UDP datagrams sent inside UDP GSO messages");
  out.sample("cygnet_udp_gso_datagrams_total", {}, s.daemon.sockets.gso_datagrams);
  out.family("cygnet_udp_gro_datagrams_total", "counter", "UDP datagrams received inside GRO aggregates");
  out.sample("cygnet_udp_gro_datagrams_total", {}, s.daemon.sockets.gro_datagrams);
  out.family("cygnet_path_mtu_icmp_sent_total", "counter",
             "ICMP Fragmentation Needed / Packet Too Big sent to inner senders whose packet did not fit");
  out.sample("cygnet_path_mtu_icmp_sent_total", {}, g.path_mtu.too_big_sent);
  out.family("cygnet_path_mtu_icmp_received_total", "counter",
             "ICMP Too Big received on the outer path, by result (accepted lowered a path MTU)");
  out.sample("cygnet_path_mtu_icmp_received_total", {{"result", "accepted"}}, g.path_mtu.icmp_accepted);
  out.sample("cygnet_path_mtu_icmp_received_total", {{"result", "ignored"}}, g.path_mtu.icmp_ignored);
  out.family("cygnet_outer_fragmented_packets_total", "counter",
             "Outer packets larger than the path MTU sent as fragments (inner DF clear)");
  out.sample("cygnet_outer_fragmented_packets_total", {}, g.path_mtu.fragmented_packets);
  out.family("cygnet_outer_fragments_total", "counter", "IP fragments sent for those packets");
  out.sample("cygnet_outer_fragments_total", {}, s.daemon.outer_fragments_sent);
  out.family("cygnet_mss_clamped_total", "counter", "TCP SYN / SYN-ACK whose MSS option was lowered");
  out.sample("cygnet_mss_clamped_total", {}, g.path_mtu.mss_clamped);
}

void per_connection_events(PrometheusText& out, const MetricsSources& s) {
  const auto& all = s.events.by_connection();
  out.family("cygnet_connection_rekeys_total", "counter",
             "Rekeys completed per connection, by SA kind (ike, child)");
  for (const auto& [name, c] : all) {
    out.sample("cygnet_connection_rekeys_total", {{"connection", name}, {"sa", "ike"}}, c.ike_rekeys);
    out.sample("cygnet_connection_rekeys_total", {{"connection", name}, {"sa", "child"}}, c.child_rekeys);
  }
  out.family("cygnet_connection_failures_total", "counter",
             "Failed negotiations and unplanned SA losses per connection, by reason");
  for (const auto& [name, c] : all)
    for (std::size_t r = 0; r < ike::kFailureReasonCount; ++r)
      out.sample(
          "cygnet_connection_failures_total",
          {{"connection", name}, {"reason", ike::failure_reason_name(static_cast<ike::FailureReason>(r))}},
          c.failures.by_reason[r]);
}

void daemon(PrometheusText& out, const MetricsSources& s) {
  out.family("cygnet_monitor_subscribers", "gauge", "cygnetctl monitor clients connected");
  out.sample("cygnet_monitor_subscribers", {}, s.monitor.subscribers);
  out.family("cygnet_monitor_disconnected_total", "counter",
             "Monitor clients disconnected for not reading (slow) or refused at the limit (refused)");
  out.sample("cygnet_monitor_disconnected_total", {{"reason", "slow"}}, s.monitor.disconnected_slow);
  out.sample("cygnet_monitor_disconnected_total", {{"reason", "refused"}}, s.monitor.refused);
  out.family("cygnet_reloads_total", "counter", "Configuration reloads applied");
  out.sample("cygnet_reloads_total", {}, s.daemon.reloads);
  out.family("cygnet_metrics_scrapes_total", "counter", "GET /metrics requests answered, this one included");
  out.sample("cygnet_metrics_scrapes_total", {}, s.scrapes);
}

}  // namespace

void RetiredTraffic::retire(const std::string& connection, const SaTraffic& traffic) {
  add(by_connection_[connection], traffic);
}

void ConnectionEventCounts::count(const ike::Event& event) {
  // Events without a connection (a malformed datagram from nowhere) only reach the global counters.
  if (event.connection.empty()) return;
  const auto reason = ike::failure_reason_of(event.type);
  const bool rekey =
      event.type == ike::EventType::IkeSaRekeyed || event.type == ike::EventType::ChildSaRekeyed;
  if (!reason && !rekey && event.type != ike::EventType::IkeSaEstablished) return;
  Counts& c = by_connection_[event.connection];  // established: the connection's series start at 0
  if (event.type == ike::EventType::IkeSaRekeyed) ++c.ike_rekeys;
  if (event.type == ike::EventType::ChildSaRekeyed) ++c.child_rekeys;
  if (reason) ++c.failures.by_reason[static_cast<std::size_t>(*reason)];
}

const SaTraffic* RetiredTraffic::of(const std::string& connection) const {
  auto it = by_connection_.find(connection);
  return it == by_connection_.end() ? nullptr : &it->second;
}

std::string metrics_text(const MetricsSources& sources) {
  PrometheusText out;
  child_sas(out, sources);
  sa_tables(out, sources);
  engine(out, sources.ike);
  per_connection_events(out, sources);
  data_plane(out, sources);
  daemon(out, sources);
  return out.take();
}

}  // namespace cygnet::daemon
