#include "daemon/client_addresses.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cygnet::daemon {
namespace {

wire::IpAddress addr(std::string_view t) {
  return *wire::IpAddress::parse(t);
}

std::vector<std::string> texts(const std::vector<InterfaceAddress>& list) {
  std::vector<std::string> out;
  for (const auto& a : list)
    out.push_back(std::to_string(a.ifindex) + " " + a.address.to_string() + "/" +
                  std::to_string(a.prefix_length));
  return out;
}

ike::VirtualIpsAssigned assigned(ike::IkeSaId id, std::string connection,
                                 std::vector<wire::IpAddress> addresses) {
  return ike::VirtualIpsAssigned{
      id, std::move(connection), std::move(addresses), {addr("198.51.100.53")}, {"corp.example"}};
}

TEST(PlanAddressChanges, AddsTheAssignedAddressesAsHostAddresses) {
  const std::vector<InterfaceAddress> host{{2, addr("192.0.2.1"), 24}};
  const AddressChanges c = plan_address_changes(host, 9, {addr("198.51.100.129"), addr("2001:db8:ffff::1")});
  EXPECT_THAT(texts(c.add), ::testing::ElementsAre("9 198.51.100.129/32", "9 2001:db8:ffff::1/128"));
  EXPECT_TRUE(c.remove.empty());
}

TEST(PlanAddressChanges, LeavesWhatIsThereAndRemovesWhatIsNoLongerAssigned) {
  const std::vector<InterfaceAddress> host{{2, addr("192.0.2.1"), 24},          // another link: untouched
                                           {9, addr("198.51.100.129"), 32},     // still assigned
                                           {9, addr("198.51.100.130"), 32},     // an earlier assignment
                                           {9, addr("fe80::1"), 64},            // link-local: the kernel's
                                           {9, addr("2001:db8:ffff::1"), 64}};  // right address, wrong length
  const AddressChanges c = plan_address_changes(host, 9, {addr("198.51.100.129"), addr("2001:db8:ffff::1")});
  EXPECT_THAT(texts(c.remove), ::testing::ElementsAre("9 198.51.100.130/32", "9 2001:db8:ffff::1/64"));
  EXPECT_THAT(texts(c.add), ::testing::ElementsAre("9 2001:db8:ffff::1/128"));
}

TEST(PlanAddressChanges, NothingWantedRemovesEveryAddressOfTheLinkAndAddsNothing) {
  const std::vector<InterfaceAddress> host{{9, addr("198.51.100.129"), 32}, {3, addr("203.0.113.1"), 24}};
  const AddressChanges c = plan_address_changes(host, 9, {});
  EXPECT_THAT(texts(c.remove), ::testing::ElementsAre("9 198.51.100.129/32"));
  EXPECT_TRUE(c.add.empty());
  EXPECT_TRUE(plan_address_changes({}, 9, {}).empty());
}

TEST(PlanAddressChanges, ADuplicateWantedAddressIsAddedOnce) {
  const AddressChanges c = plan_address_changes({}, 9, {addr("198.51.100.129"), addr("198.51.100.129")});
  EXPECT_EQ(c.add.size(), 1u);
}

TEST(ClientAssignments, AssignReplacesAndReleaseForgets) {
  ClientAssignments a;
  a.assign(assigned(4, "office", {addr("198.51.100.129"), addr("2001:db8:ffff::1")}));
  a.assign(assigned(6, "lab", {addr("198.51.100.200"), addr("198.51.100.129")}));
  EXPECT_THAT(a.addresses(), ::testing::ElementsAre(addr("198.51.100.200"), addr("198.51.100.129"),
                                                    addr("2001:db8:ffff::1")));  // lab < office, each once
  ASSERT_NE(a.find("office"), nullptr);
  EXPECT_EQ(a.find("office")->dns_domains, std::vector<std::string>{"corp.example"});
  EXPECT_TRUE(a.release(ike::VirtualIpsReleased{4, "office", {addr("198.51.100.129")}}));
  EXPECT_EQ(a.find("office"), nullptr);
  EXPECT_FALSE(a.release(ike::VirtualIpsReleased{4, "office", {}}));  // twice: nothing left
  EXPECT_TRUE(a.forget_connection("lab"));
  EXPECT_TRUE(a.empty());
}

TEST(ClientAssignments, AReleaseFromARekeyedIkeSaCountsAndOneFromAnOlderIkeSaDoesNot) {
  ClientAssignments a;
  a.assign(assigned(4, "office", {addr("198.51.100.129")}));
  // IKE SA 4 was rekeyed into 9 (the engine moves the addresses without a new assignment): the
  // release of 9 ends the assignment.
  EXPECT_TRUE(a.release(ike::VirtualIpsReleased{9, "office", {addr("198.51.100.129")}}));
  EXPECT_TRUE(a.empty());
  // Make-before-break: IKE SA 12 is assigned while 10 still exists; 10 leaving changes nothing.
  a.assign(assigned(10, "office", {addr("198.51.100.129")}));
  a.assign(assigned(12, "office", {addr("198.51.100.131")}));
  EXPECT_FALSE(a.release(ike::VirtualIpsReleased{10, "office", {addr("198.51.100.129")}}));
  EXPECT_THAT(a.addresses(), ::testing::ElementsAre(addr("198.51.100.131")));
}

}  // namespace
}  // namespace cygnet::daemon
