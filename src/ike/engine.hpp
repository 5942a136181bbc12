// The IKEv2 engine (RFC 7296), sans-I/O: events in (a datagram at time T, a timer, an acquire from
// the data plane, an operator's up/down), actions out (datagrams, CHILD SAs and policies to install
// or remove, structured events). No sockets, threads or clock reads: `now` is always passed in.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/bytes.hpp"
#include "base/time.hpp"
#include "crypto/secure_bytes.hpp"
#include "crypto/x509.hpp"
#include "ike/address_pool.hpp"
#include "ike/connection_settings.hpp"
#include "ike/eap_mschapv2.hpp"
#include "ike/engine_metrics.hpp"
#include "ike/random_source.hpp"
#include "ike/refusal_counters.hpp"
#include "ipsec/sa_parameters.hpp"
#include "ipsec/selector.hpp"
#include "wire/ip_address.hpp"

namespace cygnet::ike {

struct KeyExport;  // key_export.hpp

struct Endpoint {
  wire::IpAddress address;
  std::uint16_t port = 500;
  std::string to_string() const;  // "192.0.2.1[500]"
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

using IkeSaId = std::uint64_t;    // engine-local, never reused
using ChildSaId = std::uint64_t;  // engine-local, never reused

struct EngineOptions {
  // Responder: above this many half-open IKE SAs, IKE_SA_INIT requests must carry a COOKIE.
  std::size_t cookie_threshold = 20;
  Seconds half_open_timeout{30};
  // Responder: half-open IKE SAs beyond these caps are refused before any state or DH work
  // (RFC 8019 §4.4); 0 = no cap. A valid cookie does not lift the per-source cap.
  std::size_t max_half_open = 5000;
  std::size_t max_half_open_per_source = 20;
  // The same for IKEv1 (Main/Aggressive Mode responder SAs whose phase 1 has not completed).
  std::size_t ikev1_max_half_open = 1000;
  std::size_t ikev1_max_half_open_per_source = 20;
  // Retransmission: first after retransmit_timeout, then × retransmit_base each time; give up
  // (delete the IKE SA, event RetransmitGaveUp) after retransmit_tries retransmissions.
  Milliseconds retransmit_timeout{1000};
  double retransmit_base = 1.8;
  unsigned retransmit_tries = 5;
  // IKE messages (IKE_AUTH and later) larger than this are sent as RFC 7383 fragments when the
  // peer announced support. IPv4 default per RFC 7383 §2.5.1.
  std::size_t max_datagram = 1280;
  double rekey_jitter = 0.1;  // rekeys happen at 90 % of the lifetime minus up to this fraction more
  // After a rekeyed CHILD SA is deleted, its inbound SA stays this long for packets in flight.
  Seconds old_sa_grace{2};
  // Wall-clock time at steady time `steady_origin`, for certificate validity checks. Required: the
  // engine reads no clock, so its owner says what time it is (Engine's constructor throws without it).
  std::optional<crypto::WallClock> wall_origin;
  TimePoint steady_origin = TimePoint{};
  // Keep the SAs' keys after handing them to the data plane, so export_keys() can read them
  // (the operator's opt-in Wireshark export). Off: keys live only where they are used.
  bool retain_keys_for_export = false;
  // Data-plane worker threads of the daemon ([daemon] workers). Above 1, children with
  // per_cpu_sas ask the peer for one RFC 9611 per-resource CHILD SA per worker.
  std::size_t data_plane_workers = 1;
  // remote_addrs with host names and start_action = start: a failed resolution is retried after this.
  Seconds resolve_retry{15};
  // Revocation (revocation_checker.hpp): an IKE_AUTH message waiting for a FetchRevocation answer
  // is resumed as "unreachable" after this; at most this many fetches are in flight (beyond, the
  // status counts as unknown without fetching); at most this many answers are cached.
  Seconds revocation_timeout{15};
  std::size_t max_revocation_fetches = 64;
  std::size_t revocation_cache_entries = 1024;
};

// --- Actions ---------------------------------------------------------------------------------

// A UDP datagram to send from `local` to `remote`. For port 4500 the payload already starts with
// the 4-byte non-ESP marker.
struct SendDatagram {
  Endpoint local;
  Endpoint remote;
  Bytes payload;
};

// A CHILD SA pair to install (make-before-break: `replaces`, when set, is removed by a separate
// RemoveChildSa later, after the new pair carries traffic). Install both SAs in the SAD and point
// the PROTECT policies for `selectors` at the outbound SA.
struct InstallChildSa {
  ChildSaId id = 0;
  IkeSaId ike_sa = 0;
  std::string connection;
  std::string child;
  ipsec::SaParameters inbound;
  ipsec::SaParameters outbound;
  std::vector<ipsec::Selector> selectors;  // local/remote pairs, as in the SAs' selectors
  std::optional<ChildSaId> replaces;
  // An RFC 9611 per-resource CHILD SA for data-plane worker `resource` (modulo the workers):
  // that worker sends on it instead of the child's policies' SA (the fallback); nullopt for an
  // ordinary or fallback CHILD SA.
  std::optional<std::uint32_t> resource;
  // false: install both SAs (inbound works at once) but leave the policies on the old outbound SA
  // until an ActivateChildSa — the responder of a rekey does this, since its peer may not have the
  // new inbound SA until our response arrives.
  bool route_outbound = true;
};

// Point the policies of this CHILD SA's connection/child at its outbound SA.
struct ActivateChildSa {
  ChildSaId id = 0;
};

struct RemoveChildSa {
  ChildSaId id = 0;
  std::string connection;
  std::string child;
};

// MOBIKE (RFC 4555): the IKE SA moved to new addresses; both SAs of this CHILD SA now use these
// outer addresses and ESP-in-UDP ports (nullopt: plain ESP). SPIs, keys, sequence numbers and
// replay windows stay; both directions move in one step.
struct UpdateChildSaAddresses {
  ChildSaId id = 0;
  std::string connection;
  std::string child;
  wire::IpAddress local;
  wire::IpAddress remote;
  std::optional<ipsec::UdpEncapsulation> udp_encapsulation;
};

// start_action = "trap": PROTECT policies with no SA yet; a matching packet triggers an acquire.
struct InstallTrapPolicy {
  std::string connection;
  std::string child;
  std::vector<ipsec::Selector> selectors;
  ipsec::IpsecProtocol protocol = ipsec::IpsecProtocol::Esp;
  ipsec::Mode mode = ipsec::Mode::Tunnel;
};
struct RemoveTrapPolicy {
  std::string connection;
  std::string child;
};

// The connection names its peer by host names (ConnectionSettings::remote_hosts): resolve them and
// answer with Engine::on_remote_resolved or on_remote_resolution_failed. Initiation waits for it.
struct ResolveRemote {
  std::string connection;
  std::vector<std::string> hosts;
};

// Whether a peer's certificate is revoked cannot be decided from what the engine has cached:
// fetch (HTTP GET of each CRL URI, or a file:// read; HTTP POST of `ocsp_request` to each OCSP URI,
// application/ocsp-request) and answer with Engine::on_revocation_data(request, ...). The IKE_AUTH
// message that needed it waits (bounded by EngineOptions::revocation_timeout).
struct FetchRevocation {
  std::uint64_t request = 0;
  std::string certificate;  // its subject, for the words
  std::vector<std::string> crl_uris;
  std::vector<std::string> ocsp_uris;
  Bytes ocsp_request;  // DER, with a fresh nonce
};

// What the daemon fetched for a FetchRevocation: every document it got, and why the others failed.
struct RevocationData {
  enum class Kind : std::uint8_t { Crl, OcspResponse };
  struct Document {
    std::string uri;
    Kind kind = Kind::Crl;
    Bytes data;  // DER or PEM CRL, DER OCSP response
  };
  std::vector<Document> documents;
  std::vector<std::string> failures;  // "CRL http://… unreachable: Connection refused"
};

// Gateway, `remote_auth = "eap-radius"`: relay the client's EAP Response to the RADIUS server
// (RFC 3579 Access-Request) and answer with Engine::on_radius_answer(request, ...). The IKE_AUTH
// request that carried it waits meanwhile (its retransmits are dropped); the half-open timeout
// bounds the wait. `state` and `server` come from the previous round's answer and go back as they are.
struct RadiusAccessRequest {
  std::uint64_t request = 0;  // unique per engine; names the answer
  IkeSaId ike_sa = 0;
  std::string connection;
  std::string user_name;              // the client's EAP identity (User-Name)
  Bytes eap_message;                  // the client's EAP Response
  Bytes state;                        // the last Access-Challenge's State; empty on the first round
  std::optional<std::size_t> server;  // the server that answered the previous round
};

// The RADIUS server's answer to a RadiusAccessRequest, as the daemon's RADIUS client read it.
struct RadiusAnswer {
  enum class Outcome : std::uint8_t {
    Challenge,  // Access-Challenge: eap_message is the next EAP Request, state goes with the next round
    Accept,     // Access-Accept: eap_message is EAP-Success, msk (MS-MPPE keys) keys the final AUTH
    Reject,     // Access-Reject: eap_message is EAP-Failure (may be empty)
    Failed,     // no usable answer (no server answered, wrong shared secret, malformed): reason says why
  };
  Outcome outcome = Outcome::Failed;
  Bytes eap_message;
  Bytes state;
  std::optional<crypto::SecureBytes> msk;
  std::optional<std::size_t> server;
  std::string reason;  // for the log; never a secret
};

enum class EventType : std::uint8_t {
  IkeSaEstablished,
  IkeSaRekeyed,
  IkeSaDeleted,
  ChildSaEstablished,
  ChildSaRekeyed,
  ChildSaDeleted,
  NoProposalChosen,  // either side; detail says what each offered and what was missing
  TsUnacceptable,
  AuthenticationFailed,  // wrong PSK, bad signature, untrusted/expired certificate, wrong ID
  InvalidKeRetry,        // responder asked for another group; retrying
  CookieRequested,       // responder is under load; retrying with its cookie
  PeerDead,              // liveness check unanswered: SAs removed
  RetransmitGaveUp,
  MalformedMessage,
  InitialContact,          // peer restarted: its older IKE SAs removed
  Error,                   // anything else, in words
  PeerAddressChanged,      // NAT rebinding or float to 4500; detail "OLD -> NEW"
  InternalAddressFailure,  // no virtual IP: the pools are exhausted (gateway) or none was assigned (client)
  IkeSaReauthenticated,    // make-before-break reauthentication: a new IKE SA replaced the old one
  DuplicateIkeSa,          // a second IKE SA of one peer identity: `unique` replaced or refused one
};
const char* event_type_name(EventType t);  // "ike-sa-established", ...
// A negotiation or an SA ended in failure (packets held for it are dropped, logged as warnings).
bool is_failure_event(EventType t);

struct Event {
  EventType type = EventType::Error;
  std::string connection;  // empty when not known (e.g. a malformed datagram)
  std::optional<IkeSaId> ike_sa;
  std::optional<ChildSaId> child_sa;
  std::string detail;  // human-readable; never key material
};

// Gateway: a pool lease was taken, went offline or changed hands. The daemon writes the whole
// lease table (Engine::leases()) to its state file, so leases survive a restart.
struct LeaseChanged {
  Lease lease;
};

// Client (`vips`): the gateway assigned these addresses (and DNS servers/domains) to the IKE SA.
// Put the addresses on the tunnel device and apply the DNS settings until VirtualIpsReleased.
struct VirtualIpsAssigned {
  IkeSaId ike_sa = 0;
  std::string connection;
  std::vector<wire::IpAddress> addresses;
  std::vector<wire::IpAddress> dns;
  std::vector<std::string> dns_domains;
};
struct VirtualIpsReleased {
  IkeSaId ike_sa = 0;
  std::string connection;
  std::vector<wire::IpAddress> addresses;
};

using Action =
    std::variant<SendDatagram, InstallChildSa, ActivateChildSa, RemoveChildSa, InstallTrapPolicy,
                 RemoveTrapPolicy, Event, ResolveRemote, FetchRevocation, LeaseChanged, VirtualIpsAssigned,
                 VirtualIpsReleased, UpdateChildSaAddresses, RadiusAccessRequest>;

// --- Status ----------------------------------------------------------------------------------

enum class IkeSaState : std::uint8_t { Connecting, Established, Rekeying, Deleting };
const char* ike_sa_state_name(IkeSaState s);

struct ChildSaStatus {
  ChildSaId id = 0;
  std::string child;
  std::uint32_t inbound_spi = 0;
  std::uint32_t outbound_spi = 0;
  ipsec::IpsecProtocol protocol = ipsec::IpsecProtocol::Esp;
  ipsec::Mode mode = ipsec::Mode::Tunnel;
  std::string algorithms;  // "aes256gcm16", "aes128-sha256-x25519"
  std::vector<ipsec::Selector> selectors;
  Seconds age{0};
  std::optional<Seconds> rekey_in;  // time until the scheduled rekey
  bool udp_encapsulated = false;
  bool per_resource = false;              // negotiated with SA_RESOURCE_INFO (RFC 9611)
  std::optional<std::uint32_t> resource;  // ... for this data-plane worker (nullopt: the fallback)
};

struct IkeSaStatus {
  IkeSaId id = 0;
  std::string connection;
  int version = 2;   // 1: an IKEv1 ISAKMP SA (phase 1)
  std::string mode;  // IKEv1: "main" or "aggressive"; empty for IKEv2
  IkeSaState state = IkeSaState::Connecting;
  bool initiator = false;
  std::uint64_t initiator_spi = 0;
  std::uint64_t responder_spi = 0;
  Endpoint local;
  Endpoint remote;
  std::string local_id;
  std::string remote_id;
  std::string algorithms;                                  // "aes256gcm16-prfsha256-x25519"
  bool nat_detected = false;                               // either side behind a NAT → ESP in UDP
  bool nat_local = false;                                  // we are behind a NAT
  bool nat_remote = false;                                 // the peer is (or it faked one)
  bool mobike = false;                                     // both ends announced MOBIKE (RFC 4555)
  std::vector<wire::IpAddress> peer_additional_addresses;  // MOBIKE: the peer's other addresses
  std::vector<wire::IpAddress> local_virtual_ips;          // client: assigned to us by the gateway
  std::vector<wire::IpAddress> remote_virtual_ips;         // gateway: leased to the peer from a pool
  std::string eap_identity;  // the client's EAP identity (either role), empty without EAP
  Seconds age{0};
  std::optional<Seconds> rekey_in;
  std::optional<Seconds> reauth_in;  // time until the scheduled reauthentication (reauth_time)
  std::vector<ChildSaStatus> children;
};

struct ConnectionStatus {
  std::string name;
  StartAction start_action = StartAction::None;
  std::vector<IkeSaStatus> ike_sas;
};

struct EngineCounters {
  std::uint64_t datagrams_received = 0;
  std::uint64_t datagrams_sent = 0;
  std::uint64_t retransmissions = 0;
  std::uint64_t malformed = 0;           // dropped: unparsable or failed SK integrity
  std::uint64_t unknown_spi = 0;         // dropped: no IKE SA for the SPIs
  std::uint64_t duplicate_requests = 0;  // answered from the response cache
  std::uint64_t cookies_sent = 0;
  std::uint64_t ike_sas_established = 0;
  std::uint64_t child_sas_established = 0;
  std::uint64_t ike_sas_rekeyed = 0;
  std::uint64_t child_sas_rekeyed = 0;
  std::uint64_t authentication_failures = 0;
  std::uint64_t no_proposal_chosen = 0;
  // Revocation (revocation_checker.hpp): FetchRevocation actions emitted, answers that had no usable
  // document, IKE_AUTH messages parked waiting for one, and requests dropped while parked.
  std::uint64_t revocation_fetches = 0;
  std::uint64_t revocation_fetch_failures = 0;
  std::uint64_t revocation_parked = 0;
  std::uint64_t revocation_parked_drops = 0;
  // EAP inside IKE_AUTH (v2/task_eap.cpp): conversations begun (either role), and EAP messages
  // discarded as malformed, replayed or out of order.
  std::uint64_t eap_conversations = 0;
  std::uint64_t eap_discarded = 0;
  // Reauthentication and `unique` (v2/task_ike_reauth.cpp, v2/uniqueness.cpp): reauthentications
  // completed as initiator; older IKE SAs deleted by unique = "replace"; newcomers refused by
  // unique = "keep"; older IKE SAs removed because of INITIAL_CONTACT.
  std::uint64_t ike_sas_reauthenticated = 0;
  std::uint64_t unique_replaced = 0;
  std::uint64_t unique_refused = 0;
  std::uint64_t initial_contact_removed = 0;
  // EAP-RADIUS (v2/eap_radius_parking.cpp): Access-Requests asked of the daemon, client requests
  // dropped while one was outstanding (retransmits), and answers nobody waited for any more.
  std::uint64_t radius_requests = 0;
  std::uint64_t radius_parked_drops = 0;
  std::uint64_t radius_answers_unclaimed = 0;
  // For metrics (engine_metrics.hpp): exchanges by kind and role, failure events by reason, time
  // to establish an IKE SA, and responder IKE SAs not yet established (a gauge, set by counters()).
  ExchangeCounters exchanges;
  FailureCounters failures;
  LatencyHistogram handshake_latency;
  std::uint64_t half_open_ike_sas = 0;
  RefusalCounters refusals;  // refusal_counters.hpp
};

struct FailureReport;  // failure_report.hpp

// --- The engine ------------------------------------------------------------------------------

class Engine {
 public:
  // `options.wall_origin` is required (std::invalid_argument otherwise): the engine reads no clock.
  explicit Engine(EngineOptions options, std::shared_ptr<RandomSource> random = system_random());
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Configuration. add_connection applies start_action (start → initiate, trap → trap policies).
  // Returns false (and emits an Error event) for an unusable setting, e.g. no proposals.
  bool add_connection(ConnectionSettings settings, TimePoint now);
  // Deletes the connection's SAs (Delete sent), removes its trap policies.
  bool remove_connection(std::string_view name, TimePoint now);
  std::vector<std::string> connection_names() const;
  // Address pools (`[pools.NAME]`). A pool whose settings did not change keeps its leases; the
  // leases of a pool that is gone are forgotten.
  void set_pools(std::vector<PoolSettings> pools);
  // The users an EAP-MSCHAPv2 gateway checks (`[eap_users.NAME]`). Conversations already running
  // finish with the users they started with.
  void set_eap_users(EapUsers users);
  // Leases from the daemon's state file, offline and reserved for their identities.
  void restore_leases(const std::vector<Lease>& leases);
  std::vector<Lease> leases() const;  // every pool's, by pool then address

  // Operator: initiate every child of a connection / delete its SAs. False if the name is unknown.
  bool up(std::string_view connection, TimePoint now);
  bool down(std::string_view connection, TimePoint now);

  // A UDP datagram for the IKE ports. `local` is the address/port it arrived on.
  void on_datagram(const Endpoint& local, const Endpoint& remote, ByteView udp_payload, TimePoint now);
  // The data plane matched a trap policy of this child with no SA: negotiate it (once).
  void on_acquire(std::string_view connection, std::string_view child, TimePoint now);
  // The data plane reported a byte/packet limit of an installed CHILD SA: soft → rekey, hard →
  // delete.
  void on_child_sa_soft_limit(ChildSaId id, TimePoint now);
  void on_child_sa_hard_limit(ChildSaId id, TimePoint now);
  // The answer to a ResolveRemote: the addresses of the connection's hosts, in order (the first
  // one of a usable family is initiated to; all of them are accepted as the peer from now on).
  // An empty list counts as a failure. Answers nobody waits for are ignored.
  void on_remote_resolved(std::string_view connection, std::vector<wire::IpAddress> addresses, TimePoint now);
  void on_remote_resolution_failed(std::string_view connection, std::string_view reason, TimePoint now);
  // The answer to a FetchRevocation: verified here (crypto/revocation.hpp), cached, and the
  // IKE_AUTH messages that waited for it processed as if it had been cached all along. Answers
  // nobody asked for are ignored.
  void on_revocation_data(std::uint64_t request, const RevocationData& data, TimePoint now);
  // The answer to a RadiusAccessRequest: the IKE_AUTH request that waited for it is answered now
  // (next EAP Request, EAP-Success, or EAP-Failure with AUTHENTICATION_FAILED). Answers for an IKE
  // SA that is gone, or for a request it no longer waits for, are counted and ignored.
  void on_radius_answer(std::uint64_t request, RadiusAnswer answer, TimePoint now);
  // Client MOBIKE (RFC 4555): the host's usable local addresses now (the daemon watches them
  // through netlink). An IKEv2 SA we initiated with MOBIKE whose local address is gone moves to
  // another one of the same family with UPDATE_SA_ADDRESSES (task_mobike.cpp).
  void on_local_addresses(std::vector<wire::IpAddress> addresses, TimePoint now);
  // Runs everything due at `now` (retransmissions, rekeys, expiries, liveness checks).
  void on_timer(TimePoint now);
  // When on_timer must next run (nullopt: nothing scheduled).
  std::optional<TimePoint> next_deadline() const;

  // Actions accumulated since the last call, in order.
  std::vector<Action> take_actions();

  std::vector<ConnectionStatus> status(TimePoint now) const;
  // Whether any IKE SA (either version) is left, e.g. one whose Delete exchange is still under way
  // after remove_connection(): the daemon's shutdown waits (bounded) until there is none.
  bool has_ike_sas() const;
  const EngineCounters& counters() const;
  // The last negotiation failure of a connection, kept after it comes up (failure_report.hpp);
  // unattributed_failure(): the last one no connection matched.
  std::optional<FailureReport> last_failure(std::string_view connection) const;
  std::optional<FailureReport> unattributed_failure() const;
  // The keys of the current SAs (only those retained: see EngineOptions::retain_keys_for_export).
  KeyExport export_keys() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cygnet::ike
