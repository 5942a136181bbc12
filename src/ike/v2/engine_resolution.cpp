// Peers named by host names (ConnectionSettings::remote_hosts). The engine does no I/O, so an
// initiation asks the caller to resolve (ResolveRemote) and continues in on_remote_resolved. Every
// initiation asks again — an `up`, an acquire after a failed attempt, a retry after a failed
// resolution — so a changed DNS record is followed. As responder, such a connection accepts a peer
// only at an address of its last resolution (before any, at none).
#include <algorithm>

#include "ike/v2/ikev2_engine.hpp"

namespace cygnet::ike {
namespace {

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

}  // namespace

void v2::Ikev2Engine::request_resolution(const ConnectionSettings& conn,
                                         std::vector<std::string> child_names) {
  auto [pending, fresh] = resolving.try_emplace(conn.name);
  for (auto& child : child_names) {
    if (std::find(pending->second.begin(), pending->second.end(), child) != pending->second.end()) continue;
    negotiating.insert({conn.name, child});
    pending->second.push_back(std::move(child));
  }
  resolve_retry_at.erase(conn.name);
  if (fresh) actions.emplace_back(ResolveRemote{conn.name, conn.remote_hosts});
}

void v2::Ikev2Engine::resolution_failed(const ConnectionSettings& conn, const std::string& detail,
                                        TimePoint now) {
  event(EventType::Error, conn.name, std::nullopt, std::nullopt, "cannot initiate: " + detail);
  if (conn.start_action == StartAction::Start) resolve_retry_at[conn.name] = now + options.resolve_retry;
}

bool v2::Ikev2Engine::remote_allowed(const ConnectionSettings& c, const wire::IpAddress& a) const {
  if (c.remote_hosts.empty()) return address_allowed(c.remote_addrs, a);
  const auto resolved = resolved_remote.find(c.name);
  return resolved != resolved_remote.end() &&
         std::find(resolved->second.begin(), resolved->second.end(), a) != resolved->second.end();
}

void v2::Ikev2Engine::forget_resolution(std::string_view connection) {
  if (auto it = resolving.find(connection); it != resolving.end()) {
    for (const auto& child : it->second) negotiating.erase({std::string(connection), child});
    resolving.erase(it);
  }
  if (auto it = resolved_remote.find(connection); it != resolved_remote.end()) resolved_remote.erase(it);
  if (auto it = resolve_retry_at.find(connection); it != resolve_retry_at.end()) resolve_retry_at.erase(it);
}

void v2::Ikev2Engine::on_remote_resolved(std::string_view name, std::vector<wire::IpAddress> addresses,
                                         TimePoint now) {
  const auto pending = resolving.find(name);
  const ConnectionSettings* conn = connection(name);
  if (pending == resolving.end() || !conn) return;  // nobody waits (removed, or answered already)
  std::vector<std::string> child_names = std::move(pending->second);
  resolving.erase(pending);
  for (const auto& child : child_names) negotiating.erase({conn->name, child});
  if (addresses.empty()) {
    resolution_failed(*conn, joined(conn->remote_hosts) + " resolved to no address", now);
    return;
  }
  resolved_remote[conn->name] = addresses;
  const auto usable = std::find_if(addresses.begin(), addresses.end(), [conn](const wire::IpAddress& a) {
    return conn->local_addrs.empty() ||
           std::any_of(conn->local_addrs.begin(), conn->local_addrs.end(),
                       [&a](const wire::IpAddress& local) { return local.family() == a.family(); });
  });
  if (usable == addresses.end()) {
    resolution_failed(*conn, joined(conn->remote_hosts) + " resolved to no address of local_addrs' family",
                      now);
    return;
  }
  // Children that came up meanwhile (the peer initiated) need nothing more.
  std::erase_if(child_names, [&](const std::string& child) {
    return child_is_up(conn->name, child) || negotiating.contains({conn->name, child});
  });
  if (child_names.empty()) return;  // resolved for the responder side only (add_connection)
  initiate_to(*conn, *usable, std::move(child_names), now);
}

void v2::Ikev2Engine::on_remote_resolution_failed(std::string_view name, std::string_view reason,
                                                  TimePoint now) {
  const auto pending = resolving.find(name);
  const ConnectionSettings* conn = connection(name);
  if (pending == resolving.end() || !conn) return;
  for (const auto& child : pending->second) negotiating.erase({conn->name, child});
  resolving.erase(pending);
  resolution_failed(*conn, "resolving " + joined(conn->remote_hosts) + " failed: " + std::string(reason),
                    now);
}

}  // namespace cygnet::ike
