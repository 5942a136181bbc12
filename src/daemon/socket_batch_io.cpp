#include "daemon/socket_batch_io.hpp"

#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <system_error>

#include "wire/ip_packet.hpp"

namespace cygnet::daemon {

namespace {

using wire::IpAddress;
using wire::IpFamily;

// A 64 KiB slot per message: the longest IP packet, and the longest GRO aggregate the kernel
// builds. Pages of a slot only become resident when a packet that long arrives.
constexpr std::size_t kSlotSize = 65536;
// Room per message for the control messages: IPV6_PKTINFO (or IP_PKTINFO), IPV6_TCLASS, UDP_GRO
// on receive; pktinfo and UDP_SEGMENT on send. A multiple of 16 keeps every slot aligned.
constexpr std::size_t kControlSize = 128;
static_assert(CMSG_SPACE(sizeof(in6_pktinfo)) + 2 * CMSG_SPACE(sizeof(int)) <= kControlSize);
// A GSO message's payloads together: under the 64 KiB an IP packet can hold, headers included.
constexpr std::size_t kMaxGsoBytes = 65000;
constexpr std::uint8_t kRebuiltHopLimit = 64;  // as RawIpSocket::receive
constexpr std::size_t kMaxIpv6Payload = 0xffff;

bool is_any(const IpAddress& address) {
  const ByteView bytes = address.bytes();
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

socklen_t fill_socket_address(sockaddr_storage& storage, const IpAddress& address, std::uint16_t port) {
  storage = sockaddr_storage{};
  if (address.is_v4()) {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(port);
    std::memcpy(&in.sin_addr, address.bytes().data(), 4);
    std::memcpy(&storage, &in, sizeof in);
    return sizeof in;
  }
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(port);
  std::memcpy(&in6.sin6_addr, address.bytes().data(), 16);
  std::memcpy(&storage, &in6, sizeof in6);
  return sizeof in6;
}

UdpEndpoint endpoint_of(const sockaddr_storage& storage) {
  UdpEndpoint out;
  if (storage.ss_family == AF_INET) {
    sockaddr_in in;
    std::memcpy(&in, &storage, sizeof in);
    out.address = IpAddress::v4(ByteView(reinterpret_cast<const std::uint8_t*>(&in.sin_addr), 4));
    out.port = ntohs(in.sin_port);
  } else if (storage.ss_family == AF_INET6) {
    sockaddr_in6 in6;
    std::memcpy(&in6, &storage, sizeof in6);
    out.address = IpAddress::v6(ByteView(in6.sin6_addr.s6_addr, 16));
    out.port = ntohs(in6.sin6_port);
  }
  return out;
}

// What the control messages of one received message said.
struct ControlFacts {
  std::optional<IpAddress> destination;  // IP_PKTINFO / IPV6_PKTINFO
  std::uint8_t traffic_class = 0;        // IPV6_TCLASS
  std::size_t gro_size = 0;              // UDP_GRO: the size of the datagrams of an aggregate
};

ControlFacts read_control(msghdr& message) {
  ControlFacts facts;
  for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
    const std::size_t length = c->cmsg_len - CMSG_LEN(0);
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO && length >= sizeof(in_pktinfo)) {
      in_pktinfo info;
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      facts.destination = IpAddress::v4(ByteView(reinterpret_cast<const std::uint8_t*>(&info.ipi_addr), 4));
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
               length >= sizeof(in6_pktinfo)) {
      in6_pktinfo info;
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      facts.destination = IpAddress::v6(ByteView(info.ipi6_addr.s6_addr, 16));
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS && length >= sizeof(int)) {
      int traffic_class = 0;
      std::memcpy(&traffic_class, CMSG_DATA(c), sizeof traffic_class);
      facts.traffic_class = static_cast<std::uint8_t>(traffic_class);
    } else if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
      // An int on Linux; a u16 on some paths of older kernels: read what is there.
      if (length >= sizeof(int)) {
        int size = 0;
        std::memcpy(&size, CMSG_DATA(c), sizeof size);
        facts.gro_size = size > 0 ? static_cast<std::size_t>(size) : 0;
      } else if (length >= sizeof(std::uint16_t)) {
        std::uint16_t size = 0;
        std::memcpy(&size, CMSG_DATA(c), sizeof size);
        facts.gro_size = size;
      }
    }
  }
  return facts;
}

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

// Points message i at its buffer, name and control slot, with the lengths reset.
void arm_receive(mmsghdr& m, iovec& iov, std::uint8_t* buffer, std::size_t size, sockaddr_storage& name,
                 std::uint8_t* control) {
  iov = iovec{buffer, size};
  m.msg_hdr = msghdr{};
  m.msg_hdr.msg_name = &name;
  m.msg_hdr.msg_namelen = sizeof name;
  m.msg_hdr.msg_iov = &iov;
  m.msg_hdr.msg_iovlen = 1;
  m.msg_hdr.msg_control = control;
  m.msg_hdr.msg_controllen = kControlSize;
  m.msg_len = 0;
}

// Appends a cmsg at `offset` bytes into the message's control buffer; returns the new length.
template <typename T>
std::size_t add_control(msghdr& message, std::size_t offset, int level, int type, const T& value) {
  auto* c = reinterpret_cast<cmsghdr*>(static_cast<std::uint8_t*>(message.msg_control) + offset);
  c->cmsg_level = level;
  c->cmsg_type = type;
  c->cmsg_len = CMSG_LEN(sizeof value);
  std::memcpy(CMSG_DATA(c), &value, sizeof value);
  return offset + CMSG_SPACE(sizeof value);
}

// The source address as pktinfo (interface 0: routing picks the device), as UdpSocket::send does.
std::size_t add_source(msghdr& message, std::size_t offset, const IpAddress& source) {
  if (is_any(source)) return offset;
  if (source.is_v4()) {
    in_pktinfo info{};
    std::memcpy(&info.ipi_spec_dst, source.bytes().data(), 4);
    return add_control(message, offset, IPPROTO_IP, IP_PKTINFO, info);
  }
  in6_pktinfo info{};
  std::memcpy(&info.ipi6_addr, source.bytes().data(), 16);
  return add_control(message, offset, IPPROTO_IPV6, IPV6_PKTINFO, info);
}

// sendmmsg without EINTR: messages sent, or -1 with errno for the first one.
int send_batch(int fd, mmsghdr* messages, std::size_t count) {
  for (;;) {
    const int n = ::sendmmsg(fd, messages, static_cast<unsigned>(count), MSG_NOSIGNAL);
    if (n >= 0 || errno != EINTR) return n;
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

// ---- UdpBatchReceiver ----

UdpBatchReceiver::UdpBatchReceiver()
    : buffers_(kSocketBatch * kSlotSize),
      names_(kSocketBatch),
      controls_(kSocketBatch * kControlSize),
      iovecs_(kSocketBatch),
      messages_(kSocketBatch) {
  datagrams_.reserve(kSocketBatch * kMaxGsoSegments);
}

std::span<const ReceivedUdp> UdpBatchReceiver::receive(int fd, std::uint16_t local_port) {
  datagrams_.clear();
  for (std::size_t i = 0; i < kSocketBatch; ++i) {
    arm_receive(messages_[i], iovecs_[i], buffers_.data() + i * kSlotSize, kSlotSize, names_[i],
                controls_.data() + i * kControlSize);
  }
  const int n = receive_batch(fd, messages_.data(), kSocketBatch);
  if (n < 0) {
    throw std::system_error(errno, std::generic_category(),
                            "UDP socket port " + std::to_string(local_port) + ": recvmmsg");
  }
  if (n == 0) return {};
  ++counters_.receive_calls;
  counters_.messages_received += static_cast<std::size_t>(n);
  for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
    msghdr& header = messages_[i].msg_hdr;
    if ((header.msg_flags & MSG_TRUNC) != 0) {
      ++counters_.truncated_drops;
      continue;
    }
    const ControlFacts facts = read_control(header);
    ReceivedUdp datagram;
    datagram.remote = endpoint_of(names_[i]);
    datagram.local.port = local_port;
    // The kernel always supplies pktinfo once asked; without it we only know the family.
    datagram.local.address =
        facts.destination.value_or(datagram.remote.address.is_v4() ? IpAddress() : IpAddress::v6(ByteView()));
    const ByteView whole(buffers_.data() + i * kSlotSize, messages_[i].msg_len);
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

RawBatchReceiver::RawBatchReceiver()
    : buffers_(kSocketBatch * kSlotSize),
      names_(kSocketBatch),
      controls_(kSocketBatch * kControlSize),
      iovecs_(kSocketBatch),
      messages_(kSocketBatch) {
  packets_.reserve(kSocketBatch);
}

std::span<const ByteView> RawBatchReceiver::receive(int fd, IpFamily family, std::uint8_t protocol) {
  packets_.clear();
  const bool v6 = family == IpFamily::V6;
  // IPv6 raw sockets deliver the payload only: it lands after room for the header we rebuild.
  const std::size_t header_room = v6 ? wire::kIpv6HeaderLength : 0;
  for (std::size_t i = 0; i < kSocketBatch; ++i) {
    arm_receive(messages_[i], iovecs_[i], buffers_.data() + i * kSlotSize + header_room,
                kSlotSize - header_room, names_[i], controls_.data() + i * kControlSize);
  }
  const int n = receive_batch(fd, messages_.data(), kSocketBatch);
  if (n < 0) {
    throw std::system_error(errno, std::generic_category(),
                            "raw socket for protocol " + std::to_string(protocol) + ": recvmmsg");
  }
  if (n == 0) return {};
  ++counters_.receive_calls;
  counters_.messages_received += static_cast<std::size_t>(n);
  for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
    msghdr& header = messages_[i].msg_hdr;
    if ((header.msg_flags & MSG_TRUNC) != 0) {
      ++counters_.truncated_drops;
      continue;
    }
    std::uint8_t* slot = buffers_.data() + i * kSlotSize;
    const std::size_t length = messages_[i].msg_len;
    if (!v6) {
      packets_.emplace_back(slot, length);  // IPv4 raw sockets deliver the header as received
      continue;
    }
    const ControlFacts facts = read_control(header);
    const UdpEndpoint from = endpoint_of(names_[i]);
    if (!facts.destination || from.address.is_v4() || length > kMaxIpv6Payload) continue;
    wire::Ipv6HeaderFields rebuilt;
    rebuilt.source = from.address;
    rebuilt.destination = *facts.destination;
    rebuilt.next_header = protocol;
    rebuilt.payload_length = static_cast<std::uint16_t>(length);
    rebuilt.hop_limit = kRebuiltHopLimit;
    rebuilt.traffic_class = facts.traffic_class;
    if (!wire::write_ipv6_header(MutableByteView(slot, wire::kIpv6HeaderLength), rebuilt)) continue;
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
  std::size_t control = add_source(header, 0, head.source);
  if (with_gso && plan.count > 1) {
    const auto segment = static_cast<std::uint16_t>(head.payload.size());
    control = add_control(header, control, SOL_UDP, UDP_SEGMENT, segment);
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
  std::size_t k = first;
  while (k < end) {
    ++counters_.send_calls;
    const int n = send_batch(fd, messages_.data() + k, end - k);
    if (n > 0) {
      for (std::size_t j = k; j < k + static_cast<std::size_t>(n); ++j) {
        const Message& m = plan_[j];
        for (std::size_t i = m.first; i < m.first + m.count; ++i) outcomes_[i].sent = true;
        ++counters_.messages_sent;
        if (m.count > 1) {
          ++counters_.gso_messages;
          counters_.gso_datagrams += m.count;
        }
      }
      k += static_cast<std::size_t>(n);
      continue;
    }
    // The first message of the rest was refused (0 sent: treated as a full queue).
    const int error = n < 0 ? errno : EAGAIN;
    const Message& m = plan_[k];
    if (m.count > 1) {
      // GSO refused: a segment over the route's MTU (EINVAL, EMSGSIZE: the kernel fragments
      // single datagrams but not GSO ones) or no checksum offload (EIO): one by one instead.
      if (error == EIO && gso_) {
        gso_ = false;
        gso_lost_ = true;
      }
      ++counters_.gso_resent_singly;
      send_singly(m);
    } else {
      outcomes_[m.first] = SendOutcome{false, error};
    }
    ++k;
  }
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
    header.msg_controllen = add_source(header, 0, head.source);
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
    std::size_t i = k;
    while (i < k + ready) {
      ++counters_.send_calls;
      const int n = send_batch(fd, messages_.data() + i, k + ready - i);
      if (n > 0) {
        for (std::size_t j = i; j < i + static_cast<std::size_t>(n); ++j) outcomes_[j].sent = true;
        counters_.messages_sent += static_cast<std::size_t>(n);
        i += static_cast<std::size_t>(n);
      } else {
        outcomes_[i] = SendOutcome{false, n < 0 ? errno : EAGAIN};
        ++i;
      }
    }
    k = end;
  }
  queued_.clear();
  return outcomes_;
}

}  // namespace cygnet::daemon
