// The peer's certificates, as IKEv2 and IKEv1 both check them: parse the CERT payloads (end entity
// first, then intermediates, capped), validate the chain against the connection's CAs, check
// keyUsage/extendedKeyUsage and that the certificate is entitled to the peer's identity. Every
// refusal names the certificate, the check and what would have passed.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/bytes.hpp"
#include "crypto/x509.hpp"
#include "ike/connection_settings.hpp"
#include "ike/identity.hpp"

namespace cygnet::ike {

struct AcceptedPeerCertificate {
  crypto::Certificate end_entity;
  std::vector<crypto::Certificate> chain;  // end entity first, trust anchor last
  crypto::PublicKey key;                   // the end entity's, to verify AUTH / SIG with
};

// `certificate_ders`: the X.509 CERT payloads in the order received. Returns the accepted
// certificate or the reason for AUTHENTICATION_FAILED.
std::variant<AcceptedPeerCertificate, std::string> check_peer_certificates(
    const ConnectionSettings& conn, const std::vector<ByteView>& certificate_ders, const Identity& peer_id,
    crypto::WallClock at);

// The fix `cygnetctl why` offers for a certificate refusal worded by check_peer_certificates.
std::string certificate_failure_fix(std::string_view why);

// Our certificates to send, leaf first then our intermediates: the intermediates go along when the
// peer sent no CERTREQ, or asked for a CA our chain leads to (RFC 7296 §3.7: CERTREQ names CAs by
// the SHA-1 of their SubjectPublicKeyInfo); the leaf always goes.
std::vector<crypto::Certificate> certificates_to_send(const ConnectionSettings& conn,
                                                      const std::vector<Bytes>& requested_ca_key_hashes);
// The same for IKEv1, whose CERT_REQUEST names a CA by its DER subject name (RFC 2408 §3.10); an
// empty name asks for any CA.
std::vector<crypto::Certificate> certificates_to_send_by_name(const ConnectionSettings& conn,
                                                              const std::vector<Bytes>& requested_ca_names);

}  // namespace cygnet::ike
