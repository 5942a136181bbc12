#include "crypto/tls_session.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <utility>

#include "crypto/error.hpp"
#include "crypto/x509_internal.hpp"

namespace cygnet::crypto {

namespace {

using SslCtxPtr = std::unique_ptr<SSL_CTX, detail::OpenSslDeleter<&SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, detail::OpenSslDeleter<&SSL_free>>;

int protocol_version(TlsVersion v) {
  return v == TlsVersion::Tls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
}

// The peer's certificate is judged by the caller (see the header), so OpenSSL's own chain
// verdict is not used; requiring the certificate still makes OpenSSL check the peer's proof of
// possession of its key.
int accept_for_caller_check(int /*preverify_ok*/, X509_STORE_CTX* /*ctx*/) {
  return 1;
}

// OpenSSL's queued errors as one line, queue cleared.
std::string drain_errors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(e, text, sizeof text);
    if (!out.empty()) out += "; ";
    out += text;
  }
  return out;
}

Certificate wrap(X509* x509) {
  X509_up_ref(x509);
  auto impl = std::make_shared<Certificate::Impl>();
  impl->x509.reset(x509);
  return Certificate(std::move(impl));
}

}  // namespace

const char* tls_version_name(TlsVersion v) {
  return v == TlsVersion::Tls13 ? "TLS 1.3" : "TLS 1.2";
}

struct TlsSession::Impl {
  SslCtxPtr ctx;
  SslPtr ssl;
  BIO* in = nullptr;   // owned by ssl
  BIO* out = nullptr;  // owned by ssl
  Bytes application_data;
};

TlsSession::TlsSession(const TlsSettings& settings) : impl_(std::make_unique<Impl>()) {
  const bool server = settings.role == TlsRole::Server;
  impl_->ctx.reset(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
  SSL_CTX* ctx = impl_->ctx.get();
  if (ctx == nullptr) throw CryptoError("TLS: SSL_CTX_new failed");
  if (SSL_CTX_set_min_proto_version(ctx, protocol_version(settings.min_version)) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, protocol_version(settings.max_version)) != 1)
    throw CryptoError("TLS: version range refused");
  // Every EAP-TLS conversation is a full handshake (no resumption, RFC 9190 §5.7 leaves it
  // optional): no session cache, no tickets, no TLS 1.3 NewSessionTicket after the handshake.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
  // strongSwan's TLS stack (libtls, 5.9) sends no renegotiation_info (RFC 5746), and OpenSSL 3's
  // client refuses such a server ("unsafe legacy renegotiation disabled"). RFC 5746's attack needs a
  // renegotiation, which SSL_OP_NO_RENEGOTIATION above rules out on our side, so connecting is safe.
  if (!server) SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT);
  SSL_CTX_set_num_tickets(ctx, 0);
  SSL_CTX_set_verify(ctx, server ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_PEER,
                     accept_for_caller_check);
  if (settings.certificate && settings.key) {
    if (SSL_CTX_use_certificate(ctx, settings.certificate->impl()->x509.get()) != 1)
      throw CryptoError("TLS: our certificate was refused");
    const PkeyPtr key = private_pkey(*settings.key);
    if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1)
      throw CryptoError("TLS: our private key does not match our certificate");
    for (const Certificate& c : settings.chain)
      if (SSL_CTX_add1_chain_cert(ctx, c.impl()->x509.get()) != 1)
        throw CryptoError("TLS: an intermediate certificate was refused");
  }
  impl_->ssl.reset(SSL_new(ctx));
  if (!impl_->ssl) throw CryptoError("TLS: SSL_new failed");
  impl_->in = BIO_new(BIO_s_mem());
  impl_->out = BIO_new(BIO_s_mem());
  if (impl_->in == nullptr || impl_->out == nullptr) {
    BIO_free(impl_->in);
    BIO_free(impl_->out);
    throw CryptoError("TLS: BIO_new failed");
  }
  BIO_set_mem_eof_return(impl_->in, -1);  // an empty input means "more to come", not end of stream
  SSL_set_bio(impl_->ssl.get(), impl_->in, impl_->out);
  if (server) {
    SSL_set_accept_state(impl_->ssl.get());
  } else {
    SSL_set_connect_state(impl_->ssl.get());
  }
  ERR_clear_error();
}

TlsSession::~TlsSession() = default;

TlsSession::State TlsSession::advance(ByteView received) {
  if (state_ == State::Failed) return state_;
  SSL* ssl = impl_->ssl.get();
  if (!received.empty() && BIO_write(impl_->in, received.data(), static_cast<int>(received.size())) !=
                               static_cast<int>(received.size())) {
    state_ = State::Failed;
    error_ = "TLS: cannot buffer the received records";
    return state_;
  }
  ERR_clear_error();
  if (state_ == State::Handshaking) {
    const int r = SSL_do_handshake(ssl);
    if (r == 1) {
      state_ = State::Established;
    } else {
      const int e = SSL_get_error(ssl, r);
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
        state_ = State::Failed;
        const std::string detail = drain_errors();
        error_ = "TLS handshake failed" + (detail.empty() ? std::string() : ": " + detail);
        return state_;
      }
      return state_;
    }
  }
  // Established: whatever application data (or post-handshake message) arrived.
  std::uint8_t buffer[512];
  for (;;) {
    const int n = SSL_read(ssl, buffer, sizeof buffer);
    if (n > 0) {
      impl_->application_data.insert(impl_->application_data.end(), buffer, buffer + n);
      if (impl_->application_data.size() > 65536) {
        state_ = State::Failed;
        error_ = "TLS: too much application data from the peer";
        return state_;
      }
      continue;
    }
    const int e = SSL_get_error(ssl, n);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) break;
    state_ = State::Failed;
    const std::string detail = drain_errors();
    error_ = e == SSL_ERROR_ZERO_RETURN
                 ? "TLS: the peer closed the session"
                 : "TLS failed after the handshake" + (detail.empty() ? "" : ": " + detail);
    break;
  }
  return state_;
}

Bytes TlsSession::take_output() {
  Bytes out;
  const std::size_t pending = BIO_ctrl_pending(impl_->out);
  out.resize(pending);
  if (pending > 0 && BIO_read(impl_->out, out.data(), static_cast<int>(pending)) != static_cast<int>(pending))
    out.clear();
  return out;
}

std::optional<TlsVersion> TlsSession::version() const {
  if (state_ != State::Established) return std::nullopt;
  return SSL_version(impl_->ssl.get()) == TLS1_3_VERSION ? TlsVersion::Tls13 : TlsVersion::Tls12;
}

bool TlsSession::write(ByteView data) {
  if (state_ != State::Established || data.empty()) return false;
  ERR_clear_error();
  return SSL_write(impl_->ssl.get(), data.data(), static_cast<int>(data.size())) ==
         static_cast<int>(data.size());
}

Bytes TlsSession::read() {
  return std::exchange(impl_->application_data, {});
}

std::vector<Certificate> TlsSession::peer_certificates() const {
  std::vector<Certificate> out;
  X509* leaf = SSL_get0_peer_certificate(impl_->ssl.get());
  if (leaf == nullptr) return out;
  out.push_back(wrap(leaf));
  // A client's chain starts with the leaf, a server's does not (SSL_get_peer_cert_chain(3)).
  if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(impl_->ssl.get())) {
    for (int i = 0; i < sk_X509_num(chain); ++i) {
      X509* c = sk_X509_value(chain, i);
      if (X509_cmp(c, leaf) != 0) out.push_back(wrap(c));
    }
  }
  return out;
}

std::optional<SecureBytes> TlsSession::export_keying_material(std::string_view label,
                                                              std::optional<ByteView> context,
                                                              std::size_t length) const {
  if (state_ != State::Established) return std::nullopt;
  SecureBytes out(length);
  MutableByteView target = out.mutable_view();
  const int ok = SSL_export_keying_material(impl_->ssl.get(), target.data(), length, label.data(),
                                            label.size(), context ? context->data() : nullptr,
                                            context ? context->size() : 0, context ? 1 : 0);
  ERR_clear_error();
  if (ok != 1) return std::nullopt;
  return out;
}

}  // namespace cygnet::crypto
