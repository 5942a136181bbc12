// The cleartext filter in the kernel: one nftables table ("inet cygnet" in cygnetd's network
// namespace) whose prerouting chain drops packets that bypassed the tunnel (see
// cleartext_filter_plan.hpp for which). Created at start (after deleting a table a crashed run
// left behind), replaced in one transaction whenever the selectors change, deleted on exit.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "daemon/cleartext_filter_plan.hpp"
#include "daemon/os/nftables.hpp"

namespace cygnet::daemon {

inline constexpr const char* kCleartextFilterTable = "cygnet";

class CleartextFilter {
 public:
  // Deletes a leftover table of the same name, enabled or not (a previous run may have had the
  // filter on). Throws std::runtime_error when enabled and the empty table cannot be created:
  // a gateway that should filter does not start without its filter.
  CleartextFilter(bool enabled, std::string tun, std::string table = kCleartextFilterTable);
  ~CleartextFilter();  // deletes the table
  CleartextFilter(const CleartextFilter&) = delete;
  CleartextFilter& operator=(const CleartextFilter&) = delete;

  CleartextFilterPlanner& planner() { return planner_; }

  // Makes the kernel's rules match the planner (nothing to do when they already do). A failure
  // is logged and counted; the previous rules stay (the transaction is all or nothing).
  void apply();
  // [daemon] drop_cleartext changed by a reload: off deletes the table, on installs it.
  void set_enabled(bool enabled);
  // Between hold() and release() apply() does nothing: a reload removes and re-adds changed
  // connections, and the kernel should only see the end result. release() does not apply.
  void hold() { held_ = true; }
  void release() { held_ = false; }

  // The "cleartext_filter" section of `cygnetctl stats` (control_protocol.hpp).
  nlohmann::json stats_json();

 private:
  bool delete_table();  // true when a table was there

  bool enabled_;
  bool held_ = false;
  std::string tun_;
  std::string table_;
  std::unique_ptr<Nftables> nft_;
  CleartextFilterPlanner planner_;
  std::string applied_script_;  // last script the kernel accepted; empty = table not installed
  std::uint64_t update_errors_ = 0;
};

}  // namespace cygnet::daemon
