#include "wire/byte_reader.hpp"

namespace cygnet::wire {

// Consumes count bytes if that many remain; otherwise the reader fails and stays failed.
bool ByteReader::take(std::size_t count) {
  if (!ok_ || count > data_.size() - offset_) {
    ok_ = false;
    return false;
  }
  offset_ += count;
  return true;
}

std::optional<std::uint8_t> ByteReader::u8() {
  const std::size_t at = offset_;
  if (!take(1)) return std::nullopt;
  return data_[at];
}

std::optional<std::uint16_t> ByteReader::u16() {
  const std::size_t at = offset_;
  if (!take(2)) return std::nullopt;
  return load_be16(data_.data() + at);
}

std::optional<std::uint32_t> ByteReader::u32() {
  const std::size_t at = offset_;
  if (!take(4)) return std::nullopt;
  return load_be32(data_.data() + at);
}

std::optional<std::uint64_t> ByteReader::u64() {
  const std::size_t at = offset_;
  if (!take(8)) return std::nullopt;
  const std::uint8_t* p = data_.data() + at;
  return (std::uint64_t{load_be32(p)} << 32) | std::uint64_t{load_be32(p + 4)};
}

std::optional<ByteView> ByteReader::bytes(std::size_t count) {
  const std::size_t at = offset_;
  if (!take(count)) return std::nullopt;
  return data_.subspan(at, count);
}

bool ByteReader::skip(std::size_t count) { return take(count); }

ByteView ByteReader::rest() {
  if (!ok_) return {};
  ByteView out = data_.subspan(offset_);
  offset_ = data_.size();
  return out;
}

}  // namespace cygnet::wire
