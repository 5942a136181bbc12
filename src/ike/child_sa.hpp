// One CHILD SA as the engine tracks it (RFC 7296 §1.3, §2.17): the negotiated algorithms and keys,
// both SPIs, the selectors, timers for rekey/expiry, and how it relates to a rekey (the SA it
// replaces, or the SA that replaced it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "crypto/secure_bytes.hpp"
#include "ike/algorithms.hpp"
#include "ike/engine.hpp"
#include "wire/ikev2_message.hpp"

namespace cygnet::ike {

enum class ChildSaState : std::uint8_t {
  Installed,  // carrying traffic
  Rekeyed,    // replaced by a newer CHILD SA; waiting for the Delete exchange or the grace period
  Deleting,   // our Delete is outstanding
};

// The keys of one CHILD SA pair, whichever version derived them (IKEv2: v2/keys.hpp, RFC 7296
// §2.17; IKEv1: v1/ikev1_keys.hpp, RFC 2409 §5.5).
struct ChildSaKeys {
  crypto::SecureBytes encryption_i, integrity_i;  // protects traffic initiator → responder
  crypto::SecureBytes encryption_r, integrity_r;  // responder → initiator
};

struct ChildSaParameters {
  ipsec::SaParameters inbound;
  ipsec::SaParameters outbound;
};

struct ChildSa {
  ChildSaId id = 0;
  IkeSaId ike_sa = 0;
  std::string connection;
  std::string child;
  ChildSaState state = ChildSaState::Installed;
  ipsec::IpsecProtocol protocol = ipsec::IpsecProtocol::Esp;
  ipsec::Mode mode = ipsec::Mode::Tunnel;
  std::uint32_t inbound_spi = 0;   // chosen by us
  std::uint32_t outbound_spi = 0;  // chosen by the peer
  ChildAlgorithms algorithms;
  std::vector<wire::ikev2::TrafficSelector> local_ts;
  std::vector<wire::ikev2::TrafficSelector> remote_ts;
  std::vector<ipsec::Selector> selectors;
  bool udp_encapsulated = false;
  // Nonces of the exchange that created it (simultaneous rekey: the lowest nonce loses, §2.8.1).
  Bytes nonce_i;
  Bytes nonce_r;
  bool created_by_us = false;  // we initiated the exchange that created it

  TimePoint created{};
  std::optional<TimePoint> rekey_at;
  std::optional<TimePoint> expire_at;
  std::optional<TimePoint> remove_at;  // old SA after a rekey: RemoveChildSa after the grace period
  bool rekey_requested = false;        // a rekey is queued or in progress (once per SA)
  std::optional<ChildSaId> replaced_by;
  bool activation_pending = false;  // installed with route_outbound = false
  // Lost a simultaneous rekey (§2.8.1): Delete it once `replaced_by` carries our traffic.
  bool delete_when_replacement_active = false;
  // RFC 9611: negotiated with SA_RESOURCE_INFO; `resource` is the data-plane worker it is for
  // (nullopt: the fallback SA, carrying what the workers without their own SA send).
  bool per_resource = false;
  std::optional<std::uint32_t> resource;
  // A copy of the installed pair, kept only with EngineOptions::retain_keys_for_export (key_export.hpp).
  std::optional<ChildSaParameters> retained_for_export;
};

// The engine's ipsec::SaParameters pair for a CHILD SA.
struct ChildSaParameterInput {
  const ChildSa* child = nullptr;
  const ChildSaKeys* keys = nullptr;
  bool we_initiated_exchange = false;  // the exchange initiator's outbound uses the _i keys
  wire::IpAddress local_address;
  wire::IpAddress remote_address;
  std::optional<ipsec::UdpEncapsulation> udp_encapsulation;
  std::uint64_t life_bytes = 0;
  std::uint64_t life_packets = 0;
  std::uint32_t replay_window = ipsec::kDefaultReplayWindow;
};
ChildSaParameters build_child_sa_parameters(const ChildSaParameterInput& input);

// What status() reports about a CHILD SA (both IKE versions).
ChildSaStatus child_sa_status(const ChildSa& c, TimePoint now);

// The action that installs a CHILD SA's pair (both IKE versions).
InstallChildSa install_child_action(const ChildSa& c, ChildSaParameters params,
                                    std::optional<ChildSaId> replaces, bool route_outbound);

// Whether an IKEv2 protocol ID (Delete, REKEY_SA) names SAs of this CHILD SA's protocol: ESP ↔ ESP,
// AH ↔ AH; IKE, none and unknown values name no CHILD SA.
bool same_protocol(wire::ikev2::ProtocolId named, ipsec::IpsecProtocol child);

// A fresh inbound SPI: random, never below 256 (RFC 4303 reserves 1–255), never 0.
std::uint32_t random_child_spi(RandomSource& random);

}  // namespace cygnet::ike
