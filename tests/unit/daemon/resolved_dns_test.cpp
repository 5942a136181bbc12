#include "daemon/resolved_dns.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace cygnet::daemon {
namespace {

wire::IpAddress addr(std::string_view t) {
  return *wire::IpAddress::parse(t);
}

ike::VirtualIpsAssigned assigned(ike::IkeSaId id, std::string connection, std::vector<wire::IpAddress> dns,
                                 std::vector<std::string> domains) {
  return ike::VirtualIpsAssigned{
      id, std::move(connection), {addr("198.51.100.129")}, std::move(dns), std::move(domains)};
}

TEST(PlanLinkDns, SplitDnsMakesEachDomainARoutingDomainAndTheLinkNoDefaultRoute) {
  ClientAssignments a;
  a.assign(assigned(1, "office", {addr("198.51.100.53"), addr("2001:db8:ffff::53")}, {"corp.example"}));
  const auto plan = plan_link_dns(a);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->servers, (std::vector<wire::IpAddress>{addr("198.51.100.53"), addr("2001:db8:ffff::53")}));
  EXPECT_EQ(plan->domains, (std::vector<ResolvedDomain>{{"corp.example", true}}));
  EXPECT_FALSE(plan->default_route);
  EXPECT_EQ(describe(*plan),
            "servers 198.51.100.53, 2001:db8:ffff::53; domains ~corp.example; split (not the default route)");
}

TEST(PlanLinkDns, ServersWithoutDomainsTakeEveryName) {
  ClientAssignments a;
  a.assign(assigned(1, "office", {addr("198.51.100.53")}, {}));
  const auto plan = plan_link_dns(a);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->domains, (std::vector<ResolvedDomain>{{".", true}}));
  EXPECT_TRUE(plan->default_route);
}

TEST(PlanLinkDns, NoServersNothingToApplyAndConnectionsAreMergedWithoutDuplicates) {
  ClientAssignments a;
  EXPECT_FALSE(plan_link_dns(a));
  a.assign(assigned(1, "office", {}, {"corp.example"}));  // domains alone name no server
  EXPECT_FALSE(plan_link_dns(a));
  a.assign(assigned(2, "lab", {addr("198.51.100.53")}, {"lab.example", "corp.example"}));
  a.assign(assigned(3, "office", {addr("198.51.100.53")}, {"corp.example"}));
  const auto plan = plan_link_dns(a);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->servers, std::vector<wire::IpAddress>{addr("198.51.100.53")});
  EXPECT_EQ(plan->domains, (std::vector<ResolvedDomain>{{"lab.example", true}, {"corp.example", true}}));
}

TEST(ResolvedDns, ANonexistentBusGivesAReasonNotAnException) {
  // A bus address nobody listens on: every call reports why, promptly.
  ::setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/cygnet-test-bus", 1);
  const ResolvedDns resolved(std::chrono::milliseconds(500));
  const auto failure = resolved.set_link(9, LinkDns{{addr("198.51.100.53")}, {{".", true}}, true});
  ASSERT_TRUE(failure);
  EXPECT_FALSE(failure->empty());
  EXPECT_TRUE(resolved.revert_link(9));
  ::unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
}

}  // namespace
}  // namespace cygnet::daemon
