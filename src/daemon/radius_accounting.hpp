// RADIUS accounting (RFC 2866) of EAP-RADIUS clients: which sessions are open, what they carried,
// and which Accounting-Requests that calls for. Pure bookkeeping (no sockets, no clock reads):
// the gateway (gateway_radius.cpp) tells it which IKE SAs of `remote_auth = "eap-radius"`
// connections are up, with their CHILD SAs' traffic, and sends the records it returns through
// RadiusClient::account().
//
// A session is one user connected under one virtual address: Start when the first IKE SA for it
// is up, Interim-Update every interim interval, Stop (totals, session time, cause) when no IKE SA
// for it is left. An IKE rekey keeps the session (same user and address); the traffic of CHILD
// SAs that were rekeyed away or deleted is kept (retire) so the Stop totals count everything.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "daemon/radius_client.hpp"
#include "gateway/sa_traffic.hpp"
#include "ike/engine.hpp"

namespace cygnet::daemon {

class RadiusAccounting {
 public:
  // `session_prefix` makes Acct-Session-Id unique across restarts (e.g. the start time in hex);
  // `interim_interval` 0 = no Interim-Update.
  RadiusAccounting(std::string session_prefix, Seconds interim_interval)
      : prefix_(std::move(session_prefix)), interim_(interim_interval) {}

  // An established IKE SA of an EAP-RADIUS connection, as status() shows it.
  struct UpSa {
    ike::IkeSaId ike_sa = 0;
    std::string connection;
    std::string user;  // the EAP identity
    std::optional<wire::IpAddress> virtual_ip;
    std::vector<ike::ChildSaId> children;
  };
  struct Totals {  // in = from the client, out = to the client
    std::uint64_t octets_in = 0, octets_out = 0, packets_in = 0, packets_out = 0;
  };
  using TrafficOf = std::function<gateway::SaTraffic(ike::ChildSaId)>;

  // Every such IKE SA now → the records due: Start for new sessions, Stop for sessions with no
  // IKE SA left, Interim-Update for sessions whose interval is over.
  std::vector<AccountingRecord> update(const std::vector<UpSa>& up, const TrafficOf& traffic_of,
                                       TimePoint now);
  // A CHILD SA's final traffic (it is gone from the data plane): added to its session's totals.
  void retire(ike::ChildSaId child, const gateway::SaTraffic& traffic);
  // How the IKE SA ended, for its session's Acct-Terminate-Cause (default 1, User-Request).
  void set_cause(ike::IkeSaId ike_sa, std::uint32_t cause);
  // When update() must run again for an Interim-Update (nullopt: none due).
  std::optional<TimePoint> next_interim() const;
  std::size_t open_sessions() const { return sessions_.size(); }

 private:
  struct Session {
    std::string id;
    std::string user;
    std::optional<wire::IpAddress> virtual_ip;
    TimePoint started{};
    TimePoint last_report{};
    std::set<ike::IkeSaId> ike_sas;
    std::map<ike::ChildSaId, Totals> children;  // live CHILD SAs: their counts at the last update
    Totals retired;                             // CHILD SAs gone
    Totals total() const;
  };
  AccountingRecord record(const Session& s, AccountingStatus status, TimePoint now) const;

  std::string prefix_;
  Seconds interim_;
  std::uint64_t next_id_ = 1;
  std::map<std::string, Session> sessions_;  // by connection, user and virtual address
  std::map<ike::IkeSaId, std::uint32_t> causes_;
};

}  // namespace cygnet::daemon
