// What a data-plane worker needs the control (IKE) thread to do: negotiate an SA for a packet
// that hit a PROTECT policy without one (acquire), or rekey / delete an SA that reached a
// lifetime limit. Workers push; the control thread takes everything at once
// (GatewayCore::on_worker_request). These are rare events, not per-packet work: a short mutex
// guards the list, held by the control thread only to swap it out, so a worker never waits for
// IKE work. Bounded: past the capacity requests are dropped and counted (an acquire is repeated
// by the next packet anyway; a lifetime limit by the control thread's own timers and the hard limit).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "base/bytes.hpp"
#include "ipsec/lifetime.hpp"
#include "ipsec/sad.hpp"
#include "ipsec/spd.hpp"

namespace cygnet::gateway {

struct WorkerRequest {
  enum class Kind : std::uint8_t {
    Acquire,         // `policy` needs an SA; `packet` is the cleartext packet to hold meanwhile
    LifetimeLimit,   // `sa` reached `event` (Rekey: soft limit, Expired: hard limit)
    LinkMtuRefused,  // a raw send toward `peer` failed with EMSGSIZE: ask the route's MTU again
    LinkPacket,      // `packet`, decapsulated on a route-based SA, goes out of interface `link`
  };
  Kind kind = Kind::Acquire;
  ipsec::PolicyId policy = 0;
  ipsec::SaHandle sa = 0;
  ipsec::LifetimeEvent event = ipsec::LifetimeEvent::None;
  wire::IpAddress peer;
  std::uint32_t link = 0;  // LinkPacket: a gateway::LinkId
  Bytes packet;
};

class WorkerRequestQueue {
 public:
  static constexpr std::size_t kDefaultCapacity = 1024;
  explicit WorkerRequestQueue(std::size_t capacity = kDefaultCapacity) : capacity_(capacity) {}

  // Called (by the pushing worker) when a request lands in an empty queue: the daemon writes an
  // eventfd the control thread's loop watches. Set before any worker runs.
  void set_wake(std::function<void()> wake) { wake_ = std::move(wake); }

  // Any thread. False when full (counted in overflow_drops()).
  bool push(WorkerRequest request);
  // The control thread: every queued request, oldest first.
  std::vector<WorkerRequest> take_all();

  std::uint64_t overflow_drops() const { return overflow_drops_.load(std::memory_order_relaxed); }

 private:
  const std::size_t capacity_;
  std::mutex mutex_;
  std::vector<WorkerRequest> queued_;
  std::function<void()> wake_;
  std::atomic<std::uint64_t> overflow_drops_{0};
};

}  // namespace cygnet::gateway
