// The batched socket I/O of socket_batch_io.hpp against the real kernel, each test in a network
// namespace of its own, on loopback: recvmmsg returning many datagrams at once with their
// endpoints, UDP GSO really cut into datagrams by the kernel, GRO aggregates cut back here, the
// fallbacks (GSO off; a GSO message the kernel refuses resent one by one), runs split by
// endpoint, and raw ESP packets batched both ways (the IPv6 header rebuilt on receive).
#include "daemon/socket_batch_io.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <numeric>
#include <vector>

#include "daemon/os/netlink.hpp"
#include "daemon/os/sockets.hpp"
#include "unit/daemon/os/os_test_support.hpp"
#include "wire/ip_packet.hpp"

namespace cygnet::daemon {
namespace {

using test::address;
using wire::IpAddress;
using wire::IpFamily;

// A payload of `size` bytes that says which one it is (first byte) and where each byte sits.
Bytes payload(std::size_t size, std::uint8_t tag) {
  Bytes out(size);
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<std::uint8_t>(tag + i * 7);
  return out;
}

Bytes bytes_of(ByteView view) {
  return Bytes(view.begin(), view.end());
}

// Every datagram waiting on `socket`, read one by one with the plain (unbatched) receive.
std::vector<Bytes> drain_singly(UdpSocket& socket, std::size_t expected) {
  std::vector<Bytes> got;
  Bytes buffer(65536);
  while (got.size() < expected && test::wait_readable(socket.fd(), 1000)) {
    while (auto d = socket.receive(buffer)) got.push_back(Bytes(buffer.begin(), buffer.begin() + d->length));
  }
  return got;
}

// Every datagram waiting on `fd`, through the batch receiver (which may need several calls).
std::vector<ReceivedUdp> drain_batched(UdpBatchReceiver& receiver, int fd, std::uint16_t port,
                                       std::size_t expected, std::vector<Bytes>& payloads) {
  std::vector<ReceivedUdp> got;
  while (got.size() < expected && test::wait_readable(fd, 1000)) {
    for (const ReceivedUdp& d : receiver.receive(fd, port)) {
      got.push_back(d);
      payloads.push_back(bytes_of(d.payload));  // valid only until the next receive
    }
  }
  return got;
}

TEST(UdpBatchReceiver, ReadsManyDatagramsInOneCallWithTheirEndpoints) {
  CYGNET_REQUIRE_FRESH_NETNS();
  UdpSocket sender = UdpSocket::bind(address("127.0.0.1"), 0, 0);
  UdpSocket receiver = UdpSocket::bind(address("127.0.0.1"), 0, 0);
  std::vector<Bytes> sent;
  for (std::uint8_t i = 0; i < 10; ++i) {
    sent.push_back(payload(100 + i * 50, i));
    ASSERT_TRUE(
        sender.send(sent.back(), address("127.0.0.1"), UdpEndpoint{address("127.0.0.1"), receiver.port()}));
  }
  ASSERT_TRUE(test::wait_readable(receiver.fd()));
  UdpBatchReceiver batch;
  const auto got = batch.receive(receiver.fd(), receiver.port());
  ASSERT_EQ(got.size(), sent.size());  // all ten in one recvmmsg
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(bytes_of(got[i].payload), sent[i]) << i;
    EXPECT_EQ(got[i].local.address, address("127.0.0.1"));
    EXPECT_EQ(got[i].local.port, receiver.port());
    EXPECT_EQ(got[i].remote.address, address("127.0.0.1"));
    EXPECT_EQ(got[i].remote.port, sender.port());
  }
  EXPECT_EQ(batch.counters().receive_calls, 1u);
  EXPECT_EQ(batch.counters().messages_received, 10u);
  EXPECT_EQ(batch.counters().gro_aggregates, 0u);
  // Nothing waiting: an empty batch, no exception, no call counted.
  EXPECT_TRUE(batch.receive(receiver.fd(), receiver.port()).empty());
  EXPECT_EQ(batch.counters().receive_calls, 1u);
}

TEST(UdpBatchReceiver, ReportsTheIpv6DestinationAddress) {
  CYGNET_REQUIRE_FRESH_NETNS();
  UdpSocket sender = UdpSocket::bind(address("::1"), 0, 0);
  UdpSocket receiver = UdpSocket::bind(address("::"), 0, 0);
  const Bytes data = payload(300, 1);
  ASSERT_TRUE(sender.send(data, address("::1"), UdpEndpoint{address("::1"), receiver.port()}));
  ASSERT_TRUE(test::wait_readable(receiver.fd()));
  UdpBatchReceiver batch;
  const auto got = batch.receive(receiver.fd(), receiver.port());
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(bytes_of(got[0].payload), data);
  EXPECT_EQ(got[0].local.address, address("::1"));  // from IPV6_PKTINFO, not the bound any-address
  EXPECT_EQ(got[0].remote.port, sender.port());
}

// Five full-size datagrams and a shorter last one, as ESP packets cut from one TUN super-packet.
std::vector<Bytes> super_packet_run(std::size_t segment, std::size_t count, std::size_t last) {
  std::vector<Bytes> run;
  for (std::size_t i = 0; i < count; ++i) run.push_back(payload(segment, static_cast<std::uint8_t>(i)));
  run.push_back(payload(last, 0xee));
  return run;
}

TEST(UdpBatchSender, SendsARunOfSameSizeDatagramsAsOneGsoMessage) {
  CYGNET_REQUIRE_FRESH_NETNS();
  UdpSocket sender = UdpSocket::bind(address("127.0.0.1"), 0, 0);
  UdpSocket receiver = UdpSocket::bind(address("127.0.0.1"), 0, 0);
  if (!udp_gso_supported(sender.fd())) GTEST_SKIP() << "this kernel has no UDP_SEGMENT";
  const auto run = super_packet_run(1200, 5, 333);
  UdpBatchSender batch(true);
  for (const Bytes& p : run)
    batch.queue(sender.fd(), address("127.0.0.1"), UdpEndpoint{address("127.0.0.1"), receiver.port()}, p);
  const auto outcomes = batch.flush();
  ASSERT_EQ(outcomes.size(), run.size());
  for (const SendOutcome& o : outcomes) EXPECT_TRUE(o.sent) << o.error;
  EXPECT_EQ(batch.counters().send_calls, 1u);
  EXPECT_EQ(batch.counters().messages_sent, 1u);
  EXPECT_EQ(batch.counters().gso_messages, 1u);
  EXPECT_EQ(batch.counters().gso_datagrams, run.size());
  // The kernel cut it: a socket without GRO reads six separate datagrams, byte for byte.
  EXPECT_EQ(drain_singly(receiver, run.size()), run);
}

TEST(UdpBatchReceiver, CutsGroAggregatesBackIntoTheirDatagrams) {
  CYGNET_REQUIRE_FRESH_NETNS();
  UdpSocket sender = UdpSocket::bind(address("127.0.0.1"), 0, 0);
  UdpSocket receiver = UdpSocket::bind(address("127.0.0.1"), 0, 0);
  if (!udp_gso_supported(sender.fd())) GTEST_SKIP() << "this kernel has no UDP_SEGMENT";
  if (!enable_udp_gro(receiver.fd())) GTEST_SKIP() << "this kernel has no UDP_GRO";
  const auto run = super_packet_run(1400, 8, 500);
  UdpBatchSender batch(true);
  for (const Bytes& p : run)
    batch.queue(sender.fd(), address("127.0.0.1"), UdpEndpoint{address("127.0.0.1"), receiver.port()}, p);
  for (const SendOutcome& o : batch.flush()) ASSERT_TRUE(o.sent) << o.error;

  UdpBatchReceiver receiving;
  std::vector<Bytes> payloads;
  const auto got = drain_batched(receiving, receiver.fd(), receiver.port(), run.size(), payloads);
  ASSERT_EQ(got.size(), run.size());
  EXPECT_EQ(payloads, run);
  for (const ReceivedUdp& d : got) EXPECT_EQ(d.remote.port, sender.port());
  // Loopback hands the GSO message over whole: fewer messages than datagrams, counted.
  EXPECT_LT(receiving.counters().messages_received, run.size());
  EXPECT_GE(receiving.counters().gro_aggregates, 1u);
  EXPECT_EQ(receiving.counters().gro_datagrams, run.size());
}

TEST(UdpBatchSender, WithoutGsoSendsEveryDatagramInOneSendmmsg) {
  CYGNET_REQUIRE_FRESH_NETNS();
  UdpSocket sender = UdpSocket::bind(address("127.0.0.1"), 0, 0);
  UdpSocket receiver = UdpSocket::bind(address("127.0.0.1"), 0, 0);
  const auto run = super_packet_run(1200, 5, 333);
  UdpBatchSender batch(false);  // the fallback: an old kernel, or [daemon] offload = false
  for (const Bytes& p : run)
    batch.queue(sender.fd(), address("127.0.0.1"), UdpEndpoint{address("127.0.0.1"), receiver.port()}, p);
  for (const SendOutcome& o : batch.flush()) EXPECT_TRUE(o.sent) << o.error;
  EXPECT_EQ(batch.counters().send_calls, 1u);
  EXPECT_EQ(batch.counters().messages_sent, run.size());
  EXPECT_EQ(batch.counters().gso_messages, 0u);
  EXPECT_EQ(drain_singly(receiver, run.size()), run);
}

TEST(UdpBatchSender, ResendsARefusedGsoMessageOneByOne) {
  CYGNET_REQUIRE_FRESH_NETNS();
  // A 1280-byte link: GSO segments of 1400 bytes do not fit, and the kernel refuses the GSO
  // message (it fragments single datagrams, never GSO ones).
  Netlink netlink;
  netlink.set_link_mtu(netlink.ifindex_of("lo"), 1280);
  UdpSocket sender = UdpSocket::bind(address("127.0.0.1"), 0, 0);
  UdpSocket receiver = UdpSocket::bind(address("127.0.0.1"), 0, 0);
  if (!udp_gso_supported(sender.fd())) GTEST_SKIP() << "this kernel has no UDP_SEGMENT";
  const auto run = super_packet_run(1400, 3, 200);
  UdpBatchSender batch(true);
  for (const Bytes& p : run)
    batch.queue(sender.fd(), address("127.0.0.1"), UdpEndpoint{address("127.0.0.1"), receiver.port()}, p);
  const auto outcomes = batch.flush();
  for (const SendOutcome& o : outcomes) EXPECT_TRUE(o.sent) << o.error;
  EXPECT_EQ(batch.counters().gso_resent_singly, 1u);
  EXPECT_EQ(batch.counters().gso_messages, 0u);
  EXPECT_EQ(batch.counters().messages_sent, run.size());
  EXPECT_TRUE(batch.gso());  // not a missing feature: GSO stays on for the next batch
  EXPECT_EQ(drain_singly(receiver, run.size()), run);
}

TEST(UdpBatchSender, JoinsOnlyRunsToOnePeerOfOneSize) {
  CYGNET_REQUIRE_FRESH_NETNS();
  UdpSocket sender = UdpSocket::bind(address("127.0.0.1"), 0, 0);
  UdpSocket a = UdpSocket::bind(address("127.0.0.1"), 0, 0);
  UdpSocket b = UdpSocket::bind(address("127.0.0.1"), 0, 0);
  if (!udp_gso_supported(sender.fd())) GTEST_SKIP() << "this kernel has no UDP_SEGMENT";
  const UdpEndpoint to_a{address("127.0.0.1"), a.port()};
  const UdpEndpoint to_b{address("127.0.0.1"), b.port()};
  const Bytes big1 = payload(1000, 1), big2 = payload(1000, 2), small = payload(10, 3),
              big3 = payload(1000, 4);
  UdpBatchSender batch(true);
  batch.queue(sender.fd(), address("127.0.0.1"), to_a, big1);
  batch.queue(sender.fd(), address("127.0.0.1"), to_b, big2);   // another peer: a new message
  batch.queue(sender.fd(), address("127.0.0.1"), to_b, small);  // shorter last datagram: joins
  batch.queue(sender.fd(), address("127.0.0.1"), to_b, big3);   // after a shorter one: a new message
  batch.queue(sender.fd(), address("127.0.0.1"), to_b, big3);
  const auto outcomes = batch.flush();
  ASSERT_EQ(outcomes.size(), 5u);
  for (const SendOutcome& o : outcomes) EXPECT_TRUE(o.sent) << o.error;
  EXPECT_EQ(batch.counters().messages_sent, 3u);  // {big1}, {big2, small}, {big3, big3}
  EXPECT_EQ(batch.counters().gso_messages, 2u);
  EXPECT_EQ(batch.counters().send_calls, 1u);
  EXPECT_EQ(drain_singly(a, 1), std::vector<Bytes>{big1});
  EXPECT_EQ(drain_singly(b, 4), (std::vector<Bytes>{big2, small, big3, big3}));
}

TEST(UdpBatchSender, ReportsEachRefusedDatagramWithItsErrno) {
  CYGNET_REQUIRE_FRESH_NETNS();
  UdpSocket sender = UdpSocket::bind(address("127.0.0.1"), 0, 0);
  UdpSocket receiver = UdpSocket::bind(address("127.0.0.1"), 0, 0);
  const Bytes ok = payload(100, 1);
  UdpBatchSender batch(false);
  batch.queue(sender.fd(), address("127.0.0.1"), UdpEndpoint{address("127.0.0.1"), receiver.port()}, ok);
  // An IPv4 socket cannot send to an IPv6 destination.
  batch.queue(sender.fd(), address("127.0.0.1"), UdpEndpoint{address("2001:db8::1"), 4500}, ok);
  batch.queue(sender.fd(), address("127.0.0.1"), UdpEndpoint{address("127.0.0.1"), receiver.port()}, ok);
  const auto outcomes = batch.flush();
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_TRUE(outcomes[0].sent);
  EXPECT_FALSE(outcomes[1].sent);
  EXPECT_NE(outcomes[1].error, 0);
  EXPECT_TRUE(outcomes[2].sent);  // the refused one does not stop the rest
  EXPECT_EQ(drain_singly(receiver, 2).size(), 2u);
}

// ---- raw ESP ----

// An ESP packet (protocol 50) of `payload_size` bytes after its IP header, SPI = tag.
Bytes esp_packet(const IpAddress& source, const IpAddress& destination, std::size_t payload_size,
                 std::uint8_t tag) {
  const bool v4 = source.is_v4();
  const std::size_t header = v4 ? wire::kIpv4MinHeaderLength : wire::kIpv6HeaderLength;
  Bytes packet(header + payload_size);
  const Bytes body = payload(payload_size, tag);
  std::copy(body.begin(), body.end(), packet.begin() + static_cast<std::ptrdiff_t>(header));
  if (v4) {
    wire::Ipv4HeaderFields fields;
    fields.source = source;
    fields.destination = destination;
    fields.protocol = wire::ip_protocol::kEsp;
    fields.total_length = static_cast<std::uint16_t>(packet.size());
    fields.identification = static_cast<std::uint16_t>(0x100 + tag);
    EXPECT_TRUE(wire::write_ipv4_header(packet, fields));
  } else {
    wire::Ipv6HeaderFields fields;
    fields.source = source;
    fields.destination = destination;
    fields.next_header = wire::ip_protocol::kEsp;
    fields.payload_length = static_cast<std::uint16_t>(payload_size);
    fields.hop_limit = 64;
    EXPECT_TRUE(wire::write_ipv6_header(packet, fields));
  }
  return packet;
}

class RawBatch : public ::testing::TestWithParam<const char*> {};

TEST_P(RawBatch, SendsAndReceivesEspPacketsInBatches) {
  CYGNET_REQUIRE_FRESH_NETNS();
  const IpAddress loopback = address(GetParam());
  const IpFamily family = loopback.family();
  RawIpSocket socket = RawIpSocket::open(family, wire::ip_protocol::kEsp, 0);
  std::vector<Bytes> sent;
  RawBatchSender sender;
  for (std::uint8_t i = 0; i < 5; ++i) sent.push_back(esp_packet(loopback, loopback, 64 + i * 100, i));
  const Bytes not_ip = payload(10, 9);
  for (std::size_t i = 0; i < sent.size(); ++i) {
    sender.queue(socket.send_fd(), family, sent[i]);
    if (i == 2) sender.queue(socket.send_fd(), family, not_ip);  // refused, the rest still goes
  }
  const auto outcomes = sender.flush();
  ASSERT_EQ(outcomes.size(), 6u);
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    if (i == 3) {
      EXPECT_FALSE(outcomes[i].sent);
      EXPECT_EQ(outcomes[i].error, EINVAL);
    } else {
      EXPECT_TRUE(outcomes[i].sent) << i << ": " << outcomes[i].error;
    }
  }
  EXPECT_EQ(sender.counters().messages_sent, 5u);
  EXPECT_EQ(sender.counters().send_calls, 2u);  // split around the refused packet

  RawBatchReceiver receiver;
  std::vector<Bytes> got;
  while (got.size() < sent.size() && test::wait_readable(socket.receive_fd(), 1000)) {
    for (const ByteView p : receiver.receive(socket.receive_fd(), family, wire::ip_protocol::kEsp))
      got.push_back(bytes_of(p));
  }
  ASSERT_EQ(got.size(), sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i) {
    const auto info = wire::parse_ip_packet(got[i]);
    ASSERT_TRUE(info) << i;
    EXPECT_EQ(info->protocol, wire::ip_protocol::kEsp);
    EXPECT_EQ(info->source, loopback);
    EXPECT_EQ(info->destination, loopback);
    EXPECT_EQ(info->total_length, sent[i].size());
    // The ESP bytes after the header arrive unchanged.
    EXPECT_EQ(Bytes(got[i].begin() + static_cast<std::ptrdiff_t>(info->header_length), got[i].end()),
              Bytes(sent[i].begin() + static_cast<std::ptrdiff_t>(info->header_length), sent[i].end()));
  }
  EXPECT_LT(receiver.counters().receive_calls, sent.size());  // batched
}

INSTANTIATE_TEST_SUITE_P(Families, RawBatch, ::testing::Values("127.0.0.1", "::1"));

}  // namespace
}  // namespace cygnet::daemon
