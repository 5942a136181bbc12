#include "cli/text_format.hpp"

#include <array>
#include <cstdio>

namespace cygnet::cli {
namespace {

using json = nlohmann::json;

std::string two_digits(std::int64_t value) {
  return (value < 10 ? "0" : "") + std::to_string(value);
}

}  // namespace

std::string format_duration(std::int64_t seconds) {
  if (seconds < 0) seconds = 0;
  constexpr std::int64_t kMinute = 60;
  constexpr std::int64_t kHour = 60 * kMinute;
  constexpr std::int64_t kDay = 24 * kHour;
  if (seconds < kMinute) return std::to_string(seconds) + "s";
  if (seconds < kHour) {
    return std::to_string(seconds / kMinute) + "m " + two_digits(seconds % kMinute) + "s";
  }
  if (seconds < kDay) {
    return std::to_string(seconds / kHour) + "h " + two_digits(seconds % kHour / kMinute) + "m";
  }
  return std::to_string(seconds / kDay) + "d " + two_digits(seconds % kDay / kHour) + "h";
}

std::string format_bytes(std::uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  static constexpr std::array<const char*, 6> kUnits = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double value = static_cast<double>(bytes) / 1024.0;
  std::size_t unit = 0;
  // Move up a unit before one decimal would round to "1024.0".
  while (value >= 1023.95 && unit + 1 < kUnits.size()) {
    value /= 1024.0;
    ++unit;
  }
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), "%.1f %s", value, kUnits[unit]);
  return text.data();
}

std::string format_bytes_exact(std::uint64_t bytes) {
  if (bytes < 1024) return format_bytes(bytes);
  return format_bytes(bytes) + " (" + std::to_string(bytes) + " bytes)";
}

const json& member(const json& object, std::string_view key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  const auto found = object.find(key);
  return found == object.end() ? kNull : *found;
}

std::string text_at(const json& object, std::string_view key, std::string_view fallback) {
  const json& value = member(object, key);
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number() || value.is_boolean()) return value.dump();
  return std::string(fallback);
}

std::optional<std::int64_t> integer_at(const json& object, std::string_view key) {
  const json& value = member(object, key);
  if (value.is_number_unsigned()) {
    const auto unsigned_value = value.get<std::uint64_t>();
    if (unsigned_value > static_cast<std::uint64_t>(INT64_MAX)) return INT64_MAX;
    return static_cast<std::int64_t>(unsigned_value);
  }
  if (value.is_number_integer()) return value.get<std::int64_t>();
  return std::nullopt;
}

std::uint64_t count_at(const json& object, std::string_view key) {
  const json& value = member(object, key);
  if (value.is_number_unsigned()) return value.get<std::uint64_t>();
  if (value.is_number_integer() && value.get<std::int64_t>() > 0) {
    return static_cast<std::uint64_t>(value.get<std::int64_t>());
  }
  return 0;
}

bool flag_at(const json& object, std::string_view key) {
  const json& value = member(object, key);
  return value.is_boolean() && value.get<bool>();
}

std::string joined(const json& object, std::string_view key, std::string_view separator,
                   std::string_view when_empty) {
  const json& list = member(object, key);
  std::string text;
  if (list.is_array()) {
    for (const json& entry : list) {
      if (!text.empty()) text += separator;
      text += entry.is_string() ? entry.get<std::string>() : entry.dump();
    }
  }
  return text.empty() ? std::string(when_empty) : text;
}

std::string spi_at(const json& object, std::string_view key) {
  const json& value = member(object, key);
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_unsigned() || (value.is_number_integer() && value.get<std::int64_t>() >= 0)) {
    std::array<char, 24> text{};
    std::snprintf(text.data(), text.size(), "%08llx",
                  static_cast<unsigned long long>(value.get<std::uint64_t>()));
    return text.data();
  }
  return "?";
}

}  // namespace cygnet::cli
