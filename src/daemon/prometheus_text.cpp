#include "daemon/prometheus_text.hpp"

#include <charconv>
#include <cmath>

namespace cygnet::daemon {

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string escape_help(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string format_sample_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[40];
  // The shortest text that reads back as the same double: 0.005, not 0.0050000000000000001.
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

void PrometheusText::family(std::string_view name, std::string_view type, std::string_view help) {
  text_ += "# HELP ";
  text_ += name;
  text_ += ' ';
  text_ += escape_help(help);
  text_ += "\n# TYPE ";
  text_ += name;
  text_ += ' ';
  text_ += type;
  text_ += '\n';
}

void PrometheusText::labels(const Labels& labels, std::string_view extra_name, std::string_view extra_value) {
  if (labels.empty() && extra_name.empty()) return;
  text_ += '{';
  bool first = true;
  auto one = [&](std::string_view name, std::string_view value) {
    if (!first) text_ += ',';
    first = false;
    text_ += name;
    text_ += "=\"";
    text_ += escape_label_value(value);
    text_ += '"';
  };
  for (const auto& [name, value] : labels) one(name, value);
  if (!extra_name.empty()) one(extra_name, extra_value);
  text_ += '}';
}

void PrometheusText::sample(std::string_view name, const Labels& l, double value) {
  text_ += name;
  labels(l);
  text_ += ' ';
  text_ += format_sample_value(value);
  text_ += '\n';
}

void PrometheusText::sample(std::string_view name, const Labels& l, std::uint64_t value) {
  text_ += name;
  labels(l);
  text_ += ' ';
  text_ += std::to_string(value);
  text_ += '\n';
}

void PrometheusText::histogram(std::string_view name, const Labels& l, std::span<const double> upper_bounds,
                               std::span<const std::uint64_t> cumulative, std::uint64_t count, double sum) {
  const std::string bucket = std::string(name) + "_bucket";
  for (std::size_t i = 0; i < upper_bounds.size() && i < cumulative.size(); ++i) {
    text_ += bucket;
    labels(l, "le", format_sample_value(upper_bounds[i]));
    text_ += ' ' + std::to_string(cumulative[i]) + '\n';
  }
  text_ += bucket;
  labels(l, "le", "+Inf");
  text_ += ' ' + std::to_string(count) + '\n';
  sample(std::string(name) + "_sum", l, sum);
  sample(std::string(name) + "_count", l, count);
}

}  // namespace cygnet::daemon
