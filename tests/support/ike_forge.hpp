// Forging authenticated IKE messages in tests: a payload chain of our choosing (valid or hostile,
// built from wire structs or raw bytes) protected under a live IKE SA's real keys, so it passes the
// receiver's integrity check and reaches the handlers behind it — the code an attacker with a valid
// credential (or a compromised peer) reaches. Keys come from Engine::export_keys() with
// EngineOptions::retain_keys_for_export = true; protection is the engine's own (SkProtection).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "base/bytes.hpp"
#include "crypto/block_cipher.hpp"
#include "crypto/hmac.hpp"
#include "ike/engine.hpp"
#include "ike/key_export.hpp"
#include "wire/ikev2_message.hpp"
#include "wire/isakmp_message.hpp"

namespace cygnet::ike::forge {

namespace ikev2 = wire::ikev2;

// A payload chain as the SK payload carries it. From wire structs, or raw bytes for what the
// serializer refuses to write (unknown TS types, lengths that disagree with the type, ...).
ikev2::EncodedChain chain(const std::vector<ikev2::Payload>& payloads);
ikev2::EncodedChain raw_chain(ikev2::PayloadType first, Bytes bytes);
// One generic payload: header (next payload, flags 0, length) + body.
Bytes raw_payload(ikev2::PayloadType next, ByteView body);
// Appends one raw payload of `type` to a chain (the previous last payload's Next Payload is set).
void append_raw(ikev2::EncodedChain& chain, ikev2::PayloadType type, ByteView body);

// Which end of the IKE SA a forged message claims to come from.
enum class Sender : std::uint8_t { Initiator, Responder };

// One IKEv2 IKE SA's keys, both directions: builds protected messages as either end and opens
// messages either end sent.
class Ikev2Forger {
 public:
  explicit Ikev2Forger(const IkeSaKeyExport& keys);
  ~Ikev2Forger();
  Ikev2Forger(Ikev2Forger&&) noexcept;
  Ikev2Forger& operator=(Ikev2Forger&&) noexcept;

  // A whole protected request (or, with response = true, a response) from `sender`.
  Bytes message(Sender sender, ikev2::ExchangeType exchange, std::uint32_t message_id,
                const ikev2::EncodedChain& inner, bool response = false);
  // The decrypted inner payloads of a datagram either end sent under this SA (SK, not SKF);
  // nullopt when it is not such a message or fails integrity.
  std::optional<std::vector<ikev2::Payload>> open(ByteView datagram);
  // The raw decrypted inner chain and its first payload type (for re-encoding edits).
  std::optional<ikev2::EncodedChain> open_raw(ByteView datagram);

  std::uint64_t spi_i() const { return spi_i_; }
  std::uint64_t spi_r() const { return spi_r_; }

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::uint64_t spi_i_ = 0;
  std::uint64_t spi_r_ = 0;
};

// The keys of `engine`'s IKEv2 IKE SA with these SPIs (or its only one): nullopt when absent or
// not retained.
std::optional<IkeSaKeyExport> ikev2_keys(const Engine& engine);

// --- IKEv1 -------------------------------------------------------------------------------------

// One ISAKMP SA: encrypted Informational and Quick Mode messages under its phase-1 key (RFC 2409
// Appendix B), with the IV of a new exchange: hash(last phase-1 CBC block | M-ID). The HASH payload
// is the test's to write (or omit, or get wrong): the chain given is encrypted as it is.
class Ikev1Forger {
 public:
  // `last_phase1_block`: the last ciphertext block of the last phase-1 message (see below).
  // `skeyid_a` (from the export) is needed only for the correctly hashed messages below.
  Ikev1Forger(crypto::CbcAlgorithm cipher, crypto::HashAlgorithm hash, ByteView encryption_key,
              std::uint64_t cookie_i, std::uint64_t cookie_r, ByteView last_phase1_block,
              ByteView skeyid_a = {});
  ~Ikev1Forger();

  // The first message of a new Informational or Quick Mode exchange with this message ID.
  Bytes message(wire::isakmp::ExchangeType exchange, std::uint32_t message_id,
                const wire::isakmp::EncodedChain& chain);
  // Authenticated first messages: HASH(1) over `after_hash` (RFC 2409 §5.7 Informational, §5.5 QM1)
  // is computed and prepended. `after_hash` may hold anything, including raw malformed payloads.
  Bytes informational(std::uint32_t message_id, const wire::isakmp::EncodedChain& after_hash);
  Bytes quick_mode1(std::uint32_t message_id, const wire::isakmp::EncodedChain& after_hash);
  // The decrypted, parsed payloads of an encrypted message under `iv`.
  std::optional<std::vector<wire::isakmp::Payload>> open_payloads(ByteView datagram, ByteView iv);
  // The IV of a new exchange's first message: hash(last phase-1 CBC block | M-ID) (Appendix B).
  Bytes exchange_iv(std::uint32_t message_id) const;
  // The decrypted plaintext chain (padding included) of an encrypted message under `iv`.
  std::optional<wire::isakmp::EncodedChain> open(ByteView datagram, ByteView iv);
  // A genuine encrypted message, decrypted under `iv`, its plaintext chain edited (first payload
  // type and bytes, padding included), re-encrypted under the same header and IV. nullopt when it
  // does not decrypt.
  std::optional<Bytes> reseal(ByteView datagram, ByteView iv,
                              const std::function<void(wire::isakmp::EncodedChain&)>& edit);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The last ciphertext block of the last encrypted Main/Aggressive Mode message in a wire log.
std::optional<Bytes> last_phase1_block(const std::vector<SendDatagram>& wire_log, std::size_t block_size);

}  // namespace cygnet::ike::forge
