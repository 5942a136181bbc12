// Security Association Database (RFC 4301 §4.4.2): owns every SA. Inbound SAs are found by
// (SPI, destination address, protocol) in O(1); outbound SAs by the handle a policy holds.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>

#include "ipsec/security_association.hpp"

namespace cygnet::ipsec {

using SaHandle = std::uint64_t;  // stable id assigned by the SAD; never reused

// Where the SAD keeps one SA. A policy may hold on to it (Spd::bind_sa) to reach its outbound SA
// without a SAD lookup per packet. Removing the SA empties the entry rather than freeing it, so
// such a holder then finds no SA (as a lookup by handle would), never a dangling one.
struct SaEntry {
  std::unique_ptr<SecurityAssociation> sa;
};

class Sad {
 public:
  // Takes ownership. Inbound: fails (nullopt) if (SPI, local address, protocol) is already taken.
  std::optional<SaHandle> add(std::unique_ptr<SecurityAssociation> sa);
  bool remove(SaHandle handle);

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
  struct InboundKey {
    std::uint32_t spi;
    wire::IpAddress destination;
    IpsecProtocol protocol;
    friend bool operator==(const InboundKey&, const InboundKey&) = default;
  };
  struct InboundKeyHash {
    std::size_t operator()(const InboundKey& k) const;
  };
  SaHandle next_handle_ = 1;
  std::unordered_map<SaHandle, std::shared_ptr<SaEntry>> by_handle_;  // entries never empty here
  std::unordered_map<InboundKey, SaHandle, InboundKeyHash> inbound_;
};

}  // namespace cygnet::ipsec
