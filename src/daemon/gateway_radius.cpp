// EAP-RADIUS: the engine's RadiusAccessRequest actions go to the RADIUS client's workers
// (radius_client.hpp); their answers come back through the event loop into the engine, which
// answers the IKE_AUTH request it parked (ike/v2/eap_radius_parking.cpp). With `[radius]
// accounting = true`, the sessions of EAP-RADIUS clients are accounted (radius_accounting.hpp):
// looked at again after every batch with events and every second for Interim-Updates.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility>

#include "daemon/gateway.hpp"
#include "daemon/logging.hpp"

namespace cygnet::daemon {
namespace {

// A peer-chosen name for a log line: printable ASCII only, bounded.
std::string printable(std::string_view text) {
  constexpr std::size_t kLimit = 64;
  std::string out;
  for (char c : text.substr(0, kLimit)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  if (text.size() > kLimit) out += "...";
  return out;
}

ike::RadiusAnswer::Outcome outcome_of(RadiusOutcome outcome) {
  switch (outcome) {
    case RadiusOutcome::Challenge: return ike::RadiusAnswer::Outcome::Challenge;
    case RadiusOutcome::Accept: return ike::RadiusAnswer::Outcome::Accept;
    case RadiusOutcome::Reject: return ike::RadiusAnswer::Outcome::Reject;
    case RadiusOutcome::Failed: break;
  }
  return ike::RadiusAnswer::Outcome::Failed;
}

// RFC 2866 §5.10 Acct-Terminate-Cause for how an IKE SA ended.
std::optional<std::uint32_t> terminate_cause(ike::EventType type, bool shutting_down) {
  if (shutting_down) return 6;  // Admin-Reset
  switch (type) {
    case ike::EventType::IkeSaDeleted: return 1;  // User-Request
    case ike::EventType::PeerDead:
    case ike::EventType::RetransmitGaveUp: return 4;  // Idle-Timeout
    default: return std::nullopt;
  }
}

}  // namespace

void Gateway::start_radius() {
  if (!config_.radius) return;
  radius_ = std::make_unique<RadiusClient>(*config_.radius);
  loop_.watch(radius_->fd(), [this] { on_radius_readable(); });
  std::string servers;
  for (const config::RadiusServer& s : config_.radius->servers)
    servers += (servers.empty() ? "" : ", ") + s.address + ":" + std::to_string(s.port);
  log(Subsystem::Ike)
      .info("RADIUS servers {} (accounting {})", servers, radius_->accounting_enabled() ? "on" : "off");
  if (radius_->accounting_enabled()) {
    // Acct-Session-Id: the daemon's start time and a serial, unique across restarts.
    char prefix[24];
    std::snprintf(prefix, sizeof prefix, "%08llx",
                  static_cast<unsigned long long>(std::chrono::duration_cast<std::chrono::seconds>(
                                                      std::chrono::system_clock::now().time_since_epoch())
                                                      .count()));
    radius_accounting_.emplace(prefix, radius_->interim_interval());
  }
}

void Gateway::relay_to_radius(const ike::RadiusAccessRequest& request) {
  const std::string user = printable(request.user_name);
  if (!radius_) {  // the configuration check refuses eap-radius without [radius]; kept safe anyway
    log(Subsystem::Ike)
        .error("EAP-RADIUS for '{}' (IKE SA #{}): no [radius] servers configured", user, request.ike_sa);
    radius_refused_.push_back(request.request);
    return;
  }
  RadiusAuthRequest r;
  r.session = request.request;
  r.user_name = request.user_name;
  r.eap_message = request.eap_message;
  r.state = request.state;
  r.server = request.server;
  if (!radius_->submit(std::move(r))) {
    log(Subsystem::Ike)
        .warn("EAP-RADIUS for '{}' (IKE SA #{}): {} Access-Requests already wait, refused", user,
              request.ike_sa, RadiusClient::kMaxQueued);
    radius_refused_.push_back(request.request);
    return;
  }
  log(Subsystem::Ike)
      .debug("EAP-RADIUS for '{}' (IKE SA #{}): Access-Request {} relays {} EAP bytes", user, request.ike_sa,
             request.request, request.eap_message.size());
  radius_in_flight_[request.request] = RadiusInFlight{request.ike_sa, user};
}

void Gateway::answer_refused_radius(TimePoint now) {
  if (radius_refused_.empty()) return;
  batch();
  for (std::uint64_t request : std::exchange(radius_refused_, {})) {
    ike::RadiusAnswer answer;
    answer.reason = "the RADIUS client is not available (not configured, or too many requests waiting)";
    engine().on_radius_answer(request, std::move(answer), now);
  }
  drain(now);
}

void Gateway::on_radius_readable() {
  const TimePoint now = Clock::now();
  if (!radius_) return;
  batch();
  for (RadiusAuthResult& r : radius_->take_results()) {
    RadiusInFlight who;
    if (auto it = radius_in_flight_.find(r.session); it != radius_in_flight_.end()) {
      who = std::move(it->second);
      radius_in_flight_.erase(it);
    }
    switch (r.outcome) {
      case RadiusOutcome::Challenge:
        log(Subsystem::Ike).debug("EAP-RADIUS for '{}' (IKE SA #{}): {}", who.user, who.ike_sa, r.reason);
        break;
      case RadiusOutcome::Accept:
        log(Subsystem::Ike).info("EAP-RADIUS for '{}' (IKE SA #{}): {}", who.user, who.ike_sa, r.reason);
        break;
      case RadiusOutcome::Reject:
        log(Subsystem::Ike)
            .warn("EAP-RADIUS for '{}' (IKE SA #{}): rejected: {}", who.user, who.ike_sa, r.reason);
        break;
      case RadiusOutcome::Failed:
        log(Subsystem::Ike)
            .error("EAP-RADIUS for '{}' (IKE SA #{}): authentication failed: {}", who.user, who.ike_sa,
                   r.reason);
        break;
    }
    ike::RadiusAnswer answer;
    answer.outcome = outcome_of(r.outcome);
    answer.eap_message = std::move(r.eap_message);
    answer.state = std::move(r.state);
    answer.msk = std::move(r.msk);
    answer.server = r.server;
    answer.reason = std::move(r.reason);
    engine().on_radius_answer(r.session, std::move(answer), now);
  }
  for (const AccountingResult& a : radius_->take_accounting_results()) {
    if (a.acknowledged)
      log(Subsystem::Ike)
          .debug("RADIUS accounting {} of session {}: {}", accounting_status_name(a.status), a.session_id,
                 a.reason);
    else
      log(Subsystem::Ike)
          .warn("RADIUS accounting {} of session {} not acknowledged: {}", accounting_status_name(a.status),
                a.session_id, a.reason);
  }
  drain(now);
}

void Gateway::note_radius_events(const gateway::OutputBatch& out) {
  if (!radius_accounting_) return;
  for (const ike::Event& event : out.events) {
    if (event.ike_sa)
      if (auto cause = terminate_cause(event.type, stop_by_.has_value()))
        radius_accounting_->set_cause(*event.ike_sa, *cause);
    radius_accounting_due_ = true;
  }
  for (const gateway::AppliedAction& applied : out.applied) {
    if (const auto* removed = std::get_if<ike::RemoveChildSa>(&applied.action); removed && applied.retired) {
      radius_accounting_->retire(removed->id, *applied.retired);
      radius_accounting_due_ = true;
    }
  }
}

void Gateway::account_radius_sessions(TimePoint now) {
  if (!radius_accounting_ || !radius_) return;
  const auto interim = radius_accounting_->next_interim();
  if (!radius_accounting_due_ && !(interim && now >= *interim)) return;
  radius_accounting_due_ = false;
  std::vector<RadiusAccounting::UpSa> up;
  for (const ike::ConnectionStatus& c : engine().status(now)) {
    const auto settings = std::find_if(config_.connections.begin(), config_.connections.end(),
                                       [&](const ike::ConnectionSettings& s) { return s.name == c.name; });
    if (settings == config_.connections.end() ||
        ike::remote_auth_method(*settings) != ike::AuthMethod::EapRadius)
      continue;
    for (const ike::IkeSaStatus& sa : c.ike_sas) {
      if (sa.state == ike::IkeSaState::Connecting || sa.eap_identity.empty()) continue;
      RadiusAccounting::UpSa u{sa.id, c.name, sa.eap_identity, std::nullopt, {}};
      for (const wire::IpAddress& vip : sa.remote_virtual_ips)
        if (!u.virtual_ip || (vip.is_v4() && !u.virtual_ip->is_v4())) u.virtual_ip = vip;  // IPv4 first
      for (const ike::ChildSaStatus& child : sa.children) u.children.push_back(child.id);
      up.push_back(std::move(u));
    }
  }
  const auto traffic = [this](ike::ChildSaId id) {
    return gateway::traffic_of(id, core_->binding(), core_->data_plane());
  };
  for (AccountingRecord& record : radius_accounting_->update(up, traffic, now)) {
    log(Subsystem::Ike)
        .info("RADIUS accounting {} for '{}' session {}{}", accounting_status_name(record.status),
              printable(record.user_name), record.session_id,
              record.status == AccountingStatus::Start
                  ? ""
                  : fmt::format(" ({} bytes in, {} bytes out, {} s)", record.octets_from_client,
                                record.octets_to_client, record.session_seconds));
    if (!radius_->account(std::move(record)))
      log(Subsystem::Ike).warn("RADIUS accounting: the queue is full, a record was dropped");
  }
}

}  // namespace cygnet::daemon
