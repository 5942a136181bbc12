#include "daemon/os/tun_device.hpp"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "daemon/os/unique_fd.hpp"

namespace cygnet::daemon {

namespace {

using os_detail::UniqueFd;

[[noreturn]] void throw_tun_error(int error_number, const std::string& name, const char* step) {
  throw std::system_error(error_number, std::generic_category(), "TUN device " + name + ": " + step);
}

// An ifreq naming `name`; the caller has checked that it fits IFNAMSIZ with its NUL.
ifreq request_for(const std::string& name) {
  ifreq request{};
  std::memcpy(request.ifr_name, name.data(), name.size());
  return request;
}

// Sets the MTU (when positive), brings the link up and returns the MTU the kernel now reports,
// through the classic interface ioctls on a throwaway datagram socket.
int configure_link(const std::string& name, int mtu) {
  UniqueFd control(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!control.valid()) throw_tun_error(errno, name, "socket for SIOCSIFMTU/SIOCSIFFLAGS");
  if (mtu > 0) {
    ifreq request = request_for(name);
    request.ifr_mtu = mtu;
    if (::ioctl(control.get(), SIOCSIFMTU, &request) < 0)
      throw_tun_error(errno, name, ("setting MTU " + std::to_string(mtu)).c_str());
  }
  ifreq flags = request_for(name);
  if (::ioctl(control.get(), SIOCGIFFLAGS, &flags) < 0) throw_tun_error(errno, name, "SIOCGIFFLAGS");
  if ((flags.ifr_flags & IFF_UP) == 0) {
    flags.ifr_flags = static_cast<short>(flags.ifr_flags | IFF_UP);
    if (::ioctl(control.get(), SIOCSIFFLAGS, &flags) < 0)
      throw_tun_error(errno, name, "bringing the link up");
  }
  ifreq actual = request_for(name);
  if (::ioctl(control.get(), SIOCGIFMTU, &actual) < 0) throw_tun_error(errno, name, "SIOCGIFMTU");
  return actual.ifr_mtu;
}

// UDP segmentation offload flags arrived in Linux 6.2 (Debian 12's headers are 6.1).
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif

// Asks for the offloads, richest set first: a kernel refuses the whole set (EINVAL) when it does
// not know one flag in it.
TunOffloads negotiate_offloads(int fd) {
  constexpr unsigned kTso = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
  TunOffloads offloads;
  offloads.virtio_header = true;
  if (::ioctl(fd, TUNSETOFFLOAD, kTso | TUN_F_USO4 | TUN_F_USO6) == 0) {
    offloads.checksum = offloads.tcp_segmentation = offloads.udp_segmentation = true;
  } else if (::ioctl(fd, TUNSETOFFLOAD, kTso) == 0) {
    offloads.checksum = offloads.tcp_segmentation = true;
  } else if (::ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM) == 0) {
    offloads.checksum = true;
  }
  return offloads;
}

// TUNSETIFF with `flags`; returns the open descriptor, or an invalid one with errno set.
UniqueFd attach(const std::string& name, short flags, std::string& actual_name) {
  UniqueFd fd(::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) throw_tun_error(errno, name, "opening /dev/net/tun");
  ifreq request = request_for(name);
  request.ifr_flags = flags;
  if (::ioctl(fd.get(), TUNSETIFF, &request) < 0) return UniqueFd();
  // The kernel writes back the name it used (it expands a "%d" pattern or an empty name).
  actual_name.assign(request.ifr_name, ::strnlen(request.ifr_name, IFNAMSIZ));
  return fd;
}

}  // namespace

std::string TunOffloads::describe() const {
  std::string text;
  auto add = [&](bool on, const char* what) {
    if (!on) return;
    if (!text.empty()) text += ", ";
    text += what;
  };
  add(checksum, "checksum");
  add(tcp_segmentation, "TSO");
  add(udp_segmentation, "USO");
  return text.empty() ? "none" : text;
}

TunDevice TunDevice::open(const std::string& name, int mtu, bool offload, bool carrier, bool multi_queue) {
  const short queue_flag = multi_queue ? IFF_MULTI_QUEUE : 0;
  if (name.size() >= IFNAMSIZ) throw_tun_error(ENAMETOOLONG, name, "name longer than 15 characters");
  std::string actual_name;
  TunOffloads offloads;
  UniqueFd fd;
  if (offload) {
    fd = attach(name, static_cast<short>(IFF_TUN | IFF_NO_PI | IFF_VNET_HDR | queue_flag), actual_name);
    if (fd.valid()) {
      offloads = negotiate_offloads(fd.get());
      // A virtio header with no offload behind it only costs 10 bytes per packet: go plain.
      if (!offloads.checksum) fd = UniqueFd();
    }
  }
  if (!fd.valid()) {
    offloads = TunOffloads{};
    fd = attach(name, static_cast<short>(IFF_TUN | IFF_NO_PI | queue_flag), actual_name);
    if (!fd.valid()) throw_tun_error(errno, name, "TUNSETIFF");
  }

  if (!carrier) {
    int off = 0;
    if (::ioctl(fd.get(), TUNSETCARRIER, &off) < 0) throw_tun_error(errno, actual_name, "TUNSETCARRIER");
  }
  const int actual_mtu = configure_link(actual_name, mtu);
  const unsigned ifindex = ::if_nametoindex(actual_name.c_str());
  if (ifindex == 0) throw_tun_error(errno, actual_name, "if_nametoindex");
  return TunDevice(fd.release(), std::move(actual_name), static_cast<int>(ifindex), actual_mtu, offloads,
                   multi_queue);
}

TunDevice::ForQueues TunDevice::open_for_queues(const std::string& name, int mtu, bool offload, bool carrier,
                                                std::size_t queues) {
  const bool want_multi_queue = queues > 1;
  try {
    return {open(name, mtu, offload, carrier, want_multi_queue), false};
  } catch (const std::system_error& error) {
    if (error.code() != std::errc::invalid_argument) throw;
    // An existing device's queue mode cannot change: the kernel answers EINVAL to the other
    // mode. One queue of a multi-queue device serves a single worker as well. (EINVAL is also
    // what a non-TUN device of that name gives: the second attempt then fails and reports it.)
    return {open(name, mtu, offload, carrier, !want_multi_queue), want_multi_queue};
  }
}

TunDevice TunDevice::open_queue() const {
  if (!multi_queue_) throw_tun_error(EINVAL, name_, "a second queue of a single-queue device");
  const short flags = static_cast<short>(IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE |
                                         (offloads_.virtio_header ? IFF_VNET_HDR : 0));
  std::string actual_name;
  UniqueFd fd = attach(name_, flags, actual_name);
  if (!fd.valid()) throw_tun_error(errno, name_, "TUNSETIFF for another queue");
  if (offloads_.virtio_header) {
    unsigned bits = 0;
    if (offloads_.checksum) bits |= TUN_F_CSUM;
    if (offloads_.tcp_segmentation) bits |= TUN_F_TSO4 | TUN_F_TSO6;
    if (offloads_.udp_segmentation) bits |= TUN_F_USO4 | TUN_F_USO6;
    if (::ioctl(fd.get(), TUNSETOFFLOAD, bits) < 0)
      throw_tun_error(errno, name_, "TUNSETOFFLOAD on another queue");
  }
  return TunDevice(fd.release(), name_, ifindex_, mtu_, offloads_, true);
}

TunDevice::TunDevice(TunDevice&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      name_(std::move(other.name_)),
      ifindex_(std::exchange(other.ifindex_, 0)),
      mtu_(std::exchange(other.mtu_, 0)),
      offloads_(std::exchange(other.offloads_, TunOffloads{})),
      multi_queue_(std::exchange(other.multi_queue_, false)),
      truncated_drops_(std::exchange(other.truncated_drops_, 0)) {}

TunDevice& TunDevice::operator=(TunDevice&& other) noexcept {
  if (this != &other) {
    os_detail::close_fd(fd_);
    fd_ = std::exchange(other.fd_, -1);
    name_ = std::move(other.name_);
    ifindex_ = std::exchange(other.ifindex_, 0);
    mtu_ = std::exchange(other.mtu_, 0);
    offloads_ = std::exchange(other.offloads_, TunOffloads{});
    multi_queue_ = std::exchange(other.multi_queue_, false);
    truncated_drops_ = std::exchange(other.truncated_drops_, 0);
  }
  return *this;
}

TunDevice::~TunDevice() {
  os_detail::close_fd(fd_);
}

std::optional<std::size_t> TunDevice::read(MutableByteView buffer) {
  // A TUN read cuts a packet that does not fit and returns only the bytes copied, so a full
  // buffer would be ambiguous. One spare byte after the caller's buffer tells them apart: the
  // kernel fills it only when the packet was longer than `buffer`.
  std::uint8_t spare = 0;
  for (;;) {
    iovec parts[2] = {{buffer.data(), buffer.size()}, {&spare, 1}};
    const ssize_t n = ::readv(fd_, parts, 2);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;
      throw_tun_error(errno, name_, "read");
    }
    const auto length = static_cast<std::size_t>(n);
    if (length > buffer.size()) {
      ++truncated_drops_;
      continue;
    }
    return length;
  }
}

void TunDevice::set_carrier(bool on) {
  int carrier = on ? 1 : 0;
  if (::ioctl(fd_, TUNSETCARRIER, &carrier) < 0) throw_tun_error(errno, name_, "TUNSETCARRIER");
}

bool TunDevice::write(ByteView packet) {
  for (;;) {
    const ssize_t n = ::write(fd_, packet.data(), packet.size());
    if (n < 0 && errno == EINTR) continue;
    return n >= 0 && static_cast<std::size_t>(n) == packet.size();
  }
}

}  // namespace cygnet::daemon
