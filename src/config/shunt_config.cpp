#include "config/shunt_config.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <string_view>

#include "config/selector_text.hpp"
#include "config/validate.hpp"

namespace cygnet::config {

namespace {

constexpr std::array<std::string_view, 3> kShuntKeys{"type", "local_ts", "remote_ts"};

std::string quote_text(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

struct Entry {
  SelectorText selector;
  std::string text;
  const toml::node* node;
};

class ShuntReader {
 public:
  ShuntReader(const std::string& source_name, std::vector<ConfigError>& errors)
      : source_name_(source_name), errors_(errors) {}

  std::optional<ipsec::ShuntSettings> read(const std::string& name, const toml::table& table) {
    const std::string scope = "shunt " + quote_text(name);
    const std::size_t errors_before = errors_.size();
    for (auto&& [key, node] : table) {
      if (std::find(kShuntKeys.begin(), kShuntKeys.end(), key.str()) == kShuntKeys.end()) {
        error(key.source(), "unknown key " + quote_text(key.str()) + " in " + scope +
                                " (a shunt has 'type', 'local_ts' and 'remote_ts')");
      }
    }
    ipsec::ShuntSettings shunt;
    shunt.name = name;
    if (const toml::node* type = table.get("type")) {
      const auto* text = type->as_string();
      if (text != nullptr && text->get() == "pass") {
        shunt.type = ipsec::ShuntType::Pass;
      } else if (text != nullptr && text->get() == "drop") {
        shunt.type = ipsec::ShuntType::Drop;
      } else {
        error(type->source(), "'type' of " + scope + " must be \"pass\" or \"drop\", not " +
                                  (text != nullptr ? quote_text(text->get()) : std::string("a non-string")));
      }
    } else {
      error(table.source(), scope + " needs 'type' = \"pass\" (BYPASS: in the clear) or \"drop\" (DISCARD)");
    }
    const std::optional<std::vector<Entry>> local = entries(table, "local_ts", scope);
    const std::optional<std::vector<Entry>> remote = entries(table, "remote_ts", scope);
    if (!local || !remote) return std::nullopt;
    if (local->empty() && remote->empty()) {
      error(table.source(), scope +
                                " needs 'local_ts' or 'remote_ts': a shunt for all traffic would switch "
                                "every tunnel off");
      return std::nullopt;
    }
    const std::vector<Entry> local_side = local->empty() ? any_of_families(*remote) : *local;
    const std::vector<Entry> remote_side = remote->empty() ? any_of_families(*local) : *remote;
    pair_up(local_side, remote_side, "local_ts", "remote_ts", scope, &shunt.selectors);
    pair_up(remote_side, local_side, "remote_ts", "local_ts", scope, nullptr);
    if (errors_.size() != errors_before) return std::nullopt;
    return shunt;
  }

 private:
  void error(const toml::source_region& where, std::string message) {
    errors_.push_back(ConfigError{source_name_, where.begin.line, where.begin.column, std::move(message)});
  }

  // nullopt after an error; an empty list when the key is absent.
  std::optional<std::vector<Entry>> entries(const toml::table& table, std::string_view key,
                                            const std::string& scope) {
    std::vector<Entry> out;
    const toml::node* node = table.get(key);
    if (node == nullptr) return out;
    const toml::array* array = node->as_array();
    if (array == nullptr || array->empty()) {
      error(node->source(), quote_text(key) + " of " + scope +
                                " must be a non-empty array of selectors such as [\"192.0.2.0/24\"]");
      return std::nullopt;
    }
    bool ok = true;
    for (const toml::node& element : *array) {
      const auto* text = element.as_string();
      if (text == nullptr) {
        error(element.source(), "entries of " + quote_text(key) + " of " + scope + " must be strings");
        ok = false;
        continue;
      }
      auto parsed = parse_selector_text(text->get());
      if (auto* problem = std::get_if<std::string>(&parsed)) {
        error(element.source(),
              quote_text(key) + " of " + scope + ": " + quote_text(text->get()) + " " + *problem);
        ok = false;
        continue;
      }
      out.push_back(Entry{std::get<SelectorText>(parsed), text->get(), &element});
    }
    if (!ok) return std::nullopt;
    return out;
  }

  // The other side is absent: any address of each family this side names.
  static std::vector<Entry> any_of_families(const std::vector<Entry>& side) {
    std::vector<Entry> any;
    for (const wire::IpFamily family : {wire::IpFamily::V4, wire::IpFamily::V6}) {
      const bool named = std::any_of(side.begin(), side.end(), [&](const Entry& e) {
        return e.selector.prefix.address.family() == family;
      });
      if (!named) continue;
      const ipsec::AddressRange range = ipsec::AddressRange::any(family);
      any.push_back(Entry{SelectorText{wire::IpPrefix{range.first, 0}, 0, {}}, "", nullptr});
    }
    return any;
  }

  static bool compatible(const SelectorText& a, const SelectorText& b) {
    return a.prefix.address.family() == b.prefix.address.family() &&
           (a.protocol == 0 || b.protocol == 0 || a.protocol == b.protocol);
  }

  // Every entry of `ours` needs a partner of its family (and protocol) on the other side; the
  // pairs become the shunt's selectors when `selectors` is given (ours is the local side).
  void pair_up(const std::vector<Entry>& ours, const std::vector<Entry>& theirs, std::string_view our_key,
               std::string_view their_key, const std::string& scope,
               std::vector<ipsec::Selector>* selectors) {
    for (const Entry& entry : ours) {
      bool partnered = false;
      for (const Entry& other : theirs) {
        if (!compatible(entry.selector, other.selector)) continue;
        partnered = true;
        if (selectors == nullptr) continue;
        ipsec::Selector s;
        s.local = ipsec::AddressRange::from_prefix(entry.selector.prefix);
        s.remote = ipsec::AddressRange::from_prefix(other.selector.prefix);
        s.protocol = std::max(entry.selector.protocol, other.selector.protocol);
        s.local_ports = entry.selector.ports;
        s.remote_ports = other.selector.ports;
        if (std::find(selectors->begin(), selectors->end(), s) == selectors->end()) selectors->push_back(s);
      }
      if (partnered || entry.node == nullptr) continue;
      error(entry.node->source(), quote_text(our_key) + " " + quote_text(entry.text) + " of " + scope +
                                      " has no entry in " + quote_text(their_key) +
                                      " of the same address family and protocol, so it could never match");
    }
  }

  const std::string& source_name_;
  std::vector<ConfigError>& errors_;
};

}  // namespace

std::vector<ipsec::ShuntSettings> shunt_settings(const toml::table& shunts, const std::string& source_name,
                                                 std::vector<ConfigError>& errors) {
  ShuntReader reader(source_name, errors);
  std::vector<std::pair<toml::source_position, ipsec::ShuntSettings>> located;
  for (auto&& [key, node] : shunts) {
    const std::string name(key.str());
    if (!is_valid_name(name)) {
      errors.push_back(ConfigError{
          source_name, key.source().begin.line, key.source().begin.column,
          "shunt name " + quote_text(name) + " must be 1 to 64 letters, digits, '-', '_' or '.'"});
      continue;
    }
    const toml::table* table = node.as_table();
    if (table == nullptr) {
      errors.push_back(ConfigError{source_name, node.source().begin.line, node.source().begin.column,
                                   "shunt " + quote_text(name) + " must be a table ([shunts." + name + "])"});
      continue;
    }
    if (auto shunt = reader.read(name, *table))
      located.emplace_back(table->source().begin, std::move(*shunt));
  }
  // toml++ keeps a table's keys sorted; shunts are listed (and counted) in file order.
  std::stable_sort(located.begin(), located.end(), [](const auto& a, const auto& b) {
    return a.first.line != b.first.line ? a.first.line < b.first.line : a.first.column < b.first.column;
  });
  std::vector<ipsec::ShuntSettings> out;
  for (auto& entry : located) out.push_back(std::move(entry.second));
  return out;
}

}  // namespace cygnet::config
