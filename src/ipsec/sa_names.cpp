// Display names for the SA parameter enums declared in sa_parameters.hpp.
#include "ipsec/sa_parameters.hpp"

namespace cygnet::ipsec {

const char* protocol_name(IpsecProtocol p) {
  switch (p) {
    case IpsecProtocol::Esp: return "esp";
    case IpsecProtocol::Ah: return "ah";
  }
  return "unknown";
}

const char* mode_name(Mode m) {
  switch (m) {
    case Mode::Tunnel: return "tunnel";
    case Mode::Transport: return "transport";
  }
  return "unknown";
}

const char* direction_name(Direction d) {
  switch (d) {
    case Direction::Inbound: return "inbound";
    case Direction::Outbound: return "outbound";
  }
  return "unknown";
}

}  // namespace cygnet::ipsec
