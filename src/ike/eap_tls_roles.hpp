// EAP-TLS for a connection: the gateway's server behind EapServer (remote_auth = "eap-tls") and
// the client's peer (local_auth = "eap-tls"), both with the connection's own certificate, key and
// intermediates as the TLS certificate.
//
// TLS 1.2 only, for now: strongSwan (5.9.8 as Debian 12 ships it, and later) negotiates at most
// TLS 1.2 in EAP-TLS unless its libtls.version_max is raised, and the Windows, macOS and Android
// clients do not all speak EAP-TLS 1.3. The method itself does TLS 1.3 (RFC 9190, unit-tested
// Cygnet to Cygnet); raising kEapTlsMaxVersion turns it on.
#pragma once

#include <memory>

#include "crypto/tls_session.hpp"
#include "ike/connection_settings.hpp"
#include "ike/eap_server.hpp"
#include "ike/eap_tls.hpp"
#include "ike/random_source.hpp"

namespace cygnet::ike {

inline constexpr crypto::TlsVersion kEapTlsMaxVersion = crypto::TlsVersion::Tls12;

EapTlsSettings eap_tls_settings(const ConnectionSettings& conn);
std::unique_ptr<EapServer> make_eap_tls_server(const ConnectionSettings& conn,
                                               std::shared_ptr<RandomSource> random);

}  // namespace cygnet::ike
