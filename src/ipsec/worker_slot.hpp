// Worker slots: a small dense index per data-plane thread, so per-SA state that must not be shared
// between threads (OpenSSL cipher contexts, statistics shards) can live in a fixed array per SA.
//
// A thread claims the lowest free slot the first time it asks and gives it back when it exits, so
// the daemon's workers, the IKE thread and test threads each get their own without registering.
// With every slot taken a thread gets kNoWorkerSlot; the data plane then drops its packets under a
// counted reason instead of sharing a context (never a data race).
#pragma once

#include <cstddef>

namespace cygnet::ipsec {

inline constexpr std::size_t kMaxWorkerSlots = 64;
inline constexpr std::size_t kNoWorkerSlot = kMaxWorkerSlots;

namespace detail {
// The calling thread's slot, or kUnclaimedSlot before its first use. Trivially initialised, so
// reading it costs one TLS load and no initialisation guard (it is read several times a packet).
inline constexpr std::size_t kUnclaimedSlot = kMaxWorkerSlots + 1;
inline thread_local std::size_t t_worker_slot = kUnclaimedSlot;
std::size_t claim_worker_slot();  // claims, registers release at thread exit, stores t_worker_slot
}  // namespace detail

// The calling thread's slot, claimed on first use.
inline std::size_t current_worker_slot() {
  const std::size_t slot = detail::t_worker_slot;
  return slot != detail::kUnclaimedSlot ? slot : detail::claim_worker_slot();
}

// Slots currently claimed (status and tests).
std::size_t claimed_worker_slots();

}  // namespace cygnet::ipsec
