#include "ike/half_open_table.hpp"

#include <string_view>

namespace cygnet::ike {

std::size_t HalfOpenTable::AddressHash::operator()(const wire::IpAddress& a) const noexcept {
  const ByteView b = a.bytes();
  return std::hash<std::string_view>{}(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}

HalfOpenVerdict HalfOpenTable::admits(const wire::IpAddress& source) const {
  if (max_total_ != 0 && total_ >= max_total_) return HalfOpenVerdict::GlobalCap;
  if (max_per_source_ != 0 && from(source) >= max_per_source_) return HalfOpenVerdict::PerSourceCap;
  return HalfOpenVerdict::Admit;
}

void HalfOpenTable::add(const wire::IpAddress& source) {
  ++per_source_[source];
  ++total_;
}

void HalfOpenTable::remove(const wire::IpAddress& source) {
  auto it = per_source_.find(source);
  if (it == per_source_.end()) return;
  if (--it->second == 0) per_source_.erase(it);
  --total_;
}

std::size_t HalfOpenTable::from(const wire::IpAddress& source) const {
  auto it = per_source_.find(source);
  return it == per_source_.end() ? 0 : it->second;
}

}  // namespace cygnet::ike
