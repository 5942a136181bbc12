// The control protocol between cygnetd and cygnetctl: one JSON object per line over a Unix stream
// socket. Shared by both sides so the framing and the field names live in one place.
//
// Request:  {"command": "status" | "stats" | "up" | "down" | "reload", "name": "<connection>"}
//           ("name" only for up/down). One request per connection; the server answers and closes.
// Response: {"ok": true, "result": {...}}  or  {"ok": false, "error": "what went wrong, in words"}
//
// "status" result:
// {
//   "daemon": {"pid": 123, "uptime_seconds": 42, "config": "/etc/cygnet/site-a.toml", "tun": "cygnet0"},
//   "connections": [{
//     "name": "site-b", "ike_version": 2, "start_action": "start",
//     "local_addrs": ["192.0.2.1"], "remote_addrs": ["192.0.2.2"]   (empty list = %any),
//     "children": [{"name": "net", "mode": "tunnel", "protocol": "esp",
//                   "local_ts": ["198.51.100.0/24"], "remote_ts": ["203.0.113.0/24"]}],
//     "ike_sas": [{
//       "id": 1, "version": 2 | 1   (IKEv2 IKE SA, or IKEv1 ISAKMP SA = phase 1),
//       "mode": "main" | "aggressive"   (only when version is 1: the phase-1 exchange),
//       "state": "established" | "connecting" | "rekeying" | "deleting",
//       "initiator": true, "initiator_spi": "0123456789abcdef", "responder_spi": "fedcba9876543210",
//       "local": "192.0.2.1[500]", "remote": "192.0.2.2[500]",
//       "local_id": "192.0.2.1", "remote_id": "192.0.2.2",
//       "algorithms": "aes256gcm16-prfsha256-x25519", "nat_detected": false,
//       "age_seconds": 12, "rekey_in_seconds": 13000 (or null),
//       "child_sas": [{   (for IKEv1: the IPsec SAs negotiated by Quick Mode)
//         "id": 2, "name": "net", "protocol": "esp", "mode": "tunnel",
//         "inbound_spi": "c1a2b3c4", "outbound_spi": "d5e6f708", "algorithms": "aes256gcm16",
//         "udp_encapsulated": false,
//         "local_ts": ["198.51.100.0/24"], "remote_ts": ["203.0.113.0/24"],
//         "age_seconds": 12, "rekey_in_seconds": 3000 (or null),
//         "inbound":  {"packets": 10, "bytes": 840},
//         "outbound": {"packets": 10, "bytes": 840}
//       }]
//     }]
//   }]
// }
//
// "stats" result:
// {
//   "ike": {"datagrams_received": 0, "datagrams_sent": 0, "retransmissions": 0, "malformed": 0,
//           "unknown_spi": 0, "duplicate_requests": 0, "cookies_sent": 0, "ike_sas_established": 0,
//           "child_sas_established": 0, "ike_sas_rekeyed": 0, "child_sas_rekeyed": 0,
//           "authentication_failures": 0, "no_proposal_chosen": 0},
//   "data_plane": {"outbound": {"packets": 0, "bytes": 0}, "inbound": {...}, "bypassed": {...},
//                  "drops": {"unknown_spi": 0, "replay": 0, ... every drop reason, snake_case}},
//   "daemon": {"tun_packets_read": 0, "tun_packets_written": 0, "network_packets_received": 0,
//              "network_packets_sent": 0, "send_errors": 0, "acquires": 0,
//              "queued_while_negotiating": 0, "queue_overflow_drops": 0, "nat_keepalives_sent": 0,
//              "control_requests": 0, "reloads": 0},
//   "sas": [{"connection": "site-b", "child": "net", "id": 2,
//            "inbound_spi": "c1a2b3c4", "outbound_spi": "d5e6f708",
//            "inbound": {"packets": 0, "bytes": 0}, "outbound": {"packets": 0, "bytes": 0},
//            "drops": {"replay": 1, ...only non-zero reasons}}],
//   "cleartext_filter": {"enabled": true ([daemon] drop_cleartext), "installed": true (table in the kernel),
//                        "table": "inet cygnet", "rules": 2,
//                        "drops": {"site-b/net": 20}   (packets per connection/child, across rekeys),
//                        "total_drops": 20, "update_errors": 0 (nft refused a rule update)}
// }
//
// "up" / "down" result: {"connection": "site-b", "message": "initiating"}.
// "reload" result: {"added": ["x"], "removed": ["y"], "changed": ["z"], "unchanged": ["w"]}
//   or ok=false with the configuration errors (nothing applied).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

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
// down or reload, with a non-empty string "name" for up and down (other keys are ignored, so a
// newer cygnetctl can add optional fields). Returns the object, or nullopt with `error` set to a
// sentence fit to send back in error_response().
std::optional<nlohmann::json> parse_request(std::string_view line, std::string& error);
// The same checks on a message read_message already parsed.
std::optional<nlohmann::json> validate_request(const nlohmann::json& message, std::string& error);

}  // namespace cygnet::control
