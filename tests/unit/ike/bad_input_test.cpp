// Regression tests for the IKEv2-engine rows of the bad-input catalog (shared reference): each sends
// exactly the hostile input of its row to a responder engine and asserts the documented behaviour
// (dropped or answered per RFC 7296, counted, no state created or lost, no crash). Inputs are built
// by mutating the genuine IKE_SA_INIT request of a real initiator engine, so everything except the
// mutation is valid. Rows that need an authenticated exchange with forged contents are tested where
// the SK keys are read with retain_keys_for_export (row 2: ikev2_payload_rules_engine_test.cpp).
#include <gtest/gtest.h>
#include <openssl/bn.h>

#include <algorithm>
#include <functional>
#include <set>

#include "ike/engine.hpp"
#include "unit/ike/engine_harness.hpp"
#include "wire/ikev2_message.hpp"

namespace cygnet::ike::test {
namespace {

namespace ikev2 = wire::ikev2;

Endpoint ep(std::string_view address) {
  return {addr(address), 500};
}

ConnectionSettings site_a(std::string_view ike = "aes256gcm16-prfsha256-x25519") {
  return psk_connection("site", "192.0.2.1", "192.0.2.2", "correct horse battery staple", ike);
}
ConnectionSettings site_b(std::string_view ike = "aes256gcm16-prfsha256-x25519") {
  return psk_connection("site", "192.0.2.2", "192.0.2.1", "correct horse battery staple", ike);
}

// Takes a peer's pending actions by hand (not delivered), recording events; returns its datagrams.
std::vector<Bytes> take(Peer& p) {
  std::vector<Bytes> out;
  for (auto& action : p.engine->take_actions()) {
    if (const auto* e = std::get_if<Event>(&action)) p.events.push_back(*e);
    if (auto error = p.binding().apply(action)) ADD_FAILURE() << p.name << ": " << *error;
    if (const auto* d = std::get_if<SendDatagram>(&action)) out.push_back(d->payload);
    p.log.push_back(action);
  }
  return out;
}

// B gets a responder connection; A starts and its genuine IKE_SA_INIT request is captured, undelivered.
Bytes start(BackToBack& net, ConnectionSettings a, ConnectionSettings b) {
  EXPECT_TRUE(net.b.engine->add_connection(std::move(b), net.now));
  a.start_action = StartAction::Start;
  EXPECT_TRUE(net.a.engine->add_connection(std::move(a), net.now));
  auto sent = take(net.a);
  EXPECT_EQ(sent.size(), 1u);
  return sent.empty() ? Bytes{} : sent.front();
}

// One datagram to B from `from`; B's answers (not delivered).
std::vector<Bytes> to_b(BackToBack& net, ByteView datagram, std::string_view from = "192.0.2.1") {
  net.b.engine->on_datagram(ep("192.0.2.2"), ep(from), datagram, net.now);
  return take(net.b);
}

// Delivers the genuine request and lets the two engines finish: the legitimate peer still connects.
void finish(BackToBack& net, const Bytes& genuine_init) {
  net.b.engine->on_datagram(ep("192.0.2.2"), ep("192.0.2.1"), genuine_init, net.now);
  net.run();
}

void expect_up(BackToBack& net) {
  EXPECT_EQ(net.a.count(EventType::IkeSaEstablished), 1u);
  EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 1u);
  EXPECT_EQ(net.b.ike_sa_count(), 1u);
  EXPECT_TRUE(net.traffic(net.a, "198.51.100.7", "203.0.113.9"));
}

Bytes mutate(ByteView datagram, const std::function<void(ikev2::Message&)>& change) {
  auto parsed = ikev2::parse_message(datagram);
  EXPECT_TRUE(parsed) << parsed.failure.detail;
  if (!parsed) return {};
  change(*parsed.value);
  return ikev2::serialize_message(*parsed.value);
}

template <typename T>
T* find(ikev2::Message& m) {
  for (auto& p : m.payloads)
    if (auto* t = std::get_if<T>(&p)) return t;
  return nullptr;
}

template <typename T>
void remove_all(ikev2::Message& m) {
  std::erase_if(m.payloads, [](const ikev2::Payload& p) { return std::holds_alternative<T>(p); });
}

// The single answer B sent: a bare error notify of `type` (and nothing that creates state).
void expect_error_reply(const std::vector<Bytes>& replies, ikev2::NotifyType type) {
  ASSERT_EQ(replies.size(), 1u);
  auto parsed = ikev2::parse_message(replies[0]);
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed.value->header.is_response());
  EXPECT_EQ(parsed.value->header.responder_spi, 0u);  // no responder SPI: no SA behind it
  ASSERT_FALSE(parsed.value->payloads.empty());
  const auto* n = std::get_if<ikev2::NotifyPayload>(&parsed.value->payloads.front());
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->type, type) << ikev2::notify_name(n->type);
  EXPECT_EQ(ikev2::find_payload<ikev2::SaPayload>(parsed.value->payloads), nullptr);
}

// A rejected IKE_SA_INIT request: counted as malformed, answered INVALID_SYNTAX, no state.
void expect_rejected_as_malformed(BackToBack& net, const Bytes& bad) {
  const auto before = net.b.engine->counters().malformed;
  const auto replies = to_b(net, bad);
  EXPECT_EQ(net.b.engine->counters().malformed, before + 1);
  EXPECT_EQ(net.b.ike_sa_count(), 0u);
  expect_error_reply(replies, ikev2::NotifyType::InvalidSyntax);
}

// --- Row 1 ---------------------------------------------------------------------------------------

// Row 1: "Length fields that disagree: IKE/ISAKMP header length ≠ datagram length, payload length < 4
// or past the end" → "drop before any state is touched; count `malformed`". Cygnet also answers an
// unparsable IKE_SA_INIT request with a bare INVALID_SYNTAX (stateless, smaller than the request).
TEST(BadInputCatalog, Row01_LengthFieldsThatDisagreeAreDroppedAndCounted) {
  BackToBack net;
  const Bytes init = start(net, site_a(), site_b());
  std::vector<Bytes> bad;
  {
    Bytes longer = init;  // one byte more than the header says
    longer.push_back(0);
    bad.push_back(longer);
    Bytes shorter(init.begin(), init.end() - 1);  // one byte less
    bad.push_back(shorter);
  }
  {
    Bytes header_says_more = init;  // header length field (offset 24) past the datagram
    header_says_more[27] = static_cast<std::uint8_t>(header_says_more[27] + 8);
    bad.push_back(header_says_more);
  }
  for (std::uint16_t len : {0, 2, 3, 0xffff}) {
    Bytes payload_len = init;  // the first payload's generic header length (offset 28 + 2)
    payload_len[30] = static_cast<std::uint8_t>(len >> 8);
    payload_len[31] = static_cast<std::uint8_t>(len & 0xff);
    bad.push_back(payload_len);
  }
  bad.push_back(Bytes(init.begin(), init.begin() + 20));  // not even a header
  for (const Bytes& b : bad) {
    SCOPED_TRACE(b.size());
    const auto before = net.b.engine->counters().malformed;
    const auto replies = to_b(net, b);
    EXPECT_EQ(net.b.engine->counters().malformed, before + 1);
    EXPECT_EQ(net.b.ike_sa_count(), 0u);
    for (const Bytes& r : replies) {
      EXPECT_LE(r.size(), b.size());
      auto parsed = ikev2::parse_message(r);
      ASSERT_TRUE(parsed);
      EXPECT_EQ(parsed.value->header.responder_spi, 0u);
      EXPECT_NE(ikev2::find_notify(parsed.value->payloads, ikev2::NotifyType::InvalidSyntax), nullptr);
    }
  }
  EXPECT_GE(net.b.count(EventType::MalformedMessage), bad.size());
  finish(net, init);
  expect_up(net);
}

// --- Row 2 ---------------------------------------------------------------------------------------

// Row 2: "A valid message missing a payload its exchange requires (no KE, no Nonce ...), or carrying
// one twice" → "a per-exchange table of required/allowed payloads checked before any handler runs;
// INVALID_SYNTAX once authenticated, silent drop before". IKE_SA_INIT is before authentication: the
// request is dropped without an answer, counted, and leaves no state (ikev2_payload_rules.hpp). The
// authenticated exchanges are in ikev2_payload_rules_engine_test.cpp.
void expect_dropped_as_malformed(BackToBack& net, const Bytes& bad) {
  const auto before = net.b.engine->counters().malformed;
  const auto replies = to_b(net, bad);
  EXPECT_EQ(net.b.engine->counters().malformed, before + 1);
  EXPECT_EQ(net.b.ike_sa_count(), 0u);
  EXPECT_TRUE(replies.empty());
}

TEST(BadInputCatalog, Row02_IkeSaInitWithoutKeIsDroppedSilently) {
  BackToBack net;
  const Bytes init = start(net, site_a(), site_b());
  expect_dropped_as_malformed(net, mutate(init, [](ikev2::Message& m) { remove_all<ikev2::KePayload>(m); }));
  finish(net, init);
  expect_up(net);
}

TEST(BadInputCatalog, Row02_IkeSaInitWithoutNonceOrSaIsDroppedSilently) {
  BackToBack net;
  const Bytes init = start(net, site_a(), site_b());
  expect_dropped_as_malformed(net,
                              mutate(init, [](ikev2::Message& m) { remove_all<ikev2::NoncePayload>(m); }));
  expect_dropped_as_malformed(net, mutate(init, [](ikev2::Message& m) { remove_all<ikev2::SaPayload>(m); }));
  finish(net, init);
  expect_up(net);
}

TEST(BadInputCatalog, Row02_IkeSaInitWithTwoSaKeOrNoncePayloadsIsDroppedSilently) {
  BackToBack net;
  const Bytes init = start(net, site_a(), site_b());
  expect_dropped_as_malformed(net, mutate(init, [](ikev2::Message& m) {
                                m.payloads.insert(m.payloads.begin() + 1,
                                                  m.payloads.front());  // SA, SA, KE, Ni, ...
                              }));
  expect_dropped_as_malformed(net, mutate(init, [](ikev2::Message& m) {
                                m.payloads.push_back(ikev2::Payload(*find<ikev2::KePayload>(m)));
                              }));
  expect_dropped_as_malformed(net, mutate(init, [](ikev2::Message& m) {
                                m.payloads.push_back(ikev2::Payload(*find<ikev2::NoncePayload>(m)));
                              }));
  finish(net, init);
  expect_up(net);
}

// --- Row 3 ---------------------------------------------------------------------------------------

// Row 3: "Notifies with a wrong protocol ID or SPI size" → "ignore or answer per RFC 7296
// §3.10/§3.11; never abort". Unknown status notifies with odd SPI sizes/protocols are ignored and
// the request is answered normally.
TEST(BadInputCatalog, Row03_NotifyWithWrongSpiSizeOrUnknownProtocolIsIgnored) {
  BackToBack net;
  const Bytes init = start(net, site_a(), site_b());
  const Bytes odd = mutate(init, [](ikev2::Message& m) {
    ikev2::NotifyPayload wrong_size;  // IKE protocol with a 3-byte SPI
    wrong_size.protocol = ikev2::ProtocolId::Ike;
    wrong_size.spi = Bytes{1, 2, 3};
    wrong_size.type = static_cast<ikev2::NotifyType>(40000);
    ikev2::NotifyPayload unknown_protocol;  // protocol 77, 4-byte SPI, REKEY_SA-like status
    unknown_protocol.protocol = static_cast<ikev2::ProtocolId>(77);
    unknown_protocol.spi = Bytes{9, 9, 9, 9};
    unknown_protocol.type = static_cast<ikev2::NotifyType>(16393);  // REKEY_SA
    ikev2::NotifyPayload known_with_spi;  // a known notify carrying an SPI it must not have
    known_with_spi.protocol = ikev2::ProtocolId::Esp;
    known_with_spi.spi = Bytes(200, 0xab);
    known_with_spi.type = ikev2::NotifyType::InitialContact;
    m.payloads.emplace_back(wrong_size);
    m.payloads.emplace_back(unknown_protocol);
    m.payloads.emplace_back(known_with_spi);
  });
  ASSERT_FALSE(odd.empty());
  const auto replies = to_b(net, odd);
  ASSERT_EQ(replies.size(), 1u);
  auto parsed = ikev2::parse_message(replies[0]);
  ASSERT_TRUE(parsed);
  EXPECT_NE(ikev2::find_payload<ikev2::SaPayload>(parsed.value->payloads), nullptr);
  EXPECT_NE(ikev2::find_payload<ikev2::KePayload>(parsed.value->payloads), nullptr);
  EXPECT_EQ(net.b.ike_sa_count(), 1u);  // one half-open SA, as for any good request
  EXPECT_EQ(net.b.engine->counters().malformed, 0u);
}

// --- Row 4 ---------------------------------------------------------------------------------------

// Row 4: "KE payload that does not match the negotiated group" → "INVALID_KE_PAYLOAD (group
// mismatch)".
TEST(BadInputCatalog, Row04_KeForAnotherGroupGetsInvalidKePayload) {
  BackToBack net;
  const Bytes init = start(net, site_a(), site_b());
  const auto replies = to_b(net, mutate(init, [](ikev2::Message& m) {
                              auto* ke = find<ikev2::KePayload>(m);
                              ke->group = static_cast<std::uint16_t>(ikev2::KeyExchangeId::Ecp256);
                              ke->data.assign(64, 0x42);
                            }));
  expect_error_reply(replies, ikev2::NotifyType::InvalidKePayload);
  auto parsed = ikev2::parse_message(replies.at(0));
  ASSERT_TRUE(parsed);
  const auto* n = ikev2::find_notify(parsed.value->payloads, ikev2::NotifyType::InvalidKePayload);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->data, (Bytes{0, 31}));  // the group we want: curve25519
  EXPECT_EQ(net.b.ike_sa_count(), 0u);
  finish(net, init);
  expect_up(net);
}

// Row 4: "wrong length" → "reject (bad value)".
TEST(BadInputCatalog, Row04_KeWithWrongLengthIsRejected) {
  BackToBack net;
  const Bytes init = start(net, site_a(), site_b());
  for (std::size_t len : {0, 1, 31, 33, 64}) {
    SCOPED_TRACE(len);
    expect_rejected_as_malformed(
        net, mutate(init, [len](ikev2::Message& m) { find<ikev2::KePayload>(m)->data.resize(len, 7); }));
  }
  finish(net, init);
  expect_up(net);
}

// Row 4: "ECP point not on the curve" → "reject (bad value); validate through OpenSSL before use".
TEST(BadInputCatalog, Row04_EcpPointNotOnCurveIsRejected) {
  BackToBack net;
  const char* ike = "aes256gcm16-prfsha256-ecp256";
  const Bytes init = start(net, site_a(ike), site_b(ike));
  expect_rejected_as_malformed(net, mutate(init, [](ikev2::Message& m) {
                                 auto* ke = find<ikev2::KePayload>(m);
                                 ASSERT_EQ(ke->data.size(), 64u);
                                 std::fill(ke->data.begin(), ke->data.end(), 0);
                                 ke->data[31] = 1;  // (1, 1) is not on P-256
                                 ke->data[63] = 1;
                               }));
  expect_rejected_as_malformed(net, mutate(init, [](ikev2::Message& m) {
                                 auto* ke = find<ikev2::KePayload>(m);
                                 ke->data[63] ^= 1;  // the genuine point with y changed: off the curve
                               }));
  finish(net, init);
  expect_up(net);
}

// Row 4: "MODP value 0, 1 or p−1" → reject (RFC 6989 §2.1).
TEST(BadInputCatalog, Row04_ModpValuesZeroOneAndPMinusOneAreRejected) {
  BackToBack net;
  const char* ike = "aes256gcm16-prfsha256-modp2048";
  const Bytes init = start(net, site_a(ike), site_b(ike));
  Bytes p_minus_one(256);
  {
    BIGNUM* p = BN_get_rfc3526_prime_2048(nullptr);  // RFC 3526 §3 group 14 prime
    ASSERT_NE(p, nullptr);
    ASSERT_TRUE(BN_sub_word(p, 1));
    ASSERT_EQ(BN_bn2binpad(p, p_minus_one.data(), 256), 256);
    BN_free(p);
  }
  Bytes zero(256, 0);
  Bytes one(256, 0);
  one[255] = 1;
  for (const Bytes& value : {zero, one, p_minus_one}) {
    expect_rejected_as_malformed(
        net, mutate(init, [&value](ikev2::Message& m) { find<ikev2::KePayload>(m)->data = value; }));
  }
  finish(net, init);
  expect_up(net);
}

// --- Row 5 ---------------------------------------------------------------------------------------

ikev2::Proposal numbered(ikev2::Proposal p, std::size_t number) {
  p.number = static_cast<std::uint8_t>(number);
  return p;
}

// Row 5: "Proposals with zero transforms, duplicate or unknown transform types, AES-CBC without a
// key-length attribute ... hundreds of proposals" → "pick only fully understood proposals".
TEST(BadInputCatalog, Row05_OnlyTheFullyUnderstoodProposalIsChosen) {
  BackToBack net;
  const Bytes init = start(net, site_a(), site_b());
  const Bytes odd = mutate(init, [](ikev2::Message& m) {
    auto* sa = find<ikev2::SaPayload>(m);
    const ikev2::Proposal good = sa->proposals.at(0);
    ikev2::Proposal empty;  // zero transforms
    ikev2::Proposal unknown_type = good;
    unknown_type.transforms.push_back({static_cast<ikev2::TransformType>(200), 1, std::nullopt});
    ikev2::Proposal cbc_without_length;
    cbc_without_length.transforms = {
        {ikev2::TransformType::Encryption, static_cast<std::uint16_t>(ikev2::EncryptionId::AesCbc),
         std::nullopt},
        {ikev2::TransformType::Prf, static_cast<std::uint16_t>(ikev2::PrfId::HmacSha2_256), std::nullopt},
        {ikev2::TransformType::Integrity, static_cast<std::uint16_t>(ikev2::IntegrityId::HmacSha2_256_128),
         std::nullopt},
        {ikev2::TransformType::KeyExchange, static_cast<std::uint16_t>(ikev2::KeyExchangeId::Curve25519),
         std::nullopt}};
    ikev2::Proposal duplicate_type = good;
    duplicate_type.transforms.push_back(duplicate_type.transforms.front());
    duplicate_type.transforms.front().id = 9999;  // two ENCR transforms, the first unknown
    sa->proposals = {numbered(empty, 1), numbered(unknown_type, 2), numbered(cbc_without_length, 3),
                     numbered(good, 4)};
  });
  const auto replies = to_b(net, odd);
  ASSERT_EQ(replies.size(), 1u);
  auto parsed = ikev2::parse_message(replies[0]);
  ASSERT_TRUE(parsed);
  const auto* sa = ikev2::find_payload<ikev2::SaPayload>(parsed.value->payloads);
  ASSERT_NE(sa, nullptr);
  ASSERT_EQ(sa->proposals.size(), 1u);
  EXPECT_EQ(sa->proposals[0].number, 4u);
  EXPECT_EQ(net.b.engine->counters().no_proposal_chosen, 0u);
}

TEST(BadInputCatalog, Row05_OnlyBadProposalsGetNoProposalChosenWithExplanation) {
  BackToBack net;
  const Bytes init = start(net, site_a(), site_b());
  const Bytes bad = mutate(init, [](ikev2::Message& m) {
    auto* sa = find<ikev2::SaPayload>(m);
    ikev2::Proposal cbc_without_length;
    cbc_without_length.transforms = {
        {ikev2::TransformType::Encryption, static_cast<std::uint16_t>(ikev2::EncryptionId::AesCbc),
         std::nullopt},
        {ikev2::TransformType::Prf, static_cast<std::uint16_t>(ikev2::PrfId::HmacSha2_256), std::nullopt},
        {ikev2::TransformType::Integrity, static_cast<std::uint16_t>(ikev2::IntegrityId::HmacSha2_256_128),
         std::nullopt},
        {ikev2::TransformType::KeyExchange, static_cast<std::uint16_t>(ikev2::KeyExchangeId::Curve25519),
         std::nullopt}};
    sa->proposals = {numbered(ikev2::Proposal{}, 1), numbered(cbc_without_length, 2)};
  });
  const auto replies = to_b(net, bad);
  expect_error_reply(replies, ikev2::NotifyType::NoProposalChosen);
  EXPECT_EQ(net.b.engine->counters().no_proposal_chosen, 1u);
  const Event* e = net.b.find(EventType::NoProposalChosen);
  ASSERT_NE(e, nullptr);
  EXPECT_FALSE(e->detail.empty());
  EXPECT_EQ(net.b.ike_sa_count(), 0u);
  finish(net, init);
  expect_up(net);
}

// Row 5: "hundreds of proposals" → "cap counts; NO_PROPOSAL_CHOSEN", never a crash.
TEST(BadInputCatalog, Row05_TwoHundredProposalsAreHandled) {
  BackToBack net;
  const Bytes init = start(net, site_a(), site_b());
  auto flood = [&init](bool good_last) {
    return mutate(init, [good_last](ikev2::Message& m) {
      auto* sa = find<ikev2::SaPayload>(m);
      const ikev2::Proposal good = sa->proposals.at(0);
      ikev2::Proposal useless = good;
      useless.transforms.front().id = 9999;  // unknown encryption algorithm
      sa->proposals.clear();
      for (std::size_t i = 1; i <= 200; ++i)
        sa->proposals.push_back(numbered(good_last && i == 200 ? good : useless, i));
    });
  };
  const auto none = to_b(net, flood(false));
  expect_error_reply(none, ikev2::NotifyType::NoProposalChosen);
  EXPECT_EQ(net.b.engine->counters().no_proposal_chosen, 1u);
  EXPECT_EQ(net.b.ike_sa_count(), 0u);
  // With the good one last: either chosen correctly or refused as too many; never anything else.
  const auto replies = to_b(net, flood(true));
  ASSERT_EQ(replies.size(), 1u);
  auto parsed = ikev2::parse_message(replies[0]);
  ASSERT_TRUE(parsed);
  if (const auto* sa = ikev2::find_payload<ikev2::SaPayload>(parsed.value->payloads)) {
    ASSERT_EQ(sa->proposals.size(), 1u);
    EXPECT_EQ(sa->proposals[0].number, 200u);
    EXPECT_EQ(net.b.ike_sa_count(), 1u);
  } else {
    EXPECT_NE(ikev2::find_notify(parsed.value->payloads, ikev2::NotifyType::NoProposalChosen), nullptr);
    EXPECT_EQ(net.b.ike_sa_count(), 0u);
  }
}

// --- Row 7 ---------------------------------------------------------------------------------------

// Row 7: "IKE fragments ... fragments before the SK keys exist" → "only after integrity check".
// Garbage SKF fragments aimed at a half-open SA are dropped and counted; the real exchange goes on.
TEST(BadInputCatalog, Row07_ForgedFragmentsBeforeAuthAreDroppedAndTheSaSurvives) {
  BackToBack net;
  const Bytes init = start(net, site_a(), site_b());
  const auto responses = to_b(net, init);
  ASSERT_EQ(responses.size(), 1u);
  auto response = ikev2::parse_message(responses[0]);
  ASSERT_TRUE(response);
  const ikev2::Header h = response.value->header;
  ASSERT_NE(h.responder_spi, 0u);
  const auto before = net.b.engine->counters().malformed;
  std::size_t sent = 0;
  for (std::uint16_t total : {2, 1, 60000}) {
    for (std::uint16_t number : {1, 2, 70}) {
      ikev2::Message forged;
      forged.header = h;
      forged.header.exchange = ikev2::ExchangeType::IkeAuth;
      forged.header.flags = ikev2::kFlagInitiator;
      forged.header.message_id = 1;
      ikev2::EncryptedFragmentPayload skf;
      skf.first_inner = number == 1 ? ikev2::PayloadType::IdInitiator : ikev2::PayloadType::None;
      skf.fragment_number = number;
      skf.total_fragments = total;
      skf.body = Bytes(64, static_cast<std::uint8_t>(number));
      forged.payloads.emplace_back(skf);
      EXPECT_TRUE(to_b(net, ikev2::serialize_message(forged)).empty());
      ++sent;
    }
  }
  // Each forgery is dropped (failed integrity, or an inconsistent fragment) and none is answered.
  EXPECT_EQ(net.b.engine->counters().malformed, before + sent);
  EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 0u);
  net.a.engine->on_datagram(ep("192.0.2.1"), ep("192.0.2.2"), responses[0], net.now);
  net.run();
  expect_up(net);
  EXPECT_GT(sent, 0u);
}

// --- Row 12 --------------------------------------------------------------------------------------

// Row 12: "Spoofed requests that trigger retransmissions to a victim" → "answer a duplicate with the
// cached reply a bounded number of times; never more bytes out than in to an unverified source".
TEST(BadInputCatalog, Row12_ReplayedIkeSaInitIsAnsweredFromCacheABoundedNumberOfTimes) {
  BackToBack net;
  const Bytes init = start(net, site_a(), site_b());
  std::size_t bytes_in = 0;
  std::size_t bytes_out = 0;
  std::size_t answers = 0;
  Bytes first_answer;
  for (int i = 0; i < 100; ++i) {
    bytes_in += init.size();
    for (const Bytes& r : to_b(net, init)) {
      if (first_answer.empty()) first_answer = r;
      bytes_out += r.size();
      ++answers;
    }
  }
  EXPECT_EQ(net.b.ike_sa_count(), 1u);                          // never a second SA
  EXPECT_EQ(net.b.engine->counters().duplicate_requests, 99u);  // every copy counted...
  EXPECT_EQ(answers, 1u + 16u);  // ...but only the first answer and 16 cached copies sent
  EXPECT_GT(bytes_out, 0u);
  EXPECT_LE(bytes_out * 5, bytes_in) << "amplification towards an unverified source";
  // The legitimate initiator, which got the first answer, completes.
  net.a.engine->on_datagram(ep("192.0.2.1"), ep("192.0.2.2"), first_answer, net.now);
  net.run();
  expect_up(net);
}

// --- Row 13 --------------------------------------------------------------------------------------

// Row 13: "A flood of IKE_SA_INIT from spoofed sources" → "stateless COOKIE above a half-open
// threshold; bounded half-open table; legitimate peers still connect".
TEST(BadInputCatalog, Row13_SpoofedFloodGetsCookiesAndTheLegitimatePeerStillConnects) {
  BackToBack net;
  const Bytes init = start(net, site_a(), psk_connection("site", "192.0.2.2", ""));
  const std::size_t threshold = EngineOptions{}.cookie_threshold;
  for (std::uint64_t i = 1; i <= 200; ++i) {
    const std::string spoofed = "203.0.113." + std::to_string(i);
    Bytes request = init;
    request[0] = static_cast<std::uint8_t>(i);  // a different initiator SPI per source
    request[7] = static_cast<std::uint8_t>(0xa0 + i % 16);
    net.b.engine->on_datagram(ep("192.0.2.2"), ep(spoofed), request, net.now);
    take(net.b);
  }
  EXPECT_LE(net.b.ike_sa_count(), threshold);
  EXPECT_GE(net.b.engine->counters().cookies_sent, 200u - threshold);
  EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 0u);
  finish(net, init);
  EXPECT_EQ(net.a.count(EventType::CookieRequested), 1u);
  EXPECT_EQ(net.a.count(EventType::IkeSaEstablished), 1u);
  EXPECT_EQ(net.b.count(EventType::IkeSaEstablished), 1u);
  EXPECT_TRUE(net.traffic(net.a, "198.51.100.7", "203.0.113.9"));
  // The spoofed half-open SAs expire; only the real one stays.
  net.advance(EngineOptions{}.half_open_timeout + Seconds{1});
  EXPECT_EQ(net.b.ike_sa_count(), 1u);
}

// --- Row 19 --------------------------------------------------------------------------------------

// Row 19: "Nonces shorter than 16 or longer than 256 bytes" → "reject bad peer nonces".
TEST(BadInputCatalog, Row19_NoncesOf15And257BytesAreRejected) {
  BackToBack net;
  const Bytes init = start(net, site_a(), site_b());
  for (std::size_t len : {0, 15, 257}) {
    SCOPED_TRACE(len);
    expect_rejected_as_malformed(net, mutate(init, [len](ikev2::Message& m) {
                                   find<ikev2::NoncePayload>(m)->data.assign(len, 0x5a);
                                 }));
  }
  for (std::size_t len : {16, 256}) {  // the limits themselves are fine
    const auto replies = to_b(net, mutate(init, [len](ikev2::Message& m) {
                                find<ikev2::NoncePayload>(m)->data.assign(len, 0x5a);
                                m.header.initiator_spi += len;
                              }));
    ASSERT_EQ(replies.size(), 1u);
    auto parsed = ikev2::parse_message(replies[0]);
    ASSERT_TRUE(parsed);
    EXPECT_NE(ikev2::find_payload<ikev2::SaPayload>(parsed.value->payloads), nullptr);
  }
  EXPECT_EQ(net.b.ike_sa_count(), 2u);
}

// Row 19: "our SPIs random, non-zero, unique".
TEST(BadInputCatalog, Row19_OurSpisAreNonZeroAndDistinct) {
  EngineOptions roomy;
  roomy.cookie_threshold = 1000;
  roomy.max_half_open_per_source = 0;  // 300 half-open SAs from one address, for the SPIs
  BackToBack net({}, roomy);
  const Bytes init = start(net, site_a(), site_b());
  std::set<std::uint64_t> spis;
  auto header = ikev2::parse_header(init);
  ASSERT_TRUE(header);
  EXPECT_NE(header.value->initiator_spi, 0u);
  spis.insert(header.value->initiator_spi);
  for (std::uint64_t i = 1; i <= 300; ++i) {
    const auto replies = to_b(net, mutate(init, [i](ikev2::Message& m) { m.header.initiator_spi = i; }));
    ASSERT_EQ(replies.size(), 1u);
    auto h = ikev2::parse_header(replies[0]);
    ASSERT_TRUE(h);
    EXPECT_NE(h.value->responder_spi, 0u);
    spis.insert(h.value->responder_spi);
  }
  EXPECT_EQ(spis.size(), 301u);
  EXPECT_EQ(net.b.ike_sa_count(), 300u);
}

// Row 19: "SPI 0" → a response whose responder SPI is 0 is refused (RFC 7296 §3.1).
TEST(BadInputCatalog, Row19_ResponseWithZeroResponderSpiIsRefused) {
  BackToBack net;
  const Bytes init = start(net, site_a(), site_b());
  const auto responses = to_b(net, init);
  ASSERT_EQ(responses.size(), 1u);
  Bytes zero_spi = responses[0];
  std::fill(zero_spi.begin() + 8, zero_spi.begin() + 16, 0);
  const auto before = net.a.engine->counters().malformed;
  net.a.engine->on_datagram(ep("192.0.2.1"), ep("192.0.2.2"), zero_spi, net.now);
  EXPECT_TRUE(take(net.a).empty());  // no IKE_AUTH follows
  EXPECT_EQ(net.a.engine->counters().malformed, before + 1);
  EXPECT_EQ(net.a.count(EventType::IkeSaEstablished), 0u);
  net.a.engine->on_datagram(ep("192.0.2.1"), ep("192.0.2.2"), responses[0], net.now);
  net.run();
  expect_up(net);
}

}  // namespace
}  // namespace cygnet::ike::test
