#include "gateway/acquire_queue.hpp"

namespace cygnet::gateway {

bool AcquireQueue::hold(const Key& key, ByteView packet, TimePoint now) {
  auto& queue = queues_[key];
  if (queue.size() >= limits_.per_child || total_ >= limits_.total) {
    ++overflow_drops_;
    if (queue.empty()) queues_.erase(key);
    return false;
  }
  queue.push_back(Held{now, Bytes(packet.begin(), packet.end())});
  ++total_;
  ++held_;
  return true;
}

std::vector<Bytes> AcquireQueue::release(const Key& key, TimePoint now) {
  std::vector<Bytes> out;
  auto it = queues_.find(key);
  if (it == queues_.end()) return out;
  for (Held& h : it->second) {
    if (now - h.since > limits_.max_wait) {
      ++expired_drops_;
    } else {
      out.push_back(std::move(h.packet));
    }
  }
  total_ -= it->second.size();
  queues_.erase(it);
  return out;
}

std::size_t AcquireQueue::discard(const Key& key) {
  auto it = queues_.find(key);
  if (it == queues_.end()) return 0;
  const std::size_t n = it->second.size();
  total_ -= n;
  queues_.erase(it);
  return n;
}

std::size_t AcquireQueue::discard_connection(const std::string& connection) {
  std::size_t dropped = 0;
  for (auto it = queues_.begin(); it != queues_.end();) {
    if (it->first.first != connection) {
      ++it;
      continue;
    }
    dropped += it->second.size();
    it = queues_.erase(it);
  }
  total_ -= dropped;
  return dropped;
}

std::size_t AcquireQueue::expire(TimePoint now) {
  std::size_t dropped = 0;
  for (auto it = queues_.begin(); it != queues_.end();) {
    auto& queue = it->second;
    while (!queue.empty() && now - queue.front().since > limits_.max_wait) {
      queue.pop_front();
      ++dropped;
    }
    it = queue.empty() ? queues_.erase(it) : std::next(it);
  }
  total_ -= dropped;
  expired_drops_ += dropped;
  return dropped;
}

}  // namespace cygnet::gateway
