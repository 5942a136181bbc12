// Bounds-checked big-endian reader: every read checks the bytes left first and fails sticky.
#pragma once

#include <cstdint>
#include <optional>

#include "base/bytes.hpp"

namespace cygnet::wire {

class ByteReader {
 public:
  explicit ByteReader(ByteView data) : data_(data) {}

  std::size_t remaining() const { return ok_ ? data_.size() - offset_ : 0; }
  std::size_t offset() const { return offset_; }
  bool ok() const { return ok_; }

  // Each returns nullopt (and marks the reader failed) when fewer bytes remain than needed.
  std::optional<std::uint8_t> u8();
  std::optional<std::uint16_t> u16();
  std::optional<std::uint32_t> u32();
  std::optional<std::uint64_t> u64();
  std::optional<ByteView> bytes(std::size_t count);
  bool skip(std::size_t count);
  ByteView rest();  // all remaining bytes; the reader is then at the end

 private:
  bool take(std::size_t count);
  ByteView data_;
  std::size_t offset_ = 0;
  bool ok_ = true;
};

// Big-endian load/store on raw pointers for hot paths whose bounds were checked by the caller.
inline std::uint16_t load_be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t load_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}
inline void store_be16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
inline void store_be32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}
inline void store_be64(std::uint8_t* p, std::uint64_t v) {
  store_be32(p, static_cast<std::uint32_t>(v >> 32));
  store_be32(p + 4, static_cast<std::uint32_t>(v));
}

}  // namespace cygnet::wire
