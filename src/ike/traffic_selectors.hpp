// Traffic selectors (RFC 7296 §2.9): from configured prefixes to TS payload entries, narrowing by
// the responder, the initiator's check of the answer, and conversion to data plane selectors.
#pragma once

#include <optional>
#include <vector>

#include "ipsec/selector.hpp"
#include "wire/ikev2_message.hpp"
#include "wire/ip_address.hpp"

namespace cygnet::ike {

using wire::ikev2::TrafficSelector;

TrafficSelector ts_from_prefix(const wire::IpPrefix& prefix, std::uint8_t ip_protocol = 0,
                               std::uint16_t start_port = 0, std::uint16_t end_port = 65535);
TrafficSelector ts_from_address(const wire::IpAddress& address);
std::vector<TrafficSelector> ts_from_prefixes(const std::vector<wire::IpPrefix>& prefixes);
std::string ts_to_string(const TrafficSelector& ts);  // "198.51.100.0/24", "192.0.2.1[udp/500]"

// The intersection of two selectors (same family), or nullopt.
std::optional<TrafficSelector> ts_intersect(const TrafficSelector& a, const TrafficSelector& b);

struct NarrowedSelectors {
  std::vector<TrafficSelector> initiator;  // TSi to send back
  std::vector<TrafficSelector> responder;  // TSr to send back
};
// Responder (§2.9): each of the peer's TSi intersected with our allowed initiator-side selectors
// (our remote_ts), each TSr with our responder side (our local_ts). nullopt when either side ends
// up empty (answer TS_UNACCEPTABLE). The first TS of each list may be the packet that triggered the
// request (a /32); narrowing keeps our whole configured range anyway, as strongSwan does.
std::optional<NarrowedSelectors> narrow(const std::vector<TrafficSelector>& proposed_initiator,
                                        const std::vector<TrafficSelector>& proposed_responder,
                                        const std::vector<TrafficSelector>& allowed_initiator,
                                        const std::vector<TrafficSelector>& allowed_responder);

// Initiator: every returned selector lies inside one we proposed.
bool selectors_within(const std::vector<TrafficSelector>& returned,
                      const std::vector<TrafficSelector>& proposed);

// Data plane selectors for a CHILD SA: every (local, remote) pair of the same family.
std::vector<ipsec::Selector> to_ipsec_selectors(const std::vector<TrafficSelector>& local,
                                                const std::vector<TrafficSelector>& remote);

}  // namespace cygnet::ike
