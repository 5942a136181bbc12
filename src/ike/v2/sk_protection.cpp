// The Encrypted payload (RFC 7296 §3.14) and Encrypted Fragment payload (RFC 7383 §2.5).
//
//   AEAD (RFC 5282 for AES-GCM-16, RFC 7634 §3 for ChaCha20-Poly1305): key = SK_e minus its last 4
//   octets, salt = those 4 octets, nonce = salt | 8-octet IV, associated data = every octet from
//   the IKE header up to the IV (IKE header and the SK/SKF payload header), ICV 16 octets.
//   CBC: IV of one block, ICV = HMAC over the whole message up to the ICV, truncated (§3.14).
#include "ike/v2/sk_protection.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

#include "crypto/aead.hpp"
#include "crypto/block_cipher.hpp"
#include "crypto/error.hpp"
#include "crypto/hmac.hpp"
#include "crypto/secure_bytes.hpp"
#include "ike/random_source.hpp"
#include "wire/byte_reader.hpp"

namespace cygnet::ike {

namespace {

using wire::ikev2::EncryptionId;
using wire::ikev2::PayloadType;

constexpr std::size_t kAeadIvLength = 8;
constexpr std::size_t kAeadIcvLength = 16;
constexpr std::size_t kSaltLength = 4;
constexpr std::size_t kSkHeaderLength = wire::ikev2::kGenericPayloadHeaderLength;
constexpr std::size_t kSkfHeaderLength = kSkHeaderLength + 4;  // + Fragment Number, Total Fragments
constexpr std::size_t kMaxPayloadLength = 0xffff;

crypto::AeadAlgorithm aead_algorithm(const IkeAlgorithms& alg) {
  if (alg.encryption == EncryptionId::ChaCha20Poly1305) return crypto::AeadAlgorithm::ChaCha20Poly1305;
  if (alg.encryption != EncryptionId::AesGcm16) throw std::invalid_argument("SK payload: unsupported AEAD");
  switch (alg.key_bits) {
    case 128: return crypto::AeadAlgorithm::AesGcm128;
    case 192: return crypto::AeadAlgorithm::AesGcm192;
    case 256: return crypto::AeadAlgorithm::AesGcm256;
    default: throw std::invalid_argument("SK payload: bad AES-GCM key length");
  }
}

crypto::CbcAlgorithm cbc_algorithm(const IkeAlgorithms& alg) {
  if (alg.encryption == EncryptionId::TripleDes) return crypto::CbcAlgorithm::TripleDesCbc;
  if (alg.encryption != EncryptionId::AesCbc) throw std::invalid_argument("SK payload: unsupported cipher");
  switch (alg.key_bits) {
    case 128: return crypto::CbcAlgorithm::AesCbc128;
    case 192: return crypto::CbcAlgorithm::AesCbc192;
    case 256: return crypto::CbcAlgorithm::AesCbc256;
    default: throw std::invalid_argument("SK payload: bad AES-CBC key length");
  }
}

}  // namespace

// The keys, not scheduled cipher contexts: an OpenSSL context costs over a kilobyte, and an
// established IKE SA protects a message only now and then (DPD, rekeys, deletes). Each message
// schedules the one direction it needs, a microsecond next to everything else an exchange does.
struct SkProtection::State {
  bool is_aead = false;
  crypto::AeadAlgorithm aead_alg = crypto::AeadAlgorithm::AesGcm128;
  crypto::CbcAlgorithm cbc_alg = crypto::CbcAlgorithm::AesCbc128;
  crypto::HashAlgorithm hmac_alg = crypto::HashAlgorithm::Sha256;
  crypto::SecureBytes encryption_key;  // AEAD: without the salt
  crypto::SecureBytes integrity_key;   // CBC only
  std::array<std::uint8_t, kSaltLength> salt{};
  std::size_t iv_length = 0;
  std::size_t block = 1;  // the ciphertext must be a multiple of this
  std::size_t icv_length = 0;

  ~State() { crypto::secure_wipe(salt.data(), salt.size()); }

  // Contexts scheduled for one message (or one set of fragments) in one direction.
  struct Contexts {
    std::optional<crypto::Aead> aead;
    std::optional<crypto::CbcCipher> cbc;
    std::optional<crypto::Hmac> hmac;
  };
  Contexts schedule(crypto::AeadUse use) const {
    Contexts c;
    if (is_aead) {
      c.aead.emplace(aead_alg, encryption_key.view(), kAeadIcvLength, use);
    } else {
      c.cbc.emplace(cbc_alg, encryption_key.view());
      c.hmac.emplace(hmac_alg, integrity_key.view());
    }
    return c;
  }

  // Size of IV | ciphertext | ICV for a plaintext chain of `chain` octets (padding included).
  std::size_t body_length(std::size_t chain) const { return iv_length + padded(chain) + icv_length; }
  std::size_t padded(std::size_t chain) const { return (chain + 1 + block - 1) / block * block; }

  // Writes IV | ciphertext | ICV at out[prefix..], authenticating out[0..prefix) as the header part.
  void seal(Contexts& ctx, MutableByteView message, std::size_t prefix, ByteView chain,
            RandomSource& random) const {
    MutableByteView iv = message.subspan(prefix, iv_length);
    const std::size_t ct_length = padded(chain.size());
    MutableByteView ct = message.subspan(prefix + iv_length, ct_length);
    MutableByteView icv = message.subspan(prefix + iv_length + ct_length, icv_length);
    random.fill(iv);

    // Padding octets (zeros; §3.14 lets them be anything) and the Pad Length octet.
    std::array<std::uint8_t, 256> trailer{};
    const std::size_t pad = ct_length - chain.size() - 1;
    trailer[pad] = static_cast<std::uint8_t>(pad);
    const ByteView trailer_view(trailer.data(), pad + 1);

    bool ok = false;
    if (ctx.aead) {
      std::array<std::uint8_t, crypto::kAeadNonceLength> nonce{};
      std::copy(salt.begin(), salt.end(), nonce.begin());
      std::copy(iv.begin(), iv.end(), nonce.begin() + kSaltLength);
      ok = ctx.aead->seal(nonce, message.first(prefix), {chain, trailer_view}, ct, icv);
    } else {
      ok = ctx.cbc->encrypt(iv, {chain, trailer_view}, ct) &&
           ctx.hmac->compute({message.first(prefix + iv_length + ct_length)}, icv);
    }
    if (!ok) throw crypto::CryptoError("SK payload: encryption failed");
  }

  std::optional<Bytes> open(ByteView datagram, ByteView body) const;
};

std::optional<Bytes> SkProtection::State::open(ByteView datagram, ByteView body) const {
  // The body must be the datagram's tail: what precedes it is the authenticated header part.
  if (datagram.size() < body.size() + wire::ikev2::kHeaderLength + kSkHeaderLength) return std::nullopt;
  const std::size_t prefix = datagram.size() - body.size();
  if (!std::equal(body.begin(), body.end(), datagram.begin() + static_cast<std::ptrdiff_t>(prefix)))
    return std::nullopt;
  if (body.size() < iv_length + icv_length + block) return std::nullopt;
  const std::size_t ct_length = body.size() - iv_length - icv_length;
  if (ct_length % block != 0) return std::nullopt;

  const ByteView iv = body.subspan(0, iv_length);
  const ByteView ct = body.subspan(iv_length, ct_length);
  const ByteView icv = body.subspan(iv_length + ct_length, icv_length);
  crypto::SecureBytes plaintext(ct_length);
  Contexts ctx = schedule(crypto::AeadUse::Open);
  if (ctx.aead) {
    std::array<std::uint8_t, crypto::kAeadNonceLength> nonce{};
    std::copy(salt.begin(), salt.end(), nonce.begin());
    std::copy(iv.begin(), iv.end(), nonce.begin() + kSaltLength);
    if (!ctx.aead->open(nonce, datagram.first(prefix), ct, icv, plaintext.mutable_view()))
      return std::nullopt;
  } else {
    // Verify before decrypting (§3.14: the checksum covers everything up to itself).
    if (!ctx.hmac->verify({datagram.first(datagram.size() - icv_length)}, icv)) return std::nullopt;
    if (!ctx.cbc->decrypt(iv, ct, plaintext.mutable_view())) return std::nullopt;
  }
  const std::size_t pad = plaintext.view().back();
  if (pad + 1 > ct_length) return std::nullopt;
  const ByteView chain = plaintext.view().first(ct_length - pad - 1);
  return Bytes(chain.begin(), chain.end());
}

SkProtection::SkProtection(const IkeAlgorithms& alg, ByteView encryption_key, ByteView integrity_key)
    : state_(std::make_unique<State>()) {
  if (encryption_key.size() != alg.encryption_key_length())
    throw std::invalid_argument("SK payload: wrong encryption key length");
  if (alg.is_aead()) {
    const std::size_t key_length = encryption_key.size() - kSaltLength;
    state_->is_aead = true;
    state_->aead_alg = aead_algorithm(alg);
    state_->encryption_key = crypto::SecureBytes(encryption_key.first(key_length));
    std::copy(encryption_key.begin() + static_cast<std::ptrdiff_t>(key_length), encryption_key.end(),
              state_->salt.begin());
    state_->iv_length = kAeadIvLength;
    state_->block = 1;
    state_->icv_length = kAeadIcvLength;
  } else {
    if (integrity_key.size() != alg.integrity_key_length())
      throw std::invalid_argument("SK payload: wrong integrity key length");
    state_->cbc_alg = cbc_algorithm(alg);
    state_->hmac_alg = crypto::integrity_hash(*alg.integrity);
    state_->encryption_key = crypto::SecureBytes(encryption_key);
    state_->integrity_key = crypto::SecureBytes(integrity_key);
    state_->icv_length = crypto::integrity_icv_length(*alg.integrity);
  }
  // Scheduled once here so that a key the cipher refuses fails now, not at the first message.
  const State::Contexts probe = state_->schedule(crypto::AeadUse::Seal);
  if (probe.cbc) {
    state_->iv_length = probe.cbc->block_size();
    state_->block = probe.cbc->block_size();
  }
}

SkProtection::~SkProtection() = default;
SkProtection::SkProtection(SkProtection&&) noexcept = default;
SkProtection& SkProtection::operator=(SkProtection&&) noexcept = default;

std::size_t SkProtection::overhead() const {
  return kSkHeaderLength + state_->iv_length + (state_->block - 1) + 1 + state_->icv_length;
}

Bytes SkProtection::protect(const wire::ikev2::Header& header, const wire::ikev2::EncodedChain& inner,
                            RandomSource& random) {
  const std::size_t payload_length = kSkHeaderLength + state_->body_length(inner.bytes.size());
  if (payload_length > kMaxPayloadLength) throw std::length_error("SK payload longer than 65535 octets");
  const std::size_t total = wire::ikev2::kHeaderLength + payload_length;

  Bytes message(total);
  wire::ikev2::write_header(header, PayloadType::Encrypted, static_cast<std::uint32_t>(total),
                            MutableByteView(message).first(wire::ikev2::kHeaderLength));
  std::uint8_t* sk = message.data() + wire::ikev2::kHeaderLength;
  sk[0] = static_cast<std::uint8_t>(inner.first);  // Next Payload: the first inner payload
  sk[1] = 0;                                       // not critical
  wire::store_be16(sk + 2, static_cast<std::uint16_t>(payload_length));
  State::Contexts ctx = state_->schedule(crypto::AeadUse::Seal);
  state_->seal(ctx, message, wire::ikev2::kHeaderLength + kSkHeaderLength, inner.bytes, random);
  return message;
}

std::vector<Bytes> SkProtection::protect_fragmented(const wire::ikev2::Header& header,
                                                    const wire::ikev2::EncodedChain& inner,
                                                    std::size_t max_datagram, RandomSource& random,
                                                    bool force_fragments) {
  const std::size_t chain_size = inner.bytes.size();
  if (!force_fragments &&
      wire::ikev2::kHeaderLength + kSkHeaderLength + state_->body_length(chain_size) <= max_datagram)
    return {protect(header, inner, random)};

  // The largest chain piece whose fragment still fits: ciphertext rounded down to whole blocks,
  // minus the Pad Length octet.
  const std::size_t fixed =
      wire::ikev2::kHeaderLength + kSkfHeaderLength + state_->iv_length + state_->icv_length;
  if (max_datagram <= fixed + state_->block)
    throw std::invalid_argument("max_datagram too small for an SKF fragment");
  const std::size_t ct_room = std::min(max_datagram, fixed + kMaxPayloadLength) - fixed;
  const std::size_t piece = ct_room / state_->block * state_->block - 1;
  const std::size_t count = std::max<std::size_t>(1, (chain_size + piece - 1) / piece);
  if (count > 0xffff) throw std::length_error("message needs more than 65535 fragments");

  std::vector<Bytes> out;
  out.reserve(count);
  State::Contexts ctx = state_->schedule(crypto::AeadUse::Seal);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t offset = i * piece;
    const ByteView part = ByteView(inner.bytes).subspan(offset, std::min(piece, chain_size - offset));
    const std::size_t payload_length = kSkfHeaderLength + state_->body_length(part.size());
    const std::size_t total = wire::ikev2::kHeaderLength + payload_length;
    Bytes message(total);
    wire::ikev2::write_header(header, PayloadType::EncryptedFragment, static_cast<std::uint32_t>(total),
                              MutableByteView(message).first(wire::ikev2::kHeaderLength));
    std::uint8_t* skf = message.data() + wire::ikev2::kHeaderLength;
    // RFC 7383 §2.5: only fragment 1 names the first inner payload.
    skf[0] = i == 0 ? static_cast<std::uint8_t>(inner.first) : 0;
    skf[1] = 0;
    wire::store_be16(skf + 2, static_cast<std::uint16_t>(payload_length));
    wire::store_be16(skf + 4, static_cast<std::uint16_t>(i + 1));
    wire::store_be16(skf + 6, static_cast<std::uint16_t>(count));
    state_->seal(ctx, message, wire::ikev2::kHeaderLength + kSkfHeaderLength, part, random);
    out.push_back(std::move(message));
  }
  return out;
}

std::optional<Bytes> SkProtection::unprotect(ByteView datagram, const wire::ikev2::EncryptedPayload& sk) {
  return state_->open(datagram, sk.body);
}

std::optional<Bytes> SkProtection::unprotect_fragment(ByteView datagram,
                                                      const wire::ikev2::EncryptedFragmentPayload& skf) {
  return state_->open(datagram, skf.body);
}

// --- FragmentReassembler ---

FragmentReassembler::FragmentReassembler(std::size_t max_fragments, std::size_t max_bytes)
    : max_fragments_(max_fragments), max_bytes_(max_bytes) {}

std::optional<FragmentReassembler::Complete> FragmentReassembler::add(
    std::uint32_t message_id, const wire::ikev2::EncryptedFragmentPayload& skf, Bytes decrypted) {
  if (skf.total_fragments == 0 || skf.fragment_number == 0 || skf.fragment_number > skf.total_fragments)
    return std::nullopt;
  if (skf.total_fragments > max_fragments_ || decrypted.size() > max_bytes_) {
    pending_.erase(message_id);  // a message this large is refused as a whole
    return std::nullopt;
  }

  auto [it, inserted] = pending_.try_emplace(message_id);
  Pending& pending = it->second;
  if (inserted) {
    pending.total = skf.total_fragments;
  } else if (skf.total_fragments != pending.total) {
    // RFC 7383 §2.6.1: a larger total means the sender re-fragmented for a smaller PMTU: start
    // over with the new fragments; a smaller total is a stale fragment of the old set.
    if (skf.total_fragments < pending.total) return std::nullopt;
    pending = Pending{};
    pending.total = skf.total_fragments;
  }
  if (pending.pieces.count(skf.fragment_number) != 0) return std::nullopt;  // a duplicate

  if (pending.bytes + decrypted.size() > max_bytes_) {
    pending_.erase(it);
    return std::nullopt;
  }
  if (skf.fragment_number == 1) pending.first_inner = skf.first_inner;
  pending.bytes += decrypted.size();
  pending.pieces.emplace(skf.fragment_number, std::move(decrypted));
  if (pending.pieces.size() < pending.total) return std::nullopt;

  Complete complete;
  complete.first_inner = pending.first_inner;
  complete.chain.reserve(pending.bytes);
  for (auto& piece : pending.pieces)
    complete.chain.insert(complete.chain.end(), piece.second.begin(), piece.second.end());
  pending_.erase(it);
  return complete;
}

}  // namespace cygnet::ike
