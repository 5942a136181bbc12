// The SPD's lookup index: finds the first policy, in SPD order (RFC 4301 §4.4.1: ordered, first
// match wins), whose selector matches a packet, at a cost that does not grow with the number of
// policies.
//
// Structure (a "tuple space search", the idea behind Open vSwitch's classifier and the by-prefix
// policy hash tables of Linux XFRM): a policy whose local and remote address ranges are both
// prefixes has a *shape*, (local family, local prefix length, remote family, remote prefix
// length). Each shape has one flat hash table (address_pair_table.hpp: open addressing, one cache
// line per probe, no allocation on lookup) from the pair (local network, remote network) to the
// positions, ascending, of the policies with exactly those two prefixes; protocol and ports are
// left to the caller's full selector check of each candidate. A lookup masks the packet's
// addresses with each shape's prefix lengths and probes that shape's table once. The cost grows
// with the number of distinct shapes (a handful in practice: /24<->/24 for every site-to-site
// tunnel, /32<->/32 for transport mode, /0<->/0 for a default) and with the policies sharing one
// address pair (the same subnets split by protocol or port, or a CHILD SA's policy next to its
// trap), not with the number of tunnels.
//
// Every policy carries its rank, its place in SPD order (priority, then insertion), so the
// matching candidate of smallest rank is the RFC 4301 answer, also across shapes. Shapes are kept
// sorted by the smallest rank they hold: a lookup stops as soon as no remaining shape can hold an
// earlier policy than the best hit. Ranges that are not prefixes (IKEv2 traffic selectors may be
// any range, e.g. 192.0.2.5-192.0.2.9) go to a short list that every lookup scans in rank order.
//
// Adding or removing a policy costs O(log n) plus the policies of its address pair and the
// number of shapes; it happens on the control plane (CHILD SA installed or deleted, trap
// installed or removed), never per packet. The index holds pointers to the SPD's policies, which
// live in nodes that do not move. A lookup does not allocate.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <set>
#include <vector>

#include "ipsec/address_pair_table.hpp"
#include "ipsec/selector.hpp"
#include "wire/ip_address.hpp"

namespace cygnet::ipsec {

struct Policy;

class PolicyIndex {
 public:
  using Rank = std::uint64_t;  // SPD order: the smaller rank comes first

  // `policy` (with this selector and rank) must stay where it is until erase().
  void insert(const Selector& selector, Rank rank, const Policy* policy);
  void erase(const Selector& selector, Rank rank);

  // The policy of smallest rank among those the index proposes for a packet from/to these
  // addresses (`local` is our side: the source of an outbound packet, the destination of an
  // inbound one) that `is_match(policy)` confirms (the full selector check: addresses, protocol,
  // ports), or nullptr.
  template <typename IsMatch>
  const Policy* first_match(const wire::IpAddress& local, const wire::IpAddress& remote,
                            IsMatch&& is_match) const;

  std::size_t shape_count() const { return shapes_.size(); }
  std::size_t unindexed_count() const { return unindexed_.size(); }

 private:
  static constexpr Rank kNoRank = std::numeric_limits<Rank>::max();
  using Candidate = PolicyCandidate;
  using Candidates = std::vector<Candidate>;  // ascending rank
  struct Shape {
    wire::IpFamily local_family = wire::IpFamily::V4;
    wire::IpFamily remote_family = wire::IpFamily::V4;
    std::size_t local_length = 0;
    std::size_t remote_length = 0;
    AddressWords local_mask{};
    AddressWords remote_mask{};
    Rank first_rank = kNoRank;  // = *ranks.begin(), kept here for the lookup
    std::set<Rank> ranks;       // of every policy in `pairs`
    AddressPairTable pairs;
  };

  static AddressWords words_of(const wire::IpAddress& address) {
    // Constant-length copies (no memcpy call on the per-packet path); IPv4 fills the first 4 bytes.
    AddressWords words{};
    const ByteView view = address.bytes();
    if (address.is_v4()) {
      std::memcpy(words.data(), view.data(), 4);
    } else {
      std::memcpy(words.data(), view.data(), 16);
    }
    return words;
  }
  static AddressWords masked(const AddressWords& words, const AddressWords& mask) {
    return {words[0] & mask[0], words[1] & mask[1]};
  }
  static AddressWords prefix_mask(std::size_t length);
  // The shape a selector of these prefix lengths belongs to, or shapes_.end().
  std::vector<Shape>::iterator find_shape(const Selector& selector, std::size_t local_length,
                                          std::size_t remote_length);
  static AddressPair pair_of(const Selector& selector, const Shape& shape);
  static void insert_candidate(Candidates& candidates, Candidate candidate);
  static bool erase_candidate(Candidates& candidates, Rank rank);
  void sort_shapes();

  std::vector<Shape> shapes_;  // ascending first_rank
  Candidates unindexed_;       // selectors with a non-prefix range
};

template <typename IsMatch>
const Policy* PolicyIndex::first_match(const wire::IpAddress& local, const wire::IpAddress& remote,
                                       IsMatch&& is_match) const {
  Rank best_rank = kNoRank;
  const Policy* best = nullptr;
  // Candidates ascend by rank: the first that matches is the best of its list, and a rank not
  // below the best so far ends the list.
  auto consider = [&](const Candidate* candidates, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
      const Candidate& c = candidates[i];
      if (c.rank >= best_rank) return true;
      if (c.addresses_decide || is_match(*c.policy)) {
        best_rank = c.rank;
        best = c.policy;
        return true;
      }
    }
    return false;
  };
  const AddressWords local_words = words_of(local);
  const AddressWords remote_words = words_of(remote);
  AddressPairTable::Bucket bucket;
  for (const Shape& shape : shapes_) {
    if (shape.first_rank >= best_rank) break;  // this and every later shape only hold later policies
    if (shape.local_family != local.family() || shape.remote_family != remote.family()) continue;
    const AddressPair pair{masked(local_words, shape.local_mask), masked(remote_words, shape.remote_mask)};
    if (shape.pairs.find(pair, hash_of(pair), bucket) && !consider(&bucket.first, 1)) {
      consider(bucket.more, bucket.more_count);
    }
  }
  consider(unindexed_.data(),
           unindexed_.size());  // addresses_decide is never set here: ranges are checked in full
  return best;
}

}  // namespace cygnet::ipsec
