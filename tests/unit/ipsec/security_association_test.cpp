// SecurityAssociation (RFC 4301 §4.4.2): which parameter combinations it accepts and refuses,
// key handling (catalog row 20: no key copies kept in params()), per-suite crypto contexts, outbound
// sequence numbers and their exhaustion (RFC 4303 §3.3.3, catalog row 17), replay window and
// lifetime setup.
#include "ipsec/security_association.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "crypto/error.hpp"
#include "unit/ipsec/test_packets.hpp"

namespace cygnet::ipsec {
namespace {

using test::SaOptions;
using test::Suite;
using wire::IpFamily;

constexpr TimePoint kT0{};

const std::vector<std::string> kEspSuites = {
    "aes128gcm16",   "aes192gcm16",   "aes256gcm16",   "aes128gcm8",   "aes128gcm12",  "aes256gcm8",
    "aes256gcm12",   "chacha20poly1305", "aes128-sha256", "aes192-sha384", "aes256-sha512", "aes128-sha1",
    "aes256-sha256", "3des-sha256",   "3des-sha1",     "null-sha256",  "null-sha1",    "null-sha512",
};
const std::vector<std::string> kAhSuites = {"sha1", "sha256", "sha384", "sha512"};

SaParameters esp_params(const std::string& suite, Direction d = Direction::Outbound, SaOptions o = {}) {
  return test::make_params(test::esp_suite(suite), o, d);
}

SaParameters ah_params(const std::string& suite, Direction d = Direction::Outbound, SaOptions o = {}) {
  return test::make_params(test::ah_suite(suite), o, d);
}

// Constructing throws std::invalid_argument or crypto::CryptoError (both are acceptable refusals).
::testing::AssertionResult refused(SaParameters p) {
  try {
    SecurityAssociation sa(std::move(p), kT0);
  } catch (const std::invalid_argument& e) {
    return ::testing::AssertionSuccess() << "invalid_argument: " << e.what();
  } catch (const crypto::CryptoError& e) {
    return ::testing::AssertionSuccess() << "CryptoError: " << e.what();
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "refused with an unexpected exception type: " << e.what();
  }
  return ::testing::AssertionFailure() << "accepted";
}

// ------------------------------------------------------------------ valid combinations

TEST(SecurityAssociationConstruction, EveryEspSuiteInEveryShape) {
  for (const std::string& name : kEspSuites) {
    for (Direction d : {Direction::Outbound, Direction::Inbound}) {
      for (Mode mode : {Mode::Tunnel, Mode::Transport}) {
        for (IpFamily family : {IpFamily::V4, IpFamily::V6}) {
          for (bool udp : {false, true}) {
            for (bool esn : {false, true}) {
              SCOPED_TRACE(name + " " + direction_name(d) + " " + mode_name(mode) + (family == IpFamily::V4 ? " v4" : " v6") +
                           (udp ? " udp" : "") + (esn ? " esn" : ""));
              SaOptions o;
              o.mode = mode;
              o.outer = family;
              o.udp = udp;
              o.esn = esn;
              const Suite s = test::esp_suite(name);
              SecurityAssociation sa(test::make_params(s, o, d), kT0);
              EXPECT_EQ(sa.spi(), o.spi);
              EXPECT_EQ(sa.protocol(), IpsecProtocol::Esp);
              EXPECT_EQ(sa.mode(), mode);
              EXPECT_EQ(sa.direction(), d);
              EXPECT_EQ(sa.params().udp_encapsulation.has_value(), udp);
              EXPECT_EQ(sa.params().extended_sequence_numbers, esn);
              EXPECT_EQ(sa.icv_length(), test::esp_icv_length(s));
              EXPECT_EQ(sa.aead() != nullptr, test::is_aead(s));
              EXPECT_EQ(sa.cbc() != nullptr, test::is_cbc(s));
              EXPECT_EQ(sa.integrity() != nullptr, s.integrity.has_value());
              EXPECT_TRUE(sa.usable());
              EXPECT_FALSE(sa.sequence_exhausted());
              EXPECT_EQ(sa.last_sent_sequence(), 0u);
              EXPECT_EQ(sa.drops().total(), 0u);
              EXPECT_EQ(sa.traffic().packets, 0u);
            }
          }
        }
      }
    }
  }
}

TEST(SecurityAssociationConstruction, EveryAhSuiteInEveryShape) {
  for (const std::string& name : kAhSuites) {
    for (Direction d : {Direction::Outbound, Direction::Inbound}) {
      for (Mode mode : {Mode::Tunnel, Mode::Transport}) {
        for (IpFamily family : {IpFamily::V4, IpFamily::V6}) {
          SaOptions o;
          o.mode = mode;
          o.outer = family;
          SecurityAssociation sa(ah_params(name, d, o), kT0);
          EXPECT_EQ(sa.protocol(), IpsecProtocol::Ah);
          EXPECT_EQ(sa.icv_length(), crypto::integrity_icv_length(*test::ah_suite(name).integrity)) << name;
          EXPECT_NE(sa.integrity(), nullptr);
          EXPECT_EQ(sa.aead(), nullptr);
          EXPECT_EQ(sa.cbc(), nullptr);
        }
      }
    }
  }
}

TEST(SecurityAssociationConstruction, IcvLengthsPerSuite) {
  const std::pair<const char*, std::size_t> table[] = {
      {"aes128gcm16", 16}, {"aes128gcm12", 12}, {"aes128gcm8", 8},    {"chacha20poly1305", 16},
      {"aes128-sha1", 12}, {"aes128-sha256", 16}, {"aes192-sha384", 24}, {"aes256-sha512", 32},
      {"null-sha256", 16},
  };
  for (const auto& [name, icv] : table) {
    SecurityAssociation sa(esp_params(name), kT0);
    EXPECT_EQ(sa.icv_length(), icv) << name;
  }
}

// The AEAD salt is the last 4 bytes of the key material (RFC 4106 §8.1, RFC 7634 §2).
TEST(SecurityAssociationConstruction, AeadSaltIsTheTailOfTheKeyMaterial) {
  for (const char* name : {"aes128gcm16", "aes192gcm16", "aes256gcm12", "chacha20poly1305"}) {
    SaParameters p = esp_params(name);
    const Bytes material(p.encryption_key.view().begin(), p.encryption_key.view().end());
    SecurityAssociation sa(std::move(p), kT0);
    ASSERT_EQ(sa.aead_salt().size(), 4u);
    EXPECT_TRUE(std::equal(sa.aead_salt().begin(), sa.aead_salt().end(), material.end() - 4)) << name;
  }
}

// Catalog row 20: the SA keeps keys only inside the scheduled crypto contexts.
TEST(SecurityAssociationConstruction, KeysAreNotRetainedInParams) {
  for (const std::string& name : kEspSuites) {
    SaParameters p = esp_params(name);
    ASSERT_FALSE(p.encryption_key.empty() && p.integrity_key.empty()) << name;
    SecurityAssociation sa(std::move(p), kT0);
    EXPECT_TRUE(sa.params().encryption_key.empty()) << name;
    EXPECT_TRUE(sa.params().integrity_key.empty()) << name;
  }
  for (const std::string& name : kAhSuites) {
    SecurityAssociation sa(ah_params(name), kT0);
    EXPECT_TRUE(sa.params().integrity_key.empty()) << name;
    EXPECT_TRUE(sa.params().encryption_key.empty()) << name;
  }
}

TEST(SecurityAssociationConstruction, SpiAbove255IsAccepted) {
  for (std::uint32_t spi : {256u, 0x1000u, 0xFFFFFFFFu}) {
    SaOptions o;
    o.spi = spi;
    SecurityAssociation sa(esp_params("aes128gcm16", Direction::Inbound, o), kT0);
    EXPECT_EQ(sa.spi(), spi);
  }
}

// ------------------------------------------------------------------ refusals

TEST(SecurityAssociationRefusal, ReservedSpis) {
  for (std::uint32_t spi : {0u, 1u, 100u, 255u}) {
    SaOptions o;
    o.spi = spi;
    EXPECT_TRUE(refused(esp_params("aes128gcm16", Direction::Inbound, o))) << spi;
    EXPECT_TRUE(refused(ah_params("sha256", Direction::Outbound, o))) << spi;
  }
}

TEST(SecurityAssociationRefusal, MixedFamilyOuterAddresses) {
  SaParameters p = esp_params("aes128gcm16");
  p.remote_address = test::v6_receiver();
  EXPECT_TRUE(refused(std::move(p)));
  SaParameters q = ah_params("sha256");
  q.local_address = test::v6_sender();
  EXPECT_TRUE(refused(std::move(q)));
}

TEST(SecurityAssociationRefusal, AhWithoutIntegrity) {
  SaParameters p = ah_params("sha256");
  p.integrity.reset();
  p.integrity_key = crypto::SecureBytes();
  EXPECT_TRUE(refused(std::move(p)));
  SaParameters q = ah_params("sha256");
  q.integrity.reset();
  q.integrity_key = crypto::SecureBytes();
  q.allow_encryption_without_integrity = true;  // irrelevant to AH
  EXPECT_TRUE(refused(std::move(q)));
}

TEST(SecurityAssociationRefusal, AhWithEncryption) {
  {
    SaParameters p = ah_params("sha256");
    p.encryption = EncryptionTransform::aead_with(crypto::AeadAlgorithm::AesGcm128);
    p.encryption_key = crypto::SecureBytes(test::test_key(20, 1));
    EXPECT_TRUE(refused(std::move(p)));
  }
  {
    SaParameters p = ah_params("sha256");
    p.encryption = EncryptionTransform::cbc_with(crypto::CbcAlgorithm::AesCbc128);
    p.encryption_key = crypto::SecureBytes(test::test_key(16, 1));
    EXPECT_TRUE(refused(std::move(p)));
  }
  {
    // NULL encryption, but a key anyway.
    SaParameters p = ah_params("sha256");
    p.encryption_key = crypto::SecureBytes(test::test_key(16, 1));
    EXPECT_TRUE(refused(std::move(p)));
  }
  {
    // A transform named without a key is still encryption.
    SaParameters p = ah_params("sha256");
    p.encryption = EncryptionTransform::cbc_with(crypto::CbcAlgorithm::AesCbc128);
    EXPECT_TRUE(refused(std::move(p)));
  }
}

TEST(SecurityAssociationRefusal, AhWithUdpEncapsulation) {
  SaOptions o;
  o.udp = true;
  EXPECT_TRUE(refused(ah_params("sha256", Direction::Outbound, o)));
}

TEST(SecurityAssociationRefusal, AeadWithSeparateIntegrity) {
  for (const char* name : {"aes128gcm16", "aes256gcm8", "chacha20poly1305"}) {
    SaParameters p = esp_params(name);
    p.integrity = crypto::IntegrityAlgorithm::HmacSha256_128;
    p.integrity_key = crypto::SecureBytes(test::test_key(32, 3));
    EXPECT_TRUE(refused(std::move(p))) << name;
  }
}

TEST(SecurityAssociationRefusal, NullEncryptionWithoutIntegrity) {
  SaParameters p = esp_params("null-sha256");
  p.integrity.reset();
  p.integrity_key = crypto::SecureBytes();
  EXPECT_TRUE(refused(std::move(p)));
  // RFC 4303 §3.2: at least one of confidentiality and integrity; the CBC escape hatch does not
  // make NULL-without-integrity acceptable.
  SaParameters q = esp_params("null-sha256");
  q.integrity.reset();
  q.integrity_key = crypto::SecureBytes();
  q.allow_encryption_without_integrity = true;
  EXPECT_TRUE(refused(std::move(q)));
}

TEST(SecurityAssociationRefusal, CbcWithoutIntegrityUnlessExplicitlyAllowed) {
  for (const char* name : {"aes128-sha256", "aes256-sha512", "3des-sha256"}) {
    SaParameters p = esp_params(name);
    p.integrity.reset();
    p.integrity_key = crypto::SecureBytes();
    EXPECT_TRUE(refused(std::move(p))) << name;
    SaParameters q = esp_params(name);
    q.integrity.reset();
    q.integrity_key = crypto::SecureBytes();
    q.allow_encryption_without_integrity = true;
    SecurityAssociation sa(std::move(q), kT0);
    EXPECT_EQ(sa.icv_length(), 0u) << name;
    EXPECT_NE(sa.cbc(), nullptr);
    EXPECT_EQ(sa.integrity(), nullptr);
  }
}

TEST(SecurityAssociationRefusal, WrongEncryptionKeyLengths) {
  for (const std::string& name : kEspSuites) {
    const Suite s = test::esp_suite(name);
    const std::size_t right = s.encryption.key_material_length();
    std::vector<std::size_t> wrong = {right + 1, right + 4, 64};
    if (right > 0) {
      wrong.push_back(right - 1);
      wrong.push_back(0);
    }
    if (test::is_aead(s)) wrong.push_back(crypto::aead_key_length(s.encryption.aead));  // salt missing
    for (std::size_t len : wrong) {
      SaParameters p = esp_params(name);
      p.encryption_key = crypto::SecureBytes(test::test_key(len, 7));
      EXPECT_TRUE(refused(std::move(p))) << name << " with " << len << " key bytes (needs " << right << ")";
    }
  }
}

TEST(SecurityAssociationRefusal, WrongIntegrityKeyLengths) {
  for (const char* name : {"sha1", "sha256", "sha384", "sha512"}) {
    const std::size_t right = crypto::integrity_key_length(*test::integrity_by_name(name));
    for (std::size_t len : {std::size_t{0}, right - 1, right + 1, std::size_t{16}, std::size_t{100}}) {
      if (len == right) continue;
      SaParameters p = ah_params(name);
      p.integrity_key = crypto::SecureBytes(test::test_key(len, 8));
      EXPECT_TRUE(refused(std::move(p))) << "AH " << name << " with " << len;
      SaParameters q = esp_params(std::string("aes128-") + name);
      q.integrity_key = crypto::SecureBytes(test::test_key(len, 8));
      EXPECT_TRUE(refused(std::move(q))) << "ESP " << name << " with " << len;
    }
  }
}

TEST(SecurityAssociationRefusal, UnsupportedAeadIcvLengths) {
  for (std::uint8_t icv : {0, 4, 10, 15, 32}) {
    SaParameters p = esp_params("aes128gcm16");
    p.encryption.aead_icv_length = icv;
    EXPECT_TRUE(refused(std::move(p))) << "AES-GCM ICV " << int{icv};
  }
  for (std::uint8_t icv : {8, 12}) {
    SaParameters p = esp_params("chacha20poly1305");
    p.encryption.aead_icv_length = icv;
    EXPECT_TRUE(refused(std::move(p))) << "ChaCha20-Poly1305 ICV " << int{icv} << " (RFC 7634: 16 only)";
  }
}

// ------------------------------------------------------------------ sequence numbers

TEST(SecurityAssociationSequence, IncrementsFromOne) {
  SecurityAssociation sa(esp_params("aes128gcm16"), kT0);
  for (std::uint64_t i = 1; i <= 1000; ++i) {
    auto s = sa.next_sequence();
    ASSERT_TRUE(s.has_value());
    ASSERT_EQ(*s, i);
    ASSERT_EQ(sa.last_sent_sequence(), i);
  }
}

TEST(SecurityAssociationSequence, AdvanceNeverMovesBackwards) {
  SecurityAssociation sa(esp_params("aes128gcm16"), kT0);
  sa.advance_sequence_to(500);
  EXPECT_EQ(sa.next_sequence(), 501u);
  sa.advance_sequence_to(100);
  EXPECT_EQ(sa.last_sent_sequence(), 501u);
  EXPECT_EQ(sa.next_sequence(), 502u);
  sa.advance_sequence_to(502);
  EXPECT_EQ(sa.next_sequence(), 503u);
}

// RFC 4303 §3.3.3: without ESN the counter must not cycle: 2^32 - 1 is the last number sent.
TEST(SecurityAssociationSequence, ExhaustsAt2To32Minus1WithoutEsn) {
  for (const char* which : {"esp", "ah"}) {
    SecurityAssociation sa(std::string(which) == "esp" ? esp_params("aes128-sha256") : ah_params("sha256"), kT0);
    sa.advance_sequence_to(0xFFFFFFFE);
    EXPECT_EQ(sa.next_sequence(), 0xFFFFFFFFu);
    EXPECT_FALSE(sa.sequence_exhausted());
    EXPECT_TRUE(sa.usable());
    EXPECT_EQ(sa.next_sequence(), std::nullopt);
    EXPECT_TRUE(sa.sequence_exhausted());
    EXPECT_FALSE(sa.usable());
    EXPECT_EQ(sa.next_sequence(), std::nullopt) << "exhaustion is permanent";
    EXPECT_EQ(sa.last_sent_sequence(), 0xFFFFFFFFu);
  }
}

TEST(SecurityAssociationSequence, EsnContinuesPast2To32AndExhaustsAt2To64Minus1) {
  SaOptions o;
  o.esn = true;
  SecurityAssociation sa(esp_params("aes256gcm16", Direction::Outbound, o), kT0);
  sa.advance_sequence_to(0xFFFFFFFE);
  EXPECT_EQ(sa.next_sequence(), 0xFFFFFFFFu);
  EXPECT_EQ(sa.next_sequence(), 0x1'0000'0000u);
  EXPECT_EQ(sa.next_sequence(), 0x1'0000'0001u);
  EXPECT_TRUE(sa.usable());
  sa.advance_sequence_to(std::numeric_limits<std::uint64_t>::max() - 1);
  EXPECT_EQ(sa.next_sequence(), std::numeric_limits<std::uint64_t>::max());
  EXPECT_FALSE(sa.sequence_exhausted());
  EXPECT_EQ(sa.next_sequence(), std::nullopt);
  EXPECT_TRUE(sa.sequence_exhausted());
  EXPECT_FALSE(sa.usable());
}

TEST(SecurityAssociationSequence, AdvancingPastTheLimitExhausts) {
  SecurityAssociation sa(esp_params("aes128gcm16"), kT0);
  sa.advance_sequence_to(0x1'0000'0005);  // beyond 32 bits on a non-ESN SA
  EXPECT_EQ(sa.next_sequence(), std::nullopt);
  EXPECT_TRUE(sa.sequence_exhausted());
}

// ------------------------------------------------------------------ replay window and lifetime

TEST(SecurityAssociationSetup, ReplayWindowOnlyInbound) {
  SaOptions o;
  o.replay_window = 100;
  o.esn = true;
  SecurityAssociation in(esp_params("aes128gcm16", Direction::Inbound, o), kT0);
  EXPECT_EQ(in.replay_window().size(), 128u);  // rounded up to whole 32-bit blocks
  EXPECT_TRUE(in.replay_window().esn());
  EXPECT_EQ(in.replay_window().highest(), 0u);
  SecurityAssociation out(esp_params("aes128gcm16", Direction::Outbound, o), kT0);
  EXPECT_EQ(out.replay_window().size(), 0u);
  SaOptions off;
  off.replay_window = 0;
  SecurityAssociation no_replay(esp_params("aes128gcm16", Direction::Inbound, off), kT0);
  EXPECT_EQ(no_replay.replay_window().size(), 0u);
  EXPECT_FALSE(no_replay.replay_window().esn());
}

TEST(SecurityAssociationSetup, LifetimeStartsAtCreation) {
  SaOptions o;
  o.lifetime.soft_time = Seconds(100);
  o.lifetime.hard_time = Seconds(200);
  o.lifetime.hard_packets = 5;
  const TimePoint created = kT0 + Seconds(12345);
  SecurityAssociation sa(esp_params("aes128gcm16", Direction::Outbound, o), created);
  EXPECT_EQ(sa.lifetime().created(), created);
  EXPECT_EQ(sa.lifetime().soft_deadline(), created + Seconds(100));
  EXPECT_EQ(sa.lifetime().hard_deadline(), created + Seconds(200));
  EXPECT_EQ(sa.lifetime().limits().hard_packets, 5u);
  EXPECT_FALSE(sa.lifetime().expired());
  EXPECT_TRUE(sa.usable());
  EXPECT_EQ(sa.lifetime().on_time(created + Seconds(200)), LifetimeEvent::Expired);
  EXPECT_FALSE(sa.usable()) << "an expired SA is not usable";
}

TEST(SecurityAssociationSetup, ParamsKeptApartFromKeys) {
  SaOptions o;
  o.mode = Mode::Transport;
  o.outer = IpFamily::V6;
  o.udp = true;
  o.sender_port = 4501;
  SecurityAssociation sa(esp_params("aes128-sha256", Direction::Outbound, o), kT0);
  const SaParameters& p = sa.params();
  EXPECT_EQ(p.local_address, test::v6_sender());
  EXPECT_EQ(p.remote_address, test::v6_receiver());
  ASSERT_TRUE(p.udp_encapsulation.has_value());
  EXPECT_EQ(p.udp_encapsulation->local_port, 4501);
  EXPECT_EQ(p.udp_encapsulation->remote_port, 4500);
  EXPECT_EQ(p.encryption.kind, EncryptionTransform::Kind::Cbc);
  EXPECT_EQ(p.integrity, crypto::IntegrityAlgorithm::HmacSha256_128);
  EXPECT_EQ(p.name, "test/aes128-sha256");
}

}  // namespace
}  // namespace cygnet::ipsec
