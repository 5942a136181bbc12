#include "support/ike_forge.hpp"

#include "ike/random_source.hpp"
#include "ike/v1/ikev1_keys.hpp"
#include "ike/v1/ikev1_protection.hpp"
#include "ike/v2/sk_protection.hpp"

namespace cygnet::ike::forge {

ikev2::EncodedChain chain(const std::vector<ikev2::Payload>& payloads) {
  return ikev2::encode_payload_chain(payloads);
}

ikev2::EncodedChain raw_chain(ikev2::PayloadType first, Bytes bytes) {
  return ikev2::EncodedChain{first, std::move(bytes)};
}

Bytes raw_payload(ikev2::PayloadType next, ByteView body) {
  const std::size_t length = 4 + body.size();
  Bytes out{static_cast<std::uint8_t>(next), 0, static_cast<std::uint8_t>(length >> 8),
            static_cast<std::uint8_t>(length & 0xff)};
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

void append_raw(ikev2::EncodedChain& chain, ikev2::PayloadType type, ByteView body) {
  if (chain.bytes.empty()) {
    chain.first = type;
  } else {
    std::size_t at = 0;  // walk to the last payload's generic header
    for (;;) {
      const std::size_t length = (std::size_t{chain.bytes[at + 2]} << 8) | chain.bytes[at + 3];
      if (length < 4 || at + length >= chain.bytes.size()) break;
      at += length;
    }
    chain.bytes[at] = static_cast<std::uint8_t>(type);
  }
  const Bytes payload = raw_payload(ikev2::PayloadType::None, body);
  chain.bytes.insert(chain.bytes.end(), payload.begin(), payload.end());
}

struct Ikev2Forger::State {
  SkProtection initiator;  // SK_ei / SK_ai: what the initiator sends
  SkProtection responder;  // SK_er / SK_ar
  std::shared_ptr<RandomSource> random = seeded_random(0xf0f0);
};

Ikev2Forger::Ikev2Forger(const IkeSaKeyExport& keys)
    : state_(std::make_unique<State>(
          State{SkProtection(keys.algorithms, keys.sk_ei.view(), keys.sk_ai.view()),
                SkProtection(keys.algorithms, keys.sk_er.view(), keys.sk_ar.view())})),
      spi_i_(keys.spi_i),
      spi_r_(keys.spi_r) {}
Ikev2Forger::~Ikev2Forger() = default;
Ikev2Forger::Ikev2Forger(Ikev2Forger&&) noexcept = default;
Ikev2Forger& Ikev2Forger::operator=(Ikev2Forger&&) noexcept = default;

Bytes Ikev2Forger::message(Sender sender, ikev2::ExchangeType exchange, std::uint32_t message_id,
                           const ikev2::EncodedChain& inner, bool response) {
  ikev2::Header h;
  h.initiator_spi = spi_i_;
  h.responder_spi = spi_r_;
  h.exchange = exchange;
  h.message_id = message_id;
  h.flags = static_cast<std::uint8_t>((sender == Sender::Initiator ? ikev2::kFlagInitiator : 0) |
                                      (response ? ikev2::kFlagResponse : 0));
  SkProtection& keys = sender == Sender::Initiator ? state_->initiator : state_->responder;
  return keys.protect(h, inner, *state_->random);
}

std::optional<ikev2::EncodedChain> Ikev2Forger::open_raw(ByteView datagram) {
  auto parsed = ikev2::parse_message(datagram);
  if (!parsed || parsed.value->payloads.empty()) return std::nullopt;
  const auto* sk = std::get_if<ikev2::EncryptedPayload>(&parsed.value->payloads.back());
  if (!sk) return std::nullopt;
  SkProtection& keys = parsed.value->header.from_initiator() ? state_->initiator : state_->responder;
  auto plain = keys.unprotect(datagram, *sk);
  if (!plain) return std::nullopt;
  return ikev2::EncodedChain{sk->first_inner, std::move(*plain)};
}

std::optional<std::vector<ikev2::Payload>> Ikev2Forger::open(ByteView datagram) {
  auto raw = open_raw(datagram);
  if (!raw) return std::nullopt;
  auto payloads = ikev2::parse_payload_chain(raw->first, raw->bytes);
  if (!payloads) return std::nullopt;
  return std::move(*payloads.value);
}

std::optional<IkeSaKeyExport> ikev2_keys(const Engine& engine) {
  auto exported = engine.export_keys();
  if (exported.ike_sas.size() != 1) return std::nullopt;
  return std::move(exported.ike_sas.front());
}

struct Ikev1Forger::State {
  v1::Phase1Protection protection;
  crypto::HashAlgorithm hash;
  std::uint64_t cookie_i;
  std::uint64_t cookie_r;
  Bytes last_phase1_block;
  crypto::SecureBytes skeyid_a;
};

Ikev1Forger::Ikev1Forger(crypto::CbcAlgorithm cipher, crypto::HashAlgorithm hash, ByteView encryption_key,
                         std::uint64_t cookie_i, std::uint64_t cookie_r, ByteView last_phase1_block,
                         ByteView skeyid_a)
    : state_(std::make_unique<State>(
          State{v1::Phase1Protection(cipher, encryption_key), hash, cookie_i, cookie_r,
                Bytes(last_phase1_block.begin(), last_phase1_block.end()), crypto::SecureBytes(skeyid_a)})) {}

namespace {
// HASH payload (generic header + hash) followed by the chain it covers.
wire::isakmp::EncodedChain hashed(ByteView hash, const wire::isakmp::EncodedChain& after_hash) {
  const std::size_t length = 4 + hash.size();
  wire::isakmp::EncodedChain c;
  c.first = wire::isakmp::PayloadType::Hash;
  c.bytes = {static_cast<std::uint8_t>(after_hash.first), 0, static_cast<std::uint8_t>(length >> 8),
             static_cast<std::uint8_t>(length)};
  c.bytes.insert(c.bytes.end(), hash.begin(), hash.end());
  c.bytes.insert(c.bytes.end(), after_hash.bytes.begin(), after_hash.bytes.end());
  return c;
}
}  // namespace

Bytes Ikev1Forger::informational(std::uint32_t message_id, const wire::isakmp::EncodedChain& after_hash) {
  const Bytes h = v1::informational_hash(state_->hash, state_->skeyid_a.view(), message_id, after_hash.bytes);
  return message(wire::isakmp::ExchangeType::Informational, message_id, hashed(h, after_hash));
}

Bytes Ikev1Forger::quick_mode1(std::uint32_t message_id, const wire::isakmp::EncodedChain& after_hash) {
  const Bytes h = v1::quick_mode_hash1(state_->hash, state_->skeyid_a.view(), message_id, after_hash.bytes);
  return message(wire::isakmp::ExchangeType::QuickMode, message_id, hashed(h, after_hash));
}

std::optional<std::vector<wire::isakmp::Payload>> Ikev1Forger::open_payloads(ByteView datagram, ByteView iv) {
  auto parsed = wire::isakmp::parse_message(datagram);
  if (!parsed || !parsed.value->header.encrypted()) return std::nullopt;
  auto opened = state_->protection.unprotect(*parsed.value, iv);
  if (!opened) return std::nullopt;
  return std::move(opened.value->payloads);
}
Ikev1Forger::~Ikev1Forger() = default;

Bytes Ikev1Forger::message(wire::isakmp::ExchangeType exchange, std::uint32_t message_id,
                           const wire::isakmp::EncodedChain& chain) {
  wire::isakmp::Header h;
  h.initiator_cookie = state_->cookie_i;
  h.responder_cookie = state_->cookie_r;
  h.exchange = exchange;
  h.message_id = message_id;
  const Bytes iv =
      v1::phase2_iv(state_->hash, state_->last_phase1_block, message_id, state_->protection.block_size());
  return state_->protection.protect(h, chain, iv).datagram;
}

Bytes Ikev1Forger::exchange_iv(std::uint32_t message_id) const {
  return v1::phase2_iv(state_->hash, state_->last_phase1_block, message_id, state_->protection.block_size());
}

std::optional<wire::isakmp::EncodedChain> Ikev1Forger::open(ByteView datagram, ByteView iv) {
  auto parsed = wire::isakmp::parse_message(datagram);
  if (!parsed || !parsed.value->header.encrypted()) return std::nullopt;
  auto opened = state_->protection.decrypt(iv, parsed.value->encrypted_body);
  if (!opened) return std::nullopt;
  return wire::isakmp::EncodedChain{parsed.value->header.next_payload, std::move(opened.value->plaintext)};
}

std::optional<Bytes> Ikev1Forger::reseal(ByteView datagram, ByteView iv,
                                         const std::function<void(wire::isakmp::EncodedChain&)>& edit) {
  auto parsed = wire::isakmp::parse_message(datagram);
  if (!parsed) return std::nullopt;
  auto chain = open(datagram, iv);
  if (!chain) return std::nullopt;
  edit(*chain);
  return state_->protection.protect(parsed.value->header, *chain, iv).datagram;
}

std::optional<Bytes> last_phase1_block(const std::vector<SendDatagram>& wire_log, std::size_t block_size) {
  std::optional<Bytes> last;
  for (const auto& d : wire_log) {
    auto h = wire::isakmp::parse_header(d.payload);
    if (!h || !h.value->encrypted() || d.payload.size() < 28 + block_size) continue;
    if (h.value->exchange != wire::isakmp::ExchangeType::IdentityProtection &&
        h.value->exchange != wire::isakmp::ExchangeType::Aggressive)
      continue;
    last = Bytes(d.payload.end() - static_cast<std::ptrdiff_t>(block_size), d.payload.end());
  }
  return last;
}

}  // namespace cygnet::ike::forge
