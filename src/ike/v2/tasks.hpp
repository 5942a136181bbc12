// The IKEv2 tasks: one per exchange concern, each implemented in its own file. A task waits in its
// IKE SA's queue (IkeSa::queue, window size 1, RFC 7296 §2.3) until no request is outstanding;
// then start() builds and sends its request, or drops the task when nothing is left to do (the
// child came up meanwhile, the SA is being replaced). The sent task becomes the SA's outstanding
// request and keeps what it needs to process the response, which on_response() does. The same
// file answers the peer's requests of that concern.
//
//   task_ike_sa_init.cpp  IKE_SA_INIT: SA, KE, nonces, NAT detection, COOKIE, INVALID_KE_PAYLOAD
//   task_ike_auth.cpp     IKE_AUTH: identities, AUTH, certificates, the first CHILD SA
//   task_eap.cpp          IKE_AUTH's EAP rounds (§2.16): EAP server and peer, the MSK's AUTH
//   task_child_create.cpp CREATE_CHILD_SA for a new CHILD SA (and the CREATE_CHILD_SA router)
//   task_child_rekey.cpp  CREATE_CHILD_SA with REKEY_SA, make-before-break, collisions (§2.8.1)
//   task_ike_rekey.cpp    CREATE_CHILD_SA rekeying the IKE SA (§2.18)
//   task_delete.cpp       INFORMATIONAL Delete of CHILD SAs and of the IKE SA, peer's notifies
//   task_liveness.cpp     INFORMATIONAL liveness check (empty request)
//   task_mobike.cpp       MOBIKE (RFC 4555): UPDATE_SA_ADDRESSES, return routability (COOKIE2)
//   task_ike_reauth.cpp   make-before-break reauthentication: a whole new IKE SA, then the old goes
//
// The tables that pick the task live in dispatch.cpp: start_request and finish_request visit
// the Task variant with one overload per task (no generic fallback: a task type without its
// start() or on_response() does not compile), answer_request switches over the exchange type
// (no default: -Wall -Werror flags a missing enumerator).
//
// Adding an exchange (EAP, configuration payloads, MOBIKE): a struct below and its entry in
// Task, its start()/on_response() declarations in ikev2_engine.hpp, one task_*.cpp file, and, if
// the peer can start it, its row in answer_request.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "crypto/key_exchange.hpp"
#include "ike/engine.hpp"
#include "wire/ikev2_message.hpp"

namespace cygnet::ike {

// A CHILD SA to delete, remembered by SPI too: it may already be gone locally (hard expiry).
struct ChildRef {
  ChildSaId id = 0;
  std::uint32_t inbound_spi = 0;
  ipsec::IpsecProtocol protocol = ipsec::IpsecProtocol::Esp;
};

// What a CHILD SA request (IKE_AUTH or CREATE_CHILD_SA) must remember to process its response.
struct ChildNegotiation {
  std::string child;
  std::uint32_t inbound_spi = 0;
  Bytes nonce;                              // ours (CREATE_CHILD_SA only; IKE_AUTH uses the IKE SA's nonces)
  std::shared_ptr<crypto::KeyExchange> ke;  // PFS
  std::vector<wire::ikev2::TrafficSelector> tsi;
  std::vector<wire::ikev2::TrafficSelector> tsr;
  std::vector<wire::ikev2::Proposal> proposals;
  std::optional<ChildSaId> rekey_of;
  bool transport = false;
  // RFC 9611: send SA_RESOURCE_INFO; `resource` is our worker for an additional SA (nullopt: the
  // fallback, or a rekey of one).
  bool resource_info = false;
  std::optional<std::uint32_t> resource;
};

// The initiator's IKE_SA_INIT (task_ike_sa_init.cpp). Its response is unencrypted and arrives
// before the SA has keys: on_message hands it to process_init_response directly.
struct IkeSaInitTask {};

// IKE_AUTH (task_ike_auth.cpp), carrying the first CHILD SA when one is wanted.
struct IkeAuthTask {
  std::optional<ChildNegotiation> child;
};

// A client's EAP round inside IKE_AUTH (task_eap.cpp): its EAP Response, or once EAP succeeded
// its AUTH from the MSK. Carries the first CHILD SA of the IKE_AUTH request to the final response.
struct EapRoundTask {
  std::optional<ChildNegotiation> child;
};

// A new CHILD SA (task_child_create.cpp); `sent` is filled when the request goes out.
struct ChildCreateTask {
  std::string child;
  ChildNegotiation sent{};
  // RFC 9611: an additional per-resource CHILD SA for this data-plane worker (per_resource_sas.cpp).
  std::optional<std::uint32_t> resource{};
};

// Rekeying CHILD SA `id` (task_child_rekey.cpp); `sent` is filled when the request goes out.
struct ChildRekeyTask {
  ChildSaId id = 0;
  ChildNegotiation sent{};
};

// Rekeying the IKE SA (task_ike_rekey.cpp); the fields are filled when the request goes out.
struct IkeRekeyTask {
  std::uint64_t new_spi = 0;
  Bytes nonce;
  std::shared_ptr<crypto::KeyExchange> ke;
  std::vector<wire::ikev2::Proposal> proposals;
};

// Deleting CHILD SAs, or the IKE SA with everything on it (task_delete.cpp).
struct DeleteChildrenTask {
  std::vector<ChildRef> children;
};
struct DeleteIkeTask {};

// Reauthentication (task_ike_reauth.cpp): queued on the new IKE SA behind the CHILD SAs it
// recreates; when its turn comes every child is up there, and the old IKE SA is deleted. It
// sends nothing itself.
struct ReauthRetireTask {};

// `unique` (uniqueness.cpp): queued on a newcomer's IKE SA when it replaces older IKE SAs of the
// same peer identity, so that their Deletes leave after our IKE_AUTH response (the peer, when it is
// reauthenticating, then has its new SA before it hears that the old one goes). Sends nothing itself.
struct ReplaceOlderTask {
  std::vector<IkeSaId> older;
  bool initial_contact = false;  // the older ones are forgotten at once (their Delete not awaited)
};

// A liveness check: an empty INFORMATIONAL request (task_liveness.cpp).
struct LivenessTask {};

// MOBIKE (task_mobike.cpp). Client: announce that our address changed (UPDATE_SA_ADDRESSES from
// the new address). `paths` are the (local, remote) pairs to try in order (RFC 4555 §3.6): when
// one stays unanswered, the same request goes out over the next; `cookie2` must come back.
struct MobikeUpdateTask {
  std::vector<std::pair<Endpoint, Endpoint>> paths;
  std::size_t path = 0;
  Bytes cookie2;
};
// Gateway: return routability (RFC 4555 §3.5, §5.2) of the peer's new address before ESP goes
// there: an INFORMATIONAL with COOKIE2 to `target`, answered with the same COOKIE2.
struct MobikeCheckTask {
  Endpoint target;
  Bytes cookie2;
};

using Task = std::variant<IkeSaInitTask, IkeAuthTask, EapRoundTask, ChildCreateTask, ChildRekeyTask,
                          IkeRekeyTask, DeleteChildrenTask, DeleteIkeTask, LivenessTask, MobikeUpdateTask,
                          MobikeCheckTask, ReauthRetireTask, ReplaceOlderTask>;

}  // namespace cygnet::ike
