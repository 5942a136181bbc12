// Bad-input catalog row 20 ("Key material left behind ... in freed memory" → "keys wiped on
// destruction (OPENSSL_cleanse)"), proven rather than assumed: every heap block this binary frees
// is scanned at the moment of release (freed_memory_probe: replaced operator delete plus OpenSSL's
// CRYPTO_set_mem_functions hooks) for the bytes of watched keys. A control shows the probe does see
// a key freed from an ordinary vector, so a clean result means the keys really were wiped first.
#include <gtest/gtest.h>

#include <vector>

#include "crypto/secure_bytes.hpp"
#include "ike/key_export.hpp"
#include "ike/random_source.hpp"
#include "ike/v1/ikev1_protection.hpp"
#include "ike/v2/sk_protection.hpp"
#include "unit/ike/engine_harness.hpp"
#include "unit/wipe/freed_memory_probe.hpp"

namespace cygnet::test {
namespace {

namespace probe = freed_memory;

// A distinctive 36-byte key (AES-256 key + GCM salt) kept in static storage, never on the heap.
constexpr std::uint8_t kKey[36] = {0xc3, 0x5a, 0x91, 0x0e, 0x7f, 0x22, 0xd4, 0x68, 0x1b, 0xae, 0x3c, 0xf0,
                                   0x85, 0x49, 0x6d, 0xb2, 0x17, 0xe9, 0x40, 0x5c, 0xa3, 0x2f, 0x98, 0x71,
                                   0x0d, 0xc6, 0x5b, 0x34, 0xef, 0x80, 0x13, 0x6a, 0x11, 0x22, 0x33, 0x44};
ByteView key(std::size_t n = 32) {
  return ByteView(kKey, n);
}

struct Watch {
  explicit Watch(std::vector<ByteView> secrets) {
    probe::clear();
    for (ByteView s : secrets) probe::watch(s);
    probe::arm();
  }
  ~Watch() {
    probe::disarm();
    probe::clear();
  }
  probe::Findings done() {
    probe::disarm();
    return probe::findings();
  }
};

TEST(CatalogRow20, ProbeIsHookedAndSeesAKeyFreedUnwiped) {
  ASSERT_TRUE(probe::openssl_hooked()) << "OpenSSL allocated before the hooks were set";
  Watch watch({key()});
  { std::vector<std::uint8_t> plain(key().begin(), key().end()); }
  const auto f = watch.done();
  EXPECT_GE(f.blocks_scanned, 1u);
  EXPECT_EQ(f.blocks_with_secret, 1u) << "the probe must catch an unwiped key, or its silence proves nothing";
}

TEST(CatalogRow20, SecureBytesAreZeroWhenTheirMemoryIsFreed) {
  Watch watch({key()});
  {
    crypto::SecureBytes a(key());
    crypto::SecureBytes copy = a;
    crypto::SecureBytes moved = std::move(copy);
    crypto::SecureBytes slice = a.slice(0, 20);
    crypto::SecureBytes assigned;
    assigned = a;
    assigned = crypto::SecureBytes(ByteView(kKey, 8));  // reassignment frees the old buffer
    std::vector<crypto::SecureBytes> many(50, a);       // vector growth moves and frees
    many.resize(200, a);
  }
  const auto f = watch.done();
  EXPECT_GE(f.blocks_scanned, 5u);
  EXPECT_EQ(f.blocks_with_secret, 0u) << f.first;
}

// The IKEv2 SK payload keys (SK_e/SK_a), through a protect/unprotect round and destruction: the key
// bytes and OpenSSL's key schedules (the first AES round key is the key itself) are wiped.
TEST(CatalogRow20, IkeMessageProtectionWipesItsKeys) {
  Watch watch({key(32), ByteView(kKey + 4, 32)});
  {
    ike::IkeAlgorithms gcm;  // AES-256-GCM-16: 32-byte key + 4-byte salt
    ike::SkProtection sk(gcm, key(36), {});
    auto random = ike::seeded_random(1);
    wire::ikev2::Header h;
    h.initiator_spi = 1;
    h.responder_spi = 2;
    h.exchange = wire::ikev2::ExchangeType::Informational;
    const auto chain = wire::ikev2::encode_payload_chain({wire::ikev2::NoncePayload{Bytes(32, 7)}});
    const Bytes message = sk.protect(h, chain, *random);
    auto parsed = wire::ikev2::parse_message(message);
    ASSERT_TRUE(parsed);
    EXPECT_TRUE(
        sk.unprotect(message, std::get<wire::ikev2::EncryptedPayload>(parsed.value->payloads.back())));
    ike::IkeAlgorithms cbc;
    cbc.encryption = wire::ikev2::EncryptionId::AesCbc;
    cbc.key_bits = 256;
    cbc.integrity = crypto::IntegrityAlgorithm::HmacSha256_128;
    ike::SkProtection sk_cbc(cbc, key(32), ByteView(kKey + 4, 32));
    const Bytes m2 = sk_cbc.protect(h, chain, *random);
    auto p2 = wire::ikev2::parse_message(m2);
    ASSERT_TRUE(p2);
    EXPECT_TRUE(sk_cbc.unprotect(m2, std::get<wire::ikev2::EncryptedPayload>(p2.value->payloads.back())));
    ike::v1::Phase1Protection v1(crypto::CbcAlgorithm::AesCbc256, key(32));
    const Bytes iv(16, 9);
    const auto sealed = v1.encrypt(iv, Bytes(64, 1));
    EXPECT_TRUE(v1.decrypt(iv, sealed.ciphertext));
  }
  const auto f = watch.done();
  EXPECT_GE(f.blocks_scanned, 10u);
  EXPECT_EQ(f.blocks_with_secret, 0u) << f.first;
}

// Every key of a real negotiation — IKE SA (SK_e/SK_a, or the IKEv1 phase-1 key), CHILD SAs (ESP
// keys inside the data plane) — wiped from the first allocation to the last free. Seeded engines
// negotiate identically twice: the first run tells the keys, the second runs with them watched.
struct Negotiation {
  std::unique_ptr<ike::test::BackToBack> net;
  explicit Negotiation(int version) {
    ike::EngineOptions o;
    o.retain_keys_for_export = true;
    net = std::make_unique<ike::test::BackToBack>(o, o);
    const char* ike_proposal = version == 1 ? "aes256-sha256-modp2048" : "aes256gcm16-prfsha256-x25519";
    auto a = ike::test::psk_connection("site", "192.0.2.1", "192.0.2.2", "correct horse battery staple",
                                       ike_proposal);
    auto b = ike::test::psk_connection("site", "192.0.2.2", "192.0.2.1", "correct horse battery staple",
                                       ike_proposal);
    if (version == 1) {
      a.ike_version = b.ike_version = 1;
      for (auto* c : {&a, &b})
        c->children[0].proposals = {ike::test::proposal("aes256-sha256", ike::ProtocolId::Esp)};
    }
    EXPECT_TRUE(net->b.engine->add_connection(b, net->now));
    a.start_action = ike::StartAction::Start;
    EXPECT_TRUE(net->a.engine->add_connection(a, net->now));
    net->run();
    EXPECT_EQ(net->a.established_children(), 1u);
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(net->traffic(net->a, "198.51.100.7", "203.0.113.9"));
    net->a.engine->on_child_sa_soft_limit(net->a.engine->status(net->now)[0].ike_sas[0].children[0].id,
                                          net->now);
    net->run();
    net->advance(std::chrono::seconds(10));  // the rekeyed-away CHILD SA is gone after the grace time
    EXPECT_TRUE(net->traffic(net->a, "198.51.100.7", "203.0.113.9"));
  }
};

// Every key (16 bytes or more) of an export, in a fixed order.
std::vector<const crypto::SecureBytes*> keys_of(const ike::KeyExport& k) {
  std::vector<const crypto::SecureBytes*> out;
  auto add = [&out](const crypto::SecureBytes& s) {
    if (s.size() >= 16) out.push_back(&s);
  };
  for (const auto& s : k.ike_sas) {
    add(s.sk_ei), add(s.sk_er), add(s.sk_ai), add(s.sk_ar);
  }
  for (const auto& s : k.isakmp_sas) add(s.encryption_key), add(s.skeyid_a);
  for (const auto& c : k.child_sas) {
    add(c.inbound.encryption_key), add(c.inbound.integrity_key);
    add(c.outbound.encryption_key), add(c.outbound.integrity_key);
  }
  return out;
}

void negotiation_wipes_every_key(int version) {
  std::vector<Bytes> first_keys;  // freed only after the probe is disarmed
  probe::clear();
  {
    Negotiation first(version);
    const auto exported = first.net->a.engine->export_keys();
    for (const auto* key : keys_of(exported)) {
      probe::watch(key->view());
      first_keys.emplace_back(key->view().begin(), key->view().begin() + 16);
    }
    ASSERT_GE(first_keys.size(), version == 1 ? 6u : 4u);
  }
  // Same seeds, same inputs: the same keys; now watched from the first allocation to the last free.
  probe::arm();
  bool same_keys = true;
  {
    Negotiation second(version);
    {
      const auto exported = second.net->a.engine->export_keys();
      const auto keys = keys_of(exported);
      same_keys = keys.size() == first_keys.size();
      for (std::size_t i = 0; same_keys && i < keys.size(); ++i)
        same_keys = std::equal(first_keys[i].begin(), first_keys[i].end(), keys[i]->view().begin());
    }
    second.net.reset();  // engines, data planes and bindings all destroyed while armed
  }
  const auto f = probe::findings();
  probe::disarm();
  probe::clear();
  ASSERT_TRUE(same_keys)
      << "the second negotiation did not derive the watched keys: the probe watched nothing";
  EXPECT_GE(f.blocks_scanned, 1000u);
  EXPECT_EQ(f.blocks_with_secret, 0u) << f.first;
}

TEST(CatalogRow20, Ikev2NegotiationLeavesNoKeyInFreedMemory) {
  negotiation_wipes_every_key(2);
}
TEST(CatalogRow20, Ikev1NegotiationLeavesNoKeyInFreedMemory) {
  negotiation_wipes_every_key(1);
}

}  // namespace
}  // namespace cygnet::test
