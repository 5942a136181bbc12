#include "daemon/data_worker.hpp"

#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <system_error>

#include "daemon/logging.hpp"
#include "wire/byte_reader.hpp"

namespace cygnet::daemon {

namespace {

constexpr int kTunReadBatch = 64;  // TUN reads per wake-up (each up to a 64 KiB super-packet)
constexpr int kRingBatch = 256;    // handed-over packets per wake-up

// A hash of an IP packet's flow that is the same for both directions (addresses and ports
// combined with a commutative sum), to pick the TUN queue a decrypted packet is written to.
std::size_t symmetric_flow_hash(ByteView p) {
  std::uint64_t h = 0;
  std::size_t l4 = 0;
  std::uint8_t protocol = 0;
  if (p.size() >= 20 && p[0] >> 4 == 4) {
    h = std::uint64_t{wire::load_be32(p.data() + 12)} + wire::load_be32(p.data() + 16);
    protocol = p[9];
    const bool first_fragment = (wire::load_be16(p.data() + 6) & 0x1fff) == 0;
    l4 = first_fragment ? static_cast<std::size_t>(p[0] & 0x0f) * 4 : 0;
  } else if (p.size() >= 40 && p[0] >> 4 == 6) {
    for (std::size_t i = 8; i < 40; i += 4) h += wire::load_be32(p.data() + i);
    protocol = p[6];
    l4 = 40;
  }
  if (l4 != 0 && p.size() >= l4 + 4 && (protocol == 6 || protocol == 17 || protocol == 132))
    h += std::uint64_t{wire::load_be16(p.data() + l4)} + wire::load_be16(p.data() + l4 + 2);
  h += protocol;
  return static_cast<std::size_t>((h * 0x9e3779b97f4a7c15ULL) >> 32);
}

void bump(std::atomic<std::uint64_t>& counter, std::uint64_t by = 1) {
  counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

}  // namespace

static std::vector<std::unique_ptr<TunPacketIo>> packet_ios(const std::vector<TunDevice*>& queues) {
  std::vector<std::unique_ptr<TunPacketIo>> ios;
  for (TunDevice* queue : queues) ios.push_back(std::make_unique<TunPacketIo>(*queue));
  return ios;
}

DataWorker::DataWorker(std::size_t index, const std::vector<TunDevice*>& tun_queues,
                       gateway::WorkerRequestQueue& requests, gateway::WorkerPause& pause,
                       std::uint32_t fwmark, bool udp_gso, UdpSocketFor udp_socket_for)
    : tun_(*tun_queues.at(index)),
      tun_ios_(packet_ios(tun_queues)),
      tun_io_(*tun_ios_[index]),
      path_(index, requests),
      requests_(requests),
      pause_(pause),
      raw_v4_(RawIpSocket::open_sender(wire::IpFamily::V4, fwmark)),
      udp_socket_for_(std::move(udp_socket_for)),
      udp_sender_(udp_gso) {
  try {
    raw_v6_.emplace(RawIpSocket::open_sender(wire::IpFamily::V6, fwmark));
  } catch (const std::system_error& e) {
    log(Subsystem::Net).warn("worker {}: no IPv6 raw sending socket: {}", index, e.what());
  }
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) throw std::system_error(errno, std::generic_category(), "worker eventfd");
}

DataWorker::~DataWorker() {
  stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void DataWorker::start() {
  // Signals are the control thread's (its signalfd): the worker is created with every signal
  // blocked, or a SIGTERM the kernel picked this thread for would end the process at once.
  sigset_t all;
  sigset_t previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  thread_ = std::thread([this] { run(); });
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

void DataWorker::stop() {
  stopping_.store(true, std::memory_order_release);
  wake();
  if (thread_.joinable()) thread_.join();
}

bool DataWorker::hand_over(ByteView packet, const std::optional<ipsec::UdpEndpoints>& udp) {
  if (!ring_.push(packet, udp)) {
    bump(io_.hand_over_drops);
    return false;
  }
  bump(io_.handed_over);
  return true;
}

void DataWorker::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof one);  // EAGAIN: already awake
}

void DataWorker::run() {
  const int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) {
    log(Subsystem::DataPlane).error("worker {}: epoll_create1: {}", index(), std::strerror(errno));
    pause_.worker_gone();
    return;
  }
  for (int fd : {tun_.fd(), wake_fd_}) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = fd;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
  }
  gateway::OutputBatch out;
  bool more = false;  // work left after the last batch: look again without sleeping
  while (!stopping_.load(std::memory_order_acquire)) {
    epoll_event events[2];
    const int ready = ::epoll_wait(epoll_fd, events, 2, more ? 0 : -1);
    if (ready < 0 && errno != EINTR) {
      log(Subsystem::DataPlane).error("worker {}: epoll_wait: {}", index(), std::strerror(errno));
      break;
    }
    // Reset the wake-up before looking at the ring: a packet handed over after this read wakes
    // the next epoll_wait again.
    std::uint64_t wakes = 0;
    [[maybe_unused]] const ssize_t n = ::read(wake_fd_, &wakes, sizeof wakes);
    pause_.checkpoint();  // the control thread changing an SA in place (MOBIKE) waits for this
    path_.refresh();      // SA changes published since the last batch
    const TimePoint now = Clock::now();
    out.clear();
    more = false;
    int reads = 0;
    for (; reads < kTunReadBatch; ++reads) {
      std::optional<std::span<const ByteView>> packets;
      try {
        packets = tun_io_.read();
      } catch (const std::system_error& e) {
        log(Subsystem::DataPlane).error("worker {}: reading {}: {}", index(), tun_.name(), e.what());
        break;
      }
      if (!packets) break;
      for (const ByteView packet : *packets) path_.on_tun_packet(packet, now, out);
      // Out at once, not at the end of the batch: the other workers take sequence numbers of the
      // same SA meanwhile, and the longer ours wait, the further out of order the peer sees them
      // (beyond its replay window they are dropped as too old).
      carry_out(out);
      out.clear();
    }
    more = reads == kTunReadBatch;
    int taken = 0;
    for (; taken < kRingBatch; ++taken) {
      const std::optional<gateway::RingPacket> packet = ring_.front();
      if (!packet) break;
      if (packet->udp) {
        path_.on_esp_in_udp(packet->bytes, *packet->udp, now, out);
      } else {
        path_.on_raw_packet(packet->bytes, now, out);
      }
      ring_.pop();  // after processing: the packet's bytes live in the slot until then
    }
    more = more || taken == kRingBatch;
    carry_out(out);
    path_.publish_counters();
    TunOffloadCounters offload;
    for (const auto& queue : tun_ios_) {
      const TunOffloadCounters& c = queue->counters();
      offload.super_packets_read += c.super_packets_read;
      offload.segments_from_super_packets += c.segments_from_super_packets;
      offload.coalesced_writes += c.coalesced_writes;
      offload.segments_coalesced += c.segments_coalesced;
      offload.offload_errors += c.offload_errors;
    }
    io_.tun_super_packets_read.store(offload.super_packets_read, std::memory_order_relaxed);
    io_.tun_segments_from_super_packets.store(offload.segments_from_super_packets, std::memory_order_relaxed);
    io_.tun_coalesced_writes.store(offload.coalesced_writes, std::memory_order_relaxed);
    io_.tun_segments_coalesced.store(offload.segments_coalesced, std::memory_order_relaxed);
    io_.tun_offload_errors.store(offload.offload_errors, std::memory_order_relaxed);
    const SocketBatchCounters& raw = raw_sender_.counters();
    const SocketBatchCounters& udp = udp_sender_.counters();
    io_.socket_send_calls.store(raw.send_calls + udp.send_calls, std::memory_order_relaxed);
    io_.socket_messages_sent.store(raw.messages_sent + udp.messages_sent, std::memory_order_relaxed);
    io_.gso_messages.store(udp.gso_messages, std::memory_order_relaxed);
    io_.gso_datagrams.store(udp.gso_datagrams, std::memory_order_relaxed);
    io_.gso_resent_singly.store(udp.gso_resent_singly, std::memory_order_relaxed);
  }
  ::close(epoll_fd);
  pause_.worker_gone();
}

void DataWorker::carry_out(gateway::OutputBatch& out) {
  sending_.clear();
  for (const gateway::OutputPacket& p : out.packets()) {
    const ByteView bytes = out.bytes(p);
    switch (p.destination) {
      case gateway::Destination::Tun: {
        if (p.link != 0) {
          // A route-based connection's interface is the control thread's (created and removed
          // there): the packet goes back to it.
          gateway::WorkerRequest r;
          r.kind = gateway::WorkerRequest::Kind::LinkPacket;
          r.link = p.link;
          r.packet.assign(bytes.begin(), bytes.end());
          if (!requests_.push(std::move(r))) bump(io_.send_errors);
          break;
        }
        TunPacketIo& queue = *tun_ios_[symmetric_flow_hash(bytes) % tun_ios_.size()];
        const TunWriteResult written = queue.queue_write(bytes);
        bump(io_.tun_packets_written, written.packets_written);
        bump(io_.send_errors, written.packets_failed);
        break;
      }
      case gateway::Destination::Raw: {
        const std::optional<RawIpSocket>& raw = p.family == wire::IpFamily::V6 ? raw_v6_ : raw_v4_;
        if (!raw) {
          bump(io_.send_errors);
          break;
        }
        raw_sender_.queue(raw->send_fd(), p.family, bytes);
        sending_.push_back(&p);
        break;
      }
      case gateway::Destination::Udp: break;  // below, after the raw packets
    }
  }
  if (!sending_.empty()) {
    const std::span<const SendOutcome> outcomes = raw_sender_.flush();
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
      if (outcomes[i].sent) {
        bump(io_.network_packets_sent);
        continue;
      }
      bump(io_.send_errors);
      const gateway::OutputPacket& p = *sending_[i];
      if (outcomes[i].error == EMSGSIZE && p.purpose == gateway::Purpose::Data) {
        gateway::WorkerRequest r;
        r.kind = gateway::WorkerRequest::Kind::LinkMtuRefused;
        r.peer = p.remote.address;
        requests_.push(std::move(r));
      }
    }
  }
  // In batch order, so the ESP packets cut from one TUN super-packet leave as one GSO message.
  std::size_t udp_queued = 0;
  for (const gateway::OutputPacket& p : out.packets()) {
    if (p.destination != gateway::Destination::Udp) continue;
    const int fd = udp_socket_for_(p.local);
    if (fd < 0) {
      bump(io_.send_errors);
      continue;
    }
    udp_sender_.queue(fd, p.local.address, UdpEndpoint{p.remote.address, p.remote.port}, out.bytes(p));
    ++udp_queued;
  }
  if (udp_queued != 0) {
    for (const SendOutcome& outcome : udp_sender_.flush())
      bump(outcome.sent ? io_.network_packets_sent : io_.send_errors);
  }
  for (auto& queue : tun_ios_) {
    const TunWriteResult flushed = queue->flush();
    bump(io_.tun_packets_written, flushed.packets_written);
    bump(io_.send_errors, flushed.packets_failed);
  }
}

}  // namespace cygnet::daemon
