// cygnetctl: parses the command line and hands over to cli::run_command (commands.hpp).
#include <CLI/CLI.hpp>
#include <cmath>
#include <iostream>

#include "base/version.hpp"
#include "cli/commands.hpp"

int main(int argc, char** argv) {
  using namespace cygnet;
  CLI::App app{
      "cygnetctl: control cygnetd, the Cygnet IPsec daemon, and check its configuration.\n"
      "Exit codes: 0 success, 1 the command failed, 2 cygnetd unreachable or its answer "
      "unusable."};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("cygnetctl ") + kVersion);
  app.fallthrough();  // --socket/--timeout may also follow the subcommand

  cli::Options options;
  double timeout_seconds = 5.0;
  app.add_option("--socket", options.socket_path, "cygnetd's control socket")->capture_default_str();
  app.add_option("--timeout", timeout_seconds, "seconds to wait for cygnetd's answer")
      ->check(CLI::Range(0.001, 86400.0))
      ->capture_default_str();

  CLI::App* status = app.add_subcommand("status", "connections, IKE SAs and CHILD SAs");
  status->add_flag("--json", options.json, "print the daemon's JSON result");
  CLI::App* stats = app.add_subcommand("stats", "IKE, data-plane and daemon counters, drops");
  stats->add_flag("--json", options.json, "print the daemon's JSON result");
  CLI::App* up = app.add_subcommand("up", "initiate a connection");
  up->add_option("NAME", options.connection, "connection name")->required();
  CLI::App* down = app.add_subcommand("down", "close a connection's SAs");
  down->add_option("NAME", options.connection, "connection name")->required();
  CLI::App* why =
      app.add_subcommand("why", "why a connection is not up: its last failure, both sides' offers");
  why->add_option("NAME", options.connection, "connection name")->required();
  why->add_flag("--json", options.json, "print the daemon's JSON result");
  app.add_subcommand("reload", "re-read the configuration file (all or nothing)");
  CLI::App* leases =
      app.add_subcommand("leases", "virtual IP pools: address, state and identity of each lease");
  leases->add_flag("--json", options.json, "print the daemon's JSON result");
  CLI::App* monitor = app.add_subcommand("monitor", "print events as they happen, until cygnetd stops");
  monitor->add_flag("--json", options.json, "one JSON object per line");
  CLI::App* export_keys = app.add_subcommand(
      "export-keys", "write the current SAs' keys for Wireshark (root; needs [daemon] allow_key_export)");
  export_keys->add_option("--format", options.format, "key file format")
      ->check(CLI::IsMember({"wireshark"}))
      ->capture_default_str();
  export_keys->add_option("DIR", options.directory, "directory for esp_sa and ikev2_decryption_table")
      ->required();
  CLI::App* check = app.add_subcommand("check", "validate a configuration file offline");
  check->add_option("FILE", options.file, "configuration file")->required();
  CLI::App* import =
      app.add_subcommand("import-swanctl", "translate a strongSwan swanctl.conf into a Cygnet configuration");
  import->add_option("FILE", options.file, "swanctl.conf")->required();
  import->add_option("-o,--output", options.output, "write here instead of stdout");

  CLI11_PARSE(app, argc, argv);

  options.command = app.get_subcommands().front()->get_name();
  options.timeout = std::chrono::milliseconds(std::llround(timeout_seconds * 1000.0));
  return cli::run_command(options, std::cout, std::cerr);
}
