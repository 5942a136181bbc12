#include "ike/eap_peer.hpp"

#include "ike/eap_tls.hpp"
#include "ike/eap_tls_roles.hpp"

namespace cygnet::ike {

namespace {

class MsChapV2Peer final : public EapPeer {
 public:
  MsChapV2Peer(const ConnectionSettings& conn, std::shared_ptr<RandomSource> random)
      : peer_(conn.eap_identity, conn.eap_password_hash, std::move(random)) {}
  EapStep on_request(ByteView packet) override { return peer_.on_request(packet); }
  const std::optional<crypto::SecureBytes>& msk() const override { return peer_.msk(); }
  const char* method_name() const override { return "EAP-MSCHAPv2"; }

 private:
  EapMsChapV2Peer peer_;
};

class TlsPeer final : public EapPeer {
 public:
  explicit TlsPeer(const ConnectionSettings& conn) : peer_(conn.eap_identity, eap_tls_settings(conn)) {}
  EapStep on_request(ByteView packet) override { return peer_.on_request(packet); }
  const std::optional<crypto::SecureBytes>& msk() const override { return peer_.msk(); }
  std::vector<crypto::Certificate> server_certificates() const override {
    return peer_.server_certificates();
  }
  const char* method_name() const override { return "EAP-TLS"; }

 private:
  EapTlsPeer peer_;
};

}  // namespace

std::unique_ptr<EapPeer> make_eap_peer(const ConnectionSettings& conn, std::shared_ptr<RandomSource> random) {
  switch (local_auth_method(conn)) {
    case AuthMethod::EapMsChapV2: return std::make_unique<MsChapV2Peer>(conn, std::move(random));
    case AuthMethod::EapTls: return std::make_unique<TlsPeer>(conn);
    case AuthMethod::EapRadius:  // a gateway method only (refused as local_auth by validate.cpp)
    case AuthMethod::Psk:
    case AuthMethod::PublicKey: break;
  }
  return nullptr;
}

}  // namespace cygnet::ike
