// What the IKEv2 clients built into Windows, macOS/iOS and Android demand of a gateway's own
// certificate (docs/remote-access.md, "Certificates the clients require"), checked for every
// connection that serves remote-access clients with a certificate. A certificate that passes
// Cygnet's own checks can still be refused by those clients, with errors that name nothing
// (Windows: 13801), so `cygnetctl check` and cygnetd's start and reload say it beforehand.
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"

namespace cygnet::config {

// One "warning: connection 'x': ..." line per unmet requirement, for connections that prove
// themselves with a certificate (local pubkey) and serve road warriors (pools, EAP users or any
// remote identity):
//  - local_id is a DN: Apple and Android clients compare the name they dial with the gateway's
//    identity and its subjectAltName, so a host name identity (in the SAN) is needed;
//  - local_id is an address that is not also a DNS-type subjectAltName: Windows looks for the
//    address it dials there (error 13801), not in iPAddress;
//  - no extendedKeyUsage, or one without serverAuth: Windows and macOS/iOS refuse the certificate.
std::vector<std::string> client_certificate_warnings(const Config& config);

}  // namespace cygnet::config
