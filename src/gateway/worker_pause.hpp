// Stops data-plane workers at a safe point for the rare change that cannot be published as a new
// replica: MOBIKE moves a CHILD SA's addresses in the SA object itself, which every replica
// shares (GatewayCore's CoreOptions::with_workers_paused). The control thread pause()s — every
// worker finishes the batch it is in and waits at its next checkpoint() — changes the SA, and
// resume()s. The mutex hand-over orders the workers' reads before the change and the change
// before their next reads, so no worker ever reads an SA's endpoints while they are written.
// A worker pays one relaxed atomic load per batch while no pause is asked for.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>

namespace cygnet::gateway {

class WorkerPause {
 public:
  // --- control thread
  // Asks every worker to stop, calls `wake` so that sleeping workers notice, and returns once
  // `workers` of them wait in checkpoint() (or went away: worker_gone()).
  void pause(std::size_t workers, const std::function<void()>& wake);
  void resume();

  // --- worker thread
  // Between batches: returns at once unless a pause is asked for, else waits for resume().
  void checkpoint();
  // A worker thread that ends (it will never reach a checkpoint again).
  void worker_gone();

  std::size_t pauses() const { return pauses_; }  // control thread: how many pause()s so far

 private:
  std::atomic<bool> asked_{false};
  std::mutex mutex_;
  std::condition_variable changed_;
  bool paused_wanted_ = false;  // guarded by mutex_
  std::size_t waiting_ = 0;     // workers in checkpoint() (or gone), guarded by mutex_
  std::size_t gone_ = 0;        // workers that ended, guarded by mutex_
  std::size_t pauses_ = 0;
};

}  // namespace cygnet::gateway
