// CRL and OCSP verification (RFC 5280 §5, RFC 6960) on CRLs and OCSP responses made here with
// OpenSSL: good, revoked, expired (nextUpdate in the past: unknown), not yet valid, wrong issuer,
// bad signature, delegated OCSP responder with and without OCSPSigning, nonce echoed or replayed.
#include "crypto/revocation.hpp"

#include <gtest/gtest.h>

#include <string>

#include "crypto/random.hpp"

namespace cygnet::crypto {
namespace {

using namespace std::chrono_literals;
using std::chrono::sys_days;

WallClock date(int y, unsigned m, unsigned d) {
  return sys_days{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}};
}
const WallClock kNow = date(2026, 6, 15) + 12h;
constexpr std::string_view kCrlUri = "http://192.0.2.10/ca.crl";
constexpr std::string_view kOcspUri = "http://192.0.2.11:8080";

CertificateSpec spec(const std::string& cn, bool is_ca) {
  CertificateSpec s;
  s.common_name = cn;
  s.not_before = date(2024, 1, 1);
  s.not_after = date(2034, 1, 1);
  s.is_ca = is_ca;
  return s;
}

class Revocation : public ::testing::Test {
 protected:
  PrivateKey ca_key = PrivateKey::generate(KeyType::EcdsaP256);
  Certificate ca = issue_certificate(spec("Revocation CA", true), ca_key.public_key(), ca_key, nullptr);
  PrivateKey leaf_key = PrivateKey::generate(KeyType::EcdsaP256);
  Certificate leaf = issue_certificate(spec("gw.example.com", false), leaf_key.public_key(), ca_key, &ca);
  Certificate other_leaf =
      issue_certificate(spec("other.example.com", false), leaf_key.public_key(), ca_key, &ca);

  Crl crl(std::vector<CrlSpec::Entry> revoked, WallClock this_update = date(2026, 6, 1),
          std::optional<WallClock> next_update = date(2026, 7, 1)) {
    CrlSpec s;
    s.this_update = this_update;
    s.next_update = next_update;
    s.revoked = std::move(revoked);
    return issue_crl(s, ca, ca_key);
  }
  OcspResponseSpec ocsp(RevocationStatus status, std::optional<Bytes> nonce) {
    OcspResponseSpec s;
    s.status = status;
    s.this_update = kNow - 1h;
    s.next_update = kNow + 24h;
    s.revoked_at = date(2026, 5, 1);
    s.nonce = std::move(nonce);
    s.signer = &ca;
    s.signer_key = &ca_key;
    return s;
  }
};

TEST_F(Revocation, CrlListsTheRevokedSerialOnly) {
  const Crl list = crl({{leaf, date(2026, 5, 2) + 3h}});
  const RevocationVerdict revoked = check_crl(leaf, ca, list, kNow, kCrlUri);
  EXPECT_EQ(revoked.status, RevocationStatus::Revoked);
  EXPECT_EQ(revoked.detail,
            "CN=gw.example.com,O=Cygnet Test revoked at 2026-05-02 03:00:00 UTC per CRL from " +
                std::string(kCrlUri));
  ASSERT_TRUE(revoked.next_update.has_value());
  EXPECT_EQ(*revoked.next_update, date(2026, 7, 1));
  const RevocationVerdict good = check_crl(other_leaf, ca, list, kNow, kCrlUri);
  EXPECT_EQ(good.status, RevocationStatus::Good) << good.detail;
}

TEST_F(Revocation, CrlRoundTripsThroughDerAndPem) {
  const Crl list = crl({{leaf, date(2026, 5, 2)}});
  const Bytes der = list.der();
  const auto again = Crl::parse(der);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->der(), der);
  EXPECT_EQ(again->issuer_string(), ca.subject_string());
  EXPECT_EQ(again->this_update(), date(2026, 6, 1));
  EXPECT_FALSE(Crl::parse(Bytes{0x30, 0x03, 0x02, 0x01}).has_value());
  EXPECT_FALSE(Crl::parse({}).has_value());
  Bytes trailing = der;
  trailing.push_back(0);
  EXPECT_FALSE(Crl::parse(trailing).has_value());
}

TEST_F(Revocation, ExpiredOrFutureCrlIsUnknown) {
  const Crl expired = crl({}, date(2026, 5, 1), date(2026, 6, 1));  // nextUpdate before kNow
  const RevocationVerdict v = check_crl(leaf, ca, expired, kNow, kCrlUri);
  EXPECT_EQ(v.status, RevocationStatus::Unknown);
  EXPECT_NE(v.detail.find("expired at 2026-06-01 00:00:00 UTC"), std::string::npos) << v.detail;
  EXPECT_NE(v.detail.find("treated as unknown"), std::string::npos) << v.detail;
  const Crl future = crl({}, date(2026, 7, 1), date(2026, 8, 1));
  EXPECT_EQ(check_crl(leaf, ca, future, kNow, kCrlUri).status, RevocationStatus::Unknown);
  // No nextUpdate at all: current from thisUpdate on.
  const Crl open_ended = crl({}, date(2026, 6, 1), std::nullopt);
  EXPECT_EQ(check_crl(leaf, ca, open_ended, kNow, kCrlUri).status, RevocationStatus::Good);
}

TEST_F(Revocation, CrlOfAnotherIssuerOrForgedIsUnknown) {
  // Same name, other key: the signature does not verify.
  PrivateKey forger_key = PrivateKey::generate(KeyType::EcdsaP256);
  Certificate forger =
      issue_certificate(spec("Revocation CA", true), forger_key.public_key(), forger_key, nullptr);
  CrlSpec s;
  s.this_update = date(2026, 6, 1);
  s.next_update = date(2026, 7, 1);
  const Crl forged = issue_crl(s, forger, forger_key);
  const RevocationVerdict v = check_crl(leaf, ca, forged, kNow, kCrlUri);
  EXPECT_EQ(v.status, RevocationStatus::Unknown);
  EXPECT_NE(v.detail.find("not signed by"), std::string::npos) << v.detail;
  // Another name altogether.
  PrivateKey other_key = PrivateKey::generate(KeyType::EcdsaP256);
  Certificate other = issue_certificate(spec("Other CA", true), other_key.public_key(), other_key, nullptr);
  const RevocationVerdict w = check_crl(leaf, ca, issue_crl(s, other, other_key), kNow, kCrlUri);
  EXPECT_EQ(w.status, RevocationStatus::Unknown);
  EXPECT_NE(w.detail.find("is issued by CN=Other CA"), std::string::npos) << w.detail;
}

TEST_F(Revocation, OcspGoodRevokedUnknownWithNonce) {
  Bytes nonce(16);
  random_bytes(nonce);
  const Bytes request = make_ocsp_request(leaf, ca, nonce);
  EXPECT_GT(request.size(), 40u);
  const RevocationVerdict good = check_ocsp_response(
      issue_ocsp_response(ocsp(RevocationStatus::Good, nonce), leaf, ca), leaf, ca, nonce, kNow, kOcspUri);
  EXPECT_EQ(good.status, RevocationStatus::Good) << good.detail;
  ASSERT_TRUE(good.next_update.has_value());
  EXPECT_EQ(*good.next_update, kNow + 24h);
  const RevocationVerdict revoked = check_ocsp_response(
      issue_ocsp_response(ocsp(RevocationStatus::Revoked, nonce), leaf, ca), leaf, ca, nonce, kNow, kOcspUri);
  EXPECT_EQ(revoked.status, RevocationStatus::Revoked);
  EXPECT_EQ(revoked.detail,
            "CN=gw.example.com,O=Cygnet Test revoked at 2026-05-01 00:00:00 UTC per OCSP response from " +
                std::string(kOcspUri));
  const RevocationVerdict unknown = check_ocsp_response(
      issue_ocsp_response(ocsp(RevocationStatus::Unknown, nonce), leaf, ca), leaf, ca, nonce, kNow, kOcspUri);
  EXPECT_EQ(unknown.status, RevocationStatus::Unknown);
}

TEST_F(Revocation, OcspReplayWithAnotherNonceIsUnknownAndNoNonceIsAccepted) {
  Bytes nonce(16, 0x11);
  Bytes old_nonce(16, 0x22);
  const Bytes replay = issue_ocsp_response(ocsp(RevocationStatus::Good, old_nonce), leaf, ca);
  const RevocationVerdict v = check_ocsp_response(replay, leaf, ca, nonce, kNow, kOcspUri);
  EXPECT_EQ(v.status, RevocationStatus::Unknown);
  EXPECT_NE(v.detail.find("nonce"), std::string::npos) << v.detail;
  // A responder that does not echo nonces (pre-signed responses) is still current by its dates.
  const Bytes presigned = issue_ocsp_response(ocsp(RevocationStatus::Good, std::nullopt), leaf, ca);
  EXPECT_EQ(check_ocsp_response(presigned, leaf, ca, nonce, kNow, kOcspUri).status, RevocationStatus::Good);
}

TEST_F(Revocation, OcspStaleOrForOtherCertificateIsUnknown) {
  const Bytes nonce(16, 0x33);
  OcspResponseSpec stale = ocsp(RevocationStatus::Good, nonce);
  stale.this_update = kNow - 48h;
  stale.next_update = kNow - 24h;
  const RevocationVerdict v =
      check_ocsp_response(issue_ocsp_response(stale, leaf, ca), leaf, ca, nonce, kNow, kOcspUri);
  EXPECT_EQ(v.status, RevocationStatus::Unknown);
  EXPECT_NE(v.detail.find("expired at"), std::string::npos) << v.detail;
  const Bytes for_other = issue_ocsp_response(ocsp(RevocationStatus::Good, nonce), other_leaf, ca);
  const RevocationVerdict w = check_ocsp_response(for_other, leaf, ca, nonce, kNow, kOcspUri);
  EXPECT_EQ(w.status, RevocationStatus::Unknown);
  EXPECT_NE(w.detail.find("does not answer for"), std::string::npos) << w.detail;
}

TEST_F(Revocation, OcspSignerMustBeTheIssuerOrItsAuthorizedResponder) {
  const Bytes nonce(16, 0x44);
  // Delegated responder with OCSPSigning: accepted.
  PrivateKey responder_key = PrivateKey::generate(KeyType::EcdsaP256);
  CertificateSpec responder_spec = spec("OCSP Responder", false);
  responder_spec.extended_key_usage = "OCSPSigning";
  Certificate responder = issue_certificate(responder_spec, responder_key.public_key(), ca_key, &ca);
  OcspResponseSpec delegated = ocsp(RevocationStatus::Good, nonce);
  delegated.signer = &responder;
  delegated.signer_key = &responder_key;
  const RevocationVerdict ok =
      check_ocsp_response(issue_ocsp_response(delegated, leaf, ca), leaf, ca, nonce, kNow, kOcspUri);
  EXPECT_EQ(ok.status, RevocationStatus::Good) << ok.detail;
  // The same without OCSPSigning (any certificate of the CA): refused.
  Certificate plain =
      issue_certificate(spec("Not A Responder", false), responder_key.public_key(), ca_key, &ca);
  OcspResponseSpec unauthorized = delegated;
  unauthorized.signer = &plain;
  const RevocationVerdict bad =
      check_ocsp_response(issue_ocsp_response(unauthorized, leaf, ca), leaf, ca, nonce, kNow, kOcspUri);
  EXPECT_EQ(bad.status, RevocationStatus::Unknown);
  EXPECT_NE(bad.detail.find("not signed by"), std::string::npos) << bad.detail;
  // Self-made responder outside the CA: refused.
  Certificate stranger =
      issue_certificate(responder_spec, responder_key.public_key(), responder_key, nullptr);
  OcspResponseSpec foreign = delegated;
  foreign.signer = &stranger;
  EXPECT_EQ(
      check_ocsp_response(issue_ocsp_response(foreign, leaf, ca), leaf, ca, nonce, kNow, kOcspUri).status,
      RevocationStatus::Unknown);
}

TEST_F(Revocation, GarbageOcspResponsesAreUnknownNeverACrash) {
  const Bytes nonce(16, 0x55);
  EXPECT_EQ(check_ocsp_response({}, leaf, ca, nonce, kNow, kOcspUri).status, RevocationStatus::Unknown);
  EXPECT_EQ(check_ocsp_response(Bytes{0x30, 0x03, 0x0a, 0x01, 0x01}, leaf, ca, nonce, kNow, kOcspUri).status,
            RevocationStatus::Unknown);  // malformedRequest
  Bytes good = issue_ocsp_response(ocsp(RevocationStatus::Good, nonce), leaf, ca);
  std::size_t refused = 0;
  for (std::size_t i = 0; i < good.size(); i += 7) {
    Bytes flipped = good;
    flipped[i] ^= 0x01;
    const RevocationVerdict v = check_ocsp_response(flipped, leaf, ca, nonce, kNow, kOcspUri);
    EXPECT_NE(v.status, RevocationStatus::Revoked);  // a flipped bit never forges an answer
    if (v.status == RevocationStatus::Unknown) ++refused;
  }
  EXPECT_GT(refused, good.size() / 7 / 2);  // most flips break the encoding or the signature
}

}  // namespace
}  // namespace cygnet::crypto
