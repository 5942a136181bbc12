#include "ike/eap_tls.hpp"

#include <algorithm>
#include <exception>

namespace cygnet::ike {
namespace {

namespace eap = wire::eap;

constexpr auto kTlsType = static_cast<std::uint8_t>(eap::Type::Tls);
constexpr std::size_t kMaxIdentityLength = 255;
constexpr std::size_t kMskLength = 64;
constexpr std::size_t kKeyMaterialLength = 128;    // MSK || EMSK
constexpr std::uint8_t kCommitmentMessage = 0x00;  // RFC 9190 §2.5

Bytes bare_packet(eap::Code code, std::uint8_t identifier) {
  return eap::serialize_packet(eap::Packet{code, identifier, 0, {}});
}

std::unique_ptr<crypto::TlsSession> new_session(crypto::TlsSettings settings, crypto::TlsRole role,
                                                std::string& error) {
  settings.role = role;
  try {
    return std::make_unique<crypto::TlsSession>(settings);
  } catch (const std::exception& e) {
    error = e.what();
    return nullptr;
  }
}

}  // namespace

std::optional<crypto::SecureBytes> eap_tls_msk(const crypto::TlsSession& tls) {
  const auto version = tls.version();
  if (!version) return std::nullopt;
  static constexpr std::uint8_t kTypeCode[] = {kTlsType};
  const auto material =
      *version == crypto::TlsVersion::Tls13
          ? tls.export_keying_material("EXPORTER_EAP_TLS_Key_Material", ByteView(kTypeCode),
                                       kKeyMaterialLength)
          : tls.export_keying_material("client EAP encryption", std::nullopt, kKeyMaterialLength);
  if (!material) return std::nullopt;
  return crypto::SecureBytes(material->view().first(kMskLength));
}

// ---- authenticator (gateway) ----

EapTlsAuthenticator::EapTlsAuthenticator(EapTlsSettings settings, std::shared_ptr<RandomSource> random)
    : settings_(std::move(settings)),
      random_(std::move(random)),
      reassembler_(settings_.max_message_length),
      fragmenter_(settings_.fragment_size) {}

Bytes EapTlsAuthenticator::start() {
  random_->fill(MutableByteView(&identifier_, 1));
  state_ = State::WaitIdentity;
  return eap::serialize_packet(
      eap::Packet{eap::Code::Request, identifier_, static_cast<std::uint8_t>(eap::Type::Identity), {}});
}

Bytes EapTlsAuthenticator::request(const eap::TlsFragment& fragment) {
  ++identifier_;
  return eap::serialize_packet(
      eap::Packet{eap::Code::Request, identifier_, kTlsType, eap::serialize_tls_fragment(fragment)});
}

EapStep EapTlsAuthenticator::fail(std::string reason) {
  state_ = State::Done;
  return EapStep{EapStatus::Failure, bare_packet(eap::Code::Failure, identifier_), std::move(reason)};
}

EapStep EapTlsAuthenticator::discard(std::string reason) const {
  return EapStep{EapStatus::Discarded, {}, std::move(reason)};
}

EapStep EapTlsAuthenticator::send(Bytes tls_output) {
  return EapStep{EapStatus::Continue, request(fragmenter_.begin(tls_output)), {}};
}

EapStep EapTlsAuthenticator::on_response(ByteView packet) {
  if (state_ == State::Idle || state_ == State::Done) return discard("no EAP conversation in progress");
  if (++rounds_ > kMaxEapTlsRounds)
    return fail("more than " + std::to_string(kMaxEapTlsRounds) + " EAP-TLS messages without a result");
  const auto parsed = eap::parse_packet(packet);
  if (!parsed) return discard("malformed EAP message: " + parsed.failure.detail);
  const eap::Packet& in = *parsed.value;
  if (in.code != eap::Code::Response)
    return discard(std::string("EAP ") + eap::code_name(in.code) + " from the client");
  // RFC 3748 §4.1: a Response whose identifier is not the outstanding Request's is discarded.
  if (in.identifier != identifier_)
    return discard("EAP identifier " + std::to_string(in.identifier) + ", expected " +
                   std::to_string(identifier_) + " (replayed or out of order)");
  if (in.type == static_cast<std::uint8_t>(eap::Type::Nak)) return fail("the client declined EAP-TLS (Nak)");

  if (state_ == State::WaitIdentity) {
    if (in.type != static_cast<std::uint8_t>(eap::Type::Identity))
      return discard("expected EAP Identity, got type " + std::to_string(in.type));
    if (in.type_data.empty() || in.type_data.size() > kMaxIdentityLength)
      return fail("EAP identity empty or longer than 255 bytes");
    identity_.assign(in.type_data.begin(), in.type_data.end());
    std::string error;
    tls_ = new_session(settings_.tls, crypto::TlsRole::Server, error);
    if (!tls_) return fail("our TLS settings are unusable: " + error);
    state_ = State::Handshake;
    eap::TlsFragment start;
    start.start = true;
    return EapStep{EapStatus::Continue, request(start), {}};
  }
  if (in.type != kTlsType) return discard("expected EAP-TLS, got type " + std::to_string(in.type));
  const auto fragment = eap::parse_tls_fragment(in.type_data);
  if (!fragment) return discard("malformed EAP-TLS: " + fragment.failure.detail);
  return on_tls_fragment(*fragment.value);
}

EapStep EapTlsAuthenticator::on_tls_fragment(const eap::TlsFragment& fragment) {
  if (fragment.start) return discard("EAP-TLS Start from the client");
  if (fragment.is_acknowledgement()) {
    if (auto next = fragmenter_.next()) return EapStep{EapStatus::Continue, request(*next), {}};
    if (state_ == State::WaitFinalAck) {
      msk_ = eap_tls_msk(*tls_);
      if (!msk_) return fail("the TLS session has no keying material to export");
      state_ = State::Done;
      return EapStep{EapStatus::Success, bare_packet(eap::Code::Success, identifier_), {}};
    }
    return discard("EAP-TLS acknowledgement with nothing to acknowledge");
  }
  if (fragmenter_.pending())
    return fail("EAP-TLS data from the client while our fragments are unacknowledged");
  if (state_ == State::WaitFinalAck)
    return fail("EAP-TLS data from the client after the TLS handshake finished");
  auto outcome = reassembler_.add(fragment);
  switch (outcome.kind) {
    case EapTlsReassembler::Outcome::Kind::Error: return fail(std::move(outcome.error));
    case EapTlsReassembler::Outcome::Kind::NeedMore:
      return EapStep{EapStatus::Continue, request(eap::TlsFragment{}), {}};  // acknowledged: send more
    case EapTlsReassembler::Outcome::Kind::Complete: break;
  }
  if (tls_->advance(outcome.message) == crypto::TlsSession::State::Failed) return fail(tls_->error());
  Bytes out = tls_->take_output();
  if (tls_->state() == crypto::TlsSession::State::Established) {
    // TLS 1.3 (RFC 9190 §2.5): the commitment message tells the client no more handshake
    // messages follow; TLS 1.2 ends with our Finished.
    if (tls_->version() == crypto::TlsVersion::Tls13) {
      if (!tls_->write(ByteView(&kCommitmentMessage, 1)))
        return fail("TLS: cannot write the commitment message");
      const Bytes more = tls_->take_output();
      out.insert(out.end(), more.begin(), more.end());
    }
    state_ = State::WaitFinalAck;
  }
  if (out.empty()) return fail("the TLS handshake stalled: nothing to send to the client");
  return send(std::move(out));
}

std::vector<crypto::Certificate> EapTlsAuthenticator::client_certificates() const {
  if (!tls_ || tls_->state() != crypto::TlsSession::State::Established) return {};
  return tls_->peer_certificates();
}

std::optional<crypto::TlsVersion> EapTlsAuthenticator::tls_version() const {
  return tls_ ? tls_->version() : std::nullopt;
}

// ---- peer (client) ----

EapTlsPeer::EapTlsPeer(std::string identity, EapTlsSettings settings)
    : identity_(std::move(identity)),
      settings_(std::move(settings)),
      reassembler_(settings_.max_message_length),
      fragmenter_(settings_.fragment_size) {}

EapStep EapTlsPeer::respond(std::uint8_t identifier, std::uint8_t type, Bytes data) {
  last_reply_ = eap::serialize_packet(eap::Packet{eap::Code::Response, identifier, type, std::move(data)});
  return EapStep{EapStatus::Continue, last_reply_, {}};
}

EapStep EapTlsPeer::respond_tls(std::uint8_t identifier, const eap::TlsFragment& fragment) {
  return respond(identifier, kTlsType, eap::serialize_tls_fragment(fragment));
}

EapStep EapTlsPeer::fail(std::string reason) {
  state_ = State::Done;
  return EapStep{EapStatus::Failure, {}, std::move(reason)};
}

bool EapTlsPeer::handshake_finished() const {
  return tls_ && tls_->state() == crypto::TlsSession::State::Established &&
         (tls_->version() == crypto::TlsVersion::Tls12 || commitment_received_);
}

EapStep EapTlsPeer::on_request(ByteView packet) {
  if (state_ == State::Done) return EapStep{EapStatus::Discarded, {}, "EAP conversation already finished"};
  const auto parsed = eap::parse_packet(packet);
  if (!parsed) return EapStep{EapStatus::Discarded, {}, "malformed EAP message: " + parsed.failure.detail};
  // RFC 3748 §4.1: a retransmitted Request gets the original Response again.
  if (!last_reply_.empty() &&
      std::equal(packet.begin(), packet.end(), last_request_.begin(), last_request_.end()))
    return EapStep{EapStatus::Continue, last_reply_, {}};
  if (++rounds_ > kMaxEapTlsRounds)
    return fail("more than " + std::to_string(kMaxEapTlsRounds) + " EAP-TLS messages without a result");
  const eap::Packet& in = *parsed.value;
  switch (in.code) {
    case eap::Code::Success:
      // Only once the TLS handshake proved the gateway (its Finished, and the TLS 1.3 commitment):
      // an early EAP-Success would skip the server's authentication (cf. CVE-2021-45079).
      if (state_ != State::WaitEapSuccess) return fail("EAP-Success before the TLS handshake finished");
      msk_ = eap_tls_msk(*tls_);
      if (!msk_) return fail("the TLS session has no keying material to export");
      state_ = State::Done;
      return EapStep{EapStatus::Success, {}, {}};
    case eap::Code::Failure:
      return fail(tls_ && tls_->state() == crypto::TlsSession::State::Failed
                      ? "the gateway sent EAP-Failure after our TLS failed: " + tls_->error()
                      : "the gateway sent EAP-Failure (it refused our certificate; its log says why)");
    case eap::Code::Response: return EapStep{EapStatus::Discarded, {}, "EAP Response from the gateway"};
    case eap::Code::Request: break;
  }
  last_request_.assign(packet.begin(), packet.end());
  if (in.type == static_cast<std::uint8_t>(eap::Type::Identity)) {
    if (state_ != State::WaitStart)
      return EapStep{EapStatus::Discarded, {}, "EAP Identity request out of order"};
    return respond(in.identifier, in.type, Bytes(identity_.begin(), identity_.end()));
  }
  if (in.type == static_cast<std::uint8_t>(eap::Type::Notification))
    return respond(in.identifier, in.type, {});  // RFC 3748 §5.2: acknowledged, empty
  if (in.type != kTlsType) {
    if (state_ != State::WaitStart) return fail("the gateway switched EAP method mid-conversation");
    return respond(in.identifier, static_cast<std::uint8_t>(eap::Type::Nak), Bytes{kTlsType});
  }
  const auto fragment = eap::parse_tls_fragment(in.type_data);
  if (!fragment) return EapStep{EapStatus::Discarded, {}, "malformed EAP-TLS: " + fragment.failure.detail};
  return on_tls_request(in.identifier, *fragment.value);
}

EapStep EapTlsPeer::on_tls_request(std::uint8_t identifier, const eap::TlsFragment& fragment) {
  if (fragment.start) {
    if (state_ != State::WaitStart) return fail("a second EAP-TLS Start");
    std::string error;
    tls_ = new_session(settings_.tls, crypto::TlsRole::Client, error);
    if (!tls_) return fail("our TLS settings are unusable: " + error);
    if (tls_->advance({}) == crypto::TlsSession::State::Failed) return fail(tls_->error());
    const Bytes hello = tls_->take_output();
    if (hello.empty()) return fail("TLS produced no ClientHello");
    state_ = State::Handshake;
    return respond_tls(identifier, fragmenter_.begin(hello));
  }
  if (state_ == State::WaitStart) return fail("EAP-TLS data before EAP-TLS Start");
  if (fragment.is_acknowledgement()) {
    if (auto next = fragmenter_.next()) return respond_tls(identifier, *next);
    return fail("EAP-TLS acknowledgement with nothing to acknowledge");
  }
  if (fragmenter_.pending())
    return fail("EAP-TLS data from the gateway while our fragments are unacknowledged");
  if (state_ == State::WaitEapSuccess)
    return fail("EAP-TLS data from the gateway after the TLS handshake finished");
  auto outcome = reassembler_.add(fragment);
  switch (outcome.kind) {
    case EapTlsReassembler::Outcome::Kind::Error: return fail(std::move(outcome.error));
    case EapTlsReassembler::Outcome::Kind::NeedMore: return respond_tls(identifier, eap::TlsFragment{});
    case EapTlsReassembler::Outcome::Kind::Complete: break;
  }
  if (tls_->advance(outcome.message) == crypto::TlsSession::State::Failed) return fail(tls_->error());
  const Bytes out = tls_->take_output();
  const Bytes application_data = tls_->read();
  if (!application_data.empty()) {
    if (tls_->version() != crypto::TlsVersion::Tls13 || application_data != Bytes{kCommitmentMessage})
      return fail("unexpected TLS application data from the gateway");
    commitment_received_ = true;
  }
  if (!out.empty()) return respond_tls(identifier, fragmenter_.begin(out));
  if (!handshake_finished()) return fail("the TLS handshake stalled: nothing to answer the gateway with");
  state_ = State::WaitEapSuccess;
  return respond_tls(identifier, eap::TlsFragment{});  // acknowledges the gateway's last flight
}

std::vector<crypto::Certificate> EapTlsPeer::server_certificates() const {
  if (!tls_ || tls_->state() != crypto::TlsSession::State::Established) return {};
  return tls_->peer_certificates();
}

std::optional<crypto::TlsVersion> EapTlsPeer::tls_version() const {
  return tls_ ? tls_->version() : std::nullopt;
}

}  // namespace cygnet::ike
