// What the IKE engine needs to know about one connection and its children: the typed form of a
// `[connections.NAME]` table (src/config builds it from TOML; tests build it directly).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "crypto/secure_bytes.hpp"
#include "crypto/signature.hpp"
#include "crypto/x509.hpp"
#include "ike/identity.hpp"
#include "ipsec/sa_parameters.hpp"
#include "wire/ikev2_message.hpp"
#include "wire/ip_address.hpp"

namespace cygnet::ike {

enum class AuthKind : std::uint8_t { Psk, PublicKey };
// How one side proves itself when the two sides differ (split authentication, `local_auth` and
// `remote_auth`). EAP (RFC 7296 §2.16) authenticates only the initiator.
// EapRadius: the gateway relays the client's EAP to a RADIUS server (eap_radius_relay.hpp).
enum class AuthMethod : std::uint8_t { Psk, PublicKey, EapMsChapV2, EapTls, EapRadius };
// The methods that run as EAP inside IKE_AUTH (no AUTH payload until the MSK exists).
inline bool is_eap(AuthMethod m) {
  return m == AuthMethod::EapMsChapV2 || m == AuthMethod::EapTls || m == AuthMethod::EapRadius;
}
enum class StartAction : std::uint8_t { None, Trap, Start };
enum class Encapsulation : std::uint8_t { Auto, ForceUdp };
// A second IKE SA authenticated as the same peer identity on the same connection (swanctl's
// `unique`, v2/uniqueness.cpp): Replace deletes the older ones; Keep refuses the newcomer while an
// older one lives (unless it comes from the same address: a reauthentication); Never lets them
// coexist and ignores INITIAL_CONTACT; No lets them coexist unless INITIAL_CONTACT says the peer
// restarted.
enum class UniquePolicy : std::uint8_t { No, Never, Replace, Keep };

// TCP encapsulation (RFC 9329) as an initiator (the daemon's business: the engine ignores it).
// Never: UDP only; Always: IKE and ESP over TCP from the first message; Fallback: over TCP when
// the IKE_SA_INIT request went unanswered over UDP (src/daemon/gateway_tcp.cpp says after how many).
enum class TcpEncapsulationMode : std::uint8_t { Never, Always, Fallback };

// How a missing revocation answer counts (strongSwan's `revocation`): strict needs every
// certificate proven good; ifuri needs that only of a certificate with a CRL distribution point or
// OCSP responder (its own or an authority's); relaxed fails only a certificate proven revoked.
enum class RevocationPolicy : std::uint8_t { Strict, IfUri, Relaxed };

const char* auth_kind_name(AuthKind k);                  // "psk", "pubkey"
const char* revocation_policy_name(RevocationPolicy p);  // "strict", "ifuri", "relaxed"
const char* start_action_name(StartAction a);            // "none", "trap", "start"
const char* auth_method_name(AuthMethod m);      // "psk", "pubkey", "eap-mschapv2", "eap-tls", "eap-radius"
const char* unique_policy_name(UniquePolicy p);  // "no", "never", "replace", "keep"

struct ChildSettings {
  std::string name;
  ipsec::Mode mode = ipsec::Mode::Tunnel;
  ipsec::IpsecProtocol protocol = ipsec::IpsecProtocol::Esp;
  // Empty = the host's own outer address (transport mode, or a host-to-net tunnel).
  std::vector<wire::IpPrefix> local_ts;
  std::vector<wire::IpPrefix> remote_ts;
  // ESP or AH proposals (protocol Esp/Ah); a key exchange transform in them means PFS on rekey.
  std::vector<wire::ikev2::Proposal> proposals;
  Seconds lifetime{3600};        // hard limit; rekeyed at ~90 % minus jitter
  std::uint64_t life_bytes = 0;  // hard limits; 0 = none; soft (rekey) at 90 %
  std::uint64_t life_packets = 0;
  std::uint32_t replay_window = ipsec::kDefaultReplayWindow;
  // TCP MSS clamping through this child's SAs (applied by the data plane, not negotiated):
  // nullopt = off, 0 = derived from the inner MTU, otherwise that MSS.
  std::optional<std::uint16_t> mss_clamp;
  // RFC 9611: with several data-plane workers, one CHILD SA per worker besides the fallback, each
  // with the same selectors (initiator: asks for them; responder: accepts them).
  bool per_cpu_sas = false;
};

// An `[authorities.NAME]` table: where to ask whether certificates `cacert` issued are revoked,
// besides (and before) the certificates' own CRL distribution points and OCSP URIs.
struct RevocationAuthority {
  std::string name;
  crypto::Certificate cacert;
  std::vector<std::string> crl_uris;   // http:// or file://
  std::vector<std::string> ocsp_uris;  // http://
};

// A route-based connection's own TUN device (`interface`, `interface_addrs`, `routes`, `mtu`):
// the daemon creates it; traffic routed into it is protected with the connection's CHILD SA,
// whatever its addresses (docs/route-based.md).
struct RouteInterface {
  std::string name;
  // The inside addresses with their prefix length, host bits kept ("169.254.21.2/30").
  std::vector<wire::IpPrefix> addresses;
  std::vector<wire::IpPrefix> routes;  // installed in the main table through the device
  std::optional<int> mtu;              // nullopt: the daemon's TUN MTU
  friend bool operator==(const RouteInterface&, const RouteInterface&) = default;
};

struct ConnectionSettings {
  std::string name;
  int ike_version = 2;
  std::vector<wire::IpAddress> local_addrs;   // empty = any local address
  std::vector<wire::IpAddress> remote_addrs;  // empty = "%any": responder only
  // DNS names instead of addresses (remote_addrs then empty): the engine asks for them to be
  // resolved (ResolveRemote) at every initiation and accepts the peer only at a resolved address.
  std::vector<std::string> remote_hosts;
  std::uint16_t remote_port = 500;
  Identity local_id;
  Identity remote_id;  // any = accept every authenticated identity
  AuthKind auth = AuthKind::Psk;
  // Per-side overrides of `auth`; nullopt = `auth` (IKEv2 only; see local_auth_method()).
  std::optional<AuthMethod> local_auth;
  std::optional<AuthMethod> remote_auth;
  // EAP client (local_auth = eap-mschapv2): the EAP identity and the password's NT hash.
  std::string eap_identity;
  crypto::SecureBytes eap_password_hash;
  crypto::SecureBytes psk;
  std::shared_ptr<const crypto::PrivateKey> private_key;  // pubkey auth
  std::optional<crypto::Certificate> certificate;         // ours, sent in CERT
  std::vector<crypto::Certificate> certificate_chain;     // our intermediates, after it in `certificate`
  std::vector<crypto::Certificate> ca_certificates;       // trust anchors for the peer's
  RevocationPolicy revocation = RevocationPolicy::IfUri;
  std::vector<RevocationAuthority> authorities;      // every [authorities.*] table of the file
  std::vector<wire::ikev2::Proposal> ike_proposals;  // protocol Ike
  StartAction start_action = StartAction::None;
  Seconds dpd_delay{30};           // 0 = no liveness checks
  Seconds ike_lifetime{4 * 3600};  // hard; IKE SA rekeyed at ~90 % minus jitter
  // Make-before-break reauthentication (IKEv2 initiator, v2/task_ike_reauth.cpp): a new IKE SA
  // with fresh authentication at ~90 % of this minus jitter after each authentication; 0 = off.
  // IKE rekeys in between keep the reauthentication deadline.
  Seconds reauth_time{0};
  UniquePolicy unique = UniquePolicy::No;
  Encapsulation encapsulation = Encapsulation::Auto;
  bool allow_legacy = false;  // accept RFC 8247 SHOULD-NOT algorithms (3DES, SHA-1, MODP-1024)
  bool aggressive = false;    // IKEv1 only
  // MOBIKE (RFC 4555, IKEv2): announce MOBIKE_SUPPORTED and follow UPDATE_SA_ADDRESSES.
  bool mobike = true;
  // TCP encapsulation as an initiator (`tcp`) and the peer's TCP port (`tcp_port`).
  TcpEncapsulationMode tcp = TcpEncapsulationMode::Never;
  std::uint16_t tcp_port = 4500;
  std::vector<ChildSettings> children;
  // Gateway: the pools (`[pools.NAME]`) a client's CFG_REQUEST is answered from, in order.
  std::vector<std::string> pools;
  // Client: virtual IPs to request (0.0.0.0 = any IPv4 address, :: = any IPv6 address).
  std::vector<wire::IpAddress> vips;
  // Route-based: the connection's own interface; nullopt = policy-based (the shared TUN + SPD).
  std::optional<RouteInterface> route_interface;
};

// How each side proves itself: `local_auth` / `remote_auth`, or `auth` for a side without one.
inline AuthMethod local_auth_method(const ConnectionSettings& c) {
  return c.local_auth.value_or(c.auth == AuthKind::Psk ? AuthMethod::Psk : AuthMethod::PublicKey);
}
inline AuthMethod remote_auth_method(const ConnectionSettings& c) {
  return c.remote_auth.value_or(c.auth == AuthKind::Psk ? AuthMethod::Psk : AuthMethod::PublicKey);
}

}  // namespace cygnet::ike
