#include "daemon/status_json.hpp"

#include <algorithm>
#include <cstdio>

namespace cygnet::daemon {

using nlohmann::json;

nlohmann::json leases_json(const std::vector<ike::Lease>& leases,
                           const std::vector<ike::PoolSettings>& pools) {
  json out = json::array();
  for (const ike::Lease& l : leases)
    out.push_back({{"pool", l.pool},
                   {"address", l.address.to_string()},
                   {"identity", l.identity},
                   {"state", l.online ? "online" : "offline"}});
  json pool_list = json::array();
  for (const ike::PoolSettings& pool : pools) {
    std::uint64_t online = 0;
    std::uint64_t offline = 0;
    for (const ike::Lease& l : leases) {
      if (l.pool != pool.name) continue;
      ++(l.online ? online : offline);
    }
    // An offline lease stays reserved for its identity until no never-used address is left.
    const std::uint64_t size = ike::AddressPool(pool).size();
    const std::uint64_t taken = std::min(size, online + offline);
    pool_list.push_back({{"name", pool.name},
                         {"first", pool.first.to_string()},
                         {"last", pool.last.to_string()},
                         {"size", size},
                         {"online", online},
                         {"offline", offline},
                         {"free", size - taken}});
  }
  return json{{"pools", pool_list}, {"leases", out}};
}

std::string spi_hex(std::uint32_t spi) {
  char text[9];
  std::snprintf(text, sizeof text, "%08x", spi);
  return text;
}

std::string ike_spi_hex(std::uint64_t spi) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(spi));
  return text;
}

namespace {

json traffic_json(const ipsec::TrafficCounters& t) {
  return json{{"packets", t.packets}, {"bytes", t.bytes}};
}

json optional_seconds(const std::optional<Seconds>& s) {
  return s ? json(s->count()) : json(nullptr);
}

json prefixes_json(const std::vector<wire::IpPrefix>& prefixes) {
  json out = json::array();
  for (const auto& p : prefixes) out.push_back(p.to_string());
  return out;
}

// Distinct local and remote ranges of a CHILD SA's selectors, in order.
void selector_sides(const std::vector<ipsec::Selector>& selectors, json& local, json& remote) {
  local = json::array();
  remote = json::array();
  for (const ipsec::Selector& s : selectors) {
    const std::string l = s.local.to_string();
    const std::string r = s.remote.to_string();
    if (std::find(local.begin(), local.end(), l) == local.end()) local.push_back(l);
    if (std::find(remote.begin(), remote.end(), r) == remote.end()) remote.push_back(r);
  }
}

// The path MTU toward a CHILD SA's peer and the inner MTU it leaves (null while unknown).
void add_path_mtu(json& cs, ike::ChildSaId id, const ike::DataPlaneBinding& binding,
                  const ipsec::DataPlane& dp, const std::vector<ipsec::Selector>& selectors, TimePoint now) {
  cs["path_mtu"] = nullptr;
  cs["inner_mtu"] = nullptr;
  auto handles = binding.handles_of(id);
  const ipsec::SecurityAssociation* out = handles ? dp.sad().find(handles->outbound) : nullptr;
  if (out == nullptr) return;
  const auto path = dp.path_mtu().current(out->params().remote_address, now);
  if (!path) return;
  cs["path_mtu"] = *path;
  const wire::IpFamily inner_family =
      selectors.empty() ? out->params().local_address.family() : selectors.front().local.family();
  cs["inner_mtu"] = dp.inner_mtu_of(*out, inner_family, now).value_or(0);
}

}  // namespace

namespace {

const ike::ConnectionSettings* settings_of(const std::vector<ike::ConnectionSettings>& all,
                                           const std::string& name) {
  auto it =
      std::find_if(all.begin(), all.end(), [&](const ike::ConnectionSettings& c) { return c.name == name; });
  return it == all.end() ? nullptr : &*it;
}

}  // namespace

json status_json(const std::vector<ike::ConnectionStatus>& status,
                 const std::vector<ike::ConnectionSettings>& connections,
                 const ike::DataPlaneBinding& binding, const ipsec::DataPlane& data_plane,
                 const DaemonInfo& daemon) {
  json out;
  out["daemon"] = {{"pid", daemon.pid},
                   {"uptime_seconds", daemon.uptime_seconds},
                   {"config", daemon.config_path},
                   {"tun", daemon.tun}};
  json conns = json::array();
  for (const ike::ConnectionStatus& c : status) {
    json conn;
    conn["name"] = c.name;
    conn["start_action"] = ike::start_action_name(c.start_action);
    const ike::ConnectionSettings* settings = settings_of(connections, c.name);
    conn["ike_version"] = settings ? settings->ike_version : 2;
    json local_addrs = json::array();
    json remote_addrs = json::array();
    json children = json::array();
    if (settings) {
      for (const auto& a : settings->local_addrs) local_addrs.push_back(a.to_string());
      for (const auto& a : settings->remote_addrs) remote_addrs.push_back(a.to_string());
      for (const auto& host : settings->remote_hosts) remote_addrs.push_back(host);
      for (const ike::ChildSettings& child : settings->children) {
        children.push_back({{"name", child.name},
                            {"mode", ipsec::mode_name(child.mode)},
                            {"protocol", ipsec::protocol_name(child.protocol)},
                            {"local_ts", prefixes_json(child.local_ts)},
                            {"remote_ts", prefixes_json(child.remote_ts)}});
      }
    }
    conn["local_addrs"] = local_addrs;
    conn["remote_addrs"] = remote_addrs;
    conn["children"] = children;
    json ike_sas = json::array();
    for (const ike::IkeSaStatus& sa : c.ike_sas) {
      json s;
      s["id"] = sa.id;
      s["version"] = sa.version;
      // IKEv1 has two phase-1 exchanges; IKEv2 has only IKE_SA_INIT + IKE_AUTH, so no "mode".
      if (sa.version == 1) s["mode"] = sa.mode;
      s["state"] = ike::ike_sa_state_name(sa.state);
      s["initiator"] = sa.initiator;
      s["initiator_spi"] = ike_spi_hex(sa.initiator_spi);
      s["responder_spi"] = ike_spi_hex(sa.responder_spi);
      s["local"] = sa.local.to_string();
      s["remote"] = sa.remote.to_string();
      s["local_id"] = sa.local_id;
      s["remote_id"] = sa.remote_id;
      s["algorithms"] = sa.algorithms;
      s["nat_detected"] = sa.nat_detected;
      s["nat_local"] = sa.nat_local;        // we are behind a NAT
      s["nat_remote"] = sa.nat_remote;      // the peer (a client) is behind a NAT
      s["eap_identity"] = sa.eap_identity;  // empty without EAP
      s["mobike"] = sa.mobike;              // the outer addresses above follow the peer (RFC 4555)
      // Virtual IPs: ours (a client's, from the gateway) and the peer's (leased from a pool).
      s["local_virtual_ips"] = json::array();
      for (const auto& a : sa.local_virtual_ips) s["local_virtual_ips"].push_back(a.to_string());
      s["remote_virtual_ips"] = json::array();
      for (const auto& a : sa.remote_virtual_ips) s["remote_virtual_ips"].push_back(a.to_string());
      s["age_seconds"] = sa.age.count();
      s["rekey_in_seconds"] = optional_seconds(sa.rekey_in);
      s["reauth_in_seconds"] = optional_seconds(sa.reauth_in);
      json child_sas = json::array();
      for (const ike::ChildSaStatus& child : sa.children) {
        json cs;
        cs["id"] = child.id;
        cs["name"] = child.child;
        cs["protocol"] = ipsec::protocol_name(child.protocol);
        cs["mode"] = ipsec::mode_name(child.mode);
        cs["inbound_spi"] = spi_hex(child.inbound_spi);
        cs["outbound_spi"] = spi_hex(child.outbound_spi);
        cs["algorithms"] = child.algorithms;
        cs["udp_encapsulated"] = child.udp_encapsulated;
        // RFC 9611: "fallback", or the worker number of a per-resource SA; absent otherwise.
        if (child.per_resource) {
          if (child.resource) {
            cs["resource"] = *child.resource;
          } else {
            cs["resource"] = "fallback";
          }
        }
        json local_ts;
        json remote_ts;
        selector_sides(child.selectors, local_ts, remote_ts);
        cs["local_ts"] = local_ts;
        cs["remote_ts"] = remote_ts;
        cs["age_seconds"] = child.age.count();
        cs["rekey_in_seconds"] = optional_seconds(child.rekey_in);
        const SaTraffic t = traffic_of(child.id, binding, data_plane);
        cs["inbound"] = traffic_json(t.inbound);
        cs["outbound"] = traffic_json(t.outbound);
        add_path_mtu(cs, child.id, binding, data_plane, child.selectors, daemon.now);
        child_sas.push_back(std::move(cs));
      }
      s["child_sas"] = std::move(child_sas);
      ike_sas.push_back(std::move(s));
    }
    conn["ike_sas"] = std::move(ike_sas);
    conns.push_back(std::move(conn));
  }
  out["connections"] = std::move(conns);
  return out;
}

json data_plane_counters_json(const ipsec::GlobalCounters& g) {
  json drops = json::object();
  for (std::size_t r = 0; r < ipsec::kDropReasonCount; ++r) {
    drops[ipsec::drop_reason_name(static_cast<ipsec::DropReason>(r))] = g.drops.by_reason[r];
  }
  return {{"outbound", traffic_json(g.outbound)},
          {"inbound", traffic_json(g.inbound)},
          {"bypassed", traffic_json(g.bypassed)},
          {"drops", drops},
          {"path_mtu",
           {{"icmp_too_big_sent", g.path_mtu.too_big_sent},
            {"fragmented_packets", g.path_mtu.fragmented_packets},
            {"mss_clamped", g.path_mtu.mss_clamped},
            {"icmp_accepted", g.path_mtu.icmp_accepted},
            {"icmp_ignored", g.path_mtu.icmp_ignored}}}};
}

json stats_json(const std::vector<ike::ConnectionStatus>& status, const ike::EngineCounters& ike,
                const ike::DataPlaneBinding& binding, const ipsec::DataPlane& data_plane,
                const DaemonCounters& daemon) {
  json out;
  out["ike"] = {{"datagrams_received", ike.datagrams_received},
                {"datagrams_sent", ike.datagrams_sent},
                {"retransmissions", ike.retransmissions},
                {"malformed", ike.malformed},
                {"unknown_spi", ike.unknown_spi},
                {"duplicate_requests", ike.duplicate_requests},
                {"cookies_sent", ike.cookies_sent},
                {"ike_sas_established", ike.ike_sas_established},
                {"child_sas_established", ike.child_sas_established},
                {"ike_sas_rekeyed", ike.ike_sas_rekeyed},
                {"child_sas_rekeyed", ike.child_sas_rekeyed},
                {"authentication_failures", ike.authentication_failures},
                {"no_proposal_chosen", ike.no_proposal_chosen},
                {"revocation_fetches", ike.revocation_fetches},
                {"revocation_fetch_failures", ike.revocation_fetch_failures},
                {"revocation_parked", ike.revocation_parked},
                {"revocation_parked_drops", ike.revocation_parked_drops},
                {"eap_conversations", ike.eap_conversations},
                {"eap_discarded", ike.eap_discarded},
                {"ike_sas_reauthenticated", ike.ike_sas_reauthenticated},
                {"unique_replaced", ike.unique_replaced},
                {"unique_refused", ike.unique_refused},
                {"initial_contact_removed", ike.initial_contact_removed},
                {"radius_requests", ike.radius_requests},
                {"radius_parked_drops", ike.radius_parked_drops},
                {"radius_answers_unclaimed", ike.radius_answers_unclaimed}};
  // Requests refused as hostile, by reason: "refused_half_open_global_cap", ...
  out["ike"]["half_open_ike_sas"] = ike.half_open_ike_sas;
  for (std::size_t r = 0; r < ike::kRefusalReasonCount; ++r)
    out["ike"][std::string("refused_") + ike::refusal_reason_name(static_cast<ike::RefusalReason>(r))] =
        ike.refusals.by_reason[r];
  out["data_plane"] = data_plane_counters_json(data_plane.counters());
  out["daemon"] = {{"tun_packets_read", daemon.tun_packets_read},
                   {"tun_packets_written", daemon.tun_packets_written},
                   {"network_packets_received", daemon.network_packets_received},
                   {"network_packets_sent", daemon.network_packets_sent},
                   {"send_errors", daemon.send_errors},
                   {"acquires", daemon.acquires},
                   {"queued_while_negotiating", daemon.queued_while_negotiating},
                   {"queue_overflow_drops", daemon.queue_overflow_drops},
                   {"queue_expired_drops", daemon.queue_expired_drops},
                   {"nat_keepalives_sent", daemon.nat_keepalives_sent},
                   {"outer_fragments_sent", daemon.outer_fragments_sent},
                   {"icmp_too_big_received", daemon.icmp_too_big_received},
                   {"control_requests", daemon.control_requests},
                   {"reloads", daemon.reloads},
                   {"revocation_downloads", daemon.revocation_downloads},
                   {"revocation_download_failures", daemon.revocation_download_failures},
                   {"crl_cache_hits", daemon.crl_cache_hits},
                   {"tun_super_packets_read", daemon.tun_super_packets_read},
                   {"tun_segments_from_super_packets", daemon.tun_segments_from_super_packets},
                   {"tun_coalesced_writes", daemon.tun_coalesced_writes},
                   {"tun_segments_coalesced", daemon.tun_segments_coalesced},
                   {"tun_offload_errors", daemon.tun_offload_errors},
                   {"socket_receive_calls", daemon.sockets.receive_calls},
                   {"socket_messages_received", daemon.sockets.messages_received},
                   {"socket_send_calls", daemon.sockets.send_calls},
                   {"socket_messages_sent", daemon.sockets.messages_sent},
                   {"socket_truncated_drops", daemon.sockets.truncated_drops},
                   {"udp_gso_messages", daemon.sockets.gso_messages},
                   {"udp_gso_datagrams", daemon.sockets.gso_datagrams},
                   {"udp_gso_resent_singly", daemon.sockets.gso_resent_singly},
                   {"udp_gro_aggregates", daemon.sockets.gro_aggregates},
                   {"udp_gro_datagrams", daemon.sockets.gro_datagrams}};
  json sas = json::array();
  for (const ike::ConnectionStatus& c : status) {
    for (const ike::IkeSaStatus& sa : c.ike_sas) {
      for (const ike::ChildSaStatus& child : sa.children) {
        const SaTraffic t = traffic_of(child.id, binding, data_plane);
        json sa_drops = json::object();
        for (std::size_t r = 0; r < ipsec::kDropReasonCount; ++r) {
          if (t.drops.by_reason[r] != 0) {
            sa_drops[ipsec::drop_reason_name(static_cast<ipsec::DropReason>(r))] = t.drops.by_reason[r];
          }
        }
        sas.push_back({{"connection", c.name},
                       {"child", child.child},
                       {"id", child.id},
                       {"inbound_spi", spi_hex(child.inbound_spi)},
                       {"outbound_spi", spi_hex(child.outbound_spi)},
                       {"inbound", traffic_json(t.inbound)},
                       {"outbound", traffic_json(t.outbound)},
                       {"drops", sa_drops}});
      }
    }
  }
  out["sas"] = std::move(sas);
  return out;
}

}  // namespace cygnet::daemon
