#include "ike/eap_tls_roles.hpp"

namespace cygnet::ike {

namespace {

class LocalEapTlsServer final : public EapServer {
 public:
  LocalEapTlsServer(EapTlsSettings settings, std::shared_ptr<RandomSource> random)
      : authenticator_(std::move(settings), std::move(random)) {}

  Bytes start() override { return authenticator_.start(); }
  EapStep on_response(ByteView packet) override { return authenticator_.on_response(packet); }
  // What `cygnetctl status` shows: the subject of the certificate the client proved, once it has;
  // until then the identity it claimed.
  std::string eap_identity() const override {
    const auto certificates = authenticator_.client_certificates();
    return certificates.empty() ? authenticator_.eap_identity() : certificates.front().subject_string();
  }
  const crypto::SecureBytes* msk() const override {
    return authenticator_.msk() ? &*authenticator_.msk() : nullptr;
  }
  std::vector<crypto::Certificate> client_certificates() const override {
    return authenticator_.client_certificates();
  }

 private:
  EapTlsAuthenticator authenticator_;
};

}  // namespace

EapTlsSettings eap_tls_settings(const ConnectionSettings& conn) {
  EapTlsSettings s;
  s.tls.key = conn.private_key;
  s.tls.certificate = conn.certificate;
  s.tls.chain = conn.certificate_chain;
  s.tls.min_version = crypto::TlsVersion::Tls12;
  s.tls.max_version = kEapTlsMaxVersion;
  return s;
}

std::unique_ptr<EapServer> make_eap_tls_server(const ConnectionSettings& conn,
                                               std::shared_ptr<RandomSource> random) {
  return std::make_unique<LocalEapTlsServer>(eap_tls_settings(conn), std::move(random));
}

}  // namespace cygnet::ike
