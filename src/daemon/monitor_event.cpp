#include "daemon/monitor_event.hpp"

#include <ctime>

#include "daemon/status_json.hpp"

namespace cygnet::daemon {

std::string iso8601_utc(WallTime when) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

nlohmann::json monitor_event_json(const ike::Event& event, WallTime when,
                                  const std::vector<ike::ConnectionStatus>& status) {
  nlohmann::json out{{"time", iso8601_utc(when)},
                     {"type", ike::event_type_name(event.type)},
                     {"connection", event.connection},
                     {"ike_sa", event.ike_sa ? nlohmann::json(*event.ike_sa) : nlohmann::json(nullptr)},
                     {"child_sa", event.child_sa ? nlohmann::json(*event.child_sa) : nlohmann::json(nullptr)},
                     {"detail", event.detail}};
  if (const auto reason = ike::failure_reason_of(event.type))
    out["reason"] = ike::failure_reason_name(*reason);
  for (const ike::ConnectionStatus& c : status) {
    for (const ike::IkeSaStatus& sa : c.ike_sas) {
      if (!event.ike_sa || sa.id != *event.ike_sa) continue;
      out["peer"] = sa.remote.to_string();
      out["version"] = sa.version;
      for (const ike::ChildSaStatus& child : sa.children) {
        if (!event.child_sa || child.id != *event.child_sa) continue;
        out["child"] = child.child;
        out["spi"] = {{"in", spi_hex(child.inbound_spi)}, {"out", spi_hex(child.outbound_spi)}};
      }
    }
  }
  return out;
}

nlohmann::json monitor_notice_json(std::string_view type, std::string_view detail, WallTime when) {
  return {{"time", iso8601_utc(when)}, {"type", std::string(type)}, {"connection", ""},
          {"ike_sa", nullptr},         {"child_sa", nullptr},       {"detail", std::string(detail)}};
}

}  // namespace cygnet::daemon
