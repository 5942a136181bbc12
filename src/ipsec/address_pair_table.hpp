// The hash table behind one shape of the PolicyIndex: from a (local network, remote network) pair
// to the policies, ascending by rank, whose selectors have exactly those two prefixes.
//
// Flat open addressing, because the lookup is on every packet and the table may hold 10,000
// tunnels: the slots are one array of 64-byte, cache-line-aligned records that carry the key, its
// hash and the pair's first (usually only) policy inline. A lookup hashes the key once, probes
// linearly from `hash & (capacity - 1)` (capacity a power of two) and normally reads exactly one
// cache line; it never allocates. Pairs with more than one policy (the same subnets split by
// protocol or port, a CHILD SA's policy next to its trap) keep the rest in a side vector.
//
// Erasing leaves a tombstone, so that probe chains through the slot stay intact; insert() rehashes
// (dropping the tombstones) before used slots, live or dead, exceed 3/4 of the capacity. Inserting
// and erasing run on the control plane; every allocation happens before anything changes, so a
// failed allocation leaves the table as it was.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace cygnet::ipsec {

struct Policy;

// 128 address bits (IPv4 uses the first 32, the rest zero) in network byte order in memory.
using AddressWords = std::array<std::uint64_t, 2>;

struct AddressPair {
  AddressWords local;
  AddressWords remote;
  friend bool operator==(const AddressPair&, const AddressPair&) = default;
};

std::uint64_t hash_of(const AddressPair& pair);

// One policy filed under an address pair.
struct PolicyCandidate {
  std::uint64_t rank = 0;  // SPD order: the smaller rank comes first
  const Policy* policy = nullptr;
  // Any protocol and any ports on a prefix-shaped selector: being filed under the packet's address
  // pair already proves the match, so the lookup need not read the policy's selector.
  bool addresses_decide = false;
};

class AddressPairTable {
 public:
  // The policies of one address pair: `first`, then `more` (both ascending by rank).
  struct Bucket {
    PolicyCandidate first;
    const PolicyCandidate* more = nullptr;
    std::size_t more_count = 0;
  };

  // The candidates filed under `pair` (whose hash is `hash`), or false if there are none.
  bool find(const AddressPair& pair, std::uint64_t hash, Bucket& bucket) const;

  void insert(const AddressPair& pair, PolicyCandidate candidate);
  // False if no candidate of this rank is filed under `pair`.
  bool erase(const AddressPair& pair, std::uint64_t rank);

  std::size_t size() const { return live_; }  // address pairs with at least one policy
  std::size_t capacity() const { return slots_.size(); }
  std::size_t tombstones() const { return dead_; }

 private:
  enum class SlotState : std::uint8_t { Empty, Live, Dead };
  static constexpr std::uint32_t kNoOverflow = 0;  // overflow_[0] is never used

  struct alignas(64) Slot {
    AddressPair key{};  // 32 bytes
    // The pair's first candidate, spelled out field by field so that the slot stays 64 bytes.
    std::uint64_t first_rank = 0;
    const Policy* first_policy = nullptr;
    std::uint32_t hash_tag = 0;            // the hash's low 32 bits: most mismatches skip the key
    std::uint32_t overflow = kNoOverflow;  // index into overflow_ of the other candidates
    SlotState state = SlotState::Empty;
    bool first_addresses_decide = false;

    PolicyCandidate first() const { return {first_rank, first_policy, first_addresses_decide}; }
    void set_first(const PolicyCandidate& c) {
      first_rank = c.rank;
      first_policy = c.policy;
      first_addresses_decide = c.addresses_decide;
    }
  };
  static_assert(sizeof(Slot) == 64, "one slot, one cache line");

  // The live slot holding `pair`, or nullptr.
  const Slot* find_slot(const AddressPair& pair, std::uint64_t hash) const;
  Slot* find_slot(const AddressPair& pair, std::uint64_t hash) {
    return const_cast<Slot*>(static_cast<const AddressPairTable*>(this)->find_slot(pair, hash));
  }
  // Rebuilds with room for `live_needed` pairs at most 1/2 full, without tombstones.
  void rehash(std::size_t live_needed);
  // The slot a new key goes to (the first empty or dead one on its probe path).
  static Slot& free_slot_for(std::vector<Slot>& slots, std::uint64_t hash);
  std::uint32_t take_overflow_list();  // a free overflow_ index (its vector empty)

  std::vector<Slot> slots_;  // capacity: 0 or a power of two
  std::size_t live_ = 0;
  std::size_t dead_ = 0;
  std::vector<std::vector<PolicyCandidate>> overflow_{1};  // ascending rank each
  std::vector<std::uint32_t> free_overflow_;
};

inline bool AddressPairTable::find(const AddressPair& pair, std::uint64_t hash, Bucket& bucket) const {
  const Slot* slot = find_slot(pair, hash);
  if (slot == nullptr) return false;
  bucket.first = slot->first();
  if (slot->overflow != kNoOverflow) {
    const std::vector<PolicyCandidate>& more = overflow_[slot->overflow];
    bucket.more = more.data();
    bucket.more_count = more.size();
  } else {
    bucket.more = nullptr;
    bucket.more_count = 0;
  }
  return true;
}

inline const AddressPairTable::Slot* AddressPairTable::find_slot(const AddressPair& pair,
                                                                 std::uint64_t hash) const {
  if (slots_.empty()) return nullptr;
  const std::size_t mask = slots_.size() - 1;
  const auto tag = static_cast<std::uint32_t>(hash);
  // Terminates: insert() keeps at least a quarter of the slots Empty.
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.state == SlotState::Empty) return nullptr;
    if (slot.state == SlotState::Live && slot.hash_tag == tag && slot.key == pair) return &slot;
  }
}

}  // namespace cygnet::ipsec
