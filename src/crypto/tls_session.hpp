// One TLS session over memory BIOs (OpenSSL 3 libssl), for protocols that carry TLS records
// inside their own messages, as EAP-TLS does (RFC 5216): bytes from the peer go in, bytes for the
// peer come out, and nothing here touches a socket or a clock. No TLS is written by hand.
//
// The peer's certificate is required (server) or expected (client) but deliberately not judged
// here: the handshake proves the peer holds the key of the certificate it sent (CertificateVerify /
// the server's signature), and the caller checks that certificate and its chain with the same code
// that checks IKE certificates (ike/peer_certificate.hpp), so a TLS peer passes exactly the same
// checks, with the same messages, as an IKE peer.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "crypto/secure_bytes.hpp"
#include "crypto/signature.hpp"
#include "crypto/x509.hpp"

namespace cygnet::crypto {

enum class TlsRole : std::uint8_t { Client, Server };
enum class TlsVersion : std::uint8_t { Tls12, Tls13 };
const char* tls_version_name(TlsVersion v);  // "TLS 1.2", "TLS 1.3"

struct TlsSettings {
  TlsRole role = TlsRole::Client;
  std::shared_ptr<const PrivateKey> key;   // ours (required for both roles in EAP-TLS)
  std::optional<Certificate> certificate;  // ours, matching `key`
  std::vector<Certificate> chain;          // our intermediates, sent after the certificate
  TlsVersion min_version = TlsVersion::Tls12;
  TlsVersion max_version = TlsVersion::Tls12;
};

class TlsSession {
 public:
  enum class State : std::uint8_t { Handshaking, Established, Failed };

  // Throws CryptoError when the settings cannot be applied (key and certificate do not match).
  explicit TlsSession(const TlsSettings& settings);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // Runs the handshake as far as the bytes received so far allow (`received` may be empty: a
  // client's first call produces its ClientHello). Once Failed, stays Failed; error() says why.
  State advance(ByteView received);
  // Everything the session wants sent to the peer since the last call (records, alerts).
  Bytes take_output();

  State state() const { return state_; }
  const std::string& error() const { return error_; }
  std::optional<TlsVersion> version() const;  // once Established

  // Application data (RFC 9190 §2.5's one-byte commitment message): write queues a record for
  // take_output(); read returns what arrived (after advance()).
  bool write(ByteView data);
  Bytes read();

  // The peer's certificates as it sent them, its own first (empty before it sent any).
  std::vector<Certificate> peer_certificates() const;
  // RFC 5705 / RFC 8446 §7.5 exporter. Empty context = no context (TLS 1.2: the RFC 5216 §2.3
  // PRF over client.random || server.random). nullopt before Established.
  std::optional<SecureBytes> export_keying_material(std::string_view label, std::optional<ByteView> context,
                                                    std::size_t length) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  State state_ = State::Handshaking;
  std::string error_;
};

}  // namespace cygnet::crypto
