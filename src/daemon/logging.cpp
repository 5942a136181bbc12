#include "daemon/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <array>
#include <map>

#include "daemon/journal_sink.hpp"

namespace cygnet::daemon {

const char* subsystem_name(Subsystem s) {
  switch (s) {
    case Subsystem::Daemon: return "daemon";
    case Subsystem::Ike: return "ike";
    case Subsystem::Net: return "net";
    case Subsystem::DataPlane: return "dataplane";
    case Subsystem::Control: return "control";
  }
  return "daemon";
}

spdlog::logger& log(Subsystem s) {
  static const std::array<std::shared_ptr<spdlog::logger>, 5> loggers = [] {
    // Under systemd, structured journal entries; otherwise text on stderr.
    spdlog::sink_ptr sink;
    if (stderr_is_journal()) {
      sink = std::make_shared<JournalSink>();
    } else {
      sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    }
    std::array<std::shared_ptr<spdlog::logger>, 5> made;
    for (Subsystem each : kAllSubsystems) {
      auto logger = std::make_shared<spdlog::logger>(subsystem_name(each), sink);
      logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %-9n %^%-5l%$ %v");
      logger->set_level(spdlog::level::info);
      made[static_cast<std::size_t>(each)] = logger;
    }
    return made;
  }();
  return *loggers[static_cast<std::size_t>(s)];
}

namespace {

std::optional<spdlog::level::level_enum> parse_level(std::string_view text) {
  static const std::map<std::string_view, spdlog::level::level_enum> levels{
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug}, {"info", spdlog::level::info},
      {"warn", spdlog::level::warn},   {"error", spdlog::level::err},   {"off", spdlog::level::off}};
  auto it = levels.find(text);
  if (it == levels.end()) return std::nullopt;
  return it->second;
}

std::optional<Subsystem> parse_subsystem(std::string_view text) {
  for (Subsystem s : kAllSubsystems) {
    if (text == subsystem_name(s)) return s;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> apply_log_levels(std::string_view spec) {
  std::array<std::optional<spdlog::level::level_enum>, 5> chosen{};
  std::optional<spdlog::level::level_enum> global;
  while (!spec.empty()) {
    const std::size_t comma = spec.find(',');
    std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
    const std::size_t equals = item.find('=');
    if (equals == std::string_view::npos) {
      global = parse_level(item);
      if (!global)
        return "unknown log level \"" + std::string(item) + "\" (trace, debug, info, warn, error, off)";
      continue;
    }
    auto subsystem = parse_subsystem(item.substr(0, equals));
    if (!subsystem) {
      return "unknown log subsystem \"" + std::string(item.substr(0, equals)) +
             "\" (daemon, ike, net, dataplane, control)";
    }
    auto level = parse_level(item.substr(equals + 1));
    if (!level) return "unknown log level \"" + std::string(item.substr(equals + 1)) + "\"";
    chosen[static_cast<std::size_t>(*subsystem)] = level;
  }
  for (Subsystem s : kAllSubsystems) {
    auto level = chosen[static_cast<std::size_t>(s)];
    if (!level) level = global;
    if (level) log(s).set_level(*level);
  }
  return std::nullopt;
}

}  // namespace cygnet::daemon
