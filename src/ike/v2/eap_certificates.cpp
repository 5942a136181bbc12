// EAP-TLS certificates, checked like IKE certificates (RFC 5216 §5.3 leaves the policy to the
// server; ours is the IKE one): the gateway checks the client's certificate from the TLS
// handshake, the client the TLS server's, with check_peer_certificates (chain to the configured
// CAs, validity, keyUsage/EKU, entitlement to the IKE identity) and then the revocation checker,
// which may park the message until the CRL / OCSP answer is in (revocation_parking.cpp).
#include "ike/peer_certificate.hpp"
#include "ike/v2/ikev2_engine.hpp"

namespace cygnet::ike {

namespace {
crypto::WallClock wall_time(const EngineOptions& o, TimePoint now) {
  return *o.wall_origin + std::chrono::duration_cast<crypto::WallClock::duration>(now - o.steady_origin);
}
}  // namespace

RevocationGate v2::Ikev2Engine::eap_certificate_gate(IkeSa& sa, const ConnectionSettings& conn,
                                                     const std::vector<crypto::Certificate>& certificates,
                                                     const Identity& identity, bool is_request,
                                                     const std::vector<ikev2::Payload>& in, Task* task,
                                                     TimePoint now) {
  if (certificates.empty()) return RevocationGate{};
  std::vector<Bytes> ders;
  ders.reserve(certificates.size());
  for (const crypto::Certificate& c : certificates) ders.push_back(c.der());
  const std::vector<ByteView> views(ders.begin(), ders.end());
  auto checked = check_peer_certificates(conn, views, identity, wall_time(options, now));
  if (const auto* why = std::get_if<std::string>(&checked))
    return RevocationGate{RevocationGate::Kind::Refuse, *why, 0};
  const auto& accepted = std::get<AcceptedPeerCertificate>(checked);
  return revocation_gate(sa, conn, accepted.chain, is_request, in, task, now);
}

}  // namespace cygnet::ike
