#include "daemon/route_planner.hpp"

#include <algorithm>
#include <set>

namespace cygnet::daemon {

namespace {

using U128 = unsigned __int128;

U128 to_integer(const wire::IpAddress& a) {
  U128 v = 0;
  for (std::uint8_t b : a.bytes()) v = (v << 8) | b;
  return v;
}

wire::IpAddress from_integer(U128 v, wire::IpFamily family) {
  if (family == wire::IpFamily::V4) return wire::IpAddress::v4(static_cast<std::uint32_t>(v));
  std::uint8_t bytes[16];
  for (int i = 15; i >= 0; --i) {
    bytes[i] = static_cast<std::uint8_t>(v & 0xff);
    v >>= 8;
  }
  return wire::IpAddress::v6(ByteView(bytes, 16));
}

ipsec::AddressRange host_range(const wire::IpAddress& a) {
  return ipsec::AddressRange{a, a};
}

}  // namespace

std::vector<wire::IpPrefix> range_to_prefixes(const ipsec::AddressRange& range) {
  std::vector<wire::IpPrefix> out;
  if (range.first.family() != range.last.family()) return out;
  const wire::IpFamily family = range.family();
  const unsigned bits = family == wire::IpFamily::V4 ? 32 : 128;
  U128 first = to_integer(range.first);
  const U128 last = to_integer(range.last);
  if (first > last) return out;
  while (true) {
    // The largest aligned block starting at `first` that does not pass `last`.
    unsigned size_bits = 0;
    while (size_bits < bits) {
      const unsigned next = size_bits + 1;
      if (next == 128) {  // the whole IPv6 space: 1 << 128 does not exist
        if (first == 0 && last == ~static_cast<U128>(0)) size_bits = 128;
        break;
      }
      const U128 block = static_cast<U128>(1) << next;
      if ((first & (block - 1)) != 0 || first + (block - 1) > last) break;
      size_bits = next;
    }
    out.push_back(wire::IpPrefix{from_integer(first, family), static_cast<std::uint8_t>(bits - size_bits)});
    if (size_bits == bits) break;
    const U128 block_last = first + ((static_cast<U128>(1) << size_bits) - 1);
    if (block_last >= last) break;
    first = block_last + 1;
  }
  return out;
}

void RoutePlanner::set_connection(const ike::ConnectionSettings& settings) {
  std::vector<Wanted> wanted;
  std::vector<ipsec::AddressRange> local_addresses;
  for (const auto& a : settings.local_addrs) local_addresses.push_back(host_range(a));
  for (const ike::ChildSettings& child : settings.children) {
    std::vector<ipsec::AddressRange> local_side = local_addresses;
    if (!child.local_ts.empty()) {
      local_side.clear();
      for (const auto& p : child.local_ts) local_side.push_back(ipsec::AddressRange::from_prefix(p));
    }
    if (!child.remote_ts.empty()) {
      for (const auto& p : child.remote_ts) wanted.push_back(Wanted{p, local_side});
    } else {
      for (const auto& peer : settings.remote_addrs) {
        wanted.push_back(
            Wanted{wire::IpPrefix{peer, static_cast<std::uint8_t>(peer.bit_length())}, local_side});
      }
    }
  }
  by_connection_[settings.name] = std::move(wanted);
  if (settings.vips.empty())
    needs_virtual_ip_.erase(settings.name);
  else
    needs_virtual_ip_.insert(settings.name);
}

void RoutePlanner::remove_connection(const std::string& name) {
  by_connection_.erase(name);
  needs_virtual_ip_.erase(name);
  virtual_ips_.erase(name);
}

void RoutePlanner::set_selectors(const std::string& owner, const std::vector<ipsec::Selector>& selectors) {
  std::vector<Wanted> wanted;
  for (const ipsec::Selector& s : selectors) {
    for (const wire::IpPrefix& p : range_to_prefixes(s.remote)) wanted.push_back(Wanted{p, {s.local}});
  }
  by_owner_[owner] = std::move(wanted);
}

void RoutePlanner::remove_selectors(const std::string& owner) {
  by_owner_.erase(owner);
}

void RoutePlanner::set_virtual_ips(const std::string& connection, std::vector<wire::IpAddress> addresses) {
  if (addresses.empty())
    virtual_ips_.erase(connection);
  else
    virtual_ips_[connection] = std::move(addresses);
}

bool RoutePlanner::throw_is_safe(const PassDestination& pass) const {
  // The throw sends every packet toward the range past the tunnel table, whatever its source: safe
  // when each tunnel route that reaches into the range serves only sources the shunt passes
  // anyway (a tunnel for other sources toward it would otherwise leak in the clear).
  const ipsec::AddressRange range = ipsec::AddressRange::from_prefix(pass.destination);
  auto serves_only_passed_sources = [&](const Wanted& w) {
    const ipsec::AddressRange tunnel = ipsec::AddressRange::from_prefix(w.destination);
    const bool reaches_in =
        tunnel.family() == range.family() && !(tunnel.last < range.first) && !(range.last < tunnel.first);
    if (!reaches_in) return true;
    if (w.local_side.empty()) return pass.local == ipsec::AddressRange::any(pass.local.family());
    return std::all_of(w.local_side.begin(), w.local_side.end(), [&](const ipsec::AddressRange& local) {
      return local.family() != pass.local.family() ||
             (!(local.first < pass.local.first) && !(pass.local.last < local.last));
    });
  };
  for (const auto* wanted : {&by_connection_, &by_owner_}) {
    for (const auto& entry : *wanted) {
      if (!std::all_of(entry.second.begin(), entry.second.end(), serves_only_passed_sources)) return false;
    }
  }
  return true;
}

void RoutePlanner::set_shunts(const std::vector<ipsec::ShuntSettings>& shunts) {
  pass_destinations_.clear();
  drop_destinations_.clear();
  for (const ipsec::ShuntSettings& shunt : shunts) {
    for (const ipsec::Selector& s : shunt.selectors) {
      const bool every_packet = s.protocol == 0 && s.local_ports.is_any() && s.remote_ports.is_any();
      if (!every_packet) continue;
      // A drop shunt routes its range into the TUN only when it covers every source: else
      // traffic of other sources to that range would be pulled in and dropped too.
      const bool every_source = s.local == ipsec::AddressRange::any(s.local.family());
      if (shunt.type == ipsec::ShuntType::Drop && !every_source) continue;
      for (const wire::IpPrefix& p : range_to_prefixes(s.remote)) {
        if (shunt.type == ipsec::ShuntType::Pass) {
          pass_destinations_.push_back(PassDestination{p, s.local});
        } else {
          drop_destinations_.push_back(Wanted{p, {}});
        }
      }
    }
  }
}

std::vector<RouteSpec> RoutePlanner::desired(const std::vector<InterfaceAddress>& host_addresses, int ifindex,
                                             std::uint32_t table) const {
  std::vector<RouteSpec> out;
  std::set<std::pair<wire::IpAddress, std::uint8_t>> seen;
  auto add = [&](const Wanted& w) {
    if (!seen.insert({w.destination.address, w.destination.length}).second) return;
    RouteSpec r;
    r.destination = w.destination;
    r.ifindex = ifindex;
    r.table = table;
    for (const ipsec::AddressRange& local : w.local_side) {
      if (local.family() != w.destination.address.family()) continue;
      auto it = std::find_if(host_addresses.begin(), host_addresses.end(), [&](const InterfaceAddress& h) {
        // A local selector of "everything" contains loopback too, which the
        // kernel refuses as a source ("Invalid source address" for ::1).
        return local.contains(h.address) && !is_loopback_or_link_local(h.address);
      });
      if (it != host_addresses.end()) {
        r.source = it->address;
        break;
      }
    }
    out.push_back(r);
  };
  for (const PassDestination& pass : pass_destinations_) {
    const wire::IpPrefix& p = pass.destination;
    if (!throw_is_safe(pass)) continue;
    if (!seen.insert({p.address, p.length}).second) continue;
    RouteSpec r;
    r.destination = p;
    r.table = table;
    r.throw_route = true;
    out.push_back(r);
  }
  for (const Wanted& w : drop_destinations_) add(w);
  for (const auto& [name, wanted] : by_connection_) {
    auto vips = virtual_ips_.find(name);
    if (vips == virtual_ips_.end() && needs_virtual_ip_.count(name)) continue;
    for (const Wanted& w : wanted) {
      if (vips == virtual_ips_.end()) {
        add(w);
        continue;
      }
      Wanted from_virtual_ip{w.destination, {}};
      for (const wire::IpAddress& a : vips->second) from_virtual_ip.local_side.push_back(host_range(a));
      add(from_virtual_ip);
    }
  }
  for (const auto& entry : by_owner_) {
    for (const Wanted& w : entry.second) add(w);
  }
  return out;
}

}  // namespace cygnet::daemon
