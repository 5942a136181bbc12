// Security Policy Database (RFC 4301 §4.4.1): an ordered list of policies; the first whose
// selector matches decides PROTECT, BYPASS or DISCARD. A PROTECT policy without an outbound SA is
// the "no SA yet" signal that IKE turns into a negotiation (acquire).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ipsec/sad.hpp"
#include "ipsec/selector.hpp"

namespace cygnet::ipsec {

enum class PolicyAction : std::uint8_t { Protect, Bypass, Discard };
const char* policy_action_name(PolicyAction a);

using PolicyId = std::uint32_t;

struct Policy {
  PolicyId id = 0;           // assigned by the SPD
  std::uint32_t priority = 0; // lower first; equal priorities keep insertion order
  Selector selector;
  PolicyAction action = PolicyAction::Protect;
  // PROTECT only: how to protect (used to request an SA) and the SA currently in use.
  IpsecProtocol protocol = IpsecProtocol::Esp;
  Mode mode = Mode::Tunnel;
  std::optional<SaHandle> outbound_sa;
  std::string name;  // e.g. "site-b/net"
};

class Spd {
 public:
  PolicyId add(Policy policy);  // returns the id; keeps the list ordered by priority
  bool remove(PolicyId id);
  Policy* find(PolicyId id);
  const Policy* find(PolicyId id) const;
  // Installs (or replaces, make-before-break) the outbound SA of a PROTECT policy.
  bool bind_sa(PolicyId id, std::optional<SaHandle> sa);

  // First policy matching an outbound packet, or nullptr (the caller's default: discard).
  const Policy* lookup_outbound(const wire::IpPacketInfo& packet) const;
  // First policy matching an inbound cleartext packet (not arriving on an SA): the caller must drop
  // it if that policy is PROTECT, since protected traffic must arrive protected.
  const Policy* lookup_inbound(const wire::IpPacketInfo& packet) const;

  const std::vector<Policy>& policies() const { return policies_; }

 private:
  PolicyId next_id_ = 1;
  std::vector<Policy> policies_;
};

}  // namespace cygnet::ipsec
