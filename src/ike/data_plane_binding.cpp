#include "ike/data_plane_binding.hpp"

#include <algorithm>
#include <exception>
#include <memory>

namespace cygnet::ike {

namespace {
// Policies a CHILD SA brings come before trap policies: when a responder narrowed the selectors,
// the narrowed policy carries its traffic and the wider trap still catches the rest (an acquire).
constexpr std::uint32_t kChildPolicyPriority = 90;
constexpr std::uint32_t kTrapPolicyPriority = 100;
}  // namespace

namespace {

// Adds PROTECT policies for the selectors not yet covered by `ids`.
void ensure_policies(ipsec::Spd& spd, std::vector<ipsec::PolicyId>& ids,
                     const std::vector<ipsec::Selector>& selectors, ipsec::IpsecProtocol protocol,
                     ipsec::Mode mode, const std::string& name, std::uint32_t priority) {
  for (const auto& sel : selectors) {
    const bool present = std::any_of(ids.begin(), ids.end(), [&](ipsec::PolicyId id) {
      const ipsec::Policy* p = spd.find(id);
      return p && p->selector == sel;
    });
    if (present) continue;
    ipsec::Policy policy;
    policy.priority = priority;
    policy.selector = sel;
    policy.action = ipsec::PolicyAction::Protect;
    policy.protocol = protocol;
    policy.mode = mode;
    policy.name = name;
    ids.push_back(spd.add(std::move(policy)));
  }
}

bool carries(const std::vector<ipsec::Selector>& selectors, const ipsec::Selector& s) {
  return std::find(selectors.begin(), selectors.end(), s) != selectors.end();
}

// Points the policies among `ids` whose selector the CHILD SA carries at its outbound SA.
void bind_policies(ipsec::DataPlane& data_plane, const std::vector<ipsec::PolicyId>& ids,
                   const std::vector<ipsec::Selector>& selectors, ipsec::SaHandle outbound) {
  for (ipsec::PolicyId id : ids) {
    const ipsec::Policy* policy = data_plane.spd().find(id);
    if (policy && carries(selectors, policy->selector)) data_plane.bind_outbound_sa(id, outbound);
  }
}

}  // namespace

std::optional<std::string> DataPlaneBinding::apply(const Action& action) {
  ipsec::Sad& sad = data_plane_.sad();
  ipsec::Spd& spd = data_plane_.spd();

  if (const auto* install = std::get_if<InstallChildSa>(&action)) {
    if (children_.contains(install->id))
      return "CHILD SA " + std::to_string(install->id) + " is already installed";
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
                    install->connection + "/" + install->child, kChildPolicyPriority);
    installed.selectors = install->selectors;
    installed.resource = install->resource;
    installed.active = install->route_outbound;
    installed.inbound_spi = install->inbound.spi;
    // A per-resource SA leaves the policies on the fallback: only its worker sends on it.
    if (install->route_outbound && !install->resource)
      bind_policies(data_plane_, ids, installed.selectors, installed.handles.outbound);
    children_[install->id] = std::move(installed);
    return std::nullopt;
  }

  if (const auto* activate = std::get_if<ActivateChildSa>(&action)) {
    auto it = children_.find(activate->id);
    if (it == children_.end()) return "no installed CHILD SA " + std::to_string(activate->id);
    it->second.active = true;
    if (it->second.resource) return std::nullopt;  // its worker's replica binds it (resource_bindings)
    auto p = policies_.find({it->second.connection, it->second.child});
    if (p != policies_.end())
      bind_policies(data_plane_, p->second, it->second.selectors, it->second.handles.outbound);
    return std::nullopt;
  }

  if (const auto* moved = std::get_if<UpdateChildSaAddresses>(&action)) {
    auto it = children_.find(moved->id);
    if (it == children_.end()) return "no installed CHILD SA " + std::to_string(moved->id);
    const Handles h = it->second.handles;
    const ipsec::SecurityAssociation* in = sad.find(h.inbound);
    if (!in) return "CHILD SA " + std::to_string(moved->id) + " has no inbound SA";
    const wire::IpAddress old_local = in->params().local_address;
    const wire::IpAddress old_remote = in->params().remote_address;
    const auto old_udp = in->params().udp_encapsulation;
    if (!sad.move_endpoints(h.inbound, moved->local, moved->remote, moved->udp_encapsulation))
      return "CHILD SA " + std::to_string(moved->id) + ": inbound SA cannot move to " +
             moved->local.to_string();
    if (!sad.move_endpoints(h.outbound, moved->local, moved->remote, moved->udp_encapsulation)) {
      sad.move_endpoints(h.inbound, old_local, old_remote, old_udp);  // both or neither
      return "CHILD SA " + std::to_string(moved->id) + ": outbound SA cannot move to " +
             moved->remote.to_string();
    }
    return std::nullopt;
  }

  if (const auto* remove = std::get_if<RemoveChildSa>(&action)) {
    auto it = children_.find(remove->id);
    if (it == children_.end()) return std::nullopt;  // already gone (or never installed)
    const InstalledChild gone = it->second;
    children_.erase(it);
    const auto key = std::make_pair(gone.connection, gone.child);
    // For each policy that pointed at the removed SA, the newest other CHILD SA of the same
    // connection/child carrying that selector takes over; policies no CHILD SA carries any more
    // either keep trapping (trap connections) or go away.
    auto p = policies_.find(key);
    if (p != policies_.end()) {
      std::vector<ipsec::PolicyId> kept;
      for (ipsec::PolicyId id : p->second) {
        const ipsec::Policy* policy = spd.find(id);
        if (!policy) continue;
        // Only the policies of the removed SA's own selectors can lose their SA or their last
        // carrier; the others are left alone (a gateway holds one policy per client here, and
        // looking at all of them for every removal made each O(clients²)).
        if (!carries(gone.selectors, policy->selector)) {
          kept.push_back(id);
          continue;
        }
        const ipsec::Selector selector = policy->selector;
        std::optional<ipsec::SaHandle> successor;
        for (auto c = children_.rbegin(); c != children_.rend(); ++c)
          if (c->second.connection == gone.connection && c->second.child == gone.child &&
              carries(c->second.selectors, selector)) {
            successor = c->second.handles.outbound;
            break;
          }
        if (policy->outbound_sa == gone.handles.outbound) data_plane_.bind_outbound_sa(id, successor);
        const bool carried = std::any_of(children_.begin(), children_.end(), [&](const auto& kv) {
          return kv.second.connection == gone.connection && kv.second.child == gone.child &&
                 carries(kv.second.selectors, selector);
        });
        if (carried || traps_.contains(key)) {
          kept.push_back(id);
        } else {
          spd.remove(id);
        }
      }
      if (kept.empty()) {
        policies_.erase(p);
      } else {
        p->second = std::move(kept);
      }
    }
    sad.remove(gone.handles.inbound);
    sad.remove(gone.handles.outbound);
    return std::nullopt;
  }

  if (const auto* trap = std::get_if<InstallTrapPolicy>(&action)) {
    const auto key = std::make_pair(trap->connection, trap->child);
    auto& ids = policies_[key];
    ensure_policies(spd, ids, trap->selectors, trap->protocol, trap->mode,
                    trap->connection + "/" + trap->child, kTrapPolicyPriority);
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
    if (p == policies_.end()) return std::nullopt;
    // The trap's policies go; those a CHILD SA still carries stay with it (so every policy left
    // is carried by a CHILD SA or a trap, which RemoveChildSa relies on).
    std::vector<ipsec::PolicyId> kept;
    for (ipsec::PolicyId id : p->second) {
      const ipsec::Policy* policy = spd.find(id);
      if (!policy) continue;
      const bool carried = in_use && std::any_of(children_.begin(), children_.end(), [&](const auto& kv) {
                             return kv.second.connection == key.first && kv.second.child == key.second &&
                                    carries(kv.second.selectors, policy->selector);
                           });
      if (carried)
        kept.push_back(id);
      else
        spd.remove(id);
    }
    if (kept.empty())
      policies_.erase(p);
    else
      p->second = std::move(kept);
    return std::nullopt;
  }
  return std::nullopt;  // datagrams and events are not the data plane's business
}

std::optional<std::pair<std::string, std::string>> DataPlaneBinding::acquire_target(
    ipsec::PolicyId policy) const {
  for (const auto& [key, ids] : policies_)
    if (std::find(ids.begin(), ids.end(), policy) != ids.end()) return key;
  return std::nullopt;
}

std::optional<ChildSaId> DataPlaneBinding::child_of(ipsec::SaHandle sa) const {
  for (const auto& [id, c] : children_)
    if (c.handles.inbound == sa || c.handles.outbound == sa) return id;
  return std::nullopt;
}

std::vector<DataPlaneBinding::ResourceBinding> DataPlaneBinding::resource_bindings() const {
  // Ascending ids: a newer SA of the same resource (its rekey) replaces the older one.
  std::map<std::pair<std::uint32_t, ipsec::PolicyId>, ipsec::SaHandle> newest;
  for (const auto& [id, c] : children_) {
    if (!c.resource || !c.active) continue;
    auto p = policies_.find({c.connection, c.child});
    if (p == policies_.end()) continue;
    for (ipsec::PolicyId policy : p->second) {
      const ipsec::Policy* found = data_plane_.spd().find(policy);
      if (found && carries(c.selectors, found->selector)) newest[{*c.resource, policy}] = c.handles.outbound;
    }
  }
  std::vector<ResourceBinding> out;
  for (const auto& [key, outbound] : newest) out.push_back(ResourceBinding{key.first, key.second, outbound});
  return out;
}

std::vector<std::pair<std::uint32_t, std::uint32_t>> DataPlaneBinding::resource_inbound_spis() const {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
  for (const auto& [id, c] : children_)
    if (c.resource) out.emplace_back(c.inbound_spi, *c.resource);
  return out;
}

std::optional<DataPlaneBinding::Handles> DataPlaneBinding::handles_of(ChildSaId id) const {
  auto it = children_.find(id);
  if (it == children_.end()) return std::nullopt;
  return it->second.handles;
}

}  // namespace cygnet::ike
