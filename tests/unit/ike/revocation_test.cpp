// Revocation during negotiation, through both engines (IKEv2 and IKEv1), with the test playing the
// daemon's fetcher: the engine emits FetchRevocation and parks the message that carried the
// peer's certificate (IKEv2 IKE_AUTH request/response, IKEv1 MM5/MM6), the peer's retransmits are
// dropped meanwhile, and on_revocation_data (a real CRL or OCSP response made here, or
// "unreachable") resumes it. Each policy × good / revoked / unreachable / expired CRL, the engine's
// own timeout, the cache, and that the resumed path answers exactly once.
#include "crypto/revocation.hpp"

#include <gtest/gtest.h>

#include "crypto/x509.hpp"
#include "ike/failure_report.hpp"
#include "ike/revocation_checker.hpp"
#include "unit/ike/engine_harness.hpp"

namespace cygnet::ike::test {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

constexpr const char* kCrlUri = "http://198.51.100.10/ca.crl";
constexpr const char* kOcspUri = "http://198.51.100.10:8080/";

struct Issued {
  std::shared_ptr<crypto::PrivateKey> key;
  crypto::Certificate certificate;
};

crypto::CertificateSpec spec(std::string cn, bool is_ca) {
  const auto now = std::chrono::system_clock::now();
  crypto::CertificateSpec s;
  s.common_name = cn;
  if (!is_ca) s.dns_names = {cn};
  s.is_ca = is_ca;
  s.not_before = now - hours(1);
  s.not_after = now + hours(24);
  return s;
}

Issued issue(const crypto::CertificateSpec& s, const Issued* issuer) {
  auto key = std::make_shared<crypto::PrivateKey>(crypto::PrivateKey::generate(crypto::KeyType::EcdsaP256));
  crypto::Certificate cert =
      issuer ? crypto::issue_certificate(s, key->public_key(), *issuer->key, &issuer->certificate)
             : crypto::issue_certificate(s, key->public_key(), *key, nullptr);
  return {key, cert};
}

ConnectionSettings connection(int version, std::string_view local, std::string_view remote,
                              std::string_view self, std::string_view peer, const Issued& own,
                              const crypto::Certificate& trusted, RevocationPolicy policy) {
  ConnectionSettings c = version == 1
                             ? psk_connection("site", local, remote, "unused", "aes256-sha256-modp2048")
                             : psk_connection("site", local, remote);
  c.ike_version = version;
  c.auth = AuthKind::PublicKey;
  c.psk = {};
  c.private_key = own.key;
  c.certificate = own.certificate;
  c.ca_certificates = {trusted};
  c.local_id = *Identity::parse(self);
  c.remote_id = *Identity::parse(peer);
  c.revocation = policy;
  return c;
}

std::vector<FetchRevocation> fetches(const Peer& p) {
  std::vector<FetchRevocation> out;
  for (const Action& a : p.log)
    if (const auto* f = std::get_if<FetchRevocation>(&a)) out.push_back(*f);
  return out;
}

enum class Answer { GoodCrl, RevokedCrl, Unreachable, ExpiredCrl, RevokedOcsp };

struct Case {
  int version;
  RevocationPolicy policy;
  Answer answer;
  bool accepted;
  const char* words;  // in the refusal
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  static const char* answers[] = {"GoodCrl", "RevokedCrl", "Unreachable", "ExpiredCrl", "RevokedOcsp"};
  return "IKEv" + std::to_string(info.param.version) + "_" + revocation_policy_name(info.param.policy) + "_" +
         answers[static_cast<int>(info.param.answer)];
}

class Revocation : public ::testing::Test {
 protected:
  Issued root = issue(spec("Revocation Root CA", true), nullptr);
  Issued b_leaf = issue(spec("b.example", false), &root);

  // A's certificate names a CRL distribution point and an OCSP responder (or nothing).
  Issued a_leaf_with_sources(bool sources = true) {
    crypto::CertificateSpec s = spec("a.example", false);
    if (sources) {
      s.crl_uris = {kCrlUri};
      s.ocsp_uris = {kOcspUri};
    }
    return issue(s, &root);
  }

  // B (responder) checks A's certificate under `policy`; A initiates.
  void start(BackToBack& net, int version, const Issued& a_leaf, RevocationPolicy policy) {
    auto b =
        connection(version, "192.0.2.2", "192.0.2.1", "b.example", "%any", b_leaf, root.certificate, policy);
    ASSERT_TRUE(net.b.engine->add_connection(std::move(b), net.now));
    auto a = connection(version, "192.0.2.1", "192.0.2.2", "a.example", "b.example", a_leaf, root.certificate,
                        RevocationPolicy::IfUri);
    a.start_action = StartAction::Start;
    ASSERT_TRUE(net.a.engine->add_connection(std::move(a), net.now));
    net.run();
  }

  RevocationData answer(Answer kind, const crypto::Certificate& a_cert) {
    const auto now = std::chrono::system_clock::now();
    RevocationData data;
    crypto::CrlSpec crl;
    crl.this_update = now - hours(1);
    crl.next_update = now + hours(1);
    switch (kind) {
      case Answer::GoodCrl: break;
      case Answer::RevokedCrl: crl.revoked.push_back({a_cert, now - hours(2)}); break;
      case Answer::ExpiredCrl:
        crl.this_update = now - hours(3);
        crl.next_update = now - hours(1);
        break;
      case Answer::Unreachable:
        data.failures.push_back(std::string("CRL ") + kCrlUri + " unreachable: Couldn't connect to server");
        data.failures.push_back(std::string("OCSP responder ") + kOcspUri +
                                " unreachable: Couldn't connect to server");
        return data;
      case Answer::RevokedOcsp: {
        crypto::OcspResponseSpec r;
        r.status = crypto::RevocationStatus::Revoked;
        r.this_update = now - hours(1);
        r.next_update = now + hours(1);
        r.revoked_at = now - hours(2);
        r.signer = &root.certificate;
        r.signer_key = root.key.get();
        data.documents.push_back({kOcspUri, RevocationData::Kind::OcspResponse,
                                  crypto::issue_ocsp_response(r, a_cert, root.certificate)});
        return data;
      }
    }
    data.documents.push_back(
        {kCrlUri, RevocationData::Kind::Crl, crypto::issue_crl(crl, root.certificate, *root.key).der()});
    return data;
  }
};

class RevocationPolicies : public Revocation, public ::testing::WithParamInterface<Case> {};

TEST_P(RevocationPolicies, ParkedUntilTheAnswerThenDecidedByThePolicy) {
  const Case& c = GetParam();
  BackToBack net;
  const Issued a_leaf = a_leaf_with_sources();
  start(net, c.version, a_leaf, c.policy);

  // B asked for A's revocation status and answered nothing yet.
  const auto asked = fetches(net.b);
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0].certificate, a_leaf.certificate.subject_string());
  EXPECT_EQ(asked[0].crl_uris, std::vector<std::string>{kCrlUri});
  EXPECT_EQ(asked[0].ocsp_uris, std::vector<std::string>{kOcspUri});
  EXPECT_FALSE(asked[0].ocsp_request.empty());
  EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 0u);
  EXPECT_EQ(net.b.engine->counters().revocation_parked, 1u);

  // A retransmits meanwhile: dropped, not answered (B sends nothing at all while parked).
  const std::size_t sent_by_b = net.b.count_actions<SendDatagram>();
  net.advance(seconds(3));
  EXPECT_EQ(net.b.count_actions<SendDatagram>(), sent_by_b);
  EXPECT_GE(net.b.engine->counters().revocation_parked_drops, 1u);
  EXPECT_EQ(net.b.count(EventType::AuthenticationFailed), 0u);

  net.b.engine->on_revocation_data(asked[0].request, answer(c.answer, a_leaf.certificate), net.now);
  net.run();
  if (c.accepted) {
    EXPECT_EQ(net.a.count(EventType::IkeSaEstablished), 1u);
    EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 1u);
    EXPECT_EQ(net.b.count(EventType::ChildSaEstablished), 1u);
    EXPECT_EQ(net.b.count(EventType::AuthenticationFailed), 0u);
  } else {
    const Event* e = net.b.find(EventType::AuthenticationFailed);
    ASSERT_NE(e, nullptr) << "B accepted A";
    EXPECT_NE(e->detail.find(c.words), std::string::npos) << e->detail;
    EXPECT_NE(e->detail.find("CN=a.example"), std::string::npos) << e->detail;
    EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 0u);
    EXPECT_EQ(net.b.count_actions<InstallChildSa>(), 0u);
    EXPECT_EQ(net.a.count_actions<InstallChildSa>(), 0u);
    const auto failure = net.b.engine->last_failure("site");
    ASSERT_TRUE(failure.has_value());
    EXPECT_NE(failure->summary.find(c.words), std::string::npos) << failure->summary;
    EXPECT_EQ(failure->kind, FailureClass::Certificate);
    EXPECT_NE(failure->fix.find(c.answer == Answer::RevokedCrl || c.answer == Answer::RevokedOcsp
                                    ? "revoked: the peer needs a new certificate"
                                    : "CRL / OCSP server"),
              std::string::npos)
        << failure->fix;
  }
  // Exactly one answer to the parked message, whatever the outcome: nothing more afterwards.
  const std::size_t after = net.b.count_actions<SendDatagram>();
  net.advance(seconds(30));
  if (!c.accepted) {
    EXPECT_EQ(net.b.count_actions<SendDatagram>(), after);
  }
  EXPECT_EQ(fetches(net.b).size(), 1u);
}

// clang-format off
INSTANTIATE_TEST_SUITE_P(EachPolicyAndAnswer, RevocationPolicies, ::testing::Values(
    Case{2, RevocationPolicy::IfUri,   Answer::GoodCrl,     true,  ""},
    Case{2, RevocationPolicy::IfUri,   Answer::RevokedCrl,  false, "revoked at"},
    Case{2, RevocationPolicy::IfUri,   Answer::RevokedOcsp, false, "revoked at"},
    Case{2, RevocationPolicy::IfUri,   Answer::Unreachable, false, "unreachable"},
    Case{2, RevocationPolicy::IfUri,   Answer::ExpiredCrl,  false, "expired at"},
    Case{2, RevocationPolicy::Strict,  Answer::GoodCrl,     true,  ""},
    Case{2, RevocationPolicy::Strict,  Answer::RevokedCrl,  false, "per CRL from http://198.51.100.10/ca.crl"},
    Case{2, RevocationPolicy::Strict,  Answer::Unreachable, false, "revocation=strict requires proof"},
    Case{2, RevocationPolicy::Strict,  Answer::ExpiredCrl,  false, "treated as unknown"},
    Case{2, RevocationPolicy::Relaxed, Answer::GoodCrl,     true,  ""},
    Case{2, RevocationPolicy::Relaxed, Answer::RevokedCrl,  false, "revoked at"},
    Case{2, RevocationPolicy::Relaxed, Answer::Unreachable, true,  ""},
    Case{2, RevocationPolicy::Relaxed, Answer::ExpiredCrl,  true,  ""},
    Case{1, RevocationPolicy::IfUri,   Answer::GoodCrl,     true,  ""},
    Case{1, RevocationPolicy::IfUri,   Answer::RevokedCrl,  false, "revoked at"},
    Case{1, RevocationPolicy::IfUri,   Answer::Unreachable, false, "revocation=ifuri requires proof"},
    Case{1, RevocationPolicy::IfUri,   Answer::ExpiredCrl,  false, "expired at"},
    Case{1, RevocationPolicy::Strict,  Answer::GoodCrl,     true,  ""},
    Case{1, RevocationPolicy::Strict,  Answer::RevokedOcsp, false, "revoked at"},
    Case{1, RevocationPolicy::Strict,  Answer::Unreachable, false, "revocation=strict requires proof"},
    Case{1, RevocationPolicy::Strict,  Answer::ExpiredCrl,  false, "treated as unknown"},
    Case{1, RevocationPolicy::Relaxed, Answer::GoodCrl,     true,  ""},
    Case{1, RevocationPolicy::Relaxed, Answer::RevokedCrl,  false, "revoked at"},
    Case{1, RevocationPolicy::Relaxed, Answer::Unreachable, true,  ""},
    Case{1, RevocationPolicy::Relaxed, Answer::ExpiredCrl,  true,  ""}),
    case_name);
// clang-format on

class RevocationEngine : public Revocation, public ::testing::WithParamInterface<int> {};

TEST_P(RevocationEngine, NoAnswerInTimeCountsAsUnknown) {
  BackToBack net;
  start(net, GetParam(), a_leaf_with_sources(), RevocationPolicy::IfUri);
  ASSERT_EQ(fetches(net.b).size(), 1u);
  net.advance(seconds(16));  // EngineOptions::revocation_timeout is 15 s
  const Event* e = net.b.find(EventType::AuthenticationFailed);
  ASSERT_NE(e, nullptr);
  EXPECT_NE(e->detail.find("no answer from the revocation sources within 15 s"), std::string::npos)
      << e->detail;
  EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 0u);
}

TEST_P(RevocationEngine, AVerdictIsCachedUntilNextUpdate) {
  BackToBack net;
  const Issued a_leaf = a_leaf_with_sources();
  start(net, GetParam(), a_leaf, RevocationPolicy::Strict);
  const auto asked = fetches(net.b);
  ASSERT_EQ(asked.size(), 1u);
  net.b.engine->on_revocation_data(asked[0].request, answer(Answer::GoodCrl, a_leaf.certificate), net.now);
  net.run();
  ASSERT_EQ(net.b.count(EventType::IkeSaEstablished), 1u);
  // A comes again (new IKE SA): decided from the cache, no fetch, no parking.
  ASSERT_TRUE(net.a.engine->down("site", net.now));
  net.run();
  ASSERT_TRUE(net.a.engine->up("site", net.now));
  net.run();
  EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 2u);
  EXPECT_EQ(fetches(net.b).size(), 1u);
  EXPECT_EQ(net.b.engine->counters().revocation_parked, 1u);
}

TEST_P(RevocationEngine, StrictRefusesACertificateWithoutSourcesAtOnce) {
  BackToBack net;
  start(net, GetParam(), a_leaf_with_sources(false), RevocationPolicy::Strict);
  EXPECT_TRUE(fetches(net.b).empty());
  const Event* e = net.b.find(EventType::AuthenticationFailed);
  ASSERT_NE(e, nullptr);
  EXPECT_NE(e->detail.find("no CRL distribution point or OCSP responder"), std::string::npos) << e->detail;
  EXPECT_NE(e->detail.find("revocation=strict requires proof"), std::string::npos) << e->detail;
}

TEST_P(RevocationEngine, IfUriAcceptsACertificateWithoutSourcesWithoutFetching) {
  BackToBack net;
  start(net, GetParam(), a_leaf_with_sources(false), RevocationPolicy::IfUri);
  EXPECT_TRUE(fetches(net.b).empty());
  EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 1u);
}

TEST_P(RevocationEngine, AnAuthorityAddsSourcesForItsCertificates) {
  BackToBack net;
  auto b = connection(GetParam(), "192.0.2.2", "192.0.2.1", "b.example", "%any", b_leaf, root.certificate,
                      RevocationPolicy::Strict);
  b.authorities.push_back(
      RevocationAuthority{"root", root.certificate, {"file:///var/lib/cygnet/root.crl"}, {}});
  ASSERT_TRUE(net.b.engine->add_connection(std::move(b), net.now));
  auto a = connection(GetParam(), "192.0.2.1", "192.0.2.2", "a.example", "b.example",
                      a_leaf_with_sources(false), root.certificate, RevocationPolicy::IfUri);
  a.start_action = StartAction::Start;
  ASSERT_TRUE(net.a.engine->add_connection(std::move(a), net.now));
  net.run();
  const auto asked = fetches(net.b);
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0].crl_uris, std::vector<std::string>{"file:///var/lib/cygnet/root.crl"});
  EXPECT_TRUE(asked[0].ocsp_uris.empty());
}

TEST_P(RevocationEngine, TheInitiatorParksTheResponseToo) {
  // B's certificate names a CRL; A (initiator) checks it after B's IKE_AUTH response / MM6.
  BackToBack net;
  crypto::CertificateSpec s = spec("b.example", false);
  s.crl_uris = {kCrlUri};
  const Issued b_with_crl = issue(s, &root);
  auto b = connection(GetParam(), "192.0.2.2", "192.0.2.1", "b.example", "%any", b_with_crl, root.certificate,
                      RevocationPolicy::IfUri);
  ASSERT_TRUE(net.b.engine->add_connection(std::move(b), net.now));
  auto a = connection(GetParam(), "192.0.2.1", "192.0.2.2", "a.example", "b.example",
                      a_leaf_with_sources(false), root.certificate, RevocationPolicy::IfUri);
  a.start_action = StartAction::Start;
  ASSERT_TRUE(net.a.engine->add_connection(std::move(a), net.now));
  net.run();
  const auto asked = fetches(net.a);
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(net.a.count(EventType::IkeSaEstablished), 0u);
  // Parked: A neither retransmits nor gives up meanwhile.
  const std::size_t sent_by_a = net.a.count_actions<SendDatagram>();
  net.advance(seconds(10));
  EXPECT_EQ(net.a.count_actions<SendDatagram>(), sent_by_a);
  net.a.engine->on_revocation_data(asked[0].request, answer(Answer::RevokedCrl, b_with_crl.certificate),
                                   net.now);
  net.run();
  const Event* e = net.a.find(EventType::AuthenticationFailed);
  ASSERT_NE(e, nullptr);
  EXPECT_NE(e->detail.find("CN=b.example"), std::string::npos) << e->detail;
  EXPECT_NE(e->detail.find("revoked at"), std::string::npos) << e->detail;
  EXPECT_EQ(net.a.count(EventType::IkeSaEstablished), 0u);
  EXPECT_EQ(net.a.count_actions<InstallChildSa>(), 0u);
}

TEST_P(RevocationEngine, AnAnswerNobodyAskedForIsIgnored) {
  BackToBack net;
  start(net, GetParam(), a_leaf_with_sources(), RevocationPolicy::IfUri);
  net.b.engine->on_revocation_data(12345, RevocationData{}, net.now);
  net.run();
  EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 0u);
  EXPECT_EQ(net.b.count(EventType::AuthenticationFailed), 0u);
}

INSTANTIATE_TEST_SUITE_P(BothVersions, RevocationEngine, ::testing::Values(1, 2),
                         [](const ::testing::TestParamInfo<int>& p) {
                           return "IKEv" + std::to_string(p.param);
                         });

// IKEv1 Aggressive Mode with signatures: B parks AM3 (A's SIG) as it parks MM5.
TEST_F(Revocation, AggressiveModeParksTheInitiatorsSignature) {
  for (const Answer kind : {Answer::GoodCrl, Answer::RevokedCrl}) {
    SCOPED_TRACE(kind == Answer::GoodCrl ? "good" : "revoked");
    BackToBack net;
    const Issued a_leaf = a_leaf_with_sources();
    auto b = connection(1, "192.0.2.2", "192.0.2.1", "b.example", "%any", b_leaf, root.certificate,
                        RevocationPolicy::IfUri);
    b.aggressive = true;
    ASSERT_TRUE(net.b.engine->add_connection(std::move(b), net.now));
    auto a = connection(1, "192.0.2.1", "192.0.2.2", "a.example", "b.example", a_leaf, root.certificate,
                        RevocationPolicy::IfUri);
    a.aggressive = true;
    a.start_action = StartAction::Start;
    ASSERT_TRUE(net.a.engine->add_connection(std::move(a), net.now));
    net.run();
    const auto asked = fetches(net.b);
    ASSERT_EQ(asked.size(), 1u);
    EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 0u);
    net.advance(seconds(3));
    net.b.engine->on_revocation_data(asked[0].request, answer(kind, a_leaf.certificate), net.now);
    net.run();
    // A's Quick Mode went out right after AM3 and was dropped while B waited: its retransmission
    // brings the child up.
    net.advance(seconds(10));
    if (kind == Answer::GoodCrl) {
      EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 1u);
      EXPECT_EQ(net.b.count(EventType::ChildSaEstablished), 1u);
    } else {
      const Event* e = net.b.find(EventType::AuthenticationFailed);
      ASSERT_NE(e, nullptr);
      EXPECT_NE(e->detail.find("revoked at"), std::string::npos) << e->detail;
      EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 0u);
    }
  }
}

TEST(RevocationSources, CertificateUrisAreHttpOnlyAndAuthoritiesComeFirst) {
  const auto now = std::chrono::system_clock::now();
  crypto::CertificateSpec ca_spec;
  ca_spec.common_name = "Sources CA";
  ca_spec.is_ca = true;
  ca_spec.not_before = now - hours(1);
  ca_spec.not_after = now + hours(1);
  const crypto::PrivateKey ca_key = crypto::PrivateKey::generate(crypto::KeyType::EcdsaP256);
  const crypto::Certificate ca = crypto::issue_certificate(ca_spec, ca_key.public_key(), ca_key, nullptr);
  crypto::CertificateSpec leaf_spec = ca_spec;
  leaf_spec.common_name = "leaf";
  leaf_spec.is_ca = false;
  leaf_spec.crl_uris = {"file:///etc/shadow", "ldap://198.51.100.1/cn=crl", "http://198.51.100.1/a.crl"};
  const crypto::PrivateKey leaf_key = crypto::PrivateKey::generate(crypto::KeyType::EcdsaP256);
  const crypto::Certificate leaf = crypto::issue_certificate(leaf_spec, leaf_key.public_key(), ca_key, &ca);
  ConnectionSettings conn;
  conn.authorities.push_back(
      RevocationAuthority{"ca", ca, {"file:///var/lib/ca.crl"}, {"http://198.51.100.2/"}});
  const RevocationSources s = revocation_sources(conn, leaf, ca);
  EXPECT_EQ(s.crl_uris, (std::vector<std::string>{"file:///var/lib/ca.crl", "http://198.51.100.1/a.crl"}));
  EXPECT_EQ(s.ocsp_uris, std::vector<std::string>{"http://198.51.100.2/"});
}

}  // namespace
}  // namespace cygnet::ike::test
