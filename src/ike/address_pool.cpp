#include "ike/address_pool.hpp"

#include <algorithm>
#include <array>
#include <limits>

namespace cygnet::ike {

namespace {

// An address as a 128-bit number in two halves (IPv4 in the low 32 bits), for offsets.
struct Wide {
  std::uint64_t high = 0;
  std::uint64_t low = 0;
};

Wide wide(const wire::IpAddress& a) {
  Wide w;
  const ByteView b = a.bytes();
  if (a.is_v4()) {
    for (std::uint8_t byte : b) w.low = (w.low << 8) | byte;
    return w;
  }
  for (std::size_t i = 0; i < 8; ++i) w.high = (w.high << 8) | b[i];
  for (std::size_t i = 8; i < 16; ++i) w.low = (w.low << 8) | b[i];
  return w;
}

wire::IpAddress narrow(Wide w, bool v4) {
  if (v4) return wire::IpAddress::v4(static_cast<std::uint32_t>(w.low));
  std::array<std::uint8_t, 16> b{};
  for (int i = 7; i >= 0; --i, w.high >>= 8)
    b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(w.high);
  for (int i = 15; i >= 8; --i, w.low >>= 8)
    b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(w.low);
  return wire::IpAddress::v6(b);
}

Wide add(Wide w, std::uint64_t n) {
  const std::uint64_t low = w.low + n;
  if (low < w.low) ++w.high;
  w.low = low;
  return w;
}

// b - a when it fits 64 bits (b >= a), else nullopt.
std::optional<std::uint64_t> distance(Wide a, Wide b) {
  if (b.high < a.high || (b.high == a.high && b.low < a.low)) return std::nullopt;
  const std::uint64_t high = b.high - a.high - (b.low < a.low ? 1 : 0);
  if (high != 0) return std::nullopt;
  return b.low - a.low;
}

constexpr std::uint64_t kMaxPoolSize = std::uint64_t{1} << 32;

}  // namespace

std::optional<std::string> parse_pool_range(std::string_view text, PoolSettings& pool) {
  if (const auto dash = text.find('-'); dash != std::string_view::npos) {
    const auto first = wire::IpAddress::parse(text.substr(0, dash));
    const auto last = wire::IpAddress::parse(text.substr(dash + 1));
    if (!first || !last) return "expected an address range \"FIRST-LAST\"";
    if (first->is_v4() != last->is_v4()) return "the range mixes IPv4 and IPv6";
    if (*last < *first) return "the range ends before it starts";
    pool.first = *first;
    pool.last = *last;
    pool.prefix_length.reset();
    return std::nullopt;
  }
  const auto prefix = wire::IpPrefix::parse(text);
  if (!prefix) return "expected a prefix \"ADDRESS/LENGTH\" or a range \"FIRST-LAST\"";
  const bool v4 = prefix->address.is_v4();
  const unsigned bits = v4 ? 32 : 128;
  const unsigned host_bits = bits - prefix->length;
  Wide first = wide(prefix->address);
  Wide last = first;
  // The prefix's last address: all host bits set.
  if (host_bits >= 64) {
    last.low = std::numeric_limits<std::uint64_t>::max();
    last.high |= host_bits >= 128 ? std::numeric_limits<std::uint64_t>::max()
                                  : (std::uint64_t{1} << (host_bits - 64)) - 1;
  } else if (host_bits > 0) {
    last.low |= (std::uint64_t{1} << host_bits) - 1;
  }
  // Leave out the network address (and IPv4's broadcast) as hosts on that subnet would.
  if (host_bits >= 2) {
    first = add(first, 1);
    if (v4) last.low -= 1;
  }
  pool.first = narrow(first, v4);
  pool.last = narrow(last, v4);
  pool.prefix_length = prefix->length;
  return std::nullopt;
}

AddressPool::AddressPool(PoolSettings settings) : settings_(std::move(settings)) {
  const auto d = distance(wide(settings_.first), wide(settings_.last));
  size_ = (!d || settings_.first.is_v4() != settings_.last.is_v4()) ? 0 : std::min(*d, kMaxPoolSize - 1) + 1;
}

std::optional<std::uint64_t> AddressPool::offset_of(const wire::IpAddress& a) const {
  if (a.is_v4() != settings_.first.is_v4()) return std::nullopt;
  const auto d = distance(wide(settings_.first), wide(a));
  if (!d || *d >= size_) return std::nullopt;
  return *d;
}

wire::IpAddress AddressPool::address_at(std::uint64_t offset) const {
  return narrow(add(wide(settings_.first), offset), settings_.first.is_v4());
}

bool AddressPool::contains(const wire::IpAddress& a) const {
  return offset_of(a).has_value();
}

std::uint64_t AddressPool::take(std::uint64_t offset, const std::string& identity) {
  Entry& e = by_offset_[offset];
  e.identity = identity;
  e.users = 1;
  by_identity_[identity] = offset;
  ++online_;
  return offset;
}

std::optional<wire::IpAddress> AddressPool::acquire(const std::string& identity,
                                                    std::optional<wire::IpAddress> requested) {
  if (auto it = by_identity_.find(identity); it != by_identity_.end()) {
    Entry& e = by_offset_.at(it->second);
    if (e.users++ == 0) {
      offline_.erase(e.offline_position);
      ++online_;
    }
    return address_at(it->second);
  }
  if (requested) {
    if (auto offset = offset_of(*requested); offset && !by_offset_.contains(*offset))
      return address_at(take(*offset, identity));
  }
  while (next_fresh_ < size_ && by_offset_.contains(next_fresh_)) ++next_fresh_;
  if (next_fresh_ < size_) return address_at(take(next_fresh_++, identity));
  if (offline_.empty()) return std::nullopt;
  // Every address has been handed out: the lease offline longest changes hands.
  const std::uint64_t offset = offline_.front();
  offline_.pop_front();
  by_identity_.erase(by_offset_.at(offset).identity);
  return address_at(take(offset, identity));
}

bool AddressPool::release(const std::string& identity) {
  auto it = by_identity_.find(identity);
  if (it == by_identity_.end()) return false;
  Entry& e = by_offset_.at(it->second);
  if (e.users == 0) return false;
  if (--e.users == 0) {
    e.offline_position = offline_.insert(offline_.end(), it->second);
    --online_;
  }
  return true;
}

bool AddressPool::restore(const std::string& identity, const wire::IpAddress& address) {
  const auto offset = offset_of(address);
  if (!offset || by_offset_.contains(*offset) || by_identity_.contains(identity)) return false;
  Entry& e = by_offset_[*offset];
  e.identity = identity;
  e.users = 0;
  e.offline_position = offline_.insert(offline_.end(), *offset);
  by_identity_[identity] = *offset;
  return true;
}

std::optional<Lease> AddressPool::lease_of(const std::string& identity) const {
  auto it = by_identity_.find(identity);
  if (it == by_identity_.end()) return std::nullopt;
  const Entry& e = by_offset_.at(it->second);
  return Lease{settings_.name, address_at(it->second), e.identity, e.users > 0};
}

std::vector<Lease> AddressPool::leases() const {
  std::vector<std::uint64_t> offsets;
  offsets.reserve(by_offset_.size());
  for (const auto& [offset, entry] : by_offset_) offsets.push_back(offset);
  std::sort(offsets.begin(), offsets.end());
  std::vector<Lease> out;
  out.reserve(offsets.size());
  for (std::uint64_t offset : offsets) {
    const Entry& e = by_offset_.at(offset);
    out.push_back(Lease{settings_.name, address_at(offset), e.identity, e.users > 0});
  }
  return out;
}

}  // namespace cygnet::ike
