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

// The calling thread's slot, claimed on first use (cheap after that: one thread_local read).
std::size_t current_worker_slot();

// Slots currently claimed (status and tests).
std::size_t claimed_worker_slots();

}  // namespace cygnet::ipsec
