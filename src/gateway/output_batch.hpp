// What one call into the GatewayCore asks the outside world to do: packets to write to the TUN
// device, IP packets to send on a raw socket, UDP payloads to send from one endpoint to another,
// plus the rarer facts (engine events, applied SA/policy changes, host names to resolve, notes
// to log).
//
// Packets live in one byte arena owned by the batch and reused from call to call: the caller
// keeps one OutputBatch, clear()s it before each call, and after a warm-up no packet allocates
// (the arena and the descriptor vector keep their capacity). Descriptors refer to the arena by
// offset, so growing it never invalidates an earlier packet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "gateway/sa_traffic.hpp"
#include "ike/engine.hpp"
#include "wire/ip_address.hpp"

namespace cygnet::gateway {

// Where a packet of the batch goes.
enum class Destination : std::uint8_t {
  Tun,  // a cleartext packet for the protected side
  Raw,  // a complete IP packet (ESP, AH, a bypassed packet, an ICMP error) on the raw socket of `family`
  Udp,  // a UDP payload (IKE, ESP in UDP, a NAT keepalive) from `local` to `remote`
};

// Why it is sent: the daemon counts some kinds separately (stats, metrics).
enum class Purpose : std::uint8_t {
  Data,          // protected (Raw: `remote` is the peer) or decapsulated traffic
  Bypass,        // cleartext a BYPASS policy lets out unchanged
  Ike,           // an IKE message from the engine
  NatKeepalive,  // RFC 3948 §2.3
  Fragment,      // one IP fragment of an outer packet larger than the path MTU
  TooBig,        // ICMP Fragmentation Needed / Packet Too Big to an inner sender
};

struct OutputPacket {
  Destination destination = Destination::Tun;
  Purpose purpose = Purpose::Data;
  wire::IpFamily family = wire::IpFamily::V4;  // Raw: which socket
  ike::Endpoint local;                         // Udp: the source endpoint
  ike::Endpoint remote;                        // Udp: the destination; Raw (protected): the peer
  std::size_t offset = 0;                      // into the arena
  std::size_t length = 0;
  // Tun: which device. 0 = the shared TUN device of policy-based connections, otherwise the
  // interface of a route-based connection (GatewayCore::link_of).
  std::uint32_t link = 0;
};

// A change of the data plane the engine asked for, once applied. RemoveChildSa carries the SA's
// final counters (read before the SAs were removed), so totals per connection keep counting.
struct AppliedAction {
  ike::Action action;
  std::optional<SaTraffic> retired;
};

// A line for the operator's log (the core has no logger; the daemon logs these, the simulator
// may trace them).
struct Notice {
  enum class Level : std::uint8_t { Trace, Debug, Info, Warn, Error };
  Level level = Level::Info;
  std::string text;
};

class OutputBatch {
 public:
  // Empties the batch, keeping every buffer's capacity.
  void clear();

  // Room for a packet of at most `max_length` bytes at the end of the arena; commit() makes the
  // bytes [skip, length) of it a packet (without a commit the room is simply reused).
  MutableByteView reserve(std::size_t max_length);
  void commit(const OutputPacket& descriptor_without_offset, std::size_t length, std::size_t skip = 0);
  // Copies `bytes` in as a packet.
  void add(const OutputPacket& descriptor_without_offset, ByteView bytes);

  const std::vector<OutputPacket>& packets() const { return packets_; }
  ByteView bytes(const OutputPacket& packet) const {
    return ByteView(arena_.data() + packet.offset, packet.length);
  }
  MutableByteView bytes(const OutputPacket& packet) {
    return MutableByteView(arena_.data() + packet.offset, packet.length);
  }

  std::vector<ike::Event> events;
  std::vector<AppliedAction> applied;
  std::vector<ike::ResolveRemote> resolves;
  std::vector<ike::FetchRevocation> revocation_fetches;
  std::vector<ike::RadiusAccessRequest> radius_requests;  // EAP-RADIUS: for the daemon's RADIUS client
  // Pools (address_pool.hpp): a lease changed (the daemon saves the state file), and the virtual
  // addresses this side was assigned or gave back (VirtualIpsAssigned / VirtualIpsReleased).
  bool leases_changed = false;
  std::vector<ike::Action> virtual_ip_changes;  // CRL/OCSP the daemon fetches (revocation_fetcher)
  std::vector<Notice> notices;
  // An action the data plane refused ("InstallChildSa 7: inbound SPI clash"): should stay empty.
  std::vector<std::string> binding_errors;
  // Whether an applied action changed which selectors are installed (routes, cleartext filter).
  bool selectors_changed = false;

 private:
  Bytes arena_;
  std::size_t used_ = 0;  // arena_[0, used_) holds committed packets
  std::vector<OutputPacket> packets_;
};

}  // namespace cygnet::gateway
