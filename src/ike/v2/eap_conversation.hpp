// What one IKE SA remembers while IKE_AUTH runs EAP (RFC 7296 §2.16, v2/task_eap.cpp), in either
// role. Freed once the final AUTH pair is exchanged; only the EAP identity stays (IkeSa::eap_identity).
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "base/bytes.hpp"
#include "crypto/secure_bytes.hpp"
#include "ike/eap_mschapv2.hpp"
#include "ike/eap_peer.hpp"
#include "ike/eap_server.hpp"
#include "wire/ikev2_message.hpp"

namespace cygnet::ike {

struct EapConversation {
  // Gateway: the EAP server, the client's first IKE_AUTH request (its CP, SA and TS are answered
  // once the client proved itself), and the EAP Request we sent last (sent again when the
  // client's answer is discarded as malformed, replayed or out of order).
  std::unique_ptr<EapServer> server;
  std::vector<wire::ikev2::Payload> first_request;
  Bytes last_request;
  // Gateway, an EAP server answering asynchronously (EAP-RADIUS): the IKE_AUTH request waiting for
  // the RadiusAccessRequest `request`, processed again when its answer comes (eap_radius_parking.cpp).
  struct Waiting {
    std::uint64_t request = 0;
    std::uint32_t message_id = 0;
    std::vector<wire::ikev2::Payload> payloads;
  };
  std::optional<Waiting> waiting;
  // Client: the EAP peer.
  std::unique_ptr<EapPeer> peer;
  // Both: the ID payloads the final AUTH payloads sign (§2.15: the MSK takes the PSK's place).
  wire::ikev2::IdPayload initiator_id;
  wire::ikev2::IdPayload responder_id;
  // EAP-TLS: the method succeeded and the message is parked while the revocation status of the
  // peer's certificate is fetched (revocation_parking.cpp); resuming starts from this step.
  std::optional<EapStep> awaiting_revocation;
  // Set when EAP succeeded: only the AUTH pair is left.
  std::optional<crypto::SecureBytes> msk;
};

}  // namespace cygnet::ike
