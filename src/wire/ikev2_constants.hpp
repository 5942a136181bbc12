// IKEv2 numbers from the IANA "Internet Key Exchange Version 2 (IKEv2) Parameters" registry
// (RFC 7296 §3, RFC 7383, RFC 7427, RFC 5903, RFC 8031). Names follow the RFC text.
#pragma once

#include <cstdint>

namespace cygnet::wire::ikev2 {

inline constexpr std::uint8_t kVersion = 0x20;  // major 2, minor 0
inline constexpr std::size_t kHeaderLength = 28;
inline constexpr std::size_t kGenericPayloadHeaderLength = 4;
inline constexpr std::uint16_t kIkePort = 500;
inline constexpr std::uint16_t kNatTraversalPort = 4500;  // IKE here carries a 4-byte zero non-ESP marker

enum class ExchangeType : std::uint8_t {
  IkeSaInit = 34,
  IkeAuth = 35,
  CreateChildSa = 36,
  Informational = 37,
};

// Header flags (RFC 7296 §3.1).
inline constexpr std::uint8_t kFlagInitiator = 0x08;
inline constexpr std::uint8_t kFlagVersion = 0x10;
inline constexpr std::uint8_t kFlagResponse = 0x20;

enum class PayloadType : std::uint8_t {
  None = 0,
  SecurityAssociation = 33,
  KeyExchange = 34,
  IdInitiator = 35,
  IdResponder = 36,
  Certificate = 37,
  CertificateRequest = 38,
  Authentication = 39,
  Nonce = 40,
  Notify = 41,
  Delete = 42,
  VendorId = 43,
  TsInitiator = 44,
  TsResponder = 45,
  Encrypted = 46,
  Configuration = 47,
  Eap = 48,
  EncryptedFragment = 53,  // RFC 7383
};

enum class ProtocolId : std::uint8_t { None = 0, Ike = 1, Ah = 2, Esp = 3 };

enum class TransformType : std::uint8_t {
  Encryption = 1,
  Prf = 2,
  Integrity = 3,
  KeyExchange = 4,  // "Diffie-Hellman group" in RFC 7296
  Esn = 5,
};

// Transform type 1.
enum class EncryptionId : std::uint16_t {
  DesIv64 = 1,
  Des = 2,
  TripleDes = 3,
  Null = 11,
  AesCbc = 12,
  AesCtr = 13,
  AesCcm8 = 14,
  AesCcm12 = 15,
  AesCcm16 = 16,
  AesGcm8 = 18,
  AesGcm12 = 19,
  AesGcm16 = 20,
  ChaCha20Poly1305 = 28,
};

// Transform type 2.
enum class PrfId : std::uint16_t {
  HmacMd5 = 1,
  HmacSha1 = 2,
  AesXcbc = 4,
  HmacSha2_256 = 5,
  HmacSha2_384 = 6,
  HmacSha2_512 = 7,
};

// Transform type 3.
enum class IntegrityId : std::uint16_t {
  None = 0,
  HmacMd5_96 = 1,
  HmacSha1_96 = 2,
  DesMac = 3,
  KpdkMd5 = 4,
  AesXcbc96 = 5,
  HmacSha2_256_128 = 12,
  HmacSha2_384_192 = 13,
  HmacSha2_512_256 = 14,
};

// Transform type 4.
enum class KeyExchangeId : std::uint16_t {
  None = 0,
  Modp768 = 1,
  Modp1024 = 2,
  Modp1536 = 5,
  Modp2048 = 14,
  Modp3072 = 15,
  Modp4096 = 16,
  Modp6144 = 17,
  Modp8192 = 18,
  Ecp256 = 19,
  Ecp384 = 20,
  Ecp521 = 21,
  Modp1024s160 = 22,
  Modp2048s224 = 23,
  Modp2048s256 = 24,
  Curve25519 = 31,
  Curve448 = 32,
};

// Transform type 5.
enum class EsnId : std::uint16_t { NoEsn = 0, Esn = 1 };

inline constexpr std::uint16_t kAttributeKeyLength = 14;  // TV format (AF bit set)

enum class IdType : std::uint8_t {
  Ipv4Address = 1,
  Fqdn = 2,
  Rfc822Address = 3,
  Ipv6Address = 5,
  DerAsn1Dn = 9,
  DerAsn1Gn = 10,
  KeyId = 11,
};

enum class AuthMethod : std::uint8_t {
  RsaSignature = 1,
  SharedKeyMic = 2,
  DssSignature = 3,
  EcdsaSha256P256 = 9,
  EcdsaSha384P384 = 10,
  EcdsaSha512P521 = 11,
  DigitalSignature = 14,  // RFC 7427
};

enum class CertEncoding : std::uint8_t { X509Signature = 4 };

enum class TsType : std::uint8_t { Ipv4AddrRange = 7, Ipv6AddrRange = 8 };

enum class ConfigType : std::uint8_t { Request = 1, Reply = 2, Set = 3, Ack = 4 };

// Notify message types (RFC 7296 §3.10.1 and later RFCs). Below 16384 are errors.
enum class NotifyType : std::uint16_t {
  UnsupportedCriticalPayload = 1,
  InvalidIkeSpi = 4,
  InvalidMajorVersion = 5,
  InvalidSyntax = 7,
  InvalidMessageId = 9,
  InvalidSpi = 11,
  NoProposalChosen = 14,
  InvalidKePayload = 17,
  AuthenticationFailed = 24,
  SinglePairRequired = 34,
  NoAdditionalSas = 35,
  InternalAddressFailure = 36,
  FailedCpRequired = 37,
  TsUnacceptable = 38,
  InvalidSelectors = 39,
  UnacceptableAddresses = 40,  // RFC 4555 §4
  UnexpectedNatDetected = 41,  // RFC 4555 §4
  TemporaryFailure = 43,
  ChildSaNotFound = 44,
  TsMaxQueue = 48,  // RFC 9611 §5: no more per-resource CHILD SAs with these selectors

  InitialContact = 16384,
  SetWindowSize = 16385,
  AdditionalTsPossible = 16386,
  IpcompSupported = 16387,
  NatDetectionSourceIp = 16388,
  NatDetectionDestinationIp = 16389,
  Cookie = 16390,
  UseTransportMode = 16391,
  HttpCertLookupSupported = 16392,
  RekeySa = 16393,
  EspTfcPaddingNotSupported = 16394,
  NonFirstFragmentsAlso = 16395,
  MobikeSupported = 16396,  // RFC 4555 §4, with the five below
  AdditionalIp4Address = 16397,
  AdditionalIp6Address = 16398,
  NoAdditionalAddresses = 16399,
  UpdateSaAddresses = 16400,
  Cookie2 = 16401,
  NoNatsAllowed = 16402,
  MultipleAuthSupported = 16404,
  IkeFragmentationSupported = 16430,  // RFC 7383
  SignatureHashAlgorithms = 16431,    // RFC 7427
  SaResourceInfo = 16444,             // RFC 9611: a per-resource CHILD SA
};

inline constexpr bool is_error_notify(NotifyType t) {
  return static_cast<std::uint16_t>(t) < 16384;
}

// RFC 7427 §4 hash algorithm identifiers carried in SIGNATURE_HASH_ALGORITHMS.
enum class SignatureHash : std::uint16_t { Sha1 = 1, Sha2_256 = 2, Sha2_384 = 3, Sha2_512 = 4, Identity = 5 };

}  // namespace cygnet::wire::ikev2
