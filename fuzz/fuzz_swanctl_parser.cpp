// Fuzz target: strongSwan's settings syntax (swanctl_parser.hpp) and the swanctl.conf -> Cygnet
// translation (swanctl_import.hpp). Any text must yield a tree or errors with positions, and a
// tree must translate into TOML that Cygnet's own loader accepts — never a crash, leak or
// sanitizer report. Includes are refused (the target reads no files) and credential folders
// point at a directory that does not exist.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/config.hpp"
#include "config/swanctl_import.hpp"
#include "config/swanctl_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cygnet::config;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  SettingsLimits limits;
  limits.allow_includes = false;
  const SettingsParse parsed = parse_settings_text(text, "fuzz.conf", "/nonexistent-cygnet-fuzz-dir", limits);
  if (parsed.root.has_value() == !parsed.errors.empty()) std::abort();
  if (!parsed.root) {
    for (const ConfigError& e : parsed.errors)
      if (e.message.empty()) std::abort();
    return 0;
  }
  const SwanctlImport imported = import_swanctl(*parsed.root, "/nonexistent-cygnet-fuzz-dir", "fuzz.conf");
  const LoadResult loaded = parse_config(imported.toml, "imported.toml", "/nonexistent-cygnet-fuzz-dir");
  if (!loaded.ok()) std::abort();  // the importer only writes what loads
  if (loaded.config->connections.size() != imported.connections) std::abort();
  return 0;
}
