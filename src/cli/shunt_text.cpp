#include "cli/shunt_text.hpp"

#include <sstream>

#include "cli/text_format.hpp"

namespace cygnet::cli {

namespace {

const nlohmann::json& shunts_of(const nlohmann::json& result) {
  static const nlohmann::json none = nlohmann::json::array();
  const nlohmann::json& shunts = member(result, "shunts");
  return shunts.is_array() ? shunts : none;
}

}  // namespace

std::string render_shunts_status(const nlohmann::json& result) {
  const nlohmann::json& shunts = shunts_of(result);
  if (shunts.empty()) return "";
  std::ostringstream out;
  out << "shunts\n";
  for (const nlohmann::json& shunt : shunts) {
    out << "  " << text_at(shunt, "name") << ": " << text_at(shunt, "type") << " "
        << joined(shunt, "selectors", ", ", "(no selectors)") << "\n";
  }
  return out.str();
}

std::string render_shunts_stats(const nlohmann::json& result) {
  const nlohmann::json& shunts = shunts_of(result);
  if (shunts.empty()) return "";
  std::ostringstream out;
  out << "shunts\n";
  for (const nlohmann::json& shunt : shunts) {
    const bool pass = text_at(shunt, "type") == "pass";
    out << "  " << text_at(shunt, "name") << " (" << text_at(shunt, "type")
        << "): " << count_at(shunt, "packets_out") << (pass ? " passed" : " dropped") << " from the TUN, "
        << count_at(shunt, "packets_in") << (pass ? " passed" : " dropped") << " from the network";
    if (!pass) out << ", " << count_at(shunt, "cleartext_drops") << " cleartext dropped";
    out << "\n";
  }
  return out.str();
}

}  // namespace cygnet::cli
