// EAP-MSCHAPv2 as IKEv2 runs it inside IKE_AUTH (RFC 7296 §2.16): the authenticator (gateway,
// users from [eap_users]) and the peer (client). Both are sans-I/O: an EAP packet in, the EAP
// packet to send back out, and at the end the MSK that keys the final AUTH payloads. Sequence
// (RFC 3748, draft-kamath-pppext-eap-mschapv2-02):
//   Request/Identity → Response/Identity          (skipped when the identity is already known)
//   Request/Challenge → Response/Response         (RFC 2759 NT-Response)
//   Request/Success "S=…" → Response/Success      (the peer checks the authenticator response)
//   EAP-Success
// A wrong password ends with Request/Failure "E=691", its acknowledgement, and EAP-Failure.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "base/bytes.hpp"
#include "crypto/secure_bytes.hpp"
#include "ike/random_source.hpp"
#include "wire/eap_message.hpp"

namespace cygnet::ike {

// The gateway's EAP users: name → NT hash (MD4 of the UTF-16LE password; config turns passwords
// into hashes at load, so no clear password stays in memory).
using EapUsers = std::map<std::string, crypto::SecureBytes, std::less<>>;

enum class EapStatus : std::uint8_t {
  Continue,   // send `reply`, wait for the next packet
  Success,    // authenticated: `reply` (authenticator: EAP-Success) goes out, msk() is set
  Failure,    // refused: `reply` (authenticator: EAP-Failure) goes out when not empty
  Discarded,  // the packet was malformed, replayed or out of order: nothing changes, nothing sent
  Pending,    // an asynchronous server (eap_radius_relay.hpp) answers later: the request waits
};
const char* eap_status_name(EapStatus s);

struct EapStep {
  EapStatus status = EapStatus::Discarded;
  Bytes reply;         // an EAP packet, for the EAP payload
  std::string reason;  // for Failure and Discarded: what happened, for the log (never a secret)
};

// At most this many packets (answered or discarded) per conversation: a peer cannot keep an
// IKE SA in authentication forever.
inline constexpr unsigned kMaxEapRounds = 8;

class EapMsChapV2Authenticator {
 public:
  // users must outlive the authenticator. known_identity: the EAP identity when it is already
  // known (the IKE identity), so the conversation starts with the Challenge.
  EapMsChapV2Authenticator(const EapUsers& users, std::shared_ptr<RandomSource> random,
                           std::optional<std::string> known_identity = std::nullopt);

  Bytes start();  // the first Request
  EapStep on_response(ByteView packet);

  const std::string& eap_identity() const { return identity_; }  // empty until known
  const std::optional<crypto::SecureBytes>& msk() const { return msk_; }
  bool finished() const { return state_ == State::Done; }

 private:
  enum class State : std::uint8_t { Idle, WaitIdentity, WaitResponse, WaitSuccessAck, WaitFailureAck, Done };
  Bytes request(wire::eap::MsChapV2Message message);
  Bytes challenge_request();
  EapStep verify(const wire::eap::MsChapV2Response& response);
  EapStep fail(std::string reason, bool send_failure);

  const EapUsers& users_;
  std::shared_ptr<RandomSource> random_;
  State state_ = State::Idle;
  std::uint8_t identifier_ = 0;
  unsigned rounds_ = 0;
  std::string identity_;
  std::array<std::uint8_t, wire::eap::kMsChapV2ChallengeLength> challenge_{};
  std::string failure_reason_;
  std::optional<crypto::SecureBytes> msk_;
};

class EapMsChapV2Peer {
 public:
  // password_hash: NtPasswordHash of the password (crypto/mschapv2.hpp).
  EapMsChapV2Peer(std::string identity, crypto::SecureBytes password_hash,
                  std::shared_ptr<RandomSource> random);

  EapStep on_request(ByteView packet);

  const std::string& eap_identity() const { return identity_; }
  const std::optional<crypto::SecureBytes>& msk() const { return msk_; }

 private:
  enum class State : std::uint8_t { WaitChallenge, WaitResult, WaitEapSuccess, WaitEapFailure, Done };
  EapStep respond(std::uint8_t identifier, wire::eap::Type type, Bytes data);
  EapStep fail(std::string reason);

  std::string identity_;
  crypto::SecureBytes password_hash_;
  std::shared_ptr<RandomSource> random_;
  State state_ = State::WaitChallenge;
  unsigned rounds_ = 0;
  std::optional<std::uint8_t> last_identifier_;
  Bytes last_request_;
  Bytes last_reply_;
  std::string expected_authenticator_response_;
  crypto::SecureBytes pending_msk_;  // derived with the response; released on EAP-Success
  std::optional<crypto::SecureBytes> msk_;
};

}  // namespace cygnet::ike
