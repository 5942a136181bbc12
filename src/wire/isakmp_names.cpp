// Display names for ISAKMP numbers, as RFC 2408 §3 / RFC 2407 §4 / RFC 3947 / RFC 3706 spell them,
// used in logs and event text.
#include "wire/isakmp_message.hpp"

namespace cygnet::wire::isakmp {

const char* payload_name(PayloadType t) {
  switch (t) {
    case PayloadType::None: return "NONE";
    case PayloadType::SecurityAssociation: return "SA";
    case PayloadType::Proposal: return "P";
    case PayloadType::Transform: return "T";
    case PayloadType::KeyExchange: return "KE";
    case PayloadType::Identification: return "ID";
    case PayloadType::Certificate: return "CERT";
    case PayloadType::CertificateRequest: return "CR";
    case PayloadType::Hash: return "HASH";
    case PayloadType::Signature: return "SIG";
    case PayloadType::Nonce: return "NONCE";
    case PayloadType::Notification: return "N";
    case PayloadType::Delete: return "D";
    case PayloadType::VendorId: return "VID";
    case PayloadType::Attribute: return "ATTR";
    case PayloadType::NatDiscovery: return "NAT-D";
    case PayloadType::NatOriginalAddress: return "NAT-OA";
    case PayloadType::NatDiscoveryDraft: return "NAT-D (draft)";
    case PayloadType::NatOriginalAddressDraft: return "NAT-OA (draft)";
  }
  return "UNKNOWN";
}

const char* exchange_name(ExchangeType t) {
  switch (t) {
    case ExchangeType::None: return "NONE";
    case ExchangeType::Base: return "BASE";
    case ExchangeType::IdentityProtection: return "IDENTITY_PROTECTION (Main Mode)";
    case ExchangeType::AuthenticationOnly: return "AUTHENTICATION_ONLY";
    case ExchangeType::Aggressive: return "AGGRESSIVE";
    case ExchangeType::Informational: return "INFORMATIONAL";
    case ExchangeType::Transaction: return "TRANSACTION (Mode Config)";
    case ExchangeType::QuickMode: return "QUICK_MODE";
    case ExchangeType::NewGroupMode: return "NEW_GROUP_MODE";
  }
  return "UNKNOWN";
}

const char* notify_name(NotifyType t) {
  switch (t) {
    case NotifyType::InvalidPayloadType: return "INVALID-PAYLOAD-TYPE";
    case NotifyType::DoiNotSupported: return "DOI-NOT-SUPPORTED";
    case NotifyType::SituationNotSupported: return "SITUATION-NOT-SUPPORTED";
    case NotifyType::InvalidCookie: return "INVALID-COOKIE";
    case NotifyType::InvalidMajorVersion: return "INVALID-MAJOR-VERSION";
    case NotifyType::InvalidMinorVersion: return "INVALID-MINOR-VERSION";
    case NotifyType::InvalidExchangeType: return "INVALID-EXCHANGE-TYPE";
    case NotifyType::InvalidFlags: return "INVALID-FLAGS";
    case NotifyType::InvalidMessageId: return "INVALID-MESSAGE-ID";
    case NotifyType::InvalidProtocolId: return "INVALID-PROTOCOL-ID";
    case NotifyType::InvalidSpi: return "INVALID-SPI";
    case NotifyType::InvalidTransformId: return "INVALID-TRANSFORM-ID";
    case NotifyType::AttributesNotSupported: return "ATTRIBUTES-NOT-SUPPORTED";
    case NotifyType::NoProposalChosen: return "NO-PROPOSAL-CHOSEN";
    case NotifyType::BadProposalSyntax: return "BAD-PROPOSAL-SYNTAX";
    case NotifyType::PayloadMalformed: return "PAYLOAD-MALFORMED";
    case NotifyType::InvalidKeyInformation: return "INVALID-KEY-INFORMATION";
    case NotifyType::InvalidIdInformation: return "INVALID-ID-INFORMATION";
    case NotifyType::InvalidCertEncoding: return "INVALID-CERT-ENCODING";
    case NotifyType::InvalidCertificate: return "INVALID-CERTIFICATE";
    case NotifyType::CertTypeUnsupported: return "CERT-TYPE-UNSUPPORTED";
    case NotifyType::InvalidCertAuthority: return "INVALID-CERT-AUTHORITY";
    case NotifyType::InvalidHashInformation: return "INVALID-HASH-INFORMATION";
    case NotifyType::AuthenticationFailed: return "AUTHENTICATION-FAILED";
    case NotifyType::InvalidSignature: return "INVALID-SIGNATURE";
    case NotifyType::AddressNotification: return "ADDRESS-NOTIFICATION";
    case NotifyType::NotifySaLifetime: return "NOTIFY-SA-LIFETIME";
    case NotifyType::CertificateUnavailable: return "CERTIFICATE-UNAVAILABLE";
    case NotifyType::UnsupportedExchangeType: return "UNSUPPORTED-EXCHANGE-TYPE";
    case NotifyType::UnequalPayloadLengths: return "UNEQUAL-PAYLOAD-LENGTHS";
    case NotifyType::Connected: return "CONNECTED";
    case NotifyType::ResponderLifetime: return "RESPONDER-LIFETIME";
    case NotifyType::ReplayStatus: return "REPLAY-STATUS";
    case NotifyType::InitialContact: return "INITIAL-CONTACT";
    case NotifyType::RUThere: return "R-U-THERE";
    case NotifyType::RUThereAck: return "R-U-THERE-ACK";
  }
  return "UNKNOWN";
}

const char* protocol_name(ProtocolId p) {
  switch (p) {
    case ProtocolId::None: return "NONE";
    case ProtocolId::Isakmp: return "PROTO_ISAKMP";
    case ProtocolId::Ah: return "PROTO_IPSEC_AH";
    case ProtocolId::Esp: return "PROTO_IPSEC_ESP";
    case ProtocolId::Ipcomp: return "PROTO_IPCOMP";
  }
  return "UNKNOWN";
}

const char* id_type_name(IdType t) {
  switch (t) {
    case IdType::Ipv4Address: return "ID_IPV4_ADDR";
    case IdType::Fqdn: return "ID_FQDN";
    case IdType::UserFqdn: return "ID_USER_FQDN";
    case IdType::Ipv4AddressSubnet: return "ID_IPV4_ADDR_SUBNET";
    case IdType::Ipv6Address: return "ID_IPV6_ADDR";
    case IdType::Ipv6AddressSubnet: return "ID_IPV6_ADDR_SUBNET";
    case IdType::Ipv4AddressRange: return "ID_IPV4_ADDR_RANGE";
    case IdType::Ipv6AddressRange: return "ID_IPV6_ADDR_RANGE";
    case IdType::DerAsn1Dn: return "ID_DER_ASN1_DN";
    case IdType::DerAsn1Gn: return "ID_DER_ASN1_GN";
    case IdType::KeyId: return "ID_KEY_ID";
  }
  return "UNKNOWN";
}

const char* phase1_attribute_name(std::uint16_t type) {
  switch (static_cast<Phase1Attribute>(type)) {
    case Phase1Attribute::EncryptionAlgorithm: return "Encryption Algorithm";
    case Phase1Attribute::HashAlgorithm: return "Hash Algorithm";
    case Phase1Attribute::AuthenticationMethod: return "Authentication Method";
    case Phase1Attribute::GroupDescription: return "Group Description";
    case Phase1Attribute::GroupType: return "Group Type";
    case Phase1Attribute::GroupPrime: return "Group Prime/Irreducible Polynomial";
    case Phase1Attribute::GroupGeneratorOne: return "Group Generator One";
    case Phase1Attribute::GroupGeneratorTwo: return "Group Generator Two";
    case Phase1Attribute::GroupCurveA: return "Group Curve A";
    case Phase1Attribute::GroupCurveB: return "Group Curve B";
    case Phase1Attribute::LifeType: return "Life Type";
    case Phase1Attribute::LifeDuration: return "Life Duration";
    case Phase1Attribute::Prf: return "PRF";
    case Phase1Attribute::KeyLength: return "Key Length";
    case Phase1Attribute::FieldSize: return "Field Size";
    case Phase1Attribute::GroupOrder: return "Group Order";
  }
  return "UNKNOWN";
}

const char* phase2_attribute_name(std::uint16_t type) {
  switch (static_cast<Phase2Attribute>(type)) {
    case Phase2Attribute::SaLifeType: return "SA Life Type";
    case Phase2Attribute::SaLifeDuration: return "SA Life Duration";
    case Phase2Attribute::GroupDescription: return "Group Description";
    case Phase2Attribute::EncapsulationMode: return "Encapsulation Mode";
    case Phase2Attribute::AuthenticationAlgorithm: return "Authentication Algorithm";
    case Phase2Attribute::KeyLength: return "Key Length";
    case Phase2Attribute::KeyRounds: return "Key Rounds";
    case Phase2Attribute::CompressDictionarySize: return "Compress Dictionary Size";
    case Phase2Attribute::CompressPrivateAlgorithm: return "Compress Private Algorithm";
    case Phase2Attribute::EcnTunnel: return "ECN Tunnel";
    case Phase2Attribute::ExtendedSequenceNumber: return "Extended (64-bit) Sequence Number";
  }
  return "UNKNOWN";
}

const char* parse_error_name(ParseError e) {
  switch (e) {
    case ParseError::Truncated: return "truncated";
    case ParseError::LengthMismatch: return "length_mismatch";
    case ParseError::BadPayloadLength: return "bad_payload_length";
    case ParseError::UnterminatedChain: return "unterminated_chain";
    case ParseError::UnsupportedVersion: return "unsupported_version";
    case ParseError::LimitExceeded: return "limit_exceeded";
    case ParseError::InvalidSyntax: return "invalid_syntax";
    case ParseError::TrailingData: return "trailing_data";
  }
  return "unknown";
}

}  // namespace cygnet::wire::isakmp
