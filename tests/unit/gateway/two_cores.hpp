// Two gateway cores wired back to back, as cygnetd's sockets would wire them: A's UDP datagrams
// arrive at B as datagrams with their endpoints, A's raw ESP/AH packets arrive at B's raw socket,
// and the reverse. Packets each core wants written to its TUN device are collected. Documentation
// addresses only: gateways 192.0.2.1 / 192.0.2.2, subnets 198.51.100.0/24 / 203.0.113.0/24.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/time.hpp"
#include "gateway/gateway_core.hpp"
#include "ike/algorithms.hpp"
#include "ike/connection_settings.hpp"
#include "ike/identity.hpp"
#include "wire/ip_packet.hpp"
#include "wire/udp_encap.hpp"

namespace cygnet::gateway::test {

inline wire::IpAddress ip(std::string_view text) {
  return *wire::IpAddress::parse(text);
}

inline wire::ikev2::Proposal parse(std::string_view text, wire::ikev2::ProtocolId protocol) {
  return *ike::parse_proposal(text, protocol, false).proposal;
}

struct ConnectionChoices {
  ike::StartAction start_action = ike::StartAction::None;
  ike::Encapsulation encapsulation = ike::Encapsulation::Auto;
  std::uint64_t life_packets = 0;
};

// The side `self` (1: A, 2: B) of the A–B site-to-site connection "site" with child "net".
inline ike::ConnectionSettings site_connection(int self, const ConnectionChoices& choices = {}) {
  const bool a = self == 1;
  ike::ConnectionSettings c;
  c.name = "site";
  c.local_addrs = {ip(a ? "192.0.2.1" : "192.0.2.2")};
  c.remote_addrs = {ip(a ? "192.0.2.2" : "192.0.2.1")};
  c.ike_proposals = {parse("aes256gcm16-prfsha256-x25519", wire::ikev2::ProtocolId::Ike)};
  c.start_action = choices.start_action;
  c.encapsulation = choices.encapsulation;
  c.local_id = ike::Identity::from_address(c.local_addrs[0]);
  c.remote_id = ike::Identity::from_address(c.remote_addrs[0]);
  c.auth = ike::AuthKind::Psk;
  const std::string psk = "correct horse battery staple";
  c.psk = crypto::SecureBytes(ByteView(reinterpret_cast<const std::uint8_t*>(psk.data()), psk.size()));
  ike::ChildSettings child;
  child.name = "net";
  child.local_ts = {*wire::IpPrefix::parse(a ? "198.51.100.0/24" : "203.0.113.0/24")};
  child.remote_ts = {*wire::IpPrefix::parse(a ? "203.0.113.0/24" : "198.51.100.0/24")};
  child.proposals = {parse("aes256gcm16", wire::ikev2::ProtocolId::Esp)};
  child.life_packets = choices.life_packets;
  c.children.push_back(child);
  return c;
}

// A UDP packet from `source` to `destination` inside the tunnel (IPv4, DF as asked).
inline Bytes inner_udp_packet(std::string_view source, std::string_view destination, std::size_t payload_size,
                              bool dont_fragment = false, std::uint8_t fill = 0x5a) {
  const std::size_t total = wire::kIpv4MinHeaderLength + wire::kUdpHeaderLength + payload_size;
  Bytes packet(total, fill);
  wire::Ipv4HeaderFields h;
  h.source = ip(source);
  h.destination = ip(destination);
  h.protocol = wire::ip_protocol::kUdp;
  h.total_length = static_cast<std::uint16_t>(total);
  h.dont_fragment = dont_fragment;
  MutableByteView all(packet);
  wire::write_ipv4_header(all, h);
  wire::write_udp_header(all.subspan(wire::kIpv4MinHeaderLength), 40000, 9,
                         static_cast<std::uint16_t>(wire::kUdpHeaderLength + payload_size));
  return packet;
}

class TwoCores {
 public:
  explicit TwoCores(const ConnectionChoices& choices = {}, CoreOptions options = {}) {
    options.nat_keepalive = std::nullopt;
    ike::EngineOptions engine;
    engine.steady_origin = now;
    engine.wall_origin = crypto::WallClock{} + std::chrono::hours(24 * 20454);  // 2026-01-01
    a = std::make_unique<GatewayCore>(engine, options, ike::seeded_random(1));
    b = std::make_unique<GatewayCore>(engine, options, ike::seeded_random(2));
    OutputBatch out;
    a->add_connection(site_connection(1, choices), now, out);
    collect(out, to_b, tun_a);
    out.clear();
    b->add_connection(site_connection(2, choices), now, out);
    collect(out, to_a, tun_b);
  }

  struct InFlight {
    bool udp = false;
    ike::Endpoint from, to;  // udp
    Bytes bytes;
  };

  // Keeps a batch's network packets for the other side, and its TUN packets.
  void collect(const OutputBatch& out, std::vector<InFlight>& network, std::vector<Bytes>& tun) {
    for (const OutputPacket& p : out.packets()) {
      const ByteView bytes = out.bytes(p);
      if (p.destination == Destination::Tun) {
        tun.emplace_back(bytes.begin(), bytes.end());
        (&tun == &tun_a ? tun_links_a : tun_links_b).push_back(p.link);
      } else {
        network.push_back(InFlight{p.destination == Destination::Udp, p.local, p.remote,
                                   Bytes(bytes.begin(), bytes.end())});
      }
    }
    for (const ike::Event& e : out.events) events.push_back(e);
    for (const std::string& error : out.binding_errors) binding_errors.push_back(error);
    for (const AppliedAction& action : out.applied) applied.push_back(action);
  }

  // Delivers everything in flight, both ways, until nothing is left (or `rounds` runs out).
  void pump(int rounds = 50) {
    for (int i = 0; i < rounds && (!to_a.empty() || !to_b.empty()); ++i) {
      deliver(*b, to_b, to_a, tun_b);
      deliver(*a, to_a, to_b, tun_a);
    }
  }

  void deliver(GatewayCore& core, std::vector<InFlight>& inbox, std::vector<InFlight>& outbox,
               std::vector<Bytes>& tun) {
    std::vector<InFlight> now_in;
    now_in.swap(inbox);
    for (const InFlight& f : now_in) {
      OutputBatch out;
      if (f.udp) {
        core.on_udp_datagram(f.to, f.from, f.bytes, now, out);
      } else {
        core.on_raw_packet(f.bytes, now, out);
      }
      collect(out, outbox, tun);
    }
  }

  void up_a() {
    OutputBatch out;
    a->up("site", now, out);
    collect(out, to_b, tun_a);
    pump();
  }

  TimePoint now = TimePoint{} + std::chrono::hours(1000);
  std::unique_ptr<GatewayCore> a, b;
  std::vector<InFlight> to_a, to_b;
  std::vector<Bytes> tun_a, tun_b;
  std::vector<std::uint32_t> tun_links_a, tun_links_b;  // OutputPacket::link of each, in order
  std::vector<ike::Event> events;
  std::vector<std::string> binding_errors;
  std::vector<AppliedAction> applied;  // both sides
};

}  // namespace cygnet::gateway::test
