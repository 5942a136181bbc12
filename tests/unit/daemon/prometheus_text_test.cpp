// The Prometheus text exposition format, byte for byte: escaping, value formatting, histograms.
#include "daemon/prometheus_text.hpp"

#include <gtest/gtest.h>

#include <array>
#include <limits>

namespace cygnet::daemon {
namespace {

TEST(PrometheusText, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(escape_label_value(R"(a\b"c)"
                               "\n"
                               "d"),
            R"(a\\b\"c\nd)");
  EXPECT_EQ(escape_label_value("plain site-b/net"), "plain site-b/net");
  // HELP escapes backslash and newline only: a quote stays as it is.
  EXPECT_EQ(escape_help("say \"hi\"\\\n"), "say \"hi\"\\\\\\n");
}

TEST(PrometheusText, FormatsValuesAsPrometheusReadsThem) {
  EXPECT_EQ(format_sample_value(0.005), "0.005");
  EXPECT_EQ(format_sample_value(1.0), "1");
  EXPECT_EQ(format_sample_value(30.0), "30");
  EXPECT_EQ(format_sample_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_sample_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_sample_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(PrometheusText, FamilyAndSamplesWithEscapedLabels) {
  PrometheusText out;
  out.family("cygnet_x_total", "counter", "What x counts\nacross lines");
  out.sample("cygnet_x_total", {{"connection", "we\"ird\\name"}, {"direction", "in"}}, std::uint64_t{42});
  out.sample("cygnet_x_total", {}, std::uint64_t{18446744073709551615ULL});
  EXPECT_EQ(out.text(),
            "# HELP cygnet_x_total What x counts\\nacross lines\n"
            "# TYPE cygnet_x_total counter\n"
            "cygnet_x_total{connection=\"we\\\"ird\\\\name\",direction=\"in\"} 42\n"
            "cygnet_x_total 18446744073709551615\n");
}

TEST(PrometheusText, HistogramHasCumulativeBucketsInfSumAndCount) {
  PrometheusText out;
  const std::array<double, 3> bounds{0.005, 0.5, 10};
  const std::array<std::uint64_t, 3> cumulative{1, 3, 3};
  out.family("cygnet_h_seconds", "histogram", "h");
  out.histogram("cygnet_h_seconds", {{"connection", "a"}}, bounds, cumulative, 4, 12.25);
  EXPECT_EQ(out.text(),
            "# HELP cygnet_h_seconds h\n"
            "# TYPE cygnet_h_seconds histogram\n"
            "cygnet_h_seconds_bucket{connection=\"a\",le=\"0.005\"} 1\n"
            "cygnet_h_seconds_bucket{connection=\"a\",le=\"0.5\"} 3\n"
            "cygnet_h_seconds_bucket{connection=\"a\",le=\"10\"} 3\n"
            "cygnet_h_seconds_bucket{connection=\"a\",le=\"+Inf\"} 4\n"
            "cygnet_h_seconds_sum{connection=\"a\"} 12.25\n"
            "cygnet_h_seconds_count{connection=\"a\"} 4\n");
}

TEST(PrometheusText, HistogramWithoutLabels) {
  PrometheusText out;
  const std::array<double, 1> bounds{1};
  const std::array<std::uint64_t, 1> cumulative{0};
  out.histogram("h", {}, bounds, cumulative, 0, 0);
  EXPECT_EQ(out.text(), "h_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 0\nh_sum 0\nh_count 0\n");
}

}  // namespace
}  // namespace cygnet::daemon
