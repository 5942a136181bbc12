// Small pieces shared by the status and stats renderings: durations and byte counts in words
// people read at a glance, and tolerant readers of the daemon's JSON. The readers never throw:
// cygnetd and cygnetctl may come from different builds, so a missing or odd field shows as "?"
// instead of aborting the whole listing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace cygnet::cli {

// "45s", "2m 05s", "1h 02m", "3d 04h". Negative values (an overdue rekey) show as "0s".
std::string format_duration(std::int64_t seconds);

// "840 B", "1.2 KiB", "1.2 MiB" … "EiB": binary units, one decimal.
std::string format_bytes(std::uint64_t bytes);
// format_bytes plus the exact count when a unit rounded it: "1.2 MiB (1258291 bytes)".
std::string format_bytes_exact(std::uint64_t bytes);

// object[key], or a null value when `object` is no object or lacks the key.
const nlohmann::json& member(const nlohmann::json& object, std::string_view key);
// A string member as is, a number or boolean as text, otherwise `fallback`.
std::string text_at(const nlohmann::json& object, std::string_view key,
                    std::string_view fallback = "?");
// An integer member (unsigned, or signed), nullopt otherwise (missing, null, text).
std::optional<std::int64_t> integer_at(const nlohmann::json& object, std::string_view key);
// A non-negative counter; 0 when missing or not a number.
std::uint64_t count_at(const nlohmann::json& object, std::string_view key);
// A boolean member; false when missing or not a boolean.
bool flag_at(const nlohmann::json& object, std::string_view key);
// The strings of an array member joined by `separator`, or `when_empty` for none or no array.
std::string joined(const nlohmann::json& object, std::string_view key, std::string_view separator,
                   std::string_view when_empty);
// An SPI in hex: a string member as the daemon sent it, a number formatted as 8 hex digits.
std::string spi_at(const nlohmann::json& object, std::string_view key);

}  // namespace cygnet::cli
