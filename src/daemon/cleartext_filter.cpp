#include "daemon/cleartext_filter.hpp"

#include <stdexcept>

#include "daemon/logging.hpp"

namespace cygnet::daemon {

CleartextFilter::CleartextFilter(bool enabled, std::string tun, std::string table)
    : enabled_(enabled), tun_(std::move(tun)), table_(std::move(table)), nft_(std::make_unique<Nftables>()) {
  // The interface name lands inside an nft string: no quote may end it early.
  if (tun_.find_first_of("\"\\") != std::string::npos) {
    throw std::runtime_error("cleartext filter: TUN name \"" + tun_ + "\" cannot be used in an nft rule");
  }
  if (delete_table()) {
    log(Subsystem::Net).warn("cleartext filter: deleted table inet {} left by a previous cygnetd", table_);
  }
  if (!enabled_) {
    log(Subsystem::Net)
        .warn(
            "cleartext filter off ([daemon] drop_cleartext = false): cleartext that bypasses "
            "the tunnel reaches the protected networks");
    return;
  }
  apply();
  if (applied_script_.empty()) {
    throw std::runtime_error("cleartext filter: cannot create nftables table inet " + table_ +
                             " (set [daemon] drop_cleartext = false to run without it)");
  }
}

CleartextFilter::~CleartextFilter() {
  if (!applied_script_.empty() && delete_table()) {
    log(Subsystem::Net).info("cleartext filter: table inet {} deleted", table_);
  }
}

bool CleartextFilter::delete_table() {
  const bool present = nft_->run("list table inet " + table_).ok;
  // "add" first: deleting a missing table is an error, adding an existing one is not.
  const NftResult deleted = nft_->run("add table inet " + table_ + "\ndelete table inet " + table_ + "\n");
  if (!deleted.ok)
    log(Subsystem::Net).error("cleartext filter: deleting table inet {}: {}", table_, deleted.error);
  applied_script_.clear();
  return present && deleted.ok;
}

void CleartextFilter::apply() {
  if (!enabled_ || held_) return;
  const CleartextFilterPlan plan = planner_.plan();
  const std::string script = cleartext_filter_script(table_, tun_, plan);
  if (script == applied_script_) return;
  const NftResult result = nft_->run(script);
  if (!result.ok) {
    ++update_errors_;
    log(Subsystem::Net)
        .error("cleartext filter: nft rejected the update ({}), previous rules stay", result.error);
    return;
  }
  applied_script_ = script;
  log(Subsystem::Net)
      .info("cleartext filter: {} drop rule(s), {} shunt rule(s) in table inet {}", plan.rules.size(),
            plan.shunt_rules.size(), table_);
  for (const CleartextDropRule& rule : plan.rules) {
    log(Subsystem::Net)
        .debug("cleartext filter: {}: drop {}", plan.counters.at(rule.counter),
               cleartext_match(rule.selector));
  }
}

void CleartextFilter::set_enabled(bool enabled) {
  if (enabled == enabled_) return;
  enabled_ = enabled;
  if (enabled_) {
    log(Subsystem::Net).info("cleartext filter on");
  } else {
    delete_table();
    log(Subsystem::Net).warn("cleartext filter off: table inet {} deleted", table_);
  }
}

nlohmann::json CleartextFilter::stats_json() {
  const CleartextFilterPlan plan = planner_.plan();
  nlohmann::json drops = nlohmann::json::object();
  nlohmann::json shunt_drops = nlohmann::json::object();  // per drop shunt, apart from the tunnels'
  std::uint64_t total = 0;
  if (!applied_script_.empty()) {
    const NftResult listed = nft_->run("list counters table inet " + table_, true);
    if (listed.ok) {
      for (const auto& [key, packets] : cleartext_drop_counts(listed.output, plan)) {
        drops[key] = packets;
        total += packets;
      }
      for (const auto& [shunt, packets] : cleartext_shunt_drop_counts(listed.output, plan))
        shunt_drops[shunt] = packets;
    } else {
      log(Subsystem::Net).warn("cleartext filter: reading counters: {}", listed.error);
    }
  }
  return {{"enabled", enabled_},
          {"installed", !applied_script_.empty()},
          {"table", "inet " + table_},
          {"rules", enabled_ ? plan.rules.size() : 0},
          {"drops", drops},
          {"total_drops", total},
          {"shunt_drops", shunt_drops},
          {"update_errors", update_errors_}};
}

}  // namespace cygnet::daemon
