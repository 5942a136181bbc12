// IKEv2 key derivation (RFC 7296 §2.13, §2.14, §2.17, §2.18) over crypto::Hmac.
#include "ike/v2/keys.hpp"

#include <array>
#include <stdexcept>

#include "crypto/error.hpp"
#include "wire/byte_reader.hpp"

namespace cygnet::ike {

namespace {

constexpr std::size_t kMaxPrfPlusBlocks = 255;  // the counter is one octet (§2.13)

void compute_or_throw(crypto::Hmac& hmac, std::initializer_list<ByteView> parts, MutableByteView out) {
  if (!hmac.compute(parts, out)) throw crypto::CryptoError("IKE PRF computation failed");
}

std::array<std::uint8_t, 16> spi_bytes(std::uint64_t spi_i, std::uint64_t spi_r) {
  std::array<std::uint8_t, 16> out{};
  wire::store_be64(out.data(), spi_i);
  wire::store_be64(out.data() + 8, spi_r);
  return out;
}

// Takes consecutive slices off a prf+ stream.
class KeySlicer {
 public:
  explicit KeySlicer(const crypto::SecureBytes& stream) : stream_(stream) {}
  crypto::SecureBytes take(std::size_t length) {
    crypto::SecureBytes out = stream_.slice(offset_, length);
    offset_ += length;
    return out;
  }

 private:
  const crypto::SecureBytes& stream_;
  std::size_t offset_ = 0;
};

}  // namespace

crypto::SecureBytes prf_plus(crypto::HashAlgorithm prf_alg, ByteView key, ByteView seed, std::size_t length) {
  const std::size_t block = crypto::hash_length(prf_alg);
  const std::size_t blocks = (length + block - 1) / block;
  if (blocks > kMaxPrfPlusBlocks) throw std::length_error("prf+ output beyond 255 blocks (RFC 7296 §2.13)");

  crypto::Hmac hmac(prf_alg, key);
  crypto::SecureBytes out(blocks * block);
  // T1 = prf(K, S | 0x01); Tn = prf(K, Tn-1 | S | n).
  for (std::size_t n = 1; n <= blocks; ++n) {
    const std::uint8_t counter = static_cast<std::uint8_t>(n);
    MutableByteView t = out.mutable_view().subspan((n - 1) * block, block);
    const ByteView previous = n == 1 ? ByteView{} : out.view().subspan((n - 2) * block, block);
    compute_or_throw(hmac, {previous, seed, ByteView(&counter, 1)}, t);
  }
  return out.slice(0, length);
}

crypto::SecureBytes prf(crypto::HashAlgorithm prf_alg, ByteView key, std::initializer_list<ByteView> data) {
  crypto::Hmac hmac(prf_alg, key);
  crypto::SecureBytes out(crypto::hash_length(prf_alg));
  compute_or_throw(hmac, data, out.mutable_view());
  return out;
}

crypto::SecureBytes skeyseed(crypto::HashAlgorithm prf_alg, ByteView ni, ByteView nr,
                             ByteView shared_secret) {
  // The nonces are the key; HMAC hashes a key longer than its block, as RFC 2104 says.
  Bytes nonces(ni.begin(), ni.end());
  nonces.insert(nonces.end(), nr.begin(), nr.end());
  return prf(prf_alg, nonces, {shared_secret});
}

crypto::SecureBytes rekey_skeyseed(crypto::HashAlgorithm old_prf, ByteView old_sk_d, ByteView shared_secret,
                                   ByteView ni, ByteView nr) {
  return prf(old_prf, old_sk_d, {shared_secret, ni, nr});
}

IkeSaKeys derive_ike_sa_keys(const IkeAlgorithms& alg, ByteView skeyseed_value, ByteView ni, ByteView nr,
                             std::uint64_t spi_i, std::uint64_t spi_r) {
  const std::size_t prf_length = crypto::hash_length(alg.prf);
  const std::size_t integrity_length = alg.integrity_key_length();
  const std::size_t encryption_length = alg.encryption_key_length();
  const std::size_t total = 3 * prf_length + 2 * integrity_length + 2 * encryption_length;

  const auto spis = spi_bytes(spi_i, spi_r);
  Bytes seed(ni.begin(), ni.end());
  seed.insert(seed.end(), nr.begin(), nr.end());
  seed.insert(seed.end(), spis.begin(), spis.end());

  const crypto::SecureBytes stream = prf_plus(alg.prf, skeyseed_value, seed, total);
  KeySlicer slicer(stream);
  IkeSaKeys keys;
  keys.sk_d = slicer.take(prf_length);
  keys.sk_ai = slicer.take(integrity_length);
  keys.sk_ar = slicer.take(integrity_length);
  keys.sk_ei = slicer.take(encryption_length);
  keys.sk_er = slicer.take(encryption_length);
  keys.sk_pi = slicer.take(prf_length);
  keys.sk_pr = slicer.take(prf_length);
  return keys;
}

ChildSaKeys derive_child_sa_keys(crypto::HashAlgorithm prf_alg, ByteView sk_d, const ChildAlgorithms& alg,
                                 std::optional<ByteView> pfs_shared_secret, ByteView ni, ByteView nr) {
  const std::size_t encryption_length = alg.encryption_key_length();
  const std::size_t integrity_length = alg.integrity_key_length();

  // The seed holds g^ir (new) when PFS is used, so it is a secret too.
  const std::size_t secret_length = pfs_shared_secret ? pfs_shared_secret->size() : 0;
  crypto::SecureBytes seed(secret_length + ni.size() + nr.size());
  std::uint8_t* p = seed.mutable_view().data();
  if (pfs_shared_secret && secret_length > 0)
    p = std::copy(pfs_shared_secret->begin(), pfs_shared_secret->end(), p);
  p = std::copy(ni.begin(), ni.end(), p);
  std::copy(nr.begin(), nr.end(), p);

  const crypto::SecureBytes keymat =
      prf_plus(prf_alg, sk_d, seed.view(), 2 * (encryption_length + integrity_length));
  // RFC 7296 §2.17 with RFC 4301: initiator→responder first, encryption key before integrity key.
  KeySlicer slicer(keymat);
  ChildSaKeys keys;
  keys.encryption_i = slicer.take(encryption_length);
  keys.integrity_i = slicer.take(integrity_length);
  keys.encryption_r = slicer.take(encryption_length);
  keys.integrity_r = slicer.take(integrity_length);
  return keys;
}

}  // namespace cygnet::ike
