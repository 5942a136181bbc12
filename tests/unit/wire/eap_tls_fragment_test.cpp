// EAP-TLS type data (RFC 5216 §3.1): flags L/M/S, the optional TLS Message Length, TLS data.
#include "wire/eap_tls_fragment.hpp"

#include <gtest/gtest.h>

namespace cygnet::wire::eap {
namespace {

TEST(EapTlsFragment, StartIsTheSFlagAlone) {
  const auto start = parse_tls_fragment(from_hex("20"));
  ASSERT_TRUE(start) << start.failure.detail;
  EXPECT_TRUE(start.value->start);
  EXPECT_FALSE(start.value->message_length);
  EXPECT_TRUE(start.value->data.empty());
  EXPECT_FALSE(start.value->is_acknowledgement());
  EXPECT_EQ(serialize_tls_fragment(*start.value), from_hex("20"));
}

TEST(EapTlsFragment, FirstFragmentCarriesTheTotalLength) {
  // L and M set, TLS Message Length 0x00000005, three of the five bytes.
  const auto first = parse_tls_fragment(from_hex("c000000005160303"));
  ASSERT_TRUE(first) << first.failure.detail;
  EXPECT_TRUE(first.value->more_fragments);
  EXPECT_EQ(first.value->message_length, 5u);
  EXPECT_EQ(first.value->data, from_hex("160303"));
  EXPECT_EQ(serialize_tls_fragment(*first.value), from_hex("c000000005160303"));
}

TEST(EapTlsFragment, EmptyFlagsAndNoDataIsAnAcknowledgement) {
  const auto ack = parse_tls_fragment(from_hex("00"));
  ASSERT_TRUE(ack);
  EXPECT_TRUE(ack.value->is_acknowledgement());
  EXPECT_EQ(serialize_tls_fragment(TlsFragment{}), from_hex("00"));
}

TEST(EapTlsFragment, ReservedFlagBitsAreIgnored) {
  const auto f = parse_tls_fragment(from_hex("1f16"));
  ASSERT_TRUE(f);
  EXPECT_FALSE(f.value->start || f.value->more_fragments || f.value->message_length);
  EXPECT_EQ(f.value->data, from_hex("16"));
}

TEST(EapTlsFragment, MalformedTypeDataIsRefusedWithTheReason) {
  EXPECT_EQ(parse_tls_fragment({}).failure.detail, "EAP-TLS packet without flags");
  EXPECT_EQ(parse_tls_fragment(from_hex("80000001")).failure.detail,
            "EAP-TLS flag L set but the TLS Message Length is truncated");
  // A length smaller than the data already in this one fragment cannot be right.
  EXPECT_EQ(parse_tls_fragment(from_hex("80000000011616")).failure.detail,
            "EAP-TLS Message Length 1 < the 2 bytes of this fragment");
}

}  // namespace
}  // namespace cygnet::wire::eap
