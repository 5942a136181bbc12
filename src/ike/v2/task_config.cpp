// The Configuration payload in IKE_AUTH (RFC 7296 §2.19, §3.15; RFC 8598 split DNS): a client
// with `vips` asks for addresses; a gateway with `pools` leases one address per requested family
// to the peer's identity and tells it the DNS servers, DNS domains and the subnets behind the
// gateway (its children's local selectors, the split-include list). The peer's CHILD SAs are then
// narrowed to its virtual addresses (virtual_ip_selectors), and the addresses are released when
// its IKE SA goes.
#include <algorithm>

#include "ike/v2/ikev2_engine.hpp"
#include "wire/ikev2_config_attributes.hpp"

namespace cygnet::ike {

namespace {

bool is_unspecified(const wire::IpAddress& a) {
  return std::all_of(a.bytes().begin(), a.bytes().end(), [](std::uint8_t b) { return b == 0; });
}

template <typename T>
void add_unique(std::vector<T>& list, const T& value) {
  if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
}

wire::IpPrefix host_prefix(const wire::IpAddress& a) {
  return wire::IpPrefix{a, static_cast<std::uint8_t>(a.bit_length())};
}

}  // namespace

void v2::Ikev2Engine::append_config_request(const ConnectionSettings& conn, std::vector<ikev2::Payload>& out,
                                            const std::vector<wire::IpAddress>* held) const {
  if (conn.vips.empty()) return;
  out.emplace_back(ikev2::ConfigPayload{ikev2::ConfigType::Request,
                                        ikev2::config_request_attributes(held ? *held : conn.vips)});
}

v2::Ikev2Engine::ConfigAnswer v2::Ikev2Engine::answer_config_request(IkeSa& sa,
                                                                     const ConnectionSettings& conn,
                                                                     const std::vector<ikev2::Payload>& in,
                                                                     std::vector<ikev2::Payload>& out) {
  const auto* cp = ikev2::find_payload<ikev2::ConfigPayload>(in);
  if (!cp || cp->type != ikev2::ConfigType::Request) return ConfigAnswer::NotRequested;
  const auto decoded = ikev2::decode_config_attributes(cp->attributes);
  if (!decoded.values) {
    malformed(conn.name, sa.id, "peer " + sa.remote.to_string() + ": CFG_REQUEST: " + decoded.error);
    return ConfigAnswer::Malformed;
  }
  // §3.15.1: a responder need not honour a request; one without pools ignores it.
  if (conn.pools.empty()) return ConfigAnswer::NotRequested;
  const ikev2::ConfigValues& request = *decoded.values;
  // A user who authenticated with EAP keeps their address across devices and IKE identities.
  const std::string identity = !sa.eap_identity.empty() ? sa.eap_identity
                               : sa.remote_id           ? sa.remote_id->to_string()
                                                        : sa.remote.address.to_string();

  // One address per family asked for, from the first of the connection's pools of that family
  // with one to give. An address the client asks for by value is honoured when that pool has it
  // free; one outside every pool gets the pool's choice (§3.15.1 leaves it to the responder).
  ikev2::ConfigValues reply;
  std::vector<wire::IpAddress> assigned;
  std::vector<std::string> exhausted;
  auto lease_one = [&](bool v4, std::optional<wire::IpAddress> wanted) {
    for (const std::string& name : conn.pools) {
      auto it = pools.find(name);
      if (it == pools.end() || it->second.settings().first.is_v4() != v4) continue;
      AddressPool& pool = it->second;
      auto address = pool.acquire(identity, wanted);
      if (!address) {
        exhausted.push_back(name);
        continue;
      }
      sa.leases.push_back(IkeSa::HeldLease{name, *address});
      actions.emplace_back(LeaseChanged{*pool.lease_of(identity)});
      assigned.push_back(*address);
      if (v4)
        reply.ip4_addresses.push_back(*address);
      else
        reply.ip6_addresses.push_back(host_prefix(*address));
      for (const auto& d : pool.settings().dns) add_unique(reply.dns_servers, d);
      for (const auto& d : pool.settings().dns_domains) add_unique(reply.dns_domains, d);
      return;
    }
  };
  auto wanted_of = [](const wire::IpAddress& a) {
    return is_unspecified(a) ? std::nullopt : std::optional<wire::IpAddress>(a);
  };
  sa.lease_identity = identity;
  if (!request.ip4_addresses.empty()) lease_one(true, wanted_of(request.ip4_addresses.front()));
  if (!request.ip6_addresses.empty()) lease_one(false, wanted_of(request.ip6_addresses.front().address));
  if (assigned.empty()) {
    const std::string why =
        exhausted.empty() ? "no pool of connection " + conn.name + " serves the requested address family"
                          : "pool " + exhausted.front() + " is exhausted";
    event(EventType::InternalAddressFailure, conn.name, sa.id, std::nullopt,
          "peer " + sa.remote.to_string() + " (" + identity + "): " + why +
              ": INTERNAL_ADDRESS_FAILURE, no CHILD SA");
    out.emplace_back(notify(ikev2::NotifyType::InternalAddressFailure));
    return ConfigAnswer::AddressFailure;
  }
  for (const ChildSettings& child : conn.children)
    for (const wire::IpPrefix& p : child.local_ts) add_unique(reply.subnets, p);
  out.emplace_back(ikev2::ConfigPayload{ikev2::ConfigType::Reply, ikev2::config_reply_attributes(reply)});
  return ConfigAnswer::Assigned;
}

bool v2::Ikev2Engine::take_config_reply(IkeSa& sa, const ConnectionSettings& conn,
                                        const std::vector<ikev2::Payload>& in) {
  if (conn.vips.empty()) return true;
  const auto* cp = ikev2::find_payload<ikev2::ConfigPayload>(in);
  if (ikev2::find_notify(in, ikev2::NotifyType::InternalAddressFailure) || !cp ||
      cp->type != ikev2::ConfigType::Reply) {
    event(EventType::InternalAddressFailure, conn.name, sa.id, std::nullopt,
          "responder " + sa.remote.to_string() + " assigned no virtual IP" + (cp ? "" : " (no CFG_REPLY)"));
    return false;
  }
  const auto decoded = ikev2::decode_config_attributes(cp->attributes);
  if (!decoded.values) {
    ++counters.malformed;
    event(EventType::MalformedMessage, conn.name, sa.id, std::nullopt,
          "responder " + sa.remote.to_string() + ": CFG_REPLY: " + decoded.error);
    return false;
  }
  const ikev2::ConfigValues& reply = *decoded.values;
  auto asked_for = [&](bool v4) {
    return std::any_of(conn.vips.begin(), conn.vips.end(), [v4](const auto& a) { return a.is_v4() == v4; });
  };
  std::vector<wire::IpAddress> addresses;
  if (asked_for(true))
    for (const auto& a : reply.ip4_addresses)
      if (!is_unspecified(a)) add_unique(addresses, a);
  if (asked_for(false))
    for (const auto& p : reply.ip6_addresses)
      if (!is_unspecified(p.address)) add_unique(addresses, p.address);
  if (addresses.empty()) {
    event(EventType::InternalAddressFailure, conn.name, sa.id, std::nullopt,
          "responder " + sa.remote.to_string() + " sent a CFG_REPLY without a usable address");
    return false;
  }
  sa.virtual_ips = addresses;
  actions.emplace_back(VirtualIpsAssigned{sa.id, conn.name, addresses, reply.dns_servers, reply.dns_domains});
  return true;
}

void v2::Ikev2Engine::release_virtual_ips(IkeSa& sa) {
  for (const IkeSa::HeldLease& held : sa.leases) {
    auto it = pools.find(held.pool);
    if (it == pools.end() || !it->second.release(sa.lease_identity)) continue;
    if (auto lease = it->second.lease_of(sa.lease_identity)) actions.emplace_back(LeaseChanged{*lease});
  }
  sa.leases.clear();
  if (!sa.virtual_ips.empty())
    actions.emplace_back(VirtualIpsReleased{sa.id, sa.connection, std::exchange(sa.virtual_ips, {})});
}

std::optional<std::vector<ikev2::TrafficSelector>> v2::Ikev2Engine::virtual_ip_selectors(const IkeSa& sa,
                                                                                         bool local) const {
  std::vector<wire::IpPrefix> prefixes;
  if (!local) {
    for (const auto& held : sa.leases) prefixes.push_back(host_prefix(held.address));
  } else if (!sa.virtual_ips.empty()) {
    for (const auto& a : sa.virtual_ips) prefixes.push_back(host_prefix(a));
  } else if (const ConnectionSettings* conn = connection(sa.connection); conn && !sa.authenticated) {
    // Still asking: the whole range of each family, which the gateway narrows to what it assigns.
    for (const auto& a : conn->vips)
      add_unique(prefixes, wire::IpPrefix{a.is_v4() ? wire::IpAddress() : *wire::IpAddress::parse("::"), 0});
  }
  if (prefixes.empty()) return std::nullopt;
  return ts_from_prefixes(prefixes);
}

void v2::Ikev2Engine::set_pools(std::vector<PoolSettings> settings) {
  std::map<std::string, AddressPool, std::less<>> next;
  for (PoolSettings& s : settings) {
    const std::string name = s.name;
    auto old = pools.find(name);
    if (old != pools.end() && old->second.settings() == s)
      next.emplace(name, std::move(old->second));
    else
      next.emplace(name, AddressPool(std::move(s)));
  }
  pools = std::move(next);
  // A changed pool starts empty, but clients keep the addresses they hold: put them back, online,
  // so that the pool never hands one of them out twice.
  for (auto& [id, sa] : ike_sas)
    for (const IkeSa::HeldLease& held : sa->leases)
      if (auto it = pools.find(held.pool); it != pools.end() && !it->second.lease_of(sa->lease_identity) &&
                                           it->second.restore(sa->lease_identity, held.address))
        it->second.acquire(sa->lease_identity);
}

}  // namespace cygnet::ike
