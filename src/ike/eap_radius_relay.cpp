#include "ike/eap_radius_relay.hpp"

#include <algorithm>

#include "wire/eap_message.hpp"

namespace cygnet::ike {

namespace eap = wire::eap;

namespace {

constexpr std::size_t kMaxUserName = 253;  // one RADIUS attribute (RFC 2865 §5.1)
// Recv-Key || Send-Key (RFC 2548). EAP-MSCHAPv2 derives 32 bytes (two 16-byte master keys, RFC
// 3079), as the client does; shorter is no key.
constexpr std::size_t kMinMskLength = 32;

Bytes bare_packet(eap::Code code, std::uint8_t identifier) {
  return eap::serialize_packet(eap::Packet{code, identifier, 0, {}});
}

// EAP-MSCHAPv2 Failure Request (draft-kamath §2.5: type 26, OpCode 4): the server refused the
// password and asks the client to acknowledge before it sends Access-Reject.
bool is_mschapv2_failure_request(const eap::Packet& p) {
  return p.code == eap::Code::Request && p.type == static_cast<std::uint8_t>(eap::Type::MsChapV2) &&
         !p.type_data.empty() && p.type_data[0] == 4;
}

}  // namespace

Bytes EapRadiusRelay::start() {
  random_->fill(MutableByteView(&identifier_, 1));
  started_ = true;
  return eap::serialize_packet(
      eap::Packet{eap::Code::Request, identifier_, static_cast<std::uint8_t>(eap::Type::Identity), {}});
}

EapStep EapRadiusRelay::fail(std::string reason, Bytes eap_failure) {
  done_ = true;
  pending_.reset();
  answer_.reset();
  if (eap_failure.empty()) eap_failure = bare_packet(eap::Code::Failure, identifier_);
  return EapStep{EapStatus::Failure, std::move(eap_failure), std::move(reason)};
}

EapStep EapRadiusRelay::on_response(ByteView packet) {
  if (pending_) {
    // The parked request processed again, with the server's answer in.
    if (answer_ && std::equal(pending_->begin(), pending_->end(), packet.begin(), packet.end())) {
      RadiusAnswer answer = std::move(*answer_);
      answer_.reset();
      pending_.reset();
      return answer_step(std::move(answer));
    }
    return EapStep{EapStatus::Discarded, {}, "a RADIUS answer is still outstanding"};
  }
  if (!started_ || done_) return EapStep{EapStatus::Discarded, {}, "no EAP conversation in progress"};
  if (++rounds_ > kMaxRadiusEapRounds)
    return fail("more than " + std::to_string(kMaxRadiusEapRounds) + " EAP messages without a result", {});
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
  if (identity_.empty()) {
    if (in.type != static_cast<std::uint8_t>(eap::Type::Identity))
      return EapStep{EapStatus::Discarded, {}, "expected EAP Identity, got type " + std::to_string(in.type)};
    if (in.type_data.empty() || in.type_data.size() > kMaxUserName)
      return fail("EAP identity empty or longer than " + std::to_string(kMaxUserName) + " bytes", {});
    identity_.assign(in.type_data.begin(), in.type_data.end());
  }
  pending_ = Bytes(packet.begin(), packet.end());
  return EapStep{EapStatus::Pending, {}, {}};
}

RadiusQuery EapRadiusRelay::query() const {
  return RadiusQuery{identity_, pending_.value_or(Bytes{}), state_, server_};
}

void EapRadiusRelay::deliver(RadiusAnswer answer) {
  if (pending_) answer_ = std::move(answer);
}

EapStep EapRadiusRelay::answer_step(RadiusAnswer answer) {
  server_ = answer.server;
  const auto packet = eap::parse_packet(answer.eap_message);
  switch (answer.outcome) {
    case RadiusAnswer::Outcome::Challenge: {
      if (!packet || packet.value->code != eap::Code::Request)
        return fail("the RADIUS server's Access-Challenge carries no EAP Request", {});
      identifier_ = packet.value->identifier;
      state_ = std::move(answer.state);
      // With a reason, the EAP task logs the refusal now: the client may leave without answering.
      std::string reason;
      if (is_mschapv2_failure_request(*packet.value))
        reason = "the RADIUS server refused the MS-CHAPv2 response (wrong password?)";
      return EapStep{EapStatus::Continue, std::move(answer.eap_message), std::move(reason)};
    }
    case RadiusAnswer::Outcome::Accept: {
      if (!answer.msk || answer.msk->size() < kMinMskLength)
        return fail(
            "the RADIUS server accepted the client but sent no MS-MPPE keys: no MSK to bind into AUTH", {});
      done_ = true;
      msk_ = std::move(answer.msk);
      Bytes success = packet && packet.value->code == eap::Code::Success
                          ? std::move(answer.eap_message)
                          : bare_packet(eap::Code::Success, identifier_);
      return EapStep{EapStatus::Success, std::move(success), {}};
    }
    case RadiusAnswer::Outcome::Reject:
      return fail(
          "the RADIUS server rejected the client (Access-Reject)" +
              (answer.reason.empty() ? std::string() : ": " + answer.reason),
          packet && packet.value->code == eap::Code::Failure ? std::move(answer.eap_message) : Bytes{});
    case RadiusAnswer::Outcome::Failed: break;
  }
  return fail("no usable RADIUS answer: " + answer.reason, {});
}

}  // namespace cygnet::ike
