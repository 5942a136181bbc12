// The configured shunts in the SPD and what they did: each shunt's selectors become BYPASS or
// DISCARD policies at ipsec::kShuntPolicyPriority, and every packet a shunt policy decided is
// counted for that shunt (outbound: read from the TUN; inbound: from the network, decapsulated or
// cleartext). Counts of a shunt survive a replace() that keeps its name and type.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "ipsec/shunt.hpp"
#include "ipsec/spd.hpp"

namespace cygnet::gateway {

struct ShuntState {
  ipsec::ShuntSettings settings;
  std::vector<ipsec::PolicyId> policies;
  std::uint64_t packets_out = 0;  // passed in the clear / dropped, read from the TUN
  std::uint64_t packets_in =
      0;  // from the network: dropped after decapsulation, or passed / dropped cleartext
};

// What a data-plane worker counts for a shunt (worker_path.hpp), summed into ShuntState.
struct ShuntCounts {
  std::uint64_t packets_out = 0;
  std::uint64_t packets_in = 0;
};

class ShuntTable {
 public:
  // Names a shunt across replace()s the way counts are kept: by name and type.
  static std::string key_of(const ipsec::ShuntSettings& settings);
  // Makes the SPD hold exactly `shunts` (the previous ones' policies removed).
  void replace(ipsec::Spd& spd, const std::vector<ipsec::ShuntSettings>& shunts);
  // Counts a packet a policy decided; false when the policy is not a shunt's.
  bool count_outbound(ipsec::PolicyId policy);
  bool count_inbound(ipsec::PolicyId policy);
  const std::vector<ShuntState>& shunts() const { return shunts_; }
  // Every shunt policy and the key_of() its shunt, for the workers' replicas.
  std::unordered_map<ipsec::PolicyId, std::string> policy_keys() const;
  // shunts() with the counts of `extra` (by key_of) added: the workers' share.
  std::vector<ShuntState> with_counts(const std::unordered_map<std::string, ShuntCounts>& extra) const;

 private:
  ShuntState* owner_of(ipsec::PolicyId policy);

  std::vector<ShuntState> shunts_;                           // in configuration order
  std::unordered_map<ipsec::PolicyId, std::size_t> owners_;  // policy -> index in shunts_
};

}  // namespace cygnet::gateway
