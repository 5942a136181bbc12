// EAP-TLS fragmentation and reassembly (RFC 5216 §2.1.5, src/ike/eap_tls_fragmentation.hpp):
// flights split at the fragment size with the total length on the first fragment, put back
// together, and every misbehaviour of a sender refused with the numbers in the reason.
#include "ike/eap_tls_fragmentation.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace cygnet::ike {
namespace {

using wire::eap::TlsFragment;
using Kind = EapTlsReassembler::Outcome::Kind;

Bytes message_of(std::size_t n) {
  Bytes m(n);
  for (std::size_t i = 0; i < n; ++i) m[i] = static_cast<std::uint8_t>(i * 7 + 1);
  return m;
}

std::vector<TlsFragment> fragments_of(const Bytes& message, std::size_t size) {
  EapTlsFragmenter fragmenter(size);
  std::vector<TlsFragment> out{fragmenter.begin(message)};
  while (auto next = fragmenter.next()) out.push_back(std::move(*next));
  return out;
}

TlsFragment fragment(std::optional<std::uint32_t> length, bool more, Bytes data) {
  TlsFragment f;
  f.message_length = length;
  f.more_fragments = more;
  f.data = std::move(data);
  return f;
}

TEST(EapTlsFragmenter, SplitsAtTheFragmentSizeWithTheLengthOnTheFirstFragmentOnly) {
  const Bytes message = message_of(2500);
  const auto fragments = fragments_of(message, 1024);
  ASSERT_EQ(fragments.size(), 3u);
  EXPECT_EQ(fragments[0].message_length, 2500u);
  EXPECT_FALSE(fragments[1].message_length);
  EXPECT_FALSE(fragments[2].message_length);
  EXPECT_TRUE(fragments[0].more_fragments && fragments[1].more_fragments);
  EXPECT_FALSE(fragments[2].more_fragments);
  EXPECT_EQ(fragments[0].data.size(), 1024u);
  EXPECT_EQ(fragments[1].data.size(), 1024u);
  EXPECT_EQ(fragments[2].data.size(), 452u);
}

TEST(EapTlsFragmenter, AMessageThatFitsIsOneFragment) {
  const auto fragments = fragments_of(message_of(1024), 1024);
  ASSERT_EQ(fragments.size(), 1u);
  EXPECT_FALSE(fragments[0].more_fragments);
  EXPECT_EQ(fragments[0].message_length, 1024u);
}

TEST(EapTlsReassembler, PutsFragmentsBackTogether) {
  const Bytes message = message_of(5000);
  EapTlsReassembler reassembler;
  const auto fragments = fragments_of(message, 700);
  for (std::size_t i = 0; i + 1 < fragments.size(); ++i) {
    EXPECT_EQ(reassembler.add(fragments[i]).kind, Kind::NeedMore) << i;
    EXPECT_TRUE(reassembler.in_progress());
  }
  const auto done = reassembler.add(fragments.back());
  ASSERT_EQ(done.kind, Kind::Complete) << done.error;
  EXPECT_EQ(done.message, message);
  EXPECT_FALSE(reassembler.in_progress());
}

TEST(EapTlsReassembler, UnfragmentedMessageNeedsNoLength) {
  EapTlsReassembler reassembler;
  const auto done = reassembler.add(fragment(std::nullopt, false, message_of(10)));
  ASSERT_EQ(done.kind, Kind::Complete);
  EXPECT_EQ(done.message, message_of(10));
}

TEST(EapTlsReassembler, OversizedTotalIsRefusedBeforeAnythingIsBuffered) {
  EapTlsReassembler reassembler(4096);
  const auto refused = reassembler.add(fragment(4097, true, message_of(100)));
  EXPECT_EQ(refused.kind, Kind::Error);
  EXPECT_EQ(refused.error, "EAP-TLS message of 4097 bytes exceeds the limit of 4096");
  EXPECT_FALSE(reassembler.in_progress());
  // The default bound: a peer announcing 4 GiB is refused just the same.
  EapTlsReassembler defaults;
  EXPECT_EQ(defaults.add(fragment(0xffffffffu, true, message_of(1))).kind, Kind::Error);
}

TEST(EapTlsReassembler, FragmentsBeyondTheAnnouncedLengthAreRefused) {
  EapTlsReassembler reassembler;
  EXPECT_EQ(reassembler.add(fragment(1000, true, message_of(600))).kind, Kind::NeedMore);
  const auto refused = reassembler.add(fragment(std::nullopt, false, message_of(401)));
  EXPECT_EQ(refused.kind, Kind::Error);
  EXPECT_EQ(refused.error, "EAP-TLS fragments exceed the announced 1000 bytes");
}

TEST(EapTlsReassembler, OutOfOrderFragmentOfAnotherMessageIsRefused) {
  // A fragment announcing a different total arrives in the middle of a message.
  EapTlsReassembler reassembler;
  EXPECT_EQ(reassembler.add(fragment(3000, true, message_of(1000))).kind, Kind::NeedMore);
  const auto refused = reassembler.add(fragment(2000, true, message_of(1000)));
  EXPECT_EQ(refused.kind, Kind::Error);
  EXPECT_EQ(refused.error, "EAP-TLS fragment announces 2000 bytes in a message of 3000 (out of order)");
}

TEST(EapTlsReassembler, DuplicateFragmentOverrunsTheMessageAndIsRefused) {
  // The second fragment sent twice: the third no longer fits, the message cannot complete.
  const auto fragments = fragments_of(message_of(2500), 1024);
  EapTlsReassembler reassembler;
  EXPECT_EQ(reassembler.add(fragments[0]).kind, Kind::NeedMore);
  EXPECT_EQ(reassembler.add(fragments[1]).kind, Kind::NeedMore);
  const auto refused = reassembler.add(fragments[1]);
  EXPECT_EQ(refused.kind, Kind::Error);
  EXPECT_EQ(refused.error, "EAP-TLS fragments exceed the announced 2500 bytes");
}

TEST(EapTlsReassembler, LastFragmentShortOfTheTotalIsRefused) {
  EapTlsReassembler reassembler;
  EXPECT_EQ(reassembler.add(fragment(1000, true, message_of(500))).kind, Kind::NeedMore);
  const auto refused = reassembler.add(fragment(std::nullopt, false, message_of(100)));
  EXPECT_EQ(refused.kind, Kind::Error);
  EXPECT_EQ(refused.error, "last EAP-TLS fragment leaves the message at 600 of 1000 bytes");
}

TEST(EapTlsReassembler, FirstFragmentWithoutLengthIsRefused) {
  EapTlsReassembler reassembler;
  const auto refused = reassembler.add(fragment(std::nullopt, true, message_of(100)));
  EXPECT_EQ(refused.kind, Kind::Error);
  EXPECT_EQ(refused.error, "first EAP-TLS fragment without the TLS Message Length (flag L)");
}

TEST(EapTlsReassembler, FragmentAfterCompletionStartsANewMessageNotAnOverrun) {
  // After a complete message the reassembler holds nothing: a stray continuation without L is
  // refused as a first fragment, so nothing of the finished message can be extended.
  EapTlsReassembler reassembler;
  EXPECT_EQ(reassembler.add(fragment(4, false, message_of(4))).kind, Kind::Complete);
  EXPECT_EQ(reassembler.add(fragment(std::nullopt, true, message_of(4))).kind, Kind::Error);
  EXPECT_FALSE(reassembler.in_progress());
}

TEST(EapTlsReassembler, StartInTheMiddleIsRefused) {
  EapTlsReassembler reassembler;
  EXPECT_EQ(reassembler.add(fragment(100, true, message_of(50))).kind, Kind::NeedMore);
  TlsFragment start;
  start.start = true;
  EXPECT_EQ(reassembler.add(start).error, "EAP-TLS Start in the middle of a fragmented message");
}

}  // namespace
}  // namespace cygnet::ike
