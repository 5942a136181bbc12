// The gateway's EAP server for `remote_auth = "eap-radius"`: it asks the client's EAP identity
// itself (so the RADIUS User-Name is the EAP identity, as strongSwan's eap-radius does) and relays
// every later EAP Response to a RADIUS server (RFC 3579), whatever the method: the server decides.
//
// The answer comes asynchronously. on_response() checks the client's Response and answers
// EapStatus::Pending; the engine then takes query() into a RadiusAccessRequest action and parks
// the IKE_AUTH request (v2/eap_radius_parking.cpp). When the daemon's answer arrives, deliver()
// keeps it and the engine processes the parked request again: on_response() sees the same packet
// and turns the answer into the EapStep the EAP task expects (Challenge → Continue, Accept →
// Success with the MSK from the MS-MPPE keys, Reject / no answer → Failure with EAP-Failure).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/bytes.hpp"
#include "ike/eap_server.hpp"
#include "ike/engine.hpp"
#include "ike/random_source.hpp"

namespace cygnet::ike {

// RADIUS carries longer conversations than EAP-MSCHAPv2 alone (EAP-TLS or PEAP through the server
// take a dozen rounds or more), so the bound is wider than kMaxEapRounds.
inline constexpr unsigned kMaxRadiusEapRounds = 64;

// What to put into the next Access-Request.
struct RadiusQuery {
  std::string user_name;
  Bytes eap_message;
  Bytes state;
  std::optional<std::size_t> server;
};

class EapRadiusRelay final : public EapServer {
 public:
  explicit EapRadiusRelay(std::shared_ptr<RandomSource> random) : random_(std::move(random)) {}

  Bytes start() override;  // EAP Request/Identity
  EapStep on_response(ByteView packet) override;
  std::string eap_identity() const override { return identity_; }
  const crypto::SecureBytes* msk() const override { return msk_ ? &*msk_ : nullptr; }

  // After on_response() answered Pending: the Access-Request to send.
  RadiusQuery query() const;
  // The server's answer for the Response on_response() left pending; used by the next
  // on_response() call with that same packet.
  void deliver(RadiusAnswer answer);

 private:
  EapStep answer_step(RadiusAnswer answer);
  EapStep fail(std::string reason, Bytes eap_failure);

  std::shared_ptr<RandomSource> random_;
  std::uint8_t identifier_ = 0;  // of the EAP Request the client must answer
  bool started_ = false;
  bool done_ = false;
  unsigned rounds_ = 0;
  std::string identity_;
  Bytes state_;  // the last Access-Challenge's State
  std::optional<std::size_t> server_;
  std::optional<Bytes> pending_;  // the client's Response relayed, waiting for the answer
  std::optional<RadiusAnswer> answer_;
  std::optional<crypto::SecureBytes> msk_;
};

}  // namespace cygnet::ike
