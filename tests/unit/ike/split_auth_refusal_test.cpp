// Until IKE_AUTH runs EAP and split authentication (issue 14), the engine refuses a connection
// that asks for them instead of silently authenticating both sides with `auth`.
#include <gtest/gtest.h>

#include "unit/ike/engine_harness.hpp"

namespace cygnet::ike::test {
namespace {

std::string refusal_of(ConnectionSettings c) {
  BackToBack net;
  EXPECT_FALSE(net.a.engine->add_connection(std::move(c), net.now));
  net.run();
  const Event* e = net.a.find(EventType::Error);
  return e == nullptr ? "<no error event>" : e->detail;
}

TEST(SplitAuthentication, EapIsRefusedWithAClearReason) {
  ConnectionSettings gateway = psk_connection("rw", "192.0.2.1", "");
  gateway.remote_auth = AuthMethod::EapMsChapV2;
  EXPECT_NE(refusal_of(gateway).find("\"eap-mschapv2\" differs from 'auth': split authentication and EAP are "
                                     "not run by the IKE engine yet"),
            std::string::npos);
  ConnectionSettings mixed = psk_connection("mixed", "192.0.2.1", "192.0.2.2");
  mixed.local_auth = AuthMethod::PublicKey;
  EXPECT_NE(refusal_of(mixed).find("\"pubkey\" differs from 'auth'"), std::string::npos);
}

TEST(SplitAuthentication, SidesThatRepeatAuthAreAccepted) {
  BackToBack net;
  ConnectionSettings same = psk_connection("same", "192.0.2.1", "192.0.2.2");
  same.local_auth = AuthMethod::Psk;
  same.remote_auth = AuthMethod::Psk;
  EXPECT_TRUE(net.a.engine->add_connection(std::move(same), net.now));
}

}  // namespace
}  // namespace cygnet::ike::test
