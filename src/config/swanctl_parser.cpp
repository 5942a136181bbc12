#include "config/swanctl_parser.hpp"

#include <glob.h>

#include <algorithm>
#include <system_error>
#include <utility>

#include "config/file_reading.hpp"

namespace cygnet::config {

std::string SettingsPosition::to_string() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

const SettingsValue* SettingsSection::find_value(std::string_view key) const {
  for (const SettingsValue& v : values)
    if (v.key == key) return &v;
  return nullptr;
}

const SettingsSection* SettingsSection::find_section(std::string_view wanted) const {
  for (const SettingsSection& s : sections)
    if (s.name == wanted) return &s;
  return nullptr;
}

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}
// Characters that end a key or section name.
bool ends_name(char c) {
  return is_blank(c) || c == '\n' || c == '{' || c == '}' || c == '=' || c == '#' || c == '"';
}
bool has_glob_characters(std::string_view s) {
  return s.find_first_of("*?[") != std::string_view::npos;
}

// One file's text with the reading position.
struct Cursor {
  std::string_view text;
  std::string file;
  std::filesystem::path dir;  // for relative includes
  std::size_t pos = 0;
  std::uint32_t line = 1;
  std::uint32_t column = 1;

  bool at_end() const { return pos >= text.size(); }
  char peek() const { return text[pos]; }
  void advance() {
    if (text[pos] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
    ++pos;
  }
  SettingsPosition here() const { return SettingsPosition{file, line, column}; }
  void skip_blanks() {
    while (!at_end() && is_blank(peek())) advance();
  }
  void skip_comment() {
    while (!at_end() && peek() != '\n') advance();
  }
  // Blanks, newlines and comments.
  void skip_space() {
    while (!at_end()) {
      if (is_blank(peek()) || peek() == '\n') {
        advance();
      } else if (peek() == '#') {
        skip_comment();
      } else {
        break;
      }
    }
  }
};

class Parser {
 public:
  explicit Parser(const SettingsLimits& limits) : limits_(limits) {}

  // Parses one file's text into `into`; false on the first error (recorded).
  bool parse_text(std::string_view text, const std::string& name, const std::filesystem::path& dir,
                  SettingsSection& into) {
    if (text.size() > limits_.max_file_size)
      return fail(SettingsPosition{name, 0, 0},
                  "file is larger than " + std::to_string(limits_.max_file_size) + " bytes");
    total_size_ += text.size();
    if (total_size_ > limits_.max_total_size)
      return fail(SettingsPosition{name, 0, 0},
                  "the included files together exceed " + std::to_string(limits_.max_total_size) + " bytes");
    Cursor cursor{text, name, dir};
    return parse_body(cursor, into, 0, nullptr);
  }

  bool parse_file(const std::filesystem::path& path, SettingsSection& into,
                  const SettingsPosition* included_at) {
    std::error_code ec;
    std::filesystem::path canonical = std::filesystem::weakly_canonical(path, ec);
    if (ec) canonical = path;
    const SettingsPosition where = included_at ? *included_at : SettingsPosition{path.string(), 0, 0};
    if (std::find(open_files_.begin(), open_files_.end(), canonical) != open_files_.end())
      return fail(where, "include cycle: '" + path.string() + "' is already being read");
    if (open_files_.size() > limits_.max_include_depth)
      return fail(where, "includes nested deeper than " + std::to_string(limits_.max_include_depth));
    if (++file_count_ > limits_.max_files)
      return fail(where, "more than " + std::to_string(limits_.max_files) + " files included");
    if (std::filesystem::is_directory(path, ec)) return fail(where, "'" + path.string() + "' is a directory");
    const FileRead read = read_whole_file(path, limits_.max_file_size);
    if (!read.contents) return fail(where, read.error);
    open_files_.push_back(canonical);
    const bool ok = parse_text(as_text(*read.contents), path.string(), path.parent_path(), into);
    open_files_.pop_back();
    return ok;
  }

  std::vector<ConfigError> take_errors() { return std::move(errors_); }

 private:
  bool fail(const SettingsPosition& at, std::string message) {
    errors_.push_back(ConfigError{at.file, at.line, at.column, std::move(message)});
    return false;
  }

  // Section contents up to the matching '}' (consumed) or, for a file's top level (open == nullptr),
  // the end of the text.
  bool parse_body(Cursor& c, SettingsSection& section, unsigned depth, const SettingsPosition* open) {
    for (;;) {
      c.skip_space();
      if (c.at_end()) {
        if (open) return fail(*open, "section '" + section.name + "' is not closed ('}' missing)");
        return true;
      }
      if (c.peek() == '}') {
        if (!open) return fail(c.here(), "'}' without an open section");
        c.advance();
        return true;
      }
      const SettingsPosition name_at = c.here();
      std::string name;
      while (!c.at_end() && !ends_name(c.peek())) {
        name += c.peek();
        c.advance();
      }
      if (name.empty())
        return fail(name_at, std::string("expected a key or section name, found '") + c.peek() + "'");
      c.skip_blanks();
      if (name == "include" && !c.at_end() && c.peek() != '=' && c.peek() != '{' && c.peek() != '\n' &&
          c.peek() != '#') {
        if (!parse_include(c, section, name_at)) return false;
        continue;
      }
      c.skip_space();  // "name\n{" is allowed
      if (c.at_end()) return fail(name_at, "'" + name + "' is followed by neither '=' nor '{'");
      if (c.peek() == '=') {
        c.advance();
        std::string value;
        if (!parse_value(c, value)) return false;
        set_value(section, SettingsValue{name, std::move(value), name_at});
      } else if (c.peek() == '{') {
        if (depth + 1 > limits_.max_nesting)
          return fail(name_at, "sections nested deeper than " + std::to_string(limits_.max_nesting));
        c.advance();
        SettingsSection& child = child_section(section, name, name_at);
        if (!parse_body(c, child, depth + 1, &name_at)) return false;
      } else if (c.peek() == ':') {
        return fail(c.here(), "section templates ('" + name + " : base {') are not supported");
      } else {
        return fail(c.here(), "expected '=' or '{' after '" + name + "'");
      }
    }
  }

  // After '=': a quoted string, or the rest of the line up to a comment or '}' (trimmed).
  bool parse_value(Cursor& c, std::string& value) {
    c.skip_blanks();
    if (!c.at_end() && c.peek() == '"') {
      if (!parse_quoted(c, value)) return false;
      c.skip_blanks();
      if (!c.at_end() && c.peek() != '\n' && c.peek() != '#' && c.peek() != '}')
        return fail(c.here(), "unexpected text after the closing quote");
      return true;
    }
    while (!c.at_end() && c.peek() != '\n' && c.peek() != '#' && c.peek() != '}') {
      value += c.peek();
      c.advance();
    }
    while (!value.empty() && is_blank(value.back())) value.pop_back();
    return true;
  }

  bool parse_quoted(Cursor& c, std::string& value) {
    const SettingsPosition open = c.here();
    c.advance();  // the opening quote
    while (!c.at_end()) {
      const char ch = c.peek();
      if (ch == '"') {
        c.advance();
        return true;
      }
      if (ch == '\\') {
        c.advance();
        if (c.at_end()) break;
        const char escaped = c.peek();
        switch (escaped) {
          case 'n': value += '\n'; break;
          case 't': value += '\t'; break;
          case 'r': value += '\r'; break;
          case '"': value += '"'; break;
          case '\\': value += '\\'; break;
          case '\n': break;  // a line continuation
          default: value += '\\'; value += escaped;
        }
        c.advance();
        continue;
      }
      value += ch;
      c.advance();
    }
    return fail(open, "quoted string is not closed");
  }

  bool parse_include(Cursor& c, SettingsSection& section, const SettingsPosition& at) {
    std::string pattern;
    if (!parse_value(c, pattern)) return false;
    if (pattern.empty()) return fail(at, "'include' needs a file or pattern");
    if (!limits_.allow_includes) return fail(at, "'include' is not allowed here");
    std::filesystem::path full = pattern;
    if (full.is_relative()) full = c.dir / full;
    std::vector<std::filesystem::path> matches;
    if (has_glob_characters(pattern)) {
      glob_t found{};
      const int rc = ::glob(full.c_str(), 0, nullptr, &found);
      if (rc == 0) {
        for (std::size_t i = 0; i < found.gl_pathc; ++i) matches.emplace_back(found.gl_pathv[i]);
      }
      ::globfree(&found);
      if (rc != 0 && rc != GLOB_NOMATCH)
        return fail(at, "cannot expand include pattern '" + full.string() + "'");
      // A pattern that matches nothing is fine (swanctl's own `include conf.d/*.conf`).
    } else {
      matches.push_back(full);
    }
    for (const std::filesystem::path& file : matches)
      if (!parse_file(file, section, &at)) return false;
    return true;
  }

  static void set_value(SettingsSection& section, SettingsValue value) {
    for (SettingsValue& existing : section.values) {
      if (existing.key == value.key) {
        existing = std::move(value);  // the later definition wins
        return;
      }
    }
    section.values.push_back(std::move(value));
  }

  static SettingsSection& child_section(SettingsSection& section, const std::string& name,
                                        const SettingsPosition& at) {
    for (SettingsSection& existing : section.sections)
      if (existing.name == name) return existing;  // merged
    section.sections.push_back(SettingsSection{name, at, {}, {}});
    return section.sections.back();
  }

  const SettingsLimits& limits_;
  std::vector<ConfigError> errors_;
  std::vector<std::filesystem::path> open_files_;
  std::size_t file_count_ = 0;
  std::size_t total_size_ = 0;
};

SettingsParse finish(Parser& parser, SettingsSection root, bool ok) {
  SettingsParse result;
  result.errors = parser.take_errors();
  if (ok && result.errors.empty()) result.root = std::move(root);
  return result;
}

}  // namespace

SettingsParse parse_settings_file(const std::filesystem::path& file, const SettingsLimits& limits) {
  Parser parser(limits);
  SettingsSection root{"", SettingsPosition{file.string(), 0, 0}, {}, {}};
  const bool ok = parser.parse_file(file, root, nullptr);
  return finish(parser, std::move(root), ok);
}

SettingsParse parse_settings_text(std::string_view text, const std::string& source_name,
                                  const std::filesystem::path& base_dir, const SettingsLimits& limits) {
  Parser parser(limits);
  SettingsSection root{"", SettingsPosition{source_name, 0, 0}, {}, {}};
  const bool ok = parser.parse_text(text, source_name, base_dir, root);
  return finish(parser, std::move(root), ok);
}

}  // namespace cygnet::config
