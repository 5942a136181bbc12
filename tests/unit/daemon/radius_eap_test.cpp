// EAP over RADIUS, the pure parts (RFC 3579 §3.1: EAP-Message attributes of at most 253 bytes,
// concatenated in order; the MSK as MS-MPPE-Recv-Key || MS-MPPE-Send-Key).
#include "daemon/radius_eap.hpp"

#include <gtest/gtest.h>

namespace cygnet::daemon {
namespace {

Bytes numbered(std::size_t size) {
  Bytes out(size);
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<std::uint8_t>(i * 7);
  return out;
}

std::vector<std::size_t> sizes(const std::vector<ByteView>& values) {
  std::vector<std::size_t> out;
  for (ByteView v : values) out.push_back(v.size());
  return out;
}

TEST(RadiusEap, SplitsIntoAttributesOfAtMost253BytesAndJoinsBack) {
  EXPECT_TRUE(split_eap_message({}).empty());
  const Bytes small = numbered(4);
  EXPECT_EQ(sizes(split_eap_message(small)), std::vector<std::size_t>{4});
  const Bytes exact = numbered(253);
  EXPECT_EQ(sizes(split_eap_message(exact)), std::vector<std::size_t>{253});
  const Bytes one_over = numbered(254);
  EXPECT_EQ(sizes(split_eap_message(one_over)), (std::vector<std::size_t>{253, 1}));
  const Bytes large = numbered(1400);  // an EAP-TLS fragment
  const auto values = split_eap_message(large);
  EXPECT_EQ(sizes(values), (std::vector<std::size_t>{253, 253, 253, 253, 253, 135}));
  EXPECT_EQ(join_eap_message(values), large);
}

TEST(RadiusEap, MskIsRecvKeyThenSendKey) {
  const Bytes recv(16, 0x11);
  const Bytes send(16, 0x22);
  const crypto::SecureBytes msk = msk_from_mppe_keys(recv, send);
  ASSERT_EQ(msk.size(), 32u);
  EXPECT_EQ(msk.view()[0], 0x11);
  EXPECT_EQ(msk.view()[15], 0x11);
  EXPECT_EQ(msk.view()[16], 0x22);
  EXPECT_EQ(msk.view()[31], 0x22);
}

}  // namespace
}  // namespace cygnet::daemon
