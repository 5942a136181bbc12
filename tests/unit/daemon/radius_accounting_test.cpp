// RADIUS accounting bookkeeping (radius_accounting.hpp): Start once per user and virtual address,
// Interim-Update on the interval with the live CHILD SAs' traffic, Stop with the totals of every
// CHILD SA the session had (rekeyed-away ones included), the session time and the cause; an IKE
// rekey (a new IKE SA for the same user and address) keeps the session.
#include "daemon/radius_accounting.hpp"

#include <gtest/gtest.h>

#include <map>

namespace cygnet::daemon {
namespace {

using namespace std::chrono_literals;

gateway::SaTraffic traffic(std::uint64_t in_bytes, std::uint64_t out_bytes, std::uint64_t packets) {
  gateway::SaTraffic t;
  t.inbound = {packets, in_bytes};
  t.outbound = {packets, out_bytes};
  return t;
}

struct Fixture {
  RadiusAccounting accounting{"5f00aa00", Seconds{60}};
  std::map<ike::ChildSaId, gateway::SaTraffic> data_plane;
  TimePoint t0{};
  std::vector<AccountingRecord> update(const std::vector<RadiusAccounting::UpSa>& up, Duration at) {
    return accounting.update(
        up,
        [&](ike::ChildSaId id) { return data_plane.contains(id) ? data_plane[id] : gateway::SaTraffic{}; },
        t0 + at);
  }
};

RadiusAccounting::UpSa alice(ike::IkeSaId ike_sa, std::vector<ike::ChildSaId> children) {
  return {ike_sa, "rw", "alice", wire::IpAddress::parse("10.3.0.1"), std::move(children)};
}

TEST(RadiusAccounting, StartInterimAndStopWithEveryChildsTraffic) {
  Fixture f;
  f.data_plane[1] = traffic(1000, 2000, 10);
  auto records = f.update({alice(7, {1})}, 0s);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].status, AccountingStatus::Start);
  EXPECT_EQ(records[0].session_id, "5f00aa00-00000001");
  EXPECT_EQ(records[0].user_name, "alice");
  EXPECT_EQ(records[0].framed_address, wire::IpAddress::parse("10.3.0.1"));
  EXPECT_TRUE(f.update({alice(7, {1})}, 30s).empty());  // nothing changed, no interval over

  f.data_plane[1] = traffic(1500, 2500, 15);
  records = f.update({alice(7, {1})}, 61s);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].status, AccountingStatus::InterimUpdate);
  EXPECT_EQ(records[0].octets_from_client, 1500u);
  EXPECT_EQ(records[0].octets_to_client, 2500u);
  EXPECT_EQ(records[0].session_seconds, 61u);
  EXPECT_EQ(f.accounting.next_interim(), f.t0 + 121s);

  // CHILD SA 1 is rekeyed into 2: its final counts are retired, 2 counts from zero.
  f.accounting.retire(1, traffic(1600, 2600, 16));
  f.data_plane.erase(1);
  f.data_plane[2] = traffic(100, 200, 1);
  // An IKE rekey: IKE SA 8 replaces 7, same user and address: the same session.
  EXPECT_TRUE(f.update({alice(8, {2})}, 90s).empty());

  f.accounting.set_cause(8, 4);
  f.accounting.retire(2, traffic(150, 250, 2));
  records = f.update({}, 100s);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].status, AccountingStatus::Stop);
  EXPECT_EQ(records[0].session_id, "5f00aa00-00000001");
  EXPECT_EQ(records[0].octets_from_client, 1750u);
  EXPECT_EQ(records[0].octets_to_client, 2850u);
  EXPECT_EQ(records[0].packets_from_client, 18u);
  EXPECT_EQ(records[0].session_seconds, 100u);
  EXPECT_EQ(records[0].terminate_cause, 4u);
  EXPECT_EQ(f.accounting.open_sessions(), 0u);
  EXPECT_FALSE(f.accounting.next_interim());
}

TEST(RadiusAccounting, StopCountsAChildGoneWithoutItsFinalCounts) {
  Fixture f;
  f.data_plane[1] = traffic(300, 400, 3);
  f.update({alice(7, {1})}, 0s);
  f.update({alice(7, {1})}, 5s);
  const auto records = f.update({}, 10s);  // the IKE SA and its child vanished together
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].octets_from_client, 300u);
  EXPECT_EQ(records[0].terminate_cause, 1u);  // User-Request unless told otherwise
}

TEST(RadiusAccounting, EachUserAndAddressIsItsOwnSession) {
  Fixture f;
  RadiusAccounting::UpSa bob{9, "rw", "bob", wire::IpAddress::parse("10.3.0.2"), {}};
  const auto records = f.update({alice(7, {}), bob}, 0s);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_NE(records[0].session_id, records[1].session_id);
  const auto stop = f.update({bob}, 5s);
  ASSERT_EQ(stop.size(), 1u);
  EXPECT_EQ(stop[0].user_name, "alice");
  EXPECT_EQ(f.accounting.open_sessions(), 1u);
}

}  // namespace
}  // namespace cygnet::daemon
