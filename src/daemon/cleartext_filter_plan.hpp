// Which cleartext the kernel must drop before it reaches the protected network (RFC 4301 §5.2):
// a packet that arrives on any interface but the TUN device with its source in a CHILD SA's remote
// selector and its destination in the local one bypassed the tunnel. Pure: the planner collects
// selectors (configured children from load time, negotiated CHILD SAs and trap policies as the
// engine installs them) and renders one nftables transaction that replaces the whole rule set, so a
// rekey or reload never opens a gap. CleartextFilter (cleartext_filter.hpp) runs it.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ike/connection_settings.hpp"
#include "ipsec/selector.hpp"
#include "ipsec/shunt.hpp"

namespace cygnet::daemon {

// One drop rule: cleartext matching `selector` inbound, counted in the named nft counter.
struct CleartextDropRule {
  std::string counter;  // nft counter name, one per "connection/child"
  ipsec::Selector selector;
  friend bool operator==(const CleartextDropRule&, const CleartextDropRule&) = default;
};

// One shunt's rule (ipsec/shunt.hpp), ahead of every tunnel's drop rule: a pass shunt exempts its
// cleartext from the filter (accept), a drop shunt drops it, counted per shunt.
struct CleartextShuntRule {
  std::string counter;  // nft counter name (drop shunts only)
  ipsec::Selector selector;
  bool pass = false;
  friend bool operator==(const CleartextShuntRule&, const CleartextShuntRule&) = default;
};

struct CleartextFilterPlan {
  std::map<std::string, std::string> counters;        // counter name -> "connection/child"
  std::vector<CleartextDropRule> rules;               // deduplicated, in a stable order
  std::map<std::string, std::string> shunt_counters;  // counter name -> shunt name
  std::vector<CleartextShuntRule> shunt_rules;        // in configuration order
};

class CleartextFilterPlanner {
 public:
  // Selectors of the connection's configured children that name both sides (local_ts and
  // remote_ts): the routes into the TUN exist from load time, so the filter does too. Children
  // without selectors (transport mode, host-to-net) are filtered once an SA negotiates them.
  void set_connection(const ike::ConnectionSettings& settings);
  void remove_connection(const std::string& name);

  // Negotiated selectors of a CHILD SA or trap policy; `owner` is any unique key ("child:17").
  void set_selectors(const std::string& owner, const std::string& connection, const std::string& child,
                     const std::vector<ipsec::Selector>& selectors);
  void remove_selectors(const std::string& owner);
  // The configured shunts (replacing earlier ones).
  void set_shunts(const std::vector<ipsec::ShuntSettings>& shunts);

  CleartextFilterPlan plan() const;

 private:
  struct Entry {
    std::string key;  // "connection/child"
    std::vector<ipsec::Selector> selectors;
  };
  // nft counter names are identifiers: connection names are not, so each key gets "drop_N" for
  // the daemon's lifetime (its count survives rekeys and reloads).
  std::string counter_for(const std::string& key);

  std::map<std::string, std::vector<Entry>> by_connection_;
  std::map<std::string, Entry> by_owner_;
  std::map<std::string, std::string> counter_names_;  // key -> counter
  std::vector<ipsec::ShuntSettings> shunts_;
  std::map<std::string, std::string>
      shunt_counter_names_;  // shunt name -> counter, kept for the daemon's life
};

// The nft script (one transaction) that makes `table` (inet family) hold exactly `plan`:
// creates the table, chain and counters if missing, flushes the chain and adds
//   - accept for IKE (UDP 500/4500) and ESP/AH addressed to this host: they carry the tunnel,
//     even when a selector covers the gateways' own outer addresses; and for on-link IPv6
//     neighbour discovery (hop limit 255), without which the gateways could not reach each other;
//     and for non-first fragments addressed to this host (a fragmented IKE message);
//   - per shunt, in configuration order: iifname != tun, the selector's match (inbound view), then
//     accept (pass) or counter + drop (drop);
//   - per rule: iifname != tun, addresses/protocol/ports of the selector (inbound view), counter, drop.
// The chain hooks prerouting at priority raw (-300): before routing, so forwarded and locally
// delivered packets are both dropped, and before conntrack sees them.
std::string cleartext_filter_script(const std::string& table, const std::string& tun,
                                    const CleartextFilterPlan& plan);

// nft match text for one selector seen inbound ("ip saddr ... ip daddr ... meta l4proto 6 th dport 80").
std::string cleartext_match(const ipsec::Selector& selector);

// Drop counts per "connection/child" from `nft -j list counters table inet TABLE` output;
// counters unknown to `plan` are ignored. Malformed JSON gives an empty map.
std::map<std::string, std::uint64_t> cleartext_drop_counts(const std::string& nft_json,
                                                           const CleartextFilterPlan& plan);
// The same for the drop shunts' counters: drops per shunt name.
std::map<std::string, std::uint64_t> cleartext_shunt_drop_counts(const std::string& nft_json,
                                                                 const CleartextFilterPlan& plan);

}  // namespace cygnet::daemon
