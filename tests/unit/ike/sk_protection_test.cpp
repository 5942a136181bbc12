// SK (RFC 7296 §3.14) and SKF (RFC 7383) protection: round trips for every IKE cipher suite, any
// changed bit is caught, malformed bodies are refused without crashing, and fragmentation respects
// the datagram limit and reassembles in any order.
#include "ike/v2/sk_protection.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "crypto/aead.hpp"
#include "ike/random_source.hpp"
#include "wire/byte_reader.hpp"
#include "wire/ikev2_message.hpp"

namespace cygnet::ike {
namespace {

namespace ikev2 = wire::ikev2;

IkeAlgorithms suite(std::string_view text) {
  ProposalParse p = parse_proposal(text, ProtocolId::Ike, true);
  EXPECT_TRUE(p.proposal) << p.error;
  auto alg = ike_algorithms(p.proposal.value_or(Proposal{}));
  EXPECT_TRUE(alg) << text;
  return alg.value_or(IkeAlgorithms{});
}

struct Keys {
  Bytes encryption, integrity;
};

Keys keys_for(const IkeAlgorithms& alg, std::uint64_t seed) {
  auto r = seeded_random(seed);
  Keys k{Bytes(alg.encryption_key_length()), Bytes(alg.integrity_key_length())};
  r->fill(k.encryption);
  r->fill(k.integrity);
  return k;
}

ikev2::Header test_header(std::uint32_t message_id = 1) {
  ikev2::Header h;
  h.initiator_spi = 0x0102030405060708ULL;
  h.responder_spi = 0x1112131415161718ULL;
  h.exchange = ikev2::ExchangeType::IkeAuth;
  h.flags = ikev2::kFlagInitiator;
  h.message_id = message_id;
  return h;
}

ikev2::EncodedChain test_chain(std::size_t nonce_size = 32, std::size_t vendor_size = 0) {
  std::vector<ikev2::Payload> payloads;
  ikev2::NoncePayload nonce;
  nonce.data.resize(nonce_size);
  for (std::size_t i = 0; i < nonce_size; ++i) nonce.data[i] = static_cast<std::uint8_t>(i * 7 + 1);
  payloads.emplace_back(nonce);
  if (vendor_size > 0) {
    ikev2::VendorIdPayload vid;
    vid.data.resize(vendor_size);
    for (std::size_t i = 0; i < vendor_size; ++i) vid.data[i] = static_cast<std::uint8_t>(i ^ (i >> 8));
    payloads.emplace_back(vid);
  }
  return ikev2::encode_payload_chain(payloads);
}

// The SK payload of a protect() result, taken from the bytes alone (so tampered headers still
// reach the cryptographic check instead of being stopped by the parser).
ikev2::EncryptedPayload sk_of(ByteView datagram) {
  ikev2::EncryptedPayload sk;
  if (datagram.size() < 32) return sk;
  sk.first_inner = static_cast<ikev2::PayloadType>(datagram[28]);
  sk.body.assign(datagram.begin() + 32, datagram.end());
  return sk;
}

class SkSuite : public ::testing::TestWithParam<const char*> {
 protected:
  IkeAlgorithms alg = suite(GetParam());
  Keys keys = keys_for(alg, 11);
  SkProtection sender{alg, keys.encryption, keys.integrity};
  SkProtection receiver{alg, keys.encryption, keys.integrity};
  std::shared_ptr<RandomSource> random = seeded_random(3);
};

TEST_P(SkSuite, RoundTripThroughTheParser) {
  for (std::size_t size : {0u, 1u, 15u, 16u, 17u, 100u, 1000u}) {
    const ikev2::EncodedChain chain = test_chain(size);
    const Bytes datagram = sender.protect(test_header(), chain, *random);
    EXPECT_LE(datagram.size(), ikev2::kHeaderLength + chain.bytes.size() + sender.overhead());

    const auto parsed = ikev2::parse_message(datagram);
    ASSERT_TRUE(parsed) << parsed.failure.detail;
    EXPECT_EQ(parsed.value->header.next_payload, ikev2::PayloadType::Encrypted);
    EXPECT_EQ(parsed.value->header.length, datagram.size());
    EXPECT_EQ(parsed.value->header.message_id, 1u);
    ASSERT_EQ(parsed.value->payloads.size(), 1u);
    const auto* sk = std::get_if<ikev2::EncryptedPayload>(&parsed.value->payloads[0]);
    ASSERT_NE(sk, nullptr);
    EXPECT_EQ(sk->first_inner, ikev2::PayloadType::Nonce);

    const auto plain = receiver.unprotect(datagram, *sk);
    ASSERT_TRUE(plain) << "size " << size;
    EXPECT_EQ(*plain, chain.bytes);
    const auto inner = ikev2::parse_payload_chain(sk->first_inner, *plain);
    ASSERT_TRUE(inner);
    EXPECT_EQ(std::get<ikev2::NoncePayload>(inner.value->front()).data.size(), size);
  }
}

TEST_P(SkSuite, CiphertextIsWholeBlocksAndIvIsFresh) {
  const ikev2::EncodedChain chain = test_chain(40);
  const Bytes a = sender.protect(test_header(), chain, *random);
  const Bytes b = sender.protect(test_header(), chain, *random);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_NE(a, b);  // a new IV each time
  const std::size_t iv = alg.is_aead() ? 8 : (alg.encryption == ikev2::EncryptionId::TripleDes ? 8 : 16);
  const std::size_t icv = alg.is_aead() ? 16 : crypto::integrity_icv_length(*alg.integrity);
  const std::size_t ct = a.size() - 32 - iv - icv;
  if (alg.is_aead()) {
    EXPECT_EQ(ct, chain.bytes.size() + 1);  // no padding, just the Pad Length octet
  } else {
    EXPECT_EQ(ct % iv, 0u);
  }
  EXPECT_FALSE(std::equal(a.begin() + 32, a.begin() + 32 + static_cast<std::ptrdiff_t>(iv), b.begin() + 32));
}

TEST_P(SkSuite, EveryFlippedBitFails) {
  const Bytes datagram = sender.protect(test_header(), test_chain(48), *random);
  ASSERT_TRUE(receiver.unprotect(datagram, sk_of(datagram)));
  // Header, SK payload header, IV, ciphertext, padding, ICV: every octet is authenticated.
  for (std::size_t i = 0; i < datagram.size(); ++i) {
    for (std::uint8_t bit : {std::uint8_t{0x01}, std::uint8_t{0x80}}) {
      Bytes tampered = datagram;
      tampered[i] ^= bit;
      EXPECT_FALSE(receiver.unprotect(tampered, sk_of(tampered))) << "octet " << i;
    }
  }
}

TEST_P(SkSuite, TruncatedOrMismatchedBodiesFail) {
  const Bytes datagram = sender.protect(test_header(), test_chain(48), *random);
  for (std::size_t cut : {1u, 4u, 16u, 17u, 40u}) {
    const Bytes shorter(datagram.begin(), datagram.end() - static_cast<std::ptrdiff_t>(cut));
    EXPECT_FALSE(receiver.unprotect(shorter, sk_of(shorter))) << cut;
  }
  // A body shorter than IV + ICV, an empty body, a datagram shorter than a header.
  for (std::size_t keep : {32u, 33u, 40u, 50u}) {
    const Bytes tiny(datagram.begin(), datagram.begin() + static_cast<std::ptrdiff_t>(keep));
    EXPECT_FALSE(receiver.unprotect(tiny, sk_of(tiny))) << keep;
  }
  EXPECT_FALSE(receiver.unprotect(ByteView(datagram.data(), 10), sk_of(datagram)));
  // The SK body must be the datagram's tail.
  ikev2::EncryptedPayload other = sk_of(datagram);
  other.body.back() ^= 1;
  EXPECT_FALSE(receiver.unprotect(datagram, other));
}

TEST_P(SkSuite, OtherDirectionKeysFail) {
  const Keys other = keys_for(alg, 12);
  SkProtection wrong(alg, other.encryption, other.integrity);
  const Bytes datagram = sender.protect(test_header(), test_chain(), *random);
  EXPECT_FALSE(wrong.unprotect(datagram, sk_of(datagram)));
}

TEST_P(SkSuite, FragmentsFitAndReassembleInAnyOrder) {
  const ikev2::EncodedChain chain = test_chain(2000, 2996);  // ~5000 octets
  ASSERT_GE(chain.bytes.size(), 5000u);
  for (std::size_t limit : {1280u, 576u}) {
    const std::vector<Bytes> fragments = sender.protect_fragmented(test_header(7), chain, limit, *random);
    ASSERT_GT(fragments.size(), 1u);
    std::vector<std::pair<ikev2::EncryptedFragmentPayload, Bytes>> decrypted;
    for (std::size_t i = 0; i < fragments.size(); ++i) {
      const Bytes& f = fragments[i];
      EXPECT_LE(f.size(), limit);
      const auto parsed = ikev2::parse_message(f);
      ASSERT_TRUE(parsed) << parsed.failure.detail;
      EXPECT_EQ(parsed.value->header.next_payload, ikev2::PayloadType::EncryptedFragment);
      EXPECT_EQ(parsed.value->header.message_id, 7u);
      const auto& skf = std::get<ikev2::EncryptedFragmentPayload>(parsed.value->payloads.back());
      EXPECT_EQ(skf.fragment_number, i + 1);
      EXPECT_EQ(skf.total_fragments, fragments.size());
      EXPECT_EQ(skf.first_inner, i == 0 ? ikev2::PayloadType::Nonce : ikev2::PayloadType::None);
      auto plain = receiver.unprotect_fragment(f, skf);
      ASSERT_TRUE(plain) << "fragment " << i + 1;
      decrypted.emplace_back(skf, std::move(*plain));
    }
    std::mt19937 shuffle_rng(static_cast<unsigned>(limit));
    for (int round = 0; round < 3; ++round) {
      std::shuffle(decrypted.begin(), decrypted.end(), shuffle_rng);
      FragmentReassembler reassembler;
      std::optional<FragmentReassembler::Complete> done;
      for (std::size_t i = 0; i < decrypted.size(); ++i) {
        done = reassembler.add(7, decrypted[i].first, decrypted[i].second);
        if (i + 1 < decrypted.size()) {
          EXPECT_FALSE(done);
        }
      }
      ASSERT_TRUE(done);
      EXPECT_EQ(done->first_inner, ikev2::PayloadType::Nonce);
      EXPECT_EQ(done->chain, chain.bytes);
    }
  }
}

TEST_P(SkSuite, SmallMessagesAreNotFragmentedUnlessForced) {
  const ikev2::EncodedChain chain = test_chain(64);
  const auto single = sender.protect_fragmented(test_header(), chain, 1280, *random);
  ASSERT_EQ(single.size(), 1u);
  EXPECT_EQ(single[0][16], static_cast<std::uint8_t>(ikev2::PayloadType::Encrypted));

  const auto forced = sender.protect_fragmented(test_header(), chain, 1280, *random, true);
  ASSERT_EQ(forced.size(), 1u);
  const auto parsed = ikev2::parse_message(forced[0]);
  ASSERT_TRUE(parsed);
  const auto& skf = std::get<ikev2::EncryptedFragmentPayload>(parsed.value->payloads.back());
  EXPECT_EQ(skf.fragment_number, 1);
  EXPECT_EQ(skf.total_fragments, 1);
  auto plain = receiver.unprotect_fragment(forced[0], skf);
  ASSERT_TRUE(plain);
  FragmentReassembler r;
  auto done = r.add(1, skf, *plain);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->chain, chain.bytes);
}

TEST_P(SkSuite, FragmentBitFlipsFail) {
  const auto fragments = sender.protect_fragmented(test_header(), test_chain(600), 576, *random);
  ASSERT_GE(fragments.size(), 2u);
  const Bytes& f = fragments[1];
  const auto parsed = ikev2::parse_message(f);
  ASSERT_TRUE(parsed);
  const auto skf = std::get<ikev2::EncryptedFragmentPayload>(parsed.value->payloads.back());
  ASSERT_TRUE(receiver.unprotect_fragment(f, skf));
  // The SKF header (fragment number, total) is associated data / MACed too.
  for (std::size_t i = 0; i < f.size(); ++i) {
    Bytes tampered = f;
    tampered[i] ^= 0x04;
    ikev2::EncryptedFragmentPayload t = skf;
    t.body.assign(tampered.begin() + 36, tampered.end());
    EXPECT_FALSE(receiver.unprotect_fragment(tampered, t)) << "octet " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(IkeSuites, SkSuite,
                         ::testing::Values("aes128gcm16-prfsha256-x25519", "aes256gcm16-prfsha384-x25519",
                                           "chacha20poly1305-prfsha256-x25519", "aes128-sha256-x25519",
                                           "aes256-sha384-x25519", "aes256-sha512-x25519",
                                           "3des-sha1-modp2048"),
                         [](const auto& test_info) {
                           std::string name = test_info.param;
                           name = name.substr(0, name.find("-x25519"));
                           name = name.substr(0, name.find("-modp"));
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// Known answers for the wire format: the expected datagrams were computed independently with
// Python's `cryptography` package (AESGCM, ChaCha20Poly1305, AES-CBC + hmac) following RFC 7296
// §3.14, RFC 5282 and RFC 7634: AAD = IKE header | SK header, nonce = salt (last 4 octets of SK_e) |
// IV; CBC pads with zeros and MACs everything before the ICV. The IV is the first output of
// seeded_random(1) (6b69b2c202c94df48fac2150b66e9768, pinned in random_source_test).
struct SkKnownAnswer {
  const char* suite;
  std::uint8_t integrity_key_first;  // integrity key = this, +1, +2, ...
  const char* expected;
};

std::string known_answer_name(std::size_t index) {
  static const char* const kNames[] = {"AesGcm256", "ChaCha20Poly1305", "AesCbc128Sha256"};
  return kNames[index];
}

class SkKnownAnswers : public ::testing::TestWithParam<SkKnownAnswer> {};

TEST_P(SkKnownAnswers, MatchIndependentImplementation) {
  const SkKnownAnswer& c = GetParam();
  const IkeAlgorithms alg = suite(c.suite);
  Bytes ek(alg.encryption_key_length()), ik(alg.integrity_key_length());
  for (std::size_t i = 0; i < ek.size(); ++i) ek[i] = static_cast<std::uint8_t>(i + 1);
  for (std::size_t i = 0; i < ik.size(); ++i) ik[i] = static_cast<std::uint8_t>(c.integrity_key_first + i);
  SkProtection p(alg, ek, ik);
  ikev2::Header h;
  h.initiator_spi = 1;
  h.responder_spi = 2;
  h.exchange = ikev2::ExchangeType::IkeAuth;
  h.flags = ikev2::kFlagInitiator;
  h.message_id = 1;
  ikev2::EncodedChain chain;
  chain.first = ikev2::PayloadType::Nonce;
  chain.bytes = from_hex("000000080102030405060708090a0b0c0d0e0f1011");  // opaque to SK
  auto random = seeded_random(1);
  const Bytes datagram = p.protect(h, chain, *random);
  EXPECT_EQ(to_hex(datagram), c.expected);
  const auto plain = p.unprotect(datagram, sk_of(datagram));
  ASSERT_TRUE(plain);
  EXPECT_EQ(*plain, chain.bytes);
}

INSTANTIATE_TEST_SUITE_P(
    Python, SkKnownAnswers,
    ::testing::Values(
        SkKnownAnswer{
            "aes256gcm16-prfsha256-x25519", 0,
            "000000000000000100000000000000022e202308000000010000004e280000326b69b2c202c94df45b3b2cf152474f9d"
            "820841c74cac53692e344f74084c3bd565124452c9d2ae0ab05b26dd7ca7"},
        SkKnownAnswer{
            "chacha20poly1305-prfsha256-x25519", 0,
            "000000000000000100000000000000022e202308000000010000004e280000326b69b2c202c94df41d9a771747beee"
            "f4f767f9eec0cb0be071df3a7a46b8e018a8e44e5fb180121a806dd09040de"},
        SkKnownAnswer{
            "aes128-sha256-x25519", 0x80,
            "000000000000000100000000000000022e2023080000000100000060280000446b69b2c202c94df48fac2150b66e97"
            "684a191fb6467d5215528c8b8a4b422654a6a409bc011e5b23d778309ccb8798e74d5e3fbfde91aadccb8a6fcc85a5"
            "17cf"}),
    [](const auto& test_info) { return known_answer_name(test_info.index); });

TEST(SkProtection, AeadPadLengthBeyondThePlaintextFails) {
  // Seal, with the real key and salt, a plaintext whose Pad Length octet claims more padding than
  // there is: the ICV verifies, the padding check must still refuse it.
  const IkeAlgorithms alg = suite("aes128gcm16-prfsha256-x25519");
  const Keys keys = keys_for(alg, 21);
  SkProtection receiver(alg, keys.encryption, keys.integrity);

  const Bytes plaintext = {0xaa, 0xbb, 0x05};  // 2 octets of chain, "5 octets of padding"
  Bytes datagram(28 + 4 + 8 + plaintext.size() + 16);
  ikev2::write_header(test_header(), ikev2::PayloadType::Encrypted,
                      static_cast<std::uint32_t>(datagram.size()), MutableByteView(datagram).first(28));
  datagram[28] = static_cast<std::uint8_t>(ikev2::PayloadType::Nonce);
  wire::store_be16(datagram.data() + 30, static_cast<std::uint16_t>(datagram.size() - 28));
  const Bytes iv = {1, 2, 3, 4, 5, 6, 7, 8};
  std::copy(iv.begin(), iv.end(), datagram.begin() + 32);
  Bytes nonce(keys.encryption.end() - 4, keys.encryption.end());
  nonce.insert(nonce.end(), iv.begin(), iv.end());
  crypto::Aead aead(crypto::AeadAlgorithm::AesGcm128, ByteView(keys.encryption).first(16), 16);
  ASSERT_TRUE(aead.seal(nonce, ByteView(datagram).first(32), plaintext,
                        MutableByteView(datagram).subspan(40, 3), MutableByteView(datagram).subspan(43, 16)));
  EXPECT_FALSE(receiver.unprotect(datagram, sk_of(datagram)));

  // The same with a consistent Pad Length (1 octet of padding) is accepted: any pad content is.
  const Bytes good = {0xaa, 0xbb, 0x01};
  ASSERT_TRUE(aead.seal(nonce, ByteView(datagram).first(32), good, MutableByteView(datagram).subspan(40, 3),
                        MutableByteView(datagram).subspan(43, 16)));
  const auto plain = receiver.unprotect(datagram, sk_of(datagram));
  ASSERT_TRUE(plain);
  EXPECT_EQ(*plain, Bytes{0xaa});
}

TEST(SkProtection, RejectsWrongKeyLengthsAndTinyDatagramLimits) {
  const IkeAlgorithms gcm = suite("aes256gcm16-prfsha256-x25519");
  EXPECT_THROW(SkProtection(gcm, Bytes(32), {}), std::invalid_argument);  // salt missing
  const IkeAlgorithms cbc = suite("aes128-sha256-x25519");
  EXPECT_THROW(SkProtection(cbc, Bytes(16), Bytes(20)), std::invalid_argument);
  const Keys k = keys_for(gcm, 1);
  SkProtection p(gcm, k.encryption, k.integrity);
  auto random = seeded_random(1);
  EXPECT_THROW(p.protect_fragmented(test_header(), test_chain(500), 60, *random), std::invalid_argument);
}

TEST(SkProtection, OverheadMatchesTheSuite) {
  const IkeAlgorithms gcm = suite("aes256gcm16-prfsha256-x25519");
  const Keys g = keys_for(gcm, 1);
  EXPECT_EQ(SkProtection(gcm, g.encryption, g.integrity).overhead(), 4u + 8 + 1 + 16);
  const IkeAlgorithms cbc = suite("aes256-sha512-x25519");
  const Keys c = keys_for(cbc, 1);
  EXPECT_EQ(SkProtection(cbc, c.encryption, c.integrity).overhead(), 4u + 16 + 15 + 1 + 32);
}

// --- reassembly rules (RFC 7383 §2.6) ---

ikev2::EncryptedFragmentPayload frag(std::uint16_t number, std::uint16_t total,
                                     ikev2::PayloadType first = ikev2::PayloadType::None) {
  ikev2::EncryptedFragmentPayload f;
  f.fragment_number = number;
  f.total_fragments = total;
  f.first_inner = number == 1 ? first : ikev2::PayloadType::None;
  return f;
}

TEST(FragmentReassembler, DuplicatesAreIgnored) {
  FragmentReassembler r;
  EXPECT_FALSE(r.add(5, frag(1, 3, ikev2::PayloadType::Notify), {1, 1}));
  EXPECT_FALSE(r.add(5, frag(1, 3, ikev2::PayloadType::Notify), {9, 9}));  // a retransmitted copy
  EXPECT_FALSE(r.add(5, frag(3, 3), {3}));
  EXPECT_FALSE(r.add(5, frag(3, 3), {3}));
  const auto done = r.add(5, frag(2, 3), {2, 2});
  ASSERT_TRUE(done);
  EXPECT_EQ(done->first_inner, ikev2::PayloadType::Notify);
  EXPECT_EQ(done->chain, (Bytes{1, 1, 2, 2, 3}));
}

TEST(FragmentReassembler, LargerTotalRestartsSmallerIsStale) {
  FragmentReassembler r;
  EXPECT_FALSE(r.add(9, frag(1, 2, ikev2::PayloadType::Nonce), {0xa1}));
  // The sender re-fragmented for a smaller PMTU: the old piece is dropped.
  EXPECT_FALSE(r.add(9, frag(2, 3), {0xb2}));
  EXPECT_FALSE(r.add(9, frag(2, 2), {0xa2}));  // stale: belongs to the abandoned set
  EXPECT_FALSE(r.add(9, frag(1, 3, ikev2::PayloadType::Nonce), {0xb1}));
  const auto done = r.add(9, frag(3, 3), {0xb3});
  ASSERT_TRUE(done);
  EXPECT_EQ(done->chain, (Bytes{0xb1, 0xb2, 0xb3}));
}

TEST(FragmentReassembler, MessagesAreKeptApart) {
  FragmentReassembler r;
  EXPECT_FALSE(r.add(1, frag(1, 2, ikev2::PayloadType::Nonce), {1}));
  EXPECT_FALSE(r.add(2, frag(1, 2, ikev2::PayloadType::Notify), {10}));
  auto two = r.add(2, frag(2, 2), {20});
  ASSERT_TRUE(two);
  EXPECT_EQ(two->chain, (Bytes{10, 20}));
  auto one = r.add(1, frag(2, 2), {2});
  ASSERT_TRUE(one);
  EXPECT_EQ(one->chain, (Bytes{1, 2}));
}

TEST(FragmentReassembler, LimitsAreEnforced) {
  FragmentReassembler r(4, 10);
  EXPECT_FALSE(r.add(1, frag(1, 5), {1}));  // more fragments than allowed
  EXPECT_FALSE(r.add(1, frag(1, 5), {1}));

  EXPECT_FALSE(r.add(2, frag(1, 3, ikev2::PayloadType::Nonce), Bytes(6, 1)));
  EXPECT_FALSE(r.add(2, frag(2, 3), Bytes(6, 2)));  // 12 octets > 10: message dropped
  EXPECT_FALSE(r.add(2, frag(3, 3), Bytes(1, 3)));  // starts a new, incomplete message
  EXPECT_FALSE(r.add(2, frag(1, 3, ikev2::PayloadType::Nonce), Bytes(1, 1)));
  const auto done = r.add(2, frag(2, 3), Bytes(1, 2));
  ASSERT_TRUE(done);  // only the fragments after the drop count
  EXPECT_EQ(done->chain, (Bytes{1, 2, 3}));
}

TEST(FragmentReassembler, InvalidNumbersAreIgnored) {
  FragmentReassembler r;
  EXPECT_FALSE(r.add(1, frag(0, 2), {1}));
  EXPECT_FALSE(r.add(1, frag(3, 2), {1}));
  EXPECT_FALSE(r.add(1, frag(1, 0), {1}));
  // Nothing was recorded: a proper 1/1 completes at once.
  const auto done = r.add(1, frag(1, 1, ikev2::PayloadType::Nonce), {7});
  ASSERT_TRUE(done);
  EXPECT_EQ(done->chain, Bytes{7});
}

TEST(FragmentReassembler, ClearForgetsPendingMessages) {
  FragmentReassembler r;
  EXPECT_FALSE(r.add(1, frag(1, 2, ikev2::PayloadType::Nonce), {1}));
  r.clear();
  EXPECT_FALSE(r.add(1, frag(2, 2), {2}));
}

}  // namespace
}  // namespace cygnet::ike
