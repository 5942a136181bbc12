// Payload bodies of RFC 7296 §3.3-§3.16 and the SKF payload of RFC 7383 §2.5.
//
// Error classes, so that every failure says what kind of damage it found:
// - Truncated: the body is shorter than its fixed part, or than what a count/size field in that
//   fixed part announces (Notify SPI, Delete SPIs, SKF numbers).
// - InvalidSyntax: the body is long enough but its contents contradict themselves or the RFC: a
//   substructure (proposal, transform, attribute, selector, configuration attribute) running past
//   its container or shorter than its own header, counts that disagree with what follows, wrong
//   last/more flags, SPI sizes the protocol forbids, unknown TS types, wrong selector lengths.
#include "wire/ikev2_payload_codec.hpp"

#include <stdexcept>
#include <string>
#include <type_traits>

#include "wire/byte_reader.hpp"

namespace cygnet::wire::ikev2::detail {

namespace {

constexpr std::size_t kProposalHeaderLength = 8;
constexpr std::size_t kTransformHeaderLength = 8;
constexpr std::size_t kAttributeHeaderLength = 4;
constexpr std::size_t kSelectorHeaderLength = 8;  // type, protocol, length, start port, end port
constexpr std::size_t kIpv4SelectorLength = kSelectorHeaderLength + 2 * 4;
constexpr std::size_t kIpv6SelectorLength = kSelectorHeaderLength + 2 * 16;
constexpr std::size_t kIkeRekeySpiLength = 8;
constexpr std::size_t kChildSpiLength = 4;

// Substructure flags (§3.3.1, §3.3.2): 0 on the last one, 2 / 3 when another proposal /
// transform follows.
constexpr std::uint8_t kLastSubstructure = 0;
constexpr std::uint8_t kMoreProposals = 2;
constexpr std::uint8_t kMoreTransforms = 3;

// Attribute Format bit (§3.3.5): set for the 4-byte TV form, clear for TLV.
constexpr std::uint16_t kAttributeFormatTv = 0x8000;
constexpr std::uint16_t kAttributeTypeMask = 0x7fff;  // also the CP attribute type (§3.15.1)

std::string number(std::size_t n) { return std::to_string(n); }

template <typename T>
ParseResult<T> fail(ParseError error, std::string detail) {
  ParseResult<T> result;
  result.failure.error = error;
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

Bytes copy(ByteView v) { return Bytes(v.begin(), v.end()); }

// --- SA (§3.3) ---

// Transform attributes (§3.3.5). Only Key Length matters to IKEv2; any other attribute is skipped
// (RFC 7296 defines no other), but its framing must still be sound.
ParseResult<std::optional<std::uint16_t>> parse_transform_attributes(ByteView attributes) {
  using Result = std::optional<std::uint16_t>;
  Result key_length;
  ByteReader r(attributes);
  while (r.remaining() > 0) {
    if (r.remaining() < kAttributeHeaderLength)
      return fail<Result>(ParseError::InvalidSyntax,
                          "SA: transform attribute header needs 4 bytes, " + number(r.remaining()) + " left");
    const std::uint16_t format_and_type = *r.u16();
    const std::uint16_t length_or_value = *r.u16();
    const std::uint16_t type = format_and_type & kAttributeTypeMask;
    if ((format_and_type & kAttributeFormatTv) != 0) {
      if (type != kAttributeKeyLength) continue;
      if (key_length)
        return fail<Result>(ParseError::InvalidSyntax, "SA: transform carries two Key Length attributes");
      key_length = length_or_value;
      continue;
    }
    if (type == kAttributeKeyLength)
      return fail<Result>(ParseError::InvalidSyntax, "SA: Key Length attribute in TLV format (must be TV)");
    if (!r.skip(length_or_value))
      return fail<Result>(ParseError::InvalidSyntax,
                          "SA: transform attribute " + number(type) + " length " + number(length_or_value) +
                              " runs past its transform");
  }
  return ok(key_length);
}

ParseResult<Transform> parse_transform(ByteView bytes) {
  ByteReader r(bytes);  // the caller checked the 8-byte header is present
  r.skip(4);            // last/more, reserved, length: checked by the caller
  Transform t;
  t.type = static_cast<TransformType>(*r.u8());
  r.skip(1);
  t.id = *r.u16();
  auto attributes = parse_transform_attributes(r.rest());
  if (!attributes) return fail<Transform>(std::move(attributes.failure));
  t.key_length = *attributes.value;
  return ok(std::move(t));
}

// The SPI sizes §3.3.1 allows: none (initial IKE SA) or 8 for IKE, 4 for AH and ESP. Protocols
// this codec does not know are left to the engine, which will not choose them.
bool spi_size_allowed(ProtocolId protocol, std::size_t size) {
  switch (protocol) {
    case ProtocolId::Ike: return size == 0 || size == kIkeRekeySpiLength;
    case ProtocolId::Ah:
    case ProtocolId::Esp: return size == kChildSpiLength;
    case ProtocolId::None: return false;
  }
  return true;
}

ParseResult<Proposal> parse_proposal(ByteView bytes) {
  ByteReader r(bytes);  // the caller checked the 8-byte header is present
  r.skip(4);            // last/more, reserved, length: checked by the caller
  Proposal p;
  p.number = *r.u8();
  p.protocol = static_cast<ProtocolId>(*r.u8());
  const std::uint8_t spi_size = *r.u8();
  const std::uint8_t transform_count = *r.u8();
  if (p.protocol == ProtocolId::None)
    return fail<Proposal>(ParseError::InvalidSyntax, "SA: proposal " + number(p.number) + " has protocol 0");
  if (!spi_size_allowed(p.protocol, spi_size))
    return fail<Proposal>(ParseError::InvalidSyntax, "SA: proposal " + number(p.number) + " SPI size " +
                                                         number(spi_size) + " for protocol " +
                                                         number(static_cast<unsigned>(p.protocol)));
  auto spi = r.bytes(spi_size);
  if (!spi)
    return fail<Proposal>(ParseError::InvalidSyntax,
                          "SA: proposal " + number(p.number) + " SPI runs past the proposal");
  p.spi = copy(*spi);

  bool last_seen = false;
  while (r.remaining() > 0) {
    if (last_seen)
      return fail<Proposal>(ParseError::InvalidSyntax, "SA: bytes after the transform marked last");
    const ByteView rest = bytes.subspan(r.offset());
    if (rest.size() < kTransformHeaderLength)
      return fail<Proposal>(ParseError::InvalidSyntax,
                            "SA: transform header needs 8 bytes, " + number(rest.size()) + " left");
    const std::uint8_t last_or_more = rest[0];
    const std::uint16_t length = load_be16(rest.data() + 2);
    if (length < kTransformHeaderLength || length > rest.size())
      return fail<Proposal>(ParseError::InvalidSyntax, "SA: transform length " + number(length) + " with " +
                                                           number(rest.size()) + " bytes left in the proposal");
    if (last_or_more != kLastSubstructure && last_or_more != kMoreTransforms)
      return fail<Proposal>(ParseError::InvalidSyntax, "SA: transform last/more field " + number(last_or_more));
    last_seen = last_or_more == kLastSubstructure;
    auto transform = parse_transform(*r.bytes(length));
    if (!transform) return fail<Proposal>(std::move(transform.failure));
    p.transforms.push_back(std::move(*transform.value));
  }
  if (!p.transforms.empty() && !last_seen)
    return fail<Proposal>(ParseError::InvalidSyntax, "SA: last transform says more follow");
  if (p.transforms.size() != transform_count)
    return fail<Proposal>(ParseError::InvalidSyntax, "SA: proposal " + number(p.number) + " announces " +
                                                         number(transform_count) + " transforms, carries " +
                                                         number(p.transforms.size()));
  return ok(std::move(p));
}

ParseResult<Payload> parse_sa(ByteView body) {
  SaPayload sa;
  ByteReader r(body);
  bool last_seen = false;
  while (r.remaining() > 0) {
    if (last_seen) return fail<Payload>(ParseError::InvalidSyntax, "SA: bytes after the proposal marked last");
    const ByteView rest = body.subspan(r.offset());
    if (rest.size() < kProposalHeaderLength)
      return fail<Payload>(ParseError::InvalidSyntax,
                           "SA: proposal header needs 8 bytes, " + number(rest.size()) + " left");
    const std::uint8_t last_or_more = rest[0];
    const std::uint16_t length = load_be16(rest.data() + 2);
    if (length < kProposalHeaderLength || length > rest.size())
      return fail<Payload>(ParseError::InvalidSyntax, "SA: proposal length " + number(length) + " with " +
                                                          number(rest.size()) + " bytes left in the payload");
    if (last_or_more != kLastSubstructure && last_or_more != kMoreProposals)
      return fail<Payload>(ParseError::InvalidSyntax, "SA: proposal last/more field " + number(last_or_more));
    last_seen = last_or_more == kLastSubstructure;
    auto proposal = parse_proposal(*r.bytes(length));
    if (!proposal) return fail<Payload>(std::move(proposal.failure));
    sa.proposals.push_back(std::move(*proposal.value));
  }
  if (sa.proposals.empty()) return fail<Payload>(ParseError::InvalidSyntax, "SA: no proposals");
  if (!last_seen) return fail<Payload>(ParseError::InvalidSyntax, "SA: last proposal says more follow");
  // §3.3.1: an offer numbers its proposals 1, 2, 3...; an answer carries the single proposal it
  // accepted under that proposal's number, which can be anything but 0.
  if (sa.proposals.front().number == 0)
    return fail<Payload>(ParseError::InvalidSyntax, "SA: proposal number 0");
  if (sa.proposals.size() > 1) {
    for (std::size_t i = 0; i < sa.proposals.size(); ++i) {
      if (sa.proposals[i].number != i + 1)
        return fail<Payload>(ParseError::InvalidSyntax, "SA: proposal " + number(i + 1) + " is numbered " +
                                                            number(sa.proposals[i].number));
    }
  }
  return ok<Payload>(std::move(sa));
}

// --- payloads with a fixed part and opaque data ---

ParseResult<Payload> truncated(PayloadType type, std::size_t needed, std::size_t have) {
  return fail<Payload>(ParseError::Truncated, std::string(payload_name(type)) + ": body needs " + number(needed) +
                                                  " bytes, has " + number(have));
}

ParseResult<Payload> parse_ke(ByteView body) {
  ByteReader r(body);
  KePayload ke;
  auto group = r.u16();
  if (!group || !r.skip(2)) return truncated(PayloadType::KeyExchange, 4, body.size());
  ke.group = *group;
  ke.data = copy(r.rest());
  return ok<Payload>(std::move(ke));
}

template <typename IdT>
ParseResult<Payload> parse_id(PayloadType type, ByteView body) {
  ByteReader r(body);
  IdT id;
  auto id_type = r.u8();
  if (!id_type || !r.skip(3)) return truncated(type, 4, body.size());
  id.type = static_cast<IdType>(*id_type);
  id.data = copy(r.rest());
  return ok<Payload>(std::move(id));
}

template <typename CertT>
ParseResult<Payload> parse_cert(PayloadType type, ByteView body) {
  ByteReader r(body);
  CertT cert;
  auto encoding = r.u8();
  if (!encoding) return truncated(type, 1, body.size());
  cert.encoding = static_cast<CertEncoding>(*encoding);
  cert.data = copy(r.rest());
  return ok<Payload>(std::move(cert));
}

ParseResult<Payload> parse_auth(ByteView body) {
  ByteReader r(body);
  AuthPayload auth;
  auto method = r.u8();
  if (!method || !r.skip(3)) return truncated(PayloadType::Authentication, 4, body.size());
  auth.method = static_cast<AuthMethod>(*method);
  auth.data = copy(r.rest());
  return ok<Payload>(std::move(auth));
}

ParseResult<Payload> parse_notify(ByteView body) {
  ByteReader r(body);
  NotifyPayload n;
  auto protocol = r.u8();
  auto spi_size = r.u8();
  auto type = r.u16();
  if (!type) return truncated(PayloadType::Notify, 4, body.size());
  n.protocol = static_cast<ProtocolId>(*protocol);
  n.type = static_cast<NotifyType>(*type);
  auto spi = r.bytes(*spi_size);
  if (!spi) return truncated(PayloadType::Notify, 4 + std::size_t{*spi_size}, body.size());
  n.spi = copy(*spi);
  n.data = copy(r.rest());
  return ok<Payload>(std::move(n));
}

ParseResult<Payload> parse_delete(ByteView body) {
  ByteReader r(body);
  DeletePayload d;
  auto protocol = r.u8();
  auto spi_size = r.u8();
  auto count = r.u16();
  if (!count) return truncated(PayloadType::Delete, 4, body.size());
  d.protocol = static_cast<ProtocolId>(*protocol);
  d.spi_size = *spi_size;
  // §3.11: SPI size 0 for IKE (the SPIs are in the header) and 4 for AH/ESP. A zero size with a
  // non-zero count would describe SPIs without bytes.
  if (d.protocol == ProtocolId::None || (d.protocol == ProtocolId::Ike && d.spi_size != 0) ||
      ((d.protocol == ProtocolId::Ah || d.protocol == ProtocolId::Esp) && d.spi_size != kChildSpiLength) ||
      (d.spi_size == 0 && *count != 0))
    return fail<Payload>(ParseError::InvalidSyntax, "D: protocol " + number(static_cast<unsigned>(d.protocol)) +
                                                        " with SPI size " + number(d.spi_size) + " and " +
                                                        number(*count) + " SPIs");
  const std::size_t needed = std::size_t{d.spi_size} * *count;
  if (needed > r.remaining()) return truncated(PayloadType::Delete, 4 + needed, body.size());
  if (needed < r.remaining())
    return fail<Payload>(ParseError::InvalidSyntax, "D: " + number(r.remaining() - needed) + " bytes after the SPIs");
  d.spis.reserve(*count);
  for (std::size_t i = 0; i < *count; ++i) d.spis.push_back(copy(*r.bytes(d.spi_size)));
  return ok<Payload>(std::move(d));
}

// --- TSi/TSr (§3.13) ---

ParseResult<TrafficSelector> parse_selector(PayloadType type, ByteReader& r) {
  const std::string name = payload_name(type);
  const std::size_t left = r.remaining();
  if (left < 4)
    return fail<TrafficSelector>(ParseError::InvalidSyntax,
                                 name + ": selector header needs 4 bytes, " + number(left) + " left");
  TrafficSelector ts;
  ts.type = static_cast<TsType>(*r.u8());
  ts.ip_protocol = *r.u8();
  const std::uint16_t length = *r.u16();
  std::size_t expected = 0;
  if (ts.type == TsType::Ipv4AddrRange) expected = kIpv4SelectorLength;
  if (ts.type == TsType::Ipv6AddrRange) expected = kIpv6SelectorLength;
  if (expected == 0)
    return fail<TrafficSelector>(ParseError::InvalidSyntax,
                                 name + ": unsupported TS type " + number(static_cast<unsigned>(ts.type)));
  if (length != expected)
    return fail<TrafficSelector>(ParseError::InvalidSyntax, name + ": selector length " + number(length) +
                                                                (length < expected ? " < " : " > ") +
                                                                number(expected));
  if (length > left)
    return fail<TrafficSelector>(ParseError::InvalidSyntax, name + ": selector length " + number(length) +
                                                                " with " + number(left) + " bytes left");
  ts.start_port = *r.u16();
  ts.end_port = *r.u16();
  const std::size_t address_length = (expected - kSelectorHeaderLength) / 2;
  const ByteView start = *r.bytes(address_length);
  const ByteView end = *r.bytes(address_length);
  ts.start = address_length == 4 ? IpAddress::v4(start) : IpAddress::v6(start);
  ts.end = address_length == 4 ? IpAddress::v4(end) : IpAddress::v6(end);
  // Ports with start > end are legal: 65535..0 is how §3.13.1 encodes OPAQUE. An address range
  // with start > end has no meaning in the RFC and would select nothing, so it is refused.
  if (ts.end < ts.start)
    return fail<TrafficSelector>(ParseError::InvalidSyntax, name + ": start address " + ts.start.to_string() +
                                                                " > end address " + ts.end.to_string());
  return ok(std::move(ts));
}

template <typename TsT>
ParseResult<Payload> parse_ts(PayloadType type, ByteView body) {
  ByteReader r(body);
  TsT ts;
  auto count = r.u8();
  if (!count || !r.skip(3)) return truncated(type, 4, body.size());
  while (r.remaining() > 0) {
    auto selector = parse_selector(type, r);
    if (!selector) return fail<Payload>(std::move(selector.failure));
    ts.selectors.push_back(std::move(*selector.value));
  }
  if (ts.selectors.size() != *count)
    return fail<Payload>(ParseError::InvalidSyntax, std::string(payload_name(type)) + ": announces " +
                                                        number(*count) + " selectors, carries " +
                                                        number(ts.selectors.size()));
  return ok<Payload>(std::move(ts));
}

// --- SK, SKF, CP ---

ParseResult<Payload> parse_skf(PayloadType first_inner, ByteView body) {
  ByteReader r(body);
  EncryptedFragmentPayload skf;
  skf.first_inner = first_inner;
  auto fragment_number = r.u16();
  auto total = r.u16();
  if (!total) return truncated(PayloadType::EncryptedFragment, 4, body.size());
  // RFC 7383 §2.5: numbers start at 1 and never exceed the total.
  if (*fragment_number == 0 || *fragment_number > *total)
    return fail<Payload>(ParseError::InvalidSyntax,
                         "SKF: fragment " + number(*fragment_number) + " of " + number(*total));
  skf.fragment_number = *fragment_number;
  skf.total_fragments = *total;
  skf.body = copy(r.rest());
  return ok<Payload>(std::move(skf));
}

ParseResult<Payload> parse_cp(ByteView body) {
  ByteReader r(body);
  ConfigPayload cp;
  auto cfg_type = r.u8();
  if (!cfg_type || !r.skip(3)) return truncated(PayloadType::Configuration, 4, body.size());
  cp.type = static_cast<ConfigType>(*cfg_type);
  while (r.remaining() > 0) {
    if (r.remaining() < kAttributeHeaderLength)
      return fail<Payload>(ParseError::InvalidSyntax,
                           "CP: attribute header needs 4 bytes, " + number(r.remaining()) + " left");
    ConfigAttribute a;
    a.type = *r.u16() & kAttributeTypeMask;  // the top bit is reserved (§3.15.1)
    const std::uint16_t length = *r.u16();
    auto value = r.bytes(length);
    if (!value)
      return fail<Payload>(ParseError::InvalidSyntax, "CP: attribute " + number(a.type) + " length " +
                                                          number(length) + " runs past the payload");
    a.value = copy(*value);
    cp.attributes.push_back(std::move(a));
  }
  return ok<Payload>(std::move(cp));
}

// --- encoding ---

void append_transform(const Transform& t, bool last, Bytes& out) {
  const std::size_t start = out.size();
  append_u8(out, last ? kLastSubstructure : kMoreTransforms);
  append_u8(out, 0);
  append_u16(out, 0);  // length, patched below
  append_u8(out, static_cast<std::uint8_t>(t.type));
  append_u8(out, 0);
  append_u16(out, t.id);
  if (t.key_length) {
    append_u16(out, kAttributeFormatTv | kAttributeKeyLength);
    append_u16(out, *t.key_length);
  }
  patch_u16(out, start + 2, out.size() - start, "transform length");
}

void append_proposal(const Proposal& p, bool last, Bytes& out) {
  if (p.spi.size() > 0xff) throw std::length_error("IKEv2 proposal SPI longer than 255 bytes");
  if (p.transforms.size() > 0xff) throw std::length_error("IKEv2 proposal with more than 255 transforms");
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

void append_selector(const TrafficSelector& ts, Bytes& out) {
  const bool v4 = ts.type == TsType::Ipv4AddrRange;
  const bool v6 = ts.type == TsType::Ipv6AddrRange;
  if (!(v4 || v6) || ts.start.is_v4() != v4 || ts.end.is_v4() != v4)
    throw std::invalid_argument("IKEv2 traffic selector addresses disagree with its type");
  const ByteView start = ts.start.bytes();
  const ByteView end = ts.end.bytes();
  append_u8(out, static_cast<std::uint8_t>(ts.type));
  append_u8(out, ts.ip_protocol);
  append_u16(out, static_cast<std::uint16_t>(kSelectorHeaderLength + start.size() + end.size()));
  append_u16(out, ts.start_port);
  append_u16(out, ts.end_port);
  append_bytes(out, start);
  append_bytes(out, end);
}

void append_ts(const TsPayload& ts, Bytes& out) {
  if (ts.selectors.size() > 0xff) throw std::length_error("IKEv2 TS payload with more than 255 selectors");
  append_u8(out, static_cast<std::uint8_t>(ts.selectors.size()));
  append_u8(out, 0);
  append_u16(out, 0);
  for (const TrafficSelector& s : ts.selectors) append_selector(s, out);
}

void append_delete(const DeletePayload& d, Bytes& out) {
  if (d.spis.size() > 0xffff) throw std::length_error("IKEv2 Delete payload with more than 65535 SPIs");
  append_u8(out, static_cast<std::uint8_t>(d.protocol));
  append_u8(out, d.spi_size);
  append_u16(out, static_cast<std::uint16_t>(d.spis.size()));
  for (const Bytes& spi : d.spis) {
    if (spi.size() != d.spi_size) throw std::invalid_argument("IKEv2 Delete SPI differs from its SPI size");
    append_bytes(out, spi);
  }
}

// Overloads picked by std::visit, one per payload alternative.
struct BodyEncoder {
  Bytes& out;

  void operator()(const SaPayload& sa) const {
    for (std::size_t i = 0; i < sa.proposals.size(); ++i)
      append_proposal(sa.proposals[i], i + 1 == sa.proposals.size(), out);
  }
  void operator()(const KePayload& ke) const {
    append_u16(out, ke.group);
    append_u16(out, 0);
    append_bytes(out, ke.data);
  }
  void operator()(const IdPayload& id) const {
    append_u8(out, static_cast<std::uint8_t>(id.type));
    append_u8(out, 0);
    append_u16(out, 0);
    append_bytes(out, id.data);
  }
  void operator()(const CertPayload& c) const {
    append_u8(out, static_cast<std::uint8_t>(c.encoding));
    append_bytes(out, c.data);
  }
  void operator()(const CertReqPayload& c) const {
    append_u8(out, static_cast<std::uint8_t>(c.encoding));
    append_bytes(out, c.data);
  }
  void operator()(const AuthPayload& a) const {
    append_u8(out, static_cast<std::uint8_t>(a.method));
    append_u8(out, 0);
    append_u16(out, 0);
    append_bytes(out, a.data);
  }
  void operator()(const NoncePayload& n) const { append_bytes(out, n.data); }
  void operator()(const NotifyPayload& n) const {
    if (n.spi.size() > 0xff) throw std::length_error("IKEv2 Notify SPI longer than 255 bytes");
    append_u8(out, static_cast<std::uint8_t>(n.protocol));
    append_u8(out, static_cast<std::uint8_t>(n.spi.size()));
    append_u16(out, static_cast<std::uint16_t>(n.type));
    append_bytes(out, n.spi);
    append_bytes(out, n.data);
  }
  void operator()(const DeletePayload& d) const { append_delete(d, out); }
  void operator()(const VendorIdPayload& v) const { append_bytes(out, v.data); }
  void operator()(const TsPayload& ts) const { append_ts(ts, out); }
  void operator()(const EncryptedPayload& sk) const { append_bytes(out, sk.body); }
  void operator()(const EncryptedFragmentPayload& skf) const {
    append_u16(out, skf.fragment_number);
    append_u16(out, skf.total_fragments);
    append_bytes(out, skf.body);
  }
  void operator()(const ConfigPayload& cp) const {
    append_u8(out, static_cast<std::uint8_t>(cp.type));
    append_u8(out, 0);
    append_u16(out, 0);
    for (const ConfigAttribute& a : cp.attributes) {
      append_u16(out, a.type & kAttributeTypeMask);
      const std::size_t length_at = out.size();
      append_u16(out, 0);
      append_bytes(out, a.value);
      patch_u16(out, length_at, a.value.size(), "CP attribute length");
    }
  }
  void operator()(const EapPayload& eap) const { append_bytes(out, eap.message); }
  void operator()(const UnknownPayload& u) const { append_bytes(out, u.body); }
};

}  // namespace

void patch_u16(Bytes& out, std::size_t at, std::size_t value, const char* what) {
  if (value > 0xffff) throw std::length_error(std::string("IKEv2 ") + what + " exceeds 65535");
  store_be16(out.data() + at, static_cast<std::uint16_t>(value));
}

bool is_known_payload_type(std::uint8_t type) {
  switch (static_cast<PayloadType>(type)) {
    case PayloadType::SecurityAssociation:
    case PayloadType::KeyExchange:
    case PayloadType::IdInitiator:
    case PayloadType::IdResponder:
    case PayloadType::Certificate:
    case PayloadType::CertificateRequest:
    case PayloadType::Authentication:
    case PayloadType::Nonce:
    case PayloadType::Notify:
    case PayloadType::Delete:
    case PayloadType::VendorId:
    case PayloadType::TsInitiator:
    case PayloadType::TsResponder:
    case PayloadType::Encrypted:
    case PayloadType::Configuration:
    case PayloadType::Eap:
    case PayloadType::EncryptedFragment: return true;
    case PayloadType::None: return false;
  }
  return false;
}

ParseResult<Payload> parse_payload_body(PayloadType type, PayloadType next_payload, bool /*critical*/,
                                        ByteView body) {
  switch (type) {
    case PayloadType::SecurityAssociation: return parse_sa(body);
    case PayloadType::KeyExchange: return parse_ke(body);
    case PayloadType::IdInitiator: return parse_id<IdInitiatorPayload>(type, body);
    case PayloadType::IdResponder: return parse_id<IdResponderPayload>(type, body);
    case PayloadType::Certificate: return parse_cert<CertPayload>(type, body);
    case PayloadType::CertificateRequest: return parse_cert<CertReqPayload>(type, body);
    case PayloadType::Authentication: return parse_auth(body);
    case PayloadType::Nonce: return ok<Payload>(NoncePayload{copy(body)});
    case PayloadType::Notify: return parse_notify(body);
    case PayloadType::Delete: return parse_delete(body);
    case PayloadType::VendorId: return ok<Payload>(VendorIdPayload{copy(body)});
    case PayloadType::TsInitiator: return parse_ts<TsInitiatorPayload>(type, body);
    case PayloadType::TsResponder: return parse_ts<TsResponderPayload>(type, body);
    case PayloadType::Encrypted: return ok<Payload>(EncryptedPayload{next_payload, copy(body)});
    case PayloadType::Configuration: return parse_cp(body);
    case PayloadType::EncryptedFragment: return parse_skf(next_payload, body);
    case PayloadType::Eap: return ok<Payload>(EapPayload{copy(body)});
    case PayloadType::None: break;
  }
  return fail<Payload>(ParseError::InvalidSyntax, "payload type " + number(static_cast<unsigned>(type)) +
                                                      " has no body parser");
}

void append_payload_body(const Payload& p, Bytes& out) { std::visit(BodyEncoder{out}, p); }

}  // namespace cygnet::wire::ikev2::detail
