#include "cli/import_swanctl.hpp"

#include <filesystem>
#include <fstream>

#include "cli/commands.hpp"
#include "config/swanctl_import.hpp"
#include "config/swanctl_parser.hpp"

namespace cygnet::cli {

int import_swanctl_file(const std::string& file, const std::string& output_path, std::ostream& out,
                        std::ostream& err) {
  const config::SettingsParse parsed = config::parse_settings_file(file);
  if (!parsed.root) {
    for (const config::ConfigError& error : parsed.errors) err << error.to_string() << "\n";
    return kExitCommandFailed;
  }
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::absolute(std::filesystem::path(file), ec).parent_path();
  if (ec) dir = std::filesystem::path(file).parent_path();
  const config::SwanctlImport imported = config::import_swanctl(*parsed.root, dir, file);
  for (const std::string& finding : imported.unmapped) err << "not carried over: " << finding << "\n";
  if (output_path.empty()) {
    out << imported.toml;
  } else {
    // The output may hold pre-shared keys: readable by the owner only.
    std::filesystem::remove(output_path, ec);
    std::ofstream stream(output_path, std::ios::out | std::ios::trunc);
    if (stream)
      std::filesystem::permissions(
          output_path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
    stream << imported.toml;
    stream.close();
    if (!stream) {
      err << "cygnetctl: cannot write '" << output_path << "'\n";
      return kExitCommandFailed;
    }
  }
  err << file << ": " << imported.connections << (imported.connections == 1 ? " connection" : " connections")
      << " imported, " << imported.unmapped.size() << " setting(s) not carried over\n";
  return kExitSuccess;
}

}  // namespace cygnet::cli
