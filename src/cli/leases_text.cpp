#include "cli/leases_text.hpp"

#include <algorithm>
#include <vector>

#include "cli/text_format.hpp"

namespace cygnet::cli {
namespace {

using json = nlohmann::json;

const json& array_at(const json& object, std::string_view key) {
  static const json kEmpty = json::array();
  const json& value = member(object, key);
  return value.is_array() ? value : kEmpty;
}

// "  198.51.100.129  online   alice": addresses padded to the pool's widest so states line up.
void render_pool_leases(std::string& text, const json& leases, const std::string& pool) {
  std::size_t width = 0;
  for (const json& lease : leases)
    if (text_at(lease, "pool") == pool) width = std::max(width, text_at(lease, "address").size());
  bool any = false;
  for (const json& lease : leases) {
    if (text_at(lease, "pool") != pool) continue;
    std::string address = text_at(lease, "address");
    address.resize(width, ' ');
    std::string state = text_at(lease, "state");
    state.resize(std::max<std::size_t>(state.size(), 7), ' ');
    text += "  " + address + "  " + state + "  " + text_at(lease, "identity") + "\n";
    any = true;
  }
  if (!any) text += "  no leases\n";
}

}  // namespace

std::string render_leases(const json& result) {
  const json& pools = array_at(result, "pools");
  const json& leases = array_at(result, "leases");
  std::string text;
  std::vector<std::string> shown;
  for (const json& pool : pools) {
    const std::string name = text_at(pool, "name");
    shown.push_back(name);
    text += "pool " + name + ": " + text_at(pool, "first") + " - " + text_at(pool, "last") + ", " +
            std::to_string(count_at(pool, "size")) +
            " addresses: " + std::to_string(count_at(pool, "online")) + " online, " +
            std::to_string(count_at(pool, "offline")) + " offline (kept for their clients), " +
            std::to_string(count_at(pool, "free")) + " never used\n";
    render_pool_leases(text, leases, name);
  }
  // Leases of a pool the answer does not describe (an older cygnetd sends no "pools").
  std::vector<std::string> others;
  for (const json& lease : leases) {
    const std::string pool = text_at(lease, "pool");
    if (std::find(shown.begin(), shown.end(), pool) == shown.end() &&
        std::find(others.begin(), others.end(), pool) == others.end())
      others.push_back(pool);
  }
  for (const std::string& pool : others) {
    text += "pool " + pool + ":\n";
    render_pool_leases(text, leases, pool);
  }
  return text.empty() ? "no address pools configured\n" : text;
}

}  // namespace cygnet::cli
