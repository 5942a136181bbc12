// Peers named by host names: the engine asks for resolution (ResolveRemote), initiates to the
// resolved address, asks again on every retry, and as responder accepts only resolved addresses.
#include <gtest/gtest.h>

#include "unit/ike/engine_harness.hpp"

namespace cygnet::ike::test {
namespace {

ConnectionSettings named_peer(std::string_view local, std::string_view host, std::string_view remote_id) {
  ConnectionSettings c = psk_connection("site", local, "");
  c.remote_addrs.clear();
  c.remote_hosts = {std::string(host)};
  c.remote_id = *Identity::parse(remote_id);
  return c;
}

std::vector<ResolveRemote> resolutions(const Peer& p) {
  std::vector<ResolveRemote> out;
  for (const Action& a : p.log)
    if (const auto* r = std::get_if<ResolveRemote>(&a)) out.push_back(*r);
  return out;
}

std::vector<wire::IpAddress> init_destinations(const BackToBack& net) {
  std::vector<wire::IpAddress> out;
  for (const SendDatagram& d : net.wire_log)
    if (d.local.address == addr("192.0.2.1") && d.payload.size() > 18 && d.payload[18] == 34)
      out.push_back(d.remote.address);
  return out;
}

TEST(RemoteHosts, InitiationWaitsForResolutionAndGoesToTheResolvedAddress) {
  BackToBack net;
  ASSERT_TRUE(net.b.engine->add_connection(psk_connection("site", "192.0.2.2", "192.0.2.1"), net.now));
  ConnectionSettings a = named_peer("192.0.2.1", "peer.example", "192.0.2.2");
  a.start_action = StartAction::Start;
  ASSERT_TRUE(net.a.engine->add_connection(a, net.now));
  net.run();
  const auto asked = resolutions(net.a);
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0].connection, "site");
  EXPECT_EQ(asked[0].hosts, std::vector<std::string>{"peer.example"});
  EXPECT_TRUE(net.wire_log.empty());  // nothing sent before the answer

  net.a.engine->on_remote_resolved("site", {addr("192.0.2.2")}, net.now);
  net.run();
  EXPECT_EQ(init_destinations(net), std::vector<wire::IpAddress>{addr("192.0.2.2")});
  EXPECT_EQ(net.a.count(EventType::ChildSaEstablished), 1u);
  EXPECT_TRUE(net.traffic(net.a, "198.51.100.7", "203.0.113.9"));
  EXPECT_EQ(net.a.engine->status(net.now)[0].ike_sas.at(0).remote.address, addr("192.0.2.2"));
  // A late duplicate answer starts nothing.
  net.a.engine->on_remote_resolved("site", {addr("192.0.2.2")}, net.now);
  net.run();
  EXPECT_EQ(net.a.ike_sa_count(), 1u);
}

TEST(RemoteHosts, RetryResolvesAgainAndUsesTheNewAddress) {
  BackToBack net;
  ASSERT_TRUE(net.b.engine->add_connection(psk_connection("site", "192.0.2.2", "192.0.2.1"), net.now));
  ASSERT_TRUE(net.a.engine->add_connection(named_peer("192.0.2.1", "peer.example", "192.0.2.2"), net.now));
  net.run();
  ASSERT_EQ(resolutions(net.a).size(), 1u);  // at add: to know the peer as responder
  net.a.engine->on_remote_resolved("site", {addr("192.0.2.99")}, net.now);  // nobody there
  ASSERT_TRUE(net.a.engine->up("site", net.now));
  net.run();
  ASSERT_EQ(resolutions(net.a).size(), 2u);  // the up resolves again
  net.a.engine->on_remote_resolved("site", {addr("192.0.2.99")}, net.now);
  net.run();
  net.advance(Seconds(120));
  EXPECT_EQ(net.a.count(EventType::RetransmitGaveUp), 1u);
  EXPECT_EQ(net.a.count(EventType::IkeSaEstablished), 0u);

  // The DNS record changed; the retry asks again and follows it.
  ASSERT_TRUE(net.a.engine->up("site", net.now));
  net.run();
  ASSERT_EQ(resolutions(net.a).size(), 3u);
  net.a.engine->on_remote_resolved("site", {addr("192.0.2.2")}, net.now);
  net.run();
  const auto destinations = init_destinations(net);
  ASSERT_FALSE(destinations.empty());
  EXPECT_EQ(destinations.front(), addr("192.0.2.99"));
  EXPECT_EQ(destinations.back(), addr("192.0.2.2"));
  EXPECT_EQ(net.a.count(EventType::ChildSaEstablished), 1u);
}

TEST(RemoteHosts, FailedResolutionIsAnErrorAndStartRetriesLater) {
  EngineOptions options;
  options.resolve_retry = Seconds(15);
  BackToBack net(options);
  ConnectionSettings a = named_peer("192.0.2.1", "peer.example", "192.0.2.2");
  a.start_action = StartAction::Start;
  ASSERT_TRUE(net.a.engine->add_connection(a, net.now));
  net.run();
  net.a.engine->on_remote_resolution_failed("site", "Name or service not known", net.now);
  net.run();
  ASSERT_EQ(net.a.count(EventType::Error), 1u);
  EXPECT_NE(net.a.events.back().detail.find("resolving peer.example failed: Name or service not known"),
            std::string::npos);
  EXPECT_EQ(resolutions(net.a).size(), 1u);
  net.advance(Seconds(10));
  EXPECT_EQ(resolutions(net.a).size(), 1u);
  net.advance(Seconds(6));
  EXPECT_EQ(resolutions(net.a).size(), 2u);
  // An empty answer is a failure too.
  net.a.engine->on_remote_resolved("site", {}, net.now);
  net.run();
  EXPECT_EQ(net.a.count(EventType::Error), 2u);
  EXPECT_TRUE(net.wire_log.empty());
}

TEST(RemoteHosts, ResolvedAddressOfTheWrongFamilyIsRefused) {
  BackToBack net;
  ConnectionSettings a = named_peer("192.0.2.1", "peer.example", "192.0.2.2");
  a.start_action = StartAction::Start;
  ASSERT_TRUE(net.a.engine->add_connection(a, net.now));
  net.run();
  net.a.engine->on_remote_resolved("site", {addr("2001:db8::2")}, net.now);
  net.run();
  ASSERT_EQ(net.a.count(EventType::Error), 1u);
  EXPECT_NE(net.a.events.back().detail.find("no address of local_addrs' family"), std::string::npos);
  EXPECT_TRUE(net.wire_log.empty());
}

TEST(RemoteHosts, ResponderAcceptsThePeerOnlyAtAResolvedAddress) {
  for (const char* resolved : {"192.0.2.1", "192.0.2.77"}) {
    SCOPED_TRACE(resolved);
    BackToBack net;
    ASSERT_TRUE(net.b.engine->add_connection(named_peer("192.0.2.2", "a.example", "192.0.2.1"), net.now));
    net.run();
    ASSERT_EQ(resolutions(net.b).size(), 1u);
    net.b.engine->on_remote_resolved("site", {addr(resolved)}, net.now);
    ConnectionSettings a = psk_connection("site", "192.0.2.1", "192.0.2.2");
    a.start_action = StartAction::Start;
    ASSERT_TRUE(net.a.engine->add_connection(a, net.now));
    net.run();
    const bool expected = std::string(resolved) == "192.0.2.1";
    EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), expected ? 1u : 0u);
    EXPECT_EQ(net.b.ike_sa_count(), expected ? 1u : 0u);
  }
}

TEST(RemoteHosts, MixedOrIkev1SettingsAreRefused) {
  Engine engine(with_wall_origin());
  ConnectionSettings mixed = named_peer("192.0.2.1", "peer.example", "192.0.2.2");
  mixed.remote_addrs = {addr("192.0.2.2")};
  EXPECT_FALSE(engine.add_connection(mixed, TimePoint{}));
  ConnectionSettings v1 = named_peer("192.0.2.1", "peer.example", "192.0.2.2");
  v1.ike_version = 1;
  v1.ike_proposals = {proposal("aes256-sha256-modp3072", ProtocolId::Ike)};
  EXPECT_FALSE(engine.add_connection(v1, TimePoint{}));
}

}  // namespace
}  // namespace cygnet::ike::test
