// The control protocol between cygnetd and cygnetctl: one JSON object per line over a Unix stream
// socket. Shared by both sides so the framing and the field names live in one place.
//
// Request:  {"command": "status" | "stats" | "up" | "down" | "reload" | "why" | "monitor" | "leases", "name":
// "<connection>"}
//           ("name" only for up/down/why). One request per connection; the server answers and closes
//           (except "monitor", see below).
// Response: {"ok": true, "result": {...}}  or  {"ok": false, "error": "what went wrong, in words"}
//
// "status" result:
// {
//   "daemon": {"pid": 123, "uptime_seconds": 42, "config": "/etc/cygnet/site-a.toml", "tun": "cygnet0"},
//   "connections": [{
//     "name": "site-b", "ike_version": 2, "start_action": "start",
//     "local_addrs": ["192.0.2.1"], "remote_addrs": ["192.0.2.2"]   (empty list = %any; or host names),
//     "children": [{"name": "net", "mode": "tunnel", "protocol": "esp",
//                   "local_ts": ["198.51.100.0/24"], "remote_ts": ["203.0.113.0/24"]}],
//     "ike_sas": [{
//       "id": 1, "version": 2 | 1   (IKEv2 IKE SA, or IKEv1 ISAKMP SA = phase 1),
//       "mode": "main" | "aggressive"   (only when version is 1: the phase-1 exchange),
//       "state": "established" | "connecting" | "rekeying" | "deleting",
//       "initiator": true, "initiator_spi": "0123456789abcdef", "responder_spi": "fedcba9876543210",
//       "local": "192.0.2.1[500]", "remote": "192.0.2.2[500]",
//       "local_id": "192.0.2.1", "remote_id": "192.0.2.2",
//       "algorithms": "aes256gcm16-prfsha256-x25519", "nat_detected": false, "eap_identity": "",
//       "age_seconds": 12, "rekey_in_seconds": 13000 (or null), "reauth_in_seconds": null,
//       "child_sas": [{   (for IKEv1: the IPsec SAs negotiated by Quick Mode)
//         "id": 2, "name": "net", "protocol": "esp", "mode": "tunnel",
//         "inbound_spi": "c1a2b3c4", "outbound_spi": "d5e6f708", "algorithms": "aes256gcm16",
//         "udp_encapsulated": false,
//         "local_ts": ["198.51.100.0/24"], "remote_ts": ["203.0.113.0/24"],
//         "age_seconds": 12, "rekey_in_seconds": 3000 (or null),
//         "inbound":  {"packets": 10, "bytes": 840},
//         "outbound": {"packets": 10, "bytes": 840},
//         "path_mtu": 1280 (or null: unknown), "inner_mtu": 1226 (or null): the outer path MTU
//           toward the peer (route MTU, lowered by ICMP) and the largest inner packet that fits it
//       }]
//     }],
//     "last_failure": null | {   (the connection's last negotiation failure, kept after it comes up)
//       "age_seconds": 3, "class": "proposal" | "traffic-selectors" | "identity" | "certificate" |
//                                  "authentication" | "timeout" | "peer-dead" | "other",
//       "role": "initiator" | "responder", "ike_version": 2, "exchange": "IKE_SA_INIT",
//       "summary": "one line", "peer": "192.0.2.2[500]", "child": "" (or the CHILD SA's name),
//       "subject": "IKE proposals" | "ESP proposals" | "traffic selectors" | "identities" | ...,
//       "ours": ["aes256gcm16-prfsha256-x25519"], "theirs": [] (empty: the peer did not show them),
//       "nearest": "the closest pair of offers and how they differ",
//       "fix": "the one change that would make both sides agree",
//       "unanswered": "IKE_AUTH request 1" (timeouts), "retransmissions": 5,
//       "received_anything": true | false | null (timeouts: whether the peer ever answered),
//       "text": ["the report in words, one line each, as cygnetctl why prints it"]
//     }
//   }]
// }
//
// "why" result: {"connection": "site-b", "start_action": "start", "up": false, "ike_sas": 0,
//   "child_sas": 0, "last_failure": null | {...as in status},
//   "unattributed_failure": null | {...}   (the last failure no connection matched, e.g. a peer
//   whose addresses no connection accepts; connection-independent)}; ok=false for an unknown name.
//
// "stats" result:
// {
//   "ike": {"datagrams_received": 0, "datagrams_sent": 0, "retransmissions": 0, "malformed": 0,
//           "unknown_spi": 0, "duplicate_requests": 0, "cookies_sent": 0, "ike_sas_established": 0,
//           "child_sas_established": 0, "ike_sas_rekeyed": 0, "child_sas_rekeyed": 0,
//           "authentication_failures": 0, "no_proposal_chosen": 0, "half_open_ike_sas": 0,
//           "refused_half_open_global_cap": 0, "refused_half_open_per_source_cap": 0,
//           "refused_request_before_auth": 0, "refused_address_change": 0,
//           "refused_repeat_budget": 0, "refused_unverified_evicted": 0,
//           "revocation_fetches": 0, "revocation_fetch_failures": 0, "revocation_parked": 0,
//           "revocation_parked_drops": 0, "eap_conversations": 0, "eap_discarded": 0,
//           "ike_sas_reauthenticated": 0, "unique_replaced": 0, "unique_refused": 0,
//           "initial_contact_removed": 0},
//           (refusals: ike/refusal_counters.hpp)
//   "data_plane": {"outbound": {"packets": 0, "bytes": 0}, "inbound": {...}, "bypassed": {...},
//                  "drops": {"unknown_spi": 0, "replay": 0, ... every drop reason, snake_case},
//                  "path_mtu": {"icmp_too_big_sent": 0, "fragmented_packets": 0, "mss_clamped": 0,
//                               "icmp_accepted": 0, "icmp_ignored": 0}},
//   "daemon": {"tun_packets_read": 0, "tun_packets_written": 0, "network_packets_received": 0,
//              "network_packets_sent": 0, "send_errors": 0, "acquires": 0,
//              "queued_while_negotiating": 0, "queue_overflow_drops": 0, "nat_keepalives_sent": 0,
//              "outer_fragments_sent": 0, "icmp_too_big_received": 0,
//              "control_requests": 0, "reloads": 0, "revocation_downloads": 0,
//              "revocation_download_failures": 0, "crl_cache_hits": 0, "tun_super_packets_read": 0,
//              "tun_segments_from_super_packets": 0, "tun_coalesced_writes": 0,
//              "tun_segments_coalesced": 0, "tun_offload_errors": 0, "socket_receive_calls": 0,
//              "socket_messages_received": 0, "socket_send_calls": 0, "socket_messages_sent": 0,
//              "socket_truncated_drops": 0, "udp_gso_messages": 0, "udp_gso_datagrams": 0,
//              "udp_gso_resent_singly": 0, "udp_gro_aggregates": 0, "udp_gro_datagrams": 0},
//   "sas": [{"connection": "site-b", "child": "net", "id": 2,
//            "inbound_spi": "c1a2b3c4", "outbound_spi": "d5e6f708",
//            "inbound": {"packets": 0, "bytes": 0}, "outbound": {"packets": 0, "bytes": 0},
//            "drops": {"replay": 1, ...only non-zero reasons}}],
//   "cleartext_filter": {"enabled": true ([daemon] drop_cleartext), "installed": true (table in the kernel),
//                        "table": "inet cygnet", "rules": 2,
//                        "drops": {"site-b/net": 20}   (packets per connection/child, across rekeys),
//                        "total_drops": 20, "shunt_drops": {"quarantine": 3} (per drop shunt),
//                        "update_errors": 0 (nft refused a rule update)},
//   "shunts": [{"name": "quarantine", "type": "pass" | "drop", "selectors": ["... <=> ... proto any"],
//               "packets_out": 0 (from the TUN), "packets_in": 0 (from the network),
//               "cleartext_drops": 3}]   (also in the "status" result, with cleartext_drops 0)
// }
//
// "up" / "down" result: {"connection": "site-b", "message": "initiating"}.
// "export-keys" request: {"command": "export-keys", "format": "wireshark"}. Refused unless
//   [daemon] allow_key_export = true and the client's uid (SO_PEERCRED) is 0. Result:
//   {"format": "wireshark", "files": {"esp_sa": "<file text>", "ikev2_decryption_table": "<file text>",
//    "ikev1_decryption_table": "<file text>"}, "ike_sas": 1 (IKEv2), "isakmp_sas": 0 (IKEv1 phase 1),
//    "esp_sas": 2 (lines, one per direction), "skipped": ["why an SA is missing", ...]}
//   The client writes the files; the daemon never writes to a path a request names.
// "leases" result: {"leases": [{"pool": "rw4", "address": "198.51.100.129",
//   "identity": "alice@example.com", "state": "online" | "offline"}]}, by pool then address.
// "reload" result: {"added": ["x"], "removed": ["y"], "changed": ["z"], "unchanged": ["w"]}
//   or ok=false with the configuration errors (nothing applied).
//
// "monitor": the daemon answers {"ok": true, "result": {"message": "monitoring"}} and keeps the
// connection open, then pushes one JSON object per line per event, as it happens:
//   {"time": "2026-12-07T01:02:03Z", "type": "ike-sa-established", "connection": "site-b",
//    "ike_sa": 1 (or null), "child_sa": 2 (or null), "detail": "words for people",
//    "peer": "192.0.2.2[500]", "version": 2          (when the IKE SA still exists),
//    "child": "net", "spi": {"in": "c1a2b3c4", "out": "d5e6f708"}  (when the CHILD SA does),
//    "reason": "authentication_failed"                (failures: the metric's reason label)}
// "type" is an engine event (ike-sa-established, ike-sa-rekeyed, ike-sa-deleted,
// child-sa-established, child-sa-rekeyed, child-sa-deleted, no-proposal-chosen, ts-unacceptable,
// authentication-failed, invalid-ke-retry, cookie-requested, peer-dead, retransmit-gave-up,
// malformed-message, initial-contact, peer-address-changed ("OLD -> NEW" in detail), error) or
// the daemon's own: "reloaded" (detail: what changed) and, last, "daemon-stopping", after which
// the daemon closes the connection. A subscriber that stops reading (256 KiB queued) is
// disconnected; at most 16 subscribers (more are refused with ok=false).
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace cygnet::control {

inline constexpr std::string_view kDefaultSocketPath = "/run/cygnet/cygnetd.sock";
// Longest request or response line accepted (a status with thousands of SAs fits easily).
inline constexpr std::size_t kMaxMessageBytes = 16 * 1024 * 1024;
// Longest request the daemon reads: requests are one short line; anything bigger is refused.
inline constexpr std::size_t kMaxRequestBytes = 64 * 1024;

// Builds the response lines.
nlohmann::json ok_response(nlohmann::json result);
nlohmann::json error_response(std::string_view message);

// Writes `message` as one line (serialised JSON + '\n') to a blocking stream fd. False on error.
bool write_message(int fd, const nlohmann::json& message);

// Reads one line from a blocking stream fd (waiting at most `timeout`) and parses it. On failure
// returns nullopt and sets `error` ("timed out", "connection closed", "invalid JSON: ...",
// "message too long"; also "connection closed in the middle of a message" and "read failed: ...").
// Never reads past the newline, so a following message stays in the socket.
std::optional<nlohmann::json> read_message(int fd, std::chrono::milliseconds timeout, std::string& error,
                                           std::size_t max_bytes = kMaxMessageBytes);

// Client side: connects to the daemon's socket, sends `request`, returns the parsed response.
// nullopt with `error` set when the daemon is unreachable ("cannot connect to cygnetd at PATH:
// No such file or directory — is cygnetd running?") or answers nothing usable.
std::optional<nlohmann::json> call(const std::string& socket_path, const nlohmann::json& request,
                                   std::chrono::milliseconds timeout, std::string& error);

// Server side: validates one request line: a JSON object whose "command" is status, stats, up,
// down, reload, why, monitor, leases or export-keys, with a non-empty string "name" for up and down and
// "format": "wireshark" for export-keys (other keys are ignored, so a newer cygnetctl can add optional
// fields). Returns the object, or nullopt with `error` set to a sentence fit to send back in
// error_response().
std::optional<nlohmann::json> parse_request(std::string_view line, std::string& error);
// The same checks on a message read_message already parsed.
std::optional<nlohmann::json> validate_request(const nlohmann::json& message, std::string& error);

}  // namespace cygnet::control
