// Names for people: endpoints, event types and IKE SA states.
#include "ike/engine.hpp"

namespace cygnet::ike {

std::string Endpoint::to_string() const {
  return address.to_string() + "[" + std::to_string(port) + "]";
}

bool is_failure_event(EventType t) {
  switch (t) {
    case EventType::NoProposalChosen:
    case EventType::TsUnacceptable:
    case EventType::AuthenticationFailed:
    case EventType::PeerDead:
    case EventType::RetransmitGaveUp:
    case EventType::InternalAddressFailure:
    case EventType::Error: return true;
    default: return false;
  }
}

const char* event_type_name(EventType t) {
  switch (t) {
    case EventType::IkeSaEstablished: return "ike-sa-established";
    case EventType::IkeSaRekeyed: return "ike-sa-rekeyed";
    case EventType::IkeSaDeleted: return "ike-sa-deleted";
    case EventType::ChildSaEstablished: return "child-sa-established";
    case EventType::ChildSaRekeyed: return "child-sa-rekeyed";
    case EventType::ChildSaDeleted: return "child-sa-deleted";
    case EventType::NoProposalChosen: return "no-proposal-chosen";
    case EventType::TsUnacceptable: return "ts-unacceptable";
    case EventType::AuthenticationFailed: return "authentication-failed";
    case EventType::InvalidKeRetry: return "invalid-ke-retry";
    case EventType::CookieRequested: return "cookie-requested";
    case EventType::PeerDead: return "peer-dead";
    case EventType::RetransmitGaveUp: return "retransmit-gave-up";
    case EventType::MalformedMessage: return "malformed-message";
    case EventType::InitialContact: return "initial-contact";
    case EventType::PeerAddressChanged: return "peer-address-changed";
    case EventType::InternalAddressFailure: return "internal-address-failure";
    case EventType::IkeSaReauthenticated: return "ike-sa-reauthenticated";
    case EventType::DuplicateIkeSa: return "duplicate-ike-sa";
    case EventType::Error: return "error";
  }
  return "unknown";
}

const char* ike_sa_state_name(IkeSaState s) {
  switch (s) {
    case IkeSaState::Connecting: return "connecting";
    case IkeSaState::Established: return "established";
    case IkeSaState::Rekeying: return "rekeying";
    case IkeSaState::Deleting: return "deleting";
  }
  return "unknown";
}

}  // namespace cygnet::ike

namespace cygnet::ike {

const char* auth_kind_name(AuthKind k) {
  return k == AuthKind::Psk ? "psk" : "pubkey";
}

const char* revocation_policy_name(RevocationPolicy p) {
  switch (p) {
    case RevocationPolicy::Strict: return "strict";
    case RevocationPolicy::IfUri: return "ifuri";
    case RevocationPolicy::Relaxed: return "relaxed";
  }
  return "ifuri";
}

const char* auth_method_name(AuthMethod m) {
  switch (m) {
    case AuthMethod::Psk: return "psk";
    case AuthMethod::PublicKey: return "pubkey";
    case AuthMethod::EapMsChapV2: return "eap-mschapv2";
    case AuthMethod::EapTls: return "eap-tls";
    case AuthMethod::EapRadius: return "eap-radius";
  }
  return "unknown";
}

const char* unique_policy_name(UniquePolicy p) {
  switch (p) {
    case UniquePolicy::No: return "no";
    case UniquePolicy::Never: return "never";
    case UniquePolicy::Replace: return "replace";
    case UniquePolicy::Keep: return "keep";
  }
  return "no";
}

const char* start_action_name(StartAction a) {
  switch (a) {
    case StartAction::None: return "none";
    case StartAction::Trap: return "trap";
    case StartAction::Start: return "start";
  }
  return "none";
}

}  // namespace cygnet::ike
