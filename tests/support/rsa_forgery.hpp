// RSA signature forgeries against lenient PKCS#1 v1.5 verifiers (bad-input catalog row 8), for tests:
//  - Bleichenbacher's 2006 e = 3 forgery: a signature s made WITHOUT the private key, the cube root
//    of "00 01 FF 00 DigestInfo(H) garbage", so s^3 mod n starts with a valid-looking prefix and
//    ends in garbage a verifier that stops parsing after the DigestInfo does not look at;
//  - encoded blocks a lenient ASN.1 parser accepts (strongSwan CVE-2018-16151: garbage in the
//    AlgorithmIdentifier parameters; CVE-2018-16152: long-form lengths and trailing garbage), turned
//    into signatures with the private key by a raw RSA operation, so only the verifier's parsing
//    of the block is tested.
// Header-only: OpenSSL 3 EVP and BIGNUM only.
#pragma once

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "base/bytes.hpp"

namespace cygnet::test::rsa_forgery {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;
struct CtxFree {
  void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};

// An RSA key with public exponent e (3: the exponent Bleichenbacher's forgery needs).
inline Pkey rsa_key(unsigned bits, unsigned long e) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
  Bn exponent(BN_new());
  EVP_PKEY* key = nullptr;
  const bool ok = ctx && exponent && BN_set_word(exponent.get(), e) == 1 && EVP_PKEY_keygen_init(ctx) == 1 &&
                  EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, static_cast<int>(bits)) == 1 &&
                  EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, exponent.get()) == 1 &&
                  EVP_PKEY_keygen(ctx, &key) == 1;
  EVP_PKEY_CTX_free(ctx);
  if (!ok) throw std::runtime_error("RSA key generation failed");
  return Pkey(key);
}

inline std::string public_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return pem;
}

inline std::string private_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return pem;
}

inline std::size_t modulus_bytes(EVP_PKEY* key) {
  return static_cast<std::size_t>(EVP_PKEY_get_size(key));
}

// The private-key RSA operation on a whole encoded block (no padding added or checked).
inline Bytes raw_private(EVP_PKEY* key, ByteView block) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr);
  std::size_t length = modulus_bytes(key);
  Bytes out(length);
  const bool ok = ctx && EVP_PKEY_sign_init(ctx) == 1 &&
                  EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) == 1 &&
                  EVP_PKEY_sign(ctx, out.data(), &length, block.data(), block.size()) == 1;
  EVP_PKEY_CTX_free(ctx);
  if (!ok) throw std::runtime_error("raw RSA failed");
  out.resize(length);
  return out;
}

// PKCS#1 v1.5 type 1 block: 00 01 FF*pad 00 payload, then trailing bytes, to the modulus size
// (pad = -1: as many FF as fit, i.e. the correct encoding when trailing is empty).
inline Bytes type1_block(std::size_t k, ByteView payload, ByteView trailing = {}, int pad = -1,
                         std::uint8_t pad_byte = 0xff) {
  const std::size_t fixed = 3 + payload.size() + trailing.size();
  if (fixed + 8 > k && pad < 0) throw std::invalid_argument("block too long");
  const std::size_t pads = pad < 0 ? k - fixed : static_cast<std::size_t>(pad);
  Bytes out{0x00, 0x01};
  out.insert(out.end(), pads, pad_byte);
  out.push_back(0x00);
  out.insert(out.end(), payload.begin(), payload.end());
  out.insert(out.end(), trailing.begin(), trailing.end());
  if (out.size() > k) throw std::invalid_argument("block too long");
  out.resize(k, 0x00);  // filler after the trailing bytes, when the padding was short
  return out;
}

// DigestInfo for SHA-256 (RFC 8017 §9.2 note 1): 30 31 30 0d 06 09 <sha256 OID> 05 00 04 20 H.
inline Bytes sha256_digest_info(ByteView h) {
  Bytes out{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
            0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
  out.insert(out.end(), h.begin(), h.end());
  return out;
}

// DigestInfo for SHA-1: 30 21 30 09 06 05 <sha1 OID> 05 00 04 14 H (IKEv2 AUTH method 1 signs this).
inline Bytes sha1_digest_info(ByteView h) {
  Bytes out{0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14};
  out.insert(out.end(), h.begin(), h.end());
  return out;
}

inline Bytes sha1(ByteView data) {
  Bytes out(20);
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &n, EVP_sha1(), nullptr);
  return out;
}

inline Bytes sha256(ByteView data) {
  Bytes out(32);
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &n, EVP_sha256(), nullptr);
  return out;
}

// Bleichenbacher 2006: s = ceil(cbrt(00 01 FF 00 payload 00...00)), computed from the public
// modulus size alone. For e = 3 and a 2048-bit modulus, s^3 < n keeps the prefix (s^3 exceeds the
// target by less than 3·s^2 + 3·s + 1 ≈ 2^1366, far below the garbage's 2^1600-odd bits).
inline Bytes cube_root_forgery(std::size_t k, ByteView payload) {
  Bytes target{0x00, 0x01, 0xff, 0x00};
  target.insert(target.end(), payload.begin(), payload.end());
  target.resize(k, 0x00);
  std::unique_ptr<BN_CTX, CtxFree> ctx(BN_CTX_new());
  Bn t(BN_bin2bn(target.data(), static_cast<int>(target.size()), nullptr));
  Bn lo(BN_new()), hi(BN_new()), mid(BN_new()), cube(BN_new()), three(BN_new());
  BN_zero(lo.get());
  BN_set_word(three.get(), 3);
  BN_one(hi.get());
  BN_lshift(hi.get(), hi.get(), static_cast<int>((BN_num_bits(t.get()) + 2) / 3 + 1));  // hi^3 > t
  // Smallest s with s^3 >= t, by bisection.
  while (BN_cmp(lo.get(), hi.get()) < 0) {
    BN_add(mid.get(), lo.get(), hi.get());
    BN_rshift1(mid.get(), mid.get());
    BN_exp(cube.get(), mid.get(), three.get(), ctx.get());
    if (BN_cmp(cube.get(), t.get()) < 0) {
      BN_add_word(mid.get(), 1);
      BN_copy(lo.get(), mid.get());
    } else {
      BN_copy(hi.get(), mid.get());
    }
  }
  Bytes s(k);
  BN_bn2binpad(lo.get(), s.data(), static_cast<int>(k));
  return s;
}

// s^e mod n with the public key (what a verifier recovers), to check a forgery's shape.
inline Bytes raw_public(EVP_PKEY* key, ByteView signature) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr);
  std::size_t length = modulus_bytes(key);
  Bytes out(length);
  const bool ok = ctx && EVP_PKEY_verify_recover_init(ctx) == 1 &&
                  EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) == 1 &&
                  EVP_PKEY_verify_recover(ctx, out.data(), &length, signature.data(), signature.size()) == 1;
  EVP_PKEY_CTX_free(ctx);
  if (!ok) throw std::runtime_error("raw RSA public operation failed");
  out.resize(length);
  return out;
}

// RSASSA-PSS with a chosen salt length (RSA_PSS_SALTLEN_MAX: as long as fits) — signatures a
// strict verifier pinned to salt = hash length must refuse.
inline Bytes pss_sign(EVP_PKEY* key, ByteView data, int salt_length) {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  std::size_t length = 0;
  Bytes out;
  bool ok = md && EVP_DigestSignInit(md, &pctx, EVP_sha256(), nullptr, key) == 1 &&
            EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
            EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1 &&
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt_length) == 1 &&
            EVP_DigestSign(md, nullptr, &length, data.data(), data.size()) == 1;
  if (ok) {
    out.resize(length);
    ok = EVP_DigestSign(md, out.data(), &length, data.data(), data.size()) == 1;
    out.resize(length);
  }
  EVP_MD_CTX_free(md);
  if (!ok) throw std::runtime_error("PSS signing failed");
  return out;
}

// --- RFC 7427 AUTH data (method 14): 1-byte length, AlgorithmIdentifier, signature ---

// RFC 7427 Appendix A.1.2: sha256WithRSAEncryption, NULL parameters.
inline const Bytes kSha256WithRsa{0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                  0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00};

// RFC 7427 Appendix A.4.3 (RSASSA-PSS, SHA-256, MGF1-SHA-256) with `salt` as the saltLength INTEGER's
// content octets (A.4.3 itself: {0x20}).
inline Bytes pss_identifier(const Bytes& salt) {
  const Bytes hash{0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
                   0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00};
  const Bytes mgf{0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08,
                  0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00};
  Bytes params = hash;
  params.insert(params.end(), mgf.begin(), mgf.end());
  params.insert(params.end(), {0xa2, static_cast<std::uint8_t>(2 + salt.size()), 0x02,
                               static_cast<std::uint8_t>(salt.size())});
  params.insert(params.end(), salt.begin(), salt.end());
  // rsassa-pss OID (1.2.840.113549.1.1.10), then the parameters SEQUENCE.
  Bytes body{0x06,
             0x09,
             0x2a,
             0x86,
             0x48,
             0x86,
             0xf7,
             0x0d,
             0x01,
             0x01,
             0x0a,
             0x30,
             static_cast<std::uint8_t>(params.size())};
  body.insert(body.end(), params.begin(), params.end());
  Bytes out{0x30, static_cast<std::uint8_t>(body.size())};
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

inline Bytes auth_data(const Bytes& identifier, const Bytes& signature) {
  Bytes out{static_cast<std::uint8_t>(identifier.size())};
  out.insert(out.end(), identifier.begin(), identifier.end());
  out.insert(out.end(), signature.begin(), signature.end());
  return out;
}

}  // namespace cygnet::test::rsa_forgery
