// Split authentication and EAP that the engine cannot run are refused when the connection is added,
// with a reason, instead of authenticating differently than asked.
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

TEST(SplitAuthentication, WhatCannotRunIsRefusedWithAClearReason) {
  ConnectionSettings both = psk_connection("both", "192.0.2.1", "192.0.2.2");
  both.local_auth = AuthMethod::EapMsChapV2;
  both.remote_auth = AuthMethod::EapMsChapV2;
  both.eap_password_hash = crypto::SecureBytes(Bytes(16, 1));
  EXPECT_NE(refusal_of(both).find("EAP authenticates the client only"), std::string::npos);

  ConnectionSettings no_password = psk_connection("client", "192.0.2.1", "192.0.2.2");
  no_password.local_auth = AuthMethod::EapMsChapV2;
  EXPECT_NE(refusal_of(no_password).find("without an EAP password"), std::string::npos);

  ConnectionSettings no_key = psk_connection("mixed", "192.0.2.1", "192.0.2.2");
  no_key.local_auth = AuthMethod::PublicKey;
  EXPECT_NE(refusal_of(no_key).find("without a private key"), std::string::npos);

  ConnectionSettings v1 = psk_connection("v1", "192.0.2.1", "192.0.2.2", "secret", "aes256-sha256-modp2048");
  v1.ike_version = 1;
  v1.remote_auth = AuthMethod::EapMsChapV2;
  EXPECT_NE(refusal_of(v1).find("need IKEv2"), std::string::npos);
}

TEST(SplitAuthentication, SidesThatRepeatAuthAndEapGatewaysAreAccepted) {
  BackToBack net;
  ConnectionSettings same = psk_connection("same", "192.0.2.1", "192.0.2.2");
  same.local_auth = AuthMethod::Psk;
  same.remote_auth = AuthMethod::Psk;
  EXPECT_TRUE(net.a.engine->add_connection(std::move(same), net.now));
  ConnectionSettings gateway = psk_connection("rw", "192.0.2.1", "");
  gateway.local_auth = AuthMethod::Psk;
  gateway.remote_auth = AuthMethod::EapMsChapV2;
  EXPECT_TRUE(net.a.engine->add_connection(std::move(gateway), net.now));
}

}  // namespace
}  // namespace cygnet::ike::test
