#include "ipsec/sad.hpp"

#include <mutex>
#include <utility>

namespace cygnet::ipsec {

// Where the changing thread hands snapshots to readers. The mutex guards only the hand-over of the
// shared_ptr (readers take it when the generation moved, not per packet).
struct Publication {
  std::mutex mutex;
  std::shared_ptr<const Sad::Snapshot> snapshot = std::make_shared<Sad::Snapshot>();
  std::atomic<std::uint64_t> generation{0};
};

Sad::Sad() : publication_(std::make_unique<Publication>()) {}
Sad::~Sad() = default;
Sad::Sad(Sad&&) noexcept = default;
Sad& Sad::operator=(Sad&&) noexcept = default;

void Sad::publish() {
  if (!changed_since_publish_) return;
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->by_handle_.reserve(by_handle_.size());
  for (const auto& [handle, entry] : by_handle_) snapshot->by_handle_.emplace(handle, entry->sa);
  snapshot->inbound_ = inbound_;
  {
    std::lock_guard lock(publication_->mutex);
    publication_->snapshot = std::move(snapshot);
    publication_->generation.fetch_add(1, std::memory_order_release);
  }
  changed_since_publish_ = false;
}

Sad::Reader::Reader(const Sad& sad) : publication_(sad.publication_.get()) {}

const Sad::Snapshot& Sad::Reader::current() {
  const std::uint64_t generation = publication_->generation.load(std::memory_order_acquire);
  if (generation != seen_generation_) {
    std::lock_guard lock(publication_->mutex);
    snapshot_ = publication_->snapshot;
    seen_generation_ = publication_->generation.load(std::memory_order_relaxed);
  }
  return *snapshot_;
}

SecurityAssociation* Sad::Snapshot::find(SaHandle handle) const {
  auto it = by_handle_.find(handle);
  return it == by_handle_.end() ? nullptr : it->second.get();
}

SecurityAssociation* Sad::Snapshot::find_inbound(std::uint32_t spi, const wire::IpAddress& destination,
                                                 IpsecProtocol protocol) const {
  auto it = inbound_.find(InboundKey{spi, destination, protocol});
  return it == inbound_.end() ? nullptr : find(it->second);
}

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
  changed_since_publish_ = true;
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
  by_handle_.erase(it);    // readers' snapshots keep the SA alive until they refresh
  changed_since_publish_ = true;
  return true;
}

bool Sad::move_endpoints(SaHandle handle, const wire::IpAddress& local, const wire::IpAddress& remote,
                         const std::optional<UdpEncapsulation>& udp_encapsulation) {
  auto it = by_handle_.find(handle);
  if (it == by_handle_.end()) return false;
  SecurityAssociation& sa = *it->second->sa;
  const wire::IpAddress old_local = sa.params().local_address;
  const bool inbound = sa.direction() == Direction::Inbound;
  if (inbound && local != old_local) {
    auto taken = inbound_.find(InboundKey{sa.spi(), local, sa.protocol()});
    if (taken != inbound_.end() && taken->second != handle) return false;
  }
  if (!sa.move_endpoints(local, remote, udp_encapsulation)) return false;
  if (inbound && local != old_local) {
    inbound_.erase(InboundKey{sa.spi(), old_local, sa.protocol()});
    inbound_.emplace(InboundKey{sa.spi(), local, sa.protocol()}, handle);
  }
  changed_since_publish_ = true;
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
