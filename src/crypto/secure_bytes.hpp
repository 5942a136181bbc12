// Key buffers that are wiped (OPENSSL_cleanse) whenever their storage is released.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

#include "base/bytes.hpp"

namespace cygnet::crypto {

void secure_wipe(void* data, std::size_t size);

template <typename T>
struct WipingAllocator {
  using value_type = T;
  WipingAllocator() = default;
  template <typename U>
  WipingAllocator(const WipingAllocator<U>&) {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) {
    secure_wipe(p, n * sizeof(T));
    ::operator delete(p);
  }
  template <typename U>
  bool operator==(const WipingAllocator<U>&) const { return true; }
};

// Secret bytes: keys, PSKs, shared secrets. Never format these into logs.
class SecureBytes {
 public:
  SecureBytes() = default;
  explicit SecureBytes(ByteView data) : data_(data.begin(), data.end()) {}
  explicit SecureBytes(std::size_t size) : data_(size, 0) {}
  ~SecureBytes() { secure_wipe(data_.data(), data_.size()); }  // also wipes moved-from tails
  SecureBytes(const SecureBytes&) = default;
  SecureBytes& operator=(const SecureBytes&) = default;
  SecureBytes(SecureBytes&&) noexcept = default;
  SecureBytes& operator=(SecureBytes&&) noexcept = default;

  ByteView view() const { return ByteView(data_.data(), data_.size()); }
  MutableByteView mutable_view() { return MutableByteView(data_.data(), data_.size()); }
  std::size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  // A sub-range as a new secret (e.g. splitting KEYMAT into key and salt).
  SecureBytes slice(std::size_t offset, std::size_t length) const {
    return SecureBytes(view().subspan(offset, length));
  }

 private:
  std::vector<std::uint8_t, WipingAllocator<std::uint8_t>> data_;
};

}  // namespace cygnet::crypto
