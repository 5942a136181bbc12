// Route-based connections in the gateway core: traffic from a connection's interface goes to its
// CHILD SA by interface, not by SPD selector; its whole-family selectors never capture the shared
// TUN device's traffic; decapsulated packets name the interface; no SA means an acquire.
#include <gtest/gtest.h>

#include "gateway/gateway_core.hpp"
#include "gateway/worker_path.hpp"
#include "two_cores.hpp"

namespace cygnet::gateway {
namespace {

using test::inner_udp_packet;
using test::ip;
using test::TwoCores;
using Kind = ipsec::OutboundOutcome::Kind;

// The side `self` of "cloud": 192.0.2.11 <-> 192.0.2.12, one child carrying 0.0.0.0/0, interface rb0.
ike::ConnectionSettings cloud_connection(int self, ike::StartAction start = ike::StartAction::None) {
  ike::ConnectionSettings c = test::site_connection(self);
  const bool a = self == 1;
  c.name = "cloud";
  c.start_action = start;
  c.local_addrs = {ip(a ? "192.0.2.11" : "192.0.2.12")};
  c.remote_addrs = {ip(a ? "192.0.2.12" : "192.0.2.11")};
  c.local_id = ike::Identity::from_address(c.local_addrs[0]);
  c.remote_id = ike::Identity::from_address(c.remote_addrs[0]);
  c.children[0].name = "any";
  c.children[0].local_ts = {*wire::IpPrefix::parse("0.0.0.0/0")};
  c.children[0].remote_ts = {*wire::IpPrefix::parse("0.0.0.0/0")};
  c.route_interface = ike::RouteInterface{"rb0", {}, {}, std::nullopt};
  return c;
}

// TwoCores ("site", policy-based) plus "cloud" (route-based) on both sides.
struct Gateways : TwoCores {
  explicit Gateways(ike::StartAction start = ike::StartAction::None) {
    OutputBatch out;
    EXPECT_TRUE(a->add_connection(cloud_connection(1, start), now, out));
    collect(out, to_b, tun_a);
    out.clear();
    EXPECT_TRUE(b->add_connection(cloud_connection(2), now, out));
    collect(out, to_a, tun_b);
    link_a = a->link_of("cloud").value_or(0);
    link_b = b->link_of("cloud").value_or(0);
  }
  void up(const std::string& name) {
    OutputBatch out;
    a->up(name, now, out);
    collect(out, to_b, tun_a);
    pump();
  }
  OutboundVerdict from_link(ByteView packet, OutputBatch& out) {
    out.clear();
    const OutboundVerdict v = a->on_link_packet(link_a, packet, now, out);
    collect(out, to_b, tun_a);
    return v;
  }
  OutboundVerdict from_tun(ByteView packet, OutputBatch& out) {
    out.clear();
    const OutboundVerdict v = a->on_tun_packet(packet, now, out);
    collect(out, to_b, tun_a);
    return v;
  }
  LinkId link_a = 0;
  LinkId link_b = 0;
};

TEST(RouteBasedCore, EachRouteBasedConnectionGetsItsOwnLink) {
  Gateways g;
  EXPECT_NE(g.link_a, 0u);
  EXPECT_TRUE(g.a->is_route_based("cloud"));
  EXPECT_FALSE(g.a->is_route_based("site"));
  EXPECT_FALSE(g.a->link_of("site").has_value());
  EXPECT_FALSE(g.a->link_has_sa(g.link_a));
}

TEST(RouteBasedCore, PacketFromTheInterfaceTakesTheConnectionsSaWhateverItsAddresses) {
  Gateways g;
  g.up("site");
  g.up("cloud");
  ASSERT_TRUE(g.a->link_has_sa(g.link_a));
  ASSERT_TRUE(g.b->link_has_sa(g.link_b));
  // Even a packet the SPD would give to "site" goes to the tunnel of the interface it came from.
  for (const Bytes& packet : {inner_udp_packet("198.51.100.10", "203.0.113.10", 80),
                              inner_udp_packet("169.254.21.1", "169.254.21.2", 80)}) {
    OutputBatch out;
    ASSERT_EQ(g.from_link(packet, out).kind, Kind::Protected);
    ASSERT_EQ(out.packets().size(), 1u);
    EXPECT_EQ(out.packets()[0].remote.address, ip("192.0.2.12"));  // cloud's peer, not site's
    g.tun_b.clear();
    g.tun_links_b.clear();
    g.pump();
    ASSERT_EQ(g.tun_b.size(), 1u);
    EXPECT_EQ(g.tun_b[0], packet);
    EXPECT_EQ(g.tun_links_b[0], g.link_b);  // written to B's cloud interface
  }
  EXPECT_TRUE(g.binding_errors.empty());
}

TEST(RouteBasedCore, WholeFamilySelectorsDoNotCaptureTheSharedTun) {
  Gateways g;
  g.up("site");
  g.up("cloud");
  // No SPD entry for cloud's 0.0.0.0/0: the only policies are site's.
  for (const ipsec::Policy& p : g.a->data_plane().spd().policies())
    EXPECT_EQ(p.name.rfind("site/", 0), 0u) << p.name;
  OutputBatch out;
  EXPECT_EQ(g.from_tun(inner_udp_packet("192.0.2.200", "198.51.100.77", 40), out).kind, Kind::Dropped);
  const Bytes site_packet = inner_udp_packet("198.51.100.10", "203.0.113.10", 40);
  ASSERT_EQ(g.from_tun(site_packet, out).kind, Kind::Protected);
  EXPECT_EQ(out.packets()[0].remote.address, ip("192.0.2.2"));
  g.pump();
  ASSERT_EQ(g.tun_b.size(), 1u);
  EXPECT_EQ(g.tun_links_b[0], 0u);  // the shared TUN device
}

TEST(RouteBasedCore, PacketOutsideTheSasSelectorsIsDroppedNotSent) {
  Gateways g;
  g.up("cloud");
  // An IPv6 packet into a tunnel whose CHILD SA carries 0.0.0.0/0 only.
  Bytes packet(40 + 8, 0);
  wire::Ipv6HeaderFields h;
  h.source = ip("2001:db8::1");
  h.destination = ip("2001:db8::2");
  h.next_header = wire::ip_protocol::kUdp;
  h.payload_length = 8;
  ASSERT_TRUE(wire::write_ipv6_header(packet, h));
  OutputBatch out;
  const OutboundVerdict v = g.from_link(packet, out);
  EXPECT_EQ(v.kind, Kind::Dropped);
  EXPECT_EQ(v.drop, ipsec::DropReason::PolicyMismatch);
  EXPECT_TRUE(out.packets().empty());
}

TEST(RouteBasedCore, PacketWithoutSaStartsTheConnectionAndWaitsForIt) {
  Gateways g;
  const Bytes packet = inner_udp_packet("169.254.21.1", "203.0.113.99", 64);
  OutputBatch out;
  EXPECT_EQ(g.from_link(packet, out).kind, Kind::Acquire);
  EXPECT_EQ(g.a->acquire_queue().size(), 1u);
  EXPECT_EQ(g.a->counters().acquires, 1u);
  g.pump();
  EXPECT_TRUE(g.a->link_has_sa(g.link_a));
  EXPECT_EQ(g.a->acquire_queue().size(), 0u);
  ASSERT_EQ(g.tun_b.size(), 1u);  // the held packet, sent once the CHILD SA was in
  EXPECT_EQ(g.tun_b[0], packet);
  EXPECT_EQ(g.tun_links_b[0], g.link_b);
}

TEST(RouteBasedCore, TheLinkLosesItsSaWhenTheConnectionGoesDown) {
  Gateways g;
  g.up("cloud");
  ASSERT_TRUE(g.a->link_has_sa(g.link_a));
  OutputBatch out;
  g.a->down("cloud", g.now, out);
  g.collect(out, g.to_b, g.tun_a);
  g.pump();
  EXPECT_FALSE(g.a->link_has_sa(g.link_a));
  EXPECT_FALSE(g.b->link_has_sa(g.link_b));
  // Removing the connection forgets the link; a packet read just before is dropped, not sent.
  out.clear();
  g.a->remove_connection("cloud", g.now, out);
  EXPECT_FALSE(g.a->link_of("cloud").has_value());
  EXPECT_EQ(g.from_link(inner_udp_packet("169.254.21.1", "169.254.21.2", 10), out).kind, Kind::Dropped);
}

TEST(RouteBasedCore, RekeyKeepsTheLinkCarried) {
  Gateways g;
  g.up("cloud");
  const auto before = g.a->data_plane().sad().size();
  // A packet-count soft limit is not set; drive a rekey through the engine directly.
  auto status = g.a->engine().status(g.now);
  ike::ChildSaId child = 0;
  for (const auto& c : status)
    if (c.name == "cloud")
      for (const auto& sa : c.ike_sas)
        for (const auto& ch : sa.children) child = ch.id;
  ASSERT_NE(child, 0u);
  g.a->engine().on_child_sa_soft_limit(child, g.now);
  OutputBatch out;
  g.a->drain(g.now, out);
  g.collect(out, g.to_b, g.tun_a);
  g.pump();
  EXPECT_GE(g.a->data_plane().sad().size(), before);
  EXPECT_TRUE(g.a->link_has_sa(g.link_a));
  const Bytes packet = inner_udp_packet("169.254.21.1", "169.254.21.2", 20);
  ASSERT_EQ(g.from_link(packet, out).kind, Kind::Protected);
  g.tun_b.clear();
  g.pump();
  ASSERT_EQ(g.tun_b.size(), 1u);
}

}  // namespace
}  // namespace cygnet::gateway

// With data-plane workers: a worker's replica context names the route-based SAs, so a packet a
// worker decrypts on one is marked with its link; handed back to the core (the control thread
// owns the interfaces) it comes out on that interface, and not at all once the link is gone.
namespace cygnet::gateway {
namespace {

TEST(RouteBasedCore, AWorkersDecryptionOfARouteBasedSaComesOutOfItsInterface) {
  Gateways g;
  g.up("cloud");
  ASSERT_TRUE(g.b->link_has_sa(g.link_b));
  const ReplicaContext context = g.b->replica_context();
  ASSERT_EQ(context.links.size(), 1u);
  EXPECT_EQ(context.links.begin()->second, g.link_b);
  WorkerRequestQueue requests;
  WorkerPath worker(0, requests);
  worker.publish(g.b->data_plane().replica(), context);
  ASSERT_TRUE(worker.refresh());

  const Bytes packet = inner_udp_packet("169.254.21.1", "169.254.21.2", 80);
  OutputBatch out;
  ASSERT_EQ(g.a->on_link_packet(g.link_a, packet, g.now, out).kind, Kind::Protected);
  ASSERT_EQ(out.packets().size(), 1u);
  const Bytes esp(out.bytes(out.packets()[0]).begin(), out.bytes(out.packets()[0]).end());
  OutputBatch decrypted;
  ASSERT_EQ(worker.on_raw_packet(esp, g.now, decrypted), InboundVerdict::Decapsulated);
  ASSERT_EQ(decrypted.packets().size(), 1u);
  const OutputPacket& marked = decrypted.packets()[0];
  EXPECT_EQ(marked.link, g.link_b);

  WorkerRequest back;
  back.kind = WorkerRequest::Kind::LinkPacket;
  back.link = marked.link;
  back.packet.assign(decrypted.bytes(marked).begin(), decrypted.bytes(marked).end());
  OutputBatch written;
  g.b->on_worker_request(back, g.now, written);
  ASSERT_EQ(written.packets().size(), 1u);
  EXPECT_EQ(written.packets()[0].destination, Destination::Tun);
  EXPECT_EQ(written.packets()[0].link, g.link_b);
  const ByteView bytes = written.bytes(written.packets()[0]);
  EXPECT_EQ(Bytes(bytes.begin(), bytes.end()), packet);

  back.link = g.link_b + 100;  // an interface removed meanwhile: dropped
  written.clear();
  g.b->on_worker_request(back, g.now, written);
  EXPECT_TRUE(written.packets().empty());
}

}  // namespace
}  // namespace cygnet::gateway
