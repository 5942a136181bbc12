#include "cli/text_format.hpp"

#include <gtest/gtest.h>

namespace cygnet::cli {
namespace {

using json = nlohmann::json;

TEST(FormatDuration, PicksTheTwoLargestUnits) {
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(45), "45s");
  EXPECT_EQ(format_duration(60), "1m 00s");
  EXPECT_EQ(format_duration(125), "2m 05s");
  EXPECT_EQ(format_duration(3600 + 2 * 60 + 59), "1h 02m");
  EXPECT_EQ(format_duration(13000), "3h 36m");
  EXPECT_EQ(format_duration(3 * 86400 + 4 * 3600 + 5), "3d 04h");
  EXPECT_EQ(format_duration(-5), "0s");  // an overdue rekey
}

TEST(FormatBytes, UsesBinaryUnitsWithOneDecimal) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(840), "840 B");
  EXPECT_EQ(format_bytes(1023), "1023 B");
  EXPECT_EQ(format_bytes(1024), "1.0 KiB");
  EXPECT_EQ(format_bytes(1258291), "1.2 MiB");
  EXPECT_EQ(format_bytes(1024 * 1024 - 1), "1.0 MiB");  // never "1024.0 KiB"
  EXPECT_EQ(format_bytes(5ULL << 30), "5.0 GiB");
  EXPECT_EQ(format_bytes(UINT64_MAX), "16.0 EiB");
  EXPECT_EQ(format_bytes_exact(840), "840 B");
  EXPECT_EQ(format_bytes_exact(1258291), "1.2 MiB (1258291 bytes)");
}

TEST(JsonReaders, TolerateMissingAndMistypedFields) {
  const json object = {{"name", "site-b"}, {"id", 7},      {"big", UINT64_MAX},
                       {"neg", -3},        {"flag", true}, {"list", {"a", "b"}},
                       {"spi", "c1a2b3c4"}, {"spi_number", 0xc1a2b3c4U}, {"nothing", nullptr}};
  EXPECT_EQ(text_at(object, "name"), "site-b");
  EXPECT_EQ(text_at(object, "id"), "7");
  EXPECT_EQ(text_at(object, "missing"), "?");
  EXPECT_EQ(text_at(object, "nothing", "-"), "-");
  EXPECT_EQ(text_at(json::array(), "name"), "?");
  EXPECT_EQ(integer_at(object, "id"), 7);
  EXPECT_EQ(integer_at(object, "neg"), -3);
  EXPECT_EQ(integer_at(object, "nothing"), std::nullopt);
  EXPECT_EQ(integer_at(object, "name"), std::nullopt);
  EXPECT_EQ(count_at(object, "big"), UINT64_MAX);
  EXPECT_EQ(count_at(object, "neg"), 0U);
  EXPECT_EQ(count_at(object, "name"), 0U);
  EXPECT_TRUE(flag_at(object, "flag"));
  EXPECT_FALSE(flag_at(object, "id"));
  EXPECT_EQ(joined(object, "list", ", ", "%any"), "a, b");
  EXPECT_EQ(joined(object, "missing", ", ", "%any"), "%any");
  EXPECT_EQ(spi_at(object, "spi"), "c1a2b3c4");
  EXPECT_EQ(spi_at(object, "spi_number"), "c1a2b3c4");
  EXPECT_EQ(spi_at(object, "missing"), "?");
  EXPECT_TRUE(member(object, "missing").is_null());
  EXPECT_TRUE(member(json(5), "name").is_null());
}

}  // namespace
}  // namespace cygnet::cli
