// Batched system calls on the daemon's network sockets: one recvmmsg reads up to 64 datagrams
// (UDP 500/4500) or IP packets (raw ESP/AH), one sendmmsg writes up to 64 messages, and on UDP
// a run of same-size ESP-in-UDP packets to one peer leaves as one UDP GSO message (UDP_SEGMENT:
// the kernel cuts it into datagrams) while received GRO aggregates (UDP_GRO) are cut back into
// their datagrams here. Every buffer is allocated up front or grows to the largest batch seen and
// keeps its capacity: no allocation per packet.
//
// The classes take file descriptors, not sockets, so each data-path thread can own one receiver
// and one sender per direction and call them on its own fds. None is thread-safe.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "base/bytes.hpp"
#include "daemon/os/sockets.hpp"
#include "wire/ip_address.hpp"

namespace cygnet::daemon {

// Messages per recvmmsg / sendmmsg call.
inline constexpr std::size_t kSocketBatch = 64;
// Datagrams per UDP GSO message: the kernel's UDP_MAX_SEGMENTS of Linux 4.18 to 6.x.
inline constexpr std::size_t kMaxGsoSegments = 64;

// What the batched calls did, for `cygnetctl stats` (daemon section) and the tests.
struct SocketBatchCounters {
  std::uint64_t receive_calls = 0;      // recvmmsg calls that returned data
  std::uint64_t messages_received = 0;  // messages those calls returned (a GRO aggregate is one)
  std::uint64_t gro_aggregates = 0;     // received messages that held several UDP datagrams
  std::uint64_t gro_datagrams = 0;      // datagrams cut out of those
  std::uint64_t truncated_drops = 0;    // messages longer than their buffer (dropped)
  std::uint64_t send_calls = 0;         // sendmmsg / sendmsg calls
  std::uint64_t messages_sent = 0;      // messages the kernel took (a GSO message is one)
  std::uint64_t gso_messages = 0;       // of those, UDP GSO messages of several datagrams
  std::uint64_t gso_datagrams = 0;      // datagrams those carried
  std::uint64_t gso_resent_singly = 0;  // GSO messages the kernel refused, resent one by one
};

// Whether UDP GSO (UDP_SEGMENT, Linux 4.18) is available on this socket.
bool udp_gso_supported(int fd);
// Asks for UDP GRO aggregates (UDP_GRO, Linux 5.0) on this socket; false when refused.
bool enable_udp_gro(int fd);

// The buffers one recvmmsg reads into, shared by both receivers: kSocketBatch slots of 64 KiB
// (the longest IP packet, and the longest GRO aggregate), each with its sender address and
// control-message room. Allocated once; pages of a slot only become resident as long packets arrive.
class ReceiveSlots {
 public:
  ReceiveSlots();
  // One recvmmsg on `fd`, each message's data landing `header_room` bytes into its slot: the
  // number of messages read (0 when none is waiting), counted in `counters`; -1 with errno on
  // other errors.
  int receive(int fd, std::size_t header_room, SocketBatchCounters& counters);

  std::uint8_t* slot(std::size_t i) { return buffers_.data() + i * kSlotBytes; }
  std::size_t length(std::size_t i) const { return messages_[i].msg_len; }
  msghdr& header(std::size_t i) { return messages_[i].msg_hdr; }
  const sockaddr_storage& sender(std::size_t i) const { return names_[i]; }

  static constexpr std::size_t kSlotBytes = 65536;

 private:
  Bytes buffers_;
  std::vector<sockaddr_storage> names_;
  Bytes controls_;
  std::vector<iovec> iovecs_;
  std::vector<mmsghdr> messages_;
};

// One UDP datagram as received: payload valid until the next receive().
struct ReceivedUdp {
  ByteView payload;
  UdpEndpoint local;  // destination address (IP_PKTINFO / IPV6_PKTINFO) and our port
  UdpEndpoint remote;
};

class UdpBatchReceiver {
 public:
  UdpBatchReceiver();

  // One recvmmsg on `fd` (a UdpSocket bound to `local_port`, IP(V6)_PKTINFO on): the datagrams
  // it returned, GRO aggregates cut into their datagrams; empty when none is waiting. Throws
  // std::system_error on other errors.
  std::span<const ReceivedUdp> receive(int fd, std::uint16_t local_port);

  const SocketBatchCounters& counters() const { return counters_; }

 private:
  ReceiveSlots slots_;
  std::vector<ReceivedUdp> datagrams_;
  SocketBatchCounters counters_;
};

class RawBatchReceiver {
 public:
  RawBatchReceiver();

  // One recvmmsg on the receiving fd of a RawIpSocket of `family` for `protocol`: complete IP
  // packets (for IPv6 the header is rebuilt as RawIpSocket::receive does), each valid until the
  // next receive(); empty when none is waiting. Throws std::system_error on other errors.
  std::span<const ByteView> receive(int fd, wire::IpFamily family, std::uint8_t protocol);

  const SocketBatchCounters& counters() const { return counters_; }

 private:
  ReceiveSlots slots_;
  std::vector<ByteView> packets_;
  SocketBatchCounters counters_;
};

// Whether one queued packet left; `error` is the errno of a refused one.
struct SendOutcome {
  bool sent = false;
  int error = 0;
};

// UDP payloads queued with queue() and sent by flush(): consecutive payloads on one fd from one
// source to one destination, all of one size but the last (which may be shorter), become one GSO
// message when `gso` is on. A GSO message the kernel refuses is resent datagram by datagram; one
// refused with EIO (no checksum offload on the route's device) also turns GSO off for good.
class UdpBatchSender {
 public:
  explicit UdpBatchSender(bool gso);

  // The payload must stay valid until flush(). A source of the any-address lets routing choose.
  void queue(int fd, const wire::IpAddress& source, const UdpEndpoint& destination, ByteView payload);
  // Sends everything queued; the outcome of each payload, in queue order, valid until the next
  // queue(). Never throws.
  std::span<const SendOutcome> flush();

  bool gso() const { return gso_; }
  // Set when EIO turned GSO off (the caller logs it once).
  bool gso_lost() const { return gso_lost_; }
  const SocketBatchCounters& counters() const { return counters_; }

 private:
  struct Queued {
    int fd;
    wire::IpAddress source;
    UdpEndpoint destination;
    ByteView payload;
  };
  struct Message {
    std::size_t first;  // index into queued_
    std::size_t count;  // payloads it carries (more than one: a GSO message)
  };
  void build_messages();
  void send_run(std::size_t first_message, std::size_t end_message);
  void send_singly(const Message& message);
  void prepare(std::size_t message_index, bool with_gso);

  bool gso_;
  bool gso_lost_ = false;
  std::vector<Queued> queued_;
  std::vector<SendOutcome> outcomes_;
  std::vector<Message> plan_;
  std::vector<iovec> iovecs_;  // one per queued payload, in queue order
  std::vector<sockaddr_storage> names_;
  Bytes controls_;
  std::vector<mmsghdr> messages_;
  SocketBatchCounters counters_;
};

// Complete IP packets (header included) queued with queue() and sent by flush() with sendmmsg
// on the sending fd of a RawIpSocket, each to the destination address in its header.
class RawBatchSender {
 public:
  RawBatchSender();

  // The packet must stay valid until flush(). A packet too short for an IP header of `family`
  // fails at flush() with EINVAL, as RawIpSocket::send does.
  void queue(int fd, wire::IpFamily family, ByteView ip_packet);
  std::span<const SendOutcome> flush();

  const SocketBatchCounters& counters() const { return counters_; }

 private:
  struct Queued {
    int fd;
    wire::IpFamily family;
    ByteView packet;
  };
  std::vector<Queued> queued_;
  std::vector<SendOutcome> outcomes_;
  std::vector<iovec> iovecs_;
  std::vector<sockaddr_storage> names_;
  std::vector<mmsghdr> messages_;
  SocketBatchCounters counters_;
};

}  // namespace cygnet::daemon
