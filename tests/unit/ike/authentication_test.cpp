// IKE_AUTH data: the signed octets and PSK AUTH values against an independent HMAC (Python's hmac
// module; RFC 7296 publishes no AUTH vector), RFC 7427 signatures for every key type with the
// AlgorithmIdentifiers of RFC 7427 Appendix A / RFC 8420, PKCS#1 v1.5 signatures made by the
// openssl tool, SHA-1 only with allow_legacy, and clear errors for malformed AUTH data.
#include "ike/v2/authentication.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "crypto/error.hpp"

namespace cygnet::ike {
namespace {

using crypto::HashAlgorithm;
using crypto::KeyType;
using wire::ikev2::IdType;
using wire::ikev2::SignatureHash;

Bytes ascii(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

// Runs a command and returns its standard output, or nullopt when it could not run or failed.
std::optional<std::string> run(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return std::nullopt;
  std::string out;
  std::array<char, 512> buffer{};
  while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe.get()) != nullptr)
    out += buffer.data();
  if (pclose(pipe.release()) != 0) return std::nullopt;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

bool have(const char* program) {
  return std::filesystem::exists(program);
}

const char* python_hash(HashAlgorithm h) {
  switch (h) {
    case HashAlgorithm::Sha1: return "sha1";
    case HashAlgorithm::Sha256: return "sha256";
    case HashAlgorithm::Sha384: return "sha384";
    case HashAlgorithm::Sha512: return "sha512";
  }
  return "?";
}

// ---- signed octets and PSK ----------------------------------------------------------------------

TEST(SignedOctets, AreMessageNonceAndPrfOfTheIdPayloadBody) {
  if (!have("/usr/bin/python3")) GTEST_SKIP() << "no /usr/bin/python3 to compute the expected value";
  const Bytes message = from_hex("11223344556677880000000000000000212022080000000000000040");
  const Bytes nonce = from_hex("a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4");
  const Bytes sk_p = from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  const wire::ikev2::IdPayload id{IdType::Fqdn, ascii("gw.example.com")};
  for (HashAlgorithm prf : {HashAlgorithm::Sha1, HashAlgorithm::Sha256, HashAlgorithm::Sha512}) {
    const Bytes octets = signed_octets(message, nonce, prf, sk_p, id);
    // RestOfIDPayload = ID type, three reserved zero octets, identification data (RFC 7296 §2.15).
    const std::optional<std::string> expected =
        run(std::string("/usr/bin/python3 -c \"import hmac,hashlib,sys; a=sys.argv; "
                        "print(a[4]+a[5]+hmac.new(bytes.fromhex(a[2]),bytes.fromhex(a[3]),getattr(hashlib,a["
                        "1])).hexdigest())\" ") +
            python_hash(prf) + " " + to_hex(sk_p) + " 02000000" + to_hex(id.data) + " " + to_hex(message) +
            " " + to_hex(nonce));
    ASSERT_TRUE(expected.has_value());
    EXPECT_EQ(to_hex(octets), *expected) << crypto::hash_name(prf);
  }
}

TEST(PskAuth, MatchesAnIndependentHmac) {
  if (!have("/usr/bin/python3")) GTEST_SKIP() << "no /usr/bin/python3 to compute the expected value";
  const Bytes psk = ascii("correct horse battery staple");
  const Bytes octets = from_hex("00112233445566778899aabbccddeeff0123456789abcdef0123456789abcdef5a5a5a5a");
  for (HashAlgorithm prf :
       {HashAlgorithm::Sha1, HashAlgorithm::Sha256, HashAlgorithm::Sha384, HashAlgorithm::Sha512}) {
    // AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>)  (RFC 7296 §2.15)
    const std::optional<std::string> expected =
        run(std::string("/usr/bin/python3 -c \"import hmac,hashlib,sys; a=sys.argv; h=getattr(hashlib,a[1]); "
                        "k=hmac.new(bytes.fromhex(a[2]),b'Key Pad for IKEv2',h).digest(); "
                        "print(hmac.new(k,bytes.fromhex(a[3]),h).hexdigest())\" ") +
            python_hash(prf) + " " + to_hex(psk) + " " + to_hex(octets));
    ASSERT_TRUE(expected.has_value());
    const Bytes auth = psk_auth_data(prf, psk, octets);
    EXPECT_EQ(auth.size(), crypto::hash_length(prf));
    EXPECT_EQ(to_hex(auth), *expected) << crypto::hash_name(prf);
  }
}

TEST(PskAuth, VerifiesOnlyTheExactValue) {
  const Bytes psk = ascii("secret");
  const Bytes octets = ascii("signed octets");
  const Bytes auth = psk_auth_data(HashAlgorithm::Sha256, psk, octets);
  EXPECT_TRUE(verify_psk_auth(HashAlgorithm::Sha256, psk, octets, auth));

  Bytes flipped = auth;
  flipped[17] ^= 0x01;
  EXPECT_FALSE(verify_psk_auth(HashAlgorithm::Sha256, psk, octets, flipped));
  EXPECT_FALSE(verify_psk_auth(HashAlgorithm::Sha256, psk, octets, ByteView(auth).first(16)));
  Bytes longer = auth;
  longer.push_back(0);
  EXPECT_FALSE(verify_psk_auth(HashAlgorithm::Sha256, psk, octets, longer));
  EXPECT_FALSE(verify_psk_auth(HashAlgorithm::Sha256, psk, octets, Bytes{}));
  EXPECT_FALSE(verify_psk_auth(HashAlgorithm::Sha256, ascii("Secret"), octets, auth));
  EXPECT_FALSE(verify_psk_auth(HashAlgorithm::Sha256, psk, ascii("signed octetS"), auth));
  EXPECT_FALSE(verify_psk_auth(HashAlgorithm::Sha384, psk, octets, auth));
}

// ---- signatures ---------------------------------------------------------------------------------

// RFC 7427 Appendix A.4.3, "RSASSA-PSS with SHA-256" (67 octets: SHA-256, MGF1-SHA-256, salt 32).
const char* const kRfc7427PssSha256 =
    "3041 0609 2a86 4886 f70d 0101 0a30 34a0 0f30 0d06 0960 8648 0165 0304 0201 0500"
    "a11c 301a 0609 2a86 4886 f70d 0101 0830 0d06 0960 8648 0165 0304 0201 0500 a203 0201 20";
// RFC 7427 Appendix A.3.1-A.3.3, ecdsa-with-SHA256/384/512.
const char* const kRfc7427EcdsaSha256 = "300a 0608 2a86 48ce 3d04 0302";
const char* const kRfc7427EcdsaSha384 = "300a 0608 2a86 48ce 3d04 0303";
const char* const kRfc7427EcdsaSha512 = "300a 0608 2a86 48ce 3d04 0304";
// RFC 8420 §2 / RFC 8410: id-Ed25519 (1.3.101.112), no parameters.
const char* const kEd25519 = "3005 0603 2b65 70";
// RFC 7427 Appendix A.1.2, sha256WithRSAEncryption with NULL parameters.
const char* const kRfc7427Sha256WithRsa = "300d 0609 2a86 4886 f70d 0101 0b05 00";
// RFC 7427 Appendix A.4.2 (RSASSA-PSS with the SHA-1 defaults written out), as published.
const char* const kRfc7427PssDefaults =
    "303e 0609 2a86 4886 f70d 0101 0a30 31a0 0b30 0906 052b 0e03 021a 0500 a118 3016"
    "0609 2a86 4886 f70d 0101 0830 0906 052b 0e03 021a 0500 a203 0201 14a3 0302 0101";
// ecdsa-with-SHA1 (1.2.840.10045.4.1).
const char* const kEcdsaSha1 = "3009 0607 2a86 48ce 3d04 01";

Bytes auth_with(std::string_view algorithm_hex, ByteView signature) {
  const Bytes algorithm = from_hex(algorithm_hex);
  Bytes out{static_cast<std::uint8_t>(algorithm.size())};
  out.insert(out.end(), algorithm.begin(), algorithm.end());
  out.insert(out.end(), signature.begin(), signature.end());
  return out;
}

ByteView algorithm_of(ByteView auth) {
  return auth.subspan(1, auth[0]);
}

class SignatureAuth : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    for (KeyType type :
         {KeyType::Rsa, KeyType::EcdsaP256, KeyType::EcdsaP384, KeyType::EcdsaP521, KeyType::Ed25519})
      keys().emplace(type, crypto::PrivateKey::generate(type));
  }
  static void TearDownTestSuite() { keys().clear(); }
  static std::map<KeyType, crypto::PrivateKey>& keys() {
    static std::map<KeyType, crypto::PrivateKey> k;
    return k;
  }
  static const crypto::PrivateKey& key(KeyType type) { return keys().at(type); }

  const Bytes octets_ = ascii("RealMessage1 | NonceRData | MACedIDForI");
};

TEST_F(SignatureAuth, RsaSignsWithPssAndTheRfc7427Identifier) {
  const Bytes auth = signature_auth_data(key(KeyType::Rsa), HashAlgorithm::Sha256, octets_);
  ASSERT_GT(auth.size(), 1u);
  EXPECT_EQ(auth[0], 67);
  EXPECT_EQ(to_hex(algorithm_of(auth)), to_hex(from_hex(kRfc7427PssSha256)));
  EXPECT_EQ(auth.size(), 1u + 67u + 256u);  // RSA-2048 signature
  const SignatureCheck check = verify_signature_auth(key(KeyType::Rsa).public_key(), auth, octets_, false);
  EXPECT_TRUE(check.ok) << check.error;
}

TEST_F(SignatureAuth, EveryKeyTypeAndHashRoundTrips) {
  for (KeyType type : {KeyType::Rsa, KeyType::EcdsaP256, KeyType::EcdsaP384, KeyType::EcdsaP521}) {
    for (HashAlgorithm hash : {HashAlgorithm::Sha256, HashAlgorithm::Sha384, HashAlgorithm::Sha512}) {
      const Bytes auth = signature_auth_data(key(type), hash, octets_);
      const SignatureCheck check = verify_signature_auth(key(type).public_key(), auth, octets_, false);
      EXPECT_TRUE(check.ok) << crypto::key_type_name(type) << " " << crypto::hash_name(hash) << ": "
                            << check.error;
    }
  }
  const Bytes ed = signature_auth_data(key(KeyType::Ed25519), HashAlgorithm::Sha256, octets_);
  EXPECT_EQ(to_hex(algorithm_of(ed)), to_hex(from_hex(kEd25519)));
  EXPECT_EQ(ed.size(), 1u + 7u + 64u);
  const SignatureCheck check = verify_signature_auth(key(KeyType::Ed25519).public_key(), ed, octets_, false);
  EXPECT_TRUE(check.ok) << check.error;
}

TEST_F(SignatureAuth, EmitsTheRfc7427Identifiers) {
  const auto algorithm = [this](KeyType type, HashAlgorithm hash) {
    return to_hex(algorithm_of(signature_auth_data(key(type), hash, octets_)));
  };
  EXPECT_EQ(algorithm(KeyType::EcdsaP256, HashAlgorithm::Sha256), to_hex(from_hex(kRfc7427EcdsaSha256)));
  EXPECT_EQ(algorithm(KeyType::EcdsaP384, HashAlgorithm::Sha384), to_hex(from_hex(kRfc7427EcdsaSha384)));
  EXPECT_EQ(algorithm(KeyType::EcdsaP521, HashAlgorithm::Sha512), to_hex(from_hex(kRfc7427EcdsaSha512)));
  // PSS with SHA-384/512: the A.4.3 structure with the SHA-384/512 OIDs (2.16.840.1.101.3.4.2.2/3)
  // in hashAlgorithm and MGF1, and salt lengths 48/64 (the same as OpenSSL writes into
  // certificates signed with "-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest").
  EXPECT_EQ(algorithm(KeyType::Rsa, HashAlgorithm::Sha384),
            "304106092a864886f70d01010a3034a00f300d06096086480165030402020500a11c301a06092a864886f70d0101"
            "08300d06096086480165030402020500a203020130");
  EXPECT_EQ(algorithm(KeyType::Rsa, HashAlgorithm::Sha512),
            "304106092a864886f70d01010a3034a00f300d06096086480165030402030500a11c301a06092a864886f70d0101"
            "08300d06096086480165030402030500a203020140");
}

TEST_F(SignatureAuth, TamperedOctetsOrSignatureFail) {
  for (KeyType type : {KeyType::Rsa, KeyType::EcdsaP256, KeyType::Ed25519}) {
    const Bytes auth = signature_auth_data(key(type), HashAlgorithm::Sha256, octets_);
    Bytes other_octets = octets_;
    other_octets[3] ^= 0x20;
    SignatureCheck check = verify_signature_auth(key(type).public_key(), auth, other_octets, false);
    EXPECT_FALSE(check.ok);
    EXPECT_NE(check.error.find("does not verify"), std::string::npos) << check.error;

    Bytes bad_signature = auth;
    bad_signature.back() ^= 0x01;
    EXPECT_FALSE(verify_signature_auth(key(type).public_key(), bad_signature, octets_, false).ok);
  }
  // Another key of the same type.
  const crypto::PrivateKey stranger = crypto::PrivateKey::generate(KeyType::EcdsaP256);
  const Bytes auth = signature_auth_data(stranger, HashAlgorithm::Sha256, octets_);
  EXPECT_FALSE(verify_signature_auth(key(KeyType::EcdsaP256).public_key(), auth, octets_, false).ok);
}

TEST_F(SignatureAuth, IdentifierMustFitTheKey) {
  const Bytes ecdsa = signature_auth_data(key(KeyType::EcdsaP256), HashAlgorithm::Sha256, octets_);
  const SignatureCheck check = verify_signature_auth(key(KeyType::Rsa).public_key(), ecdsa, octets_, false);
  EXPECT_FALSE(check.ok);
  EXPECT_NE(check.error.find("does not fit"), std::string::npos) << check.error;
  const Bytes ed = signature_auth_data(key(KeyType::Ed25519), HashAlgorithm::Sha256, octets_);
  EXPECT_FALSE(verify_signature_auth(key(KeyType::EcdsaP256).public_key(), ed, octets_, false).ok);
}

TEST_F(SignatureAuth, Sha1OnlyWithAllowLegacy) {
  EXPECT_THROW(signature_auth_data(key(KeyType::EcdsaP256), HashAlgorithm::Sha1, octets_),
               crypto::CryptoError);
  EXPECT_THROW(signature_auth_data(key(KeyType::Rsa), HashAlgorithm::Sha1, octets_), crypto::CryptoError);

  const Bytes ecdsa_sha1 = auth_with(
      kEcdsaSha1, key(KeyType::EcdsaP256).sign(crypto::SignatureScheme::Ecdsa, HashAlgorithm::Sha1, octets_));
  const crypto::PublicKey ec_public = key(KeyType::EcdsaP256).public_key();
  SignatureCheck check = verify_signature_auth(ec_public, ecdsa_sha1, octets_, false);
  EXPECT_FALSE(check.ok);
  EXPECT_NE(check.error.find("SHA-1"), std::string::npos) << check.error;
  check = verify_signature_auth(ec_public, ecdsa_sha1, octets_, true);
  EXPECT_TRUE(check.ok) << check.error;

  // RSASSA-PSS with the SHA-1 defaults, encoded as RFC 7427 A.4.2 prints it.
  const Bytes pss_sha1 =
      auth_with(kRfc7427PssDefaults,
                key(KeyType::Rsa).sign(crypto::SignatureScheme::RsaPss, HashAlgorithm::Sha1, octets_));
  const crypto::PublicKey rsa_public = key(KeyType::Rsa).public_key();
  EXPECT_FALSE(verify_signature_auth(rsa_public, pss_sha1, octets_, false).ok);
  check = verify_signature_auth(rsa_public, pss_sha1, octets_, true);
  EXPECT_TRUE(check.ok) << check.error;
  // The same defaults left out (DER) or as an empty SEQUENCE mean the same.
  check = verify_signature_auth(rsa_public,
                                auth_with("300b 0609 2a86 4886 f70d 0101 0a", ByteView(pss_sha1).subspan(65)),
                                octets_, true);
  EXPECT_TRUE(check.ok) << check.error;
  check = verify_signature_auth(
      rsa_public, auth_with("300d 0609 2a86 4886 f70d 0101 0a 3000", ByteView(pss_sha1).subspan(65)), octets_,
      true);
  EXPECT_TRUE(check.ok) << check.error;
}

TEST_F(SignatureAuth, AcceptsPkcs1v15FromTheOpensslTool) {
  if (!have("/usr/bin/openssl")) GTEST_SKIP() << "no /usr/bin/openssl to make a PKCS#1 v1.5 signature";
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / "cygnet-auth-pkcs1";
  std::filesystem::create_directories(dir);
  const std::filesystem::path key_file = dir / "key.pem";
  const std::filesystem::path data_file = dir / "octets.bin";
  const std::filesystem::path signature_file = dir / "signature.bin";
  std::ofstream(key_file) << key(KeyType::Rsa).to_pem();
  std::ofstream(data_file, std::ios::binary)
      .write(reinterpret_cast<const char*>(octets_.data()), static_cast<std::streamsize>(octets_.size()));
  const std::optional<std::string> signed_ok =
      run("/usr/bin/openssl dgst -sha256 -sign " + key_file.string() + " -out " + signature_file.string() +
          " " + data_file.string());
  ASSERT_TRUE(signed_ok.has_value());
  std::ifstream in(signature_file, std::ios::binary);
  const Bytes signature((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove_all(dir);
  ASSERT_EQ(signature.size(), 256u);

  const Bytes auth = auth_with(kRfc7427Sha256WithRsa, signature);
  const SignatureCheck check = verify_signature_auth(key(KeyType::Rsa).public_key(), auth, octets_, false);
  EXPECT_TRUE(check.ok) << check.error;
  // The same signature under another hash's identifier does not verify.
  EXPECT_FALSE(verify_signature_auth(key(KeyType::Rsa).public_key(),
                                     auth_with("300d 0609 2a86 4886 f70d 0101 0c05 00", signature), octets_,
                                     false)
                   .ok);
  // Nor does a PKCS#1 v1.5 signature presented as PSS.
  EXPECT_FALSE(verify_signature_auth(key(KeyType::Rsa).public_key(), auth_with(kRfc7427PssSha256, signature),
                                     octets_, false)
                   .ok);
}

TEST_F(SignatureAuth, MalformedAuthDataGivesClearErrors) {
  const crypto::PublicKey rsa = key(KeyType::Rsa).public_key();
  const auto error_of = [&](const Bytes& auth) {
    const SignatureCheck check = verify_signature_auth(rsa, auth, octets_, true);
    EXPECT_FALSE(check.ok);
    return check.error;
  };
  EXPECT_EQ(error_of({}), "AUTH data is empty");
  EXPECT_NE(error_of(from_hex("50 300d 0609")).find("length 80"), std::string::npos);
  EXPECT_NE(error_of(from_hex("00 0102")).find("length 0"), std::string::npos);
  // 1.2.3.4 is no signature algorithm.
  EXPECT_NE(error_of(auth_with("3005 0603 2a03 04", Bytes(256, 1))).find("unknown AlgorithmIdentifier"),
            std::string::npos);
  // A SEQUENCE whose length runs past the AlgorithmIdentifier, an OID with a wrong tag, trailing
  // bytes inside the announced length, indefinite lengths.
  for (const char* bad : {"300f 0609 2a86 4886 f70d 0101 0b05 00", "300d 0409 2a86 4886 f70d 0101 0b05 00",
                          "300d 0609 2a86 4886 f70d 0101 0b05 00 00",
                          "3080 0609 2a86 4886 f70d 0101 0b05 00 0000", "30", "3000", "3002 0600"}) {
    EXPECT_NE(error_of(auth_with(bad, Bytes(256, 1))).find("malformed"), std::string::npos) << bad;
  }
  // Parameters where none belong (an OCTET STRING after ecdsa-with-SHA256).
  EXPECT_NE(error_of(auth_with("300c 0608 2a86 48ce 3d04 0302 0400", Bytes(64, 1))).find("parameters"),
            std::string::npos);
  EXPECT_EQ(error_of(auth_with(kRfc7427PssSha256, {})), "signature is empty");
  // PSS with SHA-256 but a 20-byte salt, or MGF1 over SHA-1: parameters the key API cannot verify.
  std::string salt20 = kRfc7427PssSha256;
  salt20.replace(salt20.size() - 2, 2, "14");
  EXPECT_NE(error_of(auth_with(salt20, Bytes(256, 1))).find("salt"), std::string::npos);
  EXPECT_NE(
      error_of(auth_with("3036 0609 2a86 4886 f70d 0101 0a30 29a0 0f30 0d06 0960 8648 0165 0304 0201 0500"
                         "a116 3014 0609 2a86 4886 f70d 0101 0830 0706 052b 0e03 021a",
                         Bytes(256, 1)))
          .find("MGF1"),
      std::string::npos);
}

TEST_F(SignatureAuth, RandomBytesNeverVerifyNorCrash) {
  const crypto::PublicKey rsa = key(KeyType::Rsa).public_key();
  const crypto::PublicKey ec = key(KeyType::EcdsaP256).public_key();
  const Bytes good = signature_auth_data(key(KeyType::EcdsaP256), HashAlgorithm::Sha256, octets_);
  std::mt19937 rng(7427);
  for (int i = 0; i < 3000; ++i) {
    Bytes auth;
    if (i % 2 == 0) {
      auth.resize(rng() % 96);
      for (std::uint8_t& b : auth) b = static_cast<std::uint8_t>(rng());
      if (!auth.empty()) auth[0] = static_cast<std::uint8_t>(auth[0] % 40);
    } else {
      auth = good;  // a valid one with a few bytes of its AlgorithmIdentifier or length changed
      for (int n = 0; n < 1 + static_cast<int>(rng() % 3); ++n)
        auth[rng() % 14] = static_cast<std::uint8_t>(rng());
    }
    const SignatureCheck on_rsa = verify_signature_auth(rsa, auth, octets_, true);
    const SignatureCheck on_ec = verify_signature_auth(ec, auth, octets_, true);
    EXPECT_FALSE(on_rsa.ok);
    if (!on_rsa.ok) {
      EXPECT_FALSE(on_rsa.error.empty());
    }
    if (auth != good) {
      EXPECT_FALSE(on_ec.ok) << to_hex(auth);
    }
    if (!on_ec.ok) {
      EXPECT_FALSE(on_ec.error.empty());
    }
  }
}

// ---- SIGNATURE_HASH_ALGORITHMS ------------------------------------------------------------------

TEST(SignatureHashAlgorithms, EncodeAndDecode) {
  const std::vector<SignatureHash> ours = supported_signature_hashes();
  EXPECT_EQ(ours, (std::vector<SignatureHash>{SignatureHash::Sha2_256, SignatureHash::Sha2_384,
                                              SignatureHash::Sha2_512, SignatureHash::Identity}));
  const Bytes encoded = encode_signature_hash_algorithms(ours);
  EXPECT_EQ(to_hex(encoded), "0002000300040005");
  EXPECT_EQ(decode_signature_hash_algorithms(encoded), ours);
  EXPECT_TRUE(encode_signature_hash_algorithms({}).empty());
  EXPECT_TRUE(decode_signature_hash_algorithms({}).empty());
}

TEST(SignatureHashAlgorithms, DecodeIsSafeWithOddAndUnknownData) {
  EXPECT_EQ(decode_signature_hash_algorithms(from_hex("000200")),
            (std::vector<SignatureHash>{SignatureHash::Sha2_256}));
  EXPECT_TRUE(decode_signature_hash_algorithms(from_hex("04")).empty());
  // 0 and 6..0xffff are not (yet) hash identifiers here: skipped, the rest kept.
  EXPECT_EQ(decode_signature_hash_algorithms(from_hex("0000 0001 0006 ffff 0004")),
            (std::vector<SignatureHash>{SignatureHash::Sha1, SignatureHash::Sha2_512}));
}

TEST(SignatureHashAlgorithms, ChoosesWhatThePeerSupports) {
  EXPECT_EQ(choose_signature_hash({}, KeyType::Rsa), HashAlgorithm::Sha256);
  EXPECT_EQ(choose_signature_hash({}, KeyType::EcdsaP384), HashAlgorithm::Sha256);
  const std::vector<SignatureHash> all = supported_signature_hashes();
  EXPECT_EQ(choose_signature_hash(all, KeyType::Rsa), HashAlgorithm::Sha256);
  EXPECT_EQ(choose_signature_hash(all, KeyType::EcdsaP256), HashAlgorithm::Sha256);
  EXPECT_EQ(choose_signature_hash(all, KeyType::EcdsaP384), HashAlgorithm::Sha384);
  EXPECT_EQ(choose_signature_hash(all, KeyType::EcdsaP521), HashAlgorithm::Sha512);
  EXPECT_EQ(choose_signature_hash({SignatureHash::Sha2_512}, KeyType::Rsa), HashAlgorithm::Sha512);
  EXPECT_EQ(choose_signature_hash({SignatureHash::Sha2_384, SignatureHash::Sha2_512}, KeyType::EcdsaP256),
            HashAlgorithm::Sha384);
  // A peer that offers only SHA-1 still gets SHA-256: Cygnet never signs with SHA-1.
  EXPECT_EQ(choose_signature_hash({SignatureHash::Sha1}, KeyType::Rsa), HashAlgorithm::Sha256);
}

}  // namespace
}  // namespace cygnet::ike
