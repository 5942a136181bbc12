#include "wire/byte_writer.hpp"

#include <cstring>

#include "wire/byte_reader.hpp"

namespace cygnet::wire {

// Reserves count bytes and returns where they start, or nullptr (and fails sticky) if they don't
// fit. After a failure nothing more is written, so the output never holds bytes past a gap.
std::uint8_t* ByteWriter::take(std::size_t count) {
  if (!ok_ || count > out_.size() - offset_) {
    ok_ = false;
    return nullptr;
  }
  std::uint8_t* p = out_.data() + offset_;
  offset_ += count;
  return p;
}

bool ByteWriter::u8(std::uint8_t v) {
  std::uint8_t* p = take(1);
  if (p == nullptr) return false;
  *p = v;
  return true;
}

bool ByteWriter::u16(std::uint16_t v) {
  std::uint8_t* p = take(2);
  if (p == nullptr) return false;
  store_be16(p, v);
  return true;
}

bool ByteWriter::u32(std::uint32_t v) {
  std::uint8_t* p = take(4);
  if (p == nullptr) return false;
  store_be32(p, v);
  return true;
}

bool ByteWriter::u64(std::uint64_t v) {
  std::uint8_t* p = take(8);
  if (p == nullptr) return false;
  store_be64(p, v);
  return true;
}

bool ByteWriter::bytes(ByteView v) {
  if (v.empty()) return ok_;
  std::uint8_t* p = take(v.size());
  if (p == nullptr) return false;
  std::memcpy(p, v.data(), v.size());
  return true;
}

bool ByteWriter::zeros(std::size_t count) {
  if (count == 0) return ok_;
  std::uint8_t* p = take(count);
  if (p == nullptr) return false;
  std::memset(p, 0, count);
  return true;
}

}  // namespace cygnet::wire
