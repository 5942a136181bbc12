#include "cli/commands.hpp"

#include "cli/import_swanctl.hpp"
#include "cli/leases_text.hpp"
#include "cli/monitor.hpp"
#include "cli/stats_text.hpp"
#include "cli/status_text.hpp"
#include "cli/text_format.hpp"
#include "cli/why_text.hpp"
#include "config/config.hpp"
#include "config/warnings.hpp"

namespace cygnet::cli {
namespace {

using json = nlohmann::json;

bool is_daemon_command(const std::string& command) {
  return command == "status" || command == "stats" || command == "up" || command == "down" ||
         command == "reload" || command == "why" || command == "export-keys" || command == "leases";
}

std::string up_down_text(const json& result, const std::string& requested) {
  return text_at(result, "connection", requested) + ": " + text_at(result, "message", "done") + "\n";
}

std::string reload_text(const json& result) {
  std::string text = "configuration reloaded\n";
  bool any = false;
  for (const char* category : {"added", "removed", "changed", "unchanged"}) {
    const std::string names = joined(result, category, ", ", "");
    if (names.empty()) continue;
    text += "  " + std::string(category) + ": " + names + "\n";
    any = true;
  }
  if (!any) text += "  no connections\n";
  return text;
}

json request_for(const Options& options) {
  json request{{"command", options.command}};
  if (options.command == "up" || options.command == "down" || options.command == "why")
    request["name"] = options.connection;
  if (options.command == "export-keys") request["format"] = options.format;
  return request;
}

int run_daemon_command(const Options& options, std::ostream& out, std::ostream& err) {
  std::string error;
  const std::optional<json> response =
      control::call(options.socket_path, request_for(options), options.timeout, error);
  if (!response) {
    err << "cygnetctl: " << error << "\n";
    return kExitUnreachable;
  }
  // call() guarantees an object with a boolean "ok".
  if (!response->at("ok").get<bool>()) {
    err << "cygnetctl: " << text_at(*response, "error", "cygnetd reported a failure without a reason")
        << "\n";
    return kExitCommandFailed;
  }
  const json& result = member(*response, "result");
  if (!result.is_object()) {
    err << "cygnetctl: unusable answer from cygnetd at " << options.socket_path
        << ": ok without a \"result\" object\n";
    return kExitUnreachable;
  }
  if (options.command == "export-keys") return write_key_files(result, options.directory, out, err);
  if (options.json) {
    out << result.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  } else if (options.command == "status") {
    out << render_status(result);
  } else if (options.command == "stats") {
    out << render_stats(result);
  } else if (options.command == "why") {
    out << render_why(result);
  } else if (options.command == "reload") {
    out << reload_text(result);
  } else if (options.command == "leases") {
    out << render_leases(result);
  } else {
    out << up_down_text(result, options.connection);
  }
  return kExitSuccess;
}

}  // namespace

int check_config_file(const std::string& file, std::ostream& out, std::ostream& err) {
  const config::LoadResult loaded = config::load_config_file(file);
  if (!loaded.ok()) {
    for (const config::ConfigError& error : loaded.errors) err << error.to_string() << "\n";
    return kExitCommandFailed;
  }
  const std::size_t connections = loaded.config->connections.size();
  out << file << ": ok, " << connections << (connections == 1 ? " connection" : " connections") << "\n";
  for (const std::string& finding : config::weak_choices(*loaded.config)) out << finding << "\n";
  return kExitSuccess;
}

int run_command(const Options& options, std::ostream& out, std::ostream& err) {
  if (options.command == "check") return check_config_file(options.file, out, err);
  if (options.command == "import-swanctl") return import_swanctl_file(options.file, options.output, out, err);
  if (options.command == "monitor") return run_monitor(options, out, err);
  if (is_daemon_command(options.command)) return run_daemon_command(options, out, err);
  err << "cygnetctl: unknown command '" << options.command << "'\n";
  return kExitUnreachable;
}

}  // namespace cygnet::cli
