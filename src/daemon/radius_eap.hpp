// The pure pieces of relaying EAP over RADIUS (RFC 3579): an EAP packet travels in as many
// EAP-Message attributes as it needs (each at most 253 bytes, §3.1), and the MSK an
// Access-Accept delivers in MS-MPPE-Recv-Key and MS-MPPE-Send-Key (RFC 2548) is
// Recv-Key || Send-Key, as strongSwan's eap-radius plugin builds it (for EAP-MSCHAPv2 this is the
// MSK the client derives: its send key, then its receive key).
#pragma once

#include <vector>

#include "base/bytes.hpp"
#include "crypto/secure_bytes.hpp"

namespace cygnet::daemon {

inline constexpr std::size_t kMaxRadiusAttributeValue = 253;  // RFC 2865 §5: 255 less type and length

// The EAP packet cut into EAP-Message attribute values, in order (an empty packet: none).
std::vector<ByteView> split_eap_message(ByteView eap_packet);

// The EAP packet an answer carries: its EAP-Message values joined in order.
Bytes join_eap_message(const std::vector<ByteView>& values);

crypto::SecureBytes msk_from_mppe_keys(ByteView recv_key, ByteView send_key);

}  // namespace cygnet::daemon
