// IKEv1 message protection: round trips for every phase-1 cipher, IV chaining through phase 1 and
// into Quick Mode / Informational exchanges (RFC 2409 Appendix B), tolerance of any padding, and
// malformed ciphertexts refused by name without crashing.
#include "ike/v1/ikev1_protection.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>

#include "crypto/error.hpp"
#include "ike/random_source.hpp"
#include "ike/v1/ikev1_keys.hpp"
#include "wire/isakmp_message.hpp"

namespace cygnet::ike::v1 {
namespace {

using crypto::CbcAlgorithm;
using crypto::HashAlgorithm;
namespace isakmp = wire::isakmp;

constexpr CbcAlgorithm kCiphers[] = {CbcAlgorithm::AesCbc128, CbcAlgorithm::AesCbc192,
                                     CbcAlgorithm::AesCbc256, CbcAlgorithm::TripleDesCbc};

Bytes random_bytes(std::size_t n, std::uint64_t seed) {
  Bytes out(n);
  seeded_random(seed)->fill(out);
  return out;
}

Phase1Protection make_protection(CbcAlgorithm cipher, std::uint64_t seed = 1) {
  return Phase1Protection(cipher, random_bytes(crypto::cbc_key_length(cipher), seed));
}

isakmp::Header header(isakmp::ExchangeType exchange = isakmp::kMainMode, std::uint32_t message_id = 0) {
  isakmp::Header h;
  h.initiator_cookie = 0x0102030405060708ULL;
  h.responder_cookie = 0x1112131415161718ULL;
  h.exchange = exchange;
  h.message_id = message_id;
  return h;
}

// Main Mode message 5 shape: ID, HASH_I (plus a notify so the length varies with `extra`).
std::vector<isakmp::Payload> main_mode_payloads(std::size_t extra = 0) {
  std::vector<isakmp::Payload> p;
  isakmp::IdPayload id;
  id.type = isakmp::IdType::Ipv4Address;
  id.data = from_hex("c0000201");
  p.emplace_back(id);
  p.emplace_back(isakmp::HashPayload{Bytes(20, 0xab)});
  if (extra > 0) {
    isakmp::NotificationPayload n;
    n.type = isakmp::NotifyType::InitialContact;
    n.spi = Bytes(16, 0x5c);
    n.data = Bytes(extra, 0x3e);
    p.emplace_back(n);
  }
  return p;
}

std::vector<isakmp::Payload> quick_mode_payloads() {
  std::vector<isakmp::Payload> p;
  p.emplace_back(isakmp::HashPayload{Bytes(32, 0)});
  isakmp::SaPayload sa;
  isakmp::Proposal proposal;
  proposal.protocol = isakmp::ProtocolId::Esp;
  proposal.spi = from_hex("c0ffee01");
  isakmp::Transform t;
  t.id = 12;  // ESP_AES
  t.attributes.push_back(isakmp::Attribute::basic(isakmp::Phase2Attribute::KeyLength, 256));
  t.attributes.push_back(isakmp::Attribute::basic(isakmp::Phase2Attribute::AuthenticationAlgorithm, 5));
  proposal.transforms.push_back(t);
  sa.proposals.push_back(proposal);
  p.emplace_back(sa);
  p.emplace_back(isakmp::NoncePayload{Bytes(32, 0x44)});
  return p;
}

// Sender side: protect; receiver side: parse the datagram, then unprotect.
ProtectionResult<Phase1Protection::Unprotected> receive(Phase1Protection& p, ByteView datagram, ByteView iv) {
  isakmp::ParseResult<isakmp::Message> parsed = isakmp::parse_message(datagram);
  if (!parsed) {
    ADD_FAILURE() << "datagram does not parse: " << parsed.failure.detail;
    return {};
  }
  return p.unprotect(*parsed.value, iv);
}

TEST(Ikev1Protection, RoundTripEveryCipherAndLength) {
  for (CbcAlgorithm cipher : kCiphers) {
    Phase1Protection sender = make_protection(cipher);
    Phase1Protection receiver = make_protection(cipher);
    const std::size_t block = sender.block_size();
    ASSERT_EQ(block, crypto::cbc_block_size(cipher));
    for (std::size_t extra = 0; extra < 40; ++extra) {
      const auto payloads = main_mode_payloads(extra);
      const isakmp::EncodedChain chain = isakmp::encode_payload_chain(payloads);
      const Bytes iv = random_bytes(block, 100 + extra);
      const Phase1Protection::Protected out = sender.protect(header(), chain, iv);

      ASSERT_EQ((out.datagram.size() - isakmp::kHeaderLength) % block, 0u);
      EXPECT_LT(out.datagram.size() - isakmp::kHeaderLength - chain.bytes.size(), block);  // minimal padding
      EXPECT_EQ(Bytes(out.datagram.end() - static_cast<std::ptrdiff_t>(block), out.datagram.end()),
                out.next_iv);

      const auto got = receive(receiver, out.datagram, iv);
      ASSERT_TRUE(got) << crypto::cbc_name(cipher) << " extra=" << extra << ": "
                       << protection_error_name(got.error);
      EXPECT_EQ(got.value->payloads, payloads);
      EXPECT_EQ(got.value->next_iv, out.next_iv);
      // The plaintext is the chain plus zero padding.
      ASSERT_EQ(got.value->plaintext.size(), out.datagram.size() - isakmp::kHeaderLength);
      EXPECT_TRUE(std::equal(chain.bytes.begin(), chain.bytes.end(), got.value->plaintext.begin()));
      EXPECT_TRUE(std::all_of(got.value->plaintext.begin() + static_cast<std::ptrdiff_t>(chain.bytes.size()),
                              got.value->plaintext.end(), [](std::uint8_t b) { return b == 0; }));
    }
  }
}

TEST(Ikev1Protection, HeaderFieldsAndEncryptionFlag) {
  Phase1Protection p = make_protection(CbcAlgorithm::AesCbc256);
  isakmp::Header h = header(isakmp::ExchangeType::QuickMode, 0x7a3b2c1d);
  h.flags = isakmp::kFlagCommit;
  const isakmp::EncodedChain chain = isakmp::encode_payload_chain(quick_mode_payloads());
  const auto out = p.protect(h, chain, Bytes(16, 0));
  const auto parsed = isakmp::parse_message(out.datagram);
  ASSERT_TRUE(parsed);
  const isakmp::Header& got = parsed.value->header;
  EXPECT_TRUE(got.encrypted());
  EXPECT_TRUE(got.commit());
  EXPECT_EQ(got.next_payload, isakmp::PayloadType::Hash);
  EXPECT_EQ(got.message_id, 0x7a3b2c1dU);
  EXPECT_EQ(got.exchange, isakmp::ExchangeType::QuickMode);
  EXPECT_EQ(got.initiator_cookie, h.initiator_cookie);
  EXPECT_EQ(got.responder_cookie, h.responder_cookie);
  EXPECT_EQ(got.length, out.datagram.size());
  EXPECT_TRUE(parsed.value->payloads.empty());
  EXPECT_EQ(parsed.value->encrypted_body.size(), out.datagram.size() - isakmp::kHeaderLength);
}

TEST(Ikev1Protection, IvChainsThroughPhase1IntoQuickModeAndInformational) {
  // Both peers derive the same key and first IV; each message's last ciphertext block becomes the
  // next IV; Quick Mode and Informational exchanges start from hash(last phase-1 block | M-ID).
  const HashAlgorithm hash = HashAlgorithm::Sha256;
  const CbcAlgorithm cipher = CbcAlgorithm::AesCbc128;
  const Bytes gxi = random_bytes(256, 7), gxr = random_bytes(256, 8), gxy = random_bytes(256, 9);
  const crypto::SecureBytes skeyid =
      skeyid_pre_shared_key(hash, from_hex("736563726574"), random_bytes(32, 10), random_bytes(32, 11));
  const Phase1Keys keys =
      derive_phase1_keys(hash, cipher, skeyid, gxy, 0x0102030405060708ULL, 0x1112131415161718ULL);
  Phase1Protection initiator(cipher, keys.encryption_key.view());
  Phase1Protection responder(cipher, keys.encryption_key.view());
  const std::size_t block = initiator.block_size();

  Bytes iv_i = phase1_iv(hash, gxi, gxr, block);
  Bytes iv_r = phase1_iv(hash, gxi, gxr, block);
  ASSERT_EQ(iv_i.size(), 16u);

  // Main Mode message 5 (initiator → responder).
  const auto m5 = initiator.protect(header(), isakmp::encode_payload_chain(main_mode_payloads(3)), iv_i);
  const auto r5 = receive(responder, m5.datagram, iv_r);
  ASSERT_TRUE(r5) << protection_error_name(r5.error);
  iv_i = m5.next_iv;
  iv_r = r5.value->next_iv;
  EXPECT_EQ(iv_i, iv_r);

  // Message 6 (responder → initiator) uses the chained IV; the first IV no longer works.
  const auto m6 = responder.protect(header(), isakmp::encode_payload_chain(main_mode_payloads(11)), iv_r);
  const auto stale = receive(initiator, m6.datagram, phase1_iv(hash, gxi, gxr, block));
  if (stale) {
    EXPECT_NE(stale.value->payloads, main_mode_payloads(11));  // at best the first block is garbage
  }
  const auto r6 = receive(initiator, m6.datagram, iv_i);
  ASSERT_TRUE(r6) << protection_error_name(r6.error);
  EXPECT_EQ(r6.value->payloads, main_mode_payloads(11));
  const Bytes last_phase1_block = r6.value->next_iv;
  EXPECT_EQ(last_phase1_block, m6.next_iv);

  // Quick Mode, message ID 0x11223344: three messages chained from the derived IV.
  const std::uint32_t qm_id = 0x11223344;
  Bytes qm_iv_i = phase2_iv(hash, last_phase1_block, qm_id, block);
  Bytes qm_iv_r = phase2_iv(hash, m6.next_iv, qm_id, block);
  EXPECT_NE(qm_iv_i, last_phase1_block);
  const auto qm_payloads = quick_mode_payloads();
  for (int n = 0; n < 3; ++n) {
    const bool from_initiator = n != 1;
    Phase1Protection& tx = from_initiator ? initiator : responder;
    Phase1Protection& rx = from_initiator ? responder : initiator;
    Bytes& tx_iv = from_initiator ? qm_iv_i : qm_iv_r;
    Bytes& rx_iv = from_initiator ? qm_iv_r : qm_iv_i;
    const auto sent = tx.protect(header(isakmp::ExchangeType::QuickMode, qm_id),
                                 isakmp::encode_payload_chain(qm_payloads), tx_iv);
    const auto got = receive(rx, sent.datagram, rx_iv);
    ASSERT_TRUE(got) << "QM message " << n + 1 << ": " << protection_error_name(got.error);
    EXPECT_EQ(got.value->payloads, qm_payloads);
    tx_iv = sent.next_iv;
    rx_iv = got.value->next_iv;
    EXPECT_EQ(tx_iv, rx_iv);
  }

  // An Informational exchange starts from the last phase-1 block too, not from the Quick Mode chain.
  const std::uint32_t info_id = 0x55667788;
  const Bytes info_iv = phase2_iv(hash, last_phase1_block, info_id, block);
  EXPECT_NE(info_iv, qm_iv_i);
  std::vector<isakmp::Payload> info;
  info.emplace_back(isakmp::HashPayload{Bytes(32, 1)});
  isakmp::DeletePayload del;
  del.spis.push_back(from_hex("c0ffee01"));
  info.emplace_back(del);
  const auto sent = initiator.protect(header(isakmp::ExchangeType::Informational, info_id),
                                      isakmp::encode_payload_chain(info), info_iv);
  const auto got = receive(responder, sent.datagram, phase2_iv(hash, m6.next_iv, info_id, block));
  ASSERT_TRUE(got) << protection_error_name(got.error);
  EXPECT_EQ(got.value->payloads, info);
}

TEST(Ikev1Protection, ToleratesAnyPadding) {
  for (CbcAlgorithm cipher : kCiphers) {
    Phase1Protection p = make_protection(cipher, 3);
    const std::size_t block = p.block_size();
    const auto payloads = quick_mode_payloads();
    const isakmp::EncodedChain chain = isakmp::encode_payload_chain(payloads);
    const std::size_t to_align = (block - chain.bytes.size() % block) % block;

    std::vector<Bytes> paddings;
    paddings.push_back(Bytes(to_align, 0));                 // zeros (what we send)
    paddings.push_back(random_bytes(to_align + block, 4));  // random bytes and an extra block
    Bytes with_count(to_align + block, 0);                  // RFC 2409 style: last byte counts
    with_count.back() = static_cast<std::uint8_t>(with_count.size() - 1);
    paddings.push_back(with_count);
    paddings.push_back(Bytes(to_align + 4 * block, 0xff));  // lots of padding

    for (const Bytes& padding : paddings) {
      Bytes plaintext = chain.bytes;
      plaintext.insert(plaintext.end(), padding.begin(), padding.end());
      ASSERT_EQ(plaintext.size() % block, 0u);
      const Bytes iv = random_bytes(block, 5);
      const Phase1Protection::Sealed sealed = p.encrypt(iv, plaintext);
      ASSERT_EQ(sealed.ciphertext.size(), plaintext.size());  // already aligned: nothing added

      isakmp::Message m;
      m.header = header(isakmp::ExchangeType::QuickMode, 9);
      m.header.flags = isakmp::kFlagEncryption;
      m.header.next_payload = chain.first;
      m.encrypted_body = sealed.ciphertext;
      const auto got = receive(p, isakmp::serialize_message(m), iv);
      ASSERT_TRUE(got) << crypto::cbc_name(cipher) << " padding " << padding.size() << ": "
                       << protection_error_name(got.error) << " " << got.parse_failure.detail;
      EXPECT_EQ(got.value->payloads, payloads);

      // The HASH(1) region excludes the padding, whatever it is.
      const auto split = split_hash_payload(chain.first, got.value->plaintext);
      ASSERT_TRUE(split);
      EXPECT_EQ(split->after_hash.size(), chain.bytes.size() - (4 + 32));
    }
  }
}

TEST(Ikev1Protection, MalformedCiphertextIsRefusedByName) {
  Phase1Protection aes = make_protection(CbcAlgorithm::AesCbc128);
  Phase1Protection des = make_protection(CbcAlgorithm::TripleDesCbc);
  const Bytes iv16(16, 0), iv8(8, 0);

  EXPECT_EQ(aes.decrypt(iv16, {}).error, ProtectionError::Empty);
  EXPECT_EQ(aes.decrypt(iv16, Bytes(8, 1)).error, ProtectionError::ShorterThanBlock);
  EXPECT_EQ(aes.decrypt(iv16, Bytes(15, 1)).error, ProtectionError::ShorterThanBlock);
  EXPECT_EQ(aes.decrypt(iv16, Bytes(17, 1)).error, ProtectionError::NotBlockAligned);
  EXPECT_EQ(aes.decrypt(iv16, Bytes(40, 1)).error, ProtectionError::NotBlockAligned);
  EXPECT_EQ(des.decrypt(iv8, Bytes(12, 1)).error, ProtectionError::NotBlockAligned);
  EXPECT_EQ(des.decrypt(iv8, Bytes(7, 1)).error, ProtectionError::ShorterThanBlock);
  EXPECT_EQ(aes.decrypt(iv8, Bytes(16, 1)).error, ProtectionError::BadIv);
  EXPECT_EQ(aes.decrypt({}, Bytes(16, 1)).error, ProtectionError::BadIv);
  EXPECT_TRUE(aes.decrypt(iv16, Bytes(32, 1)));  // aligned: decrypts (parsing is unprotect's job)
  EXPECT_TRUE(des.decrypt(iv8, Bytes(8, 1)));

  // Whole messages: a body cut to a non-multiple of the block size, shorter than a block, absent.
  const isakmp::EncodedChain chain = isakmp::encode_payload_chain(quick_mode_payloads());
  const auto good = aes.protect(header(isakmp::ExchangeType::QuickMode, 1), chain, iv16);
  for (std::size_t body : {std::size_t{0}, std::size_t{5}, std::size_t{16 + 3}, std::size_t{33}}) {
    isakmp::Message m = *isakmp::parse_message(good.datagram).value;
    m.encrypted_body.resize(body);
    const auto got = aes.unprotect(m, iv16);
    ASSERT_FALSE(got) << body;
    EXPECT_EQ(got.error, body == 0   ? ProtectionError::Empty
                         : body < 16 ? ProtectionError::ShorterThanBlock
                                     : ProtectionError::NotBlockAligned)
        << body;
  }

  // A cleartext message handed to unprotect.
  isakmp::Message clear;
  clear.header = header();
  clear.payloads = main_mode_payloads();
  EXPECT_EQ(aes.unprotect(clear, iv16).error, ProtectionError::NotEncrypted);

  // Decrypts to a chain that does not parse: the wrong key, and a garbage body.
  Phase1Protection other = make_protection(CbcAlgorithm::AesCbc128, 99);
  const auto wrong_key = receive(other, good.datagram, iv16);
  ASSERT_FALSE(wrong_key);
  EXPECT_EQ(wrong_key.error, ProtectionError::MalformedPlaintext);
  EXPECT_FALSE(wrong_key.parse_failure.detail.empty());

  isakmp::Message garbage = *isakmp::parse_message(good.datagram).value;
  // Plaintext "HASH payload of length 2" (below the 4-octet header): encrypt it and hand it over.
  Bytes bad_plain(32, 0);
  bad_plain[3] = 2;
  garbage.encrypted_body = aes.encrypt(iv16, bad_plain).ciphertext;
  const auto bad = aes.unprotect(garbage, iv16);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error, ProtectionError::MalformedPlaintext);

  // Every error has its own name.
  std::set<std::string> names;
  for (ProtectionError e : {ProtectionError::BadIv, ProtectionError::NotEncrypted, ProtectionError::Empty,
                            ProtectionError::ShorterThanBlock, ProtectionError::NotBlockAligned,
                            ProtectionError::CipherFailure, ProtectionError::MalformedPlaintext}) {
    names.insert(protection_error_name(e));
  }
  EXPECT_EQ(names.size(), 7u);
}

TEST(Ikev1Protection, RandomBodiesNeverCrash) {
  std::mt19937 rng(2409);
  for (CbcAlgorithm cipher : kCiphers) {
    Phase1Protection p = make_protection(cipher, 11);
    const Bytes iv(p.block_size(), 0x24);
    for (int i = 0; i < 300; ++i) {
      isakmp::Message m;
      m.header = header(isakmp::ExchangeType::QuickMode, static_cast<std::uint32_t>(i));
      m.header.flags = isakmp::kFlagEncryption;
      m.header.next_payload = static_cast<isakmp::PayloadType>(rng() % 16);
      m.encrypted_body.resize(rng() % 200);
      for (auto& b : m.encrypted_body) b = static_cast<std::uint8_t>(rng());
      const auto got = p.unprotect(m, iv);
      if (!got) {
        EXPECT_NE(protection_error_name(got.error), std::string());
      }
    }
  }
}

TEST(Ikev1Protection, MisuseThrows) {
  EXPECT_THROW(Phase1Protection(CbcAlgorithm::AesCbc256, Bytes(16, 0)), crypto::CryptoError);
  EXPECT_THROW(Phase1Protection(CbcAlgorithm::TripleDesCbc, Bytes(16, 0)), crypto::CryptoError);
  Phase1Protection p = make_protection(CbcAlgorithm::AesCbc128);
  EXPECT_THROW(p.encrypt(Bytes(16, 0), {}), std::invalid_argument);
  EXPECT_THROW(p.encrypt(Bytes(8, 0), Bytes(16, 1)), std::invalid_argument);
  EXPECT_THROW(p.protect(header(), isakmp::EncodedChain{}, Bytes(16, 0)), std::invalid_argument);
  // A moved-to object keeps working.
  Phase1Protection q = std::move(p);
  EXPECT_EQ(q.block_size(), 16u);
  EXPECT_EQ(q.cipher(), CbcAlgorithm::AesCbc128);
}

}  // namespace
}  // namespace cygnet::ike::v1
