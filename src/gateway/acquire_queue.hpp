// Packets that matched a trap policy while their CHILD SA is being negotiated. They wait here,
// bounded per child and in total, and are sent once the SA is up — the first packets of a
// connection are not lost to the negotiation. Pure: no I/O, time passed in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.hpp"
#include "base/time.hpp"

namespace cygnet::gateway {

struct AcquireLimits {
  std::size_t per_child = 64;
  std::size_t total = 1024;
  Seconds max_wait{10};  // the negotiation retransmits for longer, but stale packets help no one
};

class AcquireQueue {
 public:
  using Limits = AcquireLimits;
  using Key = std::pair<std::string, std::string>;  // connection, child

  explicit AcquireQueue(Limits limits = {}) : limits_(limits) {}

  // Holds a copy of `packet`. False (and counted) when a limit is reached: the packet is dropped.
  bool hold(const Key& key, ByteView packet, TimePoint now);
  // Hands back every packet held for `key`, oldest first (those older than max_wait are dropped).
  std::vector<Bytes> release(const Key& key, TimePoint now);
  // Drops every packet held for `key` (the negotiation failed). Returns how many.
  std::size_t discard(const Key& key);
  // Drops every packet held for any child of `connection`. Returns how many.
  std::size_t discard_connection(const std::string& connection);
  // Drops packets older than max_wait everywhere. Returns how many.
  std::size_t expire(TimePoint now);

  std::size_t size() const { return total_; }
  std::uint64_t held() const { return held_; }
  std::uint64_t overflow_drops() const { return overflow_drops_; }
  std::uint64_t expired_drops() const { return expired_drops_; }

 private:
  struct Held {
    TimePoint since;
    Bytes packet;
  };
  Limits limits_;
  std::map<Key, std::deque<Held>> queues_;
  std::size_t total_ = 0;
  std::uint64_t held_ = 0;
  std::uint64_t overflow_drops_ = 0;
  std::uint64_t expired_drops_ = 0;
};

}  // namespace cygnet::gateway
