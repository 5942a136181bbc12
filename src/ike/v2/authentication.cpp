#include "ike/v2/authentication.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include "crypto/constant_time.hpp"
#include "crypto/error.hpp"
#include "crypto/secure_bytes.hpp"
#include "wire/byte_reader.hpp"

namespace cygnet::ike {

using crypto::HashAlgorithm;
using crypto::KeyType;
using crypto::SignatureScheme;
using wire::ikev2::SignatureHash;

// ---- signed octets and PSK (RFC 7296 §2.15) -----------------------------------------------------

Bytes signed_octets(ByteView real_message, ByteView peer_nonce, HashAlgorithm prf, ByteView sk_p,
                    const wire::ikev2::IdPayload& id) {
  // RestOfIDPayload: the ID payload body after the generic payload header.
  const std::array<std::uint8_t, 4> id_header = {static_cast<std::uint8_t>(id.type), 0, 0, 0};
  crypto::Hmac mac(prf, sk_p);
  Bytes out;
  out.reserve(real_message.size() + peer_nonce.size() + mac.output_length());
  out.insert(out.end(), real_message.begin(), real_message.end());
  out.insert(out.end(), peer_nonce.begin(), peer_nonce.end());
  const std::size_t maced_at = out.size();
  out.resize(maced_at + mac.output_length());
  if (!mac.compute({id_header, id.data}, MutableByteView(out).subspan(maced_at)))
    throw crypto::CryptoError("IKE AUTH: prf over the ID payload failed");
  return out;
}

namespace {

constexpr std::string_view kKeyPad = "Key Pad for IKEv2";  // 17 ASCII octets, no terminator

}  // namespace

Bytes psk_auth_data(HashAlgorithm prf, ByteView psk, ByteView octets) {
  const ByteView pad(reinterpret_cast<const std::uint8_t*>(kKeyPad.data()), kKeyPad.size());
  crypto::SecureBytes key(crypto::hash_length(prf));  // derived from the PSK: a secret as well
  crypto::Hmac pad_mac(prf, psk);
  if (!pad_mac.compute({pad}, key.mutable_view()))
    throw crypto::CryptoError("IKE AUTH: prf(PSK, key pad) failed");
  crypto::Hmac auth_mac(prf, key.view());
  Bytes auth(auth_mac.output_length());
  if (!auth_mac.compute({octets}, auth))
    throw crypto::CryptoError("IKE AUTH: prf over the signed octets failed");
  return auth;
}

bool verify_psk_auth(HashAlgorithm prf, ByteView psk, ByteView octets, ByteView auth_data) {
  const Bytes expected = psk_auth_data(prf, psk, octets);
  // equal_constant_time: an attacker learns nothing from where a forged AUTH value differs.
  return auth_data.size() == expected.size() && crypto::equal_constant_time(expected, auth_data);
}

// ---- RFC 7427 AlgorithmIdentifiers --------------------------------------------------------------

namespace {

// The AlgorithmIdentifier DER that Cygnet sends, exactly as RFC 7427 Appendix A lists them
// (A.3 ECDSA, A.4.3 RSASSA-PSS with SHA-256; the SHA-384/512 PSS forms differ only in the hash
// OIDs and the salt length, which equals the hash length per RFC 8247 §3.2) and RFC 8420 §2 for
// Ed25519.
constexpr std::uint8_t kRsaPssSha256[] = {
    0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x34, 0xa0, 0x0f,
    0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0xa1, 0x1c,
    0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d, 0x06, 0x09,
    0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x20};
constexpr std::uint8_t kRsaPssSha384[] = {
    0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x34, 0xa0, 0x0f,
    0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0xa1, 0x1c,
    0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d, 0x06, 0x09,
    0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x30};
constexpr std::uint8_t kRsaPssSha512[] = {
    0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x34, 0xa0, 0x0f,
    0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0xa1, 0x1c,
    0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d, 0x06, 0x09,
    0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x40};
constexpr std::uint8_t kEcdsaSha256[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                         0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
constexpr std::uint8_t kEcdsaSha384[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                         0x48, 0xce, 0x3d, 0x04, 0x03, 0x03};
constexpr std::uint8_t kEcdsaSha512[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                         0x48, 0xce, 0x3d, 0x04, 0x03, 0x04};
constexpr std::uint8_t kEd25519[] = {0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70};

// OID contents (without tag and length) recognised on receipt.
constexpr std::uint8_t kOidSha1WithRsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05};
constexpr std::uint8_t kOidSha256WithRsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b};
constexpr std::uint8_t kOidSha384WithRsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c};
constexpr std::uint8_t kOidSha512WithRsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d};
constexpr std::uint8_t kOidRsaPss[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a};
constexpr std::uint8_t kOidMgf1[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08};
constexpr std::uint8_t kOidEcdsaSha1[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01};
constexpr std::uint8_t kOidEcdsaSha256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
constexpr std::uint8_t kOidEcdsaSha384[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03};
constexpr std::uint8_t kOidEcdsaSha512[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04};
constexpr std::uint8_t kOidEd25519[] = {0x2b, 0x65, 0x70};
constexpr std::uint8_t kOidSha1[] = {0x2b, 0x0e, 0x03, 0x02, 0x1a};
constexpr std::uint8_t kOidSha256[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01};
constexpr std::uint8_t kOidSha384[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02};
constexpr std::uint8_t kOidSha512[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03};

constexpr std::uint8_t kTagInteger = 0x02;
constexpr std::uint8_t kTagNull = 0x05;
constexpr std::uint8_t kTagOid = 0x06;
constexpr std::uint8_t kTagSequence = 0x30;

bool same(ByteView a, ByteView b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

ByteView signing_algorithm_identifier(KeyType key, HashAlgorithm hash) {
  switch (key) {
    case KeyType::Rsa:
      switch (hash) {
        case HashAlgorithm::Sha256: return kRsaPssSha256;
        case HashAlgorithm::Sha384: return kRsaPssSha384;
        case HashAlgorithm::Sha512: return kRsaPssSha512;
        case HashAlgorithm::Sha1: break;
      }
      break;
    case KeyType::EcdsaP256:
    case KeyType::EcdsaP384:
    case KeyType::EcdsaP521:
      switch (hash) {
        case HashAlgorithm::Sha256: return kEcdsaSha256;
        case HashAlgorithm::Sha384: return kEcdsaSha384;
        case HashAlgorithm::Sha512: return kEcdsaSha512;
        case HashAlgorithm::Sha1: break;
      }
      break;
    case KeyType::Ed25519: return kEd25519;
  }
  return {};
}

SignatureScheme signing_scheme(KeyType key) {
  switch (key) {
    case KeyType::Rsa: return SignatureScheme::RsaPss;
    case KeyType::Ed25519: return SignatureScheme::Ed25519;
    case KeyType::EcdsaP256:
    case KeyType::EcdsaP384:
    case KeyType::EcdsaP521: break;
  }
  return SignatureScheme::Ecdsa;
}

// One DER element. Only what AlgorithmIdentifiers use: low tag numbers, definite lengths of at
// most two length octets (an AlgorithmIdentifier is at most 255 bytes here anyway).
struct Element {
  std::uint8_t tag = 0;
  ByteView value;
  ByteView whole;  // tag, length and value
};

// Reads DER elements one after another from a buffer; every length is checked by ByteReader.
class DerReader {
 public:
  explicit DerReader(ByteView data) : data_(data), reader_(data) {}
  bool at_end() const { return reader_.remaining() == 0; }

  std::optional<Element> next() {
    const std::size_t start = reader_.offset();
    const std::optional<std::uint8_t> tag = reader_.u8();
    const std::optional<std::uint8_t> first_length = reader_.u8();
    if (!tag || !first_length || (*tag & 0x1f) == 0x1f) return std::nullopt;
    std::size_t length = *first_length;
    if ((length & 0x80) != 0) {
      const std::size_t count = length & 0x7f;
      if (count == 0 || count > 2) return std::nullopt;  // indefinite or absurdly long
      length = 0;
      for (std::size_t i = 0; i < count; ++i) {
        const std::optional<std::uint8_t> octet = reader_.u8();
        if (!octet) return std::nullopt;
        length = (length << 8) | *octet;
      }
    }
    const std::optional<ByteView> value = reader_.bytes(length);
    if (!value) return std::nullopt;
    return Element{*tag, *value, data_.subspan(start, reader_.offset() - start)};
  }

 private:
  ByteView data_;
  wire::ByteReader reader_;
};

// The only element of `data`, with the expected tag.
std::optional<ByteView> read_whole(ByteView data, std::uint8_t tag) {
  DerReader reader(data);
  const std::optional<Element> element = reader.next();
  if (!element || element->tag != tag || !reader.at_end()) return std::nullopt;
  return element->value;
}

struct AlgorithmIdentifier {
  ByteView oid;
  std::optional<Element> parameters;
};

// AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL }
std::optional<AlgorithmIdentifier> parse_algorithm_identifier(ByteView der) {
  const std::optional<ByteView> body = read_whole(der, kTagSequence);
  if (!body) return std::nullopt;
  DerReader reader(*body);
  const std::optional<Element> oid = reader.next();
  if (!oid || oid->tag != kTagOid || oid->value.empty()) return std::nullopt;
  AlgorithmIdentifier out{oid->value, std::nullopt};
  if (!reader.at_end()) {
    out.parameters = reader.next();
    if (!out.parameters || !reader.at_end()) return std::nullopt;
  }
  return out;
}

bool absent_or_null(const std::optional<Element>& parameters) {
  return !parameters || (parameters->tag == kTagNull && parameters->value.empty());
}

std::optional<HashAlgorithm> hash_from_oid(ByteView oid) {
  if (same(oid, kOidSha1)) return HashAlgorithm::Sha1;
  if (same(oid, kOidSha256)) return HashAlgorithm::Sha256;
  if (same(oid, kOidSha384)) return HashAlgorithm::Sha384;
  if (same(oid, kOidSha512)) return HashAlgorithm::Sha512;
  return std::nullopt;
}

// A hash AlgorithmIdentifier inside RSASSA-PSS parameters (NULL or absent parameters).
std::optional<HashAlgorithm> parse_hash_algorithm(ByteView der) {
  const std::optional<AlgorithmIdentifier> id = parse_algorithm_identifier(der);
  if (!id || !absent_or_null(id->parameters)) return std::nullopt;
  return hash_from_oid(id->oid);
}

// A small non-negative INTEGER (salt length, trailer field).
std::optional<unsigned> parse_small_integer(ByteView der) {
  const std::optional<ByteView> value = read_whole(der, kTagInteger);
  if (!value || value->empty() || value->size() > 2 || ((*value)[0] & 0x80) != 0) return std::nullopt;
  unsigned out = 0;
  for (std::uint8_t octet : *value) out = (out << 8) | octet;
  return out;
}

struct SignatureAlgorithm {
  SignatureScheme scheme = SignatureScheme::RsaPss;
  HashAlgorithm hash = HashAlgorithm::Sha256;
  std::string name;  // for error texts
};

struct AlgorithmOrError {
  std::optional<SignatureAlgorithm> algorithm;
  std::string error;
};

AlgorithmOrError fail(std::string error) {
  return AlgorithmOrError{std::nullopt, std::move(error)};
}
AlgorithmOrError found(SignatureScheme scheme, HashAlgorithm hash, std::string name) {
  return AlgorithmOrError{SignatureAlgorithm{scheme, hash, std::move(name)}, {}};
}

// RSASSA-PSS-params (RFC 4055 §3.1): every field has a default (SHA-1, MGF1-SHA-1, salt 20,
// trailer 1) and is left out when it has that value; RFC 7427 A.4.2 shows the defaults written
// out, so both forms are read.
AlgorithmOrError parse_pss_parameters(const std::optional<Element>& parameters) {
  HashAlgorithm hash = HashAlgorithm::Sha1;
  HashAlgorithm mgf_hash = HashAlgorithm::Sha1;
  unsigned salt_length = 20;
  if (parameters && !(parameters->tag == kTagNull && parameters->value.empty())) {
    if (parameters->tag != kTagSequence) return fail("malformed RSASSA-PSS parameters");
    DerReader reader(parameters->value);
    int last_field = -1;
    while (!reader.at_end()) {
      const std::optional<Element> field = reader.next();
      if (!field || field->tag < 0xa0 || field->tag > 0xa3 || field->tag - 0xa0 <= last_field)
        return fail("malformed RSASSA-PSS parameters");
      last_field = field->tag - 0xa0;
      switch (field->tag) {
        case 0xa0: {  // hashAlgorithm
          const std::optional<HashAlgorithm> h = parse_hash_algorithm(field->value);
          if (!h) return fail("RSASSA-PSS with an unknown hash algorithm");
          hash = *h;
          break;
        }
        case 0xa1: {  // maskGenAlgorithm: MGF1 with a hash AlgorithmIdentifier as parameters
          const std::optional<AlgorithmIdentifier> mgf = parse_algorithm_identifier(field->value);
          if (!mgf || !same(mgf->oid, kOidMgf1) || !mgf->parameters || mgf->parameters->tag != kTagSequence)
            return fail("RSASSA-PSS with a mask generation function other than MGF1");
          const std::optional<HashAlgorithm> h = parse_hash_algorithm(mgf->parameters->whole);
          if (!h) return fail("RSASSA-PSS MGF1 with an unknown hash algorithm");
          mgf_hash = *h;
          break;
        }
        case 0xa2: {  // saltLength
          const std::optional<unsigned> salt = parse_small_integer(field->value);
          if (!salt) return fail("malformed RSASSA-PSS salt length");
          salt_length = *salt;
          break;
        }
        default: {  // trailerField: only 1 (0xBC) exists
          const std::optional<unsigned> trailer = parse_small_integer(field->value);
          if (!trailer || *trailer != 1) return fail("RSASSA-PSS with an unknown trailer field");
          break;
        }
      }
    }
  }
  const std::string name = std::string("RSASSA-PSS with ") + crypto::hash_name(hash);
  if (mgf_hash != hash)
    return fail(name + " and MGF1 with " + crypto::hash_name(mgf_hash) + " is not supported");
  if (salt_length != crypto::hash_length(hash))
    return fail(name + " and a " + std::to_string(salt_length) +
                "-byte salt is not supported (the salt must be as long as the hash)");
  return found(SignatureScheme::RsaPss, hash, name);
}

AlgorithmOrError parse_signature_algorithm(ByteView der) {
  const std::optional<AlgorithmIdentifier> id = parse_algorithm_identifier(der);
  if (!id) return fail("malformed AlgorithmIdentifier");
  struct Known {
    ByteView oid;
    SignatureScheme scheme;
    HashAlgorithm hash;
    const char* name;
  };
  static const Known known[] = {
      {kOidSha1WithRsa, SignatureScheme::RsaPkcs1v15, HashAlgorithm::Sha1, "sha1WithRSAEncryption"},
      {kOidSha256WithRsa, SignatureScheme::RsaPkcs1v15, HashAlgorithm::Sha256, "sha256WithRSAEncryption"},
      {kOidSha384WithRsa, SignatureScheme::RsaPkcs1v15, HashAlgorithm::Sha384, "sha384WithRSAEncryption"},
      {kOidSha512WithRsa, SignatureScheme::RsaPkcs1v15, HashAlgorithm::Sha512, "sha512WithRSAEncryption"},
      {kOidEcdsaSha1, SignatureScheme::Ecdsa, HashAlgorithm::Sha1, "ecdsa-with-SHA1"},
      {kOidEcdsaSha256, SignatureScheme::Ecdsa, HashAlgorithm::Sha256, "ecdsa-with-SHA256"},
      {kOidEcdsaSha384, SignatureScheme::Ecdsa, HashAlgorithm::Sha384, "ecdsa-with-SHA384"},
      {kOidEcdsaSha512, SignatureScheme::Ecdsa, HashAlgorithm::Sha512, "ecdsa-with-SHA512"},
      {kOidEd25519, SignatureScheme::Ed25519, HashAlgorithm::Sha512, "Ed25519"},
  };
  if (same(id->oid, kOidRsaPss)) return parse_pss_parameters(id->parameters);
  for (const Known& k : known) {
    if (!same(id->oid, k.oid)) continue;
    // PKCS#1 v1.5 carries NULL parameters (RFC 7427 A.1); ECDSA and Ed25519 none (A.3, RFC 8420).
    if (!absent_or_null(id->parameters)) return fail(std::string("unexpected parameters for ") + k.name);
    return found(k.scheme, k.hash, k.name);
  }
  return fail("unknown AlgorithmIdentifier (OID " + to_hex(id->oid) + ")");
}

bool scheme_fits(SignatureScheme scheme, KeyType key) {
  switch (scheme) {
    case SignatureScheme::RsaPss:
    case SignatureScheme::RsaPkcs1v15:
    case SignatureScheme::RsaPkcs1Raw: return key == KeyType::Rsa;
    case SignatureScheme::Ecdsa:
    case SignatureScheme::EcdsaConcatenated:  // (IKEv1 forms: no RFC 7427 AlgorithmIdentifier names them)
    case SignatureScheme::EcdsaConcatenatedPrehashed:
      return key == KeyType::EcdsaP256 || key == KeyType::EcdsaP384 || key == KeyType::EcdsaP521;
    case SignatureScheme::Ed25519: return key == KeyType::Ed25519;
  }
  return false;
}

}  // namespace

Bytes signature_auth_data(const crypto::PrivateKey& key, HashAlgorithm hash, ByteView octets) {
  const ByteView algorithm = signing_algorithm_identifier(key.type(), hash);
  if (algorithm.empty())
    throw crypto::CryptoError(std::string("IKE AUTH: no signature with ") + crypto::hash_name(hash) +
                              " for a " + crypto::key_type_name(key.type()) +
                              " key (SHA-1 is never used to sign)");
  const Bytes signature = key.sign(signing_scheme(key.type()), hash, octets);
  Bytes out;
  out.reserve(1 + algorithm.size() + signature.size());
  out.push_back(static_cast<std::uint8_t>(algorithm.size()));
  out.insert(out.end(), algorithm.begin(), algorithm.end());
  out.insert(out.end(), signature.begin(), signature.end());
  return out;
}

SignatureCheck verify_signature_auth(const crypto::PublicKey& key, ByteView auth_data, ByteView octets,
                                     bool allow_legacy) {
  SignatureCheck check;
  if (auth_data.empty()) {
    check.error = "AUTH data is empty";
    return check;
  }
  const std::size_t length = auth_data[0];
  if (length == 0 || 1 + length > auth_data.size()) {
    check.error = "AlgorithmIdentifier length " + std::to_string(length) + " does not fit the " +
                  std::to_string(auth_data.size() - 1) + " bytes of AUTH data after it";
    return check;
  }
  const AlgorithmOrError parsed = parse_signature_algorithm(auth_data.subspan(1, length));
  if (!parsed.algorithm) {
    check.error = parsed.error;
    return check;
  }
  const SignatureAlgorithm& algorithm = *parsed.algorithm;
  if (algorithm.hash == HashAlgorithm::Sha1 && algorithm.scheme != SignatureScheme::Ed25519 &&
      !allow_legacy) {
    check.error = algorithm.name + " refused: SHA-1 signatures need allow_legacy";
    return check;
  }
  if (!scheme_fits(algorithm.scheme, key.type())) {
    check.error = algorithm.name + " does not fit the peer's " + crypto::key_type_name(key.type()) + " key";
    return check;
  }
  const ByteView signature = auth_data.subspan(1 + length);
  if (signature.empty()) {
    check.error = "signature is empty";
    return check;
  }
  check.ok = key.verify(algorithm.scheme, algorithm.hash, octets, signature);
  if (!check.ok) check.error = "signature does not verify (" + algorithm.name + ")";
  return check;
}

// ---- SIGNATURE_HASH_ALGORITHMS (RFC 7427 §4) ----------------------------------------------------

namespace {

SignatureHash announced(HashAlgorithm h) {
  switch (h) {
    case HashAlgorithm::Sha384: return SignatureHash::Sha2_384;
    case HashAlgorithm::Sha512: return SignatureHash::Sha2_512;
    case HashAlgorithm::Sha1:
    case HashAlgorithm::Sha256: break;
  }
  return SignatureHash::Sha2_256;
}

}  // namespace

HashAlgorithm choose_signature_hash(const std::vector<SignatureHash>& peer, KeyType key_type) {
  // Ed25519 hashes internally ("Identity"); the value is not used by signature_auth_data.
  if (key_type == KeyType::Ed25519 || peer.empty()) return HashAlgorithm::Sha256;
  // ECDSA: the hash matching the curve's strength first (RFC 5656 §6.2.1 pairing); then SHA-256,
  // SHA-384, SHA-512 in that order, as the peer supports them.
  std::vector<HashAlgorithm> preference = {HashAlgorithm::Sha256, HashAlgorithm::Sha384,
                                           HashAlgorithm::Sha512};
  if (key_type == KeyType::EcdsaP384)
    preference = {HashAlgorithm::Sha384, HashAlgorithm::Sha512, HashAlgorithm::Sha256};
  if (key_type == KeyType::EcdsaP521)
    preference = {HashAlgorithm::Sha512, HashAlgorithm::Sha384, HashAlgorithm::Sha256};
  for (HashAlgorithm wanted : preference) {
    if (std::find(peer.begin(), peer.end(), announced(wanted)) != peer.end()) return wanted;
  }
  return HashAlgorithm::Sha256;  // nothing in common: SHA-256, which RFC 8247 makes mandatory
}

Bytes encode_signature_hash_algorithms(const std::vector<SignatureHash>& hashes) {
  Bytes out;
  out.reserve(hashes.size() * 2);
  for (SignatureHash h : hashes) {
    const auto value = static_cast<std::uint16_t>(h);
    out.push_back(static_cast<std::uint8_t>(value >> 8));
    out.push_back(static_cast<std::uint8_t>(value));
  }
  return out;
}

std::vector<SignatureHash> decode_signature_hash_algorithms(ByteView data) {
  std::vector<SignatureHash> out;
  // 2-byte identifiers; an odd trailing byte is ignored, unknown identifiers are skipped.
  for (std::size_t i = 0; i + 1 < data.size(); i += 2) {
    const auto value = static_cast<std::uint16_t>((data[i] << 8) | data[i + 1]);
    if (value >= static_cast<std::uint16_t>(SignatureHash::Sha1) &&
        value <= static_cast<std::uint16_t>(SignatureHash::Identity))
      out.push_back(static_cast<SignatureHash>(value));
  }
  return out;
}

std::vector<SignatureHash> supported_signature_hashes() {
  return {SignatureHash::Sha2_256, SignatureHash::Sha2_384, SignatureHash::Sha2_512, SignatureHash::Identity};
}

}  // namespace cygnet::ike
