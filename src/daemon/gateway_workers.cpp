// Data-plane workers ([daemon] workers > 1; docs/architecture.md, "Workers"). This thread keeps
// IKE, timers and control. Each worker reads one queue of the multi-queue TUN device and
// encrypts; the ESP/AH this thread reads from the raw sockets (and ESP in UDP from port 4500) is
// handed to the worker that owns the packet's SPI, so one SA's inbound packets are decrypted by one
// worker, in order. SA changes reach the workers as data plane replicas published after every
// change; their acquires and lifetime limits come back through worker_requests_.
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "daemon/gateway.hpp"
#include "daemon/logging.hpp"
#include "wire/byte_reader.hpp"
#include "wire/ip_packet.hpp"

namespace cygnet::daemon {

namespace {

// The SPI of an ESP or AH packet as a raw socket delivers it (IPv4 with its header; IPv6 with
// the 40-byte header the socket rebuilt, no extension headers), nullopt for anything else.
std::optional<std::uint32_t> spi_of(ByteView ip_packet) {
  if (ip_packet.empty()) return std::nullopt;
  std::size_t header = 0;
  std::uint8_t protocol = 0;
  if (ip_packet[0] >> 4 == 4) {
    header = static_cast<std::size_t>(ip_packet[0] & 0x0f) * 4;
    if (ip_packet.size() < 20) return std::nullopt;
    protocol = ip_packet[9];
  } else if (ip_packet[0] >> 4 == 6) {
    header = wire::kIpv6HeaderLength;
    if (ip_packet.size() < header) return std::nullopt;
    protocol = ip_packet[6];
  } else {
    return std::nullopt;
  }
  const std::size_t at = header + (protocol == wire::ip_protocol::kAh ? 4 : 0);
  if ((protocol != wire::ip_protocol::kEsp && protocol != wire::ip_protocol::kAh) ||
      ip_packet.size() < at + 4)
    return std::nullopt;
  return wire::load_be32(ip_packet.data() + at);
}

// SPIs are random, but mixing keeps a peer that numbers them sequentially spread evenly.
std::size_t worker_of(std::uint32_t spi, std::size_t workers) {
  return static_cast<std::size_t>((std::uint64_t{spi} * 0x9e3779b97f4a7c15ULL) >> 32) % workers;
}

void add(DaemonCounters& into, const WorkerIoCounters& io, const gateway::WorkerCounters& path) {
  into.tun_packets_read += path.tun_packets_read.load(std::memory_order_relaxed);
  into.tun_packets_written += io.tun_packets_written.load(std::memory_order_relaxed);
  into.network_packets_sent += io.network_packets_sent.load(std::memory_order_relaxed);
  into.send_errors += io.send_errors.load(std::memory_order_relaxed);
  into.tun_super_packets_read += io.tun_super_packets_read.load(std::memory_order_relaxed);
  into.tun_segments_from_super_packets += io.tun_segments_from_super_packets.load(std::memory_order_relaxed);
  into.tun_coalesced_writes += io.tun_coalesced_writes.load(std::memory_order_relaxed);
  into.tun_segments_coalesced += io.tun_segments_coalesced.load(std::memory_order_relaxed);
  into.tun_offload_errors += io.tun_offload_errors.load(std::memory_order_relaxed);
  into.sockets.send_calls += io.socket_send_calls.load(std::memory_order_relaxed);
  into.sockets.messages_sent += io.socket_messages_sent.load(std::memory_order_relaxed);
  into.sockets.gso_messages += io.gso_messages.load(std::memory_order_relaxed);
  into.sockets.gso_datagrams += io.gso_datagrams.load(std::memory_order_relaxed);
  into.sockets.gso_resent_singly += io.gso_resent_singly.load(std::memory_order_relaxed);
}

}  // namespace

void Gateway::start_workers(std::size_t count) {
  if (count <= 1) return;
  worker_requests_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (worker_requests_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd for workers");
  worker_requests_.set_wake([fd = worker_requests_fd_] {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(fd, &one, sizeof one);
  });
  std::vector<TunDevice*> queues{&*tun_};
  for (std::size_t i = 1; i < count; ++i) {
    tun_queues_.push_back(std::make_unique<TunDevice>(tun_->open_queue()));
    queues.push_back(tun_queues_.back().get());
  }
  for (std::size_t i = 0; i < count; ++i) {
    workers_.push_back(std::make_unique<DataWorker>(i, queues, worker_requests_, worker_pause_,
                                                    options_.fwmark, udp_sender_.gso(),
                                                    [this](const ike::Endpoint& local) {
                                                      const IkeSocket* socket = udp_socket_for(local);
                                                      return socket != nullptr ? socket->socket.fd() : -1;
                                                    }));
  }
  wake_pending_.assign(count, false);
  publish_replicas();  // before the first packet
  for (auto& worker : workers_) worker->start();
  loop_.watch(worker_requests_fd_, [this] { on_worker_requests_readable(); });
  log(Subsystem::DataPlane).info("{} data-plane workers, one TUN queue each", count);
}

void Gateway::stop_workers() {
  for (auto& worker : workers_) worker->stop();
}

void Gateway::publish_replicas() {
  replicas_dirty_ = false;
  gateway::ReplicaContext context = core_->replica_context();
  context.workers = workers_.size();
  // RFC 9611: the ESP of a per-resource SA goes to the worker that sends on its partner.
  resource_spi_workers_.clear();
  for (const auto& [spi, resource] : core_->binding().resource_inbound_spis())
    resource_spi_workers_[spi] = gateway::worker_of_resource(resource, workers_.size());
  route_based_spis_.clear();
  for (const auto& [sa, link] : context.links) {
    if (const ipsec::SecurityAssociation* entry = core_->data_plane().sad().find(sa))
      route_based_spis_.insert(entry->spi());
  }
  for (auto& worker : workers_) {
    worker->path().publish(core_->data_plane().replica(), context);
    worker->wake();  // an idle worker lets go of removed SAs (and their keys) now
  }
}

void Gateway::with_workers_paused(const std::function<void()>& change) {
  if (workers_.empty()) {
    change();
    return;
  }
  worker_pause_.pause(workers_.size(), [this] {
    for (auto& worker : workers_) worker->wake();
  });
  change();
  worker_pause_.resume();
  // The SAD of every replica still files a moved inbound SA under its old address.
  publish_replicas();
}

std::vector<gateway::ShuntState> Gateway::shunt_states() const {
  std::unordered_map<std::string, gateway::ShuntCounts> from_workers;
  for (const auto& worker : workers_) {
    for (const auto& [key, counts] : worker->path().shunt_counts()) {
      gateway::ShuntCounts& sum = from_workers[key];
      sum.packets_out += counts.packets_out;
      sum.packets_in += counts.packets_in;
    }
  }
  return core_->shunt_table().with_counts(from_workers);
}

bool Gateway::hand_to_worker(ByteView packet, const std::optional<ipsec::UdpEndpoints>& udp) {
  if (workers_.empty() || packet.size() > DataWorker::kRingSlotSize) return false;
  std::optional<std::uint32_t> spi;
  if (udp) {
    if (packet.size() >= 4) spi = wire::load_be32(packet.data());
  } else {
    spi = spi_of(packet);
  }
  if (!spi) return false;
  if (!route_based_spis_.empty() && route_based_spis_.contains(*spi)) return false;  // this thread's
  const auto own = resource_spi_workers_.find(*spi);  // a per-resource SA's worker
  const std::size_t index =
      own != resource_spi_workers_.end() ? own->second : worker_of(*spi, workers_.size());
  if (workers_[index]->hand_over(packet, udp)) wake_pending_[index] = true;  // else counted there
  return true;
}

void Gateway::wake_workers() {
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    if (!wake_pending_[i]) continue;
    wake_pending_[i] = false;
    workers_[i]->wake();
  }
}

void Gateway::on_worker_requests_readable() {
  std::uint64_t wakes = 0;
  [[maybe_unused]] const ssize_t n = ::read(worker_requests_fd_, &wakes, sizeof wakes);
  const TimePoint now = Clock::now();
  gateway::OutputBatch& out = batch();
  for (const gateway::WorkerRequest& request : worker_requests_.take_all()) {
    core_->on_worker_request(request, now, out);
    if (request.kind == gateway::WorkerRequest::Kind::LinkMtuRefused) replicas_dirty_ = true;
  }
  carry_out(now);
}

ipsec::GlobalCounters Gateway::data_plane_counters() const {
  ipsec::GlobalCounters sum = core_->data_plane().counters();
  for (const auto& worker : workers_) gateway::add_counters(sum, worker->path().data_plane_counters());
  return sum;
}

DaemonCounters Gateway::daemon_counters() const {
  DaemonCounters shown = counters_;
  for (const auto& worker : workers_) add(shown, worker->io_counters(), worker->path().counters());
  return shown;
}

nlohmann::json Gateway::workers_json() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& worker : workers_) {
    const gateway::WorkerCounters& c = worker->path().counters();
    const WorkerIoCounters& io = worker->io_counters();
    auto get = [](const std::atomic<std::uint64_t>& v) { return v.load(std::memory_order_relaxed); };
    list.push_back({{"worker", worker->index()},
                    {"tun_packets_read", get(c.tun_packets_read)},
                    {"protected_out", get(c.protected_out)},
                    {"network_packets_in", get(c.network_packets_in)},
                    {"decapsulated_in", get(c.decapsulated_in)},
                    {"outbound_drops", get(c.outbound_drops)},
                    {"inbound_drops", get(c.inbound_drops)},
                    {"acquires", get(c.acquires)},
                    {"requests_dropped", get(c.requests_dropped)},
                    {"tun_packets_written", get(io.tun_packets_written)},
                    {"network_packets_sent", get(io.network_packets_sent)},
                    {"send_errors", get(io.send_errors)},
                    {"hand_over_drops", get(io.hand_over_drops)}});
  }
  return list;
}

}  // namespace cygnet::daemon
