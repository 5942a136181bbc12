// Fragmenting an IP packet that is larger than the path (RFC 791 §3.2 for IPv4, RFC 8200 §4.5
// for IPv6: a Fragment header after the IPv6 header), for outer ESP/AH packets whose inner
// packet allowed fragmentation.
#pragma once

#include <cstdint>
#include <functional>

#include "base/bytes.hpp"

namespace cygnet::wire {

// Splits `packet` into fragments of at most `mtu` bytes, writing each into `scratch` (at least
// `mtu` bytes) and passing it to `emit`. IPv4: the packet must not have DF set nor be a fragment
// already, and carry no options (our outer headers never do); IPv6: the header must be followed
// directly by the payload (no extension headers), and `identification` fills the Fragment
// header. Returns the number of fragments emitted, or 0 when the packet cannot be fragmented
// this way (nothing emitted) or `emit` returned false (stops there).
std::size_t fragment_ip_packet(ByteView packet, std::size_t mtu, std::uint32_t identification,
                               MutableByteView scratch, const std::function<bool(ByteView)>& emit);

}  // namespace cygnet::wire
