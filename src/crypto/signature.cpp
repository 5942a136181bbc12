#include "crypto/signature.hpp"
#include "crypto/openssl_deleter.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <climits>

#include "crypto/error.hpp"

namespace cygnet::crypto {
namespace {

template <auto Free>
using Deleter = detail::OpenSslDeleter<Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<&EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<&EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<&EVP_MD_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<&BIO_free_all>>;
using MdPtr = std::unique_ptr<EVP_MD, Deleter<&EVP_MD_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, Deleter<&ECDSA_SIG_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<&BN_free>>;

// Digests are fetched from the provider once, not on every signature.
const EVP_MD* message_digest(HashAlgorithm hash) {
  static const MdPtr digests[] = {
      MdPtr(EVP_MD_fetch(nullptr, "SHA1", nullptr)),
      MdPtr(EVP_MD_fetch(nullptr, "SHA256", nullptr)),
      MdPtr(EVP_MD_fetch(nullptr, "SHA384", nullptr)),
      MdPtr(EVP_MD_fetch(nullptr, "SHA512", nullptr)),
  };
  switch (hash) {
    case HashAlgorithm::Sha1: return digests[0].get();
    case HashAlgorithm::Sha256: return digests[1].get();
    case HashAlgorithm::Sha384: return digests[2].get();
    case HashAlgorithm::Sha512: return digests[3].get();
  }
  return nullptr;
}

std::optional<KeyType> key_type_of(EVP_PKEY* pkey) {
  if (pkey == nullptr) return std::nullopt;
  if (EVP_PKEY_is_a(pkey, "RSA") || EVP_PKEY_is_a(pkey, "RSA-PSS")) return KeyType::Rsa;
  if (EVP_PKEY_is_a(pkey, "ED25519")) return KeyType::Ed25519;
  if (EVP_PKEY_is_a(pkey, "EC")) {
    char name[64] = {};
    std::size_t length = 0;
    if (EVP_PKEY_get_group_name(pkey, name, sizeof name, &length) != 1) return std::nullopt;
    int nid = OBJ_sn2nid(name);
    if (nid == NID_undef) nid = EC_curve_nist2nid(name);
    if (nid == NID_X9_62_prime256v1) return KeyType::EcdsaP256;
    if (nid == NID_secp384r1) return KeyType::EcdsaP384;
    if (nid == NID_secp521r1) return KeyType::EcdsaP521;
  }
  return std::nullopt;  // other curves and key types have no IKE signature scheme here
}

bool scheme_fits(SignatureScheme scheme, KeyType type) {
  switch (scheme) {
    case SignatureScheme::RsaPss:
    case SignatureScheme::RsaPkcs1v15:
    case SignatureScheme::RsaPkcs1Raw: return type == KeyType::Rsa;
    case SignatureScheme::Ecdsa:
    case SignatureScheme::EcdsaConcatenated:
    case SignatureScheme::EcdsaConcatenatedPrehashed:
      return type == KeyType::EcdsaP256 || type == KeyType::EcdsaP384 || type == KeyType::EcdsaP521;
    case SignatureScheme::Ed25519: return type == KeyType::Ed25519;
  }
  return false;
}

// RFC 4754 §7: r and s each take the curve's size in bytes, P-521 rounded up to 66.
std::size_t ecdsa_field_bytes(KeyType type) {
  switch (type) {
    case KeyType::EcdsaP256: return 32;
    case KeyType::EcdsaP384: return 48;
    case KeyType::EcdsaP521: return 66;
    case KeyType::Rsa:
    case KeyType::Ed25519: return 0;
  }
  return 0;
}

// OpenSSL's DER ECDSA-Sig-Value -> r || s of field_bytes each; nullopt if it does not parse or fit.
std::optional<Bytes> ecdsa_der_to_concatenated(ByteView der, std::size_t field_bytes) {
  if (field_bytes == 0 || der.size() > LONG_MAX) return std::nullopt;
  const unsigned char* p = der.data();
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig || p != der.data() + der.size()) return std::nullopt;
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  const int width = static_cast<int>(field_bytes);
  Bytes out(2 * field_bytes);
  // BN_bn2binpad fails (-1) rather than truncate a value wider than the field.
  if (BN_bn2binpad(r, out.data(), width) != width ||
      BN_bn2binpad(s, out.data() + field_bytes, width) != width)
    return std::nullopt;
  return out;
}

// r || s -> DER, so that verification goes through the same EVP path as the DER scheme.
std::optional<Bytes> ecdsa_concatenated_to_der(ByteView rs, std::size_t field_bytes) {
  if (field_bytes == 0 || rs.size() != 2 * field_bytes) return std::nullopt;  // fixed size, no slack
  const int width = static_cast<int>(field_bytes);
  BignumPtr r(BN_bin2bn(rs.data(), width, nullptr));
  BignumPtr s(BN_bin2bn(rs.data() + field_bytes, width, nullptr));
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return std::nullopt;
  static_cast<void>(r.release());  // owned by sig from here on
  static_cast<void>(s.release());
  const int length = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (length <= 0) return std::nullopt;
  Bytes der(static_cast<std::size_t>(length));
  unsigned char* p = der.data();
  if (i2d_ECDSA_SIG(sig.get(), &p) != length) return std::nullopt;
  return der;
}

// A context for a raw RSA PKCS#1 v1.5 operation. With no signature digest set, OpenSSL pads the
// input as is (type 1, no DigestInfo) and, on verify, compares the recovered block with it whole.
PkeyCtxPtr raw_rsa_context(EVP_PKEY* pkey, bool sign) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!ctx) return nullptr;
  const int init = sign ? EVP_PKEY_sign_init(ctx.get()) : EVP_PKEY_verify_init(ctx.get());
  if (init != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1) return nullptr;
  return ctx;
}

// Sets up ctx for a sign or verify operation; false when OpenSSL refuses.
bool init_signature(EVP_MD_CTX* ctx, EVP_PKEY* pkey, SignatureScheme scheme, HashAlgorithm hash, bool sign) {
  // Ed25519 hashes internally (PureEdDSA): no message digest may be set.
  const EVP_MD* md = scheme == SignatureScheme::Ed25519 ? nullptr : message_digest(hash);
  if (scheme != SignatureScheme::Ed25519 && md == nullptr) return false;
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  const int init = sign ? EVP_DigestSignInit(ctx, &pctx, md, nullptr, pkey)
                        : EVP_DigestVerifyInit(ctx, &pctx, md, nullptr, pkey);
  if (init != 1) return false;
  switch (scheme) {
    case SignatureScheme::RsaPss:
      // RFC 8247 §3.2 / RFC 7427 Appendix A: MGF1 with the message hash, salt as long as the hash.
      return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
    case SignatureScheme::RsaPkcs1v15: return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
    case SignatureScheme::Ecdsa:
    case SignatureScheme::Ed25519: return true;
    case SignatureScheme::RsaPkcs1Raw:        // no digest step: raw_rsa_context
    case SignatureScheme::EcdsaConcatenated:  // set up as Ecdsa, the encoding converted around it
    case SignatureScheme::EcdsaConcatenatedPrehashed:  // no digest step: raw_ecdsa_*
      return false;
  }
  return false;
}

// EVP wants a non-null pointer even for an empty message.
const unsigned char* data_or_empty(ByteView data) {
  static const unsigned char empty = 0;
  return data.empty() ? &empty : data.data();
}

BioPtr memory_bio(std::string_view text) {
  if (text.size() > INT_MAX) return nullptr;
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// Encrypted PEM is not supported: refuse instead of letting OpenSSL prompt on the terminal.
int no_passphrase(char*, int, int, void*) {
  return -1;
}

Bytes spki_der(EVP_PKEY* pkey) {
  const int length = i2d_PUBKEY(pkey, nullptr);
  if (length <= 0) throw CryptoError("public key: DER encoding failed");
  Bytes out(static_cast<std::size_t>(length));
  unsigned char* p = out.data();
  if (i2d_PUBKEY(pkey, &p) != length) throw CryptoError("public key: DER encoding failed");
  return out;
}

// Hash-then-sign through EVP_DigestSign (RsaPss, Ecdsa as DER, Ed25519).
Bytes digest_sign(EVP_PKEY* pkey, SignatureScheme scheme, HashAlgorithm hash, ByteView data) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || !init_signature(ctx.get(), pkey, scheme, hash, true)) throw CryptoError("sign: init failed");
  std::size_t length = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &length, data_or_empty(data), data.size()) != 1)
    throw CryptoError("sign: size query failed");
  Bytes signature(length);
  if (EVP_DigestSign(ctx.get(), signature.data(), &length, data_or_empty(data), data.size()) != 1)
    throw CryptoError("sign: failed");
  signature.resize(length);  // ECDSA DER signatures are often shorter than the maximum
  return signature;
}

bool digest_verify(EVP_PKEY* pkey, SignatureScheme scheme, HashAlgorithm hash, ByteView data,
                   ByteView signature) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || !init_signature(ctx.get(), pkey, scheme, hash, false)) return false;
  const int verified =
      EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), data_or_empty(data), data.size());
  return verified == 1;
}

Bytes raw_rsa_sign(EVP_PKEY* pkey, ByteView data) {
  // An empty "hash" is a caller bug, not something to sign; OpenSSL refuses data over k - 11.
  if (data.empty()) throw CryptoError("sign: RSA PKCS#1 raw: empty input");
  PkeyCtxPtr ctx = raw_rsa_context(pkey, true);
  if (!ctx) throw CryptoError("sign: RSA PKCS#1 raw: init failed");
  std::size_t length = 0;
  if (EVP_PKEY_sign(ctx.get(), nullptr, &length, data.data(), data.size()) != 1)
    throw CryptoError("sign: RSA PKCS#1 raw: size query failed");
  Bytes signature(length);
  if (EVP_PKEY_sign(ctx.get(), signature.data(), &length, data.data(), data.size()) != 1)
    throw CryptoError("sign: RSA PKCS#1 raw: failed");
  signature.resize(length);
  return signature;
}

bool raw_rsa_verify(EVP_PKEY* pkey, ByteView data, ByteView signature) {
  // OpenSSL would accept a signature shorter than the modulus (as if left-padded with zeros);
  // the wire form is always exactly the modulus size, so anything else is refused.
  const int modulus_bytes = EVP_PKEY_get_size(pkey);
  if (data.empty() || modulus_bytes <= 0 || signature.size() != static_cast<std::size_t>(modulus_bytes))
    return false;
  PkeyCtxPtr ctx = raw_rsa_context(pkey, false);
  return ctx && EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), data.data(), data.size()) == 1;
}

// ECDSA over data that already is the digest (no hashing step): EVP_PKEY_sign/verify without a
// signature digest. DER (r, s) on the OpenSSL side; the callers convert to and from r || s.
Bytes raw_ecdsa_sign_der(EVP_PKEY* pkey, ByteView digest) {
  if (digest.empty()) throw CryptoError("sign: ECDSA prehashed: empty input");
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1) throw CryptoError("sign: ECDSA prehashed: init failed");
  std::size_t length = 0;
  if (EVP_PKEY_sign(ctx.get(), nullptr, &length, digest.data(), digest.size()) != 1)
    throw CryptoError("sign: ECDSA prehashed: size query failed");
  Bytes signature(length);
  if (EVP_PKEY_sign(ctx.get(), signature.data(), &length, digest.data(), digest.size()) != 1)
    throw CryptoError("sign: ECDSA prehashed: failed");
  signature.resize(length);
  return signature;
}

bool raw_ecdsa_verify_der(EVP_PKEY* pkey, ByteView digest, ByteView der) {
  if (digest.empty()) return false;
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  return ctx && EVP_PKEY_verify_init(ctx.get()) == 1 &&
         EVP_PKEY_verify(ctx.get(), der.data(), der.size(), digest.data(), digest.size()) == 1;
}

PkeyPtr pkey_from_spki(ByteView der) {
  if (der.size() > LONG_MAX) return nullptr;
  const unsigned char* p = der.data();
  PkeyPtr pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (pkey && p != der.data() + der.size()) pkey.reset();  // trailing bytes: not one SPKI
  return pkey;
}

}  // namespace

const char* key_type_name(KeyType t) {
  switch (t) {
    case KeyType::Rsa: return "RSA";
    case KeyType::EcdsaP256: return "ECDSA-P256";
    case KeyType::EcdsaP384: return "ECDSA-P384";
    case KeyType::EcdsaP521: return "ECDSA-P521";
    case KeyType::Ed25519: return "Ed25519";
  }
  return "?";
}

// ---- PublicKey -------------------------------------------------------------------------------

struct PublicKey::Impl {
  PkeyPtr pkey;
};

PublicKey::PublicKey(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {
  std::optional<KeyType> type = key_type_of(impl_ ? impl_->pkey.get() : nullptr);
  if (!type) throw CryptoError("public key: unsupported key type");
  type_ = *type;
}

PublicKey::~PublicKey() = default;
PublicKey::PublicKey(PublicKey&&) noexcept = default;
PublicKey& PublicKey::operator=(PublicKey&&) noexcept = default;
PublicKey::PublicKey(const PublicKey&) = default;
PublicKey& PublicKey::operator=(const PublicKey&) = default;

namespace {
std::optional<PublicKey> wrap_public(PkeyPtr pkey) {
  if (!pkey || !key_type_of(pkey.get())) {
    ERR_clear_error();
    return std::nullopt;
  }
  auto impl = std::make_shared<PublicKey::Impl>();
  impl->pkey = std::move(pkey);
  return PublicKey(std::move(impl));
}
}  // namespace

std::optional<PublicKey> PublicKey::from_pem(std::string_view pem) {
  BioPtr bio = memory_bio(pem);
  if (!bio) return std::nullopt;
  return wrap_public(PkeyPtr(PEM_read_bio_PUBKEY(bio.get(), nullptr, no_passphrase, nullptr)));
}

std::optional<PublicKey> PublicKey::from_der_spki(ByteView der) {
  return wrap_public(pkey_from_spki(der));
}

std::size_t PublicKey::bits() const {
  const int bits = impl_ ? EVP_PKEY_get_bits(impl_->pkey.get()) : 0;
  return bits > 0 ? static_cast<std::size_t>(bits) : 0;
}

Bytes PublicKey::der_spki() const {
  if (!impl_) throw CryptoError("public key: empty");
  return spki_der(impl_->pkey.get());
}

bool PublicKey::verify(SignatureScheme scheme, HashAlgorithm hash, ByteView data, ByteView signature) const {
  if (!impl_ || !scheme_fits(scheme, type_) || signature.empty()) return false;
  EVP_PKEY* pkey = impl_->pkey.get();
  bool ok = false;
  if (scheme == SignatureScheme::RsaPkcs1Raw) {
    ok = raw_rsa_verify(pkey, data, signature);
  } else if (scheme == SignatureScheme::EcdsaConcatenated) {
    const std::optional<Bytes> der = ecdsa_concatenated_to_der(signature, ecdsa_field_bytes(type_));
    ok = der && digest_verify(pkey, SignatureScheme::Ecdsa, hash, data, *der);
  } else if (scheme == SignatureScheme::EcdsaConcatenatedPrehashed) {
    const std::optional<Bytes> der = ecdsa_concatenated_to_der(signature, ecdsa_field_bytes(type_));
    ok = der && raw_ecdsa_verify_der(pkey, data, *der);
  } else {
    ok = digest_verify(pkey, scheme, hash, data, signature);
  }
  ERR_clear_error();  // a bad signature from a peer is an answer, not an error to report later
  return ok;
}

// ---- PrivateKey ------------------------------------------------------------------------------

struct PrivateKey::Impl {
  PkeyPtr pkey;
};

PrivateKey::PrivateKey() = default;
PrivateKey::~PrivateKey() = default;
PrivateKey::PrivateKey(PrivateKey&&) noexcept = default;
PrivateKey& PrivateKey::operator=(PrivateKey&&) noexcept = default;

std::optional<PrivateKey> PrivateKey::from_pem(std::string_view pem) {
  BioPtr bio = memory_bio(pem);
  if (!bio) return std::nullopt;
  // Reads PKCS#8 "PRIVATE KEY" as well as the traditional "RSA/EC PRIVATE KEY" forms.
  PkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  std::optional<KeyType> type = key_type_of(pkey.get());
  if (!type) {
    ERR_clear_error();
    return std::nullopt;
  }
  PrivateKey key;
  key.impl_ = std::make_unique<Impl>();
  key.impl_->pkey = std::move(pkey);
  key.type_ = *type;
  return key;
}

PrivateKey PrivateKey::generate(KeyType type, unsigned rsa_bits) {
  const char* algorithm = type == KeyType::Rsa ? "RSA" : type == KeyType::Ed25519 ? "ED25519" : "EC";
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, algorithm, nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1)
    throw CryptoError(std::string("generate ") + key_type_name(type) + ": keygen init failed");
  bool ok = true;
  switch (type) {
    case KeyType::Rsa:
      ok = EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), static_cast<int>(rsa_bits)) == 1;
      break;
    case KeyType::EcdsaP256: ok = EVP_PKEY_CTX_set_group_name(ctx.get(), "P-256") == 1; break;
    case KeyType::EcdsaP384: ok = EVP_PKEY_CTX_set_group_name(ctx.get(), "P-384") == 1; break;
    case KeyType::EcdsaP521: ok = EVP_PKEY_CTX_set_group_name(ctx.get(), "P-521") == 1; break;
    case KeyType::Ed25519: break;
  }
  EVP_PKEY* raw = nullptr;
  if (!ok || EVP_PKEY_keygen(ctx.get(), &raw) != 1)
    throw CryptoError(std::string("generate ") + key_type_name(type) + ": keygen failed");
  PrivateKey key;
  key.impl_ = std::make_unique<Impl>();
  key.impl_->pkey.reset(raw);
  key.type_ = type;
  return key;
}

PublicKey PrivateKey::public_key() const {
  if (!impl_) throw CryptoError("private key: empty");
  // Through the SPKI encoding so that the PublicKey holds no private material.
  std::optional<PublicKey> key = wrap_public(pkey_from_spki(spki_der(impl_->pkey.get())));
  if (!key) throw CryptoError("private key: public half unreadable");
  return std::move(*key);
}

std::string PrivateKey::to_pem() const {
  if (!impl_) throw CryptoError("private key: empty");
  // A secure-memory BIO is cleansed when freed, so the encoded key does not linger on the heap.
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio ||
      PEM_write_bio_PKCS8PrivateKey(bio.get(), impl_->pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    throw CryptoError("private key: PEM encoding failed");
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  if (length <= 0 || data == nullptr) throw CryptoError("private key: PEM encoding failed");
  return std::string(data, static_cast<std::size_t>(length));
}

Bytes PrivateKey::sign(SignatureScheme scheme, HashAlgorithm hash, ByteView data) const {
  if (!impl_) throw CryptoError("sign: empty private key");
  if (!scheme_fits(scheme, type_))
    throw CryptoError(std::string("sign: scheme does not fit a ") + key_type_name(type_) + " key");
  // The contract: PKCS#1 v1.5 is accepted from old peers, never produced.
  // (RsaPkcs1Raw is another matter: IKEv1 has no other RSA signature form, RFC 2409 §5.1.)
  if (scheme == SignatureScheme::RsaPkcs1v15) throw CryptoError("sign: RSA PKCS#1 v1.5 is verify-only");
  EVP_PKEY* pkey = impl_->pkey.get();
  if (scheme == SignatureScheme::RsaPkcs1Raw) return raw_rsa_sign(pkey, data);
  if (scheme == SignatureScheme::EcdsaConcatenated) {
    std::optional<Bytes> rs = ecdsa_der_to_concatenated(digest_sign(pkey, SignatureScheme::Ecdsa, hash, data),
                                                        ecdsa_field_bytes(type_));
    if (!rs) throw CryptoError("sign: ECDSA signature does not convert to r || s");
    return std::move(*rs);
  }
  if (scheme == SignatureScheme::EcdsaConcatenatedPrehashed) {
    std::optional<Bytes> rs = ecdsa_der_to_concatenated(raw_ecdsa_sign_der(pkey, data), ecdsa_field_bytes(type_));
    if (!rs) throw CryptoError("sign: ECDSA signature does not convert to r || s");
    return std::move(*rs);
  }
  return digest_sign(pkey, scheme, hash, data);
}

}  // namespace cygnet::crypto
