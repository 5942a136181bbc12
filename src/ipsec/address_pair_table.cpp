#include "ipsec/address_pair_table.hpp"

#include <algorithm>

namespace cygnet::ipsec {

std::uint64_t hash_of(const AddressPair& pair) {
  // Multiply-xorshift rounds (the finaliser of MurmurHash3): every input bit reaches every output
  // bit, low ones included (the table indexes by the low bits), so networks differing only in a
  // few bits still spread over the slots.
  auto mix = [](std::uint64_t h, std::uint64_t word) {
    h ^= word;
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 33);
  };
  std::uint64_t h = 0x9e3779b97f4a7c15ULL;
  h = mix(h, pair.local[0]);
  h = mix(h, pair.local[1]);
  h = mix(h, pair.remote[0]);
  h = mix(h, pair.remote[1]);
  return h;
}

AddressPairTable::Slot& AddressPairTable::free_slot_for(std::vector<Slot>& slots, std::uint64_t hash) {
  const std::size_t mask = slots.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    if (slots[i].state != SlotState::Live) return slots[i];
  }
}

void AddressPairTable::rehash(std::size_t live_needed) {
  std::size_t capacity = 8;
  while (capacity < live_needed * 2) capacity *= 2;
  std::vector<Slot> rebuilt(capacity);  // the only step that may throw
  for (const Slot& slot : slots_) {
    // The stored low 32 hash bits place the slot again: a table of 2^32 slots (256 GiB) is
    // beyond any SPD, so the index bits are all among them.
    if (slot.state == SlotState::Live) free_slot_for(rebuilt, slot.hash_tag) = slot;
  }
  slots_.swap(rebuilt);
  dead_ = 0;
}

std::uint32_t AddressPairTable::take_overflow_list() {
  if (!free_overflow_.empty()) {
    const std::uint32_t index = free_overflow_.back();
    free_overflow_.pop_back();
    return index;
  }
  overflow_.emplace_back();
  try {
    free_overflow_.reserve(overflow_.size());  // so that giving a list back never allocates
  } catch (...) {
    overflow_.pop_back();
    throw;
  }
  return static_cast<std::uint32_t>(overflow_.size() - 1);
}

void AddressPairTable::insert(const AddressPair& pair, PolicyCandidate candidate) {
  const std::uint64_t hash = hash_of(pair);
  if (Slot* slot = find_slot(pair, hash)) {
    const bool had_list = slot->overflow != kNoOverflow;
    const std::uint32_t list_index = had_list ? slot->overflow : take_overflow_list();
    std::vector<PolicyCandidate>& list = overflow_[list_index];
    try {
      list.reserve(list.size() + 1);
    } catch (...) {
      if (!had_list) free_overflow_.push_back(list_index);  // capacity reserved: cannot throw
      throw;
    }
    slot->overflow = list_index;
    if (candidate.rank < slot->first_rank) {  // the new one goes first, the old first to the list
      const PolicyCandidate old_first = slot->first();
      slot->set_first(candidate);
      candidate = old_first;
    }
    const auto at =
        std::lower_bound(list.begin(), list.end(), candidate.rank,
                         [](const PolicyCandidate& c, std::uint64_t rank) { return c.rank < rank; });
    list.insert(at, candidate);
    return;
  }
  if ((live_ + dead_ + 1) * 4 > slots_.size() * 3) rehash(live_ + 1);
  Slot& slot = free_slot_for(slots_, hash);
  if (slot.state == SlotState::Dead) --dead_;
  slot.key = pair;
  slot.set_first(candidate);
  slot.hash_tag = static_cast<std::uint32_t>(hash);
  slot.overflow = kNoOverflow;
  slot.state = SlotState::Live;
  ++live_;
}

bool AddressPairTable::erase(const AddressPair& pair, std::uint64_t rank) {
  Slot* slot = find_slot(pair, hash_of(pair));
  if (slot == nullptr) return false;
  std::vector<PolicyCandidate>* list = slot->overflow != kNoOverflow ? &overflow_[slot->overflow] : nullptr;
  if (slot->first_rank == rank) {
    if (list == nullptr) {
      slot->state = SlotState::Dead;  // keeps the probe chains through this slot intact
      --live_;
      ++dead_;
      if (live_ == 0) {  // nothing left to find: start over without tombstones
        std::fill(slots_.begin(), slots_.end(), Slot{});
        dead_ = 0;
      }
      return true;
    }
    slot->set_first(list->front());
    list->erase(list->begin());
  } else {
    if (list == nullptr) return false;
    const auto at = std::lower_bound(list->begin(), list->end(), rank,
                                     [](const PolicyCandidate& c, std::uint64_t r) { return c.rank < r; });
    if (at == list->end() || at->rank != rank) return false;
    list->erase(at);
  }
  if (list->empty()) {
    free_overflow_.push_back(slot->overflow);  // capacity reserved: cannot throw
    slot->overflow = kNoOverflow;
  }
  return true;
}

}  // namespace cygnet::ipsec
