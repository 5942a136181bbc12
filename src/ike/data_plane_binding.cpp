#include "ike/data_plane_binding.hpp"

#include <algorithm>
#include <exception>
#include <memory>

namespace cygnet::ike {

namespace {
constexpr std::uint32_t kPolicyPriority = 100;
}

namespace {

// Adds PROTECT policies for the selectors not yet covered by `ids`.
void ensure_policies(ipsec::Spd& spd, std::vector<ipsec::PolicyId>& ids, const std::vector<ipsec::Selector>& selectors,
                     ipsec::IpsecProtocol protocol, ipsec::Mode mode, const std::string& name) {
  for (const auto& sel : selectors) {
    const bool present = std::any_of(ids.begin(), ids.end(), [&](ipsec::PolicyId id) {
      const ipsec::Policy* p = spd.find(id);
      return p && p->selector == sel;
    });
    if (present) continue;
    ipsec::Policy policy;
    policy.priority = kPolicyPriority;
    policy.selector = sel;
    policy.action = ipsec::PolicyAction::Protect;
    policy.protocol = protocol;
    policy.mode = mode;
    policy.name = name;
    ids.push_back(spd.add(std::move(policy)));
  }
}

}  // namespace

std::optional<std::string> DataPlaneBinding::apply(const Action& action) {
  ipsec::Sad& sad = data_plane_.sad();
  ipsec::Spd& spd = data_plane_.spd();

  if (const auto* install = std::get_if<InstallChildSa>(&action)) {
    if (children_.contains(install->id)) return "CHILD SA " + std::to_string(install->id) + " is already installed";
    InstalledChild installed;
    installed.connection = install->connection;
    installed.child = install->child;
    try {
      auto inbound = std::make_unique<ipsec::SecurityAssociation>(install->inbound, TimePoint{});
      auto outbound = std::make_unique<ipsec::SecurityAssociation>(install->outbound, TimePoint{});
      const auto in_handle = sad.add(std::move(inbound));
      if (!in_handle) return "inbound SPI " + std::to_string(install->inbound.spi) + " is already in use";
      const auto out_handle = sad.add(std::move(outbound));
      if (!out_handle) {
        sad.remove(*in_handle);
        return "outbound SA could not be added";
      }
      installed.handles = Handles{*in_handle, *out_handle};
    } catch (const std::exception& e) {
      return std::string("SA parameters refused: ") + e.what();
    }
    const auto key = std::make_pair(install->connection, install->child);
    auto& ids = policies_[key];
    ensure_policies(spd, ids, install->selectors, install->outbound.protocol, install->outbound.mode,
                    install->connection + "/" + install->child);
    if (install->route_outbound)
      for (ipsec::PolicyId id : ids) spd.bind_sa(id, installed.handles.outbound);
    children_[install->id] = std::move(installed);
    return std::nullopt;
  }

  if (const auto* activate = std::get_if<ActivateChildSa>(&action)) {
    auto it = children_.find(activate->id);
    if (it == children_.end()) return "no installed CHILD SA " + std::to_string(activate->id);
    auto p = policies_.find({it->second.connection, it->second.child});
    if (p != policies_.end())
      for (ipsec::PolicyId id : p->second) spd.bind_sa(id, it->second.handles.outbound);
    return std::nullopt;
  }

  if (const auto* remove = std::get_if<RemoveChildSa>(&action)) {
    auto it = children_.find(remove->id);
    if (it == children_.end()) return std::nullopt;  // already gone (or never installed)
    const InstalledChild gone = it->second;
    children_.erase(it);
    const auto key = std::make_pair(gone.connection, gone.child);
    // Another CHILD SA of the same connection/child (the newest) takes over policies that still
    // point at the removed SA; with none left they either keep trapping or go away.
    std::optional<ipsec::SaHandle> successor;
    for (auto c = children_.rbegin(); c != children_.rend(); ++c)
      if (c->second.connection == gone.connection && c->second.child == gone.child) {
        successor = c->second.handles.outbound;
        break;
      }
    auto p = policies_.find(key);
    if (p != policies_.end()) {
      for (ipsec::PolicyId id : p->second) {
        const ipsec::Policy* policy = spd.find(id);
        if (policy && policy->outbound_sa == gone.handles.outbound) spd.bind_sa(id, successor);
      }
      if (!successor && !traps_.contains(key)) {
        for (ipsec::PolicyId id : p->second) spd.remove(id);
        policies_.erase(p);
      }
    }
    sad.remove(gone.handles.inbound);
    sad.remove(gone.handles.outbound);
    return std::nullopt;
  }

  if (const auto* trap = std::get_if<InstallTrapPolicy>(&action)) {
    const auto key = std::make_pair(trap->connection, trap->child);
    auto& ids = policies_[key];
    ensure_policies(spd, ids, trap->selectors, trap->protocol, trap->mode, trap->connection + "/" + trap->child);
    traps_.insert(key);
    return std::nullopt;
  }

  if (const auto* untrap = std::get_if<RemoveTrapPolicy>(&action)) {
    const auto key = std::make_pair(untrap->connection, untrap->child);
    traps_.erase(key);
    const bool in_use = std::any_of(children_.begin(), children_.end(), [&key](const auto& kv) {
      return kv.second.connection == key.first && kv.second.child == key.second;
    });
    auto p = policies_.find(key);
    if (!in_use && p != policies_.end()) {
      for (ipsec::PolicyId id : p->second) spd.remove(id);
      policies_.erase(p);
    }
    return std::nullopt;
  }
  return std::nullopt;  // datagrams and events are not the data plane's business
}

std::optional<std::pair<std::string, std::string>> DataPlaneBinding::acquire_target(ipsec::PolicyId policy) const {
  for (const auto& [key, ids] : policies_)
    if (std::find(ids.begin(), ids.end(), policy) != ids.end()) return key;
  return std::nullopt;
}

std::optional<ChildSaId> DataPlaneBinding::child_of(ipsec::SaHandle sa) const {
  for (const auto& [id, c] : children_)
    if (c.handles.inbound == sa || c.handles.outbound == sa) return id;
  return std::nullopt;
}

std::optional<DataPlaneBinding::Handles> DataPlaneBinding::handles_of(ChildSaId id) const {
  auto it = children_.find(id);
  if (it == children_.end()) return std::nullopt;
  return it->second.handles;
}

}  // namespace cygnet::ike
