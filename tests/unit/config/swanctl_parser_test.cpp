// strongSwan's settings syntax: sections, values, quoting, comments, includes, and errors with
// their file:line:column.
#include "config/swanctl_parser.hpp"

#include <gtest/gtest.h>

#include <string>

#include "unit/config/config_test_support.hpp"

namespace cygnet::config {
namespace {

using testing::TempDir;

SettingsSection parsed(std::string_view text, const std::filesystem::path& dir = "/nonexistent") {
  SettingsParse p = parse_settings_text(text, "s.conf", dir);
  EXPECT_TRUE(p.errors.empty()) << (p.errors.empty() ? "" : p.errors.front().to_string());
  return p.root.value_or(SettingsSection{});
}

std::string first_error(std::string_view text, const SettingsLimits& limits = {},
                        const std::filesystem::path& dir = "/nonexistent") {
  SettingsParse p = parse_settings_text(text, "s.conf", dir, limits);
  EXPECT_FALSE(p.root.has_value());
  return p.errors.empty() ? "<no error>" : p.errors.front().to_string();
}

TEST(SwanctlParser, SectionsValuesAndComments) {
  const SettingsSection root = parsed(
      "# a comment\n"
      "connections {\n"
      "  gw {   # trailing comment\n"
      "    remote_addrs = 192.0.2.2, 192.0.2.3   # comment after a value\n"
      "    empty =\n"
      "    children { net { local_ts = 10.0.0.0/24 } }\n"
      "  }\n"
      "}\n");
  const SettingsSection* gw = root.find_section("connections")->find_section("gw");
  ASSERT_NE(gw, nullptr);
  EXPECT_EQ(gw->find_value("remote_addrs")->value, "192.0.2.2, 192.0.2.3");
  EXPECT_EQ(gw->find_value("empty")->value, "");
  EXPECT_EQ(gw->find_value("remote_addrs")->where.to_string(), "s.conf:4:5");
  EXPECT_EQ(gw->where.to_string(), "s.conf:3:3");
  EXPECT_EQ(gw->find_section("children")->find_section("net")->find_value("local_ts")->value, "10.0.0.0/24");
}

TEST(SwanctlParser, QuotedStringsWithEscapesAndLineBreaks) {
  const SettingsSection root =
      parsed("a = \"x \\\"y\\\" # not a comment\\n\\tz\"\nb = \"two\nlines\" # c\nc = \"joined \\\nhere\"\n");
  EXPECT_EQ(root.find_value("a")->value, "x \"y\" # not a comment\n\tz");
  EXPECT_EQ(root.find_value("b")->value, "two\nlines");
  EXPECT_EQ(root.find_value("c")->value, "joined here");
}

TEST(SwanctlParser, LaterValueWinsAndSectionsMerge) {
  const SettingsSection root = parsed("s { a = 1\n b = 2 }\ns { a = 3\n c = 4 }\n");
  ASSERT_EQ(root.sections.size(), 1u);
  const SettingsSection& s = root.sections.front();
  EXPECT_EQ(s.find_value("a")->value, "3");
  EXPECT_EQ(s.find_value("a")->where.line, 3u);
  EXPECT_EQ(s.find_value("b")->value, "2");
  EXPECT_EQ(s.find_value("c")->value, "4");
  EXPECT_EQ(s.values.size(), 3u);
}

TEST(SwanctlParser, IncludesAreRelativeGlobbedAndLandInTheEnclosingSection) {
  TempDir dir;
  dir.write("conf.d/b.conf", "gw-b { version = 2 }\n");
  dir.write("conf.d/a.conf", "gw-a { version = 1 }\n");
  dir.write("conf.d/skip.txt", "not { parsed\n");
  dir.write("sub/secrets.conf", "ike-1 { secret = s }\n");
  const std::filesystem::path top = dir.write("swanctl.conf",
                                              "connections {\n  include conf.d/*.conf\n}\nsecrets { include "
                                              "\"sub/secrets.conf\" }\ninclude none/*.conf\n");
  SettingsParse p = parse_settings_file(top);
  ASSERT_TRUE(p.root) << p.errors.front().to_string();
  const SettingsSection* connections = p.root->find_section("connections");
  ASSERT_EQ(connections->sections.size(), 2u);
  EXPECT_EQ(connections->sections[0].name, "gw-a");  // glob order
  EXPECT_EQ(connections->sections[1].name, "gw-b");
  EXPECT_EQ(connections->sections[1].where.file, (dir.path() / "conf.d/b.conf").string());
  EXPECT_EQ(p.root->find_section("secrets")->find_section("ike-1")->find_value("secret")->value, "s");
}

TEST(SwanctlParser, ErrorsHavePositions) {
  EXPECT_EQ(first_error("a {\n  b = 1\n"), "s.conf:1:1: section 'a' is not closed ('}' missing)");
  EXPECT_EQ(first_error("a = 1\n}\n"), "s.conf:2:1: '}' without an open section");
  EXPECT_EQ(first_error("x {\n  = 5\n}"), "s.conf:2:3: expected a key or section name, found '='");
  EXPECT_EQ(first_error("x {\n  key value\n}"), "s.conf:2:7: expected '=' or '{' after 'key'");
  EXPECT_EQ(first_error("k = \"open\n\n"), "s.conf:1:5: quoted string is not closed");
  EXPECT_EQ(first_error("k = \"a\" b\n"), "s.conf:1:9: unexpected text after the closing quote");
  EXPECT_EQ(first_error("a : b { }\n"), "s.conf:1:3: section templates ('a : base {') are not supported");
  EXPECT_EQ(first_error("lonely\n"), "s.conf:1:1: 'lonely' is followed by neither '=' nor '{'");
}

TEST(SwanctlParser, IncludeErrorsCyclesAndDepth) {
  TempDir dir;
  dir.write("a.conf", "x = 1\ninclude b.conf\n");
  dir.write("b.conf", "include a.conf\n");
  SettingsParse cycle = parse_settings_file(dir.path() / "a.conf");
  ASSERT_FALSE(cycle.errors.empty());
  EXPECT_NE(cycle.errors.front().message.find("include cycle"), std::string::npos);
  EXPECT_EQ(cycle.errors.front().file, (dir.path() / "b.conf").string());
  EXPECT_EQ(cycle.errors.front().line, 1u);

  // A chain of distinct files deeper than the limit.
  for (int i = 0; i < 5; ++i)
    dir.write("d" + std::to_string(i) + ".conf", "include d" + std::to_string(i + 1) + ".conf\n");
  dir.write("d5.conf", "k = v\n");
  SettingsLimits shallow;
  shallow.max_include_depth = 3;
  SettingsParse deep = parse_settings_file(dir.path() / "d0.conf", shallow);
  ASSERT_FALSE(deep.errors.empty());
  EXPECT_NE(deep.errors.front().message.find("nested deeper than 3"), std::string::npos);
  EXPECT_TRUE(parse_settings_file(dir.path() / "d0.conf").root.has_value());

  SettingsParse missing = parse_settings_text("include nothere.conf\n", "s.conf", dir.path());
  ASSERT_FALSE(missing.errors.empty());
  EXPECT_EQ(missing.errors.front().line, 1u);
  EXPECT_NE(missing.errors.front().message.find("nothere.conf"), std::string::npos);

  SettingsLimits no_includes;
  no_includes.allow_includes = false;
  EXPECT_EQ(first_error("include x.conf\n", no_includes), "s.conf:1:1: 'include' is not allowed here");
}

TEST(SwanctlParser, SizeAndNestingLimits) {
  SettingsLimits small;
  small.max_file_size = 10;
  EXPECT_EQ(first_error("a = 0123456789\n", small), "s.conf: file is larger than 10 bytes");
  SettingsLimits flat;
  flat.max_nesting = 2;
  EXPECT_EQ(first_error("a { b { c { } } }", flat), "s.conf:1:9: sections nested deeper than 2");
  // Deep nesting within the default limit is fine; beyond it is an error, not a stack overflow.
  std::string deep;
  for (int i = 0; i < 10000; ++i) deep += "a {";
  EXPECT_NE(first_error(deep).find("nested deeper than"), std::string::npos);
}

}  // namespace
}  // namespace cygnet::config
