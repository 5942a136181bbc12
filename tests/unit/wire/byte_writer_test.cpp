#include "wire/byte_writer.hpp"

#include <gtest/gtest.h>

#include <array>
#include <limits>

namespace cygnet::wire {
namespace {

TEST(ByteWriter, WritesBigEndianValuesInOrder) {
  std::array<std::uint8_t, 20> buf{};
  ByteWriter w(buf);
  EXPECT_TRUE(w.u8(0x01));
  EXPECT_TRUE(w.u16(0x0203));
  EXPECT_TRUE(w.u32(0x04050607u));
  EXPECT_TRUE(w.u64(0x08090a0b0c0d0e0full));
  const Bytes tail = from_hex("1011");
  EXPECT_TRUE(w.bytes(tail));
  EXPECT_TRUE(w.zeros(3));
  EXPECT_TRUE(w.ok());
  EXPECT_EQ(w.size(), 20u);
  EXPECT_EQ(w.remaining(), 0u);
  EXPECT_EQ(to_hex(w.written()), "0102030405060708090a0b0c0d0e0f1011000000");
  EXPECT_EQ(w.written().data(), buf.data());
}

TEST(ByteWriter, OverflowFailsStickyAndWritesNothingMore) {
  std::array<std::uint8_t, 6> buf;
  buf.fill(0xee);
  ByteWriter w(buf);
  ASSERT_TRUE(w.u16(0x1122));
  EXPECT_FALSE(w.u64(0));  // 4 bytes left: does not fit
  EXPECT_FALSE(w.ok());
  EXPECT_EQ(w.size(), 2u);
  EXPECT_FALSE(w.u8(0x33));  // would fit, but the writer stays failed
  EXPECT_FALSE(w.u16(0x3344));
  EXPECT_FALSE(w.zeros(1));
  EXPECT_FALSE(w.bytes(from_hex("55")));
  EXPECT_FALSE(w.zeros(0));
  EXPECT_FALSE(w.bytes({}));
  EXPECT_EQ(w.size(), 2u);
  EXPECT_EQ(to_hex(buf), "1122eeeeeeee");
}

TEST(ByteWriter, EachWriteFailsExactlyWhenTooShort) {
  for (std::size_t size = 0; size <= 9; ++size) {
    Bytes buf(size);
    EXPECT_EQ(ByteWriter(buf).u8(1), size >= 1) << size;
    EXPECT_EQ(ByteWriter(buf).u16(1), size >= 2) << size;
    EXPECT_EQ(ByteWriter(buf).u32(1), size >= 4) << size;
    EXPECT_EQ(ByteWriter(buf).u64(1), size >= 8) << size;
    EXPECT_EQ(ByteWriter(buf).zeros(5), size >= 5) << size;
    EXPECT_EQ(ByteWriter(buf).bytes(from_hex("010203")), size >= 3) << size;
  }
}

TEST(ByteWriter, ExactFitThenOneMore) {
  std::array<std::uint8_t, 4> buf{};
  ByteWriter w(buf);
  EXPECT_TRUE(w.u32(0xdeadbeefu));
  EXPECT_TRUE(w.ok());
  EXPECT_TRUE(w.zeros(0));
  EXPECT_TRUE(w.bytes({}));
  EXPECT_FALSE(w.u8(0));
  EXPECT_EQ(to_hex(buf), "deadbeef");
}

TEST(ByteWriter, HugeCountDoesNotWrap) {
  std::array<std::uint8_t, 4> buf{};
  ByteWriter w(buf);
  ASSERT_TRUE(w.u8(7));
  EXPECT_FALSE(w.zeros(std::numeric_limits<std::size_t>::max()));
  EXPECT_EQ(w.size(), 1u);
  EXPECT_EQ(to_hex(buf), "07000000");
}

TEST(ByteWriter, EmptyOutput) {
  ByteWriter w{MutableByteView{}};
  EXPECT_EQ(w.remaining(), 0u);
  EXPECT_TRUE(w.written().empty());
  EXPECT_TRUE(w.zeros(0));
  EXPECT_TRUE(w.ok());
  EXPECT_FALSE(w.u8(0));
  EXPECT_FALSE(w.ok());
}

}  // namespace
}  // namespace cygnet::wire
