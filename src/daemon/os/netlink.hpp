// Routes, policy-routing rules, links and addresses through rtnetlink (libmnl). The daemon uses it
// to send traffic for tunnel-mode remote selectors into its TUN device, from a routing table of its
// own that its own sockets (firewall-marked) bypass, so IKE and ESP never loop back into the TUN.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "wire/ip_address.hpp"

struct mnl_socket;
struct nlmsghdr;

namespace cygnet::daemon {

// A failed netlink request: what was asked and the kernel's errno text.
class NetlinkError : public std::runtime_error {
 public:
  NetlinkError(const std::string& what, int error_number)
      : std::runtime_error(what), error_number_(error_number) {}
  int error_number() const { return error_number_; }

 private:
  int error_number_;
};

struct InterfaceAddress {
  int ifindex = 0;
  wire::IpAddress address;
  std::uint8_t prefix_length = 0;
};

struct RouteSpec {
  wire::IpPrefix destination;
  int ifindex = 0;                        // output device
  std::optional<wire::IpAddress> source;  // preferred source (RTA_PREFSRC)
  std::uint32_t table = 254;              // RT_TABLE_MAIN
  // A "throw" route (no device): the lookup in `table` fails for this destination and the rules
  // after it decide (a pass shunt keeps its range out of the tunnel's table).
  bool throw_route = false;
  friend bool operator==(const RouteSpec&, const RouteSpec&) = default;
};

// "[not] fwmark MARK/MASK lookup TABLE" at PRIORITY for one address family.
struct RuleSpec {
  wire::IpFamily family = wire::IpFamily::V4;
  std::uint32_t priority = 0;
  std::uint32_t table = 0;
  std::uint32_t fwmark = 0;
  std::uint32_t fwmask = 0xffffffff;
  bool invert = false;  // "not fwmark": packets WITHOUT the mark use the table
  friend bool operator==(const RuleSpec&, const RuleSpec&) = default;
};

class Netlink {
 public:
  Netlink();  // opens and binds a NETLINK_ROUTE socket; throws NetlinkError
  ~Netlink();
  Netlink(const Netlink&) = delete;
  Netlink& operator=(const Netlink&) = delete;

  // Every address of every interface (IPv4 and IPv6).
  std::vector<InterfaceAddress> addresses();
  int ifindex_of(const std::string& interface_name);  // 0 when there is none

  void set_link_up(int ifindex);
  void set_link_mtu(int ifindex, int mtu);
  // Adds `address`/`prefix_length` to the link (NLM_F_REPLACE: adding it again is not an error).
  // IPv6 addresses skip duplicate address detection. The kernel installs an IPv6 address's local
  // route from a work queue after it acknowledged the request, so on a link that is up this
  // waits (up to 2 s) until the address is routable as local: usable when it returns.
  void add_address(int ifindex, const wire::IpAddress& address, std::uint8_t prefix_length);
  // Removes the address from the link; removing one the link does not have is not an error.
  void delete_address(int ifindex, const wire::IpAddress& address, std::uint8_t prefix_length);

  // Adds or replaces (NLM_F_REPLACE) a unicast route; delete of a missing route is not an error.
  void add_route(const RouteSpec& route);
  void delete_route(const RouteSpec& route);
  // Unicast routes of one table (both families), for tests and for cleanup. A gateway or
  // multipath next hops are not part of RouteSpec: such routes are listed without them.
  std::vector<RouteSpec> routes(std::uint32_t table);

  // Adding an identical existing rule is not an error (EEXIST ignored); nor is deleting a missing one.
  void add_rule(const RuleSpec& rule);
  void delete_rule(const RuleSpec& rule);
  // The "lookup TABLE" rules a RuleSpec can describe (no from/to/iif/oif/... selectors).
  std::vector<RuleSpec> rules(wire::IpFamily family);

 private:
  // Sends one request and waits for its ACK; throws NetlinkError describing `what` on an error.
  // ignore_exists accepts EEXIST; ignore_missing accepts ESRCH/ENOENT (no such route or rule).
  void request(void* nlmsghdr, const std::string& what, bool ignore_exists, bool ignore_missing);
  // Sends a NLM_F_DUMP request and hands every reply message to `on_message(message, context)`
  // until NLMSG_DONE; throws NetlinkError describing `what` on an error.
  void dump(void* dump_request, const std::string& what,
            int (*on_message)(const ::nlmsghdr* message, void* context), void* context);
  // A single get (RTM_GETLINK, RTM_GETROUTE): like request(), and the answer goes to on_message.
  void query(void* get_request, const std::string& what,
             int (*on_message)(const ::nlmsghdr* message, void* context), void* context);
  bool link_is_running(int ifindex);
  bool routes_as_local(const wire::IpAddress& address);
  mnl_socket* socket_ = nullptr;
  std::uint32_t port_id_ = 0;
  std::uint32_t sequence_ = 0;
};

// A local address inside `prefix` (the preferred source for a route toward a tunnel's remote
// selectors when the host itself sits in the local selector), or nullopt. The first match in
// list order; loopback (127.0.0.0/8, ::1) and IPv6 link-local addresses never qualify, since
// tunnelled packets from them could not be routed back.
std::optional<wire::IpAddress> address_inside(const std::vector<InterfaceAddress>& addresses,
                                              const wire::IpPrefix& prefix);

// 127.0.0.0/8, 169.254.0.0/16, ::1, fe80::/10: never a preferred source for tunnelled traffic.
bool is_loopback_or_link_local(const wire::IpAddress& address);

}  // namespace cygnet::daemon
