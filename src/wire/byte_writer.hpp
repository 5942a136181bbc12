// Bounds-checked big-endian writer into caller-owned storage; fails sticky instead of overrunning.
#pragma once

#include <cstdint>

#include "base/bytes.hpp"

namespace cygnet::wire {

class ByteWriter {
 public:
  explicit ByteWriter(MutableByteView out) : out_(out) {}

  bool u8(std::uint8_t v);
  bool u16(std::uint16_t v);
  bool u32(std::uint32_t v);
  bool u64(std::uint64_t v);
  bool bytes(ByteView v);
  bool zeros(std::size_t count);

  std::size_t size() const { return offset_; }  // bytes written so far
  std::size_t remaining() const { return out_.size() - offset_; }
  bool ok() const { return ok_; }
  ByteView written() const { return ByteView(out_.data(), offset_); }

 private:
  std::uint8_t* take(std::size_t count);
  MutableByteView out_;
  std::size_t offset_ = 0;
  bool ok_ = true;
};

}  // namespace cygnet::wire
