// The Prometheus text exposition format (version 0.0.4), written exactly: one # HELP and # TYPE
// line per family, then its samples; label values escaped (backslash, quote, newline), HELP text
// escaped (backslash, newline), histograms as _bucket{le=...} (cumulative, ending in +Inf), _sum and _count.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cygnet::daemon {

inline constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

using Labels = std::vector<std::pair<std::string_view, std::string>>;

class PrometheusText {
 public:
  // Starts a family; `type` is "counter", "gauge" or "histogram".
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, const Labels& labels, double value);
  void sample(std::string_view name, const Labels& labels, std::uint64_t value);
  // A histogram's samples: `upper_bounds[i]` with cumulative counts `cumulative[i]`, then +Inf = count.
  void histogram(std::string_view name, const Labels& labels, std::span<const double> upper_bounds,
                 std::span<const std::uint64_t> cumulative, std::uint64_t count, double sum);

  const std::string& text() const { return text_; }
  std::string take() { return std::move(text_); }

 private:
  void labels(const Labels& labels, std::string_view extra_name = {}, std::string_view extra_value = {});
  std::string text_;
};

std::string escape_label_value(std::string_view value);
std::string escape_help(std::string_view help);
// Go's strconv.FormatFloat('g')-like: integers without a fraction, "+Inf", "-Inf", "NaN".
std::string format_sample_value(double value);

}  // namespace cygnet::daemon
