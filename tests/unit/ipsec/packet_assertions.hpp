// GoogleTest assertions shared by the ESP and AH tests, parameterised by the decapsulation
// function under test.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <string>

#include "ipsec/drop_reason.hpp"
#include "unit/ipsec/test_packets.hpp"

namespace cygnet::test {

using Decapsulate = ipsec::PacketResult (*)(ipsec::SecurityAssociation&, ByteView, std::size_t, MutableByteView,
                                            TimePoint);

inline Processed decapsulate_with(Decapsulate decapsulate, ipsec::SecurityAssociation& sa, ByteView packet,
                                  std::size_t offset, TimePoint now) {
  return run_into_buffer(packet, [&](MutableByteView out) { return decapsulate(sa, packet, offset, out, now); });
}

// Decapsulates and expects a drop for `want`, counted exactly once and not as traffic.
inline ::testing::AssertionResult dropped_as_with(Decapsulate decapsulate, ipsec::SecurityAssociation& sa,
                                                  ByteView packet, std::size_t offset, ipsec::DropReason want,
                                                  TimePoint now) {
  const ipsec::DropCounters before = sa.drops();
  const std::uint64_t packets_before = sa.traffic().packets;
  Processed d = decapsulate_with(decapsulate, sa, packet, offset, now);
  if (d.result.ok) return ::testing::AssertionFailure() << "accepted; expected drop " << drop_reason_name(want);
  if (d.result.drop != want) {
    return ::testing::AssertionFailure() << "dropped as " << drop_reason_name(d.result.drop) << ", expected "
                                         << drop_reason_name(want);
  }
  if (sa.drops()[want] != before[want] + 1 || sa.drops().total() != before.total() + 1) {
    return ::testing::AssertionFailure() << "drop not counted exactly once under " << drop_reason_name(want);
  }
  if (sa.traffic().packets != packets_before) return ::testing::AssertionFailure() << "dropped packet counted as traffic";
  return ::testing::AssertionSuccess();
}

// Decapsulates and expects exactly `expected` back.
inline ::testing::AssertionResult decaps_to_with(Decapsulate decapsulate, ipsec::SecurityAssociation& sa,
                                                 ByteView packet, std::size_t offset, ByteView expected,
                                                 TimePoint now) {
  Processed d = decapsulate_with(decapsulate, sa, packet, offset, now);
  if (!d.result.ok) return ::testing::AssertionFailure() << "dropped: " << drop_reason_name(d.result.drop);
  if (d.result.length != expected.size()) {
    return ::testing::AssertionFailure() << "length " << d.result.length << ", expected " << expected.size();
  }
  if (!std::equal(d.bytes.begin(), d.bytes.end(), expected.begin(), expected.end())) {
    return ::testing::AssertionFailure() << "output differs:\n  got  " << to_hex(d.bytes) << "\n  want "
                                         << to_hex(expected);
  }
  return ::testing::AssertionSuccess();
}

// Test names from suite names such as "aes128-sha256": anything not alphanumeric becomes '_'.
inline std::string param_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string n = info.param;
  for (char& c : n) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0) c = '_';
  }
  return n;
}

}  // namespace cygnet::test
