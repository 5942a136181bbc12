#include "cli/cleartext_filter_text.hpp"

#include <sstream>

#include "cli/text_format.hpp"

namespace cygnet::cli {

std::string render_cleartext_filter(const nlohmann::json& stats_result) {
  const nlohmann::json& filter = member(stats_result, "cleartext_filter");
  if (!filter.is_object()) return "";
  std::ostringstream out;
  out << "cleartext filter\n";
  if (!flag_at(filter, "enabled")) {
    out << "  off ([daemon] drop_cleartext = false)\n";
    return out.str();
  }
  out << "  nftables table " << text_at(filter, "table")
      << (flag_at(filter, "installed") ? "" : " (NOT installed)") << ", " << count_at(filter, "rules")
      << " drop rule(s), " << count_at(filter, "total_drops") << " packet(s) dropped";
  if (const std::uint64_t errors = count_at(filter, "update_errors"))
    out << ", " << errors << " update error(s)";
  out << "\n";
  const nlohmann::json& drops = member(filter, "drops");
  if (drops.is_object()) {
    for (const auto& [child, count] : drops.items()) {
      out << "  " << child << ": " << (count.is_number_unsigned() ? count.get<std::uint64_t>() : 0)
          << " dropped\n";
    }
  }
  return out.str();
}

}  // namespace cygnet::cli
