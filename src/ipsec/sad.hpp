// Security Association Database (RFC 4301 §4.4.2): owns every SA. Inbound SAs are found by
// (SPI, destination address, protocol) in O(1); outbound SAs by the handle a policy holds.
//
// One thread (IKE) changes it. Data-plane workers on other threads read it through a Reader: an
// immutable snapshot the changing thread publishes (publish()) and a reader picks up when the
// generation number moved, without a lock on the packet path. SAs are shared_ptr-owned, so a
// removed SA lives until the last snapshot holding it is dropped (docs/architecture.md).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "ipsec/security_association.hpp"

namespace cygnet::ipsec {

struct Publication;

using SaHandle = std::uint64_t;  // stable id assigned by the SAD; never reused

// Where the SAD keeps one SA. A policy may hold on to it (Spd::bind_sa) to reach its outbound SA
// without a SAD lookup per packet. Removing the SA empties the entry rather than freeing it, so
// such a holder then finds no SA (as a lookup by handle would), never a dangling one.
// shared_ptr: a published Snapshot (below) keeps a removed SA alive for the workers still using it.
struct SaEntry {
  std::shared_ptr<SecurityAssociation> sa;
};

class Sad {
  struct InboundKey {
    std::uint32_t spi;
    wire::IpAddress destination;
    IpsecProtocol protocol;
    friend bool operator==(const InboundKey&, const InboundKey&) = default;
  };
  struct InboundKeyHash {
    std::size_t operator()(const InboundKey& k) const;
  };
  using SaMap = std::unordered_map<SaHandle, std::shared_ptr<SecurityAssociation>>;
  using InboundMap = std::unordered_map<InboundKey, SaHandle, InboundKeyHash>;

 public:
  Sad();
  ~Sad();
  Sad(Sad&&) noexcept;
  Sad& operator=(Sad&&) noexcept;

  // What a worker looks SAs up in: the SAD as of one publish(). Immutable; its SAs stay alive as
  // long as it does (their per-packet state is safe for concurrent use).
  class Snapshot {
   public:
    SecurityAssociation* find(SaHandle handle) const;
    SecurityAssociation* find_inbound(std::uint32_t spi, const wire::IpAddress& destination,
                                      IpsecProtocol protocol) const;
    std::size_t size() const { return by_handle_.size(); }

   private:
    friend class Sad;
    SaMap by_handle_;
    InboundMap inbound_;
  };

  // One per worker thread. current() costs one atomic load unless a newer snapshot was published;
  // only then does it take the publication lock, once, to pick it up. Keep the returned reference
  // no longer than until the next current() call (e.g. one batch of packets).
  class Reader {
   public:
    explicit Reader(const Sad& sad);
    const Snapshot& current();

   private:
    struct Publication* publication_;
    std::uint64_t seen_generation_ = ~std::uint64_t{0};
    std::shared_ptr<const Snapshot> snapshot_;
  };

  // A copy for one data-plane worker (data_plane_replica.cpp): the same handles, inbound keys and
  // SA objects (shared, so sequence numbers and replay windows stay common), but entries of its
  // own, so the original's remove() never touches what the worker reads.
  Sad replica() const;

  // Makes the current contents visible to Readers (a copy of the lookup maps: O(SAs), paid here by
  // the changing thread). Does nothing if nothing changed since the last publish.
  void publish();

  // Takes ownership. Inbound: fails (nullopt) if (SPI, local address, protocol) is already taken.
  std::optional<SaHandle> add(std::unique_ptr<SecurityAssociation> sa);
  bool remove(SaHandle handle);
  // MOBIKE: the SA keeps its handle, SPI and state but uses new outer addresses (an inbound SA is
  // then found by its new local address). False when absent, or refused (family change, or the
  // new inbound key is taken by another SA); nothing changes then.
  bool move_endpoints(SaHandle handle, const wire::IpAddress& local, const wire::IpAddress& remote,
                      const std::optional<UdpEncapsulation>& udp_encapsulation);

  SecurityAssociation* find(SaHandle handle);
  const SecurityAssociation* find(SaHandle handle) const;
  // The entry of a present SA, to be kept by whoever needs the SA on every packet; nullptr if absent.
  std::shared_ptr<const SaEntry> entry(SaHandle handle) const;
  // Inbound lookup by what an arriving ESP/AH packet carries.
  SecurityAssociation* find_inbound(std::uint32_t spi, const wire::IpAddress& destination,
                                    IpsecProtocol protocol);
  std::optional<SaHandle> find_inbound_handle(std::uint32_t spi, const wire::IpAddress& destination,
                                              IpsecProtocol protocol) const;

  std::size_t size() const { return by_handle_.size(); }
  void for_each(const std::function<void(SaHandle, const SecurityAssociation&)>& visit) const;

 private:
  SaHandle next_handle_ = 1;
  std::unordered_map<SaHandle, std::shared_ptr<SaEntry>> by_handle_;  // entries never empty here
  InboundMap inbound_;
  bool changed_since_publish_ = true;
  std::unique_ptr<struct Publication> publication_;  // heap: stays put when the Sad moves
};

}  // namespace cygnet::ipsec
