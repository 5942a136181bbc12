// The ISAKMP header (RFC 2408 §3.1) and the chain of generic payload headers (§3.2): walking the
// next-payload links with every length checked, and writing them back with lengths computed.
// Payload bodies are handled in isakmp_payload_codec.cpp.
#include "wire/isakmp_message.hpp"

#include <stdexcept>
#include <string>

#include "wire/byte_reader.hpp"
#include "wire/isakmp_payload_codec.hpp"

namespace cygnet::wire::isakmp {

namespace {

template <typename T>
ParseResult<T> fail(ParseError error, std::string detail, NotifyType notify = NotifyType::PayloadMalformed) {
  ParseResult<T> result;
  result.failure.error = error;
  result.failure.notify = notify;
  result.failure.detail = std::move(detail);
  return result;
}

template <typename T>
ParseResult<T> fail(ParseFailure failure) {
  return ParseResult<T>::failed(std::move(failure));
}

Header read_header(ByteView bytes28) {
  ByteReader r(bytes28);
  Header h;
  h.initiator_cookie = *r.u64();
  h.responder_cookie = *r.u64();
  h.next_payload = static_cast<PayloadType>(*r.u8());
  h.version = *r.u8();
  h.exchange = static_cast<ExchangeType>(*r.u8());
  h.flags = *r.u8();
  h.message_id = *r.u32();
  h.length = *r.u32();
  return h;
}

void append_chain(const std::vector<Payload>& payloads, Bytes& out) {
  if (payloads.size() > kMaxPayloads)
    throw std::length_error("ISAKMP: " + std::to_string(payloads.size()) + " payloads exceed the limit of " +
                            std::to_string(kMaxPayloads));
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    const std::size_t start = out.size();
    const PayloadType next = i + 1 < payloads.size() ? payload_type(payloads[i + 1]) : PayloadType::None;
    detail::append_u8(out, static_cast<std::uint8_t>(next));
    detail::append_u8(out, 0);   // RESERVED
    detail::append_u16(out, 0);  // length, patched below
    detail::append_payload_body(payloads[i], out);
    detail::patch_u16(out, start + 2, out.size() - start, "payload length");
  }
}

}  // namespace

Bytes isakmp_spi(const Header& header) {
  Bytes spi(kIsakmpSpiLength);
  store_be64(spi.data(), header.initiator_cookie);
  store_be64(spi.data() + kCookieLength, header.responder_cookie);
  return spi;
}

std::optional<std::uint64_t> Attribute::integer() const {
  if (const auto* tv = std::get_if<std::uint16_t>(&value)) return *tv;
  const Bytes& bytes = std::get<Bytes>(value);
  if (bytes.empty() || bytes.size() > 8) return std::nullopt;
  std::uint64_t v = 0;
  for (std::uint8_t b : bytes) v = (v << 8) | b;
  return v;
}

Attribute integer_attribute(std::uint16_t type, std::uint64_t value) {
  if (value <= 0xffff) return Attribute{type, static_cast<std::uint16_t>(value)};
  const std::size_t size = value <= 0xffffffffu ? 4 : 8;
  Bytes bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[size - 1 - i] = static_cast<std::uint8_t>(value >> (8 * i));
  return Attribute{type, std::move(bytes)};
}

const Attribute* Transform::find(std::uint16_t type) const {
  for (const Attribute& a : attributes)
    if (a.type == type) return &a;
  return nullptr;
}

PayloadType payload_type(const Payload& p) {
  struct TypeOf {
    PayloadType operator()(const SaPayload&) const { return PayloadType::SecurityAssociation; }
    PayloadType operator()(const KePayload&) const { return PayloadType::KeyExchange; }
    PayloadType operator()(const IdPayload&) const { return PayloadType::Identification; }
    PayloadType operator()(const CertPayload&) const { return PayloadType::Certificate; }
    PayloadType operator()(const CertRequestPayload&) const { return PayloadType::CertificateRequest; }
    PayloadType operator()(const HashPayload&) const { return PayloadType::Hash; }
    PayloadType operator()(const SignaturePayload&) const { return PayloadType::Signature; }
    PayloadType operator()(const NoncePayload&) const { return PayloadType::Nonce; }
    PayloadType operator()(const NotificationPayload&) const { return PayloadType::Notification; }
    PayloadType operator()(const DeletePayload&) const { return PayloadType::Delete; }
    PayloadType operator()(const VendorIdPayload&) const { return PayloadType::VendorId; }
    PayloadType operator()(const NatDPayload& d) const {
      return d.draft_number ? PayloadType::NatDiscoveryDraft : PayloadType::NatDiscovery;
    }
    PayloadType operator()(const NatOaPayload& oa) const {
      return oa.draft_number ? PayloadType::NatOriginalAddressDraft : PayloadType::NatOriginalAddress;
    }
    PayloadType operator()(const GenericPayload& g) const { return static_cast<PayloadType>(g.type); }
  };
  return std::visit(TypeOf{}, p);
}

// Only the fixed 28 bytes: version and length are reported, not judged, so that the engine can
// still answer a wrong version (INVALID-MAJOR-VERSION needs the cookies) or route the datagram.
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
  if (!header) return fail<Message>(std::move(header.failure));
  Message m;
  m.header = *header.value;
  // RFC 2408 §5.1: a major version above ours is refused; the minor version is kept as received.
  if ((m.header.version >> 4) != kMajorVersion)
    return fail<Message>(ParseError::UnsupportedVersion, "major version " + std::to_string(m.header.version >> 4),
                         NotifyType::InvalidMajorVersion);
  if (m.header.length != datagram.size())
    return fail<Message>(ParseError::LengthMismatch,
                         "header length " + std::to_string(m.header.length) + " but datagram has " +
                             std::to_string(datagram.size()),
                         NotifyType::UnequalPayloadLengths);
  const ByteView body = datagram.subspan(kHeaderLength);
  if (m.header.encrypted()) {
    m.encrypted_body.assign(body.begin(), body.end());
  } else {
    auto chain = parse_payload_chain(m.header.next_payload, body, Padding::Reject);
    if (!chain) return fail<Message>(std::move(chain.failure));
    m.payloads = std::move(*chain.value);
  }
  ParseResult<Message> result;
  result.value = std::move(m);
  return result;
}

ParseResult<std::vector<Payload>> parse_payload_chain(PayloadType first, ByteView chain, Padding padding) {
  using Chain = std::vector<Payload>;
  Chain payloads;
  ByteReader r(chain);
  PayloadType type = first;
  while (type != PayloadType::None) {
    const auto raw_type = static_cast<std::uint8_t>(type);
    const std::string name = std::string(payload_name(type)) + " (" + std::to_string(raw_type) + ")";
    if (r.remaining() == 0)
      return fail<Chain>(ParseError::UnterminatedChain, "the chain names " + name + " but no bytes are left");
    if (payloads.size() == kMaxPayloads)
      return fail<Chain>(ParseError::LimitExceeded, "more than " + std::to_string(kMaxPayloads) + " payloads");
    if (r.remaining() < kGenericPayloadHeaderLength)
      return fail<Chain>(ParseError::Truncated, name + ": generic header needs 4 bytes, " +
                                                    std::to_string(r.remaining()) + " left");
    const auto next = static_cast<PayloadType>(*r.u8());
    r.skip(1);  // RESERVED
    const std::uint16_t length = *r.u16();
    // A length below 4 would make the walk stand still (0) or read the next header from inside
    // this one: refused before anything else.
    if (length < kGenericPayloadHeaderLength)
      return fail<Chain>(ParseError::BadPayloadLength, name + ": payload length " + std::to_string(length) + " < 4");
    const std::size_t body_length = length - kGenericPayloadHeaderLength;
    if (body_length > r.remaining())
      return fail<Chain>(ParseError::BadPayloadLength,
                         name + ": payload length " + std::to_string(length) + " with " +
                             std::to_string(r.remaining() + kGenericPayloadHeaderLength) + " bytes left");
    const ByteView body = *r.bytes(body_length);

    switch (detail::payload_kind(raw_type)) {
      case detail::PayloadKind::Generic:
        payloads.push_back(GenericPayload{raw_type, Bytes(body.begin(), body.end())});
        break;
      case detail::PayloadKind::Misplaced:
        return fail<Chain>(ParseError::InvalidSyntax, name + " outside an SA payload",
                           NotifyType::InvalidPayloadType);
      case detail::PayloadKind::Parsed: {
        auto payload = detail::parse_payload_body(type, body);
        if (!payload) return fail<Chain>(std::move(payload.failure));
        payloads.push_back(std::move(*payload.value));
        break;
      }
    }
    type = next;
  }
  if (r.remaining() > 0 && padding == Padding::Reject)
    return fail<Chain>(ParseError::TrailingData, std::to_string(r.remaining()) + " bytes after the last payload");
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
  if (out28.size() < kHeaderLength) throw std::invalid_argument("ISAKMP header needs 28 bytes");
  std::uint8_t* p = out28.data();
  store_be64(p, header.initiator_cookie);
  store_be64(p + 8, header.responder_cookie);
  p[16] = static_cast<std::uint8_t>(first_payload);
  p[17] = header.version;
  p[18] = static_cast<std::uint8_t>(header.exchange);
  p[19] = header.flags;
  store_be32(p + 20, header.message_id);
  store_be32(p + 24, total_length);
}

Bytes serialize_message(const Message& message) {
  Bytes out(kHeaderLength);
  PayloadType first = PayloadType::None;
  if (message.header.encrypted()) {
    if (!message.payloads.empty())
      throw std::invalid_argument("ISAKMP: an encrypted message carries encrypted_body, not payloads");
    out.insert(out.end(), message.encrypted_body.begin(), message.encrypted_body.end());
    first = message.header.next_payload;
  } else {
    if (!message.encrypted_body.empty())
      throw std::invalid_argument("ISAKMP: encrypted_body without the encryption flag");
    append_chain(message.payloads, out);
    first = message.payloads.empty() ? PayloadType::None : payload_type(message.payloads.front());
  }
  if (out.size() > 0xffffffffu) throw std::length_error("ISAKMP message longer than 2^32 - 1 bytes");
  write_header(message.header, first, static_cast<std::uint32_t>(out.size()), out);
  return out;
}

const NotificationPayload* find_notification(const std::vector<Payload>& payloads, NotifyType type) {
  for (const Payload& p : payloads) {
    const auto* n = std::get_if<NotificationPayload>(&p);
    if (n != nullptr && n->type == type) return n;
  }
  return nullptr;
}

}  // namespace cygnet::wire::isakmp
