// The DNS settings a remote-access client received (INTERNAL_IP4/6_DNS, INTERNAL_DNS_DOMAIN of
// RFC 8598), applied to the TUN link through systemd-resolved's D-Bus API (org.freedesktop.resolve1,
// https://www.freedesktop.org/software/systemd/man/latest/org.freedesktop.resolve1.html):
//   SetLinkDNS(ifindex, servers), SetLinkDomains(ifindex, domains), SetLinkDefaultRoute(ifindex, b)
//   and RevertLink(ifindex) when the last assignment goes.
// plan_link_dns() is pure; ResolvedDns makes the calls with libsystemd's sd-bus on the system bus
// (sd_bus_open_system honours DBUS_SYSTEM_BUS_ADDRESS, which the tests point at a private bus).
// Each apply opens its own short-lived bus connection: changes are rare (an SA coming or going),
// and nothing then waits on a bus socket in the event loop or goes stale when resolved restarts.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "daemon/client_addresses.hpp"
#include "wire/ip_address.hpp"

namespace cygnet::daemon {

struct ResolvedDomain {
  std::string name;           // "corp.example"; "." with routing_only: every name
  bool routing_only = false;  // "~corp.example": names under it go to this link's servers, no search
  friend bool operator==(const ResolvedDomain&, const ResolvedDomain&) = default;
};

struct LinkDns {
  std::vector<wire::IpAddress> servers;
  std::vector<ResolvedDomain> domains;
  bool default_route = false;  // whether names outside every routing domain may go here too
  friend bool operator==(const LinkDns&, const LinkDns&) = default;
};

// The link settings for every current assignment together (they share the TUN link): their
// servers, each once. With domains received (split DNS, RFC 8598) each becomes a routing domain
// and the link is not a default route, so other names keep using the host's resolvers; without
// any, the link takes every name ("~." and default route), as a full tunnel should. nullopt when
// no server was received: nothing to apply, the link is reverted.
std::optional<LinkDns> plan_link_dns(const ClientAssignments& assignments);

// One line for the log and `cygnetctl status`: "servers 198.51.100.53, 2001:db8::53; domains ~corp.example".
std::string describe(const LinkDns& settings);

class ResolvedDns {
 public:
  explicit ResolvedDns(std::chrono::milliseconds call_timeout = std::chrono::milliseconds(2000))
      : call_timeout_(call_timeout) {}

  // Each returns nullopt on success, else why the call failed ("systemd-resolved is not running
  // (org.freedesktop.DBus.Error.ServiceUnknown: ...)"). Never throws.
  std::optional<std::string> set_link(int ifindex, const LinkDns& settings) const;
  std::optional<std::string> revert_link(int ifindex) const;

 private:
  std::chrono::milliseconds call_timeout_;
};

}  // namespace cygnet::daemon
