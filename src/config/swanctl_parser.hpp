// strongSwan's settings syntax (swanctl.conf, strongswan.conf) read into a tree of sections and
// key/value pairs, for `cygnetctl import-swanctl`. The syntax: `name { ... }` sections, nested;
// `key = value` with the value running to the end of the line (or a "quoted string" with
// backslash escapes, which may span lines); `#` comments; `include PATTERN` (a glob, relative to
// the including file) at any level, whose contents land in the enclosing section. A key given
// twice keeps the later value; a section given twice is merged. Every element remembers its
// file:line:column, so the importer can point at what it could not carry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace cygnet::config {

struct SettingsPosition {
  std::string file;
  std::uint32_t line = 0;         // 1-based
  std::uint32_t column = 0;       // 1-based
  std::string to_string() const;  // "file:line:col"
};

struct SettingsValue {
  std::string key;
  std::string value;
  SettingsPosition where;  // of the key
};

struct SettingsSection {
  std::string name;
  SettingsPosition where;                 // of the name (the root: the top file, line 0)
  std::vector<SettingsValue> values;      // in first-definition order; later definitions win
  std::vector<SettingsSection> sections;  // in first-definition order; repeats are merged

  const SettingsValue* find_value(std::string_view key) const;
  const SettingsSection* find_section(std::string_view name) const;
};

struct SettingsLimits {
  std::size_t max_file_size = 1024 * 1024;        // per file
  std::size_t max_total_size = 16 * 1024 * 1024;  // all files together
  std::size_t max_files = 256;                    // the top file and every include
  unsigned max_include_depth = 10;
  unsigned max_nesting = 32;   // sections within sections
  bool allow_includes = true;  // false: an include is an error (fuzzing)
};

struct SettingsParse {
  std::optional<SettingsSection> root;  // set only when errors is empty
  std::vector<ConfigError> errors;      // with file, line and column
};

// Reads FILE and everything it includes.
SettingsParse parse_settings_file(const std::filesystem::path& file, const SettingsLimits& limits = {});

// Parses text; source_name is used in positions, base_dir resolves relative includes.
SettingsParse parse_settings_text(std::string_view text, const std::string& source_name,
                                  const std::filesystem::path& base_dir, const SettingsLimits& limits = {});

}  // namespace cygnet::config
