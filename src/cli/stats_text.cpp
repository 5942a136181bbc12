#include "cli/stats_text.hpp"

#include <algorithm>
#include <sstream>
#include <utility>
#include <vector>

#include "cli/cleartext_filter_text.hpp"
#include "cli/shunt_text.hpp"
#include "cli/text_format.hpp"

namespace cygnet::cli {
namespace {

using json = nlohmann::json;

struct Label {
  std::string_view key;
  std::string_view text;
};

// The contract's counters in a reading order (JSON objects arrive sorted by key).
constexpr Label kIkeCounters[] = {
    {"datagrams_received", "datagrams received"},
    {"datagrams_sent", "datagrams sent"},
    {"retransmissions", "retransmissions"},
    {"malformed", "malformed messages"},
    {"unknown_spi", "unknown SPI"},
    {"duplicate_requests", "duplicate requests"},
    {"cookies_sent", "cookies sent"},
    {"ike_sas_established", "IKE SAs established"},
    {"child_sas_established", "CHILD SAs established"},
    {"ike_sas_rekeyed", "IKE SAs rekeyed"},
    {"child_sas_rekeyed", "CHILD SAs rekeyed"},
    {"authentication_failures", "authentication failures"},
    {"no_proposal_chosen", "no proposal chosen"},
    {"revocation_fetches", "revocation fetches"},
    {"revocation_fetch_failures", "revocation no answer"},
    {"revocation_parked", "parked for revocation"},
    {"revocation_parked_drops", "dropped while parked"},
    {"eap_conversations", "EAP conversations"},
    {"eap_discarded", "EAP messages discarded"},
    {"ike_sas_reauthenticated", "IKE SAs reauthenticated"},
    {"unique_replaced", "replaced: unique"},
    {"unique_refused", "refused: unique keep"},
    {"initial_contact_removed", "removed: INITIAL_CONTACT"},
    {"radius_requests", "RADIUS Access-Requests"},
    {"radius_parked_drops", "dropped awaiting RADIUS"},
    {"radius_answers_unclaimed", "RADIUS answers too late"},
    {"half_open_ike_sas", "half-open IKE SAs"},
    {"refused_half_open_global_cap", "refused: half-open cap"},
    {"refused_half_open_per_source_cap", "refused: per-source cap"},
    {"refused_request_before_auth", "refused: before IKE_AUTH"},
    {"refused_address_change", "refused: address change"},
    {"refused_repeat_budget", "refused: repeat budget"},
    {"refused_unverified_evicted", "evicted: unverified MM"},
    {"refused_unknown_exchange", "refused: unknown exchange"},
};

constexpr Label kDaemonCounters[] = {
    {"tun_packets_read", "TUN packets read"},
    {"tun_packets_written", "TUN packets written"},
    {"network_packets_received", "network packets received"},
    {"network_packets_sent", "network packets sent"},
    {"send_errors", "send errors"},
    {"acquires", "acquires"},
    {"queued_while_negotiating", "queued while negotiating"},
    {"queue_overflow_drops", "queue overflow drops"},
    {"queue_expired_drops", "queue expired drops"},
    {"nat_keepalives_sent", "NAT keepalives sent"},
    {"outer_fragments_sent", "outer fragments sent"},
    {"icmp_too_big_received", "ICMP too big received"},
    {"control_requests", "control requests"},
    {"reloads", "reloads"},
    {"revocation_downloads", "CRL/OCSP downloads"},
    {"revocation_download_failures", "CRL/OCSP failures"},
    {"crl_cache_hits", "CRL cache hits"},
    {"tun_super_packets_read", "TUN super-packets read"},
    {"tun_segments_from_super_packets", "TUN segments split off"},
    {"tun_coalesced_writes", "TUN coalesced writes"},
    {"tun_segments_coalesced", "TUN segments coalesced"},
    {"tun_offload_errors", "TUN offload errors"},
    {"socket_receive_calls", "socket receive calls"},
    {"socket_messages_received", "socket messages received"},
    {"socket_send_calls", "socket send calls"},
    {"socket_messages_sent", "socket messages sent"},
    {"socket_truncated_drops", "socket truncated drops"},
    {"udp_gso_messages", "UDP GSO messages"},
    {"udp_gso_datagrams", "UDP GSO datagrams"},
    {"udp_gso_resent_singly", "UDP GSO resent singly"},
    {"udp_gro_aggregates", "UDP GRO aggregates"},
    {"udp_gro_datagrams", "UDP GRO datagrams"},
};

constexpr Label kPathMtuCounters[] = {
    {"icmp_too_big_sent", "ICMP too big sent"}, {"fragmented_packets", "outer packets fragmented"},
    {"mss_clamped", "TCP MSS clamped"},         {"icmp_accepted", "ICMP too big accepted"},
    {"icmp_ignored", "ICMP too big ignored"},
};

constexpr std::size_t kLabelWidth = 28;

void counter_line(std::ostringstream& out, std::string_view label, const std::string& value) {
  out << "  " << label;
  out << std::string(label.size() < kLabelWidth ? kLabelWidth - label.size() : 1, ' ') << value << "\n";
}

// Known counters first, in order; then any the daemon added since, with their key as label.
void counter_section(std::ostringstream& out, std::string_view title, const json& counters,
                     const Label* known, std::size_t known_count) {
  out << title << "\n";
  if (!counters.is_object()) {
    out << "  (not reported)\n";
    return;
  }
  for (std::size_t i = 0; i < known_count; ++i) {
    if (counters.contains(known[i].key)) {
      counter_line(out, known[i].text, std::to_string(count_at(counters, known[i].key)));
    }
  }
  for (const auto& item : counters.items()) {
    const bool is_known =
        std::any_of(known, known + known_count, [&item](const Label& l) { return l.key == item.key(); });
    if (is_known || !item.value().is_number()) continue;
    std::string label = item.key();
    std::replace(label.begin(), label.end(), '_', ' ');
    counter_line(out, label, std::to_string(count_at(counters, item.key())));
  }
}

std::string packets_and_bytes(const json& counters) {
  const std::uint64_t packets = count_at(counters, "packets");
  return std::to_string(packets) + (packets == 1 ? " packet, " : " packets, ") +
         format_bytes_exact(count_at(counters, "bytes"));
}

// Non-zero drop reasons, the most frequent first.
std::vector<std::pair<std::string, std::uint64_t>> nonzero_drops(const json& drops) {
  std::vector<std::pair<std::string, std::uint64_t>> reasons;
  if (!drops.is_object()) return reasons;
  for (const auto& item : drops.items()) {
    const std::uint64_t count = count_at(drops, item.key());
    if (count != 0) reasons.emplace_back(item.key(), count);
  }
  std::stable_sort(reasons.begin(), reasons.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return reasons;
}

void data_plane_section(std::ostringstream& out, const json& data_plane) {
  out << "data plane\n";
  if (!data_plane.is_object()) {
    out << "  (not reported)\n";
    return;
  }
  counter_line(out, "outbound (protected)", packets_and_bytes(member(data_plane, "outbound")));
  counter_line(out, "inbound (decapsulated)", packets_and_bytes(member(data_plane, "inbound")));
  counter_line(out, "bypassed", packets_and_bytes(member(data_plane, "bypassed")));
  const json& path_mtu = member(data_plane, "path_mtu");
  for (const Label& l : kPathMtuCounters) {
    if (path_mtu.is_object() && path_mtu.contains(l.key)) {
      counter_line(out, l.text, std::to_string(count_at(path_mtu, l.key)));
    }
  }
  const auto drops = nonzero_drops(member(data_plane, "drops"));
  if (drops.empty()) {
    counter_line(out, "drops", "no drops");
    return;
  }
  std::uint64_t total = 0;
  for (const auto& drop : drops) total += drop.second;
  counter_line(out, "drops", std::to_string(total) + " in total");
  for (const auto& drop : drops) counter_line(out, "  " + drop.first, std::to_string(drop.second));
}

std::string sa_line(const json& sa) {
  std::string line = text_at(sa, "connection") + "/" + text_at(sa, "child") + " #" + text_at(sa, "id") +
                     ": in " + spi_at(sa, "inbound_spi") + " " + packets_and_bytes(member(sa, "inbound")) +
                     "; out " + spi_at(sa, "outbound_spi") + " " + packets_and_bytes(member(sa, "outbound"));
  const auto drops = nonzero_drops(member(sa, "drops"));
  if (drops.empty()) return line + "; no drops";
  line += "; drops:";
  for (const auto& drop : drops) line += " " + drop.first + " " + std::to_string(drop.second);
  return line;
}

// One line per data-plane worker ([daemon] workers > 1); nothing with a single thread.
void workers_section(std::ostringstream& out, const json& workers) {
  if (!workers.is_array() || workers.empty()) return;
  out << "\nworkers\n";
  for (const json& w : workers) {
    counter_line(out, "worker " + text_at(w, "worker"),
                 "TUN read " + std::to_string(count_at(w, "tun_packets_read")) + ", protected " +
                     std::to_string(count_at(w, "protected_out")) + ", decapsulated " +
                     std::to_string(count_at(w, "decapsulated_in")) + " of " +
                     std::to_string(count_at(w, "network_packets_in")) + " handed in, drops out " +
                     std::to_string(count_at(w, "outbound_drops")) + " / in " +
                     std::to_string(count_at(w, "inbound_drops")) + ", hand-over drops " +
                     std::to_string(count_at(w, "hand_over_drops")) + ", acquires " +
                     std::to_string(count_at(w, "acquires")));
  }
}

// TCP encapsulation (RFC 9329): shown once anything used it.
void tcp_section(std::ostringstream& out, const json& tcp) {
  if (!tcp.is_object()) return;
  std::uint64_t any = 0;
  for (const auto& [key, value] : tcp.items())
    any += value.is_number_unsigned() ? value.get<std::uint64_t>() : 0;
  if (any == 0) return;
  out << "\nTCP encapsulation (RFC 9329)\n";
  counter_line(out, "connections",
               std::to_string(count_at(tcp, "connections_open")) + " open, " +
                   std::to_string(count_at(tcp, "connections_accepted")) + " accepted, " +
                   std::to_string(count_at(tcp, "connections_refused")) + " refused (cap), " +
                   std::to_string(count_at(tcp, "connections_opened")) + " opened by us, " +
                   std::to_string(count_at(tcp, "connect_failures")) + " connect failures");
  counter_line(out, "frames",
               std::to_string(count_at(tcp, "frames_received")) + " received, " +
                   std::to_string(count_at(tcp, "frames_sent")) + " sent");
  counter_line(out, "closed for",
               std::to_string(count_at(tcp, "bad_prefix")) + " bad prefix, " +
                   std::to_string(count_at(tcp, "bad_length")) + " bad length, " +
                   std::to_string(count_at(tcp, "oversized_frames")) + " oversized frame, " +
                   std::to_string(count_at(tcp, "half_open_closed")) + " half-open, " +
                   std::to_string(count_at(tcp, "idle_closed")) + " idle");
  counter_line(out, "dropped frames",
               std::to_string(count_at(tcp, "send_buffer_drops")) + " send buffer full, " +
                   std::to_string(count_at(tcp, "disconnected_drops")) + " no connection");
}

}  // namespace

std::string render_stats(const json& result) {
  std::ostringstream out;
  counter_section(out, "IKE", member(result, "ike"), std::data(kIkeCounters), std::size(kIkeCounters));
  out << "\n";
  data_plane_section(out, member(result, "data_plane"));
  out << "\n";
  counter_section(out, "daemon", member(result, "daemon"), std::data(kDaemonCounters),
                  std::size(kDaemonCounters));
  workers_section(out, member(result, "workers"));
  tcp_section(out, member(result, "tcp"));
  out << "\nSAs\n";
  const json& sas = member(result, "sas");
  if (!sas.is_array() || sas.empty()) out << "  no CHILD SAs\n";
  if (sas.is_array()) {
    for (const json& sa : sas) out << "  " << sa_line(sa) << "\n";
  }
  if (const std::string filter = render_cleartext_filter(result); !filter.empty()) out << "\n" << filter;
  if (const std::string shunts = render_shunts_stats(result); !shunts.empty()) out << "\n" << shunts;
  return out.str();
}

}  // namespace cygnet::cli
