// Payload bodies of RFC 2408 §3.4–§3.16 (with the IPsec DOI fields of RFC 2407 §4.6) and the NAT-D /
// NAT-OA payloads of RFC 3947 §3.2/§5.2.
//
// Error classes, so that every failure says what kind of damage it found:
// - Truncated: the body is shorter than its fixed part, or than what a size/count field in that
//   fixed part announces (Notification SPI, Delete SPIs).
// - InvalidSyntax: the body is long enough but contradicts itself or the RFC: a proposal,
//   transform or attribute running past its container or shorter than its own header, a wrong
//   "next" field in a substructure, counts that disagree with what follows, an unsupported DOI or
//   labeled situation, a NAT-OA that is not one IPv4/IPv6 address.
// - LimitExceeded: more proposals, transforms, attributes or SPIs than isakmp_constants.hpp allows.
#include "wire/isakmp_payload_codec.hpp"

#include <stdexcept>
#include <string>
#include <type_traits>

#include "wire/byte_reader.hpp"

namespace cygnet::wire::isakmp::detail {

namespace {

constexpr std::size_t kSaFixedLength = 8;          // DOI, situation
constexpr std::size_t kProposalHeaderLength = 8;   // next, reserved, length, #, protocol, SPI size, count
constexpr std::size_t kTransformHeaderLength = 8;  // next, reserved, length, #, id, reserved2
constexpr std::size_t kAttributeHeaderLength = 4;
constexpr std::size_t kIdFixedLength = 4;            // type, protocol, port
constexpr std::size_t kNotificationFixedLength = 8;  // DOI, protocol, SPI size, type
constexpr std::size_t kDeleteFixedLength = 8;        // DOI, protocol, SPI size, count
constexpr std::size_t kNatOaFixedLength = 4;         // ID type, 3 reserved

// The "Next Payload" field of a proposal/transform substructure (RFC 2408 §3.5/§3.6): 0 on the
// last one, the substructure's own payload type when another follows.
constexpr std::uint8_t kLastSubstructure = 0;
constexpr auto kMoreProposals = static_cast<std::uint8_t>(PayloadType::Proposal);
constexpr auto kMoreTransforms = static_cast<std::uint8_t>(PayloadType::Transform);

std::string number(std::size_t n) { return std::to_string(n); }

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

template <typename T>
ParseResult<T> ok(T value) {
  return ParseResult<T>::ok(std::move(value));
}

// Failures inside an SA answer BAD-PROPOSAL-SYNTAX (RFC 2408 §5.4).
template <typename T>
ParseResult<T> bad_proposal(ParseError error, std::string detail) {
  return fail<T>(error, "SA: " + std::move(detail), NotifyType::BadProposalSyntax);
}

Bytes copy(ByteView v) { return Bytes(v.begin(), v.end()); }

// --- SA (§3.4–§3.6, §3.3 data attributes) ---

ParseResult<std::vector<Attribute>> parse_attributes(ByteView bytes) {
  using Result = std::vector<Attribute>;
  Result attributes;
  ByteReader r(bytes);
  while (r.remaining() > 0) {
    if (attributes.size() == kMaxAttributes)
      return bad_proposal<Result>(ParseError::LimitExceeded,
                                  "more than " + number(kMaxAttributes) + " attributes in a transform");
    if (r.remaining() < kAttributeHeaderLength)
      return bad_proposal<Result>(ParseError::InvalidSyntax,
                                  "attribute header needs 4 bytes, " + number(r.remaining()) + " left");
    const std::uint16_t format_and_type = *r.u16();
    const std::uint16_t length_or_value = *r.u16();
    const auto type = static_cast<std::uint16_t>(format_and_type & kAttributeTypeMask);
    if ((format_and_type & kAttributeFormatTv) != 0) {
      attributes.push_back(Attribute{type, length_or_value});
      continue;
    }
    auto value = r.bytes(length_or_value);
    if (!value)
      return bad_proposal<Result>(ParseError::InvalidSyntax, "attribute " + number(type) + " length " +
                                                                 number(length_or_value) + " runs past its transform");
    attributes.push_back(Attribute{type, copy(*value)});
  }
  return ok(std::move(attributes));
}

// Reads one substructure header at the reader's position (the caller saw at least one byte left)
// and returns its bytes, checking the length against what is left and the "next" field.
struct Substructure {
  ByteView bytes;
  bool last = false;
};

ParseResult<Substructure> next_substructure(ByteView container, ByteReader& r, const char* what,
                                            std::size_t header_length, std::uint8_t more) {
  const ByteView rest = container.subspan(r.offset());
  if (rest.size() < header_length)
    return bad_proposal<Substructure>(ParseError::InvalidSyntax, std::string(what) + " header needs " +
                                                                     number(header_length) + " bytes, " +
                                                                     number(rest.size()) + " left");
  const std::uint8_t next = rest[0];
  const std::uint16_t length = load_be16(rest.data() + 2);
  if (length < header_length)
    return bad_proposal<Substructure>(ParseError::InvalidSyntax, std::string(what) + " length " + number(length) +
                                                                     " < " + number(header_length));
  if (length > rest.size())
    return bad_proposal<Substructure>(ParseError::InvalidSyntax, std::string(what) + " length " + number(length) +
                                                                     " with " + number(rest.size()) + " bytes left");
  if (next != kLastSubstructure && next != more)
    return bad_proposal<Substructure>(ParseError::InvalidSyntax,
                                      std::string(what) + " next payload field " + number(next) + " (must be 0 or " +
                                          number(more) + ")");
  return ok(Substructure{*r.bytes(length), next == kLastSubstructure});
}

ParseResult<Transform> parse_transform(ByteView bytes) {
  ByteReader r(bytes);  // next_substructure checked the 8-byte header is present
  r.skip(4);            // next, reserved, length
  Transform t;
  t.number = *r.u8();
  t.id = *r.u8();
  r.skip(2);  // RESERVED2
  auto attributes = parse_attributes(r.rest());
  if (!attributes) return fail<Transform>(std::move(attributes.failure));
  t.attributes = std::move(*attributes.value);
  return ok(std::move(t));
}

ParseResult<Proposal> parse_proposal(ByteView bytes) {
  ByteReader r(bytes);  // next_substructure checked the 8-byte header is present
  r.skip(4);            // next, reserved, length
  Proposal p;
  p.number = *r.u8();
  p.protocol = static_cast<ProtocolId>(*r.u8());
  const std::uint8_t spi_size = *r.u8();
  const std::uint8_t transform_count = *r.u8();
  const std::string name = "proposal " + number(p.number);
  if (transform_count > kMaxTransforms)
    return bad_proposal<Proposal>(ParseError::LimitExceeded, name + " announces " + number(transform_count) +
                                                                 " transforms (limit " + number(kMaxTransforms) + ")");
  auto spi = r.bytes(spi_size);
  if (!spi)
    return bad_proposal<Proposal>(ParseError::InvalidSyntax,
                                  name + " SPI size " + number(spi_size) + " runs past the proposal");
  p.spi = copy(*spi);

  bool last_seen = false;
  while (r.remaining() > 0) {
    if (last_seen) return bad_proposal<Proposal>(ParseError::InvalidSyntax, "bytes after the transform marked last");
    if (p.transforms.size() == transform_count)
      return bad_proposal<Proposal>(ParseError::InvalidSyntax,
                                    name + " carries more than the " + number(transform_count) + " transforms it announces");
    auto sub = next_substructure(bytes, r, "transform", kTransformHeaderLength, kMoreTransforms);
    if (!sub) return fail<Proposal>(std::move(sub.failure));
    last_seen = sub.value->last;
    auto transform = parse_transform(sub.value->bytes);
    if (!transform) return fail<Proposal>(std::move(transform.failure));
    p.transforms.push_back(std::move(*transform.value));
  }
  if (!p.transforms.empty() && !last_seen)
    return bad_proposal<Proposal>(ParseError::InvalidSyntax, "last transform says more follow");
  if (p.transforms.size() != transform_count)
    return bad_proposal<Proposal>(ParseError::InvalidSyntax, name + " announces " + number(transform_count) +
                                                                 " transforms, carries " + number(p.transforms.size()));
  return ok(std::move(p));
}

ParseResult<Payload> parse_sa(ByteView body) {
  ByteReader r(body);
  SaPayload sa;
  auto doi = r.u32();
  auto situation = r.u32();
  if (!situation)
    return fail<Payload>(ParseError::Truncated, "SA: body needs " + number(kSaFixedLength) + " bytes, has " +
                                                    number(body.size()));
  sa.doi = *doi;
  sa.situation = *situation;
  // The situation's length and meaning belong to the DOI (§3.4). The IPsec DOI's is 4 bytes unless
  // SIT_SECRECY/SIT_INTEGRITY add labeled-domain fields (RFC 2407 §4.6.1), which nobody sends and
  // this codec does not model; DOI 0 (generic ISAKMP, §2.1) is read the same way.
  if (sa.doi != kDoiIpsec && sa.doi != kDoiIsakmp)
    return fail<Payload>(ParseError::InvalidSyntax, "SA: DOI " + number(sa.doi) + " not supported",
                         NotifyType::DoiNotSupported);
  if ((sa.situation & ~kSituationIdentityOnly) != 0)
    return fail<Payload>(ParseError::InvalidSyntax, "SA: situation " + number(sa.situation) + " not supported",
                         NotifyType::SituationNotSupported);

  bool last_seen = false;
  while (r.remaining() > 0) {
    if (last_seen) return bad_proposal<Payload>(ParseError::InvalidSyntax, "bytes after the proposal marked last");
    if (sa.proposals.size() == kMaxProposals)
      return bad_proposal<Payload>(ParseError::LimitExceeded, "more than " + number(kMaxProposals) + " proposals");
    auto sub = next_substructure(body, r, "proposal", kProposalHeaderLength, kMoreProposals);
    if (!sub) return fail<Payload>(std::move(sub.failure));
    last_seen = sub.value->last;
    auto proposal = parse_proposal(sub.value->bytes);
    if (!proposal) return fail<Payload>(std::move(proposal.failure));
    sa.proposals.push_back(std::move(*proposal.value));
  }
  if (sa.proposals.empty()) return bad_proposal<Payload>(ParseError::InvalidSyntax, "no proposals");
  if (!last_seen) return bad_proposal<Payload>(ParseError::InvalidSyntax, "last proposal says more follow");
  return ok<Payload>(std::move(sa));
}

// --- payloads with a fixed part and opaque data ---

ParseResult<Payload> truncated(PayloadType type, std::size_t needed, std::size_t have) {
  return fail<Payload>(ParseError::Truncated, std::string(payload_name(type)) + ": body needs " + number(needed) +
                                                  " bytes, has " + number(have));
}

ParseResult<Payload> parse_id(ByteView body) {
  ByteReader r(body);
  IdPayload id;
  auto type = r.u8();
  auto protocol = r.u8();
  auto port = r.u16();
  if (!port) return truncated(PayloadType::Identification, kIdFixedLength, body.size());
  id.type = static_cast<IdType>(*type);
  id.protocol = *protocol;
  id.port = *port;
  id.data = copy(r.rest());
  return ok<Payload>(std::move(id));
}

ParseResult<Payload> parse_cert(ByteView body) {
  ByteReader r(body);
  auto encoding = r.u8();
  if (!encoding) return truncated(PayloadType::Certificate, 1, body.size());
  return ok<Payload>(CertPayload{static_cast<CertEncoding>(*encoding), copy(r.rest())});
}

ParseResult<Payload> parse_cert_request(ByteView body) {
  ByteReader r(body);
  auto type = r.u8();
  if (!type) return truncated(PayloadType::CertificateRequest, 1, body.size());
  return ok<Payload>(CertRequestPayload{static_cast<CertEncoding>(*type), copy(r.rest())});
}

ParseResult<Payload> parse_notification(ByteView body) {
  ByteReader r(body);
  NotificationPayload n;
  auto doi = r.u32();
  auto protocol = r.u8();
  auto spi_size = r.u8();
  auto type = r.u16();
  if (!type) return truncated(PayloadType::Notification, kNotificationFixedLength, body.size());
  n.doi = *doi;
  n.protocol = static_cast<ProtocolId>(*protocol);
  n.type = static_cast<NotifyType>(*type);
  auto spi = r.bytes(*spi_size);
  if (!spi) return truncated(PayloadType::Notification, kNotificationFixedLength + *spi_size, body.size());
  n.spi = copy(*spi);
  n.data = copy(r.rest());
  return ok<Payload>(std::move(n));
}

ParseResult<Payload> parse_delete(ByteView body) {
  ByteReader r(body);
  DeletePayload d;
  auto doi = r.u32();
  auto protocol = r.u8();
  auto spi_size = r.u8();
  auto count = r.u16();
  if (!count) return truncated(PayloadType::Delete, kDeleteFixedLength, body.size());
  d.doi = *doi;
  d.protocol = static_cast<ProtocolId>(*protocol);
  d.spi_size = *spi_size;
  if (*count > kMaxSpis)
    return fail<Payload>(ParseError::LimitExceeded,
                         "D: " + number(*count) + " SPIs (limit " + number(kMaxSpis) + ")");
  // A zero SPI size with SPIs announced would describe SPIs without bytes (and a count the
  // remaining length cannot confirm).
  if (d.spi_size == 0 && *count != 0)
    return fail<Payload>(ParseError::InvalidSyntax, "D: " + number(*count) + " SPIs of size 0");
  const std::size_t needed = std::size_t{d.spi_size} * *count;
  if (needed > r.remaining()) return truncated(PayloadType::Delete, kDeleteFixedLength + needed, body.size());
  if (needed < r.remaining())
    return fail<Payload>(ParseError::InvalidSyntax, "D: " + number(r.remaining() - needed) + " bytes after the SPIs");
  d.spis.reserve(*count);
  for (std::size_t i = 0; i < *count; ++i) d.spis.push_back(copy(*r.bytes(d.spi_size)));
  return ok<Payload>(std::move(d));
}

ParseResult<Payload> parse_nat_oa(PayloadType type, ByteView body) {
  ByteReader r(body);
  auto id_type = r.u8();
  if (!id_type || !r.skip(3)) return truncated(type, kNatOaFixedLength, body.size());
  const ByteView address = r.rest();
  NatOaPayload oa;
  oa.draft_number = type == PayloadType::NatOriginalAddressDraft;
  if (*id_type == static_cast<std::uint8_t>(IdType::Ipv4Address) && address.size() == 4) {
    oa.address = IpAddress::v4(address);
  } else if (*id_type == static_cast<std::uint8_t>(IdType::Ipv6Address) && address.size() == 16) {
    oa.address = IpAddress::v6(address);
  } else {
    return fail<Payload>(ParseError::InvalidSyntax, std::string(payload_name(type)) + ": ID type " +
                                                        number(*id_type) + " with " + number(address.size()) +
                                                        " address bytes (must be ID_IPV4_ADDR/4 or ID_IPV6_ADDR/16)");
  }
  return ok<Payload>(oa);
}

// --- encoders ---

void check_limit(std::size_t count, std::size_t limit, const char* what) {
  if (count > limit)
    throw std::length_error(std::string("ISAKMP: ") + number(count) + " " + what + " exceed the limit of " +
                            number(limit));
}

void append_attribute(const Attribute& a, Bytes& out) {
  if (a.type > kAttributeTypeMask)
    throw std::invalid_argument("ISAKMP attribute type " + number(a.type) + " exceeds 15 bits");
  if (const auto* tv = std::get_if<std::uint16_t>(&a.value)) {
    append_u16(out, static_cast<std::uint16_t>(kAttributeFormatTv | a.type));
    append_u16(out, *tv);
    return;
  }
  const Bytes& value = std::get<Bytes>(a.value);
  append_u16(out, a.type);
  const std::size_t length_at = out.size();
  append_u16(out, 0);
  append_bytes(out, value);
  patch_u16(out, length_at, value.size(), "attribute length");
}

void append_transform(const Transform& t, bool last, Bytes& out) {
  check_limit(t.attributes.size(), kMaxAttributes, "attributes in a transform");
  const std::size_t start = out.size();
  append_u8(out, last ? kLastSubstructure : kMoreTransforms);
  append_u8(out, 0);
  append_u16(out, 0);  // length, patched below
  append_u8(out, t.number);
  append_u8(out, t.id);
  append_u16(out, 0);  // RESERVED2
  for (const Attribute& a : t.attributes) append_attribute(a, out);
  patch_u16(out, start + 2, out.size() - start, "transform length");
}

void append_proposal(const Proposal& p, bool last, Bytes& out) {
  check_limit(p.transforms.size(), kMaxTransforms, "transforms in a proposal");
  if (p.spi.size() > 0xff) throw std::length_error("ISAKMP proposal SPI longer than 255 bytes");
  const std::size_t start = out.size();
  append_u8(out, last ? kLastSubstructure : kMoreProposals);
  append_u8(out, 0);
  append_u16(out, 0);  // length, patched below
  append_u8(out, p.number);
  append_u8(out, static_cast<std::uint8_t>(p.protocol));
  append_u8(out, static_cast<std::uint8_t>(p.spi.size()));
  append_u8(out, static_cast<std::uint8_t>(p.transforms.size()));
  append_bytes(out, p.spi);
  for (std::size_t i = 0; i < p.transforms.size(); ++i)
    append_transform(p.transforms[i], i + 1 == p.transforms.size(), out);
  patch_u16(out, start + 2, out.size() - start, "proposal length");
}

// Overloads picked by std::visit, one per payload alternative.
struct BodyEncoder {
  Bytes& out;

  void operator()(const SaPayload& sa) const {
    check_limit(sa.proposals.size(), kMaxProposals, "proposals");
    // What the parser would refuse is not written either (see parse_sa).
    if (sa.proposals.empty()) throw std::invalid_argument("ISAKMP SA payload without proposals");
    if ((sa.doi != kDoiIpsec && sa.doi != kDoiIsakmp) || (sa.situation & ~kSituationIdentityOnly) != 0)
      throw std::invalid_argument("ISAKMP SA payload with an unsupported DOI or situation");
    append_u32(out, sa.doi);
    append_u32(out, sa.situation);
    for (std::size_t i = 0; i < sa.proposals.size(); ++i)
      append_proposal(sa.proposals[i], i + 1 == sa.proposals.size(), out);
  }
  void operator()(const KePayload& ke) const { append_bytes(out, ke.data); }
  void operator()(const IdPayload& id) const {
    append_u8(out, static_cast<std::uint8_t>(id.type));
    append_u8(out, id.protocol);
    append_u16(out, id.port);
    append_bytes(out, id.data);
  }
  void operator()(const CertPayload& c) const {
    append_u8(out, static_cast<std::uint8_t>(c.encoding));
    append_bytes(out, c.data);
  }
  void operator()(const CertRequestPayload& c) const {
    append_u8(out, static_cast<std::uint8_t>(c.type));
    append_bytes(out, c.authority);
  }
  void operator()(const HashPayload& h) const { append_bytes(out, h.data); }
  void operator()(const SignaturePayload& s) const { append_bytes(out, s.data); }
  void operator()(const NoncePayload& n) const { append_bytes(out, n.data); }
  void operator()(const NotificationPayload& n) const {
    if (n.spi.size() > 0xff) throw std::length_error("ISAKMP Notification SPI longer than 255 bytes");
    append_u32(out, n.doi);
    append_u8(out, static_cast<std::uint8_t>(n.protocol));
    append_u8(out, static_cast<std::uint8_t>(n.spi.size()));
    append_u16(out, static_cast<std::uint16_t>(n.type));
    append_bytes(out, n.spi);
    append_bytes(out, n.data);
  }
  void operator()(const DeletePayload& d) const {
    check_limit(d.spis.size(), kMaxSpis, "SPIs in a Delete payload");
    if (d.spi_size == 0 && !d.spis.empty()) throw std::invalid_argument("ISAKMP Delete SPIs of size 0");
    append_u32(out, d.doi);
    append_u8(out, static_cast<std::uint8_t>(d.protocol));
    append_u8(out, d.spi_size);
    append_u16(out, static_cast<std::uint16_t>(d.spis.size()));
    for (const Bytes& spi : d.spis) {
      if (spi.size() != d.spi_size) throw std::invalid_argument("ISAKMP Delete SPI differs from its SPI size");
      append_bytes(out, spi);
    }
  }
  void operator()(const VendorIdPayload& v) const { append_bytes(out, v.data); }
  void operator()(const NatDPayload& d) const { append_bytes(out, d.hash); }
  void operator()(const NatOaPayload& oa) const {
    append_u8(out, static_cast<std::uint8_t>(oa.address.is_v4() ? IdType::Ipv4Address : IdType::Ipv6Address));
    append_u8(out, 0);
    append_u16(out, 0);
    append_bytes(out, oa.address.bytes());
  }
  void operator()(const GenericPayload& g) const {
    if (payload_kind(g.type) != PayloadKind::Generic)
      throw std::invalid_argument("ISAKMP GenericPayload with type " + number(g.type) +
                                  ", which the parser reads as a typed payload");
    append_bytes(out, g.body);
  }
};

}  // namespace

void patch_u16(Bytes& out, std::size_t at, std::size_t value, const char* what) {
  if (value > 0xffff) throw std::length_error(std::string("ISAKMP ") + what + " exceeds 65535");
  store_be16(out.data() + at, static_cast<std::uint16_t>(value));
}

PayloadKind payload_kind(std::uint8_t type) {
  switch (static_cast<PayloadType>(type)) {
    case PayloadType::SecurityAssociation:
    case PayloadType::KeyExchange:
    case PayloadType::Identification:
    case PayloadType::Certificate:
    case PayloadType::CertificateRequest:
    case PayloadType::Hash:
    case PayloadType::Signature:
    case PayloadType::Nonce:
    case PayloadType::Notification:
    case PayloadType::Delete:
    case PayloadType::VendorId:
    case PayloadType::NatDiscovery:
    case PayloadType::NatOriginalAddress:
    case PayloadType::NatDiscoveryDraft:
    case PayloadType::NatOriginalAddressDraft: return PayloadKind::Parsed;
    case PayloadType::None:  // ends the chain; a GenericPayload cannot carry it either
    case PayloadType::Proposal:
    case PayloadType::Transform: return PayloadKind::Misplaced;
    case PayloadType::Attribute: return PayloadKind::Generic;
  }
  return PayloadKind::Generic;
}

ParseResult<Payload> parse_payload_body(PayloadType type, ByteView body) {
  switch (type) {
    case PayloadType::SecurityAssociation: return parse_sa(body);
    case PayloadType::KeyExchange: return ok<Payload>(KePayload{copy(body)});
    case PayloadType::Identification: return parse_id(body);
    case PayloadType::Certificate: return parse_cert(body);
    case PayloadType::CertificateRequest: return parse_cert_request(body);
    case PayloadType::Hash: return ok<Payload>(HashPayload{copy(body)});
    case PayloadType::Signature: return ok<Payload>(SignaturePayload{copy(body)});
    case PayloadType::Nonce: return ok<Payload>(NoncePayload{copy(body)});
    case PayloadType::Notification: return parse_notification(body);
    case PayloadType::Delete: return parse_delete(body);
    case PayloadType::VendorId: return ok<Payload>(VendorIdPayload{copy(body)});
    case PayloadType::NatDiscovery: return ok<Payload>(NatDPayload{copy(body), false});
    case PayloadType::NatDiscoveryDraft: return ok<Payload>(NatDPayload{copy(body), true});
    case PayloadType::NatOriginalAddress:
    case PayloadType::NatOriginalAddressDraft: return parse_nat_oa(type, body);
    case PayloadType::None:
    case PayloadType::Proposal:
    case PayloadType::Transform:
    case PayloadType::Attribute: break;
  }
  return fail<Payload>(ParseError::InvalidSyntax,
                       "payload type " + number(static_cast<unsigned>(type)) + " has no body parser",
                       NotifyType::InvalidPayloadType);
}

void append_payload_body(const Payload& p, Bytes& out) { std::visit(BodyEncoder{out}, p); }

}  // namespace cygnet::wire::isakmp::detail
