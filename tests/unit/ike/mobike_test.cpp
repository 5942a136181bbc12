// MOBIKE (RFC 4555) between two engines: A is the client (the original initiator, whose address
// changes), B the gateway. The IKE SA and every CHILD SA follow A without a new IKE SA or new
// SPIs; NAT detection is redone for the new path; ESP goes to a new address only after return
// routability (COOKIE2); replayed, spoofed or unauthenticated updates change nothing; with
// MOBIKE off nobody announces it and an UPDATE_SA_ADDRESSES is an ignored status notify.
#include <gtest/gtest.h>

#include "support/ike_forge.hpp"
#include "unit/ike/engine_harness.hpp"
#include "wire/ikev2_message.hpp"

namespace cygnet::ike::test {
namespace {

namespace ikev2 = wire::ikev2;

constexpr std::string_view kFirst = "192.0.2.1";
constexpr std::string_view kSecond = "192.0.2.77";
constexpr std::string_view kThird = "192.0.2.88";
constexpr std::string_view kNatPublic = "192.0.2.200";

Endpoint ep(std::string_view address, std::uint16_t port = 500) {
  return {addr(address), port};
}

// The IKE message of a datagram (without the non-ESP marker of port 4500).
ByteView ike_part(const SendDatagram& d) {
  const ByteView all(d.payload);
  return d.local.port == 4500 ? all.subspan(4) : all;
}

Bytes with_marker(ByteView message) {
  Bytes out(4, 0);
  out.insert(out.end(), message.begin(), message.end());
  return out;
}

EngineOptions retaining_keys() {
  EngineOptions o;
  o.retain_keys_for_export = true;
  return o;
}

// The outer header of what `from` sends for one packet of its protected traffic.
struct Outer {
  wire::IpAddress source;
  wire::IpAddress destination;
  std::uint8_t protocol = 0;  // 50 ESP, 17 ESP in UDP
  std::uint16_t udp_dst = 0;  // ESP in UDP: the destination port
  bool protected_ok = false;
};

struct Mobile {
  explicit Mobile(bool a_mobike = true, bool b_mobike = true) : net(retaining_keys(), retaining_keys()) {
    ConnectionSettings gw = psk_connection("gw", "192.0.2.2", "");
    gw.mobike = b_mobike;
    gw.dpd_delay = Seconds{0};
    EXPECT_TRUE(net.b.engine->add_connection(gw, net.now));
    ConnectionSettings client = psk_connection("site", "192.0.2.1", "192.0.2.2");
    client.local_addrs = {addr(kFirst), addr(kSecond), addr(kThird)};  // the addresses A may move to
    client.mobike = a_mobike;
    client.dpd_delay = Seconds{0};
    client.start_action = StartAction::Start;
    EXPECT_TRUE(net.a.engine->add_connection(client, net.now));
    net.run();
    EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 1u);
    EXPECT_EQ(net.a.count(EventType::ChildSaEstablished), 1u);
    spis = ike_spis(net.b);
    child_spis = first_child(net.b).inbound_spi;
  }

  // A's host now has only `address`; it goes on the wire from there.
  void move_a(std::string_view address) {
    net.a.ip = addr(address);
    net.a.engine->on_local_addresses({addr(address)}, net.now);
    net.run();
  }

  static IkeSaStatus only_sa(Peer& p) {
    const auto status = p.engine->status(TimePoint{});
    for (const auto& c : status)
      if (!c.ike_sas.empty()) return c.ike_sas.front();
    ADD_FAILURE() << p.name << " has no IKE SA";
    return {};
  }
  static std::pair<std::uint64_t, std::uint64_t> ike_spis(Peer& p) {
    const IkeSaStatus s = only_sa(p);
    return {s.initiator_spi, s.responder_spi};
  }
  static ChildSaStatus first_child(Peer& p) {
    const IkeSaStatus s = only_sa(p);
    if (s.children.empty()) {
      ADD_FAILURE() << p.name << " has no CHILD SA";
      return {};
    }
    return s.children.front();
  }

  Outer outer_of(Peer& from, std::string_view src, std::string_view dst) {
    const Bytes packet = cygnet::test::make_packet(addr(src), addr(dst), cygnet::test::L4::Udp, 64);
    Bytes out(packet.size() + 256);
    const auto o = from.data_plane().process_outbound(packet, out, net.now);
    Outer r;
    if (o.kind != ipsec::OutboundOutcome::Kind::Protected) return r;
    r.protected_ok = true;
    r.source = wire::IpAddress::v4(ByteView(out.data() + 12, 4));
    r.destination = wire::IpAddress::v4(ByteView(out.data() + 16, 4));
    r.protocol = out[9];
    if (r.protocol == 17) r.udp_dst = static_cast<std::uint16_t>((out[22] << 8) | out[23]);
    return r;
  }

  // B's ESP toward A, and whether A takes it (its inbound SA is found at A's current address).
  Outer b_to_a() { return outer_of(net.b, "203.0.113.5", "198.51.100.5"); }
  Outer a_to_b() { return outer_of(net.a, "198.51.100.5", "203.0.113.5"); }

  std::string last_event(Peer& p, EventType type) const {
    std::string last;
    for (const Event& e : p.events)
      if (e.type == type) last = e.detail;
    return last;
  }

  BackToBack net;
  std::pair<std::uint64_t, std::uint64_t> spis;
  std::uint32_t child_spis = 0;
};

TEST(Mobike, BothAnnounceItInIkeAuth) {
  Mobile m;
  EXPECT_TRUE(Mobile::only_sa(m.net.a).mobike);
  EXPECT_TRUE(Mobile::only_sa(m.net.b).mobike);
}

TEST(Mobike, OffOnEitherSideMeansOff) {
  Mobile gateway_off(true, false);
  EXPECT_FALSE(Mobile::only_sa(gateway_off.net.a).mobike);
  EXPECT_FALSE(Mobile::only_sa(gateway_off.net.b).mobike);
  // The client does not announce its move: nothing is sent, the SA stays where it was.
  const std::size_t sent = gateway_off.net.wire_log.size();
  gateway_off.net.a.engine->on_local_addresses({addr(kSecond)}, gateway_off.net.now);
  EXPECT_TRUE(gateway_off.net.a.engine->take_actions().empty());
  EXPECT_EQ(gateway_off.net.wire_log.size(), sent);

  Mobile client_off(false, true);
  EXPECT_FALSE(Mobile::only_sa(client_off.net.a).mobike);
  EXPECT_FALSE(Mobile::only_sa(client_off.net.b).mobike);
}

TEST(Mobike, ClientMovesAndTheGatewayFollowsWithTheSameSpis) {
  Mobile m;
  ASSERT_EQ(m.b_to_a().destination, addr(kFirst));
  m.move_a(kSecond);

  const IkeSaStatus b = Mobile::only_sa(m.net.b);
  EXPECT_EQ(b.remote.address, addr(kSecond));
  EXPECT_EQ(Mobile::only_sa(m.net.a).local.address, addr(kSecond));
  // The same IKE SA and CHILD SA: no new negotiation, same SPIs.
  EXPECT_EQ(Mobile::ike_spis(m.net.b), m.spis);
  EXPECT_EQ(Mobile::ike_spis(m.net.a), m.spis);
  EXPECT_EQ(Mobile::first_child(m.net.b).inbound_spi, m.child_spis);
  EXPECT_EQ(m.net.b.count(EventType::IkeSaEstablished), 1u);
  EXPECT_EQ(m.net.b.count(EventType::ChildSaEstablished), 1u);
  EXPECT_EQ(m.net.b.count_actions<UpdateChildSaAddresses>(), 1u);
  EXPECT_EQ(m.net.a.count_actions<UpdateChildSaAddresses>(), 1u);
  EXPECT_NE(m.last_event(m.net.b, EventType::PeerAddressChanged).find("MOBIKE update"), std::string::npos);
  EXPECT_NE(m.last_event(m.net.a, EventType::PeerAddressChanged).find("MOBIKE update"), std::string::npos);

  // ESP both ways on the new addresses, plain ESP (no NAT).
  const Outer to_a = m.b_to_a();
  EXPECT_EQ(to_a.destination, addr(kSecond));
  EXPECT_EQ(to_a.protocol, 50);
  const Outer to_b = m.a_to_b();
  EXPECT_EQ(to_b.source, addr(kSecond));
  EXPECT_TRUE(m.net.traffic(m.net.a, "198.51.100.5", "203.0.113.5"));
  EXPECT_TRUE(m.net.traffic(m.net.b, "203.0.113.5", "198.51.100.5"));
  // Later exchanges run on the new path (a rekey of the CHILD SA, here).
  m.net.advance(Seconds{3700});
  EXPECT_GE(m.net.a.count(EventType::ChildSaRekeyed) + m.net.b.count(EventType::ChildSaRekeyed), 1u);
  EXPECT_EQ(m.net.b.count(EventType::IkeSaDeleted), 0u);
  EXPECT_TRUE(m.net.traffic(m.net.a, "198.51.100.5", "203.0.113.5"));
}

TEST(Mobike, EspWaitsForReturnRoutability) {
  Mobile m;
  // B's requests toward A's new address are lost: the update itself is answered, but the COOKIE2
  // check is not.
  bool lose_b_requests = true;
  Bytes cookie2_check;
  m.net.drop = [&](const SendDatagram& d, bool from_a) {
    if (from_a || !lose_b_requests) return false;
    const auto h = ikev2::parse_header(ike_part(d));
    if (h && !h.value->is_response()) {
      cookie2_check = d.payload;
      return true;
    }
    return false;
  };
  m.move_a(kSecond);
  EXPECT_EQ(Mobile::only_sa(m.net.b).remote.address, addr(kSecond));  // IKE follows the update
  EXPECT_FALSE(cookie2_check.empty());                                // and the check went out
  EXPECT_EQ(m.net.b.count_actions<UpdateChildSaAddresses>(), 0u);
  EXPECT_EQ(m.b_to_a().destination, addr(kFirst));  // ESP not yet to the unverified address
  m.net.advance(Seconds{2});
  EXPECT_EQ(m.b_to_a().destination, addr(kFirst));

  lose_b_requests = false;  // the retransmitted check gets through: ESP follows
  m.net.advance(Seconds{5});
  EXPECT_EQ(m.net.b.count_actions<UpdateChildSaAddresses>(), 1u);
  EXPECT_EQ(m.b_to_a().destination, addr(kSecond));
  EXPECT_TRUE(m.net.traffic(m.net.b, "203.0.113.5", "198.51.100.5"));

  // Back to the first address: it was authenticated by IKE_AUTH, so ESP goes there at once.
  const std::size_t b_requests_before = m.net.b.count_actions<SendDatagram>();
  m.move_a(kFirst);
  EXPECT_EQ(m.b_to_a().destination, addr(kFirst));
  EXPECT_EQ(m.net.b.count_actions<SendDatagram>(), b_requests_before + 1);  // only the response
}

// A's datagrams pass a NAT on their way to B while `natted`: A's port 500 appears as
// 192.0.2.200:40000, its port 4500 as 192.0.2.200:40001.
void through_nat(Mobile& m, const bool& natted) {
  m.net.drop = [&m, &natted](const SendDatagram& d, bool from_a) {
    if (!natted) return false;
    if (from_a) {
      const std::uint16_t mapped = d.local.port == 500 ? 40000 : 40001;
      m.net.b.engine->on_datagram(d.remote, Endpoint{addr(kNatPublic), mapped}, d.payload, m.net.now);
      return true;
    }
    if (d.remote.address == addr(kNatPublic)) {
      const std::uint16_t port = d.remote.port == 40000 ? 500 : 4500;
      m.net.a.engine->on_datagram(Endpoint{m.net.a.ip, port}, d.local, d.payload, m.net.now);
      return true;
    }
    return false;
  };
}

TEST(Mobike, NatAppearsAndDisappearsWithTheMove) {
  Mobile m;
  bool natted = true;
  through_nat(m, natted);
  m.move_a(kSecond);
  const IkeSaStatus b = Mobile::only_sa(m.net.b);
  EXPECT_EQ(b.remote, ep(kNatPublic, 40001));  // the mapping of A's port 4500
  EXPECT_TRUE(b.nat_detected);
  EXPECT_TRUE(Mobile::only_sa(m.net.a).nat_detected);
  EXPECT_EQ(Mobile::only_sa(m.net.a).local.port, 4500);  // A floated to 4500 behind the NAT
  // ESP in UDP now, toward the NAT's mapping; the SPIs are the same.
  const Outer to_a = m.b_to_a();
  EXPECT_EQ(to_a.destination, addr(kNatPublic));
  EXPECT_EQ(to_a.protocol, 17);
  EXPECT_EQ(to_a.udp_dst, 40001);
  EXPECT_EQ(m.a_to_b().protocol, 17);
  EXPECT_EQ(Mobile::first_child(m.net.b).inbound_spi, m.child_spis);
  EXPECT_TRUE(Mobile::first_child(m.net.b).udp_encapsulated);

  natted = false;  // the next network has no NAT
  m.move_a(kThird);
  const IkeSaStatus b2 = Mobile::only_sa(m.net.b);
  EXPECT_EQ(b2.remote.address, addr(kThird));
  EXPECT_FALSE(b2.nat_detected);
  EXPECT_FALSE(Mobile::only_sa(m.net.a).nat_detected);
  const Outer plain = m.b_to_a();
  EXPECT_EQ(plain.destination, addr(kThird));
  EXPECT_EQ(plain.protocol, 50);
  EXPECT_EQ(m.a_to_b().protocol, 50);
  EXPECT_TRUE(m.net.traffic(m.net.a, "198.51.100.5", "203.0.113.5"));
  EXPECT_TRUE(m.net.traffic(m.net.b, "203.0.113.5", "198.51.100.5"));
  EXPECT_EQ(Mobile::ike_spis(m.net.b), m.spis);
}

// The client's UPDATE_SA_ADDRESSES, captured on the wire.
std::optional<SendDatagram> captured_update(Mobile& m) {
  for (const SendDatagram& d : m.net.wire_log) {
    const auto h = ikev2::parse_header(ike_part(d));
    if (h && h.value->exchange == ikev2::ExchangeType::Informational && !h.value->is_response() &&
        d.local.address == addr(kSecond))
      return d;
  }
  return std::nullopt;
}

TEST(Mobike, ReplayedUpdateFromElsewhereMovesNothing) {
  Mobile m;
  m.move_a(kSecond);
  const auto update = captured_update(m);
  ASSERT_TRUE(update.has_value());
  const std::size_t moves = m.net.b.count(EventType::PeerAddressChanged);
  // The same authentic request replayed from an attacker's address: answered from the cache to
  // where the SA is, nothing moves.
  const auto duplicates = m.net.b.engine->counters().duplicate_requests;
  m.net.b.engine->on_datagram(update->remote, ep("203.0.113.66", update->local.port), update->payload,
                              m.net.now);
  const auto answers = m.net.b.engine->take_actions();
  EXPECT_EQ(std::count_if(answers.begin(), answers.end(),
                          [](const Action& a) { return std::holds_alternative<SendDatagram>(a); }),
            1);  // the cached response, once
  EXPECT_EQ(m.net.b.engine->counters().duplicate_requests, duplicates + 1);
  for (const Action& a : answers) {
    if (const auto* d = std::get_if<SendDatagram>(&a)) {
      EXPECT_EQ(d->remote.address, addr(kSecond));
    }
    EXPECT_FALSE(std::holds_alternative<UpdateChildSaAddresses>(a));
  }
  EXPECT_EQ(Mobile::only_sa(m.net.b).remote.address, addr(kSecond));
  EXPECT_EQ(m.net.b.count(EventType::PeerAddressChanged), moves);
  EXPECT_EQ(m.b_to_a().destination, addr(kSecond));
}

TEST(Mobike, SpoofedUpdateWithoutTheKeysMovesNothing) {
  Mobile m;
  // A request under the right SPIs and the next message ID, but not protected by the SA's keys.
  ikev2::Message msg;
  msg.header.initiator_spi = m.spis.first;
  msg.header.responder_spi = m.spis.second;
  msg.header.exchange = ikev2::ExchangeType::Informational;
  msg.header.flags = ikev2::kFlagInitiator;
  msg.header.message_id = 2;
  ikev2::EncryptedPayload sk;
  sk.first_inner = ikev2::PayloadType::Notify;
  sk.body = Bytes(80, 0x5a);
  msg.payloads.emplace_back(sk);
  const Bytes spoofed = with_marker(ikev2::serialize_message(msg));
  const auto malformed = m.net.b.engine->counters().malformed;
  m.net.b.engine->on_datagram(ep("192.0.2.2"), ep("203.0.113.66", 4500), spoofed, m.net.now);
  for (const Action& a : m.net.b.engine->take_actions()) {
    EXPECT_FALSE(std::holds_alternative<SendDatagram>(a));
    EXPECT_FALSE(std::holds_alternative<UpdateChildSaAddresses>(a));
  }
  EXPECT_EQ(m.net.b.engine->counters().malformed, malformed + 1);
  EXPECT_EQ(Mobile::only_sa(m.net.b).remote.address, addr(kFirst));
  EXPECT_EQ(m.b_to_a().destination, addr(kFirst));
}

// Requests forged with the SA's real keys (what a peer holding them could send).
struct Forging {
  explicit Forging(bool b_mobike) : m(true, b_mobike) {
    auto keys = forge::ikev2_keys(*m.net.a.engine);
    EXPECT_TRUE(keys.has_value());
    if (keys) forger.emplace(*keys);
  }
  // A request from A's SA (message ID `mid`) arriving from `from`; B's actions.
  std::vector<Action> to_b(std::uint32_t mid, const std::vector<ikev2::Payload>& payloads,
                           const Endpoint& from) {
    const Bytes d = forger->message(forge::Sender::Initiator, ikev2::ExchangeType::Informational, mid,
                                    forge::chain(payloads));
    m.net.b.engine->on_datagram(ep("192.0.2.2", 4500), from, with_marker(d), m.net.now);
    auto actions = m.net.b.engine->take_actions();
    for (const auto& a : actions) {
      m.net.b.log.push_back(a);
      if (const auto* e = std::get_if<Event>(&a)) m.net.b.events.push_back(*e);
      if (auto error = m.net.b.binding().apply(a)) ADD_FAILURE() << *error;
    }
    return actions;
  }
  std::vector<ikev2::Payload> response(const std::vector<Action>& actions) {
    for (const auto& a : actions)
      if (const auto* d = std::get_if<SendDatagram>(&a)) {
        auto opened = forger->open(ike_part(*d));
        if (opened) return *opened;
      }
    return {};
  }
  Mobile m;
  std::optional<forge::Ikev2Forger> forger;
};

ikev2::NotifyPayload n(ikev2::NotifyType type, Bytes data = {}) {
  ikev2::NotifyPayload p;
  p.type = type;
  p.data = std::move(data);
  return p;
}

TEST(Mobike, UpdateWithMobikeOffIsAnIgnoredStatusNotify) {
  Forging f(false);
  const auto actions =
      f.to_b(2, {n(ikev2::NotifyType::UpdateSaAddresses), n(ikev2::NotifyType::Cookie2, Bytes(16, 7))},
             ep(kSecond, 4500));
  const auto answer = f.response(actions);
  EXPECT_TRUE(answer.empty());  // no COOKIE2 echo, no NAT detection: MOBIKE is not spoken here
  EXPECT_EQ(Mobile::only_sa(f.m.net.b).remote.address, addr(kFirst));
  EXPECT_EQ(f.m.net.b.engine->counters().refusals[RefusalReason::AddressChange], 1u);
  EXPECT_EQ(f.m.b_to_a().destination, addr(kFirst));
}

TEST(Mobike, Cookie2IsEchoedAndAdditionalAddressesKept) {
  Forging f(true);
  const Bytes cookie(24, 0x42);
  const auto answer = f.response(f.to_b(2,
                                        {n(ikev2::NotifyType::AdditionalIp4Address, Bytes{198, 51, 100, 9}),
                                         n(ikev2::NotifyType::Cookie2, cookie)},
                                        ep(kFirst, 4500)));
  const auto* echoed = ikev2::find_notify(answer, ikev2::NotifyType::Cookie2);
  ASSERT_NE(echoed, nullptr);
  EXPECT_EQ(echoed->data, cookie);
  EXPECT_EQ(Mobile::only_sa(f.m.net.b).peer_additional_addresses,
            std::vector<wire::IpAddress>{addr("198.51.100.9")});
  f.response(f.to_b(3, {n(ikev2::NotifyType::NoAdditionalAddresses)}, ep(kFirst, 4500)));
  EXPECT_TRUE(Mobile::only_sa(f.m.net.b).peer_additional_addresses.empty());
}

TEST(Mobike, NoNatsAllowedRefusesAnUpdateThroughANat) {
  Forging f(true);
  // A wrote 192.0.2.77:4500 -> 192.0.2.2:4500, but it arrives from 192.0.2.200:40000.
  Bytes as_sent{192, 0, 2, 77, 192, 0, 2, 2, 0x11, 0x94, 0x11, 0x94};
  const auto answer = f.response(
      f.to_b(2, {n(ikev2::NotifyType::UpdateSaAddresses), n(ikev2::NotifyType::NoNatsAllowed, as_sent)},
             ep(kNatPublic, 40000)));
  EXPECT_NE(ikev2::find_notify(answer, ikev2::NotifyType::UnexpectedNatDetected), nullptr);
  EXPECT_EQ(Mobile::only_sa(f.m.net.b).remote.address, addr(kFirst));
  EXPECT_EQ(f.m.b_to_a().destination, addr(kFirst));
  // The same from where it claims to be is taken.
  const auto ok = f.response(
      f.to_b(3, {n(ikev2::NotifyType::UpdateSaAddresses), n(ikev2::NotifyType::NoNatsAllowed, as_sent)},
             ep(kSecond, 4500)));
  EXPECT_EQ(ikev2::find_notify(ok, ikev2::NotifyType::UnexpectedNatDetected), nullptr);
  EXPECT_NE(ikev2::find_notify(ok, ikev2::NotifyType::NatDetectionSourceIp), nullptr);
  EXPECT_EQ(Mobile::only_sa(f.m.net.b).remote.address, addr(kSecond));
}

TEST(Mobike, UnansweredUpdateIsRetriedOverTheNextPath) {
  Mobile m;
  // A has two new addresses; everything from the first of them is lost.
  m.net.drop = [](const SendDatagram& d, bool from_a) { return from_a && d.local.address == addr(kSecond); };
  m.net.a.engine->on_local_addresses({addr(kSecond), addr(kThird)}, m.net.now);
  m.net.a.ip = addr(kThird);
  m.net.run();
  EXPECT_EQ(Mobile::only_sa(m.net.b).remote.address, addr(kFirst));
  m.net.advance(Seconds{60});  // retransmissions from kSecond give up; the same request from kThird
  EXPECT_EQ(Mobile::only_sa(m.net.b).remote.address, addr(kThird));
  EXPECT_EQ(Mobile::only_sa(m.net.a).local.address, addr(kThird));
  EXPECT_EQ(m.net.a.count(EventType::RetransmitGaveUp), 0u);
  EXPECT_EQ(Mobile::ike_spis(m.net.a), m.spis);
}

}  // namespace
}  // namespace cygnet::ike::test
