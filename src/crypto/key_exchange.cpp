#include "crypto/key_exchange.hpp"
#include "crypto/openssl_deleter.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/dh.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include <algorithm>
#include <climits>

#include "crypto/error.hpp"

namespace cygnet::crypto {
namespace {

template <auto Free>
using Deleter = detail::OpenSslDeleter<Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<&EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<&EVP_PKEY_CTX_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<&BN_clear_free>>;  // private exponents pass through
using BnCtxPtr = std::unique_ptr<BN_CTX, Deleter<&BN_CTX_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<&OSSL_PARAM_BLD_free>>;
using ParamsPtr = std::unique_ptr<OSSL_PARAM, Deleter<&OSSL_PARAM_free>>;
using EcGroupPtr = std::unique_ptr<EC_GROUP, Deleter<&EC_GROUP_free>>;
using EcPointPtr = std::unique_ptr<EC_POINT, Deleter<&EC_POINT_clear_free>>;

enum class Family { Modp, Ecp, Montgomery };

struct GroupInfo {
  Family family;
  // OpenSSL's name: the DH named group, the EC curve or the key type. nullptr for MODP group 2,
  // which OpenSSL 3 does not name: its prime comes from BN_get_rfc2409_prime_1024.
  const char* ossl_name;
  int curve_nid;               // ECP only (test-only key import)
  std::size_t element_length;  // prime length, coordinate length, or key length
};

GroupInfo info(DhGroup g) {
  switch (g) {
    case DhGroup::Modp1024: return {Family::Modp, nullptr, NID_undef, 128};
    case DhGroup::Modp2048: return {Family::Modp, "modp_2048", NID_undef, 256};
    case DhGroup::Modp3072: return {Family::Modp, "modp_3072", NID_undef, 384};
    case DhGroup::Modp4096: return {Family::Modp, "modp_4096", NID_undef, 512};
    case DhGroup::Ecp256: return {Family::Ecp, "P-256", NID_X9_62_prime256v1, 32};
    case DhGroup::Ecp384: return {Family::Ecp, "P-384", NID_secp384r1, 48};
    case DhGroup::Ecp521: return {Family::Ecp, "P-521", NID_secp521r1, 66};
    case DhGroup::Curve25519: return {Family::Montgomery, "X25519", NID_undef, 32};
    case DhGroup::Curve448: return {Family::Montgomery, "X448", NID_undef, 56};
  }
  throw CryptoError("key exchange: unknown group");
}

BnPtr bn_from(ByteView bytes) {
  if (bytes.size() > INT_MAX) throw CryptoError("key exchange: value too long");
  BnPtr bn(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
  if (!bn) throw CryptoError("key exchange: BN_bin2bn failed");
  return bn;
}

// MODP domain parameters (and optionally a key) as OSSL_PARAMs for EVP_PKEY_fromdata.
// Group 2 carries no q: OpenSSL 3.0 generates private keys for an unnamed group with q by the
// FIPS 186-4 method, which refuses a 1024-bit prime, and 3.0.22 refuses to derive against a peer
// key whose parameters differ from ours — so neither key has one.
ParamsPtr modp_params(DhGroup g, const BIGNUM* pub, const BIGNUM* priv) {
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld) throw CryptoError("key exchange: OSSL_PARAM_BLD_new failed");
  // The builder keeps pointers to the BIGNUMs until to_param, so they live in this scope.
  BnPtr p, gen;
  const GroupInfo gi = info(g);
  bool ok = true;
  if (gi.ossl_name != nullptr) {
    ok = OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, gi.ossl_name, 0) == 1;
  } else {
    // RFC 2409 §6.2: the 1024-bit Oakley prime, generator 2.
    p.reset(BN_get_rfc2409_prime_1024(nullptr));
    gen.reset(BN_new());
    ok = p && gen && BN_set_word(gen.get(), 2) == 1 &&
         OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_FFC_P, p.get()) == 1 &&
         OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_FFC_G, gen.get()) == 1;
  }
  if (ok && pub != nullptr) ok = OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, pub) == 1;
  if (ok && priv != nullptr) ok = OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv) == 1;
  if (!ok) throw CryptoError("key exchange: building MODP parameters failed");
  ParamsPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (!params) throw CryptoError("key exchange: OSSL_PARAM_BLD_to_param failed");
  return params;
}

// EVP_PKEY_fromdata; nullptr (error queue cleared) when OpenSSL refuses the data.
PkeyPtr pkey_from_params(const char* type, int selection, OSSL_PARAM* params) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, selection, params) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return PkeyPtr(raw);
}

PkeyPtr generate_key(DhGroup g) {
  const GroupInfo gi = info(g);
  PkeyCtxPtr ctx;
  PkeyPtr domain;
  if (gi.family == Family::Modp) {
    ParamsPtr params = modp_params(g, nullptr, nullptr);
    domain = pkey_from_params("DH", EVP_PKEY_KEY_PARAMETERS, params.get());
    if (!domain) throw CryptoError("key exchange: MODP domain parameters refused");
    ctx.reset(EVP_PKEY_CTX_new_from_pkey(nullptr, domain.get(), nullptr));
  } else {
    ctx.reset(EVP_PKEY_CTX_new_from_name(nullptr, gi.family == Family::Ecp ? "EC" : gi.ossl_name, nullptr));
  }
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1)
    throw CryptoError(std::string("key exchange: keygen init failed for ") + dh_group_name(g));
  if (gi.family == Family::Ecp && EVP_PKEY_CTX_set_group_name(ctx.get(), gi.ossl_name) != 1)
    throw CryptoError("key exchange: unknown curve");
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_keygen(ctx.get(), &raw) != 1)
    throw CryptoError(std::string("key exchange: keygen failed for ") + dh_group_name(g));
  return PkeyPtr(raw);
}

// A key pair from a given private value (known-answer tests). OpenSSL 3.0's fromdata does not
// derive the public half, so it is computed here with OpenSSL's own arithmetic.
PkeyPtr import_private_key(DhGroup g, ByteView private_key) {
  const GroupInfo gi = info(g);
  switch (gi.family) {
    case Family::Montgomery: {
      if (private_key.size() != gi.element_length) throw CryptoError("key exchange: bad private key length");
      PkeyPtr key(EVP_PKEY_new_raw_private_key_ex(nullptr, gi.ossl_name, nullptr, private_key.data(),
                                                  private_key.size()));
      if (!key) throw CryptoError("key exchange: raw private key refused");
      return key;
    }
    case Family::Ecp: {
      if (private_key.size() != gi.element_length) throw CryptoError("key exchange: bad private key length");
      BnPtr priv = bn_from(private_key);
      BN_set_flags(priv.get(), BN_FLG_CONSTTIME);
      EcGroupPtr group(EC_GROUP_new_by_curve_name_ex(nullptr, nullptr, gi.curve_nid));
      BnCtxPtr bn_ctx(BN_CTX_new());
      if (!group || !bn_ctx) throw CryptoError("key exchange: EC group setup failed");
      EcPointPtr point(EC_POINT_new(group.get()));
      Bytes encoded(1 + 2 * gi.element_length);
      if (!point || EC_POINT_mul(group.get(), point.get(), priv.get(), nullptr, nullptr, bn_ctx.get()) != 1 ||
          EC_POINT_point2oct(group.get(), point.get(), POINT_CONVERSION_UNCOMPRESSED, encoded.data(),
                             encoded.size(), bn_ctx.get()) != encoded.size())
        throw CryptoError("key exchange: EC public key computation failed");
      ParamBldPtr bld(OSSL_PARAM_BLD_new());
      if (!bld ||
          OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, gi.ossl_name, 0) != 1 ||
          OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv.get()) != 1 ||
          OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, encoded.data(),
                                           encoded.size()) != 1)
        throw CryptoError("key exchange: building EC key parameters failed");
      ParamsPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
      PkeyPtr key = params ? pkey_from_params("EC", EVP_PKEY_KEYPAIR, params.get()) : nullptr;
      if (!key) throw CryptoError("key exchange: EC private key refused");
      return key;
    }
    case Family::Modp: {
      BnPtr priv = bn_from(private_key);
      BN_set_flags(priv.get(), BN_FLG_CONSTTIME);
      ParamsPtr domain_params = modp_params(g, nullptr, nullptr);
      PkeyPtr domain = pkey_from_params("DH", EVP_PKEY_KEY_PARAMETERS, domain_params.get());
      BIGNUM* p_raw = nullptr;
      if (!domain || EVP_PKEY_get_bn_param(domain.get(), OSSL_PKEY_PARAM_FFC_P, &p_raw) != 1)
        throw CryptoError("key exchange: MODP domain parameters refused");
      BnPtr p(p_raw);
      BnPtr gen(BN_new()), pub(BN_new());
      BnCtxPtr bn_ctx(BN_CTX_new());
      if (!gen || !pub || !bn_ctx || BN_set_word(gen.get(), 2) != 1 || BN_is_zero(priv.get()) ||
          BN_cmp(priv.get(), p.get()) >= 0 ||
          BN_mod_exp_mont_consttime(pub.get(), gen.get(), priv.get(), p.get(), bn_ctx.get(), nullptr) != 1)
        throw CryptoError("key exchange: MODP public value computation failed");
      ParamsPtr params = modp_params(g, pub.get(), priv.get());
      PkeyPtr key = pkey_from_params("DH", EVP_PKEY_KEYPAIR, params.get());
      if (!key) throw CryptoError("key exchange: MODP private key refused");
      return key;
    }
  }
  throw CryptoError("key exchange: unknown group family");
}

Bytes encode_public_value(DhGroup g, EVP_PKEY* key) {
  const GroupInfo gi = info(g);
  Bytes out(dh_public_length(g));
  switch (gi.family) {
    case Family::Modp: {
      BIGNUM* raw = nullptr;
      if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PUB_KEY, &raw) != 1)
        throw CryptoError("key exchange: no MODP public value");
      BnPtr pub(raw);
      // RFC 7296 §3.4: the value is left-padded with zeros to the prime length.
      if (BN_bn2binpad(pub.get(), out.data(), static_cast<int>(out.size())) < 0)
        throw CryptoError("key exchange: MODP public value too long");
      return out;
    }
    case Family::Ecp: {
      // OpenSSL gives the SEC 1 uncompressed point 0x04 | x | y; IKE carries x | y (RFC 5903 §7).
      Bytes point(1 + out.size());
      std::size_t length = 0;
      if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point.data(), point.size(),
                                          &length) != 1 ||
          length != point.size() || point[0] != POINT_CONVERSION_UNCOMPRESSED)
        throw CryptoError("key exchange: unexpected EC public key encoding");
      std::copy(point.begin() + 1, point.end(), out.begin());
      return out;
    }
    case Family::Montgomery: {
      std::size_t length = out.size();
      if (EVP_PKEY_get_raw_public_key(key, out.data(), &length) != 1 || length != out.size())
        throw CryptoError("key exchange: raw public key export failed");
      return out;
    }
  }
  throw CryptoError("key exchange: unknown group family");
}

}  // namespace

std::optional<DhGroup> dh_group_from_id(std::uint16_t iana_id) {
  switch (iana_id) {
    case 2: return DhGroup::Modp1024;
    case 14: return DhGroup::Modp2048;
    case 15: return DhGroup::Modp3072;
    case 16: return DhGroup::Modp4096;
    case 19: return DhGroup::Ecp256;
    case 20: return DhGroup::Ecp384;
    case 21: return DhGroup::Ecp521;
    case 31: return DhGroup::Curve25519;
    case 32: return DhGroup::Curve448;
    default: return std::nullopt;
  }
}

const char* dh_group_name(DhGroup g) {
  switch (g) {
    case DhGroup::Modp1024: return "modp1024";
    case DhGroup::Modp2048: return "modp2048";
    case DhGroup::Modp3072: return "modp3072";
    case DhGroup::Modp4096: return "modp4096";
    case DhGroup::Ecp256: return "ecp256";
    case DhGroup::Ecp384: return "ecp384";
    case DhGroup::Ecp521: return "ecp521";
    case DhGroup::Curve25519: return "x25519";
    case DhGroup::Curve448: return "x448";
  }
  return "?";
}

std::size_t dh_public_length(DhGroup g) {
  const GroupInfo gi = info(g);
  return gi.family == Family::Ecp ? 2 * gi.element_length : gi.element_length;
}

struct KeyExchange::State {
  PkeyPtr key;
  BnPtr prime_minus_one;  // MODP only: the upper bound of the peer value check
};

namespace {
// p - 1 for a MODP key (the upper bound of the peer value check); nullptr for the curves.
BnPtr prime_minus_one(DhGroup g, EVP_PKEY* key) {
  if (info(g).family != Family::Modp) return nullptr;
  BIGNUM* p = nullptr;
  if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_FFC_P, &p) != 1)
    throw CryptoError("key exchange: no MODP prime");
  BnPtr bound(p);
  if (BN_sub_word(p, 1) != 1) throw CryptoError("key exchange: BN_sub_word failed");
  return bound;
}
}  // namespace

KeyExchange::KeyExchange(DhGroup group) : group_(group) {
  state_ = std::make_unique<State>();
  state_->key = generate_key(group);
  public_value_ = encode_public_value(group, state_->key.get());
  state_->prime_minus_one = prime_minus_one(group, state_->key.get());
}

KeyExchange::KeyExchange(DhGroup group, ByteView private_key) : group_(group) {
  state_ = std::make_unique<State>();
  state_->key = import_private_key(group, private_key);
  public_value_ = encode_public_value(group, state_->key.get());
  state_->prime_minus_one = prime_minus_one(group, state_->key.get());
}

KeyExchange::~KeyExchange() = default;
KeyExchange::KeyExchange(KeyExchange&&) noexcept = default;
KeyExchange& KeyExchange::operator=(KeyExchange&&) noexcept = default;

std::optional<SecureBytes> KeyExchange::compute_shared_secret(ByteView peer_public) const {
  if (!state_ || peer_public.size() != dh_public_length(group_)) return std::nullopt;
  const GroupInfo gi = info(group_);
  try {
    PkeyPtr peer;
    switch (gi.family) {
      case Family::Modp: {
        // RFC 7296 §2.12 / SP 800-56A §5.6.2.3.1: 1 < y < p-1 (0, 1 and p-1 force a known secret).
        BnPtr y = bn_from(peer_public);
        if (BN_cmp(y.get(), BN_value_one()) <= 0 || BN_cmp(y.get(), state_->prime_minus_one.get()) >= 0)
          return std::nullopt;
        // Group 2 has no q (see modp_params), so only the range check above applies to it, which
        // is what RFC 6989 §2.1 requires for a safe prime.
        ParamsPtr params = modp_params(group_, y.get(), nullptr);
        peer = pkey_from_params("DH", EVP_PKEY_PUBLIC_KEY, params.get());
        break;
      }
      case Family::Ecp: {
        // Back to SEC 1 uncompressed form; fromdata refuses a point that is not on the curve.
        Bytes point;
        point.reserve(1 + peer_public.size());
        point.push_back(POINT_CONVERSION_UNCOMPRESSED);
        point.insert(point.end(), peer_public.begin(), peer_public.end());
        ParamBldPtr bld(OSSL_PARAM_BLD_new());
        if (!bld ||
            OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, gi.ossl_name, 0) != 1 ||
            OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                             point.size()) != 1)
          break;
        ParamsPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
        if (params) peer = pkey_from_params("EC", EVP_PKEY_PUBLIC_KEY, params.get());
        break;
      }
      case Family::Montgomery:
        peer.reset(EVP_PKEY_new_raw_public_key_ex(nullptr, gi.ossl_name, nullptr, peer_public.data(),
                                                  peer_public.size()));
        break;
    }
    if (!peer) {
      ERR_clear_error();
      return std::nullopt;
    }

    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, state_->key.get(), nullptr));
    // validate_peer = 1: OpenSSL's public-key check (curve membership and order for ECP, the
    // subgroup check y^q = 1 for MODP) on top of the checks above.
    bool ok = ctx && EVP_PKEY_derive_init(ctx.get()) == 1 &&
              (gi.family != Family::Modp || EVP_PKEY_CTX_set_dh_pad(ctx.get(), 1) == 1) &&
              EVP_PKEY_derive_set_peer_ex(ctx.get(), peer.get(), group_ == DhGroup::Modp1024 ? 0 : 1) == 1;
    std::size_t length = 0;
    ok = ok && EVP_PKEY_derive(ctx.get(), nullptr, &length) == 1 && length == gi.element_length;
    if (!ok) {
      ERR_clear_error();
      return std::nullopt;
    }
    SecureBytes secret(length);
    // X25519/X448 fail here on an all-zero result (a small-order peer value, RFC 7748 §6).
    if (EVP_PKEY_derive(ctx.get(), secret.mutable_view().data(), &length) != 1 ||
        length != gi.element_length) {
      ERR_clear_error();
      return std::nullopt;
    }
    return secret;
  } catch (const CryptoError&) {
    return std::nullopt;  // peer-supplied data never throws; CryptoError already drained the queue
  }
}

}  // namespace cygnet::crypto
