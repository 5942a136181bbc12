// Algorithm registry, strongSwan proposal syntax, RFC 8247/8221 policy, proposal selection and the
// negotiated algorithm sets.
#include <gtest/gtest.h>

#include "ike/algorithms.hpp"

namespace cygnet::ike {
namespace {

using wire::ikev2::EncryptionId;
using wire::ikev2::EsnId;
using wire::ikev2::IntegrityId;
using wire::ikev2::KeyExchangeId;
using wire::ikev2::PrfId;

Transform enc(EncryptionId id, std::optional<std::uint16_t> bits = std::nullopt) {
  return Transform{TransformType::Encryption, static_cast<std::uint16_t>(id), bits};
}
Transform integ(IntegrityId id) { return Transform{TransformType::Integrity, static_cast<std::uint16_t>(id), {}}; }
Transform prf(PrfId id) { return Transform{TransformType::Prf, static_cast<std::uint16_t>(id), {}}; }
Transform ke(KeyExchangeId id) { return Transform{TransformType::KeyExchange, static_cast<std::uint16_t>(id), {}}; }
Transform esn(EsnId id) { return Transform{TransformType::Esn, static_cast<std::uint16_t>(id), {}}; }

Proposal must_parse(std::string_view text, ProtocolId protocol = ProtocolId::Ike, bool legacy = false) {
  ProposalParse p = parse_proposal(text, protocol, legacy);
  EXPECT_TRUE(p.proposal.has_value()) << text << ": " << p.error;
  return p.proposal.value_or(Proposal{});
}

std::string parse_error(std::string_view text, ProtocolId protocol = ProtocolId::Ike, bool legacy = false) {
  ProposalParse p = parse_proposal(text, protocol, legacy);
  EXPECT_FALSE(p.proposal.has_value()) << text << " parsed as " << (p.proposal ? proposal_to_string(*p.proposal) : "");
  return p.error;
}

bool contains(const Proposal& p, const Transform& t) {
  return std::find(p.transforms.begin(), p.transforms.end(), t) != p.transforms.end();
}

// --- keywords ---

struct KeywordCase {
  const char* keyword;
  ProtocolId protocol;
  Transform transform;
};

class EveryKeyword : public ::testing::TestWithParam<KeywordCase> {};

TEST_P(EveryKeyword, ParsesToItsTransform) {
  const KeywordCase& c = GetParam();
  std::string text = c.keyword;
  // Complete the proposal around the keyword with types it does not provide.
  const bool aead = c.transform.type == TransformType::Encryption &&
                    (c.transform.id == static_cast<std::uint16_t>(EncryptionId::AesGcm16) ||
                     c.transform.id == static_cast<std::uint16_t>(EncryptionId::AesGcm12) ||
                     c.transform.id == static_cast<std::uint16_t>(EncryptionId::AesGcm8) ||
                     c.transform.id == static_cast<std::uint16_t>(EncryptionId::ChaCha20Poly1305));
  if (c.protocol == ProtocolId::Ike) {
    if (c.transform.type != TransformType::Encryption) text += "-aes128";
    if (c.transform.type != TransformType::Integrity && !aead) text += "-sha256";
    if (c.transform.type != TransformType::Prf) text += "-prfsha256";
    if (c.transform.type != TransformType::KeyExchange) text += "-x25519";
  } else if (c.protocol == ProtocolId::Esp) {
    if (c.transform.type != TransformType::Encryption) text += "-aes128";
    if (c.transform.type != TransformType::Integrity && !aead) text += "-sha256";
  }
  const Proposal p = must_parse(text, c.protocol);
  EXPECT_TRUE(contains(p, c.transform)) << text << " → " << proposal_to_string(p);
  EXPECT_EQ(p.protocol, c.protocol);
}

INSTANTIATE_TEST_SUITE_P(
    Ike, EveryKeyword,
    ::testing::Values(KeywordCase{"aes128", ProtocolId::Ike, enc(EncryptionId::AesCbc, 128)},
                      KeywordCase{"aes192", ProtocolId::Ike, enc(EncryptionId::AesCbc, 192)},
                      KeywordCase{"aes256", ProtocolId::Ike, enc(EncryptionId::AesCbc, 256)},
                      KeywordCase{"aes128gcm16", ProtocolId::Ike, enc(EncryptionId::AesGcm16, 128)},
                      KeywordCase{"aes256gcm16", ProtocolId::Ike, enc(EncryptionId::AesGcm16, 256)},
                      KeywordCase{"aes256gcm", ProtocolId::Ike, enc(EncryptionId::AesGcm16, 256)},
                      KeywordCase{"chacha20poly1305", ProtocolId::Ike, enc(EncryptionId::ChaCha20Poly1305)},
                      KeywordCase{"sha256", ProtocolId::Ike, integ(IntegrityId::HmacSha2_256_128)},
                      KeywordCase{"sha384", ProtocolId::Ike, integ(IntegrityId::HmacSha2_384_192)},
                      KeywordCase{"sha512", ProtocolId::Ike, integ(IntegrityId::HmacSha2_512_256)},
                      KeywordCase{"prfsha256", ProtocolId::Ike, prf(PrfId::HmacSha2_256)},
                      KeywordCase{"prfsha384", ProtocolId::Ike, prf(PrfId::HmacSha2_384)},
                      KeywordCase{"prfsha512", ProtocolId::Ike, prf(PrfId::HmacSha2_512)},
                      KeywordCase{"modp2048", ProtocolId::Ike, ke(KeyExchangeId::Modp2048)},
                      KeywordCase{"modp3072", ProtocolId::Ike, ke(KeyExchangeId::Modp3072)},
                      KeywordCase{"modp4096", ProtocolId::Ike, ke(KeyExchangeId::Modp4096)},
                      KeywordCase{"ecp256", ProtocolId::Ike, ke(KeyExchangeId::Ecp256)},
                      KeywordCase{"ecp384", ProtocolId::Ike, ke(KeyExchangeId::Ecp384)},
                      KeywordCase{"ecp521", ProtocolId::Ike, ke(KeyExchangeId::Ecp521)},
                      KeywordCase{"x25519", ProtocolId::Ike, ke(KeyExchangeId::Curve25519)},
                      KeywordCase{"curve25519", ProtocolId::Ike, ke(KeyExchangeId::Curve25519)},
                      KeywordCase{"x448", ProtocolId::Ike, ke(KeyExchangeId::Curve448)},
                      KeywordCase{"curve448", ProtocolId::Ike, ke(KeyExchangeId::Curve448)}));

INSTANTIATE_TEST_SUITE_P(
    Esp, EveryKeyword,
    ::testing::Values(KeywordCase{"aes128gcm8", ProtocolId::Esp, enc(EncryptionId::AesGcm8, 128)},
                      KeywordCase{"aes192gcm12", ProtocolId::Esp, enc(EncryptionId::AesGcm12, 192)},
                      KeywordCase{"aes256gcm16", ProtocolId::Esp, enc(EncryptionId::AesGcm16, 256)},
                      KeywordCase{"aes128gcm", ProtocolId::Esp, enc(EncryptionId::AesGcm16, 128)},
                      KeywordCase{"chacha20poly1305", ProtocolId::Esp, enc(EncryptionId::ChaCha20Poly1305)},
                      KeywordCase{"aes256", ProtocolId::Esp, enc(EncryptionId::AesCbc, 256)},
                      KeywordCase{"sha512", ProtocolId::Esp, integ(IntegrityId::HmacSha2_512_256)},
                      KeywordCase{"ecp384", ProtocolId::Esp, ke(KeyExchangeId::Ecp384)},
                      KeywordCase{"esn", ProtocolId::Esp, esn(EsnId::Esn)},
                      KeywordCase{"noesn", ProtocolId::Esp, esn(EsnId::NoEsn)},
                      KeywordCase{"sha256", ProtocolId::Ah, integ(IntegrityId::HmacSha2_256_128)}));

// --- syntax rules ---

TEST(ParseProposal, IsCaseInsensitiveAndTrimsSpaces) {
  EXPECT_EQ(must_parse("  AES256GCM16-PrfSha256-X25519 "), must_parse("aes256gcm16-prfsha256-x25519"));
}

TEST(ParseProposal, KeepsOrderWithinATypeAsPreference) {
  const Proposal p = must_parse("aes128gcm16-x25519-aes256gcm16-prfsha384-ecp256-prfsha256");
  EXPECT_EQ(proposal_to_string(p), "aes128gcm16-aes256gcm16-prfsha384-prfsha256-x25519-ecp256");
}

TEST(ParseProposal, PrfDefaultsToTheIntegrityHashes) {
  const Proposal p = must_parse("aes256-sha384-sha256-ecp384");
  EXPECT_EQ(proposal_to_string(p), "aes256-sha384-sha256-prfsha384-prfsha256-ecp384");
  // An explicit PRF is kept as given and nothing is added.
  EXPECT_EQ(proposal_to_string(must_parse("aes256-sha384-prfsha512-ecp384")), "aes256-sha384-prfsha512-ecp384");
}

TEST(ParseProposal, AeadIkeProposalNeedsAnExplicitPrf) {
  const std::string e = parse_error("aes256gcm16-x25519");
  EXPECT_NE(e.find("PRF"), std::string::npos) << e;
  EXPECT_NE(e.find("'aes256gcm16-x25519'"), std::string::npos) << e;
}

TEST(ParseProposal, MissingRequiredTypes) {
  EXPECT_NE(parse_error("aes256-sha256").find("no key exchange group"), std::string::npos);
  EXPECT_NE(parse_error("prfsha256-x25519").find("no encryption algorithm"), std::string::npos);
  EXPECT_NE(parse_error("aes256-prfsha256-x25519").find("no integrity algorithm"), std::string::npos);
  EXPECT_NE(parse_error("sha256", ProtocolId::Esp).find("no encryption algorithm"), std::string::npos);
  EXPECT_NE(parse_error("aes128", ProtocolId::Esp).find("no integrity algorithm"), std::string::npos);
  EXPECT_NE(parse_error("ecp256", ProtocolId::Ah).find("no integrity algorithm"), std::string::npos);
}

TEST(ParseProposal, AeadCannotBeMixedWithIntegrityOrCbc) {
  const std::string with_integrity = parse_error("aes256gcm16-sha256-prfsha256-x25519");
  EXPECT_NE(with_integrity.find("'sha256'"), std::string::npos) << with_integrity;
  EXPECT_NE(with_integrity.find("AEAD"), std::string::npos) << with_integrity;
  EXPECT_NE(parse_error("aes256gcm16-aes256-sha256", ProtocolId::Esp).find("mixes AEAD"), std::string::npos);
}

TEST(ParseProposal, UnknownAndMisplacedTokens) {
  EXPECT_EQ(parse_error("aes257-sha256-x25519"), "unknown algorithm 'aes257'");
  EXPECT_EQ(parse_error("aes256--sha256"), "empty algorithm name in 'aes256--sha256'");
  EXPECT_EQ(parse_error(""), "empty proposal");
  EXPECT_EQ(parse_error("   "), "empty proposal");
  EXPECT_NE(parse_error("aes256gcm16-prfsha256-x25519-esn").find("'esn'"), std::string::npos);
  EXPECT_NE(parse_error("aes256gcm16-prfsha256", ProtocolId::Esp).find("'prfsha256'"), std::string::npos);
  EXPECT_NE(parse_error("aes128-sha256", ProtocolId::Ah).find("does not apply to AH"), std::string::npos);
}

TEST(ParseProposal, ForbiddenAlwaysFailsEvenWithAllowLegacy) {
  for (bool legacy : {false, true}) {
    EXPECT_EQ(parse_error("aes128-md5-prfsha256-x25519", ProtocolId::Ike, legacy), "'md5' is forbidden (RFC 8247)");
    EXPECT_EQ(parse_error("des-sha256-x25519", ProtocolId::Ike, legacy), "'des' is forbidden (RFC 8247)");
    EXPECT_EQ(parse_error("aes128-sha256-modp768", ProtocolId::Ike, legacy), "'modp768' is forbidden (RFC 8247)");
    EXPECT_EQ(parse_error("aes128-sha256-prfmd5-x25519", ProtocolId::Ike, legacy), "'prfmd5' is forbidden (RFC 8247)");
    EXPECT_EQ(parse_error("null-sha256-x25519", ProtocolId::Ike, legacy), "'null' is forbidden (RFC 8247)");
    EXPECT_EQ(parse_error("des-sha256", ProtocolId::Esp, legacy), "'des' is forbidden (RFC 8221)");
    EXPECT_EQ(parse_error("aes128-md5", ProtocolId::Esp, legacy), "'md5' is forbidden (RFC 8221)");
  }
}

TEST(ParseProposal, LegacyOnlyWithAllowLegacy) {
  struct Case {
    const char* text;
    ProtocolId protocol;
    const char* token;
  };
  for (const Case& c : {Case{"3des-sha256-x25519", ProtocolId::Ike, "'3des'"},
                        Case{"aes128-sha1-x25519", ProtocolId::Ike, "'sha1'"},
                        Case{"aes128-sha256-prfsha1-x25519", ProtocolId::Ike, "'prfsha1'"},
                        Case{"aes128-sha256-modp1024", ProtocolId::Ike, "'modp1024'"},
                        Case{"3des-sha256", ProtocolId::Esp, "'3des'"},
                        Case{"aes128-sha1", ProtocolId::Esp, "'sha1'"},
                        Case{"null-sha256", ProtocolId::Esp, "'null'"},
                        Case{"sha1", ProtocolId::Ah, "'sha1'"}}) {
    const std::string e = parse_error(c.text, c.protocol, false);
    EXPECT_NE(e.find(c.token), std::string::npos) << e;
    EXPECT_NE(e.find("legacy"), std::string::npos) << e;
    EXPECT_NE(e.find("allow_legacy"), std::string::npos) << e;
    EXPECT_TRUE(parse_proposal(c.text, c.protocol, true).proposal.has_value()) << c.text;
  }
  // sha1 integrity yields prfsha1 when no PRF is named.
  EXPECT_TRUE(contains(must_parse("aes128-sha1-modp2048", ProtocolId::Ike, true), prf(PrfId::HmacSha1)));
}

TEST(ParseProposal, UnsupportedAlgorithmsAreNamed) {
  EXPECT_EQ(parse_error("aes128-sha256-modp1536", ProtocolId::Ike, true), "'modp1536' is not supported by Cygnet for IKE");
  EXPECT_EQ(parse_error("aes128ctr-sha256-x25519"), "'aes128ctr' is not supported by Cygnet for IKE");
  EXPECT_EQ(parse_error("aes128gcm8-prfsha256-x25519"), "'aes128gcm8' is not supported by Cygnet for IKE");
  EXPECT_EQ(parse_error("aes128-aesxcbc", ProtocolId::Esp), "'aesxcbc' is not supported by Cygnet for ESP");
}

TEST(ParseProposal, EspDefaultsToNoEsnAndAcceptsBoth) {
  const Proposal p = must_parse("aes128gcm16", ProtocolId::Esp);
  EXPECT_EQ(proposal_to_string(p), "aes128gcm16-noesn");
  EXPECT_EQ(proposal_to_string(must_parse("aes128gcm16-esn-noesn", ProtocolId::Esp)), "aes128gcm16-esn-noesn");
  EXPECT_EQ(proposal_to_string(must_parse("sha256-esn", ProtocolId::Ah)), "sha256-esn");
}

TEST(ParseProposal, DuplicatesCollapse) {
  EXPECT_EQ(proposal_to_string(must_parse("aes128-aes128-sha256-sha2_256-x25519-curve25519")),
            "aes128-sha256-prfsha256-x25519");
}

TEST(ParseProposal, DefaultExpandsToTheFirstDefaultProposal) {
  EXPECT_EQ(must_parse("default"), default_ike_proposals().front());
  EXPECT_EQ(must_parse("DEFAULT", ProtocolId::Esp), default_esp_proposals().front());
}

TEST(ProposalToString, RoundTrips) {
  for (const char* text : {"aes256gcm16-prfsha256-x25519", "aes128-aes256-sha256-sha512-prfsha384-ecp256-modp3072",
                           "chacha20poly1305-prfsha512-x448-ecp521", "aes192-sha384-prfsha384-modp4096"}) {
    const Proposal p = must_parse(text);
    EXPECT_EQ(proposal_to_string(p), text);
    EXPECT_EQ(must_parse(proposal_to_string(p)), p);
  }
  for (const char* text : {"aes256gcm12-aes128gcm8-ecp256-esn", "aes128-sha256-noesn", "chacha20poly1305-noesn"}) {
    const Proposal p = must_parse(text, ProtocolId::Esp);
    EXPECT_EQ(proposal_to_string(p), text);
    EXPECT_EQ(must_parse(proposal_to_string(p), ProtocolId::Esp), p);
  }
}

TEST(DefaultProposals, AreValidAndNumbered) {
  const auto ike = default_ike_proposals();
  ASSERT_EQ(ike.size(), 2u);
  EXPECT_EQ(ike[0].number, 1);
  EXPECT_EQ(ike[1].number, 2);
  EXPECT_EQ(proposal_to_string(ike[0]),
            "aes256gcm16-aes128gcm16-chacha20poly1305-prfsha256-prfsha384-x25519-ecp256-modp3072");
  EXPECT_EQ(proposal_to_string(ike[1]),
            "aes256-aes128-sha256-sha384-prfsha256-x25519-ecp256-modp3072");
  const auto esp = default_esp_proposals();
  ASSERT_EQ(esp.size(), 2u);
  EXPECT_EQ(esp[1].number, 2);
  EXPECT_EQ(proposal_to_string(esp[0]), "aes256gcm16-aes128gcm16-chacha20poly1305-noesn");
  EXPECT_EQ(proposal_to_string(esp[1]), "aes256-aes128-sha256-noesn");
  for (const Proposal& p : esp) EXPECT_EQ(p.protocol, ProtocolId::Esp);
}

// --- strength table and names ---

TEST(TransformStrength, FollowsRfc8247AndRfc8221) {
  using S = AlgorithmStrength;
  // RFC 8247 §2.1 / RFC 8221 §5: ENCR_DES MUST NOT; 3DES demoted; AES-CBC and AES-GCM-16 fine.
  EXPECT_EQ(transform_strength(enc(EncryptionId::Des), ProtocolId::Ike), S::Forbidden);
  EXPECT_EQ(transform_strength(enc(EncryptionId::TripleDes), ProtocolId::Esp), S::Legacy);
  EXPECT_EQ(transform_strength(enc(EncryptionId::AesCbc, 256), ProtocolId::Ike), S::Recommended);
  EXPECT_EQ(transform_strength(enc(EncryptionId::AesCbc), ProtocolId::Ike), S::Unsupported);  // no key length
  EXPECT_EQ(transform_strength(enc(EncryptionId::AesGcm16, 100), ProtocolId::Esp), S::Unsupported);
  EXPECT_EQ(transform_strength(enc(EncryptionId::ChaCha20Poly1305, 256), ProtocolId::Ike), S::Unsupported);  // RFC 7634
  // ENCR_NULL: never in IKE; integrity-only ESP is legacy for Cygnet.
  EXPECT_EQ(transform_strength(enc(EncryptionId::Null), ProtocolId::Ike), S::Forbidden);
  EXPECT_EQ(transform_strength(enc(EncryptionId::Null), ProtocolId::Esp), S::Legacy);
  // RFC 8247 §2.2/§2.3, RFC 8221 §6: MD5 MUST NOT, SHA-1 on its way out.
  EXPECT_EQ(transform_strength(integ(IntegrityId::HmacMd5_96), ProtocolId::Esp), S::Forbidden);
  EXPECT_EQ(transform_strength(integ(IntegrityId::HmacSha1_96), ProtocolId::Ike), S::Legacy);
  EXPECT_EQ(transform_strength(prf(PrfId::HmacMd5), ProtocolId::Ike), S::Forbidden);
  EXPECT_EQ(transform_strength(prf(PrfId::HmacSha2_512), ProtocolId::Ike), S::Recommended);
  EXPECT_EQ(transform_strength(prf(PrfId::HmacSha2_256), ProtocolId::Esp), S::Unsupported);  // no PRF in ESP
  // RFC 8247 §2.4: MODP-768 MUST NOT, MODP-1024 SHOULD NOT, MODP-1536 SHOULD NOT (not implemented).
  EXPECT_EQ(transform_strength(ke(KeyExchangeId::Modp768), ProtocolId::Ike), S::Forbidden);
  EXPECT_EQ(transform_strength(ke(KeyExchangeId::Modp1024), ProtocolId::Ike), S::Legacy);
  EXPECT_EQ(transform_strength(ke(KeyExchangeId::Modp1536), ProtocolId::Ike), S::Unsupported);
  EXPECT_EQ(transform_strength(ke(KeyExchangeId::Curve25519), ProtocolId::Esp), S::Recommended);
  EXPECT_EQ(transform_strength(ke(KeyExchangeId::None), ProtocolId::Esp), S::Recommended);
  EXPECT_EQ(transform_strength(ke(KeyExchangeId::None), ProtocolId::Ike), S::Unsupported);
  EXPECT_EQ(transform_strength(esn(EsnId::Esn), ProtocolId::Ike), S::Unsupported);
  EXPECT_EQ(transform_strength(Transform{TransformType::Esn, 7, {}}, ProtocolId::Esp), S::Unsupported);
}

TEST(TransformName, UsesStrongSwanKeywords) {
  EXPECT_EQ(transform_name(enc(EncryptionId::AesGcm16, 256)), "aes256gcm16");
  EXPECT_EQ(transform_name(enc(EncryptionId::AesCbc, 128)), "aes128");
  EXPECT_EQ(transform_name(integ(IntegrityId::HmacSha2_256_128)), "sha256");
  EXPECT_EQ(transform_name(prf(PrfId::HmacSha2_256)), "prfsha256");
  EXPECT_EQ(transform_name(ke(KeyExchangeId::Curve25519)), "x25519");
  EXPECT_EQ(transform_name(ke(KeyExchangeId::Ecp256)), "ecp256");
  EXPECT_EQ(transform_name(ke(KeyExchangeId::Modp2048)), "modp2048");
  EXPECT_EQ(transform_name(esn(EsnId::Esn)), "esn");
  EXPECT_EQ(transform_name(esn(EsnId::NoEsn)), "noesn");
  // Numbers Cygnet has no keyword for still print, without a '-'.
  EXPECT_EQ(transform_name(Transform{TransformType::Encryption, 99, {}}), "encr99");
  EXPECT_EQ(transform_name(enc(EncryptionId::AesCbc, 64)), "encr12_64");
}

// --- selection ---

std::vector<Proposal> numbered(std::vector<Proposal> ps) {
  for (std::size_t i = 0; i < ps.size(); ++i) ps[i].number = static_cast<std::uint8_t>(i + 1);
  return ps;
}

TEST(SelectProposal, MatchesAndPicksOneOfEachType) {
  const auto offered = numbered({must_parse("aes128gcm16-aes256gcm16-prfsha384-prfsha256-modp2048-ecp256")});
  const Selection s = select_proposal(offered, default_ike_proposals(), false);
  ASSERT_TRUE(s.chosen) << s.explanation;
  // Our order decides within a type: aes256gcm16 before aes128gcm16, prfsha256, then x25519 is
  // absent from the offer, so ecp256.
  EXPECT_EQ(proposal_to_string(*s.chosen), "aes256gcm16-prfsha256-ecp256");
  EXPECT_EQ(s.chosen->protocol, ProtocolId::Ike);
  EXPECT_TRUE(answer_matches_offer(*s.chosen, offered));
}

TEST(SelectProposal, PrefersOurFirstProposalAndKeepsPeerNumber) {
  const auto ours = numbered({must_parse("aes256gcm16-prfsha256-x25519"), must_parse("aes128-sha256-modp3072")});
  const auto offered = numbered({must_parse("aes128-sha256-modp3072"), must_parse("aes256gcm16-prfsha256-x25519")});
  const Selection s = select_proposal(offered, ours, false);
  ASSERT_TRUE(s.chosen);
  EXPECT_EQ(s.chosen->number, 2);
  EXPECT_EQ(proposal_to_string(*s.chosen), "aes256gcm16-prfsha256-x25519");
  EXPECT_NE(s.explanation.find("peer proposal 2"), std::string::npos) << s.explanation;
}

TEST(SelectProposal, KeepsThePeersSpi) {
  Proposal peer = must_parse("aes256gcm16-esn-noesn", ProtocolId::Esp);
  peer.number = 3;
  peer.spi = {0xc1, 0x00, 0x00, 0x2a};
  const Selection s = select_proposal({peer}, default_esp_proposals(), false);
  ASSERT_TRUE(s.chosen) << s.explanation;
  EXPECT_EQ(s.chosen->number, 3);
  EXPECT_EQ(s.chosen->spi, peer.spi);
  EXPECT_EQ(proposal_to_string(*s.chosen), "aes256gcm16-noesn");
}

TEST(SelectProposal, ExplainsWhatIsMissingPerType) {
  const auto offered = numbered({must_parse("aes128-sha256-modp2048")});
  const auto ours = numbered({must_parse("aes256gcm16-prfsha256-x25519")});
  const Selection s = select_proposal(offered, ours, false);
  EXPECT_FALSE(s.chosen);
  EXPECT_EQ(s.explanation,
            "peer offered [aes128-sha256-prfsha256-modp2048]; we accept [aes256gcm16-prfsha256-x25519]: "
            "no common encryption algorithm, no common key exchange group");
}

TEST(SelectProposal, ExplainsIntegrityAndPrfWhenCiphersAgree) {
  const auto offered = numbered({must_parse("aes128-sha512-prfsha512-x25519")});
  const auto ours = numbered({must_parse("aes128-sha256-x25519")});
  const Selection s = select_proposal(offered, ours, false);
  EXPECT_FALSE(s.chosen);
  EXPECT_EQ(s.explanation,
            "peer offered [aes128-sha512-prfsha512-x25519]; we accept [aes128-sha256-prfsha256-x25519]: "
            "no common integrity algorithm, no common PRF");
}

TEST(SelectProposal, LegacyIsChosenOnlyWhenAllowed) {
  const auto legacy = numbered({must_parse("3des-sha1-modp1024", ProtocolId::Ike, true)});
  const Selection refused = select_proposal(legacy, legacy, false);
  EXPECT_FALSE(refused.chosen);
  EXPECT_NE(refused.explanation.find("'3des' is legacy and allow_legacy is off"), std::string::npos)
      << refused.explanation;
  const Selection allowed = select_proposal(legacy, legacy, true);
  ASSERT_TRUE(allowed.chosen) << allowed.explanation;
  EXPECT_EQ(proposal_to_string(*allowed.chosen), "3des-sha1-prfsha1-modp1024");
}

TEST(SelectProposal, NeverChoosesForbiddenOrUnknownTransforms) {
  // Even if both sides list them (ours built by hand: parse would refuse).
  Proposal bad;
  bad.protocol = ProtocolId::Ike;
  bad.transforms = {enc(EncryptionId::AesCbc, 128), integ(IntegrityId::HmacMd5_96), prf(PrfId::HmacSha2_256),
                    ke(KeyExchangeId::Curve25519)};
  const Selection s = select_proposal({bad}, {bad}, true);
  EXPECT_FALSE(s.chosen);
  EXPECT_NE(s.explanation.find("'md5' is forbidden"), std::string::npos) << s.explanation;

  Proposal unknown = bad;
  unknown.transforms[1] = integ(IntegrityId::HmacSha2_256_128);
  unknown.transforms[3] = Transform{TransformType::KeyExchange, 1000, {}};
  EXPECT_FALSE(select_proposal({unknown}, {unknown}, true).chosen);
}

TEST(SelectProposal, RejectsProposalsWithUnknownTransformTypes) {
  Proposal peer = must_parse("aes256gcm16-prfsha256-x25519");
  peer.transforms.push_back(Transform{static_cast<TransformType>(9), 1, {}});
  const Selection s = select_proposal({peer}, default_ike_proposals(), false);
  EXPECT_FALSE(s.chosen);
  EXPECT_NE(s.explanation.find("unknown transform type 9"), std::string::npos) << s.explanation;
}

TEST(SelectProposal, ProtocolsMustAgree) {
  const Selection s = select_proposal(default_esp_proposals(), default_ike_proposals(), false);
  EXPECT_FALSE(s.chosen);
  EXPECT_NE(s.explanation.find("no proposal for the same protocol"), std::string::npos) << s.explanation;
}

TEST(SelectProposal, EspEsnAndPfsMustAgree) {
  const auto ours = numbered({must_parse("aes256gcm16", ProtocolId::Esp)});  // noesn, no PFS
  const Selection esn_only = select_proposal({must_parse("aes256gcm16-esn", ProtocolId::Esp)}, ours, false);
  EXPECT_FALSE(esn_only.chosen);
  EXPECT_NE(esn_only.explanation.find("no common ESN setting"), std::string::npos) << esn_only.explanation;

  // The peer insists on PFS that we do not configure, and the other way round.
  const Selection peer_pfs = select_proposal({must_parse("aes256gcm16-ecp256", ProtocolId::Esp)}, ours, false);
  EXPECT_FALSE(peer_pfs.chosen);
  EXPECT_NE(peer_pfs.explanation.find("no common key exchange group"), std::string::npos);
  const auto ours_pfs = numbered({must_parse("aes256gcm16-ecp256", ProtocolId::Esp)});
  EXPECT_FALSE(select_proposal({must_parse("aes256gcm16", ProtocolId::Esp)}, ours_pfs, false).chosen);
  const Selection both = select_proposal({must_parse("aes256gcm16-x25519-ecp256", ProtocolId::Esp)}, ours_pfs, false);
  ASSERT_TRUE(both.chosen);
  EXPECT_EQ(proposal_to_string(*both.chosen), "aes256gcm16-ecp256-noesn");
}

TEST(SelectProposal, AcceptsExplicitNoneTransformsFromPeer) {
  // Some initiators send INTEG NONE with an AEAD and KE NONE to make PFS optional.
  Proposal peer = must_parse("aes128gcm16-ecp256", ProtocolId::Esp);
  peer.transforms.push_back(integ(IntegrityId::None));
  peer.transforms.push_back(ke(KeyExchangeId::None));
  const Selection s = select_proposal({peer}, default_esp_proposals(), false);
  ASSERT_TRUE(s.chosen) << s.explanation;
  EXPECT_TRUE(contains(*s.chosen, ke(KeyExchangeId::None)));
  const auto child = child_algorithms(*s.chosen);
  ASSERT_TRUE(child);
  EXPECT_FALSE(child->pfs_group);
  EXPECT_FALSE(child->integrity);
  EXPECT_TRUE(answer_matches_offer(*s.chosen, {peer}));
}

// --- the initiator's check of the answer ---

TEST(AnswerMatchesOffer, AcceptsASubsetOfOneOffer) {
  const auto offered = default_ike_proposals();
  Proposal answer;
  answer.number = 1;
  answer.protocol = ProtocolId::Ike;
  answer.transforms = {enc(EncryptionId::AesGcm16, 128), prf(PrfId::HmacSha2_384), ke(KeyExchangeId::Ecp256)};
  EXPECT_TRUE(answer_matches_offer(answer, offered));
  answer.spi = {1, 2, 3, 4, 5, 6, 7, 8};  // the responder's SPI (rekey) does not matter
  EXPECT_TRUE(answer_matches_offer(answer, offered));
}

TEST(AnswerMatchesOffer, RejectsTwoOfATypeUnofferedOrIncomplete) {
  const auto offered = default_ike_proposals();
  Proposal good;
  good.number = 1;
  good.protocol = ProtocolId::Ike;
  good.transforms = {enc(EncryptionId::AesGcm16, 256), prf(PrfId::HmacSha2_256), ke(KeyExchangeId::Curve25519)};
  ASSERT_TRUE(answer_matches_offer(good, offered));

  Proposal two = good;
  two.transforms.push_back(enc(EncryptionId::AesGcm16, 128));
  EXPECT_FALSE(answer_matches_offer(two, offered));

  Proposal unoffered = good;
  unoffered.transforms[0] = enc(EncryptionId::AesGcm16, 192);
  EXPECT_FALSE(answer_matches_offer(unoffered, offered));

  Proposal wrong_number = good;
  wrong_number.number = 2;  // proposal 2 is the CBC one
  EXPECT_FALSE(answer_matches_offer(wrong_number, offered));

  Proposal missing_group = good;
  missing_group.transforms.pop_back();
  EXPECT_FALSE(answer_matches_offer(missing_group, offered));

  Proposal wrong_protocol = good;
  wrong_protocol.protocol = ProtocolId::Esp;
  EXPECT_FALSE(answer_matches_offer(wrong_protocol, offered));
}

TEST(AnswerMatchesOffer, EspEsnMayBeOmittedOnlyIfNoEsnWasOffered) {
  const auto offered = numbered({must_parse("aes128gcm16", ProtocolId::Esp)});
  Proposal answer;
  answer.number = 1;
  answer.protocol = ProtocolId::Esp;
  answer.transforms = {enc(EncryptionId::AesGcm16, 128)};
  EXPECT_TRUE(answer_matches_offer(answer, offered));
  const auto esn_only = numbered({must_parse("aes128gcm16-esn", ProtocolId::Esp)});
  EXPECT_FALSE(answer_matches_offer(answer, esn_only));
}

// --- negotiated sets ---

TEST(IkeAlgorithms, FromChosenProposals) {
  const auto gcm = ike_algorithms(must_parse("aes256gcm16-prfsha384-ecp384"));
  ASSERT_TRUE(gcm);
  EXPECT_TRUE(gcm->is_aead());
  EXPECT_EQ(gcm->encryption, EncryptionId::AesGcm16);
  EXPECT_EQ(gcm->key_bits, 256);
  EXPECT_EQ(gcm->prf, crypto::HashAlgorithm::Sha384);
  EXPECT_EQ(gcm->group, crypto::DhGroup::Ecp384);
  EXPECT_EQ(gcm->encryption_key_length(), 36u);
  EXPECT_EQ(gcm->integrity_key_length(), 0u);
  EXPECT_EQ(gcm->to_string(), "aes256gcm16-prfsha384-ecp384");

  const auto cbc = ike_algorithms(must_parse("aes128-sha512-x25519"));
  ASSERT_TRUE(cbc);
  EXPECT_FALSE(cbc->is_aead());
  EXPECT_EQ(cbc->integrity, crypto::IntegrityAlgorithm::HmacSha512_256);
  EXPECT_EQ(cbc->prf, crypto::HashAlgorithm::Sha512);
  EXPECT_EQ(cbc->encryption_key_length(), 16u);
  EXPECT_EQ(cbc->integrity_key_length(), 64u);
  EXPECT_EQ(cbc->to_string(), "aes128-sha512-prfsha512-x25519");

  const auto chacha = ike_algorithms(must_parse("chacha20poly1305-prfsha256-x448"));
  ASSERT_TRUE(chacha);
  EXPECT_EQ(chacha->encryption_key_length(), 36u);
  EXPECT_EQ(chacha->to_string(), "chacha20poly1305-prfsha256-x448");

  const auto tdes = ike_algorithms(must_parse("3des-sha1-modp1024", ProtocolId::Ike, true));
  ASSERT_TRUE(tdes);
  EXPECT_EQ(tdes->encryption_key_length(), 24u);
  EXPECT_EQ(tdes->integrity_key_length(), 20u);
  EXPECT_EQ(tdes->group, crypto::DhGroup::Modp1024);
}

TEST(IkeAlgorithms, RejectsIncompleteOrAmbiguousSets) {
  EXPECT_FALSE(ike_algorithms(must_parse("aes256gcm16-aes128gcm16-prfsha256-x25519")));  // two ciphers
  EXPECT_FALSE(ike_algorithms(default_esp_proposals()[0]));                               // not IKE
  Proposal p = must_parse("aes256gcm16-prfsha256-x25519");
  p.transforms.push_back(integ(IntegrityId::HmacSha2_256_128));  // AEAD with integrity
  EXPECT_FALSE(ike_algorithms(p));
  Proposal no_group = must_parse("aes256gcm16-prfsha256-x25519");
  no_group.transforms.pop_back();
  EXPECT_FALSE(ike_algorithms(no_group));
  Proposal with_none = must_parse("aes256gcm16-prfsha256-x25519");
  with_none.transforms.push_back(integ(IntegrityId::None));  // explicit NONE next to an AEAD is fine
  EXPECT_TRUE(ike_algorithms(with_none));
}

TEST(ChildAlgorithms, FromChosenProposals) {
  const auto gcm8 = child_algorithms(must_parse("aes128gcm8", ProtocolId::Esp));
  ASSERT_TRUE(gcm8);
  EXPECT_EQ(gcm8->protocol, ipsec::IpsecProtocol::Esp);
  EXPECT_EQ(gcm8->encryption.kind, ipsec::EncryptionTransform::Kind::Aead);
  EXPECT_EQ(gcm8->encryption.aead, crypto::AeadAlgorithm::AesGcm128);
  EXPECT_EQ(gcm8->encryption.aead_icv_length, 8);
  EXPECT_EQ(gcm8->encryption_key_length(), 20u);
  EXPECT_EQ(gcm8->integrity_key_length(), 0u);
  EXPECT_FALSE(gcm8->extended_sequence_numbers);
  EXPECT_EQ(gcm8->to_string(), "aes128gcm8-noesn");

  const auto cbc = child_algorithms(must_parse("aes256-sha384-ecp384-esn", ProtocolId::Esp));
  ASSERT_TRUE(cbc);
  EXPECT_EQ(cbc->encryption.kind, ipsec::EncryptionTransform::Kind::Cbc);
  EXPECT_EQ(cbc->encryption.cbc, crypto::CbcAlgorithm::AesCbc256);
  EXPECT_EQ(cbc->integrity, crypto::IntegrityAlgorithm::HmacSha384_192);
  EXPECT_EQ(cbc->pfs_group, crypto::DhGroup::Ecp384);
  EXPECT_TRUE(cbc->extended_sequence_numbers);
  EXPECT_EQ(cbc->encryption_key_length(), 32u);
  EXPECT_EQ(cbc->integrity_key_length(), 48u);
  EXPECT_EQ(cbc->to_string(), "aes256-sha384-ecp384-esn");

  const auto chacha = child_algorithms(must_parse("chacha20poly1305", ProtocolId::Esp));
  ASSERT_TRUE(chacha);
  EXPECT_EQ(chacha->encryption.aead, crypto::AeadAlgorithm::ChaCha20Poly1305);
  EXPECT_EQ(chacha->encryption_key_length(), 36u);

  const auto null = child_algorithms(must_parse("null-sha256", ProtocolId::Esp, true));
  ASSERT_TRUE(null);
  EXPECT_EQ(null->encryption.kind, ipsec::EncryptionTransform::Kind::Null);
  EXPECT_EQ(null->encryption_key_length(), 0u);

  const auto ah = child_algorithms(must_parse("sha256-esn", ProtocolId::Ah));
  ASSERT_TRUE(ah);
  EXPECT_EQ(ah->protocol, ipsec::IpsecProtocol::Ah);
  EXPECT_EQ(ah->integrity, crypto::IntegrityAlgorithm::HmacSha256_128);
  EXPECT_EQ(ah->encryption_key_length(), 0u);
  EXPECT_EQ(ah->integrity_key_length(), 32u);
  EXPECT_TRUE(ah->extended_sequence_numbers);
  EXPECT_EQ(ah->to_string(), "sha256-esn");
}

TEST(ChildAlgorithms, RejectsAmbiguousSets) {
  EXPECT_FALSE(child_algorithms(must_parse("aes128gcm16-esn-noesn", ProtocolId::Esp)));  // two ESN
  EXPECT_FALSE(child_algorithms(must_parse("aes128-sha256-sha384", ProtocolId::Esp)));   // two integrity
  EXPECT_FALSE(child_algorithms(default_ike_proposals()[0]));
  Proposal ah = must_parse("sha256", ProtocolId::Ah);
  ah.transforms.push_back(enc(EncryptionId::AesCbc, 128));
  EXPECT_FALSE(child_algorithms(ah));
}

TEST(Groups, FirstGroupAndAllowedGroups) {
  EXPECT_EQ(first_group(default_ike_proposals()), crypto::DhGroup::Curve25519);
  EXPECT_EQ(first_group({must_parse("aes128-sha256-ecp384-x25519")}), crypto::DhGroup::Ecp384);
  EXPECT_FALSE(first_group({}));
  EXPECT_FALSE(first_group(default_esp_proposals()));  // no PFS
  EXPECT_TRUE(proposals_allow_group(default_ike_proposals(), crypto::DhGroup::Modp3072));
  EXPECT_FALSE(proposals_allow_group(default_ike_proposals(), crypto::DhGroup::Ecp521));
}

}  // namespace
}  // namespace cygnet::ike
