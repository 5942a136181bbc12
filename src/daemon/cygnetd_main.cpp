// cygnetd: the Cygnet IPsec gateway daemon. Runs in the foreground and logs to stderr (to the
// journal, with structured fields, when systemd started it).
#include <sys/prctl.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>

#include "base/version.hpp"
#include "config/config.hpp"
#include "daemon/gateway.hpp"
#include "daemon/logging.hpp"

int main(int argc, char** argv) {
  CLI::App app{"cygnetd — IKEv2 + ESP/AH on a userspace data plane (TUN device)"};
  cygnet::daemon::GatewayOptions options;
  std::string log_levels;
  app.set_version_flag("--version", std::string("cygnetd ") + cygnet::kVersion);
  app.add_option("-c,--config", options.config_path, "configuration file (TOML)")->required();
  app.add_option("--log-level", log_levels,
                 "overrides [daemon] log_level: LEVEL or LEVEL,SUBSYSTEM=LEVEL,... "
                 "(subsystems daemon, ike, net, dataplane, control)");
  app.add_option("--mtu", options.tun_mtu, "MTU of the TUN device")->check(CLI::Range(576, 65000));
  int nat_keepalive = 20;
  app.add_option("--nat-keepalive", nat_keepalive, "seconds between NAT keepalives when a NAT is detected")
      ->check(CLI::Range(1, 3600));
  app.add_option("--fwmark", options.fwmark, "firewall mark on the daemon's own packets");
  app.add_option("--table", options.routing_table, "routing table for tunnelled destinations");
  CLI11_PARSE(app, argc, argv);
  if (!log_levels.empty()) options.log_levels = log_levels;
  options.nat_keepalive = cygnet::Seconds(nat_keepalive);

  // Key material lives in this process: no core dumps, no ptrace by other unprivileged users.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

  cygnet::config::LoadResult loaded = cygnet::config::load_config_file(options.config_path);
  if (!loaded.ok()) {
    std::fprintf(stderr, "cygnetd: configuration not loaded:\n%s\n", loaded.error_text().c_str());
    return 1;
  }
  try {
    cygnet::daemon::Gateway gateway(std::move(*loaded.config), options);
    return gateway.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cygnetd: %s\n", e.what());
    return 1;
  }
}
