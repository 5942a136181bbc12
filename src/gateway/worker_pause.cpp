#include "gateway/worker_pause.hpp"

namespace cygnet::gateway {

void WorkerPause::pause(std::size_t workers, const std::function<void()>& wake) {
  ++pauses_;
  {
    std::lock_guard lock(mutex_);
    paused_wanted_ = true;
    asked_.store(true, std::memory_order_release);
  }
  if (wake) wake();
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return waiting_ + gone_ >= workers; });
}

void WorkerPause::resume() {
  {
    std::lock_guard lock(mutex_);
    paused_wanted_ = false;
    asked_.store(false, std::memory_order_release);
  }
  changed_.notify_all();
}

void WorkerPause::checkpoint() {
  if (!asked_.load(std::memory_order_acquire)) return;
  std::unique_lock lock(mutex_);
  if (!paused_wanted_) return;
  ++waiting_;
  changed_.notify_all();
  changed_.wait(lock, [&] { return !paused_wanted_; });
  --waiting_;
}

void WorkerPause::worker_gone() {
  {
    std::lock_guard lock(mutex_);
    ++gone_;
  }
  changed_.notify_all();
}

}  // namespace cygnet::gateway
