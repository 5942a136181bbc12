// Host names in remote_addrs: the engine's ResolveRemote requests go to the resolver thread; its
// answers come back through the event loop into the engine.
#include <string>
#include <type_traits>

#include "daemon/gateway.hpp"
#include "daemon/logging.hpp"

namespace cygnet::daemon {
namespace {

template <typename Items>
std::string listed(const Items& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    if constexpr (std::is_same_v<typename Items::value_type, std::string>)
      out += item;
    else
      out += item.to_string();
  }
  return out;
}

}  // namespace

void Gateway::resolve_remote(const ike::ResolveRemote& request) {
  log(Subsystem::Ike).debug("{}: resolving {}", request.connection, listed(request.hosts));
  resolver_.resolve(request.connection, request.hosts);
}

void Gateway::on_resolver_readable() {
  const TimePoint now = Clock::now();
  for (Resolution& r : resolver_.take_results()) {
    if (r.addresses.empty()) {
      log(Subsystem::Ike).warn("{}: cannot resolve {}: {}", r.connection, listed(r.hosts), r.error);
      engine().on_remote_resolution_failed(r.connection, r.error, now);
    } else {
      log(Subsystem::Ike).info("{}: {} resolved to {}", r.connection, listed(r.hosts), listed(r.addresses));
      engine().on_remote_resolved(r.connection, std::move(r.addresses), now);
    }
  }
  drain(now);
}

}  // namespace cygnet::daemon
