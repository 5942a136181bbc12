#include "daemon/failure_json.hpp"

#include <gtest/gtest.h>

#include "ike/algorithms.hpp"
#include "unit/ike/engine_harness.hpp"

namespace cygnet::daemon {
namespace {

using ike::test::BackToBack;
using ike::test::psk_connection;
using nlohmann::json;

// A's IKE proposals share no key exchange group with B's: B (responder) records the failure.
struct Mismatch : ::testing::Test {
  void SetUp() override {
    ike::ConnectionSettings a = psk_connection("site", "192.0.2.1", "192.0.2.2");
    a.ike_proposals = {
        *ike::parse_proposal("aes256gcm16-prfsha256-ecp384", ike::ProtocolId::Ike, false).proposal};
    ASSERT_TRUE(net.b.engine->add_connection(psk_connection("site", "192.0.2.2", "192.0.2.1"), net.now));
    ASSERT_TRUE(net.a.engine->add_connection(a, net.now));
    ASSERT_TRUE(net.a.engine->up("site", net.now));
    net.run();
    net.advance(Seconds(7));
  }
  BackToBack net;
};

TEST_F(Mismatch, WhyCarriesTheStructuredReportAndItsWords) {
  const auto why = why_json(*net.b.engine, "site", net.now);
  ASSERT_TRUE(why);
  EXPECT_EQ((*why)["connection"], "site");
  EXPECT_EQ((*why)["up"], false);
  const json& f = (*why)["last_failure"];
  ASSERT_TRUE(f.is_object()) << why->dump(2);
  EXPECT_EQ(f["class"], "proposal");
  EXPECT_EQ(f["role"], "responder");
  EXPECT_EQ(f["exchange"], "IKE_SA_INIT");
  EXPECT_EQ(f["age_seconds"], 7);
  EXPECT_EQ(f["theirs"][0], "aes256gcm16-prfsha256-ecp384");
  EXPECT_EQ(f["received_anything"], nullptr);
  EXPECT_NE(f["fix"].get<std::string>().find("add ecp384 to ike_proposals to agree"), std::string::npos)
      << f["fix"];
  ASSERT_TRUE(f["text"].is_array());
  EXPECT_EQ(f["text"][0], "proposal failure as responder in IKEv2 IKE_SA_INIT with 192.0.2.1[500], 7 s ago");
  EXPECT_EQ((*why)["unattributed_failure"], nullptr);
}

TEST_F(Mismatch, UnknownNameIsNotAnswered) {
  EXPECT_FALSE(why_json(*net.b.engine, "nosuch", net.now));
}

TEST_F(Mismatch, StatusGetsALastFailurePerConnection) {
  json status{{"connections", json::array({json{{"name", "site"}}, json{{"name", "other"}}})}};
  add_last_failures(status, *net.a.engine, net.now);
  EXPECT_EQ(status["connections"][0]["last_failure"]["class"], "proposal");
  EXPECT_EQ(status["connections"][0]["last_failure"]["role"], "initiator");
  EXPECT_EQ(status["connections"][1]["last_failure"], nullptr);
  json odd = json::array();
  EXPECT_NO_THROW(add_last_failures(odd, *net.a.engine, net.now));
}

}  // namespace
}  // namespace cygnet::daemon
