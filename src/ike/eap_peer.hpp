// The client's half of an EAP conversation inside IKE_AUTH (RFC 7296 §2.16), behind one small
// interface so the IKEv2 EAP task (v2/task_eap.cpp) runs any method the same way: EAP-MSCHAPv2
// (eap_mschapv2.hpp) or EAP-TLS (eap_tls.hpp), chosen by the connection's local_auth.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "crypto/secure_bytes.hpp"
#include "crypto/x509.hpp"
#include "ike/connection_settings.hpp"
#include "ike/eap_mschapv2.hpp"
#include "ike/random_source.hpp"

namespace cygnet::ike {

class EapPeer {
 public:
  virtual ~EapPeer() = default;
  // The gateway's EAP Request, Success or Failure → what to answer (EapStep, eap_mschapv2.hpp).
  virtual EapStep on_request(ByteView packet) = 0;
  virtual const std::optional<crypto::SecureBytes>& msk() const = 0;
  // EAP-TLS: the TLS server's certificates (own first), which the engine checks like IKE
  // certificates before it takes the MSK; empty for other methods.
  virtual std::vector<crypto::Certificate> server_certificates() const { return {}; }
  virtual const char* method_name() const = 0;  // "EAP-MSCHAPv2", "EAP-TLS"
};

// The peer for the connection's local_auth; nullptr when it is not an EAP method.
std::unique_ptr<EapPeer> make_eap_peer(const ConnectionSettings& conn, std::shared_ptr<RandomSource> random);

}  // namespace cygnet::ike
