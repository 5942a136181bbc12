#include "cli/status_text.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "cli/shunt_text.hpp"
#include "cli/text_format.hpp"
#include "cli/why_text.hpp"

namespace cygnet::cli {
namespace {

using json = nlohmann::json;

// Labels of the detail lines are padded to one column so the values line up.
constexpr std::size_t kLabelWidth = 12;

std::string labelled(std::string_view indent, std::string_view label, const std::string& value) {
  std::string line(indent);
  line += label;
  line.append(label.size() < kLabelWidth ? kLabelWidth - label.size() : 1, ' ');
  return line + value + "\n";
}

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

const json& array_at(const json& object, std::string_view key) {
  static const json kEmpty = json::array();
  const json& value = member(object, key);
  return value.is_array() ? value : kEmpty;
}

// ", age 12s, rekey in 50m" (the rekey part only when one is scheduled).
std::string age_and_rekey(const json& sa) {
  std::string text;
  if (const auto age = integer_at(sa, "age_seconds")) text += ", age " + format_duration(*age);
  if (const auto rekey = integer_at(sa, "rekey_in_seconds")) {
    text += ", rekey in " + format_duration(*rekey);
  }
  if (const auto reauth = integer_at(sa, "reauth_in_seconds")) {
    text += ", reauth in " + format_duration(*reauth);
  }
  return text;
}

std::string selectors(const json& entry) {
  return joined(entry, "local_ts", ", ", "?") + " === " + joined(entry, "remote_ts", ", ", "?");
}

std::string traffic(const json& sa, std::string_view direction, std::string_view spi_key) {
  const json& counters = member(sa, direction);
  const std::uint64_t packets = count_at(counters, "packets");
  return "SPI " + spi_at(sa, spi_key) + ", " + format_bytes_exact(count_at(counters, "bytes")) + ", " +
         std::to_string(packets) + (packets == 1 ? " packet" : " packets");
}

void render_child_sa(std::ostringstream& out, const json& child) {
  out << "    CHILD SA " << text_at(child, "name") << " #" << text_at(child, "id") << ": "
      << upper(text_at(child, "protocol")) << " " << text_at(child, "mode") << age_and_rekey(child) << "\n";
  constexpr std::string_view kIndent = "      ";
  out << labelled(
      kIndent, "algorithms",
      text_at(child, "algorithms") + ", " +
          (flag_at(child, "udp_encapsulated") ? "UDP-encapsulated (NAT traversal)" : "not UDP-encapsulated"));
  out << labelled(kIndent, "selectors", selectors(child));
  if (const auto worker = integer_at(child, "resource")) {  // RFC 9611 per-resource SAs
    out << labelled(kIndent, "per-resource", "worker " + std::to_string(*worker));
  } else if (child.contains("resource")) {
    out << labelled(kIndent, "per-resource", "fallback");
  }
  out << labelled(kIndent, "in", traffic(child, "inbound", "inbound_spi"));
  out << labelled(kIndent, "out", traffic(child, "outbound", "outbound_spi"));
  if (const auto path = integer_at(child, "path_mtu")) {
    const auto inner = integer_at(child, "inner_mtu");
    out << labelled(kIndent, "path MTU",
                    std::to_string(*path) + " (inner MTU " + (inner ? std::to_string(*inner) : "?") + ")");
  }
}

// "192.0.2.2[500], id gw-b.example"; the ID is unknown until IKE_AUTH.
std::string endpoint_and_id(const json& ike_sa, std::string_view endpoint_key, std::string_view id_key) {
  const std::string id = text_at(ike_sa, id_key, "");
  return text_at(ike_sa, endpoint_key) + ", id " + (id.empty() ? "(not yet known)" : id);
}

// ", IKEv2" or ", IKEv1 Main Mode" / ", IKEv1 Aggressive Mode"; nothing from an older cygnetd
// that does not report the version.
std::string version_and_mode(const json& ike_sa) {
  const auto version = integer_at(ike_sa, "version");
  if (!version) return "";
  std::string text = ", IKEv" + std::to_string(*version);
  if (*version != 1) return text;
  const std::string mode = text_at(ike_sa, "mode", "");
  if (mode == "main") return text + " Main Mode";
  if (mode == "aggressive") return text + " Aggressive Mode";
  return mode.empty() ? text : text + " " + mode + " mode";
}

// Which side is behind a NAT, when cygnetd says ("" from an older cygnetd, or none).
std::string nat_side(const json& ike_sa) {
  const bool ours = flag_at(ike_sa, "nat_local");
  const bool peers = flag_at(ike_sa, "nat_remote");
  if (ours && peers) return "both sides behind a NAT";
  if (ours) return "we are behind a NAT";
  if (peers) return "the peer is behind a NAT";
  return "";
}

// "detected, the peer is behind a NAT: using UDP port 4500", or "not detected".
std::string nat_state(const json& ike_sa) {
  if (!flag_at(ike_sa, "nat_detected")) return "not detected";
  const std::string side = nat_side(ike_sa);
  return "detected" + (side.empty() ? std::string() : ", " + side) + ": using UDP port 4500";
}

// A road warrior of ours: a peer-initiated IKE SA that leased addresses or logged in with EAP.
bool is_client(const json& ike_sa) {
  return !flag_at(ike_sa, "initiator") &&
         (!array_at(ike_sa, "remote_virtual_ips").empty() || !text_at(ike_sa, "eap_identity", "").empty());
}

// One line per client, for a gateway with many: virtual IPs, who (EAP and IKE identity), from
// where, NAT. The IKE SA blocks below have the rest.
void render_clients(std::ostringstream& out, const json& ike_sas) {
  std::size_t count = 0;
  for (const json& ike_sa : ike_sas) count += is_client(ike_sa) ? 1 : 0;
  if (count == 0) return;
  out << "  clients (" << count << "):\n";
  for (const json& ike_sa : ike_sas) {
    if (!is_client(ike_sa)) continue;
    const std::string eap = text_at(ike_sa, "eap_identity", "");
    const std::string id = text_at(ike_sa, "remote_id", "");
    const std::string who = eap.empty() ? id : eap + " (IKE id " + (id.empty() ? "?" : id) + ")";
    const bool nat = flag_at(ike_sa, "nat_detected");
    const std::string side = nat_side(ike_sa);
    out << "    " << joined(ike_sa, "remote_virtual_ips", ", ", "no virtual IP") << "  " << who << ", from "
        << text_at(ike_sa, "remote")
        << (nat ? ", NAT: " + (side.empty() ? std::string("detected") : side) : ", no NAT") << ", IKE SA #"
        << text_at(ike_sa, "id") << "\n";
  }
}

void render_ike_sa(std::ostringstream& out, const json& ike_sa) {
  // IKEv1 calls its phase-1 SA the ISAKMP SA (RFC 2408/2409).
  const bool ikev1 = integer_at(ike_sa, "version") == 1;
  out << (ikev1 ? "  ISAKMP SA #" : "  IKE SA #") << text_at(ike_sa, "id") << " "
      << upper(text_at(ike_sa, "state")) << version_and_mode(ike_sa)
      << (flag_at(ike_sa, "initiator") ? " (we initiated)" : " (peer initiated)") << age_and_rekey(ike_sa)
      << "\n";
  constexpr std::string_view kIndent = "    ";
  out << labelled(kIndent, "local", endpoint_and_id(ike_sa, "local", "local_id"));
  out << labelled(kIndent, "remote", endpoint_and_id(ike_sa, "remote", "remote_id"));
  out << labelled(
      kIndent, "SPIs",
      spi_at(ike_sa, "initiator_spi") + " (initiator), " + spi_at(ike_sa, "responder_spi") + " (responder)");
  const std::string algorithms = text_at(ike_sa, "algorithms", "");
  out << labelled(kIndent, "algorithms", algorithms.empty() ? "(not negotiated yet)" : algorithms);
  const std::string eap_identity = text_at(ike_sa, "eap_identity", "");
  if (!eap_identity.empty()) out << labelled(kIndent, "EAP identity", eap_identity);
  // TCP encapsulation (RFC 9329): the daemon names the TCP connection carrying the SA.
  const bool over_tcp = text_at(ike_sa, "transport", "udp") == "tcp";
  if (over_tcp) {
    const std::int64_t connection = integer_at(ike_sa, "tcp_connection").value_or(0);
    out << labelled(kIndent, "transport",
                    connection > 0 ? "TCP (RFC 9329), connection " + std::to_string(connection)
                                   : std::string("TCP (RFC 9329), connection lost: waiting for a reconnect"));
  }
  out << labelled(
      kIndent, "NAT",
      over_tcp ? std::string("not used over TCP (IKE and ESP framed on the stream)") : nat_state(ike_sa));
  if (flag_at(ike_sa, "mobike"))
    out << labelled(kIndent, "MOBIKE", "on: the SA follows the client's address");
  const std::string our_vips = joined(ike_sa, "local_virtual_ips", ", ", "");
  if (!our_vips.empty()) out << labelled(kIndent, "virtual IP", our_vips + " (ours, assigned by the peer)");
  const std::string peer_vips = joined(ike_sa, "remote_virtual_ips", ", ", "");
  if (!peer_vips.empty()) out << labelled(kIndent, "virtual IP", peer_vips + " (the peer's, from our pools)");
  const json& child_sas = array_at(ike_sa, "child_sas");
  if (child_sas.empty()) out << "    no CHILD SA\n";
  for (const json& child : child_sas) render_child_sa(out, child);
}

std::string why_no_ike_sa(const json& connection) {
  const std::string action = text_at(connection, "start_action", "");
  if (action == "trap") return "no IKE SA (start_action trap: waiting for traffic)";
  if (action == "start") return "no IKE SA (start_action start: cygnetd initiates and retries)";
  if (action == "none") {
    return "no IKE SA (start_action none: waiting for the peer or `cygnetctl up " +
           text_at(connection, "name") + "`)";
  }
  return "no IKE SA";
}

void render_connection(std::ostringstream& out, const json& connection) {
  const auto version = integer_at(connection, "ike_version");
  out << text_at(connection, "name") << ": "
      << (version ? "IKEv" + std::to_string(*version) : std::string("IKE")) << ", start_action "
      << text_at(connection, "start_action") << ", " << joined(connection, "local_addrs", ", ", "%any")
      << " → " << joined(connection, "remote_addrs", ", ", "%any") << "\n";
  if (const json& interface = member(connection, "interface"); interface.is_object()) {
    // Route-based: its own interface, whose carrier follows the CHILD SA.
    out << "  interface " << text_at(interface, "name") << ": " << text_at(interface, "state") << ", MTU "
        << text_at(interface, "mtu") << ", " << joined(interface, "addresses", ", ", "no addresses")
        << (array_at(interface, "routes").empty() ? std::string()
                                                  : ", routes " + joined(interface, "routes", ", ", ""))
        << "\n";
  }
  const json& ike_sas = array_at(connection, "ike_sas");
  if (!ike_sas.empty()) {
    render_clients(out, ike_sas);
    for (const json& ike_sa : ike_sas) render_ike_sa(out, ike_sa);
    return;
  }
  out << "  " << why_no_ike_sa(connection) << "\n";
  if (member(connection, "last_failure").is_object())
    out << "  " << last_failure_line(member(connection, "last_failure")) << "\n";
  // Without SAs, the configured children say which traffic the connection is for.
  for (const json& child : array_at(connection, "children")) {
    out << "    child " << text_at(child, "name") << ": " << upper(text_at(child, "protocol")) << " "
        << text_at(child, "mode") << ", " << selectors(child) << "\n";
  }
}

// Cygnet as a remote-access client: the virtual addresses on the TUN device and the DNS settings
// handed to systemd-resolved (only when some connection holds addresses).
void render_client(std::ostringstream& out, const json& client) {
  const json& assignments = array_at(client, "connections");
  if (assignments.empty()) return;
  out << "\nvirtual IPs on " << text_at(client, "device") << ":\n";
  for (const json& a : assignments) {
    out << labelled("  ", text_at(a, "connection"),
                    joined(a, "addresses", ", ", "none") + " (DNS " + joined(a, "dns", ", ", "none") +
                        ", domains " + joined(a, "dns_domains", ", ", "none") + ")");
  }
  const json& dns = member(client, "dns");
  std::string applied = text_at(dns, "state", "none");
  if (member(dns, "servers").is_array())
    applied += ": " + joined(dns, "servers", ", ", "") + "; " + joined(dns, "domains", ", ", "") +
               (flag_at(dns, "default_route") ? "; default route" : "");
  out << labelled("  ", "DNS", applied);
}

}  // namespace

std::string render_status(const json& result) {
  std::ostringstream out;
  const json& daemon = member(result, "daemon");
  if (daemon.is_object()) {
    out << "cygnetd: pid " << text_at(daemon, "pid");
    if (const auto uptime = integer_at(daemon, "uptime_seconds")) {
      out << ", up " << format_duration(*uptime);
    }
    out << ", config " << text_at(daemon, "config") << ", TUN " << text_at(daemon, "tun") << "\n";
  }
  const json& connections = array_at(result, "connections");
  if (connections.empty()) {
    out << (daemon.is_object() ? "\n" : "") << "no connections configured\n";
  }
  for (const json& connection : connections) {
    if (out.tellp() > 0) out << "\n";
    render_connection(out, connection);
  }
  render_client(out, member(result, "client"));
  if (const std::string shunts = render_shunts_status(result); !shunts.empty()) out << "\n" << shunts;
  return out.str();
}

}  // namespace cygnet::cli
