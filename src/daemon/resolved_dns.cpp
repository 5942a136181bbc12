#include "daemon/resolved_dns.hpp"

#include <sys/socket.h>
#include <systemd/sd-bus.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace cygnet::daemon {

namespace {

constexpr const char* kService = "org.freedesktop.resolve1";
constexpr const char* kPath = "/org/freedesktop/resolve1";
constexpr const char* kInterface = "org.freedesktop.resolve1.Manager";

struct BusDeleter {
  void operator()(sd_bus* bus) const { sd_bus_flush_close_unref(bus); }
};
struct MessageDeleter {
  void operator()(sd_bus_message* message) const { sd_bus_message_unref(message); }
};
using Bus = std::unique_ptr<sd_bus, BusDeleter>;
using Message = std::unique_ptr<sd_bus_message, MessageDeleter>;

std::string errno_text(int negative_errno) {
  return std::strerror(-negative_errno);
}

// A failed call's reason; "not running" made explicit for the answers a bus gives when nobody
// owns the name.
std::string call_error(const char* method, const sd_bus_error& error, int result) {
  if (sd_bus_error_is_set(&error)) {
    const std::string name = error.name;
    std::string text = name + ": " + (error.message ? error.message : "");
    if (name == "org.freedesktop.DBus.Error.ServiceUnknown" ||
        name == "org.freedesktop.DBus.Error.NameHasNoOwner")
      return "systemd-resolved is not running (" + text + ")";
    return std::string(method) + " failed: " + text;
  }
  return std::string(method) + " failed: " + errno_text(result);
}

// Builds a call with `fill(message)` appending the arguments, sends it, waits for the answer.
template <typename Fill>
std::optional<std::string> call(std::chrono::milliseconds timeout, const char* method, Fill fill) {
  sd_bus* raw_bus = nullptr;
  int r = sd_bus_open_system(&raw_bus);
  if (r < 0) return "no system bus: " + errno_text(r);
  Bus bus(raw_bus);
  sd_bus_message* raw_message = nullptr;
  r = sd_bus_message_new_method_call(bus.get(), &raw_message, kService, kPath, kInterface, method);
  if (r < 0) return std::string(method) + ": " + errno_text(r);
  Message message(raw_message);
  r = fill(message.get());
  if (r < 0) return std::string(method) + ": building the call: " + errno_text(r);
  sd_bus_error error = SD_BUS_ERROR_NULL;
  const auto usec = static_cast<std::uint64_t>(timeout.count()) * 1000;
  r = sd_bus_call(bus.get(), message.get(), usec, &error, nullptr);
  std::optional<std::string> failure;
  if (r < 0) failure = call_error(method, error, r);
  sd_bus_error_free(&error);
  return failure;
}

void add_unique(std::vector<wire::IpAddress>& list, const wire::IpAddress& a) {
  if (std::find(list.begin(), list.end(), a) == list.end()) list.push_back(a);
}

}  // namespace

std::optional<LinkDns> plan_link_dns(const ClientAssignments& assignments) {
  LinkDns settings;
  for (const auto& [connection, assignment] : assignments.by_connection()) {
    for (const wire::IpAddress& server : assignment.dns) add_unique(settings.servers, server);
    for (const std::string& domain : assignment.dns_domains) {
      ResolvedDomain routing{domain, true};
      if (std::find(settings.domains.begin(), settings.domains.end(), routing) == settings.domains.end())
        settings.domains.push_back(routing);
    }
  }
  if (settings.servers.empty()) return std::nullopt;
  if (settings.domains.empty()) {
    settings.domains.push_back(ResolvedDomain{".", true});
    settings.default_route = true;
  }
  return settings;
}

std::string describe(const LinkDns& settings) {
  std::string out = "servers ";
  for (std::size_t i = 0; i < settings.servers.size(); ++i)
    out += (i ? ", " : "") + settings.servers[i].to_string();
  out += "; domains ";
  for (std::size_t i = 0; i < settings.domains.size(); ++i)
    out +=
        (i ? ", " : "") + std::string(settings.domains[i].routing_only ? "~" : "") + settings.domains[i].name;
  out += settings.default_route ? "; default route" : "; split (not the default route)";
  return out;
}

std::optional<std::string> ResolvedDns::set_link(int ifindex, const LinkDns& settings) const {
  auto failure = call(call_timeout_, "SetLinkDNS", [&](sd_bus_message* m) {
    int r = sd_bus_message_append(m, "i", static_cast<std::int32_t>(ifindex));
    if (r >= 0) r = sd_bus_message_open_container(m, 'a', "(iay)");
    for (const wire::IpAddress& server : settings.servers) {
      if (r >= 0) r = sd_bus_message_open_container(m, 'r', "iay");
      if (r >= 0)
        r = sd_bus_message_append(m, "i", static_cast<std::int32_t>(server.is_v4() ? AF_INET : AF_INET6));
      if (r >= 0) r = sd_bus_message_append_array(m, 'y', server.bytes().data(), server.bytes().size());
      if (r >= 0) r = sd_bus_message_close_container(m);
    }
    if (r >= 0) r = sd_bus_message_close_container(m);
    return r;
  });
  if (failure) return failure;
  failure = call(call_timeout_, "SetLinkDomains", [&](sd_bus_message* m) {
    int r = sd_bus_message_append(m, "i", static_cast<std::int32_t>(ifindex));
    if (r >= 0) r = sd_bus_message_open_container(m, 'a', "(sb)");
    for (const ResolvedDomain& domain : settings.domains)
      if (r >= 0)
        r = sd_bus_message_append(m, "(sb)", domain.name.c_str(), static_cast<int>(domain.routing_only));
    if (r >= 0) r = sd_bus_message_close_container(m);
    return r;
  });
  if (failure) return failure;
  return call(call_timeout_, "SetLinkDefaultRoute", [&](sd_bus_message* m) {
    return sd_bus_message_append(m, "ib", static_cast<std::int32_t>(ifindex),
                                 static_cast<int>(settings.default_route));
  });
}

std::optional<std::string> ResolvedDns::revert_link(int ifindex) const {
  return call(call_timeout_, "RevertLink", [&](sd_bus_message* m) {
    return sd_bus_message_append(m, "i", static_cast<std::int32_t>(ifindex));
  });
}

}  // namespace cygnet::daemon
