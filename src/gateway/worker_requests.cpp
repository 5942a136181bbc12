#include "gateway/worker_requests.hpp"

namespace cygnet::gateway {

bool WorkerRequestQueue::push(WorkerRequest request) {
  bool was_empty = false;
  {
    std::lock_guard lock(mutex_);
    if (queued_.size() >= capacity_) {
      overflow_drops_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    was_empty = queued_.empty();
    queued_.push_back(std::move(request));
  }
  if (was_empty && wake_) wake_();
  return true;
}

std::vector<WorkerRequest> WorkerRequestQueue::take_all() {
  std::vector<WorkerRequest> taken;
  std::lock_guard lock(mutex_);
  taken.swap(queued_);
  return taken;
}

}  // namespace cygnet::gateway
