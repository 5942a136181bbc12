// The data plane as one object: SPD + SAD + global counters, packets in, packets out.
// This is what the daemon drives: every packet read from the TUN device goes to
// process_outbound(), every ESP/AH (or ESP-in-UDP) packet from the network to process_inbound().
#pragma once

#include <cstdint>
#include <optional>

#include "base/bytes.hpp"
#include "base/time.hpp"
#include "ipsec/ah.hpp"
#include "ipsec/esp.hpp"
#include "ipsec/sad.hpp"
#include "ipsec/spd.hpp"

namespace cygnet::ipsec {

struct OutboundOutcome {
  enum class Kind : std::uint8_t {
    Protected,  // out holds the ESP/AH packet (result.length bytes; result.protocol_offset)
    Bypass,     // send ip_packet unchanged
    Dropped,    // counted under `drop`
    Acquire,    // PROTECT policy without a usable SA: negotiate, then retry (the packet may be queued)
  };
  Kind kind = Kind::Dropped;
  DropReason drop = DropReason::PolicyDiscard;
  PacketResult result;           // Protected
  std::optional<SaHandle> sa;    // Protected (and Dropped when an SA was involved)
  std::optional<PolicyId> policy;
};

struct InboundOutcome {
  enum class Kind : std::uint8_t {
    Decapsulated,  // out holds the cleartext packet (result.length bytes)
    Bypass,        // cleartext packet a BYPASS policy allows: deliver ip_packet as is
    Dropped,
  };
  Kind kind = Kind::Dropped;
  DropReason drop = DropReason::Malformed;
  PacketResult result;
  std::optional<SaHandle> sa;
};

struct GlobalCounters {
  TrafficCounters outbound;   // packets protected
  TrafficCounters inbound;    // packets decapsulated and accepted
  TrafficCounters bypassed;
  DropCounters drops;
};

class DataPlane {
 public:
  Sad& sad() { return sad_; }
  const Sad& sad() const { return sad_; }
  Spd& spd() { return spd_; }
  const Spd& spd() const { return spd_; }
  const GlobalCounters& counters() const { return counters_; }

  // A cleartext packet leaving this host. No matching policy means DISCARD (RFC 4301 §4.4.1:
  // the SPD must be complete; an unmatched packet is dropped).
  OutboundOutcome process_outbound(ByteView ip_packet, MutableByteView out, TimePoint now);

  // A packet from the network: protocol 50 (ESP), 51 (AH), UDP to port 4500 carrying ESP
  // (RFC 3948), or cleartext checked against the SPD. Decapsulated packets must match the
  // selectors of the SA they arrived on (RFC 4301 §5.2).
  InboundOutcome process_inbound(ByteView ip_packet, MutableByteView out, TimePoint now);

 private:
  OutboundOutcome drop_outbound(DropReason reason, std::optional<PolicyId> policy);
  InboundOutcome drop_inbound(DropReason reason, std::optional<SaHandle> sa);
  Sad sad_;
  Spd spd_;
  GlobalCounters counters_;
};

}  // namespace cygnet::ipsec
