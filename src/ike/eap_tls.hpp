// EAP-TLS (RFC 5216; RFC 9190 for TLS 1.3) as IKEv2 runs it inside IKE_AUTH (RFC 7296 §2.16):
// the authenticator (gateway) and the peer (client), sans-I/O like eap_mschapv2.hpp. The TLS
// itself is OpenSSL's (crypto/tls_session.hpp); here are the EAP rounds around it:
//
//   gateway                                   client
//   Request/Identity                    →
//                                       ←     Response/Identity
//   Request/EAP-TLS Start (S)           →
//                                       ←     Response: ClientHello
//   Request: ServerHello … Done         →     (fragments, each acknowledged by an empty packet)
//                                       ←     Response: Certificate … Finished
//   Request: ChangeCipherSpec, Finished →     (TLS 1.3: the one-byte commitment message, §2.5)
//                                       ←     Response: empty (acknowledgement)
//   EAP-Success                         →
//
// MSK = the first 64 bytes of TLS-PRF-128(master secret, "client EAP encryption",
// client.random || server.random) for TLS 1.2 (RFC 5216 §2.3), of TLS-Exporter(
// "EXPORTER_EAP_TLS_Key_Material", 0x0D, 128) for TLS 1.3 (RFC 9190 §2.3).
//
// Neither side judges the other's certificate here: the method ends with the certificates the
// peer proved it holds the key of, and the IKE engine checks them exactly as it checks IKE
// certificates (chain to the configured CAs, validity, EKU, identity, revocation) before it lets
// the EAP-Success go out or accepts it (v2/task_eap.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "crypto/secure_bytes.hpp"
#include "crypto/tls_session.hpp"
#include "crypto/x509.hpp"
#include "ike/eap_mschapv2.hpp"  // EapStep, EapStatus
#include "ike/eap_tls_fragmentation.hpp"
#include "ike/random_source.hpp"

namespace cygnet::ike {

// EAP packets per EAP-TLS conversation (answered or discarded): a handshake with 1024-byte
// fragments and long chains takes about 20.
inline constexpr unsigned kMaxEapTlsRounds = 48;

struct EapTlsSettings {
  crypto::TlsSettings tls;  // role set by the side
  std::size_t fragment_size = kDefaultEapTlsFragmentSize;
  std::size_t max_message_length = kMaxEapTlsMessageLength;
};

// The MSK of an established EAP-TLS session (RFC 5216 §2.3 / RFC 9190 §2.3), 64 bytes.
std::optional<crypto::SecureBytes> eap_tls_msk(const crypto::TlsSession& tls);

class EapTlsAuthenticator {
 public:
  EapTlsAuthenticator(EapTlsSettings settings, std::shared_ptr<RandomSource> random);

  Bytes start();  // Request/Identity
  EapStep on_response(ByteView packet);

  const std::string& eap_identity() const { return identity_; }
  const std::optional<crypto::SecureBytes>& msk() const { return msk_; }
  // The client's certificates (its own first) once the handshake is done; empty before.
  std::vector<crypto::Certificate> client_certificates() const;
  std::optional<crypto::TlsVersion> tls_version() const;

 private:
  enum class State : std::uint8_t { Idle, WaitIdentity, Handshake, WaitFinalAck, Done };
  Bytes request(const wire::eap::TlsFragment& fragment);
  EapStep send(Bytes tls_output);
  EapStep fail(std::string reason);
  EapStep discard(std::string reason) const;
  EapStep on_tls_fragment(const wire::eap::TlsFragment& fragment);

  EapTlsSettings settings_;
  std::shared_ptr<RandomSource> random_;
  std::unique_ptr<crypto::TlsSession> tls_;
  EapTlsReassembler reassembler_;
  EapTlsFragmenter fragmenter_;
  State state_ = State::Idle;
  std::uint8_t identifier_ = 0;
  unsigned rounds_ = 0;
  std::string identity_;
  std::optional<crypto::SecureBytes> msk_;
};

class EapTlsPeer {
 public:
  EapTlsPeer(std::string identity, EapTlsSettings settings);

  EapStep on_request(ByteView packet);

  const std::string& eap_identity() const { return identity_; }
  const std::optional<crypto::SecureBytes>& msk() const { return msk_; }
  // The gateway's TLS certificates (its own first) once the handshake is done.
  std::vector<crypto::Certificate> server_certificates() const;
  std::optional<crypto::TlsVersion> tls_version() const;

 private:
  enum class State : std::uint8_t { WaitStart, Handshake, WaitEapSuccess, Done };
  EapStep respond(std::uint8_t identifier, std::uint8_t type, Bytes data);
  EapStep respond_tls(std::uint8_t identifier, const wire::eap::TlsFragment& fragment);
  EapStep fail(std::string reason);
  EapStep on_tls_request(std::uint8_t identifier, const wire::eap::TlsFragment& fragment);
  bool handshake_finished() const;

  std::string identity_;
  EapTlsSettings settings_;
  std::unique_ptr<crypto::TlsSession> tls_;
  EapTlsReassembler reassembler_;
  EapTlsFragmenter fragmenter_;
  State state_ = State::WaitStart;
  unsigned rounds_ = 0;
  bool commitment_received_ = false;  // TLS 1.3 (RFC 9190 §2.5)
  Bytes last_request_;
  Bytes last_reply_;
  std::optional<crypto::SecureBytes> msk_;
};

}  // namespace cygnet::ike
