#include "ike/eap_mschapv2.hpp"

#include <algorithm>
#include <cctype>

#include "crypto/constant_time.hpp"
#include "crypto/error.hpp"
#include "crypto/mschapv2.hpp"

namespace cygnet::ike {
namespace {

namespace eap = wire::eap;
namespace mschapv2 = crypto::mschapv2;

constexpr std::size_t kMaxIdentityLength = 255;

ByteView text_bytes(std::string_view text) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

// Peer-supplied text for a log line: printable ASCII only, bounded.
std::string printable(std::string_view text, std::size_t limit = 64) {
  std::string out;
  for (char c : text.substr(0, limit)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  if (text.size() > limit) out += "...";
  return out;
}

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::toupper(c); });
  return out;
}

Bytes bare_packet(eap::Code code, std::uint8_t identifier) {
  return eap::serialize_packet(eap::Packet{code, identifier, 0, {}});
}

constexpr auto kMsChapV2Type = static_cast<std::uint8_t>(eap::Type::MsChapV2);

}  // namespace

const char* eap_status_name(EapStatus s) {
  switch (s) {
    case EapStatus::Continue: return "continue";
    case EapStatus::Success: return "success";
    case EapStatus::Failure: return "failure";
    case EapStatus::Discarded: return "discarded";
    case EapStatus::Pending: return "pending";
  }
  return "unknown";
}

// ---- authenticator (gateway) ----

EapMsChapV2Authenticator::EapMsChapV2Authenticator(const EapUsers& users,
                                                   std::shared_ptr<RandomSource> random,
                                                   std::optional<std::string> known_identity)
    : users_(users), random_(std::move(random)), identity_(known_identity.value_or("")) {}

Bytes EapMsChapV2Authenticator::request(eap::MsChapV2Message message) {
  return eap::serialize_packet(
      eap::Packet{eap::Code::Request, identifier_, kMsChapV2Type, eap::serialize_mschapv2(message)});
}

Bytes EapMsChapV2Authenticator::challenge_request() {
  ++identifier_;
  random_->fill(challenge_);
  eap::MsChapV2Challenge challenge;
  challenge.ms_chap_id = identifier_;
  challenge.challenge = challenge_;
  challenge.name = "cygnet";
  state_ = State::WaitResponse;
  return request(challenge);
}

Bytes EapMsChapV2Authenticator::start() {
  std::uint8_t first = 0;
  random_->fill(MutableByteView(&first, 1));
  identifier_ = first;
  if (!identity_.empty()) return challenge_request();
  state_ = State::WaitIdentity;
  return eap::serialize_packet(
      eap::Packet{eap::Code::Request, identifier_, static_cast<std::uint8_t>(eap::Type::Identity), {}});
}

EapStep EapMsChapV2Authenticator::fail(std::string reason, bool send_failure) {
  state_ = State::Done;
  return EapStep{EapStatus::Failure, send_failure ? bare_packet(eap::Code::Failure, identifier_) : Bytes{},
                 std::move(reason)};
}

EapStep EapMsChapV2Authenticator::on_response(ByteView packet) {
  if (state_ == State::Idle || state_ == State::Done)
    return EapStep{EapStatus::Discarded, {}, "no EAP conversation in progress"};
  if (++rounds_ > kMaxEapRounds)
    return fail("more than " + std::to_string(kMaxEapRounds) + " EAP messages without a result", true);
  const auto parsed = eap::parse_packet(packet);
  if (!parsed) return EapStep{EapStatus::Discarded, {}, "malformed EAP message: " + parsed.failure.detail};
  const eap::Packet& in = *parsed.value;
  if (in.code != eap::Code::Response)
    return EapStep{
        EapStatus::Discarded, {}, std::string("EAP ") + eap::code_name(in.code) + " from the client"};
  // RFC 3748 §4.1: a Response whose identifier is not the outstanding Request's is discarded.
  if (in.identifier != identifier_)
    return EapStep{EapStatus::Discarded,
                   {},
                   "EAP identifier " + std::to_string(in.identifier) + ", expected " +
                       std::to_string(identifier_) + " (replayed or out of order)"};
  if (in.type == static_cast<std::uint8_t>(eap::Type::Nak))
    return fail("the client declined EAP-MSCHAPv2 (Nak)", true);

  if (state_ == State::WaitIdentity) {
    if (in.type != static_cast<std::uint8_t>(eap::Type::Identity))
      return EapStep{EapStatus::Discarded, {}, "expected EAP Identity, got type " + std::to_string(in.type)};
    if (in.type_data.empty() || in.type_data.size() > kMaxIdentityLength)
      return fail("EAP identity empty or longer than 255 bytes", true);
    identity_.assign(in.type_data.begin(), in.type_data.end());
    return EapStep{EapStatus::Continue, challenge_request(), {}};
  }
  if (in.type != kMsChapV2Type)
    return EapStep{EapStatus::Discarded, {}, "expected EAP-MSCHAPv2, got type " + std::to_string(in.type)};
  const auto method = eap::parse_mschapv2(in.code, in.type_data);
  if (!method) return EapStep{EapStatus::Discarded, {}, "malformed EAP-MSCHAPv2: " + method.failure.detail};

  switch (state_) {
    case State::WaitResponse:
      if (const auto* response = std::get_if<eap::MsChapV2Response>(&*method.value)) return verify(*response);
      break;
    case State::WaitSuccessAck:
      if (const auto* ack = std::get_if<eap::MsChapV2Acknowledgement>(&*method.value);
          ack != nullptr && ack->op_code == eap::MsChapV2OpCode::Success) {
        state_ = State::Done;
        return EapStep{EapStatus::Success, bare_packet(eap::Code::Success, identifier_), {}};
      }
      break;
    case State::WaitFailureAck:
      if (const auto* ack = std::get_if<eap::MsChapV2Acknowledgement>(&*method.value);
          ack != nullptr && ack->op_code == eap::MsChapV2OpCode::Failure)
        return fail(failure_reason_, true);
      break;
    case State::Idle:
    case State::WaitIdentity:
    case State::Done: break;
  }
  return EapStep{EapStatus::Discarded, {}, "EAP-MSCHAPv2 message out of order"};
}

EapStep EapMsChapV2Authenticator::verify(const eap::MsChapV2Response& response) {
  const auto user = users_.find(identity_);
  const std::string who = "EAP identity '" + printable(identity_) + "'";
  if (user == users_.end()) {
    // Same answer as a wrong password: the client cannot probe which users exist.
    failure_reason_ = "unknown " + who;
  } else {
    const mschapv2::NtResponse expected = mschapv2::generate_nt_response(challenge_, response.peer_challenge,
                                                                         response.name, user->second.view());
    if (crypto::equal_constant_time(expected, response.nt_response)) {
      msk_ = mschapv2::msk(user->second.view(), response.nt_response);
      const std::string authenticator_response = mschapv2::generate_authenticator_response(
          user->second.view(), response.nt_response, response.peer_challenge, challenge_, response.name);
      ++identifier_;
      state_ = State::WaitSuccessAck;
      return EapStep{EapStatus::Continue,
                     request(eap::MsChapV2Result{eap::MsChapV2OpCode::Success, response.ms_chap_id,
                                                 authenticator_response + " M=Welcome"}),
                     {}};
    }
    failure_reason_ = "wrong password for " + who;
  }
  ++identifier_;
  state_ = State::WaitFailureAck;
  // E=691 (authentication failure), R=0 (no retry), C: the challenge, V=3 (draft-kamath §2.5).
  // The reason goes with this Continue already: many clients (strongSwan among them) do not
  // acknowledge the Failure but leave, so the refusal must be told now.
  return EapStep{EapStatus::Continue,
                 request(eap::MsChapV2Result{eap::MsChapV2OpCode::Failure, response.ms_chap_id,
                                             "E=691 R=0 C=" + upper(to_hex(challenge_)) + " V=3 M=Denied"}),
                 failure_reason_};
}

// ---- peer (client) ----

EapMsChapV2Peer::EapMsChapV2Peer(std::string identity, crypto::SecureBytes password_hash,
                                 std::shared_ptr<RandomSource> random)
    : identity_(std::move(identity)), password_hash_(std::move(password_hash)), random_(std::move(random)) {}

EapStep EapMsChapV2Peer::respond(std::uint8_t identifier, eap::Type type, Bytes data) {
  last_reply_ = eap::serialize_packet(
      eap::Packet{eap::Code::Response, identifier, static_cast<std::uint8_t>(type), std::move(data)});
  return EapStep{EapStatus::Continue, last_reply_, {}};
}

EapStep EapMsChapV2Peer::fail(std::string reason) {
  state_ = State::Done;
  return EapStep{EapStatus::Failure, {}, std::move(reason)};
}

EapStep EapMsChapV2Peer::on_request(ByteView packet) {
  if (state_ == State::Done) return EapStep{EapStatus::Discarded, {}, "EAP conversation already finished"};
  const auto parsed = eap::parse_packet(packet);
  if (!parsed) return EapStep{EapStatus::Discarded, {}, "malformed EAP message: " + parsed.failure.detail};
  // RFC 3748 §4.1: a retransmitted Request gets the original Response again.
  if (!last_reply_.empty() &&
      std::equal(packet.begin(), packet.end(), last_request_.begin(), last_request_.end()))
    return EapStep{EapStatus::Continue, last_reply_, {}};
  if (++rounds_ > kMaxEapRounds)
    return fail("more than " + std::to_string(kMaxEapRounds) + " EAP messages without a result");
  const eap::Packet& in = *parsed.value;

  switch (in.code) {
    case eap::Code::Success:
      // An EAP-Success before the gateway proved it knows the password would let a fake gateway
      // skip MSCHAPv2's mutual authentication.
      if (state_ != State::WaitEapSuccess) return fail("EAP-Success before the gateway's MSCHAPv2 Success");
      msk_ = std::move(pending_msk_);
      state_ = State::Done;
      return EapStep{EapStatus::Success, {}, {}};
    case eap::Code::Failure:
      return fail(state_ == State::WaitEapFailure ? expected_authenticator_response_
                                                  : "the gateway sent EAP-Failure");
    case eap::Code::Response: return EapStep{EapStatus::Discarded, {}, "EAP Response from the gateway"};
    case eap::Code::Request: break;
  }
  last_request_.assign(packet.begin(), packet.end());

  if (in.type == static_cast<std::uint8_t>(eap::Type::Identity)) {
    if (state_ != State::WaitChallenge)
      return EapStep{EapStatus::Discarded, {}, "EAP Identity request out of order"};
    return respond(in.identifier, eap::Type::Identity, Bytes(identity_.begin(), identity_.end()));
  }
  if (in.type == static_cast<std::uint8_t>(eap::Type::Notification))
    return respond(in.identifier, eap::Type::Notification, {});  // RFC 3748 §5.2: acknowledged, empty
  if (in.type != kMsChapV2Type) {
    if (state_ != State::WaitChallenge) return fail("the gateway switched EAP method mid-conversation");
    return respond(in.identifier, eap::Type::Nak,
                   Bytes{kMsChapV2Type});  // legacy Nak: we speak only MSCHAPv2
  }
  const auto method = eap::parse_mschapv2(in.code, in.type_data);
  if (!method) return EapStep{EapStatus::Discarded, {}, "malformed EAP-MSCHAPv2: " + method.failure.detail};

  if (const auto* challenge = std::get_if<eap::MsChapV2Challenge>(&*method.value)) {
    if (state_ != State::WaitChallenge) return EapStep{EapStatus::Discarded, {}, "second MSCHAPv2 Challenge"};
    eap::MsChapV2Response response;
    response.ms_chap_id = challenge->ms_chap_id;
    random_->fill(response.peer_challenge);
    response.nt_response = mschapv2::generate_nt_response(challenge->challenge, response.peer_challenge,
                                                          identity_, password_hash_.view());
    response.name = identity_;
    expected_authenticator_response_ =
        mschapv2::generate_authenticator_response(password_hash_.view(), response.nt_response,
                                                  response.peer_challenge, challenge->challenge, identity_);
    pending_msk_ = mschapv2::msk(password_hash_.view(), response.nt_response);
    state_ = State::WaitResult;
    return respond(in.identifier, eap::Type::MsChapV2, eap::serialize_mschapv2(response));
  }
  const auto* result = std::get_if<eap::MsChapV2Result>(&*method.value);
  if (result == nullptr || state_ != State::WaitResult)
    return EapStep{EapStatus::Discarded, {}, "EAP-MSCHAPv2 message out of order"};
  if (result->op_code == eap::MsChapV2OpCode::Success) {
    const std::string received =
        upper(std::string_view(result->message).substr(0, mschapv2::kAuthenticatorResponseLength));
    if (!crypto::equal_constant_time(text_bytes(received), text_bytes(expected_authenticator_response_)))
      return fail("the gateway's MSCHAPv2 authenticator response is wrong: it does not know the password");
    state_ = State::WaitEapSuccess;
    return respond(in.identifier, eap::Type::MsChapV2,
                   eap::serialize_mschapv2(eap::MsChapV2Acknowledgement{eap::MsChapV2OpCode::Success}));
  }
  // Kept as the reason logged when the EAP-Failure arrives.
  expected_authenticator_response_ = "the gateway refused the password (" + printable(result->message) + ")";
  state_ = State::WaitEapFailure;
  return respond(in.identifier, eap::Type::MsChapV2,
                 eap::serialize_mschapv2(eap::MsChapV2Acknowledgement{eap::MsChapV2OpCode::Failure}));
}

}  // namespace cygnet::ike
