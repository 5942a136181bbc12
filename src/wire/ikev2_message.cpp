// The IKEv2 header (RFC 7296 §3.1) and the chain of generic payload headers (§3.2): walking the
// next-payload links with every length checked, and writing them back with lengths computed.
// Payload bodies are handled in ikev2_payload_codec.cpp.
#include "wire/ikev2_message.hpp"

#include <stdexcept>
#include <string>

#include "wire/byte_reader.hpp"
#include "wire/ikev2_payload_codec.hpp"

namespace cygnet::wire::ikev2 {

namespace {

constexpr std::uint8_t kCriticalBit = 0x80;  // generic header, second byte; the other 7 are reserved
constexpr std::uint8_t kMajorVersion = kVersion >> 4;

template <typename T>
ParseResult<T> fail(ParseError error, std::string detail, std::uint8_t critical_type = 0) {
  ParseResult<T> result;
  result.failure.error = error;
  result.failure.critical_payload_type = critical_type;
  result.failure.detail = std::move(detail);
  return result;
}

bool is_encrypted(PayloadType type) {
  return type == PayloadType::Encrypted || type == PayloadType::EncryptedFragment;
}

Header read_header(ByteView bytes28) {
  ByteReader r(bytes28);
  Header h;
  h.initiator_spi = *r.u64();
  h.responder_spi = *r.u64();
  h.next_payload = static_cast<PayloadType>(*r.u8());
  h.version = *r.u8();
  h.exchange = static_cast<ExchangeType>(*r.u8());
  h.flags = *r.u8();
  h.message_id = *r.u32();
  h.length = *r.u32();
  return h;
}

// The generic header's Next Payload field for payloads[i]: SK/SKF name their first inner payload
// there (§3.14); every other payload names the one after it.
PayloadType next_field(const std::vector<Payload>& payloads, std::size_t i) {
  if (const auto* sk = std::get_if<EncryptedPayload>(&payloads[i])) return sk->first_inner;
  if (const auto* skf = std::get_if<EncryptedFragmentPayload>(&payloads[i])) return skf->first_inner;
  return i + 1 < payloads.size() ? payload_type(payloads[i + 1]) : PayloadType::None;
}

void append_chain(const std::vector<Payload>& payloads, Bytes& out) {
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    const Payload& p = payloads[i];
    const auto* unknown = std::get_if<UnknownPayload>(&p);
    const std::size_t start = out.size();
    detail::append_u8(out, static_cast<std::uint8_t>(next_field(payloads, i)));
    // The critical bit only means something for payloads the receiver might not know (§2.5); it is
    // kept for the ones this codec carries opaque and clear for the rest.
    detail::append_u8(out, unknown != nullptr && unknown->critical ? kCriticalBit : 0);
    detail::append_u16(out, 0);  // length, patched below
    detail::append_payload_body(p, out);
    detail::patch_u16(out, start + 2, out.size() - start, "payload length");
  }
}

}  // namespace

PayloadType payload_type(const Payload& p) {
  struct TypeOf {
    PayloadType operator()(const SaPayload&) const { return PayloadType::SecurityAssociation; }
    PayloadType operator()(const KePayload&) const { return PayloadType::KeyExchange; }
    PayloadType operator()(const IdInitiatorPayload&) const { return PayloadType::IdInitiator; }
    PayloadType operator()(const IdResponderPayload&) const { return PayloadType::IdResponder; }
    PayloadType operator()(const CertPayload&) const { return PayloadType::Certificate; }
    PayloadType operator()(const CertReqPayload&) const { return PayloadType::CertificateRequest; }
    PayloadType operator()(const AuthPayload&) const { return PayloadType::Authentication; }
    PayloadType operator()(const NoncePayload&) const { return PayloadType::Nonce; }
    PayloadType operator()(const NotifyPayload&) const { return PayloadType::Notify; }
    PayloadType operator()(const DeletePayload&) const { return PayloadType::Delete; }
    PayloadType operator()(const VendorIdPayload&) const { return PayloadType::VendorId; }
    PayloadType operator()(const TsInitiatorPayload&) const { return PayloadType::TsInitiator; }
    PayloadType operator()(const TsResponderPayload&) const { return PayloadType::TsResponder; }
    PayloadType operator()(const EncryptedPayload&) const { return PayloadType::Encrypted; }
    PayloadType operator()(const EncryptedFragmentPayload&) const { return PayloadType::EncryptedFragment; }
    PayloadType operator()(const ConfigPayload&) const { return PayloadType::Configuration; }
    PayloadType operator()(const EapPayload&) const { return PayloadType::Eap; }
    PayloadType operator()(const UnknownPayload& u) const { return static_cast<PayloadType>(u.type); }
  };
  return std::visit(TypeOf{}, p);
}

// Only the fixed 28 bytes: the version and length are reported, not judged, so that the engine can
// still answer a wrong major version with INVALID_MAJOR_VERSION (§2.5), which needs the SPIs.
ParseResult<Header> parse_header(ByteView datagram) {
  if (datagram.size() < kHeaderLength)
    return fail<Header>(ParseError::Truncated,
                        "header needs 28 bytes, datagram has " + std::to_string(datagram.size()));
  ParseResult<Header> result;
  result.value = read_header(datagram.first(kHeaderLength));
  return result;
}

ParseResult<Message> parse_message(ByteView datagram) {
  auto header = parse_header(datagram);
  if (!header) return fail<Message>(header.failure.error, header.failure.detail);
  Message m;
  m.header = *header.value;
  if ((m.header.version >> 4) != kMajorVersion)
    return fail<Message>(ParseError::UnsupportedVersion,
                         "major version " + std::to_string(m.header.version >> 4));
  if (m.header.length != datagram.size())
    return fail<Message>(ParseError::BadLength, "header length " + std::to_string(m.header.length) +
                                                    " but datagram has " + std::to_string(datagram.size()));
  auto chain = parse_payload_chain(m.header.next_payload, datagram.subspan(kHeaderLength));
  if (!chain) {
    ParseResult<Message> result;
    result.failure = std::move(chain.failure);
    return result;
  }
  m.payloads = std::move(*chain.value);
  ParseResult<Message> result;
  result.value = std::move(m);
  return result;
}

ParseResult<std::vector<Payload>> parse_payload_chain(PayloadType first, ByteView chain) {
  using Chain = std::vector<Payload>;
  Chain payloads;
  ByteReader r(chain);
  PayloadType type = first;
  while (type != PayloadType::None) {
    const std::string name = payload_name(type);
    const std::uint8_t raw_type = static_cast<std::uint8_t>(type);
    if (r.remaining() < kGenericPayloadHeaderLength)
      return fail<Chain>(ParseError::Truncated, name + " (" + std::to_string(raw_type) +
                                                    "): generic header needs 4 bytes, " +
                                                    std::to_string(r.remaining()) + " left");
    const auto next = static_cast<PayloadType>(*r.u8());
    const bool critical = (*r.u8() & kCriticalBit) != 0;
    const std::uint16_t length = *r.u16();
    if (length < kGenericPayloadHeaderLength)
      return fail<Chain>(ParseError::BadLength, name + ": payload length " + std::to_string(length) + " < 4");
    const std::size_t body_length = length - kGenericPayloadHeaderLength;
    if (body_length > r.remaining())
      return fail<Chain>(ParseError::Truncated, name + ": payload length " + std::to_string(length) + " with " +
                                                    std::to_string(r.remaining() + kGenericPayloadHeaderLength) +
                                                    " bytes left");
    const ByteView body = *r.bytes(body_length);

    if (!detail::is_known_payload_type(raw_type)) {
      // §2.5: skip what we do not understand unless the sender marked it critical.
      if (critical)
        return fail<Chain>(ParseError::UnsupportedCriticalPayload,
                           "unknown critical payload type " + std::to_string(raw_type), raw_type);
      payloads.push_back(UnknownPayload{raw_type, critical, Bytes(body.begin(), body.end())});
      type = next;
      continue;
    }
    auto payload = detail::parse_payload_body(type, next, critical, body);
    if (!payload) {
      ParseResult<Chain> result;
      result.failure = std::move(payload.failure);
      return result;
    }
    payloads.push_back(std::move(*payload.value));
    if (is_encrypted(type)) {
      // SK/SKF use Next Payload for the first inner payload, so they end the outer chain (§3.14,
      // RFC 7383 §2.5): anything after them is a payload out of place.
      if (r.remaining() > 0)
        return fail<Chain>(ParseError::EncryptedNotLast,
                           name + " followed by " + std::to_string(r.remaining()) + " bytes");
      break;
    }
    type = next;
  }
  if (r.remaining() > 0)
    return fail<Chain>(ParseError::TrailingData,
                       std::to_string(r.remaining()) + " bytes after the last payload");
  ParseResult<Chain> result;
  result.value = std::move(payloads);
  return result;
}

EncodedChain encode_payload_chain(const std::vector<Payload>& payloads) {
  EncodedChain chain;
  chain.first = payloads.empty() ? PayloadType::None : payload_type(payloads.front());
  append_chain(payloads, chain.bytes);
  return chain;
}

void write_header(const Header& header, PayloadType first_payload, std::uint32_t total_length,
                  MutableByteView out28) {
  if (out28.size() < kHeaderLength) throw std::invalid_argument("IKEv2 header needs 28 bytes");
  std::uint8_t* p = out28.data();
  store_be64(p, header.initiator_spi);
  store_be64(p + 8, header.responder_spi);
  p[16] = static_cast<std::uint8_t>(first_payload);
  p[17] = header.version;
  p[18] = static_cast<std::uint8_t>(header.exchange);
  p[19] = header.flags;
  store_be32(p + 20, header.message_id);
  store_be32(p + 24, total_length);
}

Bytes serialize_message(const Message& message) {
  Bytes out(kHeaderLength);
  append_chain(message.payloads, out);
  if (out.size() > 0xffffffffu) throw std::length_error("IKEv2 message longer than 2^32 - 1 bytes");
  const PayloadType first = message.payloads.empty() ? PayloadType::None : payload_type(message.payloads.front());
  write_header(message.header, first, static_cast<std::uint32_t>(out.size()), out);
  return out;
}

const NotifyPayload* find_notify(const std::vector<Payload>& payloads, NotifyType type) {
  for (const Payload& p : payloads) {
    const auto* n = std::get_if<NotifyPayload>(&p);
    if (n != nullptr && n->type == type) return n;
  }
  return nullptr;
}

}  // namespace cygnet::wire::ikev2
