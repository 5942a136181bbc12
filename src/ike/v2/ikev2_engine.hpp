// The IKEv2 engine (RFC 7296): its SA tables and the operations the task files share. Reached
// only through the version-neutral facade (ike/engine.hpp), which owns the SharedState both
// version engines use. Each exchange concern is a task with its own file (v2/task_*.cpp, listed
// in v2/tasks.hpp); message_io.cpp routes datagrams, protects/unprotects and dispatches requests
// and responses to the tasks; engine_sas.cpp owns the SA tables (create, install, remove);
// ikev2_engine.cpp is what the facade calls (connections, operator commands, status).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ike/child_sa.hpp"
#include "ike/engine.hpp"
#include "ike/failure_report.hpp"
#include "ike/half_open_table.hpp"
#include "ike/key_export.hpp"
#include "ike/shared_state.hpp"
#include "ike/traffic_selectors.hpp"
#include "ike/v2/cookies.hpp"
#include "ike/v2/ike_sa.hpp"
#include "wire/ikev2_message.hpp"

namespace cygnet::ike {

namespace ikev2 = wire::ikev2;

// Result of decrypting a request or response.
struct Decrypted {
  enum class Kind : std::uint8_t { Complete, FragmentPending, Invalid, UnsupportedCritical, BadSyntax };
  Kind kind = Kind::Invalid;
  std::vector<ikev2::Payload> payloads;
  std::uint8_t critical_type = 0;
  std::string detail;
};

// A child SA negotiated by either exchange, ready to install.
struct NegotiatedChild {
  const ChildSettings* settings = nullptr;
  ChildAlgorithms algorithms;
  std::uint32_t inbound_spi = 0;
  std::uint32_t outbound_spi = 0;
  std::vector<ikev2::TrafficSelector> local_ts;
  std::vector<ikev2::TrafficSelector> remote_ts;
  bool transport = false;
  Bytes nonce_i;
  Bytes nonce_r;
  bool we_initiated = false;
  std::optional<ChildSaId> replaces;
  bool per_resource = false;  // RFC 9611 (ChildSa::per_resource, ::resource)
  std::optional<std::uint32_t> resource;
};

namespace v2 {

struct Ikev2Engine {
  explicit Ikev2Engine(SharedState& state);
  Ikev2Engine(const Ikev2Engine&) = delete;
  Ikev2Engine& operator=(const Ikev2Engine&) = delete;

  // --- what the facade calls for ike_version = 2 connections (ikev2_engine.cpp) ---
  void add_connection(ConnectionSettings settings);  // checked by the facade already
  bool has_connection(std::string_view name) const { return connection(name) != nullptr; }
  bool remove_connection(std::string_view name, TimePoint now);
  std::vector<std::string> connection_names() const;
  bool up(std::string_view connection, TimePoint now);
  bool down(std::string_view connection, TimePoint now);
  // An IKEv2 message (the non-ESP marker already removed; the facade routed ISAKMP elsewhere).
  void on_message(const Endpoint& local, const Endpoint& remote, ByteView data, TimePoint now);
  void on_acquire(std::string_view connection, std::string_view child, TimePoint now);
  bool owns_child(ChildSaId id) const { return children.contains(id); }
  void on_child_sa_soft_limit(ChildSaId id, TimePoint now);
  void on_child_sa_hard_limit(ChildSaId id, TimePoint now);
  void on_remote_resolved(std::string_view connection, std::vector<wire::IpAddress> addresses, TimePoint now);
  void on_remote_resolution_failed(std::string_view connection, std::string_view reason, TimePoint now);
  void on_timer(TimePoint now);  // every IKE SA's timers (engine_timers.cpp)
  // start_action = start connections whose host name resolution failed earlier, when due.
  void retry_failed_resolutions(TimePoint now);
  std::optional<TimePoint> next_deadline() const;
  std::vector<ConnectionStatus> status(TimePoint now) const;
  void export_keys(KeyExport& out) const;  // engine_key_export.cpp

  // The state shared with the IKEv1 engine, owned by the facade (shared_state.hpp). The
  // references below name its fields so that the exchange code reads `options`, `actions`,
  // `counters` as before.
  SharedState& shared;
  const EngineOptions& options;
  std::shared_ptr<RandomSource> random;
  std::vector<Action>& actions;
  EngineCounters& counters;
  FailureLog& failures;
  IkeSaId& next_ike_sa_id;
  ChildSaId& next_child_sa_id;
  std::set<std::pair<std::string, std::string>>& traps;  // installed trap policies

  std::vector<ConnectionSettings> connections;  // in configuration order
  std::map<IkeSaId, std::unique_ptr<IkeSa>> ike_sas;
  std::map<std::uint64_t, IkeSaId> by_spi;  // our SPI → IKE SA
  // Responder SAs by the initiator's SPI: a repeated IKE_SA_INIT finds its SA without a scan.
  std::multimap<std::uint64_t, IkeSaId> responders_by_spi_i;
  std::map<ChildSaId, ChildSa> children;
  // (IKE SA, CHILD SA) for every child: an IKE SA's children without a scan of all of them (a
  // gateway with thousands of clients runs this lookup on every timer and every request).
  // Kept by install_child, remove_child and move_children_to; nothing else sets ChildSa::ike_sa.
  std::set<std::pair<IkeSaId, ChildSaId>> children_by_ike;
  std::set<std::pair<std::string, std::string>> negotiating;  // children being negotiated
  CookieJar cookies;
  std::map<std::string, AddressPool, std::less<>> pools;  // `[pools.NAME]` (task_config.cpp)
  HalfOpenTable half_open{options.max_half_open, options.max_half_open_per_source};
  // Host names (engine_resolution.cpp): initiations waiting for a ResolveRemote answer (the
  // children to bring up), the last addresses each connection resolved to, and retries of
  // start_action = start connections whose resolution failed.
  std::map<std::string, std::vector<std::string>, std::less<>> resolving;
  std::map<std::string, std::vector<wire::IpAddress>, std::less<>> resolved_remote;
  std::map<std::string, TimePoint, std::less<>> resolve_retry_at;

  // --- lookups (engine_sas.cpp) ---
  const ConnectionSettings* connection(std::string_view name) const;
  const ChildSettings* child_settings(std::string_view connection, std::string_view child) const;
  IkeSa* ike_sa(IkeSaId id);
  IkeSa* ike_sa_by_spi(std::uint64_t our_spi);
  // The responder SA a (possibly late, duplicated) IKE_SA_INIT request belongs to: same SPIi, same
  // peer address (its port may have moved to 4500 since).
  IkeSa* half_open_for(std::uint64_t spi_i, const Endpoint& remote);
  std::vector<ChildSa*> children_of(IkeSaId id);
  std::vector<const ChildSa*> children_of(IkeSaId id) const;
  // The IKE rekey's hand-over: every CHILD SA of `from` belongs to `to` from now on.
  void move_children_to(IkeSaId from, IkeSaId to);
  ChildSa* child_by_outbound_spi(IkeSaId ike, std::uint32_t spi);
  ChildSa* child_by_inbound_spi(IkeSaId ike, std::uint32_t spi);
  std::size_t half_open_count() const;
  bool child_is_up(std::string_view connection, std::string_view child) const;

  // --- SA lifecycle (engine_sas.cpp) ---
  IkeSa& create_ike_sa(const ConnectionSettings& conn, bool initiator, TimePoint now);
  std::uint64_t fresh_ike_spi();
  void set_ike_keys(IkeSa& sa, ByteView skeyseed);
  void schedule_ike_lifetime(IkeSa& sa, const ConnectionSettings& conn, TimePoint now);
  void ike_sa_established(IkeSa& sa, TimePoint now);
  // Once authenticated, drops what only IKE_SA_INIT and IKE_AUTH needed (the IKE_SA_INIT messages,
  // the nonces, the key exchange, the cookie, every key but SK_d): later exchanges bring their own
  // nonces, and the SK protection holds its own copies of SK_e/SK_a.
  void release_establishment_state(IkeSa& sa);
  // A responder SA stops counting as half-open (established or removed).
  void release_half_open(IkeSa& sa);
  // Removes the IKE SA and every CHILD SA still attached (RemoveChildSa each), with an event.
  void remove_ike_sa(IkeSaId id, std::optional<EventType> event, const std::string& detail);
  ChildSa& install_child(IkeSa& sa, const NegotiatedChild& n, const ChildSaKeys& keys, bool route_outbound,
                         TimePoint now);
  void remove_child(ChildSaId id, bool emit_event, const std::string& detail);
  Identity our_identity(const ConnectionSettings& conn, const IkeSa& sa) const;
  // --- configuration payload, virtual IPs (task_config.cpp) ---
  // Client: CP(CFG_REQUEST) for the connection's `vips`, appended to the IKE_AUTH request.
  // A reauthentication asks for the addresses the old SA holds (`held`) instead of `vips`.
  void append_config_request(const ConnectionSettings& conn, std::vector<ikev2::Payload>& out,
                             const std::vector<wire::IpAddress>* held = nullptr) const;
  // Gateway: the peer's CFG_REQUEST in IKE_AUTH (authenticated already), answered from the
  // connection's pools. NotRequested: no CP (or not a request); Malformed: refuse the IKE SA
  // with INVALID_SYNTAX; AddressFailure: N(INTERNAL_ADDRESS_FAILURE) instead of the CHILD SA.
  enum class ConfigAnswer : std::uint8_t { NotRequested, Assigned, Malformed, AddressFailure };
  ConfigAnswer answer_config_request(IkeSa& sa, const ConnectionSettings& conn,
                                     const std::vector<ikev2::Payload>& in, std::vector<ikev2::Payload>& out);
  // Client: the CFG_REPLY of the IKE_AUTH response. False (with an event) when the connection
  // wants virtual IPs and got none, or the reply is malformed: the first CHILD SA is not installed
  // and the IKE SA is deleted.
  bool take_config_reply(IkeSa& sa, const ConnectionSettings& conn, const std::vector<ikev2::Payload>& in);
  // Releases the SA's leases (gateway) or its assigned addresses (client), with their actions.
  void release_virtual_ips(IkeSa& sa);
  // The selectors a virtual IP imposes: ours (local, client) or the peer's (remote, gateway);
  // nullopt when the SA has none on that side. A client still waiting for its reply proposes
  // the whole address range of each family it asked for.
  std::optional<std::vector<ikev2::TrafficSelector>> virtual_ip_selectors(const IkeSa& sa, bool local) const;
  void set_pools(std::vector<PoolSettings> settings);

  std::vector<ikev2::TrafficSelector> local_selectors(const ChildSettings& c, const IkeSa& sa) const;
  std::vector<ikev2::TrafficSelector> remote_selectors(const ChildSettings& c, const IkeSa& sa) const;
  std::optional<TimePoint> child_rekey_time(const ChildSettings& c, TimePoint now);

  // --- operator and requests (ikev2_engine.cpp / engine_requests.cpp) ---
  void initiate(const ConnectionSettings& conn, std::vector<std::string> children, TimePoint now);
  void initiate_to(const ConnectionSettings& conn, const wire::IpAddress& remote,
                   std::vector<std::string> children, TimePoint now);
  // --- host names (engine_resolution.cpp) ---
  void request_resolution(const ConnectionSettings& conn, std::vector<std::string> child_names);
  void resolution_failed(const ConnectionSettings& conn, const std::string& detail, TimePoint now);
  // Whether `a` may be this connection's peer: remote_addrs, or the last resolution of remote_hosts.
  bool remote_allowed(const ConnectionSettings& c, const wire::IpAddress& a) const;
  void forget_resolution(std::string_view connection);
  void queue_request(IkeSa& sa, Task task, TimePoint now, bool front = false);
  void pump(IkeSa& sa, TimePoint now);
  // Shutdown and `down` while a request is outstanding (engine_requests.cpp).
  void close_after_outstanding(IkeSa& sa, TimePoint now);
  void end_exchange_before_delete(IkeSa& sa, Task& task, const std::vector<ikev2::Payload>& in,
                                  TimePoint now);
  void bring_down(const std::string& connection, TimePoint now);
  void on_timer_sa(IkeSa& sa, TimePoint now);
  void retransmit_or_give_up(IkeSa& sa, TimePoint now);

  // --- revocation (revocation_parking.cpp) ---
  // After the peer's chain and signature verified: accept, refuse (why set), or park the message
  // (`payloads`, and for the initiator its IKE_AUTH `task`) until the FetchRevocation answer.
  RevocationGate revocation_gate(IkeSa& sa, const ConnectionSettings& conn,
                                 const std::vector<crypto::Certificate>& chain, bool is_request,
                                 const std::vector<ikev2::Payload>& payloads, Task* task, TimePoint now);
  // Processes the messages parked on `request` again (the answer is cached now).
  void resume_parked(std::uint64_t request, TimePoint now);
  void resume_parked_sa(IkeSa& sa, TimePoint now);

  // --- datagrams (message_io.cpp) ---
  void emit(const Endpoint& local, const Endpoint& remote, ByteView message);
  std::vector<Bytes> protect(IkeSa& sa, const ikev2::Header& header,
                             const std::vector<ikev2::Payload>& payloads);
  void send_request(IkeSa& sa, ikev2::ExchangeType exchange, const std::vector<ikev2::Payload>& payloads,
                    Task task, TimePoint now);
  void send_response(IkeSa& sa, ikev2::ExchangeType exchange, std::uint32_t message_id,
                     const std::vector<ikev2::Payload>& payloads);
  // A one-shot unencrypted answer to an IKE_SA_INIT request (errors, COOKIE): no state kept.
  void send_init_error(const Endpoint& local, const Endpoint& remote, const ikev2::Header& request,
                       ikev2::NotifyType type, Bytes data);
  Decrypted decrypt(IkeSa& sa, const ikev2::Message& message, ByteView raw);
  void handle_request(IkeSa& sa, const ikev2::Message& message, ByteView raw, const Endpoint& local,
                      const Endpoint& remote, TimePoint now);
  void handle_response(IkeSa& sa, const ikev2::Message& message, ByteView raw, TimePoint now);
  // Checks a decrypted request against the payload table (ikev2_payload_rules.hpp); true when it
  // was refused (answered INVALID_SYNTAX, counted) and must not reach a handler.
  bool refuse_by_payload_rules(IkeSa& sa, const ikev2::Message& m,
                               const std::vector<ikev2::Payload>& payloads);
  // An authenticated request came from local/remote: take them as the SA's addresses only where
  // RFC 7296 §2.23 allows (the float to port 4500, or a NAT detected in front of the peer).
  void follow_peer_address(IkeSa& sa, const Endpoint& local, const Endpoint& remote);
  void malformed(const std::string& connection, std::optional<IkeSaId> sa, const std::string& detail);

  // --- the task tables (dispatch.cpp, see tasks.hpp) ---
  // The task's start(): its request goes out, or the task is dropped.
  void start_request(IkeSa& sa, Task task, TimePoint now);
  // The outstanding request's decrypted response, to the task that sent it.
  void finish_request(IkeSa& sa, Task& task, const std::vector<ikev2::Payload>& in, TimePoint now);
  // The peer's decrypted request (a known exchange type, authenticated or IKE_AUTH) → our answer.
  // nullopt: no answer at all (an IKE_AUTH request the SA must not take).
  std::optional<std::vector<ikev2::Payload>> answer_request(IkeSa& sa, ikev2::ExchangeType exchange,
                                                            const std::vector<ikev2::Payload>& in,
                                                            TimePoint now);

  // --- each task: start() sends its request, on_response() processes the answer ---
  void start(IkeSa& sa, IkeSaInitTask task, TimePoint now);
  void start(IkeSa& sa, IkeAuthTask task, TimePoint now);
  void start(IkeSa& sa, EapRoundTask task, TimePoint now);
  void start(IkeSa& sa, ChildCreateTask task, TimePoint now);
  void start(IkeSa& sa, ChildRekeyTask task, TimePoint now);
  void start(IkeSa& sa, IkeRekeyTask task, TimePoint now);
  void start(IkeSa& sa, DeleteChildrenTask task, TimePoint now);
  void start(IkeSa& sa, DeleteIkeTask task, TimePoint now);
  void start(IkeSa& sa, LivenessTask task, TimePoint now);
  void start(IkeSa& sa, MobikeUpdateTask task, TimePoint now);
  void start(IkeSa& sa, MobikeCheckTask task, TimePoint now);
  void start(IkeSa& sa, ReauthRetireTask task, TimePoint now);
  void start(IkeSa& sa, ReplaceOlderTask task, TimePoint now);
  void on_response(IkeSa& sa, IkeSaInitTask& task, const std::vector<ikev2::Payload>& in, TimePoint now);
  void on_response(IkeSa& sa, IkeAuthTask& task, const std::vector<ikev2::Payload>& in, TimePoint now);
  void on_response(IkeSa& sa, EapRoundTask& task, const std::vector<ikev2::Payload>& in, TimePoint now);
  void on_response(IkeSa& sa, ChildCreateTask& task, const std::vector<ikev2::Payload>& in, TimePoint now);
  void on_response(IkeSa& sa, ChildRekeyTask& task, const std::vector<ikev2::Payload>& in, TimePoint now);
  void on_response(IkeSa& sa, IkeRekeyTask& task, const std::vector<ikev2::Payload>& in, TimePoint now);
  void on_response(IkeSa& sa, DeleteChildrenTask& task, const std::vector<ikev2::Payload>& in, TimePoint now);
  void on_response(IkeSa& sa, DeleteIkeTask& task, const std::vector<ikev2::Payload>& in, TimePoint now);
  void on_response(IkeSa& sa, LivenessTask& task, const std::vector<ikev2::Payload>& in, TimePoint now);
  void on_response(IkeSa& sa, MobikeUpdateTask& task, const std::vector<ikev2::Payload>& in, TimePoint now);
  void on_response(IkeSa& sa, MobikeCheckTask& task, const std::vector<ikev2::Payload>& in, TimePoint now);
  void on_response(IkeSa& sa, ReauthRetireTask& task, const std::vector<ikev2::Payload>& in, TimePoint now);
  void on_response(IkeSa& sa, ReplaceOlderTask& task, const std::vector<ikev2::Payload>& in, TimePoint now);

  // --- IKE_SA_INIT (task_ike_sa_init.cpp) ---
  void send_init_request(IkeSa& sa, TimePoint now);
  void process_init_request(const ikev2::Message& m, ByteView raw, const Endpoint& local,
                            const Endpoint& remote, TimePoint now);
  void process_init_response(IkeSa& sa, const ikev2::Message& m, ByteView raw, TimePoint now);

  // --- IKE_AUTH (task_ike_auth.cpp) ---
  void send_auth_request(IkeSa& sa, TimePoint now);
  // nullopt: parked until the peer's revocation status is known (revocation_parking.cpp).
  std::optional<std::vector<ikev2::Payload>> process_auth_request(IkeSa& sa,
                                                                  const std::vector<ikev2::Payload>& in,
                                                                  TimePoint now);
  void process_auth_response(IkeSa& sa, IkeAuthTask& task, const std::vector<ikev2::Payload>& in,
                             TimePoint now);
  // Responder, the peer authenticated: INITIAL_CONTACT, the configuration payload and the first
  // CHILD SA of `request` (its first IKE_AUTH request), appended to `out` (our IDr/CERT/AUTH).
  std::vector<ikev2::Payload> answer_authenticated_request(IkeSa& sa, const ConnectionSettings& conn,
                                                           const std::vector<ikev2::Payload>& request,
                                                           std::vector<ikev2::Payload> out, TimePoint now);
  // Initiator, the responder authenticated as `peer`: the SA is up; the configuration reply and the
  // first CHILD SA of the final response `in` are taken.
  void complete_authentication(IkeSa& sa, const ConnectionSettings& conn,
                               std::optional<ChildNegotiation>& child, const Identity& peer,
                               const std::vector<ikev2::Payload>& in, TimePoint now);

  // --- EAP inside IKE_AUTH (task_eap.cpp) ---
  std::shared_ptr<const EapUsers> eap_users;  // [eap_users]: remote_auth = "eap-mschapv2"
  // Gateway: the client's first IKE_AUTH request came without AUTH → IDr, CERT, AUTH and the
  // first EAP Request (or the refusal).
  std::vector<ikev2::Payload> begin_eap_as_gateway(IkeSa& sa, const ConnectionSettings& conn,
                                                   const Identity& peer,
                                                   const std::vector<ikev2::Payload>& in, TimePoint now);
  // Gateway: every later IKE_AUTH request of the SA (EAP Responses, then the client's AUTH).
  // nullopt: parked for an EAP-TLS certificate's revocation status (like process_auth_request).
  std::optional<std::vector<ikev2::Payload>> process_eap_request(IkeSa& sa,
                                                                 const std::vector<ikev2::Payload>& in,
                                                                 TimePoint now);
  // EAP-TLS (eap_certificates.cpp): the certificates the EAP method authenticated pass the checks
  // of IKE certificates for `identity`, then revocation (Wait parks the message). Accept when
  // `certificates` is empty (a method without certificates).
  RevocationGate eap_certificate_gate(IkeSa& sa, const ConnectionSettings& conn,
                                      const std::vector<crypto::Certificate>& certificates,
                                      const Identity& identity, bool is_request,
                                      const std::vector<ikev2::Payload>& in, Task* task, TimePoint now);
  // Client: the gateway's first IKE_AUTH response, whose AUTH verified → our first EAP round.
  void begin_eap_as_client(IkeSa& sa, const ConnectionSettings& conn, IkeAuthTask& task,
                           const ikev2::IdPayload& idr, const std::vector<ikev2::Payload>& in, TimePoint now);
  void send_eap_round(IkeSa& sa, EapRoundTask task, Bytes eap_packet, TimePoint now);
  // --- EAP-RADIUS (eap_radius_parking.cpp) ---
  // The EAP server answered Pending: emits the RadiusAccessRequest and parks the request `in`.
  std::vector<ikev2::Payload> wait_for_eap_server(IkeSa& sa, const std::vector<ikev2::Payload>& in);
  void on_radius_answer(std::uint64_t request, RadiusAnswer answer, TimePoint now);
  std::uint64_t next_radius_request = 1;

  // --- CHILD SA negotiation shared by IKE_AUTH and CREATE_CHILD_SA (child_negotiation.cpp) ---
  ChildNegotiation prepare_child(IkeSa& sa, const ChildSettings& c, bool in_ike_auth);
  void append_child_request(const ChildNegotiation& n, std::vector<ikev2::Payload>& out);
  // Responder: the SA/TS (and KE) payloads of a request → our answer appended to `out` (SA, [Nr],
  // [KEr], TSi, TSr), or an error notify. `forced` is the child being rekeyed.
  std::optional<ChildSaId> answer_child(IkeSa& sa, const std::vector<ikev2::Payload>& in, ByteView nonce_i,
                                        ByteView nonce_r, bool in_ike_auth, const ChildSettings* forced,
                                        std::optional<ChildSaId> replaces, std::vector<ikev2::Payload>& out,
                                        TimePoint now);
  // Initiator: the response's payloads → installed child, or an event explaining the failure.
  std::optional<ChildSaId> accept_child(IkeSa& sa, const ChildNegotiation& n,
                                        const std::vector<ikev2::Payload>& in, ByteView nonce_i,
                                        ByteView nonce_r, TimePoint now);
  // --- RFC 9611 per-resource CHILD SAs (per_resource_sas.cpp) ---
  // Whether we ask for them for this child: per_cpu_sas and more than one data-plane worker.
  bool wants_per_resource_sas(const ChildSettings& c) const;
  // Responder: what a request for a new (or, `replaces`, rekeyed) CHILD SA of child `c` gets.
  struct ResourceAnswer {
    bool per_resource = false;              // echo SA_RESOURCE_INFO, ChildSa::per_resource
    std::optional<std::uint32_t> resource;  // our worker for it (nullopt: the fallback)
    bool refused = false;                   // TS_MAX_QUEUE: no more of them
  };
  ResourceAnswer answer_resource_info(const IkeSa& sa, const ChildSettings& c,
                                      const std::vector<ikev2::Payload>& in,
                                      std::optional<ChildSaId> replaces) const;
  // Initiator: the fallback came up per-resource; one more CREATE_CHILD_SA per worker.
  void request_per_resource_sas(IkeSa& sa, const ChildSa& fallback, TimePoint now);

  // --- CREATE_CHILD_SA for a new CHILD SA (task_child_create.cpp) ---
  // Sends the request of a new child, or of a rekey of `rekey_of` (then a ChildRekeyTask);
  // `resource`: an additional RFC 9611 per-resource CHILD SA for that worker.
  void send_create_child_request(IkeSa& sa, const std::string& child, std::optional<ChildSaId> rekey_of,
                                 TimePoint now, std::optional<std::uint32_t> resource = std::nullopt);
  // Responder: every CREATE_CHILD_SA request enters here and goes to the task it concerns (new
  // CHILD SA, CHILD rekey, IKE rekey).
  std::vector<ikev2::Payload> process_create_child_request(IkeSa& sa, const std::vector<ikev2::Payload>& in,
                                                           TimePoint now);
  // Responder: our answer to a request for a CHILD SA (new, or replacing `replaces`).
  std::vector<ikev2::Payload> answer_child_request(IkeSa& sa, const std::vector<ikev2::Payload>& in,
                                                   ByteView nonce_i, const ChildSettings* forced,
                                                   std::optional<ChildSaId> replaces, TimePoint now);
  // Initiator: the response to a new child's or a rekey's request.
  void process_create_child_response(IkeSa& sa, const ChildNegotiation& n,
                                     const std::vector<ikev2::Payload>& in, TimePoint now);

  // --- CHILD SA rekey (task_child_rekey.cpp) ---
  // Responder: a request with REKEY_SA naming the CHILD SA to replace.
  std::vector<ikev2::Payload> process_child_rekey_request(IkeSa& sa, const std::vector<ikev2::Payload>& in,
                                                          const ikev2::NotifyPayload& rekey, ByteView nonce_i,
                                                          TimePoint now);
  // Simultaneous CHILD rekey (§2.8.1): true when `old` was also rekeyed by the peer; the redundant
  // pair is then retired.
  // §2.8.1 loser: once the winner's SA `winner` carries our traffic, Delete our redundant one(s).
  void retire_redundant_children(IkeSa& sa, ChildSaId winner, TimePoint now);
  bool resolve_rekey_collision(IkeSa& sa, ChildSa& old, ChildSa& ours, ByteView our_ni, ByteView our_nr,
                               TimePoint now);

  // --- IKE SA rekey (task_ike_rekey.cpp) ---
  void send_rekey_ike_request(IkeSa& sa, TimePoint now);
  std::vector<ikev2::Payload> process_rekey_ike_request(IkeSa& sa, const std::vector<ikev2::Payload>& in,
                                                        TimePoint now);
  void process_rekey_ike_response(IkeSa& sa, IkeRekeyTask& task, const std::vector<ikev2::Payload>& in,
                                  TimePoint now);
  IkeSa& adopt_rekeyed_ike_sa(IkeSa& old, bool we_initiated, std::uint64_t spi_i, std::uint64_t spi_r,
                              const ikev2::Proposal& chosen, ByteView shared_secret, ByteView ni, ByteView nr,
                              TimePoint now);

  // --- INFORMATIONAL requests: Delete, notifies, liveness (task_delete.cpp) ---
  std::vector<ikev2::Payload> process_informational_request(IkeSa& sa, const std::vector<ikev2::Payload>& in,
                                                            TimePoint now);
  void handle_initial_contact(IkeSa& sa);

  // --- reauthentication (task_ike_reauth.cpp) ---
  // The first reauthentication deadline of a freshly authenticated SA (nullopt: off, or we
  // cannot initiate to the peer).
  void schedule_reauthentication(IkeSa& sa, const ConnectionSettings& conn, TimePoint now);
  // Due: a new IKE SA to the same peer, with fresh IKE_SA_INIT and IKE_AUTH and the old SA's
  // children; the old one carries traffic until the new one has them all.
  void start_reauthentication(IkeSa& old, TimePoint now);
  // The virtual IPs the new SA of a reauthentication asks for: those the old one holds.
  const std::vector<wire::IpAddress>* reauth_virtual_ips(const IkeSa& fresh);
  // The newest SA a reauthentication replaces (the old SA may have been rekeyed meanwhile).
  IkeSa* reauth_predecessor(const IkeSa& fresh);
  // `old` is being deleted: each of its CHILD SAs whose traffic another IKE SA of the same peer
  // carries (the reauthenticated one) moves there and stays for old_sa_grace, so that packets
  // sent before the Delete still arrive; that SA's own child takes the outbound side now.
  void hand_over_children(IkeSa& old, TimePoint now);

  // --- a second IKE SA of one peer identity, `unique` and INITIAL_CONTACT (uniqueness.cpp) ---
  // The identity uniqueness is judged by: the EAP identity when there was one, else the IKE one.
  static std::string peer_identity_key(const IkeSa& sa);
  // Responder, `sa` just authenticated: applies the connection's `unique` policy and the peer's
  // INITIAL_CONTACT. False: refused (unique = keep); the caller answers AUTHENTICATION_FAILED.
  // `to_replace`: the older SAs to delete once the newcomer's CHILD SA is installed.
  bool enforce_uniqueness(IkeSa& sa, const ConnectionSettings& conn, bool initial_contact,
                          std::vector<IkeSaId>& to_replace);
  // Deletes `older` (Delete sent; with INITIAL_CONTACT not waited for); their CHILD SAs' traffic
  // moves to `sa`'s (hand_over_children).
  void replace_older_sas(IkeSa& sa, const std::vector<IkeSaId>& older, bool initial_contact, TimePoint now);
  // Responder: another IKE SA of the same peer already carries this CHILD SA's traffic (a
  // reauthentication or second login): the new child's outbound waits until that one goes.
  bool child_carried_by_other_sa(const IkeSa& sa, const NegotiatedChild& n) const;

  // --- MOBIKE, RFC 4555 (task_mobike.cpp) ---
  // IKE_AUTH: MOBIKE_SUPPORTED when the connection has `mobike`; MOBIKE is on for the SA when both
  // announced it (take_mobike_announcement, on the peer's IKE_AUTH message).
  void append_mobike_supported(const ConnectionSettings& conn, std::vector<ikev2::Payload>& out) const;
  void take_mobike_announcement(IkeSa& sa, const ConnectionSettings& conn,
                                const std::vector<ikev2::Payload>& in);
  void take_additional_addresses(IkeSa& sa, const std::vector<ikev2::Payload>& in);
  // An INFORMATIONAL request with UPDATE_SA_ADDRESSES on a MOBIKE SA: it moves the SA itself
  // (handle_request then leaves the addresses alone).
  bool is_mobike_update(const IkeSa& sa, ikev2::ExchangeType exchange,
                        const std::vector<ikev2::Payload>& in) const;
  // The answer to an INFORMATIONAL request carrying MOBIKE notifies; nullopt: none (or MOBIKE off).
  std::optional<std::vector<ikev2::Payload>> answer_mobike_request(IkeSa& sa,
                                                                   const std::vector<ikev2::Payload>& in,
                                                                   TimePoint now);
  // Gateway: moves the SA to where the request came from; false (error notify in `out`) if refused.
  bool update_sa_addresses(IkeSa& sa, const std::vector<ikev2::Payload>& in, std::vector<ikev2::Payload>& out,
                           TimePoint now);
  // Every CHILD SA of the IKE SA onto its current addresses and NAT state (UpdateChildSaAddresses).
  void move_children(IkeSa& sa);
  // Client: the host's local addresses changed (Engine::on_local_addresses).
  void on_local_addresses(std::vector<wire::IpAddress> addresses, TimePoint now);
  std::vector<std::pair<Endpoint, Endpoint>> mobike_paths(const IkeSa& sa) const;
  std::vector<ikev2::Payload> mobike_update_payloads(const IkeSa& sa, const MobikeUpdateTask& task) const;
  // The outstanding UPDATE_SA_ADDRESSES went unanswered on its path: send it over the next (§3.6).
  // False when there is none left (the SA is then given up as for any unanswered request).
  bool retry_mobike_path(IkeSa& sa, TimePoint now);
  std::vector<wire::IpAddress> local_addresses;  // as last reported by on_local_addresses

  // --- failure reports for `cygnetctl why` (engine_failures.cpp); each before its event ---
  void report_ike_proposals_refused(const std::vector<const ConnectionSettings*>& candidates,
                                    const std::vector<ikev2::Proposal>& offered, const Endpoint& remote,
                                    const std::string& explanation);
  void report_ike_proposals_rejected_by_peer(const IkeSa& sa, const ConnectionSettings& conn,
                                             std::string summary);
  void report_child_selectors_refused(const IkeSa& sa, const ChildSettings& child,
                                      const std::vector<ikev2::TrafficSelector>& tsi,
                                      const std::vector<ikev2::TrafficSelector>& tsr, bool in_ike_auth);
  void report_child_proposals_refused(const IkeSa& sa, const ChildSettings& child,
                                      const std::vector<ikev2::Proposal>& offered,
                                      const std::vector<ikev2::Proposal>& ours,
                                      const std::string& explanation, bool in_ike_auth);
  void report_child_rejected_by_peer(const IkeSa& sa, const ChildNegotiation& n, bool selectors);
  void report_authentication(const IkeSa& sa, const std::string& connection, const std::string& peer_id,
                             const std::string& why);
  void report_authentication_rejected_by_peer(const IkeSa& sa, const ConnectionSettings& conn);
  void report_unanswered(const IkeSa& sa, const OutstandingRequest& request, bool liveness);

  // --- events ---
  void event(EventType type, const std::string& connection, std::optional<IkeSaId> sa,
             std::optional<ChildSaId> child, std::string detail);
  // Before sa.remote takes `now_at`: a PeerAddressChanged event "OLD -> NEW".
  void peer_address_changed(const IkeSa& sa, const Endpoint& now_at);
};

}  // namespace v2

// Helpers shared by the exchange files.
ikev2::NotifyPayload notify(ikev2::NotifyType type, Bytes data = {});
Bytes u16_bytes(std::uint16_t v);
Bytes u32_bytes(std::uint32_t v);
Bytes u64_bytes(std::uint64_t v);
std::optional<std::uint32_t> read_u32(ByteView b);
std::optional<std::uint64_t> read_u64(ByteView b);
bool nonce_length_ok(std::size_t n);  // 16..256 (§3.9)
// The first error notify of a response (type < 16384), if any.
const ikev2::NotifyPayload* first_error_notify(const std::vector<ikev2::Payload>& payloads);
bool address_allowed(const std::vector<wire::IpAddress>& allowed, const wire::IpAddress& a);
ExchangeKind exchange_kind(ikev2::ExchangeType exchange);
// Whether a task handles this exchange type: false for values from the wire no enumerator names,
// which are refused before any dispatch (dispatch.cpp).
bool known_exchange(ikev2::ExchangeType exchange);

}  // namespace cygnet::ike
