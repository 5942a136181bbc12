// Virtual IPs in the daemon. Gateway: the pools' leases are read from `[daemon] state_dir` at
// start and written back (atomically, lease_store.hpp) whenever the engine reports a change.
// Client: the addresses and DNS servers the gateway assigned are logged here; gateway_client.cpp
// applies them to the host.
#include <filesystem>
#include <string>
#include <type_traits>

#include "daemon/gateway.hpp"
#include "daemon/lease_store.hpp"
#include "daemon/logging.hpp"

namespace cygnet::daemon {
namespace {

template <typename Items>
std::string listed(const Items& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    if constexpr (std::is_same_v<std::decay_t<decltype(item)>, std::string>)
      out += item;
    else
      out += item.to_string();
  }
  return out.empty() ? "none" : out;
}

std::filesystem::path lease_file(const config::DaemonSettings& daemon) {
  return std::filesystem::path(daemon.state_dir) / kLeaseFileName;
}

}  // namespace

void Gateway::load_leases() {
  if (config_.pools.empty()) return;
  std::string error;
  std::size_t skipped = 0;
  const auto path = lease_file(config_.daemon);
  const auto leases = read_leases(path, error, &skipped);
  if (!error.empty()) {
    log(Subsystem::Daemon).warn("leases: {} — starting with empty pools", error);
    return;
  }
  if (skipped)
    log(Subsystem::Daemon).warn("leases: {} unreadable entr(ies) in {} skipped", skipped, path.string());
  engine().restore_leases(leases);
  log(Subsystem::Daemon).info("leases: {} restored from {}", engine().leases().size(), path.string());
}

void Gateway::save_leases() {
  leases_dirty_ = false;
  if (config_.pools.empty() && engine().leases().empty()) return;
  const auto path = lease_file(config_.daemon);
  if (auto error = write_leases(path, engine().leases()))
    log(Subsystem::Daemon).error("leases: cannot write {}: {}", path.string(), *error);
}

void Gateway::log_virtual_ips(const ike::Action& action) {
  if (const auto* assigned = std::get_if<ike::VirtualIpsAssigned>(&action)) {
    log(Subsystem::Ike)
        .info("{}: virtual IP {} assigned, DNS {}, domains {}", assigned->connection,
              listed(assigned->addresses), listed(assigned->dns), listed(assigned->dns_domains));
  } else if (const auto* released = std::get_if<ike::VirtualIpsReleased>(&action)) {
    log(Subsystem::Ike).info("{}: virtual IP {} released", released->connection, listed(released->addresses));
  }
}

}  // namespace cygnet::daemon
