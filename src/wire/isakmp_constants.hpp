// ISAKMP / IKEv1 numbers: RFC 2408 (ISAKMP framing), RFC 2407 (the IPsec DOI), RFC 2409 (IKE
// exchanges and phase-1 attributes), RFC 3947 (NAT traversal) and RFC 3706 (dead peer detection),
// with the later assignments of IANA's "Internet Key Exchange (IKE) Attributes" and "ISAKMP
// Identifiers" registries. Names follow the RFC text. Every enum is a plain number on the wire: a
// value not listed here still parses and is kept.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cygnet::wire::isakmp {

inline constexpr std::uint8_t kVersion = 0x10;  // major 1, minor 0 (RFC 2408 §3.1)
inline constexpr std::uint8_t kMajorVersion = kVersion >> 4;
inline constexpr std::size_t kHeaderLength = 28;
inline constexpr std::size_t kGenericPayloadHeaderLength = 4;
inline constexpr std::size_t kCookieLength = 8;
inline constexpr std::size_t kIsakmpSpiLength = 2 * kCookieLength;  // initiator ‖ responder cookie
inline constexpr std::uint16_t kIkePort = 500;
inline constexpr std::uint16_t kNatTraversalPort = 4500;  // RFC 3947: after a 4-byte non-ESP marker

// Limits the parser enforces so that a hostile datagram cannot make it build huge structures.
// Real offers stay far below them (strongSwan and racoon send a handful of proposals).
inline constexpr std::size_t kMaxProposals = 64;   // per SA payload
inline constexpr std::size_t kMaxTransforms = 64;  // per proposal
inline constexpr std::size_t kMaxAttributes = 64;  // per transform
inline constexpr std::size_t kMaxSpis = 64;        // per Delete payload
inline constexpr std::size_t kMaxPayloads = 256;   // per payload chain

// Exchange types (RFC 2408 §3.1, RFC 2409 §5, §5.5, §6).
enum class ExchangeType : std::uint8_t {
  None = 0,
  Base = 1,
  IdentityProtection = 2,  // IKE Main Mode
  AuthenticationOnly = 3,
  Aggressive = 4,  // IKE Aggressive Mode
  Informational = 5,
  Transaction = 6,  // draft-ietf-ipsec-isakmp-mode-cfg (XAUTH, Mode Config)
  QuickMode = 32,   // RFC 2409 §5.5
  NewGroupMode = 33,
};
inline constexpr ExchangeType kMainMode = ExchangeType::IdentityProtection;

// Header flags (RFC 2408 §3.1). The other five bits are reserved.
inline constexpr std::uint8_t kFlagEncryption = 0x01;
inline constexpr std::uint8_t kFlagCommit = 0x02;
inline constexpr std::uint8_t kFlagAuthenticationOnly = 0x04;

// Next Payload types (RFC 2408 §3.1, RFC 3947 §3.2/§5.2). Proposal and Transform appear only inside
// an SA payload, never in the chain.
enum class PayloadType : std::uint8_t {
  None = 0,
  SecurityAssociation = 1,
  Proposal = 2,
  Transform = 3,
  KeyExchange = 4,
  Identification = 5,
  Certificate = 6,
  CertificateRequest = 7,
  Hash = 8,
  Signature = 9,
  Nonce = 10,
  Notification = 11,
  Delete = 12,
  VendorId = 13,
  Attribute = 14,  // mode-cfg; not parsed here (kept opaque)
  NatDiscovery = 20,
  NatOriginalAddress = 21,
  // draft-ietf-ipsec-nat-t-ike-02/03 used private numbers; still sent by peers that negotiated the
  // draft's vendor ID. Parsed as NAT-D/NAT-OA (which remember the number).
  NatDiscoveryDraft = 130,
  NatOriginalAddressDraft = 131,
};

// Domain of interpretation (RFC 2408 §3.4, RFC 2407 §4.2).
inline constexpr std::uint32_t kDoiIsakmp = 0;  // generic ISAKMP (notifications, phase 1 per §2.1)
inline constexpr std::uint32_t kDoiIpsec = 1;

// IPsec DOI situation bitmap (RFC 2407 §4.2). Only SIT_IDENTITY_ONLY is used in practice; the other
// two append labeled-domain fields this codec does not model.
inline constexpr std::uint32_t kSituationIdentityOnly = 0x01;
inline constexpr std::uint32_t kSituationSecrecy = 0x02;
inline constexpr std::uint32_t kSituationIntegrity = 0x04;

// Protocol identifiers (RFC 2407 §4.4.1).
enum class ProtocolId : std::uint8_t { None = 0, Isakmp = 1, Ah = 2, Esp = 3, Ipcomp = 4 };

// Phase-1 transform identifier (RFC 2407 §4.4.2).
inline constexpr std::uint8_t kTransformKeyIke = 1;

// AH transform identifiers (RFC 2407 §4.4.3, IANA).
enum class AhTransformId : std::uint8_t {
  Md5 = 2,
  Sha = 3,
  Des = 4,
  Sha2_256 = 5,
  Sha2_384 = 6,
  Sha2_512 = 7,
  Ripemd = 8,
  AesXcbcMac = 9,
  AesGmac128 = 11,
  AesGmac192 = 12,
  AesGmac256 = 13,
};

// ESP transform identifiers (RFC 2407 §4.4.4, IANA; RFC 3602, RFC 3686, RFC 4309, RFC 4106).
enum class EspTransformId : std::uint8_t {
  DesIv64 = 1,
  Des = 2,
  TripleDes = 3,
  Rc5 = 4,
  Idea = 5,
  Cast = 6,
  Blowfish = 7,
  TripleIdea = 8,
  DesIv32 = 9,
  Rc4 = 10,
  Null = 11,
  AesCbc = 12,
  AesCtr = 13,
  AesCcm8 = 14,
  AesCcm12 = 15,
  AesCcm16 = 16,
  AesGcm8 = 18,
  AesGcm12 = 19,
  AesGcm16 = 20,
  Camellia = 22,
  NullAuthAesGmac = 23,
};

// IPCOMP transform identifiers (RFC 2407 §4.4.5).
enum class IpcompTransformId : std::uint8_t { Oui = 1, Deflate = 2, Lzs = 3 };

// Attribute Format bit (RFC 2408 §3.3): set for the 4-byte TV ("basic") form.
inline constexpr std::uint16_t kAttributeFormatTv = 0x8000;
inline constexpr std::uint16_t kAttributeTypeMask = 0x7fff;

// Phase-1 (ISAKMP SA) attribute types (RFC 2409 Appendix A). B = basic, V = variable.
enum class Phase1Attribute : std::uint16_t {
  EncryptionAlgorithm = 1,  // B
  HashAlgorithm = 2,        // B
  AuthenticationMethod = 3, // B
  GroupDescription = 4,     // B
  GroupType = 5,            // B
  GroupPrime = 6,           // V
  GroupGeneratorOne = 7,    // V
  GroupGeneratorTwo = 8,    // V
  GroupCurveA = 9,          // V
  GroupCurveB = 10,         // V
  LifeType = 11,            // B
  LifeDuration = 12,        // V (sent as B when it fits 16 bits)
  Prf = 13,                 // B
  KeyLength = 14,           // B
  FieldSize = 15,           // B
  GroupOrder = 16,          // V
};

// Phase-1 encryption algorithms (RFC 2409 App. A, RFC 3602 for AES, RFC 4312 for Camellia).
enum class Phase1Encryption : std::uint16_t {
  DesCbc = 1,
  IdeaCbc = 2,
  BlowfishCbc = 3,
  Rc5R16B64Cbc = 4,
  TripleDesCbc = 5,
  CastCbc = 6,
  AesCbc = 7,
  CamelliaCbc = 8,
};

// Phase-1 hash algorithms (RFC 2409 App. A; SHA-2 values from the IANA registry).
enum class Phase1Hash : std::uint16_t { Md5 = 1, Sha = 2, Tiger = 3, Sha2_256 = 4, Sha2_384 = 5, Sha2_512 = 6 };

// Phase-1 authentication methods (RFC 2409 App. A, RFC 4754; XAUTH ones from
// draft-ietf-ipsec-isakmp-xauth, as IANA lists them in the private range).
enum class Phase1AuthMethod : std::uint16_t {
  PreSharedKey = 1,
  DssSignatures = 2,
  RsaSignatures = 3,
  RsaEncryption = 4,
  RevisedRsaEncryption = 5,
  EcdsaSha256P256 = 9,
  EcdsaSha384P384 = 10,
  EcdsaSha512P521 = 11,
  XauthInitPreShared = 65001,
  XauthRespPreShared = 65002,
  XauthInitRsa = 65005,
  XauthRespRsa = 65006,
};

// Group descriptions (RFC 2409 §6, RFC 3526, RFC 5903, RFC 5114); shared by phase 1 and 2.
enum class GroupDescription : std::uint16_t {
  Modp768 = 1,
  Modp1024 = 2,
  Ec2n155 = 3,
  Ec2n185 = 4,
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

enum class GroupType : std::uint16_t { Modp = 1, Ecp = 2, Ec2n = 3 };

// Life Type values, phase 1 (RFC 2409 App. A) and phase 2 (RFC 2407 §4.5) alike.
enum class LifeType : std::uint16_t { Seconds = 1, Kilobytes = 2 };

// Phase-2 (IPsec DOI) SA attribute types (RFC 2407 §4.5, RFC 3168 ECN, RFC 4304 ESN).
enum class Phase2Attribute : std::uint16_t {
  SaLifeType = 1,                  // B
  SaLifeDuration = 2,              // V (sent as B when it fits)
  GroupDescription = 3,            // B (PFS)
  EncapsulationMode = 4,           // B
  AuthenticationAlgorithm = 5,     // B
  KeyLength = 6,                   // B
  KeyRounds = 7,                   // B
  CompressDictionarySize = 8,      // B
  CompressPrivateAlgorithm = 9,    // V
  EcnTunnel = 10,                  // B
  ExtendedSequenceNumber = 11,     // B
};

// Encapsulation Mode values (RFC 2407 §4.5, RFC 3947 §5.1; the draft values come from
// draft-ietf-ipsec-nat-t-ike-02/03 and are still sent by peers speaking the draft).
enum class EncapsulationMode : std::uint16_t {
  Tunnel = 1,
  Transport = 2,
  UdpEncapsulatedTunnel = 3,
  UdpEncapsulatedTransport = 4,
  UdpEncapsulatedTunnelDraft = 61443,     // 0xf003
  UdpEncapsulatedTransportDraft = 61444,  // 0xf004
};

// Phase-2 Authentication Algorithm values (RFC 2407 §4.5, IANA).
enum class Phase2AuthAlgorithm : std::uint16_t {
  HmacMd5 = 1,
  HmacSha = 2,
  DesMac = 3,
  Kpdk = 4,
  HmacSha2_256 = 5,
  HmacSha2_384 = 6,
  HmacSha2_512 = 7,
  HmacRipemd = 8,
  AesXcbcMac = 9,
  AesGmac128 = 11,
  AesGmac192 = 12,
  AesGmac256 = 13,
};

// Identification types (RFC 2407 §4.6.2.1).
enum class IdType : std::uint8_t {
  Ipv4Address = 1,
  Fqdn = 2,
  UserFqdn = 3,
  Ipv4AddressSubnet = 4,
  Ipv6Address = 5,
  Ipv6AddressSubnet = 6,
  Ipv4AddressRange = 7,
  Ipv6AddressRange = 8,
  DerAsn1Dn = 9,
  DerAsn1Gn = 10,
  KeyId = 11,
};

// Certificate encodings (RFC 2408 §3.9).
enum class CertEncoding : std::uint8_t {
  None = 0,
  Pkcs7 = 1,
  Pgp = 2,
  DnsSignedKey = 3,
  X509Signature = 4,
  X509KeyExchange = 5,
  Kerberos = 6,
  Crl = 7,
  Arl = 8,
  Spki = 9,
  X509Attribute = 10,
};

// Notify message types. 1–30 are the errors of RFC 2408 §3.14.1 (16383 and below are errors);
// 24576–24578 the IPsec DOI status types (RFC 2407 §4.6.3); 36136/36137 dead peer detection
// (RFC 3706 §5).
enum class NotifyType : std::uint16_t {
  InvalidPayloadType = 1,
  DoiNotSupported = 2,
  SituationNotSupported = 3,
  InvalidCookie = 4,
  InvalidMajorVersion = 5,
  InvalidMinorVersion = 6,
  InvalidExchangeType = 7,
  InvalidFlags = 8,
  InvalidMessageId = 9,
  InvalidProtocolId = 10,
  InvalidSpi = 11,
  InvalidTransformId = 12,
  AttributesNotSupported = 13,
  NoProposalChosen = 14,
  BadProposalSyntax = 15,
  PayloadMalformed = 16,
  InvalidKeyInformation = 17,
  InvalidIdInformation = 18,
  InvalidCertEncoding = 19,
  InvalidCertificate = 20,
  CertTypeUnsupported = 21,
  InvalidCertAuthority = 22,
  InvalidHashInformation = 23,
  AuthenticationFailed = 24,
  InvalidSignature = 25,
  AddressNotification = 26,
  NotifySaLifetime = 27,
  CertificateUnavailable = 28,
  UnsupportedExchangeType = 29,
  UnequalPayloadLengths = 30,

  Connected = 16384,
  ResponderLifetime = 24576,
  ReplayStatus = 24577,
  InitialContact = 24578,
  RUThere = 36136,
  RUThereAck = 36137,
};

inline constexpr bool is_error_notify(NotifyType t) { return static_cast<std::uint16_t>(t) < 16384; }

}  // namespace cygnet::wire::isakmp
