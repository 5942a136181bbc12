#include "daemon/os/sockets.hpp"

#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>

#include "daemon/os/socket_messages.hpp"
#include "daemon/os/unique_fd.hpp"
#include "wire/ip_packet.hpp"

namespace cygnet::daemon {

namespace {

using os_detail::UniqueFd;
using wire::IpAddress;
using wire::IpFamily;

// Room for the control messages we ask for: IPV6_PKTINFO (or IP_PKTINFO) plus IPV6_TCLASS.
constexpr std::size_t kControlBufferSize = 128;
static_assert(CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(int)) <= kControlBufferSize);

int address_family(IpFamily family) {
  return family == IpFamily::V4 ? AF_INET : AF_INET6;
}

std::string describe(const IpAddress& address, std::uint16_t port) {
  const std::string text = address.to_string();
  return (address.is_v4() ? text : "[" + text + "]") + ":" + std::to_string(port);
}

[[noreturn]] void throw_socket_error(int error_number, const std::string& what) {
  throw std::system_error(error_number, std::generic_category(), what);
}

void set_option(int fd, int level, int name, int value, const std::string& what) {
  if (::setsockopt(fd, level, name, &value, sizeof value) < 0) throw_socket_error(errno, what);
}

// Bursts at line rate (a TCP window's worth of ESP) must fit in the socket queues, or the
// kernel drops them and TCP backs off. The FORCE variants pass the sysctl caps (root); without
// the privilege the plain options give what the caps allow.
void set_large_buffers(int fd) {
  constexpr int kBytes = 4 * 1024 * 1024;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &kBytes, sizeof kBytes) < 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kBytes, sizeof kBytes);
  }
  if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &kBytes, sizeof kBytes) < 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &kBytes, sizeof kBytes);
  }
}

void set_mark(int fd, std::uint32_t fwmark, const std::string& what) {
  if (fwmark == 0) return;
  if (::setsockopt(fd, SOL_SOCKET, SO_MARK, &fwmark, sizeof fwmark) < 0)
    throw_socket_error(errno, what + ": setting SO_MARK");
}

// recvmsg without EINTR: the byte count, or -1 with errno.
ssize_t receive_message(int fd, msghdr& message) {
  for (;;) {
    const ssize_t n = ::recvmsg(fd, &message, 0);
    if (n >= 0 || errno != EINTR) return n;
  }
}

bool is_would_block(int error_number) {
  return error_number == EAGAIN || error_number == EWOULDBLOCK;
}

}  // namespace

// ---- UdpSocket ----

UdpSocket UdpSocket::bind(const IpAddress& address, std::uint16_t port, std::uint32_t fwmark) {
  const std::string what = "UDP socket " + describe(address, port);
  const int family = address_family(address.family());
  UniqueFd fd(::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP));
  if (!fd.valid()) throw_socket_error(errno, what + ": socket");
  set_option(fd.get(), SOL_SOCKET, SO_REUSEADDR, 1, what + ": setting SO_REUSEADDR");
  set_mark(fd.get(), fwmark, what);
  set_large_buffers(fd.get());
  if (address.is_v4()) {
    set_option(fd.get(), IPPROTO_IP, IP_PKTINFO, 1, what + ": setting IP_PKTINFO");
  } else {
    set_option(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, 1, what + ": setting IPV6_V6ONLY");
    set_option(fd.get(), IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, what + ": setting IPV6_RECVPKTINFO");
  }
  sockaddr_storage local{};
  const socklen_t local_length = fill_socket_address(local, address, port);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&local), local_length) < 0)
    throw_socket_error(errno, what + ": bind");
  // Port 0 lets the kernel choose; remember the port it chose.
  sockaddr_storage bound{};
  socklen_t bound_length = sizeof bound;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &bound_length) < 0)
    throw_socket_error(errno, what + ": getsockname");
  return UdpSocket(fd.release(), address.family(), endpoint_of(bound).port);
}

UdpSocket::UdpSocket(UdpSocket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      family_(other.family_),
      port_(std::exchange(other.port_, 0)),
      truncated_drops_(std::exchange(other.truncated_drops_, 0)) {}

UdpSocket& UdpSocket::operator=(UdpSocket&& other) noexcept {
  if (this != &other) {
    os_detail::close_fd(fd_);
    fd_ = std::exchange(other.fd_, -1);
    family_ = other.family_;
    port_ = std::exchange(other.port_, 0);
    truncated_drops_ = std::exchange(other.truncated_drops_, 0);
  }
  return *this;
}

UdpSocket::~UdpSocket() {
  os_detail::close_fd(fd_);
}

std::optional<ReceivedDatagram> UdpSocket::receive(MutableByteView buffer) {
  for (;;) {
    sockaddr_storage remote{};
    alignas(cmsghdr) std::array<unsigned char, kControlBufferSize> control{};
    iovec data{buffer.data(), buffer.size()};
    msghdr message{};
    message.msg_name = &remote;
    message.msg_namelen = sizeof remote;
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control.data();
    message.msg_controllen = control.size();
    const ssize_t n = receive_message(fd_, message);
    if (n < 0) {
      if (is_would_block(errno)) return std::nullopt;
      throw_socket_error(errno, "UDP socket port " + std::to_string(port_) + ": recvmsg");
    }
    if ((message.msg_flags & MSG_TRUNC) != 0) {
      ++truncated_drops_;
      continue;
    }
    const ReceivedControl info = read_control_messages(message);
    ReceivedDatagram datagram;
    datagram.length = static_cast<std::size_t>(n);
    datagram.remote = endpoint_of(remote);
    datagram.local.port = port_;
    // The kernel always supplies pktinfo once asked; without it we only know the family.
    datagram.local.address =
        info.destination.value_or(family_ == IpFamily::V4 ? IpAddress() : IpAddress::v6(ByteView()));
    return datagram;
  }
}

bool UdpSocket::send(ByteView payload, const IpAddress& source, const UdpEndpoint& destination) {
  if (source.family() != family_ || destination.address.family() != family_) {
    errno = EAFNOSUPPORT;
    return false;
  }
  sockaddr_storage remote{};
  iovec data{const_cast<std::uint8_t*>(payload.data()), payload.size()};
  msghdr message{};
  message.msg_name = &remote;
  message.msg_namelen = fill_socket_address(remote, destination.address, destination.port);
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  alignas(cmsghdr) std::array<unsigned char, kControlBufferSize> control{};
  message.msg_control = control.data();
  message.msg_controllen = add_source_address(message, 0, source);
  if (message.msg_controllen == 0) message.msg_control = nullptr;
  for (;;) {
    const ssize_t n = ::sendmsg(fd_, &message, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    return n >= 0 && static_cast<std::size_t>(n) == payload.size();
  }
}

// ---- RawIpSocket ----

RawIpSocket RawIpSocket::open(IpFamily family, std::uint8_t protocol, std::uint32_t fwmark) {
  const int af = address_family(family);
  const std::string what = std::string(family == IpFamily::V4 ? "IPv4" : "IPv6") +
                           " raw socket for protocol " + std::to_string(protocol);
  UniqueFd receive_fd(::socket(af, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol));
  if (!receive_fd.valid()) throw_socket_error(errno, what + ": socket");
  set_mark(receive_fd.get(), fwmark, what);
  set_large_buffers(receive_fd.get());
  if (family == IpFamily::V6) {
    // The kernel hands IPv6 raw sockets only the payload: ask for what rebuilding the header
    // needs that msg_name does not carry.
    set_option(receive_fd.get(), IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, what + ": setting IPV6_RECVPKTINFO");
    set_option(receive_fd.get(), IPPROTO_IPV6, IPV6_RECVTCLASS, 1, what + ": setting IPV6_RECVTCLASS");
  }
  // IPPROTO_RAW means "header included" for both families on Linux (IP_HDRINCL is implied for
  // IPv4; IPv6 has no other way before IPV6_HDRINCL in 4.5). It also receives nothing.
  UniqueFd send_fd(::socket(af, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_RAW));
  if (!send_fd.valid()) throw_socket_error(errno, what + ": sending socket");
  set_mark(send_fd.get(), fwmark, what + " (sending)");
  set_large_buffers(send_fd.get());
  if (family == IpFamily::V4)
    set_option(send_fd.get(), IPPROTO_IP, IP_HDRINCL, 1, what + ": setting IP_HDRINCL");
  return RawIpSocket(receive_fd.release(), send_fd.release(), family, protocol);
}

RawIpSocket RawIpSocket::open_sender(IpFamily family, std::uint32_t fwmark) {
  const std::string what = std::string(family == IpFamily::V4 ? "IPv4" : "IPv6") + " raw sending socket";
  UniqueFd send_fd(::socket(address_family(family), SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_RAW));
  if (!send_fd.valid()) throw_socket_error(errno, what + ": socket");
  set_mark(send_fd.get(), fwmark, what);
  set_large_buffers(send_fd.get());
  if (family == IpFamily::V4)
    set_option(send_fd.get(), IPPROTO_IP, IP_HDRINCL, 1, what + ": setting IP_HDRINCL");
  return RawIpSocket(-1, send_fd.release(), family, IPPROTO_RAW);
}

RawIpSocket::RawIpSocket(RawIpSocket&& other) noexcept
    : receive_fd_(std::exchange(other.receive_fd_, -1)),
      send_fd_(std::exchange(other.send_fd_, -1)),
      family_(other.family_),
      protocol_(other.protocol_),
      truncated_drops_(std::exchange(other.truncated_drops_, 0)) {}

RawIpSocket& RawIpSocket::operator=(RawIpSocket&& other) noexcept {
  if (this != &other) {
    os_detail::close_fd(receive_fd_);
    os_detail::close_fd(send_fd_);
    receive_fd_ = std::exchange(other.receive_fd_, -1);
    send_fd_ = std::exchange(other.send_fd_, -1);
    family_ = other.family_;
    protocol_ = other.protocol_;
    truncated_drops_ = std::exchange(other.truncated_drops_, 0);
  }
  return *this;
}

RawIpSocket::~RawIpSocket() {
  os_detail::close_fd(receive_fd_);
  os_detail::close_fd(send_fd_);
}

std::optional<std::size_t> RawIpSocket::receive(MutableByteView buffer) {
  const bool v6 = family_ == IpFamily::V6;
  // IPv6: the payload lands after room for the header we rebuild. A buffer without that room
  // still reads (and so drops) the packet rather than leaving it queued forever.
  const std::size_t header_room = v6 ? std::min(buffer.size(), wire::kIpv6HeaderLength) : 0;
  for (;;) {
    sockaddr_storage source{};
    alignas(cmsghdr) std::array<unsigned char, kControlBufferSize> control{};
    iovec data{buffer.data() + header_room, buffer.size() - header_room};
    msghdr message{};
    message.msg_name = &source;
    message.msg_namelen = sizeof source;
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control.data();
    message.msg_controllen = control.size();
    const ssize_t n = receive_message(receive_fd_, message);
    if (n < 0) {
      if (is_would_block(errno)) return std::nullopt;
      throw_socket_error(errno, "raw socket for protocol " + std::to_string(protocol_) + ": recvmsg");
    }
    const auto length = static_cast<std::size_t>(n);
    if ((message.msg_flags & MSG_TRUNC) != 0 || header_room < (v6 ? wire::kIpv6HeaderLength : 0)) {
      ++truncated_drops_;
      continue;
    }
    if (!v6) return length;  // IPv4 raw sockets deliver the header as received

    if (!rebuild_ipv6_header(buffer, source, read_control_messages(message), protocol_, length)) continue;
    return wire::kIpv6HeaderLength + length;
  }
}

bool RawIpSocket::send(ByteView ip_packet) {
  const bool v6 = family_ == IpFamily::V6;
  const std::size_t header_length = v6 ? wire::kIpv6HeaderLength : wire::kIpv4MinHeaderLength;
  const unsigned version = v6 ? 6 : 4;
  if (ip_packet.size() < header_length || (ip_packet[0] >> 4) != version) {
    errno = EINVAL;
    return false;
  }
  // The destination field of the header: the kernel routes on the address we pass, so it must
  // agree with the header.
  const IpAddress destination =
      v6 ? IpAddress::v6(ip_packet.subspan(24, 16)) : IpAddress::v4(ip_packet.subspan(16, 4));
  sockaddr_storage to{};
  const socklen_t to_length = fill_socket_address(to, destination, 0);
  for (;;) {
    const ssize_t n = ::sendto(send_fd_, ip_packet.data(), ip_packet.size(), 0,
                               reinterpret_cast<const sockaddr*>(&to), to_length);
    if (n < 0 && errno == EINTR) continue;
    return n >= 0 && static_cast<std::size_t>(n) == ip_packet.size();
  }
}

void RawIpSocket::accept_only_too_big() {
  if (family_ == IpFamily::V4) {
    // struct icmp_filter of <linux/icmp.h> (not included: it clashes with glibc's netinet
    // headers): one 32-bit mask, a set bit blocks that ICMP type.
    constexpr int kIcmpFilter = 1;            // ICMP_FILTER
    constexpr unsigned kDestUnreachable = 3;  // ICMP_DEST_UNREACH
    const std::uint32_t filter = ~(1u << kDestUnreachable);
    if (setsockopt(receive_fd_, SOL_RAW, kIcmpFilter, &filter, sizeof filter) != 0)
      throw_socket_error(errno, "ICMP socket: setting ICMP_FILTER");
  } else {
    icmp6_filter filter{};
    ICMP6_FILTER_SETBLOCKALL(&filter);
    ICMP6_FILTER_SETPASS(ICMP6_PACKET_TOO_BIG, &filter);
    if (setsockopt(receive_fd_, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter) != 0)
      throw_socket_error(errno, "ICMPv6 socket: setting ICMP6_FILTER");
  }
}

std::optional<std::uint32_t> route_mtu_toward(const IpAddress& peer, std::uint32_t fwmark) {
  const int af = address_family(peer.family());
  UniqueFd fd(::socket(af, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return std::nullopt;
  if (fwmark != 0 && setsockopt(fd.get(), SOL_SOCKET, SO_MARK, &fwmark, sizeof fwmark) != 0)
    return std::nullopt;
  sockaddr_storage address{};
  const socklen_t length = fill_socket_address(address, peer, 4500);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), length) != 0) return std::nullopt;
  int mtu = 0;
  socklen_t size = sizeof mtu;
  const int level = peer.is_v4() ? IPPROTO_IP : IPPROTO_IPV6;
  const int name = peer.is_v4() ? IP_MTU : IPV6_MTU;
  if (getsockopt(fd.get(), level, name, &mtu, &size) != 0 || mtu <= 0) return std::nullopt;
  return static_cast<std::uint32_t>(mtu);
}

}  // namespace cygnet::daemon
