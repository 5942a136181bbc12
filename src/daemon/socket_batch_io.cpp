#include "daemon/socket_batch_io.hpp"

#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

#include "daemon/os/socket_messages.hpp"
#include "wire/ip_packet.hpp"

namespace cygnet::daemon {

namespace {

using wire::IpAddress;
using wire::IpFamily;

// Room per message for the control messages: IPV6_PKTINFO (or IP_PKTINFO), IPV6_TCLASS, UDP_GRO
// on receive; pktinfo and UDP_SEGMENT on send. A multiple of 16 keeps every slot aligned.
constexpr std::size_t kControlSize = 128;
static_assert(CMSG_SPACE(sizeof(in6_pktinfo)) + 2 * CMSG_SPACE(sizeof(int)) <= kControlSize);
// A GSO message's payloads together: under the 64 KiB an IP packet can hold, headers included.
constexpr std::size_t kMaxGsoBytes = 65000;

// recvmmsg without EINTR: messages read, 0 when none is waiting, -1 with errno on other errors.
int receive_batch(int fd, mmsghdr* messages, std::size_t count) {
  for (;;) {
    const int n = ::recvmmsg(fd, messages, static_cast<unsigned>(count), MSG_DONTWAIT, nullptr);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    return -1;
  }
}

// sendmmsg without EINTR: messages sent, or -1 with errno for the first one.
int send_batch(int fd, mmsghdr* messages, std::size_t count) {
  for (;;) {
    const int n = ::sendmmsg(fd, messages, static_cast<unsigned>(count), MSG_NOSIGNAL);
    if (n >= 0 || errno != EINTR) return n;
  }
}

// Sends messages[first, end) on `fd` in as few sendmmsg calls as the kernel allows: taken(k) for
// each message it took; the first message of a call that it refused (0 sent counts as a full
// queue, EAGAIN) goes to refused(k, errno) and sending goes on after it.
template <typename Taken, typename Refused>
void send_messages(int fd, mmsghdr* messages, std::size_t first, std::size_t end,
                   SocketBatchCounters& counters, Taken taken, Refused refused) {
  std::size_t k = first;
  while (k < end) {
    ++counters.send_calls;
    const int n = send_batch(fd, messages + k, end - k);
    if (n > 0) {
      for (std::size_t j = k; j < k + static_cast<std::size_t>(n); ++j) {
        ++counters.messages_sent;
        taken(j);
      }
      k += static_cast<std::size_t>(n);
      continue;
    }
    refused(k, n < 0 ? errno : EAGAIN);
    ++k;
  }
}

}  // namespace

bool udp_gso_supported(int fd) {
  // Setting a zero segment size is a no-op where the option exists (Linux 4.18+).
  int zero = 0;
  return ::setsockopt(fd, SOL_UDP, UDP_SEGMENT, &zero, sizeof zero) == 0;
}

bool enable_udp_gro(int fd) {
  int on = 1;
  return ::setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof on) == 0;
}

// ---- ReceiveSlots ----

ReceiveSlots::ReceiveSlots()
    : buffers_(kSocketBatch * kSlotBytes),
      names_(kSocketBatch),
      controls_(kSocketBatch * kControlSize),
      iovecs_(kSocketBatch),
      messages_(kSocketBatch) {}

int ReceiveSlots::receive(int fd, std::size_t header_room, SocketBatchCounters& counters) {
  for (std::size_t i = 0; i < kSocketBatch; ++i) {
    iovecs_[i] = iovec{slot(i) + header_room, kSlotBytes - header_room};
    msghdr& h = messages_[i].msg_hdr;
    h = msghdr{};
    h.msg_name = &names_[i];
    h.msg_namelen = sizeof names_[i];
    h.msg_iov = &iovecs_[i];
    h.msg_iovlen = 1;
    h.msg_control = controls_.data() + i * kControlSize;
    h.msg_controllen = kControlSize;
    messages_[i].msg_len = 0;
  }
  const int n = receive_batch(fd, messages_.data(), kSocketBatch);
  if (n > 0) {
    ++counters.receive_calls;
    counters.messages_received += static_cast<std::size_t>(n);
  }
  return n;
}

// ---- UdpBatchReceiver ----

UdpBatchReceiver::UdpBatchReceiver() {
  datagrams_.reserve(kSocketBatch * kMaxGsoSegments);
}

std::span<const ReceivedUdp> UdpBatchReceiver::receive(int fd, std::uint16_t local_port) {
  datagrams_.clear();
  const int n = slots_.receive(fd, 0, counters_);
  if (n < 0) {
    throw std::system_error(errno, std::generic_category(),
                            "UDP socket port " + std::to_string(local_port) + ": recvmmsg");
  }
  for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
    msghdr& header = slots_.header(i);
    if ((header.msg_flags & MSG_TRUNC) != 0) {
      ++counters_.truncated_drops;
      continue;
    }
    const ReceivedControl facts = read_control_messages(header);
    ReceivedUdp datagram;
    datagram.remote = endpoint_of(slots_.sender(i));
    datagram.local.port = local_port;
    // The kernel always supplies pktinfo once asked; without it we only know the family.
    datagram.local.address =
        facts.destination.value_or(datagram.remote.address.is_v4() ? IpAddress() : IpAddress::v6(ByteView()));
    const ByteView whole(slots_.slot(i), slots_.length(i));
    // A GRO aggregate: datagrams of gro_size bytes back to back, the last one maybe shorter.
    const std::size_t step =
        facts.gro_size != 0 && facts.gro_size < whole.size() ? facts.gro_size : whole.size();
    if (step < whole.size()) ++counters_.gro_aggregates;
    if (whole.empty()) {  // an empty datagram is still one
      datagram.payload = whole;
      datagrams_.push_back(datagram);
      continue;
    }
    for (std::size_t offset = 0; offset < whole.size(); offset += step) {
      datagram.payload = whole.subspan(offset, std::min(step, whole.size() - offset));
      datagrams_.push_back(datagram);
      if (step < whole.size()) ++counters_.gro_datagrams;
    }
  }
  return datagrams_;
}

// ---- RawBatchReceiver ----

RawBatchReceiver::RawBatchReceiver() {
  packets_.reserve(kSocketBatch);
}

std::span<const ByteView> RawBatchReceiver::receive(int fd, IpFamily family, std::uint8_t protocol) {
  packets_.clear();
  const bool v6 = family == IpFamily::V6;
  // IPv6 raw sockets deliver the payload only: it lands after room for the header we rebuild.
  const std::size_t header_room = v6 ? wire::kIpv6HeaderLength : 0;
  const int n = slots_.receive(fd, header_room, counters_);
  if (n < 0) {
    throw std::system_error(errno, std::generic_category(),
                            "raw socket for protocol " + std::to_string(protocol) + ": recvmmsg");
  }
  for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
    msghdr& header = slots_.header(i);
    if ((header.msg_flags & MSG_TRUNC) != 0) {
      ++counters_.truncated_drops;
      continue;
    }
    std::uint8_t* slot = slots_.slot(i);
    const std::size_t length = slots_.length(i);
    if (!v6) {
      packets_.emplace_back(slot, length);  // IPv4 raw sockets deliver the header as received
      continue;
    }
    if (!rebuild_ipv6_header(MutableByteView(slot, wire::kIpv6HeaderLength), slots_.sender(i),
                             read_control_messages(header), protocol, length))
      continue;
    packets_.emplace_back(slot, wire::kIpv6HeaderLength + length);
  }
  return packets_;
}

// ---- UdpBatchSender ----

UdpBatchSender::UdpBatchSender(bool gso) : gso_(gso) {}

void UdpBatchSender::queue(int fd, const IpAddress& source, const UdpEndpoint& destination,
                           ByteView payload) {
  queued_.push_back(Queued{fd, source, destination, payload});
}

void UdpBatchSender::build_messages() {
  plan_.clear();
  iovecs_.resize(queued_.size());
  for (std::size_t i = 0; i < queued_.size(); ++i) {
    const Queued& q = queued_[i];
    iovecs_[i] = iovec{const_cast<std::uint8_t*>(q.payload.data()), q.payload.size()};
    if (gso_ && !plan_.empty()) {
      Message& last = plan_.back();
      const Queued& head = queued_[last.first];
      const Queued& tail = queued_[last.first + last.count - 1];
      const std::size_t segment = head.payload.size();
      // Joins while same fd and endpoints, every datagram but the last of one size, and the
      // whole under the kernel's limits.
      if (q.fd == head.fd && q.destination.port == head.destination.port &&
          q.destination.address == head.destination.address && q.source == head.source && segment != 0 &&
          tail.payload.size() == segment && q.payload.size() <= segment && !q.payload.empty() &&
          last.count < kMaxGsoSegments && (last.count + 1) * segment <= kMaxGsoBytes) {
        ++last.count;
        continue;
      }
    }
    plan_.push_back(Message{i, 1});
  }
}

void UdpBatchSender::prepare(std::size_t k, bool with_gso) {
  const Message& plan = plan_[k];
  const Queued& head = queued_[plan.first];
  msghdr& header = messages_[k].msg_hdr;
  header = msghdr{};
  header.msg_namelen = fill_socket_address(names_[k], head.destination.address, head.destination.port);
  header.msg_name = &names_[k];
  header.msg_iov = &iovecs_[plan.first];
  header.msg_iovlen = plan.count;
  header.msg_control = controls_.data() + k * kControlSize;
  std::size_t control = add_source_address(header, 0, head.source);
  if (with_gso && plan.count > 1) {
    const auto segment = static_cast<std::uint16_t>(head.payload.size());
    control = add_control_message(header, control, SOL_UDP, UDP_SEGMENT, segment);
  }
  header.msg_controllen = control;
  if (control == 0) header.msg_control = nullptr;
  messages_[k].msg_len = 0;
}

std::span<const SendOutcome> UdpBatchSender::flush() {
  outcomes_.assign(queued_.size(), SendOutcome{});
  build_messages();
  if (messages_.size() < plan_.size()) {
    messages_.resize(plan_.size());
    names_.resize(plan_.size());
  }
  if (controls_.size() < plan_.size() * kControlSize) controls_.resize(plan_.size() * kControlSize);
  for (std::size_t k = 0; k < plan_.size(); ++k) prepare(k, gso_);
  // One sendmmsg per run of messages on one fd, at most kSocketBatch at a time.
  std::size_t k = 0;
  while (k < plan_.size()) {
    std::size_t end = k + 1;
    while (end < plan_.size() && end - k < kSocketBatch &&
           queued_[plan_[end].first].fd == queued_[plan_[k].first].fd)
      ++end;
    send_run(k, end);
    k = end;
  }
  queued_.clear();
  return outcomes_;
}

void UdpBatchSender::send_run(std::size_t first, std::size_t end) {
  const int fd = queued_[plan_[first].first].fd;
  const auto taken = [this](std::size_t k) {
    const Message& m = plan_[k];
    for (std::size_t i = m.first; i < m.first + m.count; ++i) outcomes_[i].sent = true;
    if (m.count > 1) {
      ++counters_.gso_messages;
      counters_.gso_datagrams += m.count;
    }
  };
  const auto refused = [this](std::size_t k, int error) {
    const Message& m = plan_[k];
    if (m.count == 1) {
      outcomes_[m.first] = SendOutcome{false, error};
      return;
    }
    // GSO refused: a segment over the route's MTU (EINVAL, EMSGSIZE: the kernel fragments
    // single datagrams but not GSO ones) or no checksum offload (EIO): one by one instead.
    if (error == EIO && gso_) {
      gso_ = false;
      gso_lost_ = true;
    }
    ++counters_.gso_resent_singly;
    send_singly(m);
  };
  send_messages(fd, messages_.data(), first, end, counters_, taken, refused);
}

void UdpBatchSender::send_singly(const Message& message) {
  const Queued& head = queued_[message.first];
  sockaddr_storage name{};
  alignas(cmsghdr) std::uint8_t control[kControlSize];
  for (std::size_t i = message.first; i < message.first + message.count; ++i) {
    msghdr header{};
    header.msg_namelen = fill_socket_address(name, head.destination.address, head.destination.port);
    header.msg_name = &name;
    header.msg_iov = &iovecs_[i];
    header.msg_iovlen = 1;
    header.msg_control = control;
    header.msg_controllen = add_source_address(header, 0, head.source);
    if (header.msg_controllen == 0) header.msg_control = nullptr;
    ++counters_.send_calls;
    ssize_t n;
    do {
      n = ::sendmsg(head.fd, &header, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n >= 0) {
      outcomes_[i].sent = true;
      ++counters_.messages_sent;
    } else {
      outcomes_[i] = SendOutcome{false, errno};
    }
  }
}

// ---- RawBatchSender ----

RawBatchSender::RawBatchSender() = default;

void RawBatchSender::queue(int fd, IpFamily family, ByteView ip_packet) {
  queued_.push_back(Queued{fd, family, ip_packet});
}

std::span<const SendOutcome> RawBatchSender::flush() {
  outcomes_.assign(queued_.size(), SendOutcome{});
  if (messages_.size() < queued_.size()) {
    messages_.resize(queued_.size());
    names_.resize(queued_.size());
    iovecs_.resize(queued_.size());
  }
  // Message k is queued_[k]; a packet that cannot be sent is refused here, not given to the kernel.
  std::size_t k = 0;
  while (k < queued_.size()) {
    const int fd = queued_[k].fd;
    std::size_t end = k;
    std::size_t ready = 0;  // messages_[k .. k+ready) are the valid packets of this run
    while (end < queued_.size() && queued_[end].fd == fd && ready < kSocketBatch) {
      const Queued& q = queued_[end];
      const bool v6 = q.family == IpFamily::V6;
      const std::size_t header_length = v6 ? wire::kIpv6HeaderLength : wire::kIpv4MinHeaderLength;
      if (q.packet.size() < header_length || (q.packet[0] >> 4) != (v6 ? 6 : 4)) {
        outcomes_[end] = SendOutcome{false, EINVAL};
        ++end;
        // Invalid packets split the run, so message indices stay queue indices.
        break;
      }
      // The destination field of the header: the kernel routes on the address we pass.
      const IpAddress destination =
          v6 ? IpAddress::v6(q.packet.subspan(24, 16)) : IpAddress::v4(q.packet.subspan(16, 4));
      iovecs_[end] = iovec{const_cast<std::uint8_t*>(q.packet.data()), q.packet.size()};
      msghdr& header = messages_[end].msg_hdr;
      header = msghdr{};
      header.msg_namelen = fill_socket_address(names_[end], destination, 0);
      header.msg_name = &names_[end];
      header.msg_iov = &iovecs_[end];
      header.msg_iovlen = 1;
      messages_[end].msg_len = 0;
      ++ready;
      ++end;
    }
    // Sends messages_[k .. k+ready), then moves past the refused one (if any) at k+ready.
    send_messages(
        fd, messages_.data(), k, k + ready, counters_, [this](std::size_t j) { outcomes_[j].sent = true; },
        [this](std::size_t j, int error) {
          outcomes_[j] = SendOutcome{false, error};
        });
    k = end;
  }
  queued_.clear();
  return outcomes_;
}

}  // namespace cygnet::daemon
