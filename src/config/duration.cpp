#include "config/duration.hpp"

#include <array>
#include <cstdint>

namespace cygnet::config {
namespace {

struct Unit {
  char suffix;
  std::int64_t seconds;
};
// Descending, so "1h30m" is read in order and "30m1h" is refused as a likely mistake.
constexpr std::array<Unit, 4> kUnits{{{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}}};

DurationParse failure(std::string message) { return DurationParse{std::nullopt, std::move(message)}; }

std::string in_quotes(std::string_view text) { return "'" + std::string(text) + "'"; }

}  // namespace

DurationParse duration_from_seconds(long long seconds) {
  if (seconds < 0) return failure("a duration cannot be negative");
  if (seconds > kMaxDuration.count()) return failure("duration longer than 100 years");
  return DurationParse{Seconds{seconds}, {}};
}

DurationParse parse_duration(std::string_view text) {
  if (text.empty()) return failure("empty duration (use e.g. \"30s\", \"15m\", \"4h\", \"1d\")");
  std::int64_t total = 0;
  std::size_t next_unit = 0;  // index into kUnits: later groups must use smaller units
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (text[pos] < '0' || text[pos] > '9') {
      if (text[pos] == '-') return failure("a duration cannot be negative");
      return failure("expected a number at " + in_quotes(text.substr(pos)) + " in " + in_quotes(text));
    }
    std::int64_t number = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      number = number * 10 + (text[pos] - '0');
      if (number > kMaxDuration.count()) return failure("duration longer than 100 years");
      ++pos;
    }
    if (pos == text.size()) {
      if (next_unit != 0) {
        return failure("missing unit after the last number in " + in_quotes(text));
      }
      total = number;  // a plain integer: seconds
      break;
    }
    const char suffix = text[pos++];
    std::size_t unit = 0;
    while (unit < kUnits.size() && kUnits[unit].suffix != suffix) ++unit;
    if (unit == kUnits.size()) {
      return failure("unknown unit '" + std::string(1, suffix) + "' in " + in_quotes(text) +
                     " (use s, m, h or d)");
    }
    if (unit < next_unit) {
      return failure("units must go from largest to smallest, each once, in " + in_quotes(text));
    }
    next_unit = unit + 1;
    if (number > (kMaxDuration.count() - total) / kUnits[unit].seconds) {
      return failure("duration longer than 100 years");
    }
    total += number * kUnits[unit].seconds;
  }
  return DurationParse{Seconds{total}, {}};
}

std::string format_duration(Seconds duration) {
  std::int64_t left = duration.count();
  if (left <= 0) return std::to_string(left) + "s";
  std::string out;
  for (const Unit& unit : kUnits) {
    if (left >= unit.seconds) {
      out += std::to_string(left / unit.seconds);
      out += unit.suffix;
      left %= unit.seconds;
    }
  }
  return out;
}

}  // namespace cygnet::config
