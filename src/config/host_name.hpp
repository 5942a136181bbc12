// DNS host names as remote_addrs may hold them (RFC 1123 §2.1, RFC 1035 §2.3.4): dot-separated
// labels of 1 to 63 letters, digits and hyphens, not starting or ending with a hyphen, at most 253
// characters in all; the last label is not all digits (RFC 3696 §2), so a mistyped address such as
// "192.0.2.300" is not taken for a name. No trailing dot, no underscores, no IDNA U-labels.
#pragma once

#include <string_view>

namespace cygnet::config {

bool is_host_name(std::string_view text);

}  // namespace cygnet::config
