#include "wire/byte_reader.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace cygnet::wire {
namespace {

const Bytes kSample = from_hex("01 0203 04050607 08090a0b0c0d0e0f 1011");

TEST(ByteReader, ReadsBigEndianValuesInOrder) {
  ByteReader r(kSample);
  EXPECT_EQ(r.u8(), 0x01);
  EXPECT_EQ(r.u16(), 0x0203);
  EXPECT_EQ(r.u32(), 0x04050607u);
  EXPECT_EQ(r.u64(), 0x08090a0b0c0d0e0full);
  EXPECT_EQ(r.offset(), 15u);
  EXPECT_EQ(r.remaining(), 2u);
  auto tail = r.bytes(2);
  ASSERT_TRUE(tail.has_value());
  EXPECT_EQ(to_hex(*tail), "1011");
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_TRUE(r.ok());
}

TEST(ByteReader, HighBitValuesAreNotSignExtended) {
  const Bytes data = from_hex("ff fffe fffffffd fffffffffffffffc");
  ByteReader r(data);
  EXPECT_EQ(r.u8(), 0xffu);
  EXPECT_EQ(r.u16(), 0xfffeu);
  EXPECT_EQ(r.u32(), 0xfffffffdu);
  EXPECT_EQ(r.u64(), 0xfffffffffffffffcull);
}

TEST(ByteReader, BytesViewPointsIntoTheInput) {
  ByteReader r(kSample);
  ASSERT_TRUE(r.skip(3));
  auto view = r.bytes(4);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->data(), kSample.data() + 3);
  EXPECT_EQ(view->size(), 4u);
}

TEST(ByteReader, ShortReadFailsWithoutAdvancingAndIsSticky) {
  const Bytes data = from_hex("aabbcc");
  ByteReader r(data);
  ASSERT_EQ(r.u8(), 0xaa);
  EXPECT_FALSE(r.u32().has_value());
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.offset(), 1u);
  EXPECT_EQ(r.remaining(), 0u);
  // Two bytes are still there, but the reader stays failed.
  EXPECT_FALSE(r.u8().has_value());
  EXPECT_FALSE(r.u16().has_value());
  EXPECT_FALSE(r.bytes(0).has_value());
  EXPECT_FALSE(r.skip(0));
  EXPECT_TRUE(r.rest().empty());
  EXPECT_FALSE(r.ok());
}

TEST(ByteReader, EachReadFailsExactlyWhenTooShort) {
  for (std::size_t size = 0; size <= 9; ++size) {
    const Bytes data(size, 0x5a);
    EXPECT_EQ(ByteReader(data).u8().has_value(), size >= 1) << size;
    EXPECT_EQ(ByteReader(data).u16().has_value(), size >= 2) << size;
    EXPECT_EQ(ByteReader(data).u32().has_value(), size >= 4) << size;
    EXPECT_EQ(ByteReader(data).u64().has_value(), size >= 8) << size;
    EXPECT_EQ(ByteReader(data).bytes(5).has_value(), size >= 5) << size;
    ByteReader s(data);
    EXPECT_EQ(s.skip(3), size >= 3) << size;
  }
}

TEST(ByteReader, SequenceOverEveryTruncation) {
  // u8 u16 u32 u64 needs 15 bytes; each prefix succeeds up to the first field that does not fit.
  for (std::size_t size = 0; size <= kSample.size(); ++size) {
    ByteReader r(ByteView(kSample.data(), size));
    const bool a = r.u8().has_value();
    const bool b = r.u16().has_value();
    const bool c = r.u32().has_value();
    const bool d = r.u64().has_value();
    EXPECT_EQ(a, size >= 1);
    EXPECT_EQ(b, size >= 3);
    EXPECT_EQ(c, size >= 7);
    EXPECT_EQ(d, size >= 15);
    EXPECT_EQ(r.ok(), size >= 15);
  }
}

TEST(ByteReader, HugeCountsDoNotWrap) {
  ByteReader r(kSample);
  ASSERT_TRUE(r.skip(1));
  EXPECT_FALSE(r.bytes(std::numeric_limits<std::size_t>::max()).has_value());
  EXPECT_FALSE(r.ok());
  ByteReader s(kSample);
  ASSERT_TRUE(s.skip(1));
  EXPECT_FALSE(s.skip(std::numeric_limits<std::size_t>::max()));
  EXPECT_EQ(s.offset(), 1u);
}

TEST(ByteReader, RestTakesEverythingLeft) {
  ByteReader r(kSample);
  ASSERT_TRUE(r.skip(15));
  ByteView rest = r.rest();
  EXPECT_EQ(to_hex(rest), "1011");
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.rest().empty());
  EXPECT_TRUE(r.ok());
  EXPECT_FALSE(r.u8().has_value());
}

TEST(ByteReader, EmptyInput) {
  ByteReader r{ByteView{}};
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_TRUE(r.skip(0));
  auto none = r.bytes(0);
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
  EXPECT_TRUE(r.rest().empty());
  EXPECT_TRUE(r.ok());
  EXPECT_FALSE(r.u8().has_value());
  EXPECT_FALSE(r.ok());
}

TEST(ByteReader, RawLoadStoreHelpers) {
  std::uint8_t buf[8] = {};
  store_be16(buf, 0xa1b2);
  EXPECT_EQ(to_hex(ByteView(buf, 2)), "a1b2");
  EXPECT_EQ(load_be16(buf), 0xa1b2);
  store_be32(buf, 0xc3d4e5f6u);
  EXPECT_EQ(to_hex(ByteView(buf, 4)), "c3d4e5f6");
  EXPECT_EQ(load_be32(buf), 0xc3d4e5f6u);
  store_be64(buf, 0x0102030405060708ull);
  EXPECT_EQ(to_hex(ByteView(buf, 8)), "0102030405060708");
}

}  // namespace
}  // namespace cygnet::wire
