#include "daemon/radius_accounting.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace cygnet::daemon {

namespace {

std::string key_of(const RadiusAccounting::UpSa& sa) {
  return sa.connection + '\n' + sa.user + '\n' + (sa.virtual_ip ? sa.virtual_ip->to_string() : "-");
}

}  // namespace

static void add(RadiusAccounting::Totals& to, const RadiusAccounting::Totals& from) {
  to.octets_in += from.octets_in;
  to.octets_out += from.octets_out;
  to.packets_in += from.packets_in;
  to.packets_out += from.packets_out;
}

static RadiusAccounting::Totals totals_of(const gateway::SaTraffic& t) {
  // From the client: what the gateway decrypted (inbound); to the client: what it protected.
  return {t.inbound.bytes, t.outbound.bytes, t.inbound.packets, t.outbound.packets};
}

RadiusAccounting::Totals RadiusAccounting::Session::total() const {
  Totals sum = retired;
  for (const auto& [child, counts] : children) add(sum, counts);
  return sum;
}

AccountingRecord RadiusAccounting::record(const Session& s, AccountingStatus status, TimePoint now) const {
  AccountingRecord r;
  r.status = status;
  r.session_id = s.id;
  r.user_name = s.user;
  r.framed_address = s.virtual_ip;
  if (status != AccountingStatus::Start) {
    const Totals t = s.total();
    r.octets_from_client = t.octets_in;
    r.octets_to_client = t.octets_out;
    r.packets_from_client = t.packets_in;
    r.packets_to_client = t.packets_out;
    r.session_seconds =
        static_cast<std::uint32_t>(std::chrono::duration_cast<Seconds>(now - s.started).count());
  }
  return r;
}

std::vector<AccountingRecord> RadiusAccounting::update(const std::vector<UpSa>& up,
                                                       const TrafficOf& traffic_of, TimePoint now) {
  std::vector<AccountingRecord> out;
  std::map<std::string, std::vector<const UpSa*>> seen;
  for (const UpSa& sa : up) seen[key_of(sa)].push_back(&sa);

  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (seen.contains(it->first)) {
      ++it;
      continue;
    }
    // No IKE SA left: Stop, with the CHILD SAs' last counts (retire() normally took them already).
    const Session& s = it->second;
    AccountingRecord stop = record(s, AccountingStatus::Stop, now);
    for (ike::IkeSaId id : s.ike_sas) {
      if (auto c = causes_.find(id); c != causes_.end()) {
        stop.terminate_cause = c->second;
        causes_.erase(c);
      }
    }
    out.push_back(std::move(stop));
    it = sessions_.erase(it);
  }

  for (const auto& [key, sas] : seen) {
    auto [it, fresh] = sessions_.try_emplace(key);
    Session& s = it->second;
    if (fresh) {
      char serial[24];
      std::snprintf(serial, sizeof serial, "%08llx", static_cast<unsigned long long>(next_id_++));
      s.id = prefix_ + "-" + serial;
      s.user = sas.front()->user;
      s.virtual_ip = sas.front()->virtual_ip;
      s.started = now;
      s.last_report = now;
      out.push_back(record(s, AccountingStatus::Start, now));
    }
    s.ike_sas.clear();
    std::map<ike::ChildSaId, Totals> children;
    for (const UpSa* sa : sas) {
      s.ike_sas.insert(sa->ike_sa);
      for (ike::ChildSaId child : sa->children) children[child] = totals_of(traffic_of(child));
    }
    // A child gone without retire() keeps the counts it had at the last update.
    for (const auto& [id, counts] : s.children)
      if (!children.contains(id)) add(s.retired, counts);
    s.children = std::move(children);
    if (!fresh && interim_.count() > 0 && now >= s.last_report + interim_) {
      s.last_report = now;
      out.push_back(record(s, AccountingStatus::InterimUpdate, now));
    }
  }
  return out;
}

void RadiusAccounting::retire(ike::ChildSaId child, const gateway::SaTraffic& traffic) {
  for (auto& [key, s] : sessions_) {
    if (s.children.erase(child) == 0) continue;
    add(s.retired, totals_of(traffic));
    return;
  }
}

void RadiusAccounting::set_cause(ike::IkeSaId ike_sa, std::uint32_t cause) {
  for (const auto& [key, s] : sessions_) {
    if (s.ike_sas.contains(ike_sa)) {
      causes_[ike_sa] = cause;
      return;
    }
  }
}

std::optional<TimePoint> RadiusAccounting::next_interim() const {
  if (interim_.count() <= 0) return std::nullopt;
  std::optional<TimePoint> next;
  for (const auto& [key, s] : sessions_)
    if (!next || s.last_report + interim_ < *next) next = s.last_report + interim_;
  return next;
}

}  // namespace cygnet::daemon
