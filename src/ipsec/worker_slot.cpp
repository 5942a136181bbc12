// The slot registry is one 64-bit word: bit i set = slot i claimed. Claiming is a CAS on it;
// a thread_local owner releases its bit in its destructor (thread exit).
#include "ipsec/worker_slot.hpp"

#include <atomic>
#include <bit>
#include <cstdint>

namespace cygnet::ipsec {

namespace {

static_assert(kMaxWorkerSlots == 64, "the registry is one 64-bit word");

std::atomic<std::uint64_t> g_claimed{0};

std::size_t claim_slot() {
  std::uint64_t claimed = g_claimed.load(std::memory_order_relaxed);
  for (;;) {
    if (claimed == ~std::uint64_t{0}) return kNoWorkerSlot;
    const int slot = std::countr_one(claimed);  // lowest free bit
    const std::uint64_t bit = std::uint64_t{1} << slot;
    if (g_claimed.compare_exchange_weak(claimed, claimed | bit, std::memory_order_acq_rel)) {
      return static_cast<std::size_t>(slot);
    }
  }
}

struct SlotOwner {
  std::size_t slot = claim_slot();
  SlotOwner() = default;
  SlotOwner(const SlotOwner&) = delete;
  SlotOwner& operator=(const SlotOwner&) = delete;
  ~SlotOwner() {
    if (slot != kNoWorkerSlot) g_claimed.fetch_and(~(std::uint64_t{1} << slot), std::memory_order_acq_rel);
  }
};

}  // namespace

std::size_t detail::claim_worker_slot() {
  thread_local const SlotOwner owner;  // released when the thread exits
  t_worker_slot = owner.slot;
  return owner.slot;
}

std::size_t claimed_worker_slots() {
  return static_cast<std::size_t>(std::popcount(g_claimed.load(std::memory_order_relaxed)));
}

}  // namespace cygnet::ipsec
