// The gateway's half of an EAP conversation inside IKE_AUTH (RFC 7296 §2.16), behind one small
// interface so the IKEv2 EAP task (v2/task_eap.cpp) does not care who checks the client: today a
// local EAP-MSCHAPv2 authenticator over the [eap_users]; a RADIUS relay (RFC 3579) later.
//
// A server may answer asynchronously: the RADIUS relay (eap_radius_relay.hpp) answers
// EapStatus::Pending, the EAP task parks the IKE_AUTH request (v2/eap_radius_parking.cpp) and
// processes it again, with the same EAP Response, once the RADIUS answer is in.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "crypto/secure_bytes.hpp"
#include "crypto/x509.hpp"
#include "ike/connection_settings.hpp"
#include "ike/eap_mschapv2.hpp"
#include "ike/random_source.hpp"

namespace cygnet::ike {

class EapServer {
 public:
  virtual ~EapServer() = default;
  // The first EAP Request (an Identity request, or the method's first when the identity is known).
  virtual Bytes start() = 0;
  // The client's EAP Response → what to send back (EapStep, eap_mschapv2.hpp). Bounded: after
  // kMaxEapRounds packets the conversation fails.
  virtual EapStep on_response(ByteView packet) = 0;
  virtual std::string eap_identity() const = 0;  // empty until the client named itself
  // The MSK that keys the final AUTH payloads; null until the conversation succeeded.
  virtual const crypto::SecureBytes* msk() const = 0;
  // The certificates the client proved it holds the key of (EAP-TLS, own first), which the engine
  // checks like IKE certificates before the EAP-Success goes out; empty for other methods.
  virtual std::vector<crypto::Certificate> client_certificates() const { return {}; }
};

// The server for a connection's `remote_auth`: EAP-MSCHAPv2 over `users`, or the RADIUS relay (kept alive by
// the server, so reloading [eap_users] does not pull them from under a running conversation).
std::unique_ptr<EapServer> make_eap_server(AuthMethod method, std::shared_ptr<const EapUsers> users,
                                           std::shared_ptr<RandomSource> random);

}  // namespace cygnet::ike
