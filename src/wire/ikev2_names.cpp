// Display names for IKEv2 numbers: the notations of RFC 7296 §3 (payloads as in §3.2's table,
// exchanges and notify types as in IANA's registry), used in logs and event text.
#include "wire/ikev2_message.hpp"

namespace cygnet::wire::ikev2 {

const char* payload_name(PayloadType t) {
  switch (t) {
    case PayloadType::None: return "NONE";
    case PayloadType::SecurityAssociation: return "SA";
    case PayloadType::KeyExchange: return "KE";
    case PayloadType::IdInitiator: return "IDi";
    case PayloadType::IdResponder: return "IDr";
    case PayloadType::Certificate: return "CERT";
    case PayloadType::CertificateRequest: return "CERTREQ";
    case PayloadType::Authentication: return "AUTH";
    case PayloadType::Nonce: return "Nonce";  // "Ni, Nr" in §3.2; the type alone has no direction
    case PayloadType::Notify: return "N";
    case PayloadType::Delete: return "D";
    case PayloadType::VendorId: return "V";
    case PayloadType::TsInitiator: return "TSi";
    case PayloadType::TsResponder: return "TSr";
    case PayloadType::Encrypted: return "SK";
    case PayloadType::Configuration: return "CP";
    case PayloadType::Eap: return "EAP";
    case PayloadType::EncryptedFragment: return "SKF";
  }
  return "UNKNOWN";
}

const char* exchange_name(ExchangeType t) {
  switch (t) {
    case ExchangeType::IkeSaInit: return "IKE_SA_INIT";
    case ExchangeType::IkeAuth: return "IKE_AUTH";
    case ExchangeType::CreateChildSa: return "CREATE_CHILD_SA";
    case ExchangeType::Informational: return "INFORMATIONAL";
  }
  return "UNKNOWN";
}

const char* notify_name(NotifyType t) {
  switch (t) {
    case NotifyType::UnsupportedCriticalPayload: return "UNSUPPORTED_CRITICAL_PAYLOAD";
    case NotifyType::InvalidIkeSpi: return "INVALID_IKE_SPI";
    case NotifyType::InvalidMajorVersion: return "INVALID_MAJOR_VERSION";
    case NotifyType::InvalidSyntax: return "INVALID_SYNTAX";
    case NotifyType::InvalidMessageId: return "INVALID_MESSAGE_ID";
    case NotifyType::InvalidSpi: return "INVALID_SPI";
    case NotifyType::NoProposalChosen: return "NO_PROPOSAL_CHOSEN";
    case NotifyType::InvalidKePayload: return "INVALID_KE_PAYLOAD";
    case NotifyType::AuthenticationFailed: return "AUTHENTICATION_FAILED";
    case NotifyType::SinglePairRequired: return "SINGLE_PAIR_REQUIRED";
    case NotifyType::NoAdditionalSas: return "NO_ADDITIONAL_SAS";
    case NotifyType::InternalAddressFailure: return "INTERNAL_ADDRESS_FAILURE";
    case NotifyType::FailedCpRequired: return "FAILED_CP_REQUIRED";
    case NotifyType::TsUnacceptable: return "TS_UNACCEPTABLE";
    case NotifyType::InvalidSelectors: return "INVALID_SELECTORS";
    case NotifyType::UnacceptableAddresses: return "UNACCEPTABLE_ADDRESSES";
    case NotifyType::UnexpectedNatDetected: return "UNEXPECTED_NAT_DETECTED";
    case NotifyType::TemporaryFailure: return "TEMPORARY_FAILURE";
    case NotifyType::ChildSaNotFound: return "CHILD_SA_NOT_FOUND";
    case NotifyType::TsMaxQueue: return "TS_MAX_QUEUE";
    case NotifyType::InitialContact: return "INITIAL_CONTACT";
    case NotifyType::SetWindowSize: return "SET_WINDOW_SIZE";
    case NotifyType::AdditionalTsPossible: return "ADDITIONAL_TS_POSSIBLE";
    case NotifyType::IpcompSupported: return "IPCOMP_SUPPORTED";
    case NotifyType::NatDetectionSourceIp: return "NAT_DETECTION_SOURCE_IP";
    case NotifyType::NatDetectionDestinationIp: return "NAT_DETECTION_DESTINATION_IP";
    case NotifyType::Cookie: return "COOKIE";
    case NotifyType::UseTransportMode: return "USE_TRANSPORT_MODE";
    case NotifyType::HttpCertLookupSupported: return "HTTP_CERT_LOOKUP_SUPPORTED";
    case NotifyType::RekeySa: return "REKEY_SA";
    case NotifyType::EspTfcPaddingNotSupported: return "ESP_TFC_PADDING_NOT_SUPPORTED";
    case NotifyType::NonFirstFragmentsAlso: return "NON_FIRST_FRAGMENTS_ALSO";
    case NotifyType::MobikeSupported: return "MOBIKE_SUPPORTED";
    case NotifyType::AdditionalIp4Address: return "ADDITIONAL_IP4_ADDRESS";
    case NotifyType::AdditionalIp6Address: return "ADDITIONAL_IP6_ADDRESS";
    case NotifyType::NoAdditionalAddresses: return "NO_ADDITIONAL_ADDRESSES";
    case NotifyType::UpdateSaAddresses: return "UPDATE_SA_ADDRESSES";
    case NotifyType::Cookie2: return "COOKIE2";
    case NotifyType::NoNatsAllowed: return "NO_NATS_ALLOWED";
    case NotifyType::MultipleAuthSupported: return "MULTIPLE_AUTH_SUPPORTED";
    case NotifyType::IkeFragmentationSupported: return "IKEV2_FRAGMENTATION_SUPPORTED";
    case NotifyType::SignatureHashAlgorithms: return "SIGNATURE_HASH_ALGORITHMS";
    case NotifyType::SaResourceInfo: return "SA_RESOURCE_INFO";
  }
  return "UNKNOWN";
}

const char* parse_error_name(ParseError e) {
  switch (e) {
    case ParseError::Truncated: return "truncated";
    case ParseError::BadLength: return "bad_length";
    case ParseError::UnsupportedVersion: return "unsupported_version";
    case ParseError::UnsupportedCriticalPayload: return "unsupported_critical_payload";
    case ParseError::InvalidSyntax: return "invalid_syntax";
    case ParseError::TrailingData: return "trailing_data";
    case ParseError::EncryptedNotLast: return "encrypted_not_last";
  }
  return "unknown";
}

}  // namespace cygnet::wire::ikev2
