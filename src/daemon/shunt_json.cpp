#include "daemon/shunt_json.hpp"

#include "daemon/prometheus_text.hpp"

namespace cygnet::daemon {

nlohmann::json shunts_json(const std::vector<gateway::ShuntState>& shunts,
                           const nlohmann::json& cleartext_drops) {
  nlohmann::json out = nlohmann::json::array();
  for (const gateway::ShuntState& shunt : shunts) {
    nlohmann::json selectors = nlohmann::json::array();
    for (const ipsec::Selector& s : shunt.settings.selectors) selectors.push_back(s.to_string());
    std::uint64_t cleartext = 0;
    if (cleartext_drops.is_object()) {
      const auto it = cleartext_drops.find(shunt.settings.name);
      if (it != cleartext_drops.end() && it->is_number_integer() && it->get<std::int64_t>() > 0)
        cleartext = it->get<std::uint64_t>();
    }
    out.push_back({{"name", shunt.settings.name},
                   {"type", ipsec::shunt_type_name(shunt.settings.type)},
                   {"selectors", selectors},
                   {"packets_out", shunt.packets_out},
                   {"packets_in", shunt.packets_in},
                   {"cleartext_drops", cleartext}});
  }
  return out;
}

std::string shunt_metrics_text(const std::vector<gateway::ShuntState>& shunts) {
  if (shunts.empty()) return "";
  PrometheusText out;
  out.family("cygnet_shunt_packets_total", "counter",
             "Packets a pass or drop shunt decided, read from the TUN (out) or from the network (in)");
  for (const gateway::ShuntState& shunt : shunts) {
    const std::string type = ipsec::shunt_type_name(shunt.settings.type);
    out.sample("cygnet_shunt_packets_total",
               Labels{{"shunt", shunt.settings.name}, {"type", type}, {"direction", "out"}},
               shunt.packets_out);
    out.sample("cygnet_shunt_packets_total",
               Labels{{"shunt", shunt.settings.name}, {"type", type}, {"direction", "in"}}, shunt.packets_in);
  }
  return out.take();
}

}  // namespace cygnet::daemon
