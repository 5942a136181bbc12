// Virtual IP address pools of a gateway (RFC 7296 §3.15, `[pools.NAME]`): which address each
// client identity holds. Sans-I/O like the rest of src/ike: the daemon persists the leases
// (Engine::leases(), LeaseChanged actions) and hands them back at start (restore()).
//
// A lease belongs to an identity. It is online while an IKE SA of that identity uses it and
// offline afterwards; an offline lease stays reserved for its identity, so a client that
// reconnects gets the same address back, until the pool has no never-used address left: then the
// lease offline longest goes to a new identity. Allocation is O(1) amortised: a cursor over
// never-used addresses, hash maps by identity and by address, and a list of offline leases in the
// order they went offline.
#pragma once

#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "wire/ip_address.hpp"

namespace cygnet::ike {

struct PoolSettings {
  std::string name;
  wire::IpAddress first;  // inclusive; same family as last
  wire::IpAddress last;
  std::vector<wire::IpAddress> dns;           // INTERNAL_IP4_DNS / INTERNAL_IP6_DNS
  std::vector<std::string> dns_domains;       // INTERNAL_DNS_DOMAIN (RFC 8598)
  std::optional<std::uint8_t> prefix_length;  // when configured as a prefix (netmask in replies)
  friend bool operator==(const PoolSettings&, const PoolSettings&) = default;
};

// `addrs` of a pool: "198.51.100.128/25" (the network address, and for IPv4 the broadcast
// address, are left out when the prefix is shorter than /31 resp. /127) or "192.0.2.10-192.0.2.20".
// Fills first/last/prefix_length of `pool`; an error message otherwise.
std::optional<std::string> parse_pool_range(std::string_view text, PoolSettings& pool);

struct Lease {
  std::string pool;
  wire::IpAddress address;
  std::string identity;
  bool online = false;
  friend bool operator==(const Lease&, const Lease&) = default;
};

class AddressPool {
 public:
  explicit AddressPool(PoolSettings settings);

  const PoolSettings& settings() const { return settings_; }
  bool contains(const wire::IpAddress& a) const;
  // The number of addresses the pool hands out (at most 2^32).
  std::uint64_t size() const { return size_; }

  // An address for `identity`, online (again) from now on: its own lease when it has one;
  // `requested` when that is in the pool and nobody holds it; a never-used address; the lease
  // offline longest. nullopt when every address is online (the pool is exhausted).
  std::optional<wire::IpAddress> acquire(const std::string& identity,
                                         std::optional<wire::IpAddress> requested = std::nullopt);
  // One IKE SA of `identity` stopped using its lease: offline when no other SA uses it. False when
  // the identity holds no online lease here.
  bool release(const std::string& identity);
  // A lease from the state file: offline, reserved for its identity. False (ignored) when the
  // address is outside the pool or already leased.
  bool restore(const std::string& identity, const wire::IpAddress& address);

  std::vector<Lease> leases() const;  // ordered by address
  std::optional<Lease> lease_of(const std::string& identity) const;
  std::size_t online_count() const { return online_; }

 private:
  struct Entry {
    std::string identity;
    unsigned users = 0;  // IKE SAs using it; 0 = offline
    std::list<std::uint64_t>::iterator offline_position;
  };
  std::optional<std::uint64_t> offset_of(const wire::IpAddress& a) const;
  wire::IpAddress address_at(std::uint64_t offset) const;
  std::uint64_t take(std::uint64_t offset, const std::string& identity);

  PoolSettings settings_;
  std::uint64_t size_ = 0;
  std::uint64_t next_fresh_ = 0;  // offsets below it were handed out at least once (or restored)
  std::unordered_map<std::uint64_t, Entry> by_offset_;
  std::unordered_map<std::string, std::uint64_t> by_identity_;
  std::list<std::uint64_t> offline_;  // oldest first
  std::size_t online_ = 0;
};

}  // namespace cygnet::ike
