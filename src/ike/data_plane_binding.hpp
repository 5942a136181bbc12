// Applies the engine's data-plane actions to an ipsec::DataPlane and maps data plane facts (an
// acquire on a policy, a lifetime event on an SA) back to the engine's names. Shared by the daemon
// and the simulator so both install SAs the same way.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ike/engine.hpp"
#include "ipsec/data_plane.hpp"

namespace cygnet::ike {

class DataPlaneBinding {
 public:
  explicit DataPlaneBinding(ipsec::DataPlane& data_plane) : data_plane_(data_plane) {}

  // InstallChildSa, ActivateChildSa, RemoveChildSa, UpdateChildSaAddresses, InstallTrapPolicy,
  // RemoveTrapPolicy; other actions are ignored.
  // Returns an error text when an action could not be applied (e.g. an inbound SPI clash).
  std::optional<std::string> apply(const Action& action);

  // "connection/child" of the PROTECT policy that caused an Acquire outcome.
  std::optional<std::pair<std::string, std::string>> acquire_target(ipsec::PolicyId policy) const;
  // The CHILD SA an SA handle belongs to (for lifetime events reported by packet results).
  std::optional<ChildSaId> child_of(ipsec::SaHandle sa) const;
  // The data plane SA handles of an installed CHILD SA (for counters in status output).
  struct Handles {
    ipsec::SaHandle inbound = 0;
    ipsec::SaHandle outbound = 0;
  };
  std::optional<Handles> handles_of(ChildSaId id) const;

  // RFC 9611 per-resource CHILD SAs. Their outbound SAs are not what the child's policies point
  // at (that stays the fallback); instead the worker of their resource binds those policies to
  // them in its own data plane replica (gateway/worker_path.hpp).
  struct ResourceBinding {
    std::uint32_t resource = 0;
    ipsec::PolicyId policy = 0;
    ipsec::SaHandle outbound = 0;
  };
  // For each resource and policy, the newest active per-resource SA.
  std::vector<ResourceBinding> resource_bindings() const;
  // The inbound SPIs of per-resource SAs and their resource (so their ESP goes to that worker).
  std::vector<std::pair<std::uint32_t, std::uint32_t>> resource_inbound_spis() const;

 private:
  struct InstalledChild {
    std::string connection;
    std::string child;
    Handles handles;  // its policies live in policies_, shared per connection/child
    // The selectors it carries: only the policies with these selectors point at its outbound SA
    // (a responder connection for %any holds one CHILD SA per peer, each with its own selectors).
    std::vector<ipsec::Selector> selectors;
    std::optional<std::uint32_t> resource;  // InstallChildSa::resource
    bool active = false;                    // route_outbound, or activated since
    std::uint32_t inbound_spi = 0;
  };
  ipsec::DataPlane& data_plane_;
  std::map<ChildSaId, InstalledChild> children_;
  // Policies per "connection/child": shared by trap policies and successive CHILD SAs, so a rekey
  // only rebinds the outbound SA (no moment without a policy).
  std::map<std::pair<std::string, std::string>, std::vector<ipsec::PolicyId>> policies_;
  // "connection/child" pairs with a trap installed: their policies outlive every CHILD SA.
  std::set<std::pair<std::string, std::string>> traps_;
};

}  // namespace cygnet::ike
