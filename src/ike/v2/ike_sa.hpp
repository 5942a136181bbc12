// One IKE SA as the engine tracks it: SPIs and role, endpoints and NAT state, negotiated
// algorithms and keys with the SK protection for each direction, the requester side (window size
// 1: one outstanding request, the other tasks queued, v2/tasks.hpp) and the responder side (expected message
// ID and the cached last response), timers.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/time.hpp"
#include "crypto/key_exchange.hpp"
#include "ike/algorithms.hpp"
#include "ike/engine.hpp"
#include "ike/identity.hpp"
#include "ike/v2/eap_conversation.hpp"
#include "ike/v2/keys.hpp"
#include "ike/v2/sk_protection.hpp"
#include "ike/v2/tasks.hpp"
#include "wire/ikev2_message.hpp"

namespace cygnet::ike {

struct OutstandingRequest {
  std::uint32_t message_id = 0;
  wire::ikev2::ExchangeType exchange = wire::ikev2::ExchangeType::IkeSaInit;
  std::vector<Bytes> datagrams;  // as sent (non-ESP marker included), for retransmission
  unsigned retransmits = 0;
  TimePoint next_retransmit{};
  Task task;  // the task that sent it, with what it must remember to process the response
};

// An IKE_AUTH message waiting for a FetchRevocation answer (v2/revocation_parking.cpp): processed
// again, as if received then, once on_revocation_data() or the timeout resumes it.
struct ParkedMessage {
  std::uint64_t request = 0;  // FetchRevocation::request
  TimePoint deadline{};
  bool is_request = true;  // responder: the peer's request; initiator: the response to ours
  std::uint32_t message_id = 0;
  std::vector<wire::ikev2::Payload> payloads;
  Task task;  // initiator: the IKE_AUTH task whose response this is
};

struct IkeSa {
  IkeSaId id = 0;
  std::string connection;  // responder: a candidate until IKE_AUTH picks the final one
  bool initiator = false;  // original initiator (header I flag, key direction)
  IkeSaState state = IkeSaState::Connecting;
  bool authenticated = false;
  std::uint64_t spi_i = 0;
  std::uint64_t spi_r = 0;
  Endpoint local;
  Endpoint remote;
  bool nat_local = false;      // we are behind a NAT
  bool nat_remote = false;     // the peer is behind a NAT (or forced encapsulation)
  bool fragmentation = false;  // both sides announced RFC 7383 support
  // MOBIKE (RFC 4555, task_mobike.cpp): both sides announced MOBIKE_SUPPORTED in IKE_AUTH; the
  // peer's ADDITIONAL_IP4/6_ADDRESS list (NO_ADDITIONAL_ADDRESSES empties it); peer addresses
  // that passed return routability (or authenticated IKE_AUTH), to which ESP may go at once; the
  // endpoints the request being answered arrived on (handle_request), which UPDATE_SA_ADDRESSES
  // moves the SA to.
  bool mobike = false;
  std::vector<wire::IpAddress> peer_additional_addresses;
  std::vector<wire::IpAddress> verified_peer_addresses;
  Endpoint request_local;
  Endpoint request_remote;
  std::vector<wire::ikev2::SignatureHash> peer_signature_hashes;
  // Initiator: the CERTREQ payloads of the IKE_SA_INIT response (RFC 7296 §3.7), which decide
  // whether our intermediates go with IKE_AUTH (peer_authentication.hpp).
  std::vector<wire::ikev2::Payload> peer_certificate_requests;

  std::optional<wire::ikev2::Proposal> proposal;  // chosen IKE proposal
  std::optional<IkeAlgorithms> algorithms;
  std::optional<IkeSaKeys> keys;
  std::optional<SkProtection> sk_out;
  std::optional<SkProtection> sk_in;
  // Nonces, IKE_SA_INIT messages, ke and cookie serve establishment only: freed (with every key
  // but SK_d) once IKE_AUTH completes, see release_establishment_state().
  Bytes nonce_i;
  Bytes nonce_r;
  Bytes init_request;   // IKE_SA_INIT request as sent/received (signed by the initiator's AUTH)
  Bytes init_response;  // IKE_SA_INIT response (signed by the responder's AUTH)
  std::shared_ptr<crypto::KeyExchange> ke;  // initiator, until the IKE_SA_INIT response
  Bytes cookie;
  unsigned init_retries = 0;  // COOKIE / INVALID_KE_PAYLOAD retries

  Identity local_id;
  std::optional<Identity> remote_id;       // authenticated peer identity
  std::optional<std::string> first_child;  // initiator: the child created inside IKE_AUTH
  // Configuration payload (task_config.cpp). Gateway: the pool leases this SA holds for the peer,
  // released when the SA goes (an IKE rekey hands them to the new SA). Client: the addresses the
  // gateway assigned to us.
  struct HeldLease {
    std::string pool;
    wire::IpAddress address;
  };
  std::vector<HeldLease> leases;
  std::string lease_identity;
  std::vector<wire::IpAddress> virtual_ips;
  bool send_initial_contact = false;
  // EAP inside IKE_AUTH (v2/task_eap.cpp): the conversation while it runs, and the client's EAP
  // identity once known (shown by `cygnetctl status`).
  std::unique_ptr<EapConversation> eap;
  std::string eap_identity;

  // Requester side.
  std::uint32_t next_message_id = 0;
  std::optional<OutstandingRequest> outstanding;
  std::list<Task> queue;  // waiting for the window; not a deque: an empty deque already allocates ~600 bytes
  // Responder side.
  std::uint32_t expected_message_id = 0;
  std::optional<std::uint32_t> last_response_id;
  std::vector<Bytes> last_response;  // all fragments, non-ESP marker included
  // Copies of last_response sent for retransmitted requests; capped so that spoofed duplicates
  // cannot turn us into an amplifier (bad-input catalog row 12, CVE-2016-5361).
  std::uint32_t duplicate_answers = 0;
  bool remove_after_response = false;
  std::optional<ParkedMessage> parked;  // requests arriving meanwhile are retransmits: dropped
  FragmentReassembler request_fragments;
  FragmentReassembler response_fragments;

  TimePoint created{};
  TimePoint established_at{};
  TimePoint last_received{};
  std::optional<TimePoint> half_open_expire;
  // Responder: the address this SA counts against in the half-open table, until it is established
  // or removed.
  std::optional<wire::IpAddress> half_open_source;
  std::optional<TimePoint> rekey_at;
  std::optional<TimePoint> expire_at;
  bool rekey_requested = false;
  bool dpd_queued = false;
  std::optional<IkeSaId> replaced_by;  // rekeyed: the old SA only waits for its Delete exchange
  // Reauthentication (v2/task_ike_reauth.cpp): when the next one is due (carried over by IKE
  // rekeys, set anew by each authentication); on the old SA the new one being built; on the new SA
  // the old one it replaces once it is up.
  std::optional<TimePoint> reauth_at;
  std::optional<IkeSaId> reauth_by;
  std::optional<IkeSaId> reauth_of;
  // bring_down() asked for this SA to go: only its Delete is queued, and it goes once the exchange
  // outstanding at that moment has ended (close_after_outstanding, engine_requests.cpp).
  bool closing = false;

  // Whether the outstanding request was sent by a task of type T (tasks.hpp).
  template <class T>
  bool outstanding_is() const {
    return outstanding && std::holds_alternative<T>(outstanding->task);
  }
  std::uint64_t our_spi() const { return initiator ? spi_i : spi_r; }
  std::uint64_t peer_spi() const { return initiator ? spi_r : spi_i; }
  bool udp_encapsulated() const { return nat_local || nat_remote; }
};

}  // namespace cygnet::ike
