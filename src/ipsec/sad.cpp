#include "ipsec/sad.hpp"

#include <utility>

namespace cygnet::ipsec {

std::size_t Sad::InboundKeyHash::operator()(const InboundKey& k) const {
  std::size_t h = wire::IpAddressHash{}(k.destination);
  // boost::hash_combine-style mixing of the SPI and protocol into the address hash.
  const std::uint64_t extra = (std::uint64_t{k.spi} << 8) | static_cast<std::uint8_t>(k.protocol);
  h ^= std::hash<std::uint64_t>{}(extra) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

std::optional<SaHandle> Sad::add(std::unique_ptr<SecurityAssociation> sa) {
  if (!sa) return std::nullopt;
  auto entry = std::make_shared<SaEntry>();  // before anything changes: may throw
  const SaHandle handle = next_handle_;
  if (sa->direction() == Direction::Inbound) {
    InboundKey key{sa->spi(), sa->params().local_address, sa->protocol()};
    if (!inbound_.emplace(std::move(key), handle).second) return std::nullopt;
  }
  entry->sa = std::move(sa);
  try {
    by_handle_.emplace(handle, entry);
  } catch (...) {  // out of memory: the inbound key goes too, the SA is freed with `entry`
    if (entry->sa->direction() == Direction::Inbound)
      inbound_.erase(InboundKey{entry->sa->spi(), entry->sa->params().local_address, entry->sa->protocol()});
    throw;
  }
  ++next_handle_;
  return handle;
}

bool Sad::remove(SaHandle handle) {
  auto it = by_handle_.find(handle);
  if (it == by_handle_.end()) return false;
  const SecurityAssociation& sa = *it->second->sa;
  if (sa.direction() == Direction::Inbound) {
    auto in = inbound_.find(InboundKey{sa.spi(), sa.params().local_address, sa.protocol()});
    if (in != inbound_.end() && in->second == handle) inbound_.erase(in);
  }
  it->second->sa.reset();  // a policy still holding the entry now finds no SA
  by_handle_.erase(it);
  return true;
}

SecurityAssociation* Sad::find(SaHandle handle) {
  auto it = by_handle_.find(handle);
  return it == by_handle_.end() ? nullptr : it->second->sa.get();
}

const SecurityAssociation* Sad::find(SaHandle handle) const {
  auto it = by_handle_.find(handle);
  return it == by_handle_.end() ? nullptr : it->second->sa.get();
}

std::shared_ptr<const SaEntry> Sad::entry(SaHandle handle) const {
  auto it = by_handle_.find(handle);
  return it == by_handle_.end() ? nullptr : it->second;
}

SecurityAssociation* Sad::find_inbound(std::uint32_t spi, const wire::IpAddress& destination,
                                       IpsecProtocol protocol) {
  const auto handle = find_inbound_handle(spi, destination, protocol);
  return handle ? find(*handle) : nullptr;
}

std::optional<SaHandle> Sad::find_inbound_handle(std::uint32_t spi, const wire::IpAddress& destination,
                                                 IpsecProtocol protocol) const {
  auto it = inbound_.find(InboundKey{spi, destination, protocol});
  if (it == inbound_.end()) return std::nullopt;
  return it->second;
}

void Sad::for_each(const std::function<void(SaHandle, const SecurityAssociation&)>& visit) const {
  for (const auto& [handle, entry] : by_handle_) visit(handle, *entry->sa);
}

}  // namespace cygnet::ipsec
