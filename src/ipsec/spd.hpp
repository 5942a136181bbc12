// Security Policy Database (RFC 4301 §4.4.1): an ordered list of policies; the first whose
// selector matches decides PROTECT, BYPASS or DISCARD. A PROTECT policy without an outbound SA is
// the "no SA yet" signal that IKE turns into a negotiation (acquire).
//
// The ordered list is the truth (policies()); a PolicyIndex mirrors the selectors so that the
// per-packet lookups cost the same with 10,000 tunnels as with one (policy_index.hpp explains how).
// Selectors therefore only change through remove() + add(); bind_sa() changes the SA in place.
// A Policy stays at the same address from add() to remove().
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "ipsec/policy_index.hpp"
#include "ipsec/sad.hpp"
#include "ipsec/selector.hpp"

namespace cygnet::ipsec {

// The policies of an SPD in SPD order, read-only: iteration, empty(), size(), front(). Written out
// rather than std::views::values because clang 14 cannot instantiate libstdc++ 12's range views
// over a std::map (the sanitizer build uses clang).
template <typename Map>
class PolicyView {
 public:
  class iterator {
   public:
    using difference_type = std::ptrdiff_t;
    using value_type = typename Map::mapped_type;
    explicit iterator(typename Map::const_iterator it) : it_(it) {}
    const value_type& operator*() const { return it_->second; }
    const value_type* operator->() const { return &it_->second; }
    iterator& operator++() {
      ++it_;
      return *this;
    }
    bool operator==(const iterator& other) const { return it_ == other.it_; }

   private:
    typename Map::const_iterator it_;
  };

  explicit PolicyView(const Map& map) : map_(&map) {}
  iterator begin() const { return iterator(map_->begin()); }
  iterator end() const { return iterator(map_->end()); }
  bool empty() const { return map_->empty(); }
  std::size_t size() const { return map_->size(); }
  const typename Map::mapped_type& front() const { return map_->begin()->second; }

 private:
  const Map* map_;
};

enum class PolicyAction : std::uint8_t { Protect, Bypass, Discard };
const char* policy_action_name(PolicyAction a);

using PolicyId = std::uint32_t;

// The fields a packet reads (id, action, outbound SA) come first, so that they share the first
// cache line of the policy; the selector is only read when the index cannot decide on addresses.
struct Policy {
  PolicyId id = 0;             // assigned by the SPD
  std::uint32_t priority = 0;  // lower first; equal priorities keep insertion order
  PolicyAction action = PolicyAction::Protect;
  // PROTECT only: how to protect (used to request an SA) and the SA currently in use.
  IpsecProtocol protocol = IpsecProtocol::Esp;
  Mode mode = Mode::Tunnel;
  std::optional<SaHandle> outbound_sa;
  // The SAD's entry of outbound_sa when the binder had it (DataPlane::bind_outbound_sa): a packet
  // reaches the SA through it without a SAD lookup. Spd::add drops any entry it is given.
  std::shared_ptr<const SaEntry> outbound_sa_entry;
  Selector selector;
  std::string name;  // e.g. "site-b/net"
};

class Spd {
 public:
  Spd() = default;
  Spd(const Spd&) = delete;  // the index points into this SPD's own nodes
  Spd& operator=(const Spd&) = delete;
  Spd(Spd&&) = default;  // map nodes move with the map
  Spd& operator=(Spd&&) = default;

  PolicyId add(Policy policy);  // returns the id; keeps the list ordered by priority
  bool remove(PolicyId id);
  const Policy* find(PolicyId id) const;  // read-only: the index relies on selectors not changing
  // Installs (or replaces, make-before-break) the outbound SA of a PROTECT policy. `entry`, if
  // given, must be the SAD's entry of `sa` (see Policy::outbound_sa_entry).
  bool bind_sa(PolicyId id, std::optional<SaHandle> sa, std::shared_ptr<const SaEntry> entry = nullptr);

  // A copy for one data-plane worker (data_plane_replica.cpp): the same policies, ids and order,
  // each bound SA's entry taken from `sad` (that worker's replica of the SAD).
  Spd replica(const Sad& sad) const;

  // First policy matching an outbound packet, or nullptr (the caller's default: discard).
  const Policy* lookup_outbound(const wire::IpPacketInfo& packet) const;
  // First policy matching an inbound cleartext packet (not arriving on an SA): the caller must drop
  // it if that policy is PROTECT, since protected traffic must arrive protected.
  const Policy* lookup_inbound(const wire::IpPacketInfo& packet) const;

  // How many DISCARD policies the SPD holds (decapsulated packets are checked against them).
  std::size_t discard_count() const { return discard_count_; }

  // Every policy in SPD order (a view: empty(), size(), front(), iteration).
  PolicyView<std::map<PolicyIndex::Rank, Policy>> policies() const { return PolicyView(policies_); }

 private:
  Policy* find_mutable(PolicyId id);

  // SPD order: priority, then insertion (ids only grow, so the id breaks ties).
  static PolicyIndex::Rank rank_of(const Policy& p) { return (PolicyIndex::Rank{p.priority} << 32) | p.id; }

  PolicyId next_id_ = 1;
  std::size_t discard_count_ = 0;
  std::map<PolicyIndex::Rank, Policy> policies_;  // nodes never move: the index points into them
  std::unordered_map<PolicyId, PolicyIndex::Rank> ranks_;
  PolicyIndex index_;
};

}  // namespace cygnet::ipsec
