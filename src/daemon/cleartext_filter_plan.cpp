#include "daemon/cleartext_filter_plan.hpp"

#include <algorithm>

namespace cygnet::daemon {

namespace {

// Transport protocols whose ports sit where nft's "th sport/dport" reads them.
bool has_ports(std::uint8_t protocol) {
  return protocol == 6 || protocol == 17 || protocol == 33 || protocol == 132 || protocol == 136;
}

std::string port_text(const ipsec::PortRange& ports) {
  if (ports.first == ports.last) return std::to_string(ports.first);
  return std::to_string(ports.first) + "-" + std::to_string(ports.last);
}

bool port_match_needed(const ipsec::PortRange& ports) {
  return !ports.is_any() && ports.first <= ports.last;
}

}  // namespace

void CleartextFilterPlanner::set_connection(const ike::ConnectionSettings& settings) {
  std::vector<Entry> entries;
  for (const ike::ChildSettings& child : settings.children) {
    if (child.local_ts.empty() || child.remote_ts.empty()) continue;
    Entry entry{settings.name + "/" + child.name, {}};
    for (const wire::IpPrefix& local : child.local_ts) {
      for (const wire::IpPrefix& remote : child.remote_ts) {
        if (local.address.family() != remote.address.family()) continue;
        ipsec::Selector s;
        s.local = ipsec::AddressRange::from_prefix(local);
        s.remote = ipsec::AddressRange::from_prefix(remote);
        entry.selectors.push_back(s);
      }
    }
    counter_for(entry.key);
    entries.push_back(std::move(entry));
  }
  by_connection_[settings.name] = std::move(entries);
}

void CleartextFilterPlanner::remove_connection(const std::string& name) {
  by_connection_.erase(name);
}

void CleartextFilterPlanner::set_selectors(const std::string& owner, const std::string& connection,
                                           const std::string& child,
                                           const std::vector<ipsec::Selector>& selectors) {
  Entry entry{connection + "/" + child, selectors};
  counter_for(entry.key);
  by_owner_[owner] = std::move(entry);
}

void CleartextFilterPlanner::remove_selectors(const std::string& owner) {
  by_owner_.erase(owner);
}

void CleartextFilterPlanner::set_shunts(const std::vector<ipsec::ShuntSettings>& shunts) {
  shunts_ = shunts;
  for (const ipsec::ShuntSettings& shunt : shunts_) {
    if (shunt.type != ipsec::ShuntType::Drop || shunt_counter_names_.contains(shunt.name)) continue;
    shunt_counter_names_.emplace(shunt.name, "shunt_" + std::to_string(shunt_counter_names_.size()));
  }
}

std::string CleartextFilterPlanner::counter_for(const std::string& key) {
  auto it = counter_names_.find(key);
  if (it == counter_names_.end()) {
    it = counter_names_.emplace(key, "drop_" + std::to_string(counter_names_.size())).first;
  }
  return it->second;
}

CleartextFilterPlan CleartextFilterPlanner::plan() const {
  CleartextFilterPlan plan;
  for (const auto& [key, counter] : counter_names_) plan.counters.emplace(counter, key);
  auto add = [&](const Entry& entry) {
    const std::string& counter = counter_names_.at(entry.key);
    for (const ipsec::Selector& s : entry.selectors) {
      if (s.local.family() != s.remote.family() || s.local.first.family() != s.local.last.family() ||
          s.remote.first.family() != s.remote.last.family()) {
        continue;
      }
      CleartextDropRule rule{counter, s};
      // A rekey installs the new SA before removing the old: the same selectors, one rule.
      const bool seen = std::any_of(plan.rules.begin(), plan.rules.end(),
                                    [&](const CleartextDropRule& r) { return r.selector == rule.selector; });
      if (!seen) plan.rules.push_back(std::move(rule));
    }
  };
  for (const auto& entry : by_connection_) {
    for (const Entry& e : entry.second) add(e);
  }
  for (const auto& entry : by_owner_) add(entry.second);
  for (const ipsec::ShuntSettings& shunt : shunts_) {
    const bool pass = shunt.type == ipsec::ShuntType::Pass;
    const std::string counter = pass ? std::string() : shunt_counter_names_.at(shunt.name);
    if (!pass) plan.shunt_counters.emplace(counter, shunt.name);
    for (const ipsec::Selector& s : shunt.selectors)
      plan.shunt_rules.push_back(CleartextShuntRule{counter, s, pass});
  }
  return plan;
}

std::string cleartext_match(const ipsec::Selector& selector) {
  const std::string ip = selector.remote.family() == wire::IpFamily::V4 ? "ip" : "ip6";
  std::string text =
      ip + " saddr " + selector.remote.to_string() + " " + ip + " daddr " + selector.local.to_string();
  if (selector.protocol != 0) {
    text += " meta l4proto " + std::to_string(selector.protocol);
    // ICMP's type/code ride in the selector's ports; not matched (the drop covers every type).
    if (has_ports(selector.protocol)) {
      if (port_match_needed(selector.remote_ports)) text += " th sport " + port_text(selector.remote_ports);
      if (port_match_needed(selector.local_ports)) text += " th dport " + port_text(selector.local_ports);
    }
  }
  return text;
}

std::string cleartext_filter_script(const std::string& table, const std::string& tun,
                                    const CleartextFilterPlan& plan) {
  const std::string t = "inet " + table;
  std::string s;
  s += "add table " + t + "\n";
  s += "add chain " + t + " prerouting { type filter hook prerouting priority raw; policy accept; }\n";
  for (const auto& entry : plan.counters) s += "add counter " + t + " " + entry.first + "\n";
  s += "flush chain " + t + " prerouting\n";
  s += "add rule " + t + " prerouting fib daddr type local meta l4proto { esp, ah } accept\n";
  s += "add rule " + t + " prerouting fib daddr type local udp dport { 500, 4500 } accept\n";
  // Non-first fragments carry no ports: an IKE_AUTH with certificates may arrive fragmented when no
  // conntrack reassembles first. Safe to let through: without its first fragment, which the rules
  // below still judge, nothing is reassembled.
  s += "add rule " + t + " prerouting fib daddr type local ip frag-off & 0x1fff != 0 accept\n";
  s += "add rule " + t + " prerouting fib daddr type local frag frag-off != 0 accept\n";
  // IPv6 neighbour discovery between the gateways (a transport-mode selector covers their
  // addresses); hop limit 255 proves it is on-link (RFC 4861 §7.1), so it cannot come from afar.
  s += "add rule " + t +
       " prerouting ip6 hoplimit 255 icmpv6 type { nd-router-solicit, nd-router-advert, "
       "nd-neighbor-solicit, nd-neighbor-advert } accept\n";
  for (const auto& entry : plan.shunt_counters) s += "add counter " + t + " " + entry.first + "\n";
  for (const CleartextShuntRule& rule : plan.shunt_rules) {
    s += "add rule " + t + " prerouting iifname != \"" + tun + "\" " + cleartext_match(rule.selector) +
         (rule.pass ? std::string(" accept\n") : " counter name \"" + rule.counter + "\" drop\n");
  }
  for (const CleartextDropRule& rule : plan.rules) {
    s += "add rule " + t + " prerouting iifname != \"" + tun + "\" " + cleartext_match(rule.selector) +
         " counter name \"" + rule.counter + "\" drop\n";
  }
  return s;
}

namespace {

// Packets per key of `names` (counter name -> key) in `nft -j list counters` output.
std::map<std::string, std::uint64_t> counts_by_name(const std::string& nft_json,
                                                    const std::map<std::string, std::string>& names) {
  std::map<std::string, std::uint64_t> counts;
  const nlohmann::json doc = nlohmann::json::parse(nft_json, nullptr, false);
  if (!doc.is_object() || !doc.contains("nftables") || !doc["nftables"].is_array()) return counts;
  for (const nlohmann::json& item : doc["nftables"]) {
    if (!item.is_object() || !item.contains("counter") || !item["counter"].is_object()) continue;
    const nlohmann::json& counter = item["counter"];
    if (!counter.contains("name") || !counter["name"].is_string()) continue;
    if (!counter.contains("packets") || !counter["packets"].is_number_unsigned()) continue;
    const auto key = names.find(counter["name"].get<std::string>());
    if (key == names.end()) continue;
    counts[key->second] += counter["packets"].get<std::uint64_t>();
  }
  return counts;
}

}  // namespace

std::map<std::string, std::uint64_t> cleartext_drop_counts(const std::string& nft_json,
                                                           const CleartextFilterPlan& plan) {
  return counts_by_name(nft_json, plan.counters);
}

std::map<std::string, std::uint64_t> cleartext_shunt_drop_counts(const std::string& nft_json,
                                                                 const CleartextFilterPlan& plan) {
  return counts_by_name(nft_json, plan.shunt_counters);
}

}  // namespace cygnet::daemon
