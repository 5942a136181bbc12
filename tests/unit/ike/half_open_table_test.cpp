#include "ike/half_open_table.hpp"

#include <gtest/gtest.h>

namespace cygnet::ike {
namespace {

wire::IpAddress ip(std::string_view s) {
  return *wire::IpAddress::parse(s);
}

TEST(HalfOpenTable, CapsGlobalAndPerSource) {
  HalfOpenTable t(4, 2);
  EXPECT_EQ(t.admits(ip("203.0.113.1")), HalfOpenVerdict::Admit);
  t.add(ip("203.0.113.1"));
  t.add(ip("203.0.113.1"));
  EXPECT_EQ(t.admits(ip("203.0.113.1")), HalfOpenVerdict::PerSourceCap);
  EXPECT_EQ(t.admits(ip("2001:db8::1")), HalfOpenVerdict::Admit);
  t.add(ip("2001:db8::1"));
  t.add(ip("203.0.113.2"));
  EXPECT_EQ(t.admits(ip("203.0.113.3")), HalfOpenVerdict::GlobalCap);
  EXPECT_EQ(t.total(), 4u);
  EXPECT_EQ(t.from(ip("203.0.113.1")), 2u);
}

TEST(HalfOpenTable, EntriesDisappearAtZeroAndUnknownRemovalsAreIgnored) {
  HalfOpenTable t(0, 0);  // no caps
  for (int i = 0; i < 100; ++i) t.add(ip("198.51.100.7"));
  EXPECT_EQ(t.admits(ip("198.51.100.7")), HalfOpenVerdict::Admit);
  t.remove(ip("192.0.2.1"));
  EXPECT_EQ(t.total(), 100u);
  for (int i = 0; i < 100; ++i) t.remove(ip("198.51.100.7"));
  EXPECT_EQ(t.total(), 0u);
  EXPECT_EQ(t.sources(), 0u);
  t.remove(ip("198.51.100.7"));
  EXPECT_EQ(t.total(), 0u);
}

}  // namespace
}  // namespace cygnet::ike
