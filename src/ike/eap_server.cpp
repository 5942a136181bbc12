#include "ike/eap_server.hpp"

#include "ike/eap_radius_relay.hpp"

namespace cygnet::ike {

namespace {

// EAP-MSCHAPv2 checked here against the [eap_users] NT hashes. It always asks for the EAP
// identity first, as strongSwan's `eap_id = %any` does: clients often use an EAP identity
// (a user name) other than their IKE identity (an address or a device name).
class LocalMsChapV2Server final : public EapServer {
 public:
  LocalMsChapV2Server(std::shared_ptr<const EapUsers> users, std::shared_ptr<RandomSource> random)
      : users_(std::move(users)), authenticator_(*users_, std::move(random)) {}

  Bytes start() override { return authenticator_.start(); }
  EapStep on_response(ByteView packet) override { return authenticator_.on_response(packet); }
  std::string eap_identity() const override { return authenticator_.eap_identity(); }
  const crypto::SecureBytes* msk() const override {
    return authenticator_.msk() ? &*authenticator_.msk() : nullptr;
  }

 private:
  std::shared_ptr<const EapUsers> users_;  // declared first: the authenticator holds a reference
  EapMsChapV2Authenticator authenticator_;
};

}  // namespace

std::unique_ptr<EapServer> make_eap_server(AuthMethod method, std::shared_ptr<const EapUsers> users,
                                           std::shared_ptr<RandomSource> random) {
  switch (method) {
    case AuthMethod::EapMsChapV2:
      return std::make_unique<LocalMsChapV2Server>(
          users ? std::move(users) : std::make_shared<const EapUsers>(), std::move(random));
    case AuthMethod::EapRadius: return std::make_unique<EapRadiusRelay>(std::move(random));
    case AuthMethod::EapTls:  // needs the connection's certificate: make_eap_tls_server (eap_tls_roles.hpp)
    case AuthMethod::Psk:
    case AuthMethod::PublicKey: break;
  }
  return nullptr;
}

}  // namespace cygnet::ike
