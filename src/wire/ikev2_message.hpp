// IKEv2 message codec (RFC 7296 §3): the header and every payload as typed values, parsed with
// every length checked against the bytes left, serialised with lengths and the next-payload chain
// computed. The SK/SKF payloads are carried opaque here; src/ike decrypts them and parses the inner
// chain with parse_payload_chain().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "wire/parse_result.hpp"
#include "base/bytes.hpp"
#include "wire/ikev2_constants.hpp"
#include "wire/ip_address.hpp"

namespace cygnet::wire::ikev2 {

struct Header {
  std::uint64_t initiator_spi = 0;
  std::uint64_t responder_spi = 0;
  PayloadType next_payload = PayloadType::None;
  std::uint8_t version = kVersion;
  ExchangeType exchange = ExchangeType::IkeSaInit;
  std::uint8_t flags = 0;
  std::uint32_t message_id = 0;
  std::uint32_t length = 0;  // set by serialisation; checked against the datagram by parsing

  bool is_response() const { return (flags & kFlagResponse) != 0; }
  bool from_initiator() const { return (flags & kFlagInitiator) != 0; }
  friend bool operator==(const Header&, const Header&) = default;
};

// --- SA payload (§3.3) ---
struct Transform {
  TransformType type = TransformType::Encryption;
  std::uint16_t id = 0;
  std::optional<std::uint16_t> key_length;  // the Key Length attribute (bits), when present
  friend bool operator==(const Transform&, const Transform&) = default;
};

struct Proposal {
  std::uint8_t number = 1;  // 1-based, consecutive
  ProtocolId protocol = ProtocolId::Ike;
  Bytes spi;  // empty in IKE_SA_INIT; 8 bytes for IKE rekey; 4 for AH/ESP
  std::vector<Transform> transforms;
  friend bool operator==(const Proposal&, const Proposal&) = default;
};

struct SaPayload {
  std::vector<Proposal> proposals;
  friend bool operator==(const SaPayload&, const SaPayload&) = default;
};

struct KePayload {
  std::uint16_t group = 0;  // KeyExchangeId
  Bytes data;
  friend bool operator==(const KePayload&, const KePayload&) = default;
};

// IDi and IDr share this layout; Payload's alternative says which one it is.
struct IdPayload {
  IdType type = IdType::Ipv4Address;
  Bytes data;
  friend bool operator==(const IdPayload&, const IdPayload&) = default;
};
struct IdInitiatorPayload : IdPayload {};
struct IdResponderPayload : IdPayload {};

struct CertPayload {
  CertEncoding encoding = CertEncoding::X509Signature;
  Bytes data;  // DER
  friend bool operator==(const CertPayload&, const CertPayload&) = default;
};

struct CertReqPayload {
  CertEncoding encoding = CertEncoding::X509Signature;
  Bytes data;  // concatenated SHA-1 hashes of CA subject public key info (20 bytes each)
  friend bool operator==(const CertReqPayload&, const CertReqPayload&) = default;
};

struct AuthPayload {
  AuthMethod method = AuthMethod::SharedKeyMic;
  Bytes data;  // for DigitalSignature: 1-byte ASN.1 length, AlgorithmIdentifier, signature
  friend bool operator==(const AuthPayload&, const AuthPayload&) = default;
};

struct NoncePayload {
  Bytes data;  // 16..256 bytes (checked by the engine, not the codec)
  friend bool operator==(const NoncePayload&, const NoncePayload&) = default;
};

struct NotifyPayload {
  ProtocolId protocol = ProtocolId::None;
  Bytes spi;
  NotifyType type = NotifyType::InitialContact;  // any 16-bit value may appear
  Bytes data;
  friend bool operator==(const NotifyPayload&, const NotifyPayload&) = default;
};

struct DeletePayload {
  ProtocolId protocol = ProtocolId::Ike;
  std::uint8_t spi_size = 0;  // 0 for IKE, 4 for AH/ESP
  std::vector<Bytes> spis;    // each spi_size bytes
  friend bool operator==(const DeletePayload&, const DeletePayload&) = default;
};

struct VendorIdPayload {
  Bytes data;
  friend bool operator==(const VendorIdPayload&, const VendorIdPayload&) = default;
};

struct TrafficSelector {
  TsType type = TsType::Ipv4AddrRange;  // must agree with the address family
  std::uint8_t ip_protocol = 0;         // 0 = any
  std::uint16_t start_port = 0;
  std::uint16_t end_port = 65535;
  IpAddress start;
  IpAddress end;
  friend bool operator==(const TrafficSelector&, const TrafficSelector&) = default;
};

struct TsPayload {
  std::vector<TrafficSelector> selectors;
  friend bool operator==(const TsPayload&, const TsPayload&) = default;
};
struct TsInitiatorPayload : TsPayload {};
struct TsResponderPayload : TsPayload {};

// SK (§3.14): the Next Payload field of its generic header names the first inner payload.
struct EncryptedPayload {
  PayloadType first_inner = PayloadType::None;
  Bytes body;  // IV | ciphertext (inner payloads, padding, pad length) | ICV, as on the wire
  friend bool operator==(const EncryptedPayload&, const EncryptedPayload&) = default;
};

// SKF (RFC 7383 §2.5): first_inner is non-zero only in fragment 1.
struct EncryptedFragmentPayload {
  PayloadType first_inner = PayloadType::None;
  std::uint16_t fragment_number = 1;
  std::uint16_t total_fragments = 1;
  Bytes body;  // IV | ciphertext | ICV
  friend bool operator==(const EncryptedFragmentPayload&, const EncryptedFragmentPayload&) = default;
};

struct ConfigAttribute {
  std::uint16_t type = 0;  // 15-bit attribute type
  Bytes value;
  friend bool operator==(const ConfigAttribute&, const ConfigAttribute&) = default;
};

struct ConfigPayload {
  ConfigType type = ConfigType::Request;
  std::vector<ConfigAttribute> attributes;
  friend bool operator==(const ConfigPayload&, const ConfigPayload&) = default;
};

// EAP (§3.16): the body is one EAP packet, parsed by wire/eap_message.hpp when the engine needs it.
struct EapPayload {
  Bytes message;
  friend bool operator==(const EapPayload&, const EapPayload&) = default;
};

// A payload type this codec does not know; kept (and re-serialised) verbatim.
struct UnknownPayload {
  std::uint8_t type = 0;
  bool critical = false;
  Bytes body;
  friend bool operator==(const UnknownPayload&, const UnknownPayload&) = default;
};

using Payload =
    std::variant<SaPayload, KePayload, IdInitiatorPayload, IdResponderPayload, CertPayload,
                 CertReqPayload, AuthPayload, NoncePayload, NotifyPayload, DeletePayload,
                 VendorIdPayload, TsInitiatorPayload, TsResponderPayload, EncryptedPayload,
                 EncryptedFragmentPayload, ConfigPayload, EapPayload, UnknownPayload>;

PayloadType payload_type(const Payload& p);  // UnknownPayload → its raw type number
const char* payload_name(PayloadType t);     // "SA", "KE", "IDi", ... "SKF", "UNKNOWN"
const char* exchange_name(ExchangeType t);   // "IKE_SA_INIT", ...
const char* notify_name(NotifyType t);       // "NO_PROPOSAL_CHOSEN", ...; "UNKNOWN" otherwise

struct Message {
  Header header;
  std::vector<Payload> payloads;  // in wire order; an SK/SKF payload, when present, is last
  friend bool operator==(const Message&, const Message&) = default;
};

enum class ParseError : std::uint8_t {
  Truncated,                   // fewer bytes than a length field or fixed part needs
  BadLength,                   // header length differs from the datagram, or a payload length < 4
  UnsupportedVersion,          // major version != 2 (answer INVALID_MAJOR_VERSION)
  UnsupportedCriticalPayload,  // unknown payload with the critical bit (answer with its type)
  InvalidSyntax,               // a field value the RFC forbids (bad TS type/length, bad transform)
  TrailingData,                // bytes after the last payload
  EncryptedNotLast,            // SK/SKF followed by another payload
};
const char* parse_error_name(ParseError e);

struct ParseFailure {
  ParseError error = ParseError::Truncated;
  std::uint8_t critical_payload_type = 0;  // for UnsupportedCriticalPayload
  std::string detail;                      // e.g. "TSi: selector length 12 < 16"
};

template <typename T>
using ParseResult = BasicParseResult<T, ParseFailure>;

// The 28-byte header alone (used to route a datagram before deciding how to process it).
ParseResult<Header> parse_header(ByteView datagram);
// A whole IKEv2 message (without the non-ESP marker). Unknown non-critical payloads are kept as
// UnknownPayload; an unknown critical one fails with UnsupportedCriticalPayload.
ParseResult<Message> parse_message(ByteView datagram);
// The payload chain inside a decrypted SK payload (or a reassembled SKF message).
ParseResult<std::vector<Payload>> parse_payload_chain(PayloadType first, ByteView chain);

// Serialises; header.next_payload and header.length are computed. Throws std::length_error when a
// payload or count does not fit its field and std::invalid_argument for values the wire cannot
// express (TS addresses not matching the TS type, a Delete SPI not spi_size long).
Bytes serialize_message(const Message& message);

// A payload chain (for encryption into SK): the first payload's type and the bytes.
struct EncodedChain {
  PayloadType first = PayloadType::None;
  Bytes bytes;
};
EncodedChain encode_payload_chain(const std::vector<Payload>& payloads);

// Writes the 28-byte header with the given total length and first payload type (used when the
// engine builds SK messages, whose header is the AEAD's associated data).
void write_header(const Header& header, PayloadType first_payload, std::uint32_t total_length,
                  MutableByteView out28);

// Convenience lookups over a payload list.
template <typename T>
const T* find_payload(const std::vector<Payload>& payloads) {
  for (const Payload& p : payloads)
    if (const T* t = std::get_if<T>(&p)) return t;
  return nullptr;
}
const NotifyPayload* find_notify(const std::vector<Payload>& payloads, NotifyType type);

}  // namespace cygnet::wire::ikev2
