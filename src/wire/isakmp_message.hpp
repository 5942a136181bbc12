// ISAKMP message codec for IKEv1 (RFC 2408 §3 with the IPsec DOI of RFC 2407 §4, RFC 2409, NAT
// traversal of RFC 3947, dead peer detection of RFC 3706): the 28-byte header and every payload as
// typed values, parsed with every length checked against the bytes left, serialised with lengths
// and the next-payload chain computed.
//
// An encrypted message (flags & kFlagEncryption) is exposed as its header and the raw ciphertext
// after it: the engine decrypts it with the phase-1 keys and parses the plaintext with
// parse_payload_chain(header.next_payload, plaintext, Padding::Allow), because RFC 2409 senders pad
// the plaintext to the cipher's block size after the last payload.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "wire/parse_result.hpp"
#include "base/bytes.hpp"
#include "wire/ip_address.hpp"
#include "wire/isakmp_constants.hpp"

namespace cygnet::wire::isakmp {

struct Header {
  std::uint64_t initiator_cookie = 0;
  std::uint64_t responder_cookie = 0;  // zero in the first message of an exchange
  PayloadType next_payload = PayloadType::None;
  std::uint8_t version = kVersion;
  ExchangeType exchange = ExchangeType::IdentityProtection;
  std::uint8_t flags = 0;
  std::uint32_t message_id = 0;  // zero in phase 1
  std::uint32_t length = 0;      // set by serialisation; checked against the datagram by parsing

  bool encrypted() const { return (flags & kFlagEncryption) != 0; }
  bool commit() const { return (flags & kFlagCommit) != 0; }
  bool authentication_only() const { return (flags & kFlagAuthenticationOnly) != 0; }
  friend bool operator==(const Header&, const Header&) = default;
};

// The 16-byte ISAKMP SPI (initiator cookie ‖ responder cookie) that Delete and Notification
// payloads about the ISAKMP SA carry (RFC 2408 §3.14/§3.15, RFC 3706 §5).
Bytes isakmp_spi(const Header& header);

// --- SA payload (RFC 2408 §3.4–§3.6, RFC 2407 §4.5) ---

// A data attribute (RFC 2408 §3.3): the TV ("basic", AF bit set) form carries a 16-bit value, the
// TLV ("variable") form a byte string. The form is kept as received so that a re-encoding is exact;
// attributes the engine does not know are kept too.
struct Attribute {
  std::uint16_t type = 0;                    // 15-bit attribute type, without the AF bit
  std::variant<std::uint16_t, Bytes> value;  // uint16_t: TV; Bytes: TLV

  template <typename T, typename V>
  static Attribute basic(T type, V v) {
    return {static_cast<std::uint16_t>(type), static_cast<std::uint16_t>(v)};
  }
  template <typename T>
  static Attribute variable(T type, Bytes v) {
    return {static_cast<std::uint16_t>(type), std::move(v)};
  }
  bool is_basic() const { return std::holds_alternative<std::uint16_t>(value); }
  // The value as an integer: the TV value, or a TLV value of 1..8 bytes read big-endian (a Life
  // Duration may arrive either way, RFC 2409 App. A). nullopt for longer or empty TLV values.
  std::optional<std::uint64_t> integer() const;
  friend bool operator==(const Attribute&, const Attribute&) = default;
};

// The integer attribute with the smallest encoding: TV when it fits 16 bits, else a TLV of 4 bytes
// (or 8 when it needs more than 32 bits). For Life Duration and similar "V" attributes.
Attribute integer_attribute(std::uint16_t type, std::uint64_t value);

struct Transform {
  std::uint8_t number = 1;
  std::uint8_t id = kTransformKeyIke;  // KEY_IKE in phase 1; an Esp/Ah/IpcompTransformId in phase 2
  std::vector<Attribute> attributes;   // in wire order

  const Attribute* find(std::uint16_t type) const;
  friend bool operator==(const Transform&, const Transform&) = default;
};

// Proposals sharing a number form one suite (e.g. AH and ESP together, RFC 2408 §4.2); numbering
// is kept as received and judged by the engine.
struct Proposal {
  std::uint8_t number = 1;
  ProtocolId protocol = ProtocolId::Isakmp;
  Bytes spi;  // phase 1: empty (or the 16-byte cookies); AH/ESP: 4 bytes; IPCOMP: a 2- or 4-byte CPI
  std::vector<Transform> transforms;
  friend bool operator==(const Proposal&, const Proposal&) = default;
};

struct SaPayload {
  std::uint32_t doi = kDoiIpsec;
  std::uint32_t situation = kSituationIdentityOnly;  // labeled situations are refused
  std::vector<Proposal> proposals;
  friend bool operator==(const SaPayload&, const SaPayload&) = default;
};

// --- the other payloads (RFC 2408 §3.7–§3.16, RFC 3947) ---

struct KePayload {
  Bytes data;  // the Diffie-Hellman public value; the group is in the SA
  friend bool operator==(const KePayload&, const KePayload&) = default;
};

// Identification (RFC 2408 §3.8 with the IPsec DOI fields of RFC 2407 §4.6.2): protocol and port
// are 0 in phase 1 (or 17/500), and restrict the selector in Quick Mode IDci/IDcr.
struct IdPayload {
  IdType type = IdType::Ipv4Address;
  std::uint8_t protocol = 0;
  std::uint16_t port = 0;
  Bytes data;
  friend bool operator==(const IdPayload&, const IdPayload&) = default;
};

struct CertPayload {
  CertEncoding encoding = CertEncoding::X509Signature;
  Bytes data;
  friend bool operator==(const CertPayload&, const CertPayload&) = default;
};

struct CertRequestPayload {
  CertEncoding type = CertEncoding::X509Signature;
  Bytes authority;  // a DER distinguished name, or empty for "any"
  friend bool operator==(const CertRequestPayload&, const CertRequestPayload&) = default;
};

struct HashPayload {
  Bytes data;
  friend bool operator==(const HashPayload&, const HashPayload&) = default;
};

struct SignaturePayload {
  Bytes data;
  friend bool operator==(const SignaturePayload&, const SignaturePayload&) = default;
};

struct NoncePayload {
  Bytes data;  // 8..256 bytes (checked by the engine, RFC 2409 §5)
  friend bool operator==(const NoncePayload&, const NoncePayload&) = default;
};

// Notification (RFC 2408 §3.14): the SPI size is spi.size(). R-U-THERE/ACK carry the ISAKMP SPI
// (16 bytes) and a 4-byte sequence number as data (RFC 3706 §5).
struct NotificationPayload {
  std::uint32_t doi = kDoiIpsec;
  ProtocolId protocol = ProtocolId::Isakmp;
  NotifyType type = NotifyType::InitialContact;  // any 16-bit value may appear
  Bytes spi;
  Bytes data;
  friend bool operator==(const NotificationPayload&, const NotificationPayload&) = default;
};

// Delete (RFC 2408 §3.15): 16-byte ISAKMP SPIs for the ISAKMP SA, 4-byte SPIs for AH/ESP.
struct DeletePayload {
  std::uint32_t doi = kDoiIpsec;
  ProtocolId protocol = ProtocolId::Esp;
  std::uint8_t spi_size = 4;
  std::vector<Bytes> spis;  // each spi_size bytes
  friend bool operator==(const DeletePayload&, const DeletePayload&) = default;
};

struct VendorIdPayload {
  Bytes data;
  friend bool operator==(const VendorIdPayload&, const VendorIdPayload&) = default;
};

// NAT-D (RFC 3947 §3.2): HASH(CKY-I | CKY-R | IP | Port). draft_number: sent or received as the
// draft's payload type 130 instead of 20.
struct NatDPayload {
  Bytes hash;
  bool draft_number = false;
  friend bool operator==(const NatDPayload&, const NatDPayload&) = default;
};

// NAT-OA (RFC 3947 §5.2): ID_IPV4_ADDR or ID_IPV6_ADDR (from the address family) and the address.
// draft_number: type 131 instead of 21.
struct NatOaPayload {
  IpAddress address;
  bool draft_number = false;
  friend bool operator==(const NatOaPayload&, const NatOaPayload&) = default;
};

// A payload type this codec does not parse (mode-cfg Attribute, fragments, private types); kept
// and re-serialised verbatim.
struct GenericPayload {
  std::uint8_t type = 0;
  Bytes body;
  friend bool operator==(const GenericPayload&, const GenericPayload&) = default;
};

using Payload = std::variant<SaPayload, KePayload, IdPayload, CertPayload, CertRequestPayload, HashPayload,
                             SignaturePayload, NoncePayload, NotificationPayload, DeletePayload,
                             VendorIdPayload, NatDPayload, NatOaPayload, GenericPayload>;

PayloadType payload_type(const Payload& p);  // the type written on the wire (130/131 for drafts)

struct Message {
  Header header;
  // Cleartext messages: the payloads in wire order. Encrypted messages: empty.
  std::vector<Payload> payloads;
  // Encrypted messages only: every byte after the header (ciphertext, padding included). The
  // header's next_payload names the first payload inside and is written as given.
  Bytes encrypted_body;
  friend bool operator==(const Message&, const Message&) = default;
};

// --- parsing ---

enum class ParseError : std::uint8_t {
  Truncated,           // fewer bytes than the header or a payload's fixed part / count needs
  LengthMismatch,      // the header's length differs from the datagram's
  BadPayloadLength,    // a payload length < 4, or running past the end of the message
  UnterminatedChain,   // the bytes ran out while the last payload still names a next one
  UnsupportedVersion,  // major version != 1
  LimitExceeded,       // more proposals, transforms, attributes, SPIs or payloads than allowed
  InvalidSyntax,       // a field value the RFCs forbid (substructure framing, counts, DOI, ...)
  TrailingData,        // bytes after the last payload (without Padding::Allow)
};
const char* parse_error_name(ParseError e);

struct ParseFailure {
  ParseError error = ParseError::Truncated;
  // The notification RFC 2408 §5 has a receiver send for this failure (PAYLOAD-MALFORMED,
  // BAD-PROPOSAL-SYNTAX, INVALID-MAJOR-VERSION, ...), for an engine that chooses to answer.
  NotifyType notify = NotifyType::PayloadMalformed;
  std::string detail;  // e.g. "SA: transform length 6 < 8"
};

template <typename T>
using ParseResult = BasicParseResult<T, ParseFailure>;

// The 28-byte header alone; version and length are reported, not judged.
ParseResult<Header> parse_header(ByteView datagram);
// A whole message (without the non-ESP marker on port 4500). Encrypted messages stop after the
// header (see Message::encrypted_body).
ParseResult<Message> parse_message(ByteView datagram);

// Whether bytes may follow the payload whose Next Payload is 0: RFC 2409 pads the plaintext of an
// encrypted message to the cipher's block size (senders fill it with zeros, random bytes or a pad
// length; the content is not judged). A cleartext message must not have any.
enum class Padding : std::uint8_t { Reject, Allow };
ParseResult<std::vector<Payload>> parse_payload_chain(PayloadType first, ByteView chain,
                                                      Padding padding = Padding::Reject);

// --- serialisation ---

// Serialises; header.length is computed, and header.next_payload too unless the message is
// encrypted. Throws std::length_error when a length or count does not fit its field or exceeds a
// parse limit (so that whatever is written parses back), std::invalid_argument for values the wire
// cannot express (payloads in an encrypted message, a Delete SPI not spi_size long, a TV attribute
// type above 0x7fff, a GenericPayload whose type the parser would read as something else).
Bytes serialize_message(const Message& message);

// A payload chain (the plaintext to encrypt): the first payload's type and the bytes, unpadded.
struct EncodedChain {
  PayloadType first = PayloadType::None;
  Bytes bytes;
};
EncodedChain encode_payload_chain(const std::vector<Payload>& payloads);

// Writes the 28-byte header with the given first payload type and total length.
void write_header(const Header& header, PayloadType first_payload, std::uint32_t total_length,
                  MutableByteView out28);

// --- lookups and names ---

template <typename T>
const T* find_payload(const std::vector<Payload>& payloads) {
  for (const Payload& p : payloads)
    if (const T* t = std::get_if<T>(&p)) return t;
  return nullptr;
}
const NotificationPayload* find_notification(const std::vector<Payload>& payloads, NotifyType type);

const char* payload_name(PayloadType t);      // "SA", "KE", "ID", ... "NAT-D"; "UNKNOWN" otherwise
const char* exchange_name(ExchangeType t);    // "IDENTITY_PROTECTION (Main Mode)", "QUICK_MODE", ...
const char* notify_name(NotifyType t);        // "INVALID-PAYLOAD-TYPE", "R-U-THERE", ...
const char* protocol_name(ProtocolId p);      // "PROTO_ISAKMP", "PROTO_IPSEC_ESP", ...
const char* id_type_name(IdType t);           // "ID_IPV4_ADDR", ...
const char* phase1_attribute_name(std::uint16_t type);  // "Encryption Algorithm", ...
const char* phase2_attribute_name(std::uint16_t type);  // "SA Life Type", ...

}  // namespace cygnet::wire::isakmp
