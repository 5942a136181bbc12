// The IKEv1 engine (RFC 2409 with the ISAKMP framing of RFC 2408 and the IPsec DOI of RFC 2407),
// sans-I/O like the IKEv2 engine (v2/ikev2_engine.hpp) and, like it, reached only through the
// version-neutral facade: ike::Engine hands every connection with ike_version = 1 and every
// datagram whose ISAKMP version is 1.x to this class, which emits the same actions, events, status
// and counters into the SharedState both engines use (shared_state.hpp).
//
//   ikev1_engine.cpp        API, datagram routing, retransmission, timers, SA tables, status
//   ikev1_phase1.cpp        Main Mode (6 messages) and Aggressive Mode (3): SA, KE, nonces,
//                           NAT-D, identities, HASH_I/HASH_R or signatures
//   ikev1_quick_mode.cpp    Quick Mode (3 messages): the IPsec SA pair, PFS, client IDs,
//                           lifetimes, RESPONDER-LIFETIME, rekeying
//   ikev1_informational.cpp Delete, notifications, INITIAL-CONTACT, DPD (RFC 3706)
//
// Both peers of an IKEv1 exchange retransmit while they wait for the next message; a peer that
// receives a copy of the message it last answered sends its answer again (bounded).
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "crypto/key_exchange.hpp"
#include "crypto/secure_bytes.hpp"
#include "ike/child_sa.hpp"
#include "ike/engine.hpp"
#include "ike/failure_report.hpp"
#include "ike/half_open_table.hpp"
#include "ike/key_export.hpp"
#include "ike/shared_state.hpp"
#include "ike/traffic_selectors.hpp"
#include "ike/v1/ikev1_keys.hpp"
#include "ike/v1/ikev1_payload_rules.hpp"
#include "ike/v1/ikev1_proposals.hpp"
#include "ike/v1/ikev1_protection.hpp"
#include "wire/isakmp_message.hpp"

namespace cygnet::ike::v1 {

// Our nonces (phase 1 and Quick Mode; RFC 2409 allows 8..256 bytes).
inline constexpr std::size_t kNonceLength = 32;
// A responder answers a repeat of a first message (MM1/AM1) from a source that has not yet
// returned our cookie at most this often, and never with more bytes than it received from it
// (bad-input catalog row 12, CVE-2016-5361).
inline constexpr unsigned kMaxUnverifiedRepeatAnswers = 5;
// Informational message IDs remembered per SA (replay guard).
inline constexpr std::size_t kMaxSeenMessageIds = 256;

// Why an ike_version = 1 connection cannot be used, or nullopt.
std::optional<std::string> unusable_connection(const ConnectionSettings& s);

enum class Phase1Step : std::uint8_t {
  MainSentSa,            // initiator: MM1 sent, waiting for MM2
  MainSentKe,            // initiator: MM3 sent, waiting for MM4
  MainSentAuth,          // initiator: MM5 sent, waiting for MM6
  MainAnsweredSa,        // responder: MM2 sent, waiting for MM3
  MainAnsweredKe,        // responder: MM4 sent, waiting for MM5
  AggressiveSentSa,      // initiator: AM1 sent, waiting for AM2
  AggressiveAnsweredSa,  // responder: AM2 sent, waiting for AM3
  Established,
};

// The messages of one exchange we may have to send again: retransmitted on a timer while we wait
// for the peer, or re-sent when the peer repeats the message we answered.
struct ExchangeTransmission {
  Bytes last_sent;       // without the non-ESP marker
  Bytes answered;        // the peer's message our last_sent answered (a copy → send again)
  bool waiting = false;  // we expect another message: retransmit on the timer
  std::optional<TimePoint> retransmit_at;
  unsigned retransmissions = 0;
  unsigned duplicate_answers = 0;
};

struct QuickMode {
  std::uint32_t message_id = 0;
  bool initiator = false;
  std::string child;
  Bytes iv;  // the exchange's CBC chain
  std::uint32_t our_spi = 0;
  std::uint32_t peer_spi = 0;
  Bytes nonce_i, nonce_r;
  std::shared_ptr<crypto::KeyExchange> ke;  // PFS
  std::optional<crypto::SecureBytes> pfs_secret;
  isakmp::SaPayload offer;                                        // initiator: what we sent
  std::vector<wire::ikev2::TrafficSelector> local_ts, remote_ts;  // ours / the peer's side
  std::optional<Phase2Choice> choice;
  std::optional<ChildSaId> rekey_of;
  std::optional<ChildSaId> installed;  // responder: installed at QM2, activated at QM3
  Seconds lifetime{3600};
  std::uint64_t life_bytes = 0;
  bool done = false;      // finished: kept only to answer a repeated message
  TimePoint forget_at{};  // done: forget it; responder before QM3: give up
  ExchangeTransmission tx;
};

// A phase-1 message carrying the peer's signature (MM5, MM6, AM2, AM3) that waits for a
// FetchRevocation answer: received again, byte for byte, when the answer or the timeout comes
// (Ikev1Engine::resume_parked). Nothing of it was applied: the CBC chain moves only once verified.
struct ParkedPhase1 {
  std::uint64_t request = 0;
  TimePoint deadline{};
  Bytes raw;  // filled by on_phase1 once the handler parked it
  Endpoint local, remote;
};

struct IsakmpSa {
  IkeSaId id = 0;
  std::string connection;
  bool initiator = false;
  bool aggressive = false;
  Phase1Step step = Phase1Step::MainSentSa;
  bool deleting = false;
  std::uint64_t cky_i = 0, cky_r = 0;
  Endpoint local, remote;

  // Vendor IDs and NAT traversal (RFC 3947).
  bool peer_nat_t = false;
  bool peer_dpd = false;
  bool nat_local = false, nat_remote = false;

  // Negotiation.
  Bytes sai_b;  // body of the initiator's SA payload (HASH_I/HASH_R input)
  std::optional<Phase1Suite> suite;
  std::shared_ptr<crypto::KeyExchange> ke;
  Bytes gxi, gxr, nonce_i, nonce_r;
  crypto::SecureBytes shared_secret;
  crypto::SecureBytes skeyid, skeyid_d, skeyid_a;
  std::optional<Phase1Protection> protection;
  crypto::SecureBytes exported_encryption_key;  // only with EngineOptions::retain_keys_for_export
  crypto::SecureBytes exported_skeyid_a;        // likewise
  Bytes iv;                                     // the phase-1 CBC chain
  Bytes phase1_last_iv;  // the chain's value when phase 1 completed: seeds Quick Mode/Informational IVs
  Identity local_id;
  std::optional<Identity> remote_id;
  std::optional<isakmp::IdPayload> peer_id;    // Aggressive Mode responder: IDii from AM1 (HASH_I input)
  std::vector<Bytes> peer_requested_ca_names;  // the peer's CERT_REQUEST payloads: DER names, "" = any CA
  bool send_initial_contact = false;
  std::vector<std::string> pending_children;  // Quick Modes to start once established

  ExchangeTransmission phase1_tx;
  std::map<std::uint32_t, QuickMode> quick_modes;
  std::set<std::uint32_t> seen_message_ids;  // informational replay guard (bounded)

  // Dead peer detection (RFC 3706).
  std::uint32_t dpd_sequence = 0;
  std::optional<std::uint32_t> dpd_outstanding;
  unsigned dpd_retries = 0;
  std::optional<TimePoint> dpd_retry_at;

  TimePoint created{}, established_at{}, last_received{};
  std::optional<TimePoint> half_open_expire, rekey_at, expire_at;
  // Responder: the address it counts against in the half-open table until phase 1 completes, and
  // the bytes exchanged with that (as yet unverified) source for the first message.
  std::optional<wire::IpAddress> half_open_source;
  std::size_t unverified_bytes_in = 0, unverified_bytes_out = 0;
  bool rekey_started = false;
  std::optional<IkeSaId> replaced_by;
  std::optional<ParkedPhase1> parked;  // copies of the peer's message meanwhile are dropped

  std::uint64_t our_cookie() const { return initiator ? cky_i : cky_r; }
  bool established() const { return step == Phase1Step::Established; }
};

class Ikev1Engine {
 public:
  // `shared` is owned by the facade (shared_state.hpp) and outlives this engine.
  explicit Ikev1Engine(SharedState& shared);
  ~Ikev1Engine();
  Ikev1Engine(const Ikev1Engine&) = delete;
  Ikev1Engine& operator=(const Ikev1Engine&) = delete;

  // The front end has checked unusable_connection() and name uniqueness.
  void add_connection(ConnectionSettings settings, TimePoint now);
  bool has_connection(std::string_view name) const;
  bool remove_connection(std::string_view name, TimePoint now);
  std::vector<std::string> connection_names() const;
  bool up(std::string_view connection, TimePoint now);
  bool down(std::string_view connection, TimePoint now);
  // An ISAKMP message (the non-ESP marker already removed).
  void on_datagram(const Endpoint& local, const Endpoint& remote, ByteView message, TimePoint now);
  void on_acquire(std::string_view connection, std::string_view child, TimePoint now);
  bool owns_child(ChildSaId id) const;
  void on_child_sa_soft_limit(ChildSaId id, TimePoint now);
  void on_child_sa_hard_limit(ChildSaId id, TimePoint now);
  void on_timer(TimePoint now);
  // Receives again the phase-1 messages parked on this FetchRevocation (its answer is cached now).
  void resume_parked(std::uint64_t request, TimePoint now);
  std::optional<TimePoint> next_deadline() const;
  std::vector<ConnectionStatus> status(TimePoint now) const;
  bool has_sas() const { return !sas_.empty(); }
  std::size_t half_open_count() const;  // responder ISAKMP SAs whose phase 1 has not completed
  // The retained keys of its ISAKMP SAs and IPsec SAs (Quick Mode) into `out`.
  void export_keys(KeyExport& out) const;

 private:
  // --- tables (ikev1_engine.cpp) ---
  const ConnectionSettings* connection(std::string_view name) const;
  const ChildSettings* child_settings(std::string_view connection, std::string_view child) const;
  IsakmpSa* sa(IkeSaId id);
  IsakmpSa* sa_by_cookies(std::uint64_t cky_i, std::uint64_t cky_r, const Endpoint& remote);
  IsakmpSa* established_sa_for(std::string_view connection);
  IsakmpSa& create_sa(const ConnectionSettings& conn, bool initiator, TimePoint now);
  void release_half_open(IsakmpSa& sa);
  bool is_unverified(IkeSaId id);
  void remember_unverified(IkeSaId id);
  bool evict_oldest_unverified();
  void remove_sa(IkeSaId id, std::optional<EventType> event, const std::string& detail, bool remove_children);
  void initiate(const ConnectionSettings& conn, std::vector<std::string> children, TimePoint now);
  void bring_down(const std::string& connection, TimePoint now);
  bool child_is_up(std::string_view connection, std::string_view child) const;
  ChildSa* child(ChildSaId id);
  void remove_child(ChildSaId id, bool emit_event, const std::string& detail);
  void schedule_phase1_lifetime(IsakmpSa& sa, TimePoint now);
  void phase1_established(IsakmpSa& sa, TimePoint now);
  void adopt_children(IsakmpSa& sa);
  void timer_sa(IsakmpSa& sa, TimePoint now);
  void timer_child(ChildSa& c, TimePoint now);
  // When to rekey something that lives `lifetime`: at `fraction` of it minus up to rekey_jitter.
  Duration rekey_delay(Seconds lifetime, double fraction);

  // Random bytes from the engine's source; nonces are kNonceLength of them.
  Bytes random_bytes(std::size_t n) const;

  // --- sending (ikev1_engine.cpp) ---
  void emit(const Endpoint& local, const Endpoint& remote, ByteView message);
  void peer_address_changed(const IsakmpSa& s, const Endpoint& now_at);  // before s.remote changes
  // (ikev1_peer_address.cpp) Called once the datagram being handled passed its decryption/HASH
  // check: moves the SA to the endpoints it came from, if a NAT explains the move (RFC 3947 §4/§5).
  void follow_peer_address(IsakmpSa& sa);
  // Sends (and remembers for retransmission/duplicates) a message of the phase-1 or a Quick Mode
  // exchange. `waiting`: we expect an answer and retransmit until it comes.
  void transmit(IsakmpSa& sa, ExchangeTransmission& tx, Bytes message, bool waiting, TimePoint now);
  void retransmit(IsakmpSa& sa, ExchangeTransmission& tx, TimePoint now);
  // A repeated message we answered already: send the answer again. True when it was a repeat.
  bool answer_repeat(IsakmpSa& sa, ExchangeTransmission& tx, ByteView raw);
  Bytes encrypt_message(IsakmpSa& sa, const isakmp::Header& header,
                        const std::vector<isakmp::Payload>& payloads, Bytes& iv);
  void malformed(const std::string& connection, std::optional<IkeSaId> sa, const std::string& detail);
  // Checks a message's (decrypted) payloads against the payload table (ikev1_payload_rules.hpp)
  // before any handler reads them (bad-input catalog row 2). True when refused: counted as
  // malformed, named in the event, answered PAYLOAD-MALFORMED only under an established ISAKMP
  // SA (silently dropped before authentication), nothing else changed.
  bool refuse_by_payload_rules(IsakmpSa& sa, Ikev1Message which, bool encrypted,
                               const std::vector<isakmp::Payload>& payloads);
  void event(EventType type, const std::string& connection, std::optional<IkeSaId> sa,
             std::optional<ChildSaId> child, std::string detail);
  isakmp::Header header(const IsakmpSa& sa, isakmp::ExchangeType exchange, std::uint32_t message_id) const;
  // An unencrypted notification to a peer whose phase 1 failed (NO-PROPOSAL-CHOSEN, ...).
  void send_plain_notify(const Endpoint& local, const Endpoint& remote, std::uint64_t cky_i,
                         std::uint64_t cky_r, isakmp::NotifyType type);

  // --- phase 1 (ikev1_phase1.cpp) ---
  void start_phase1(IsakmpSa& sa, TimePoint now);
  void on_phase1(IsakmpSa* sa, const isakmp::Message& m, ByteView raw, const Endpoint& local,
                 const Endpoint& remote, TimePoint now);
  void respond_phase1_first(const isakmp::Message& m, ByteView raw, const Endpoint& local,
                            const Endpoint& remote, TimePoint now);
  void main_mode_2(IsakmpSa& sa, const std::vector<isakmp::Payload>& in, ByteView raw, TimePoint now);
  void main_mode_3(IsakmpSa& sa, const std::vector<isakmp::Payload>& in, ByteView raw, TimePoint now);
  void main_mode_4(IsakmpSa& sa, const std::vector<isakmp::Payload>& in, ByteView raw, TimePoint now);
  void main_mode_5(IsakmpSa& sa, const isakmp::Message& m, ByteView raw, TimePoint now);
  void main_mode_6(IsakmpSa& sa, const isakmp::Message& m, ByteView raw, TimePoint now);
  // MM5 and MM6 alike: decrypt, payload rules, the peer's ID and its HASH or SIG; then the peer's
  // address is followed and the CBC chain moves on. nullopt when the SA failed (already reported).
  std::optional<std::vector<isakmp::Payload>> open_main_mode_auth(IsakmpSa& sa, const isakmp::Message& m,
                                                                  Ikev1Message which);
  void aggressive_2(IsakmpSa& sa, const std::vector<isakmp::Payload>& in, ByteView raw, TimePoint now);
  void aggressive_3(IsakmpSa& sa, const isakmp::Message& m, ByteView raw, TimePoint now);
  std::vector<isakmp::Payload> vendor_ids() const;
  std::vector<isakmp::Payload> vendor_ids_answering(const IsakmpSa& sa) const;  // MM2: echo the peer's
  void read_vendor_ids(IsakmpSa& sa, const std::vector<isakmp::Payload>& in);
  std::vector<isakmp::Payload> nat_d_payloads(const IsakmpSa& sa) const;
  void check_nat_d(IsakmpSa& sa, const std::vector<isakmp::Payload>& in);
  bool derive_keys(IsakmpSa& sa, ByteView peer_public);
  // Our ID, [CERT], HASH or SIG (and [N(INITIAL-CONTACT)]) for MM5/MM6/AM2/AM3.
  std::optional<std::vector<isakmp::Payload>> auth_payloads(IsakmpSa& sa, bool with_id);
  // Keeps the CAs the peer's CERT_REQUEST payloads name: auth_payloads sends our intermediates by them.
  void note_certificate_requests(IsakmpSa& sa, const std::vector<isakmp::Payload>& in);
  // Verifies the peer's HASH or SIG (and certificate); nullopt when authentic, else why not.
  std::optional<std::string> verify_peer_auth(IsakmpSa& sa, const std::vector<isakmp::Payload>& in,
                                              const isakmp::IdPayload& peer_id);
  void phase1_failed(IsakmpSa& sa, EventType type, const std::string& detail,
                     std::optional<isakmp::NotifyType> tell);
  // Unprotects an encrypted phase-1 message; nullopt (counted) when it fails.
  std::optional<Phase1Protection::Unprotected> open_phase1(IsakmpSa& sa, const isakmp::Message& m);

  // --- Quick Mode (ikev1_quick_mode.cpp) ---
  void start_quick_mode(IsakmpSa& sa, const std::string& child, std::optional<ChildSaId> rekey_of,
                        TimePoint now);
  void on_quick_mode(IsakmpSa& sa, const isakmp::Message& m, ByteView raw, TimePoint now);
  void quick_mode_request(IsakmpSa& sa, const isakmp::Message& m, ByteView raw, TimePoint now);
  void quick_mode_response(IsakmpSa& sa, QuickMode& qm, const isakmp::Message& m, ByteView raw,
                           TimePoint now);
  void quick_mode_final(IsakmpSa& sa, QuickMode& qm, const isakmp::Message& m, ByteView raw, TimePoint now);
  ChildSa& install(IsakmpSa& sa, QuickMode& qm, bool route_outbound, TimePoint now);
  // A rekey finished: the old pair is retired (deleted by the side that rekeyed it). When both
  // ends rekeyed it at once, the redundant new pair is retired too, the same one on both ends.
  void settle_rekey(IsakmpSa& sa, ChildSaId old_id, ChildSaId fresh_id, bool we_initiated, TimePoint now);
  void quick_mode_failed(IsakmpSa& sa, std::uint32_t message_id, EventType type, const std::string& detail,
                         TimePoint now);

  // --- informational (ikev1_informational.cpp) ---
  void on_informational(IsakmpSa& sa, const isakmp::Message& m, TimePoint now);
  void send_informational(IsakmpSa& sa, std::vector<isakmp::Payload> payloads);
  void send_delete_children(IsakmpSa& sa, const std::vector<ChildSa*>& children);
  void send_delete_isakmp(IsakmpSa& sa);
  void send_dpd(IsakmpSa& sa, TimePoint now);
  void handle_initial_contact(IsakmpSa& sa);

  SharedState& shared_;
  // The endpoints of the datagram on_datagram is handling (the SA follows them only once the
  // message is authenticated, deep inside the exchange handlers).
  struct Arrival {
    Endpoint local, remote;
  };
  std::optional<Arrival> arrival_;
  std::vector<ConnectionSettings> connections_;
  std::map<IkeSaId, std::unique_ptr<IsakmpSa>> sas_;
  std::map<std::uint64_t, IkeSaId> by_cookie_;                 // our cookie → SA
  std::multimap<std::uint64_t, IkeSaId> responders_by_cky_i_;  // a repeated first message's SA
  HalfOpenTable half_open_;  // responder SAs whose phase 1 has not completed
  // Main Mode responder SAs that answered MM1 and wait for MM3, oldest first (entries of SAs that
  // moved on or are gone are skipped lazily and compacted): at the global cap the oldest makes
  // room for a new MM1, so a spoofed flood cannot lock real peers out.
  std::deque<IkeSaId> unverified_;
  std::map<ChildSaId, ChildSa> children_;
  std::set<std::pair<std::string, std::string>> traps_;
  std::set<std::pair<std::string, std::string>> negotiating_;
};

}  // namespace cygnet::ike::v1
