// Two IKE engines wired back to back in-process, each with its own data plane behind a
// DataPlaneBinding: datagrams go straight to the other engine (optionally dropped by a filter),
// data plane actions are applied, events are recorded, and virtual time runs the timers.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ike/algorithms.hpp"
#include "ike/data_plane_binding.hpp"
#include "ike/engine.hpp"
#include "ipsec/data_plane.hpp"
#include "unit/ipsec/test_packets.hpp"

namespace cygnet::ike::test {

// The engine reads no clock: tests give it the wall-clock origin (now, so the test certificates,
// made now, are valid).
inline EngineOptions with_wall_origin(EngineOptions o = {}) {
  if (!o.wall_origin) o.wall_origin = std::chrono::system_clock::now();
  return o;
}

inline wire::IpAddress addr(std::string_view text) {
  return *wire::IpAddress::parse(text);
}
inline wire::IpPrefix prefix(std::string_view text) {
  return *wire::IpPrefix::parse(text);
}

inline Proposal proposal(std::string_view text, ProtocolId protocol) {
  auto p = parse_proposal(text, protocol, false);
  EXPECT_TRUE(p.proposal) << text << ": " << p.error;
  return p.proposal.value_or(Proposal{});
}

inline ChildSettings child(std::string name, std::string_view local_ts, std::string_view remote_ts,
                           std::string_view esp = "aes256gcm16") {
  ChildSettings c;
  c.name = std::move(name);
  if (!local_ts.empty()) c.local_ts = {prefix(local_ts)};
  if (!remote_ts.empty()) c.remote_ts = {prefix(remote_ts)};
  c.proposals = {proposal(esp, ProtocolId::Esp)};
  return c;
}

inline ConnectionSettings psk_connection(std::string name, std::string_view local, std::string_view remote,
                                         std::string_view secret = "correct horse battery staple",
                                         std::string_view ike = "aes256gcm16-prfsha256-x25519") {
  ConnectionSettings c;
  c.name = std::move(name);
  c.local_addrs = {addr(local)};
  if (!remote.empty()) c.remote_addrs = {addr(remote)};
  c.local_id = *Identity::parse(local);
  c.remote_id = remote.empty() ? *Identity::parse("%any") : *Identity::parse(remote);
  c.auth = AuthKind::Psk;
  const std::string s(secret);
  c.psk = crypto::SecureBytes(ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
  c.ike_proposals = {proposal(ike, ProtocolId::Ike)};
  c.children = {child("net", local == "192.0.2.1" ? "198.51.100.0/24" : "203.0.113.0/24",
                      local == "192.0.2.1" ? "203.0.113.0/24" : "198.51.100.0/24")};
  return c;
}

struct Peer {
  Peer(std::string n, std::string_view address, EngineOptions options, std::uint64_t seed)
      : name(std::move(n)),
        ip(addr(address)),
        engine(std::make_unique<Engine>(with_wall_origin(options), seeded_random(seed))) {}
  std::string name;
  wire::IpAddress ip;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<ipsec::DataPlane> plane = std::make_unique<ipsec::DataPlane>();
  std::unique_ptr<DataPlaneBinding> bound = std::make_unique<DataPlaneBinding>(*plane);
  ipsec::DataPlane& data_plane() { return *plane; }
  DataPlaneBinding& binding() { return *bound; }
  // A reboot: fresh engine, data plane and binding (events and logs are kept).
  void restart(EngineOptions options, std::uint64_t seed) {
    engine = std::make_unique<Engine>(with_wall_origin(options), seeded_random(seed));
    bound.reset();
    plane = std::make_unique<ipsec::DataPlane>();
    bound = std::make_unique<DataPlaneBinding>(*plane);
  }
  std::vector<Event> events;
  std::vector<Action> log;  // every action, for inspection

  std::size_t count(EventType t) const {
    return static_cast<std::size_t>(
        std::count_if(events.begin(), events.end(), [t](const Event& e) { return e.type == t; }));
  }
  const Event* find(EventType t) const {
    for (const auto& e : events)
      if (e.type == t) return &e;
    return nullptr;
  }
  template <typename T>
  std::size_t count_actions() const {
    return static_cast<std::size_t>(
        std::count_if(log.begin(), log.end(), [](const Action& a) { return std::holds_alternative<T>(a); }));
  }
  std::size_t established_children() const {
    std::size_t n = 0;
    for (const auto& c : engine->status(TimePoint{}))
      for (const auto& s : c.ike_sas) n += s.children.size();
    return n;
  }
  std::size_t ike_sa_count() const {
    std::size_t n = 0;
    for (const auto& c : engine->status(TimePoint{})) n += c.ike_sas.size();
    return n;
  }
};

class BackToBack {
 public:
  explicit BackToBack(EngineOptions options = {}, EngineOptions options_b = {})
      : a("A", "192.0.2.1", fix(options), 1), b("B", "192.0.2.2", fix(options_b), 2) {}

  static EngineOptions fix(EngineOptions o) {
    o.steady_origin = TimePoint{};
    return with_wall_origin(std::move(o));
  }

  Peer a;
  Peer b;
  TimePoint now{};
  // Return true to drop the datagram (from_a: sent by A).
  std::function<bool(const SendDatagram&, bool from_a)> drop;
  std::vector<SendDatagram> wire_log;

  Peer& other(Peer& p) { return &p == &a ? b : a; }

  // Delivers everything until both engines are quiet.
  void run() {
    for (int rounds = 0; rounds < 10000; ++rounds) {
      const bool from_a = step(a);  // both must run every round
      const bool from_b = step(b);
      if (!from_a && !from_b) return;
    }
    ADD_FAILURE() << "engines never went quiet";
  }

  // Runs timers and deliveries up to now + d.
  void advance(Duration d) {
    const TimePoint target = now + d;
    for (int i = 0; i < 100000; ++i) {
      std::optional<TimePoint> next;
      for (Peer* p : {&a, &b}) {
        auto n = p->engine->next_deadline();
        if (n && (!next || *n < *next)) next = n;
      }
      if (!next || *next > target) break;
      now = std::max(now, *next);
      a.engine->on_timer(now);
      b.engine->on_timer(now);
      run();
    }
    now = target;
    a.engine->on_timer(now);
    b.engine->on_timer(now);
    run();
  }

  // A cleartext packet from `from`'s protected side through both data planes. True when it came out
  // decapsulated at the other end.
  bool traffic(Peer& from, std::string_view src, std::string_view dst) {
    Peer& to = other(from);
    const Bytes packet = cygnet::test::make_packet(addr(src), addr(dst), cygnet::test::L4::Udp, 64);
    Bytes out(packet.size() + 256);
    const auto o = from.data_plane().process_outbound(packet, out, now);
    if (o.kind != ipsec::OutboundOutcome::Kind::Protected) return false;
    Bytes back(out.size());
    const auto i = to.data_plane().process_inbound(ByteView(out.data(), o.result.length), back, now);
    return i.kind == ipsec::InboundOutcome::Kind::Decapsulated;
  }

 private:
  bool step(Peer& p) {
    auto actions = p.engine->take_actions();
    for (auto& action : actions) {
      p.log.push_back(action);
      if (const auto* e = std::get_if<Event>(&action)) p.events.push_back(*e);
      if (auto error = p.binding().apply(action)) ADD_FAILURE() << p.name << ": " << *error;
      if (const auto* d = std::get_if<SendDatagram>(&action)) {
        wire_log.push_back(*d);
        const bool from_a = &p == &a;
        if (drop && drop(*d, from_a)) continue;
        Peer& to = other(p);
        if (d->remote.address != to.ip) continue;
        to.engine->on_datagram(d->remote, d->local, d->payload, now);
      }
    }
    return !actions.empty();
  }
};

}  // namespace cygnet::ike::test
