#include "config/config.hpp"

#include <algorithm>

#include <toml++/toml.h>

#include "config/file_reading.hpp"
#include "config/validate.hpp"

namespace cygnet::config {
namespace {

// A configuration file is a few kilobytes; anything near this is not one.
constexpr std::size_t kMaxConfigFileSize = 4 * 1024 * 1024;

ConfigError from_parse_error(const toml::parse_error& e, const std::string& source_name) {
  return ConfigError{source_name, e.source().begin.line, e.source().begin.column,
                     "invalid TOML: " + std::string(e.description())};
}

// toml++ keeps its own copy of every string; overwrite the inline PSKs before the document is
// freed so they do not linger in released heap memory.
void wipe_inline_secrets(toml::table& root) {
  toml::table* connections = root["connections"].as_table();
  if (connections == nullptr) return;
  for (auto&& [name, node] : *connections) {
    toml::table* connection = node.as_table();
    if (connection == nullptr) continue;
    if (toml::value<std::string>* psk = (*connection)["psk"].as_string()) {
      std::string& secret = psk->get();
      crypto::secure_wipe(secret.data(), secret.size());
    }
  }
}

}  // namespace

std::string ConfigError::to_string() const {
  if (line == 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

std::string LoadResult::error_text() const {
  std::string text;
  for (const ConfigError& error : errors) text += error.to_string() + "\n";
  return text;
}

LoadResult parse_config(std::string_view text, std::string source_name,
                        const std::filesystem::path& base_dir) {
  LoadResult result;
  toml::table root;
#if TOML_EXCEPTIONS
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    result.errors.push_back(from_parse_error(e, source_name));
    return result;
  }
#else
  toml::parse_result parsed = toml::parse(text, source_name);
  if (!parsed) {
    result.errors.push_back(from_parse_error(parsed.error(), source_name));
    return result;
  }
  root = std::move(parsed).table();
#endif
  Config config = build_config(root, source_name, base_dir, result.errors);
  wipe_inline_secrets(root);
  if (!result.errors.empty()) {
    // Collected per section; reported in the order of the file.
    std::stable_sort(result.errors.begin(), result.errors.end(),
                     [](const ConfigError& a, const ConfigError& b) {
                       return a.line != b.line ? a.line < b.line : a.column < b.column;
                     });
    return result;
  }
  result.config = std::move(config);
  return result;
}

LoadResult load_config_file(const std::string& path) {
  FileRead read = read_whole_file(path, kMaxConfigFileSize);
  if (!read.contents) {
    LoadResult result;
    result.errors.push_back(ConfigError{path, 0, 0, read.error});
    return result;
  }
  return parse_config(as_text(*read.contents), path, std::filesystem::path(path).parent_path());
}

}  // namespace cygnet::config
