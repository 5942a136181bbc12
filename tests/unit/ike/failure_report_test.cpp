#include "ike/failure_report.hpp"

#include <gtest/gtest.h>

#include "ike/traffic_selectors.hpp"

namespace cygnet::ike {
namespace {

std::vector<Proposal> proposals(std::initializer_list<const char*> texts,
                                ProtocolId protocol = ProtocolId::Ike) {
  std::vector<Proposal> out;
  std::uint8_t number = 1;
  for (const char* t : texts) {
    auto p = parse_proposal(t, protocol, false);
    if (!p.proposal) throw std::runtime_error(p.error);
    p.proposal->number = number++;
    out.push_back(*p.proposal);
  }
  return out;
}

TEST(DiagnoseProposals, OneTypeWithoutOverlapNamesItAndTheValueToAdd) {
  const auto d = diagnose_proposals(
      proposals({"aes256gcm16-prfsha256-ecp384", "aes256gcm16-prfsha256-modp3072"}),
      proposals({"aes256gcm16-prfsha256-x25519", "aes128gcm16-prfsha256-ecp256"}), "ike_proposals");
  EXPECT_EQ(d.fix,
            "peer offers key exchange groups ecp384, modp3072; we offer x25519, ecp256 — add ecp384 to "
            "ike_proposals "
            "to agree");
  EXPECT_EQ(d.nearest,
            "peer's aes256gcm16-prfsha256-ecp384 and our aes256gcm16-prfsha256-x25519 differ in the key "
            "exchange group");
}

TEST(DiagnoseProposals, AnAeadAgainstCbcBlamesTheEncryptionNotTheIntegrity) {
  const auto d = diagnose_proposals(proposals({"aes128-sha256"}, ProtocolId::Esp),
                                    proposals({"aes256gcm16"}, ProtocolId::Esp), "esp_proposals");
  EXPECT_EQ(d.fix,
            "peer offers encryption algorithms aes128 only; we offer aes256gcm16 — add aes128 to "
            "esp_proposals to agree");
}

TEST(DiagnoseProposals, SeveralTypesWithoutOverlapSuggestTheNearestWholeProposal) {
  const auto d = diagnose_proposals(proposals({"aes128-sha256-modp3072"}),
                                    proposals({"aes256gcm16-prfsha384-x25519"}), "ike_proposals");
  EXPECT_EQ(
      d.nearest,
      "peer's aes128-sha256-prfsha256-modp3072 and our aes256gcm16-prfsha384-x25519 differ in the encryption "
      "algorithm, PRF and key exchange group");
  EXPECT_EQ(d.fix,
            "no common encryption algorithm, PRF and key exchange group in any proposal — add "
            "aes128-sha256-prfsha256-modp3072 to ike_proposals to agree");
}

TEST(DiagnoseProposals, EveryTypeSharedButNotInOneProposal) {
  // Both groups and both ciphers are common, but never in the same pair of proposals.
  const auto d = diagnose_proposals(
      proposals({"aes256gcm16-prfsha256-x25519", "aes128gcm16-prfsha256-ecp256"}),
      proposals({"aes256gcm16-prfsha256-ecp256", "aes128gcm16-prfsha256-x25519"}), "ike_proposals");
  EXPECT_EQ(d.fix, "add aes256gcm16-prfsha256-x25519 to ike_proposals to agree");
}

TEST(DiagnoseProposals, EmptyListsGiveNoAdvice) {
  EXPECT_TRUE(
      diagnose_proposals({}, proposals({"aes256gcm16-prfsha256-x25519"}), "ike_proposals").fix.empty());
}

TEST(DiagnoseSelectors, NamesTheSideWithoutOverlap) {
  const auto ts = [](const char* p) { return ts_from_prefix(*wire::IpPrefix::parse(p)); };
  const auto d = diagnose_selectors({ts("198.51.100.0/24")}, {ts("203.0.113.0/24")},
                                    {ts("198.51.100.128/25")}, {ts("192.0.2.0/26")}, "net");
  EXPECT_EQ(d.nearest,
            "TSi 198.51.100.0/24 within our remote_ts: 198.51.100.128/25; TSr 203.0.113.0/24 within our "
            "local_ts: (none)");
  EXPECT_EQ(d.fix,
            "add 203.0.113.0/24 to local_ts of child net to agree (or narrow the peer's side to ours)");
}

TEST(ClassifyAuthenticationFailure, SortsTheVerifiersWords) {
  EXPECT_EQ(classify_authentication_failure("PSK mismatch (AUTH payload does not verify)"),
            FailureClass::Authentication);
  EXPECT_EQ(classify_authentication_failure("peer used AUTH method 14, we expect a PSK"),
            FailureClass::Authentication);
  EXPECT_EQ(classify_authentication_failure("peer ID a does not match remote_id b"), FailureClass::Identity);
  EXPECT_EQ(classify_authentication_failure("certificate has expired (CN=x)"), FailureClass::Certificate);
  EXPECT_EQ(classify_authentication_failure("untrusted certificate: unable to get local issuer"),
            FailureClass::Certificate);
}

TEST(FailureLog, AnEventAddsNothingAfterADetailedReportOfTheSameInput) {
  FailureLog log;
  log.set_now(TimePoint{} + Seconds(5));
  FailureReport detailed = basic_failure_report("site", FailureRole::Responder, 2, "IKE_SA_INIT",
                                                FailureClass::Proposal, "detailed", "192.0.2.1[500]");
  log.record(detailed);
  log.note_event(Event{EventType::NoProposalChosen, "site", std::nullopt, std::nullopt, "from the event"}, 2);
  ASSERT_TRUE(log.last("site"));
  EXPECT_EQ(log.last("site")->summary, "detailed");
  EXPECT_EQ(log.last("site")->time, TimePoint{} + Seconds(5));

  log.set_now(TimePoint{} + Seconds(9));  // the next input: an event alone becomes the report
  log.note_event(Event{EventType::RetransmitGaveUp, "site", std::nullopt, std::nullopt, "no answer"}, 1);
  EXPECT_EQ(log.last("site")->summary, "no answer");
  EXPECT_EQ(log.last("site")->kind, FailureClass::Timeout);
  EXPECT_EQ(log.last("site")->ike_version, 1);

  log.note_event(Event{EventType::IkeSaEstablished, "site", std::nullopt, std::nullopt, "up"}, 2);
  EXPECT_EQ(log.last("site")->summary, "no answer");  // not a failure: the report stays
  log.note_event(
      Event{EventType::AuthenticationFailed, "", std::nullopt, std::nullopt, "no connection accepts x"}, 2);
  ASSERT_TRUE(log.unattributed());
  EXPECT_EQ(log.unattributed()->kind, FailureClass::Identity);
  EXPECT_FALSE(log.last("other"));
}

}  // namespace
}  // namespace cygnet::ike

namespace cygnet::ike {
namespace {

// Hostile offers: a type the peer leaves out entirely, proposals for another protocol, nothing.
TEST(DiagnoseProposals, OffersMissingATypeOrForAnotherProtocolNeverCrash) {
  Proposal no_group = proposals({"aes256gcm16-prfsha256-x25519"}).front();
  std::erase_if(no_group.transforms, [](const Transform& t) { return t.type == TransformType::KeyExchange; });
  const auto d = diagnose_proposals({no_group}, proposals({"aes256gcm16-prfsha256-x25519"}), "ike_proposals");
  EXPECT_EQ(
      d.fix,
      "peer offers no key exchange group; we require one of x25519 — the peer's proposals must include one");

  const auto esp = diagnose_proposals(proposals({"aes256gcm16"}, ProtocolId::Esp),
                                      proposals({"aes256gcm16-prfsha256-x25519"}), "ike_proposals");
  EXPECT_TRUE(esp.fix.empty());
  EXPECT_TRUE(esp.nearest.empty());
  EXPECT_TRUE(diagnose_proposals({Proposal{}}, {}, "ike_proposals").fix.empty());
}

}  // namespace
}  // namespace cygnet::ike
