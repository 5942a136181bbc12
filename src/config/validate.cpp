#include "config/validate.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <utility>

#include "config/duration.hpp"
#include "config/file_reading.hpp"
#include "config/host_name.hpp"
#include "config/interface_config.hpp"
#include "config/shunt_config.hpp"
#include "crypto/mschapv2.hpp"
#include "crypto/secure_bytes.hpp"
#include "crypto/signature.hpp"
#include "ike/algorithms.hpp"
#include "ike/identity.hpp"
#include "ipsec/replay_window.hpp"

namespace cygnet::config {
namespace {

constexpr std::size_t kMaxSecretFileSize = 64 * 1024;
constexpr std::size_t kMaxPemFileSize = 1024 * 1024;
constexpr std::size_t kMaxProposals = 64;
constexpr std::size_t kMaxNameLength = 64;
constexpr std::size_t kMaxUnixSocketPath = 107;  // sockaddr_un.sun_path less the terminator
constexpr std::size_t kMaxInterfaceName = 15;    // IFNAMSIZ less the terminator

constexpr std::array<std::string_view, 7> kTopLevelKeys{"daemon", "connections", "authorities", "eap_users",
                                                        "pools",  "radius",      "shunts"};
constexpr std::array<std::string_view, 8> kRadiusKeys{"servers",    "secret",          "secret_file",
                                                      "timeout",    "retries",         "nas_identifier",
                                                      "accounting", "interim_interval"};
constexpr std::array<std::string_view, 3> kRadiusServerKeys{"address", "port", "acct_port"};
constexpr std::array<std::string_view, 3> kAuthorityKeys{"cacert", "crl_uris", "ocsp_uris"};
constexpr std::array<std::string_view, 3> kEapUserKeys{"password", "password_file", "nt_hash"};
constexpr std::array<std::string_view, 3> kPoolKeys{"addrs", "dns", "dns_domains"};
constexpr std::array<std::string_view, 16> kDaemonKeys{"listen",
                                                       "control_socket",
                                                       "tun",
                                                       "log_level",
                                                       "metrics",
                                                       "allow_key_export",
                                                       "drop_cleartext",
                                                       "max_half_open",
                                                       "max_half_open_per_source",
                                                       "offload",
                                                       "state_dir",
                                                       "retransmit_timeout_ms",
                                                       "retransmit_tries",
                                                       "workers",
                                                       "tcp_port",
                                                       "tcp_max_connections"};
// IKE retransmission bounds: a first timeout from 100 ms to a minute, up to 20 retransmissions.
constexpr std::int64_t kMinRetransmitTimeoutMs = 100;
constexpr std::int64_t kMaxRetransmitTimeoutMs = 60000;
constexpr std::int64_t kMaxRetransmitTries = 20;
constexpr std::array<std::string_view, 37> kConnectionKeys{
    "ike_version",     "local_addrs",  "remote_addrs",  "remote_port",
    "local_id",        "remote_id",    "auth",          "psk",
    "psk_file",        "certificate",  "private_key",   "ca_certificates",
    "ike_proposals",   "start_action", "dpd_delay",     "ike_lifetime",
    "reauth_time",     "unique",       "encapsulation", "allow_legacy",
    "aggressive",      "children",     "revocation",    "local_auth",
    "remote_auth",     "eap_identity", "eap_password",  "eap_password_file",
    "pools",           "vips",         "mobike",        "interface",
    "interface_addrs", "routes",       "mtu",           "tcp",
    "tcp_port"};
constexpr std::array<std::string_view, 13> kChildKeys{
    "name",     "mode",       "protocol",     "local_ts",      "remote_ts", "esp_proposals", "ah_proposals",
    "lifetime", "life_bytes", "life_packets", "replay_window", "mss_clamp", "per_cpu_sas"};
// An MSS from the IPv4 minimum of RFC 879 to the largest that fits an IPv4 packet (65535 - 40).
constexpr std::int64_t kMinMssClamp = 536;
constexpr std::int64_t kMaxMssClamp = 65495;

template <typename E>
struct Choice {
  std::string_view text;
  E value;
};
constexpr std::array<Choice<ike::AuthKind>, 2> kAuthChoices{
    {{"psk", ike::AuthKind::Psk}, {"pubkey", ike::AuthKind::PublicKey}}};
// Per-side methods (split authentication).
constexpr std::array<Choice<ike::AuthMethod>, 5> kSideAuthChoices{
    {{"psk", ike::AuthMethod::Psk},
     {"pubkey", ike::AuthMethod::PublicKey},
     {"eap-mschapv2", ike::AuthMethod::EapMsChapV2},
     {"eap-tls", ike::AuthMethod::EapTls},
     {"eap-radius", ike::AuthMethod::EapRadius}}};
constexpr std::array<Choice<ike::StartAction>, 3> kStartActionChoices{
    {{"none", ike::StartAction::None}, {"trap", ike::StartAction::Trap}, {"start", ike::StartAction::Start}}};
constexpr std::array<Choice<ike::RevocationPolicy>, 3> kRevocationChoices{
    {{"strict", ike::RevocationPolicy::Strict},
     {"ifuri", ike::RevocationPolicy::IfUri},
     {"relaxed", ike::RevocationPolicy::Relaxed}}};
constexpr std::array<Choice<ike::UniquePolicy>, 4> kUniqueChoices{{{"no", ike::UniquePolicy::No},
                                                                   {"never", ike::UniquePolicy::Never},
                                                                   {"replace", ike::UniquePolicy::Replace},
                                                                   {"keep", ike::UniquePolicy::Keep}}};
constexpr std::array<Choice<ike::Encapsulation>, 2> kEncapsulationChoices{
    {{"auto", ike::Encapsulation::Auto}, {"udp", ike::Encapsulation::ForceUdp}}};
constexpr std::array<Choice<ike::TcpEncapsulationMode>, 3> kTcpChoices{
    {{"never", ike::TcpEncapsulationMode::Never},
     {"always", ike::TcpEncapsulationMode::Always},
     {"fallback", ike::TcpEncapsulationMode::Fallback}}};
constexpr std::array<Choice<ipsec::Mode>, 2> kModeChoices{
    {{"tunnel", ipsec::Mode::Tunnel}, {"transport", ipsec::Mode::Transport}}};
constexpr std::array<Choice<ipsec::IpsecProtocol>, 2> kProtocolChoices{
    {{"esp", ipsec::IpsecProtocol::Esp}, {"ah", ipsec::IpsecProtocol::Ah}}};
constexpr std::array<std::string_view, 5> kLogSubsystems{"daemon", "ike", "net", "dataplane", "control"};

bool is_log_level(std::string_view text) {
  return text == "trace" || text == "debug" || text == "info" || text == "warn" || text == "error" ||
         text == "off";
}

// "LEVEL" or "LEVEL,SUBSYSTEM=LEVEL,...": nullopt when valid, else what is wrong.
std::optional<std::string> log_level_problem(std::string_view spec) {
  if (spec.empty()) return "'log_level' must not be empty";
  while (!spec.empty()) {
    const std::size_t comma = spec.find(',');
    const std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
    const std::size_t equals = item.find('=');
    const std::string_view level = equals == std::string_view::npos ? item : item.substr(equals + 1);
    if (equals != std::string_view::npos && std::find(kLogSubsystems.begin(), kLogSubsystems.end(),
                                                      item.substr(0, equals)) == kLogSubsystems.end()) {
      return "'log_level': unknown subsystem \"" + std::string(item.substr(0, equals)) +
             "\" (expected daemon, ike, net, dataplane or control)";
    }
    if (!is_log_level(level)) {
      return "'log_level': unknown level \"" + std::string(level) +
             "\" (expected trace, debug, info, warn, error or off, optionally per subsystem: "
             "\"info,ike=debug\")";
    }
  }
  return std::nullopt;
}

const char* describe_type(toml::node_type type) {
  switch (type) {
    case toml::node_type::none: return "nothing";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
  }
  return "an unknown type";
}

std::string in_quotes(std::string_view text) {
  return "'" + std::string(text) + "'";
}

// "default", as the proposal parser reads it: case-insensitive, surrounding spaces ignored.
bool is_default_keyword(std::string_view text) {
  const std::size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return false;
  const std::size_t end = text.find_last_not_of(" \t\r\n") + 1;
  std::string word(text.substr(begin, end - begin));
  for (char& c : word) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return word == "default";
}

bool is_encryption(const wire::ikev2::Transform& t, wire::ikev2::EncryptionId id) {
  return t.type == wire::ikev2::TransformType::Encryption && t.id == static_cast<std::uint16_t>(id);
}

// IKEv1 (RFC 2409) encrypts phase-1 messages in CBC mode and authenticates them with the
// negotiated hash; it has no combined-mode (AEAD) ciphers.
bool has_ikev1_phase1_cipher(const wire::ikev2::Proposal& proposal) {
  return std::any_of(proposal.transforms.begin(), proposal.transforms.end(), [](const auto& t) {
    return is_encryption(t, wire::ikev2::EncryptionId::AesCbc) ||
           is_encryption(t, wire::ikev2::EncryptionId::TripleDes);
  });
}

// Removes what IKEv1 Quick Mode cannot express (ChaCha20-Poly1305 has no IKEv1 ESP transform
// number); false when the proposal is left without an encryption algorithm.
bool keep_ikev1_esp_transforms(wire::ikev2::Proposal& proposal) {
  std::erase_if(proposal.transforms, [](const wire::ikev2::Transform& t) {
    return is_encryption(t, wire::ikev2::EncryptionId::ChaCha20Poly1305);
  });
  return std::any_of(proposal.transforms.begin(), proposal.transforms.end(),
                     [](const auto& t) { return t.type == wire::ikev2::TransformType::Encryption; });
}

const char* family_name(wire::IpFamily family) {
  return family == wire::IpFamily::V4 ? "IPv4" : "IPv6";
}

// Levenshtein distance, for "did you mean" on unknown keys (keys are short).
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string closest_key(std::string_view unknown, std::span<const std::string_view> known) {
  std::string_view best;
  std::size_t best_distance = 3;  // more than two edits away is a different word, not a typo
  for (std::string_view candidate : known) {
    const std::size_t distance = edit_distance(unknown, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return std::string(best);
}

template <typename E, std::size_t N>
std::string list_choices(const std::array<Choice<E>, N>& choices) {
  std::string out;
  for (std::size_t i = 0; i < N; ++i) {
    if (i > 0) out += i + 1 == N ? " or " : ", ";
    out += "\"" + std::string(choices[i].text) + "\"";
  }
  return out;
}

// An address or traffic selector with its place in the file, for the family consistency checks.
struct Located {
  wire::IpFamily family;
  std::string text;
  const toml::node* node;
};

struct TextEntry {
  std::string text;
  const toml::node* node;
};

class Validator {
 public:
  Validator(const std::string& source_name, const std::filesystem::path& base_dir,
            std::vector<ConfigError>& errors)
      : source_name_(source_name), base_dir_(base_dir), errors_(errors) {}

  Config build(const toml::table& root) {
    Config config;
    config.source_path = source_name_;
    check_keys(root, kTopLevelKeys, "the top level");
    if (const toml::node* daemon = root.get("daemon")) {
      if (const toml::table* table = table_or_error(*daemon, "daemon")) {
        config.daemon = daemon_settings(*table);
      }
    }
    // Before the connections: every pubkey connection consults them (revocation_checker.hpp).
    std::vector<ike::RevocationAuthority> authorities;
    if (const toml::node* node = root.get("authorities")) {
      if (const toml::table* table = table_or_error(*node, "authorities"))
        authorities = authority_tables(*table);
    }
    if (const toml::node* users = root.get("eap_users")) {
      if (const toml::table* table = table_or_error(*users, "eap_users"))
        config.eap_users = eap_users(*table);
    }
    eap_users_ = &config.eap_users;
    radius_present_ = root.contains("radius");
    if (const toml::node* radius = root.get("radius")) {
      if (const toml::table* table = table_or_error(*radius, "radius"))
        config.radius = radius_settings(*table);
    }
    if (const toml::node* connections = root.get("connections")) {
      if (const toml::table* table = table_or_error(*connections, "connections")) {
        std::vector<std::pair<toml::source_position, ike::ConnectionSettings>> located;
        for (auto&& [key, node] : *table) {
          const std::string name(key.str());
          if (!is_valid_name(name)) {
            error(key.source(),
                  "connection name " + in_quotes(name) + " must be 1 to 64 letters, digits, '-', '_' or '.'");
            continue;
          }
          const toml::table* settings = node.as_table();
          if (settings == nullptr) {
            error(node, "connection " + in_quotes(name) + " must be a table ([connections." + name +
                            "]), not " + describe_type(node.type()));
            continue;
          }
          located.emplace_back(settings->source().begin, connection(name, *settings));
        }
        // toml++ keeps a table's keys sorted; connections are started and listed in file order.
        std::stable_sort(located.begin(), located.end(), [](const auto& a, const auto& b) {
          return a.first.line != b.first.line ? a.first.line < b.first.line : a.first.column < b.first.column;
        });
        for (auto& entry : located) {
          if (entry.second.auth == ike::AuthKind::PublicKey) entry.second.authorities = authorities;
          config.connections.push_back(std::move(entry.second));
        }
        check_interfaces(config);
      }
    }
    if (const toml::node* pools = root.get("pools")) {
      if (const toml::table* table = table_or_error(*pools, "pools")) config.pools = pool_settings(*table);
    }
    check_pool_references(config.pools);
    if (const toml::node* shunts = root.get("shunts")) {
      if (const toml::table* table = table_or_error(*shunts, "shunts"))
        config.shunts = shunt_settings(*table, source_name_, errors_);
    }
    return config;
  }

 private:
  // ---- reporting ----
  void error(const toml::source_region& where, std::string message) {
    errors_.push_back(ConfigError{source_name_, where.begin.line, where.begin.column, std::move(message)});
  }
  void error(const toml::node& node, std::string message) { error(node.source(), std::move(message)); }

  void check_keys(const toml::table& table, std::span<const std::string_view> known,
                  const std::string& scope) {
    for (auto&& [key, node] : table) {
      if (std::find(known.begin(), known.end(), key.str()) != known.end()) continue;
      std::string message = "unknown key " + in_quotes(key.str()) + " in " + scope;
      const std::string suggestion = closest_key(key.str(), known);
      if (!suggestion.empty()) message += " (did you mean " + in_quotes(suggestion) + "?)";
      error(key.source(), std::move(message));
    }
  }

  // ---- typed access: absent → nullptr/nullopt silently; wrong type → error and nullptr ----
  const toml::table* table_or_error(const toml::node& node, std::string_view key) {
    if (const toml::table* table = node.as_table()) return table;
    error(node, in_quotes(key) + " must be a table, not " + describe_type(node.type()));
    return nullptr;
  }

  const toml::node* typed(const toml::table& table, std::string_view key, toml::node_type type) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return nullptr;
    if (node->type() != type) {
      error(*node,
            in_quotes(key) + " must be " + describe_type(type) + ", not " + describe_type(node->type()));
      return nullptr;
    }
    return node;
  }

  std::optional<std::string> string_at(const toml::table& table, std::string_view key) {
    const toml::node* node = typed(table, key, toml::node_type::string);
    if (node == nullptr) return std::nullopt;
    return node->as_string()->get();
  }

  std::optional<std::int64_t> integer_at(const toml::table& table, std::string_view key) {
    const toml::node* node = typed(table, key, toml::node_type::integer);
    if (node == nullptr) return std::nullopt;
    return node->as_integer()->get();
  }

  std::optional<bool> bool_at(const toml::table& table, std::string_view key) {
    const toml::node* node = typed(table, key, toml::node_type::boolean);
    if (node == nullptr) return std::nullopt;
    return node->as_boolean()->get();
  }

  std::optional<std::vector<TextEntry>> strings_at(const toml::table& table, std::string_view key) {
    const toml::node* node = typed(table, key, toml::node_type::array);
    if (node == nullptr) return std::nullopt;
    std::vector<TextEntry> entries;
    bool all_strings = true;
    for (const toml::node& element : *node->as_array()) {
      if (const auto* text = element.as_string()) {
        entries.push_back(TextEntry{text->get(), &element});
      } else {
        error(element,
              "entries of " + in_quotes(key) + " must be strings, not " + describe_type(element.type()));
        all_strings = false;
      }
    }
    if (!all_strings) return std::nullopt;
    return entries;
  }

  template <typename E, std::size_t N>
  std::optional<E> choice_at(const toml::table& table, std::string_view key,
                             const std::array<Choice<E>, N>& choices) {
    const std::optional<std::string> text = string_at(table, key);
    if (!text) return std::nullopt;
    for (const Choice<E>& choice : choices) {
      if (choice.text == *text) return choice.value;
    }
    error(*table.get(key), in_quotes(key) + " must be " + list_choices(choices) + ", not \"" + *text + "\"");
    return std::nullopt;
  }

  std::optional<Seconds> duration_at(const toml::table& table, std::string_view key, bool zero_allowed) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return std::nullopt;
    DurationParse parsed;
    if (const auto* integer = node->as_integer()) {
      parsed = duration_from_seconds(integer->get());
    } else if (const auto* text = node->as_string()) {
      parsed = parse_duration(text->get());
    } else {
      error(*node, in_quotes(key) + " must be a duration such as \"30s\", \"15m\", \"4h\" or \"1d\", not " +
                       describe_type(node->type()));
      return std::nullopt;
    }
    if (!parsed.value) {
      error(*node, in_quotes(key) + ": " + parsed.error);
      return std::nullopt;
    }
    if (!zero_allowed && parsed.value->count() == 0) {
      error(*node, in_quotes(key) + " must be longer than zero");
      return std::nullopt;
    }
    return parsed.value;
  }

  std::optional<std::uint64_t> count_at(const toml::table& table, std::string_view key) {
    const std::optional<std::int64_t> value = integer_at(table, key);
    if (!value) return std::nullopt;
    if (*value < 0) {
      error(*table.get(key), in_quotes(key) + " cannot be negative (0 means no limit)");
      return std::nullopt;
    }
    return static_cast<std::uint64_t>(*value);
  }

  // ---- [daemon] ----
  DaemonSettings daemon_settings(const toml::table& table) {
    DaemonSettings daemon;
    check_keys(table, kDaemonKeys, "[daemon]");
    if (const auto entries = strings_at(table, "listen")) {
      for (const TextEntry& entry : *entries) {
        const std::optional<wire::IpAddress> address = wire::IpAddress::parse(entry.text);
        if (!address) {
          error(*entry.node, "'listen': " + in_quotes(entry.text) + " is not an IP address");
        } else if (std::find(daemon.listen.begin(), daemon.listen.end(), *address) != daemon.listen.end()) {
          error(*entry.node, "'listen': " + in_quotes(entry.text) + " is listed twice");
        } else {
          daemon.listen.push_back(*address);
        }
      }
    }
    if (const auto socket = string_at(table, "control_socket")) {
      const toml::node& node = *table.get("control_socket");
      if (socket->empty() || socket->front() != '/') {
        error(node, "'control_socket' must be an absolute path, not \"" + *socket + "\"");
      } else if (socket->size() > kMaxUnixSocketPath) {
        error(node, "'control_socket' is longer than the " + std::to_string(kMaxUnixSocketPath) +
                        " bytes a Unix socket path can hold");
      } else {
        daemon.control_socket = *socket;
      }
    }
    if (const auto tun = string_at(table, "tun")) {
      const bool bad_character = std::any_of(tun->begin(), tun->end(), [](char c) {
        return c == '/' || c == ':' || c == '%' || c <= ' ' || c == '\x7f';
      });
      if (tun->empty() || tun->size() > kMaxInterfaceName || bad_character || *tun == "." || *tun == "..") {
        error(*table.get("tun"),
              "'tun' must be an interface name of 1 to 15 characters without '/', ':', '%' or "
              "spaces, not \"" +
                  *tun + "\"");
      } else {
        daemon.tun = *tun;
      }
    }
    if (const auto spec = string_at(table, "log_level")) {
      if (auto problem = log_level_problem(*spec)) {
        error(*table.get("log_level"), *problem);
      } else {
        daemon.log_level = *spec;
      }
    }
    if (const auto metrics = string_at(table, "metrics")) {
      std::string problem;
      if (auto endpoint = parse_listen_endpoint(*metrics, problem)) {
        daemon.metrics = *endpoint;
      } else {
        error(*table.get("metrics"), "'metrics': " + problem);
      }
    }
    if (const auto allow = bool_at(table, "allow_key_export")) daemon.allow_key_export = *allow;
    if (const auto drop = bool_at(table, "drop_cleartext")) daemon.drop_cleartext = *drop;
    if (const auto offload = bool_at(table, "offload")) daemon.offload = *offload;
    if (const auto workers = integer_at(table, "workers")) {
      if (*workers < 1 || static_cast<std::uint64_t>(*workers) > kMaxWorkers)
        error(*table.get("workers"), "'workers' must be 1 to " + std::to_string(kMaxWorkers) + ", not " +
                                         std::to_string(*workers) + " (leave it out for one per CPU)");
      else
        daemon.workers = static_cast<std::size_t>(*workers);
    }
    if (const auto cap = count_at(table, "max_half_open")) daemon.max_half_open = *cap;
    if (const auto cap = count_at(table, "max_half_open_per_source")) daemon.max_half_open_per_source = *cap;
    // How soon an unanswered exchange (a DPD check among them) gives the IKE SA up.
    if (const auto timeout = integer_at(table, "retransmit_timeout_ms")) {
      if (*timeout < kMinRetransmitTimeoutMs || *timeout > kMaxRetransmitTimeoutMs)
        error(*table.get("retransmit_timeout_ms"),
              "'retransmit_timeout_ms' must be between " + std::to_string(kMinRetransmitTimeoutMs) + " and " +
                  std::to_string(kMaxRetransmitTimeoutMs) + ", not " + std::to_string(*timeout));
      else
        daemon.retransmit_timeout = Milliseconds{*timeout};
    }
    if (const auto tries = integer_at(table, "retransmit_tries")) {
      if (*tries < 0 || *tries > kMaxRetransmitTries)
        error(*table.get("retransmit_tries"), "'retransmit_tries' must be between 0 and " +
                                                  std::to_string(kMaxRetransmitTries) + ", not " +
                                                  std::to_string(*tries));
      else
        daemon.retransmit_tries = static_cast<unsigned>(*tries);
    }
    if (const auto port = integer_at(table, "tcp_port")) {
      if (*port < 1 || *port > 65535)
        error(*table.get("tcp_port"), "'tcp_port' must be between 1 and 65535, not " + std::to_string(*port));
      else
        daemon.tcp_port = static_cast<std::uint16_t>(*port);
    }
    if (const auto cap = integer_at(table, "tcp_max_connections")) {
      if (*cap < 1 || *cap > 1000000)
        error(*table.get("tcp_max_connections"),
              "'tcp_max_connections' must be between 1 and 1000000, not " + std::to_string(*cap));
      else
        daemon.tcp_max_connections = static_cast<std::size_t>(*cap);
    }
    if (const auto dir = string_at(table, "state_dir")) {
      if (dir->empty() || dir->front() != '/')
        error(*table.get("state_dir"), "'state_dir' must be an absolute path, not \"" + *dir + "\"");
      else
        daemon.state_dir = *dir;
    }
    return daemon;
  }

  // ---- [pools.NAME] (virtual IPs, RFC 7296 §3.15) ----
  std::vector<ike::PoolSettings> pool_settings(const toml::table& pools) {
    std::vector<std::pair<toml::source_position, ike::PoolSettings>> located;
    for (auto&& [key, node] : pools) {
      const std::string name(key.str());
      const toml::table* table = node.as_table();
      if (!is_valid_name(name)) {
        error(key.source(),
              "pool name " + in_quotes(name) + " must be 1 to 64 letters, digits, '-', '_' or '.'");
        continue;
      }
      if (table == nullptr) {
        error(node, "pool " + in_quotes(name) + " must be a table ([pools." + name + "]), not " +
                        describe_type(node.type()));
        continue;
      }
      const std::string scope = "pool " + in_quotes(name);
      check_keys(*table, kPoolKeys, scope);
      ike::PoolSettings pool;
      pool.name = name;
      if (const auto addrs = string_at(*table, "addrs")) {
        if (auto problem = ike::parse_pool_range(*addrs, pool))
          error(*table->get("addrs"), "'addrs': " + *problem);
      } else if (!table->get("addrs")) {
        error(table->source(),
              scope + " needs 'addrs' (a prefix such as \"10.3.0.0/24\" or a range \"a-b\")");
      }
      if (const auto entries = strings_at(*table, "dns")) {
        for (const TextEntry& entry : *entries) {
          if (const auto address = wire::IpAddress::parse(entry.text))
            pool.dns.push_back(*address);
          else
            error(*entry.node, "'dns': " + in_quotes(entry.text) + " is not an IP address");
        }
      }
      if (const auto entries = strings_at(*table, "dns_domains")) {
        for (const TextEntry& entry : *entries) {
          const bool valid =
              !entry.text.empty() && entry.text.size() <= 253 && entry.text.find("..") == std::string::npos &&
              entry.text.front() != '.' && std::all_of(entry.text.begin(), entry.text.end(), [](char ch) {
                return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.';
              });
          if (valid)
            pool.dns_domains.push_back(entry.text);
          else
            error(*entry.node, "'dns_domains': " + in_quotes(entry.text) + " is not a domain name");
        }
      }
      located.emplace_back(table->source().begin, std::move(pool));
    }
    std::stable_sort(located.begin(), located.end(), [](const auto& a, const auto& b) {
      return a.first.line != b.first.line ? a.first.line < b.first.line : a.first.column < b.first.column;
    });
    std::vector<ike::PoolSettings> out;
    for (auto& entry : located) out.push_back(std::move(entry.second));
    return out;
  }

  // A connection's `pools` must name pools that exist (checked once every table is read).
  void check_pool_references(const std::vector<ike::PoolSettings>& pools) {
    for (const auto& reference : pool_references_) {
      // Named copies: clang 14 cannot capture structured bindings in a lambda.
      const std::string& name = reference.first;
      const toml::node* node = reference.second;
      const bool known =
          std::any_of(pools.begin(), pools.end(), [&](const auto& p) { return p.name == name; });
      if (!known) error(*node, "'pools': no pool " + in_quotes(name) + " is defined ([pools." + name + "])");
    }
  }

  // A connection's `pools` (gateway) and `vips` (client).
  void virtual_ip_settings(const toml::table& table, ike::ConnectionSettings& c) {
    if (const auto entries = strings_at(table, "pools")) {
      for (const TextEntry& entry : *entries) {
        if (std::find(c.pools.begin(), c.pools.end(), entry.text) != c.pools.end()) {
          error(*entry.node, "'pools': " + in_quotes(entry.text) + " is listed twice");
          continue;
        }
        c.pools.push_back(entry.text);
        pool_references_.emplace_back(entry.text, entry.node);
      }
      if (c.ike_version != 2 && !c.pools.empty()) error(*table.get("pools"), "'pools' needs ike_version = 2");
    }
    if (const auto entries = strings_at(table, "vips")) {
      for (const TextEntry& entry : *entries) {
        const auto address = wire::IpAddress::parse(entry.text);
        if (!address) {
          error(*entry.node,
                "'vips': " + in_quotes(entry.text) + " is not an IP address (\"0.0.0.0\" or \"::\" for any)");
          continue;
        }
        if (std::any_of(c.vips.begin(), c.vips.end(),
                        [&](const auto& v) { return v.is_v4() == address->is_v4(); })) {
          error(*entry.node, "'vips': one address per family (" + in_quotes(entry.text) + " is the second " +
                                 family_name(address->family()) + " one)");
          continue;
        }
        c.vips.push_back(*address);
      }
      if (c.ike_version != 2 && !c.vips.empty()) error(*table.get("vips"), "'vips' needs ike_version = 2");
    }
  }

  // ---- [connections.NAME] ----
  ike::ConnectionSettings connection(const std::string& name, const toml::table& table) {
    ike::ConnectionSettings c;
    c.name = name;
    const std::string scope = "connection " + in_quotes(name);
    check_keys(table, kConnectionKeys, scope);

    if (const auto version = integer_at(table, "ike_version")) {
      if (*version != 1 && *version != 2) {
        error(*table.get("ike_version"),
              "'ike_version' must be 1 (IKEv1) or 2 (IKEv2), not " + std::to_string(*version));
      } else {
        c.ike_version = static_cast<int>(*version);
      }
    }
    std::vector<Located> local_addrs = addresses(table, "local_addrs", c.local_addrs);
    std::vector<Located> remote_addrs = remote_addresses(table, c);
    if (!local_addrs.empty() && !remote_addrs.empty()) {
      const bool common_family =
          std::any_of(local_addrs.begin(), local_addrs.end(), [&remote_addrs](const Located& local) {
            return std::any_of(remote_addrs.begin(), remote_addrs.end(),
                               [&local](const Located& remote) { return remote.family == local.family; });
          });
      if (!common_family) {
        error(*table.get("remote_addrs"),
              "'remote_addrs' and 'local_addrs' have no address family in common");
      }
    }
    if (const auto port = integer_at(table, "remote_port")) {
      if (*port < 1 || *port > 65535) {
        error(*table.get("remote_port"),
              "'remote_port' must be between 1 and 65535, not " + std::to_string(*port));
      } else {
        c.remote_port = static_cast<std::uint16_t>(*port);
      }
    }
    if (const auto port = integer_at(table, "tcp_port")) {
      if (*port < 1 || *port > 65535)
        error(*table.get("tcp_port"), "'tcp_port' must be between 1 and 65535, not " + std::to_string(*port));
      else
        c.tcp_port = static_cast<std::uint16_t>(*port);
    }
    if (const auto tcp = choice_at(table, "tcp", kTcpChoices)) {
      c.tcp = *tcp;
      // RFC 9329 is IKEv2's; a responder (%any) never initiates, so TCP there is [daemon] tcp_port.
      if (*tcp != ike::TcpEncapsulationMode::Never && c.ike_version == 1)
        error(*table.get("tcp"),
              "'tcp' (RFC 9329 TCP encapsulation) is IKEv2 only; this connection uses IKEv1");
      else if (*tcp != ike::TcpEncapsulationMode::Never && c.remote_addrs.empty() && c.remote_hosts.empty())
        error(*table.get("tcp"),
              "'tcp' chooses how this side initiates, but 'remote_addrs' is %any; a gateway accepts "
              "TCP through [daemon] tcp_port");
    }
    if (const auto legacy = bool_at(table, "allow_legacy")) c.allow_legacy = *legacy;
    if (const auto mobike = bool_at(table, "mobike")) c.mobike = *mobike;  // IKEv1 ignores it
    if (const auto aggressive = bool_at(table, "aggressive")) {
      c.aggressive = *aggressive;
      if (*aggressive && c.ike_version != 1) {
        error(*table.get("aggressive"),
              "'aggressive' = true is an IKEv1 exchange mode; this connection uses IKEv2 "
              "(ike_version = 2)");
      }
    }

    // Authentication: the keys of the other method are refused, so a half-edited connection
    // (psk left behind after switching to certificates) is noticed.
    const std::optional<ike::AuthKind> auth = authentication(table, scope, c);
    identities(table, scope, auth, c);
    eap_client_identity(table, scope, c);

    c.ike_proposals = proposals(
        table, "ike_proposals", wire::ikev2::ProtocolId::Ike, c.allow_legacy,
        c.ike_version == 1 ? ike::default_ikev1_proposals() : ike::default_ike_proposals(), c.ike_version);
    if (const auto action = choice_at(table, "start_action", kStartActionChoices)) {
      c.start_action = *action;
      if (*action != ike::StartAction::None && c.remote_addrs.empty() && c.remote_hosts.empty()) {
        error(*table.get("start_action"),
              "'start_action' = \"" + *table.get("start_action")->value<std::string>() +
                  "\" needs a peer to initiate to, but 'remote_addrs' is %any (only "
                  "\"none\" can answer any peer)");
      }
    }
    if (const auto delay = duration_at(table, "dpd_delay", /*zero_allowed=*/true)) {
      c.dpd_delay = *delay;
    }
    if (const auto lifetime = duration_at(table, "ike_lifetime", /*zero_allowed=*/false)) {
      c.ike_lifetime = *lifetime;
    }
    if (const auto reauth = duration_at(table, "reauth_time", /*zero_allowed=*/true)) {
      c.reauth_time = *reauth;
      if (reauth->count() > 0 && c.ike_version != 2)
        error(*table.get("reauth_time"),
              "'reauth_time' is an IKEv2 setting; an IKEv1 connection renews phase 1 at 'ike_lifetime' "
              "with a new authentication already");
    }
    if (const auto unique = choice_at(table, "unique", kUniqueChoices)) {
      c.unique = *unique;
      if (*unique != ike::UniquePolicy::No && c.ike_version != 2)
        error(*table.get("unique"),
              "'unique' is an IKEv2 setting; an IKEv1 connection follows only INITIAL_CONTACT");
    }
    if (const auto encapsulation = choice_at(table, "encapsulation", kEncapsulationChoices)) {
      c.encapsulation = *encapsulation;
    }
    route_interface_settings(table, c);
    virtual_ip_settings(table, c);  // before the children: vips are a client's local side
    children(table, scope, local_addrs, remote_addrs, c);
    if (c.route_interface && c.children.size() != 1 && table.contains("children")) {
      error(*table.get("interface"), scope +
                                         " is route-based ('interface'): traffic entering its interface has "
                                         "one CHILD SA to go to, so it needs exactly one child, not " +
                                         std::to_string(c.children.size()));
    }
    if (c.start_action == ike::StartAction::Trap && c.children.empty() && table.contains("start_action")) {
      error(*table.get("start_action"),
            "'start_action' = \"trap\" installs the policies of the children, but " + scope + " has none");
    }
    return c;
  }

  // `auth`, or `local_auth` and `remote_auth` (each overriding `auth` for one side). Returns the
  // method the identities are checked against (pubkey when we prove ourselves with a certificate).
  std::optional<ike::AuthKind> authentication(const toml::table& table, const std::string& scope,
                                              ike::ConnectionSettings& c) {
    const std::optional<ike::AuthKind> auth = choice_at(table, "auth", kAuthChoices);
    const bool split = table.contains("local_auth") && table.contains("remote_auth");
    if (!table.contains("auth") && !split) {
      error(table.source(),
            scope + " needs 'auth' = \"psk\" or \"pubkey\" (or both 'local_auth' and 'remote_auth')");
    }
    c.local_auth = side_auth(table, "local_auth");
    c.remote_auth = side_auth(table, "remote_auth");
    auto method_of = [](ike::AuthKind kind) {
      return kind == ike::AuthKind::Psk ? ike::AuthMethod::Psk : ike::AuthMethod::PublicKey;
    };
    const std::optional<ike::AuthMethod> local = c.local_auth ? c.local_auth
                                                 : auth       ? std::optional(method_of(*auth))
                                                              : std::nullopt;
    const std::optional<ike::AuthMethod> remote = c.remote_auth ? c.remote_auth
                                                  : auth        ? std::optional(method_of(*auth))
                                                                : std::nullopt;
    if (!local || !remote) return auth;
    if (*local == ike::AuthMethod::EapRadius) {
      error(*table.get("local_auth"),
            "'local_auth' = \"eap-radius\" is not a client method: the gateway relays its clients' EAP to "
            "RADIUS with 'remote_auth' = \"eap-radius\" (a client uses \"eap-mschapv2\" or \"eap-tls\")");
    }
    if (ike::is_eap(*local) && ike::is_eap(*remote)) {
      error(
          *table.get(c.remote_auth ? "remote_auth" : "local_auth"),
          "EAP authenticates the client only (RFC 7296 §2.16): 'local_auth' and 'remote_auth' cannot both be "
          "EAP methods");
    }
    const bool psk = *local == ike::AuthMethod::Psk || *remote == ike::AuthMethod::Psk;
    // EAP-TLS: the TLS certificate is the connection's own; a client checks the gateway's TLS
    // certificate, a gateway the client's, against the connection's CAs.
    const bool eap_tls = *local == ike::AuthMethod::EapTls || *remote == ike::AuthMethod::EapTls;
    const bool own_certificate = *local == ike::AuthMethod::PublicKey || eap_tls;
    const bool trust_anchors = *remote == ike::AuthMethod::PublicKey || eap_tls;
    // The AUTH payload kind this connection uses where it does not run EAP.
    c.auth = *local == ike::AuthMethod::Psk ||
                     (*local != ike::AuthMethod::PublicKey && *remote == ike::AuthMethod::Psk)
                 ? ike::AuthKind::Psk
                 : ike::AuthKind::PublicKey;
    if (psk) {
      psk_settings(table, scope, c);
    } else {
      refuse_keys(table, {"psk", "psk_file"}, "psk");
    }
    if (own_certificate || trust_anchors) {
      pubkey_settings(table, scope, c, own_certificate, trust_anchors);
    } else {
      refuse_keys(table, {"certificate", "private_key", "ca_certificates", "revocation"}, "pubkey");
    }
    if (*remote == ike::AuthMethod::EapMsChapV2 && eap_users_->empty()) {
      error(*table.get(c.remote_auth ? "remote_auth" : "auth"),
            "'remote_auth' = \"eap-mschapv2\" needs at least one [eap_users.NAME] table to check passwords "
            "against");
    }
    if (*remote == ike::AuthMethod::EapRadius && !radius_present_) {
      error(*table.get(c.remote_auth ? "remote_auth" : "auth"),
            "'remote_auth' = \"eap-radius\" needs a [radius] table naming the RADIUS servers");
    }
    if (*local != ike::AuthMethod::EapMsChapV2) {
      for (std::string_view key : {"eap_identity", "eap_password", "eap_password_file"}) {
        if (key == "eap_identity" && *local == ike::AuthMethod::EapTls) continue;
        if (const toml::node* node = table.get(key))
          error(*node, in_quotes(key) + " is only used with 'local_auth' = \"eap-mschapv2\"" +
                           (key == "eap_identity" ? " or \"eap-tls\"" : ""));
      }
    }
    return own_certificate ? std::optional(ike::AuthKind::PublicKey) : std::optional(c.auth);
  }

  std::optional<ike::AuthMethod> side_auth(const toml::table& table, std::string_view key) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return std::nullopt;
    return choice_at(table, key, kSideAuthChoices);
  }

  // A secret given inline (`inline_key`) or in a file (`file_key`), exactly one of them; the
  // trailing newline of a file is not part of it. nullopt after reporting an error.
  std::optional<crypto::SecureBytes> secret(const toml::table& table, std::string_view inline_key,
                                            std::string_view file_key, const std::string& scope) {
    const toml::node* inline_secret = table.get(inline_key);
    const toml::node* file = table.get(file_key);
    if (inline_secret != nullptr && file != nullptr) {
      error(*file, "give either " + in_quotes(inline_key) + " or " + in_quotes(file_key) + ", not both");
      return std::nullopt;
    }
    if (inline_secret != nullptr) {
      if (typed(table, inline_key, toml::node_type::string) == nullptr) return std::nullopt;
      const std::string& text = inline_secret->as_string()->get();  // by reference: no unwiped copy
      if (text.empty()) {
        error(*inline_secret, in_quotes(inline_key) + " is empty");
        return std::nullopt;
      }
      return crypto::SecureBytes(ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
    }
    if (file == nullptr) {
      error(table.source(), scope + " needs " + in_quotes(inline_key) + " or " + in_quotes(file_key));
      return std::nullopt;
    }
    const std::optional<std::string> path_text = string_at(table, file_key);
    if (!path_text) return std::nullopt;
    const std::filesystem::path path = resolve_path(base_dir_, *path_text);
    FileRead read = read_whole_file(path, kMaxSecretFileSize);
    if (!read.contents) {
      error(*file, in_quotes(file_key) + ": " + read.error);
      return std::nullopt;
    }
    std::string_view text = as_text(*read.contents);
    if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (text.empty()) {
      error(*file, in_quotes(file_key) + ": " + in_quotes(path.string()) + " holds an empty secret");
      return std::nullopt;
    }
    return read.contents->slice(0, text.size());
  }

  // A password turned into its MSCHAPv2 NT hash (only the hash is kept).
  std::optional<crypto::SecureBytes> nt_hash_of(const crypto::SecureBytes& password, const toml::node& where,
                                                std::string_view key) {
    std::optional<crypto::SecureBytes> hash = crypto::mschapv2::nt_password_hash(password.view());
    if (!hash) {
      error(where, in_quotes(key) + " must be UTF-8 text of at most " +
                       std::to_string(crypto::mschapv2::kMaxPasswordCharacters) + " characters (RFC 2759)");
    }
    return hash;
  }

  // [eap_users.NAME]: the users an EAP-MSCHAPv2 gateway accepts, each with exactly one of
  // password, password_file or nt_hash (32 hex digits: MD4 of the UTF-16LE password).
  ike::EapUsers eap_users(const toml::table& table) {
    ike::EapUsers users;
    for (auto&& [key, node] : table) {
      const std::string name(key.str());
      const std::string scope = "EAP user " + in_quotes(name);
      if (name.empty() || name.size() > 255) {
        error(key.source(), "EAP user names must be 1 to 255 bytes");
        continue;
      }
      const toml::table* user = node.as_table();
      if (user == nullptr) {
        error(node, scope + " must be a table ([eap_users." + name + "]), not " + describe_type(node.type()));
        continue;
      }
      check_keys(*user, kEapUserKeys, scope);
      if (const toml::node* hash_node = user->get("nt_hash")) {
        if (user->contains("password") || user->contains("password_file")) {
          error(*hash_node, "give one of 'password', 'password_file' or 'nt_hash'");
          continue;
        }
        const std::optional<std::string> hex = string_at(*user, "nt_hash");
        if (!hex) continue;
        Bytes hash = from_hex(*hex);
        if (hash.size() != crypto::mschapv2::kPasswordHashLength) {
          error(*hash_node, "'nt_hash' must be 32 hex digits (the 16-byte MD4 NT hash)");
          crypto::secure_wipe(hash.data(), hash.size());
          continue;
        }
        users.emplace(name, crypto::SecureBytes(hash));
        crypto::secure_wipe(hash.data(), hash.size());
        continue;
      }
      const std::optional<crypto::SecureBytes> password = secret(*user, "password", "password_file", scope);
      if (!password) continue;
      const toml::node& where =
          user->contains("password") ? *user->get("password") : *user->get("password_file");
      if (auto hash = nt_hash_of(*password, where, user->contains("password") ? "password" : "password_file"))
        users.emplace(name, std::move(*hash));
    }
    return users;
  }

  // [radius]: servers (tried in order), one shared secret, timeout/retries per server, the
  // NAS-Identifier, accounting. radcli splits its server lists on ',', ' ' and tab and keeps
  // secrets in 96-byte buffers, so a secret with those characters or longer is refused here.
  std::optional<RadiusSettings> radius_settings(const toml::table& table) {
    check_keys(table, kRadiusKeys, "[radius]");
    RadiusSettings settings;
    bool ok = true;
    const toml::node* servers = typed(table, "servers", toml::node_type::array);
    if (servers == nullptr) {
      if (!table.contains("servers"))
        error(table.source(), "[radius] needs 'servers' (at least one RADIUS server)");
      ok = false;
    } else if (servers->as_array()->empty() || servers->as_array()->size() > kMaxRadiusServers) {
      error(*servers, "'servers' must list 1 to " + std::to_string(kMaxRadiusServers) + " RADIUS servers");
      ok = false;
    } else {
      for (const toml::node& element : *servers->as_array()) {
        const toml::table* server = element.as_table();
        if (server == nullptr) {
          error(
              element,
              std::string("entries of 'servers' must be tables such as { address = \"192.0.2.10\" }, not ") +
                  describe_type(element.type()));
          ok = false;
          continue;
        }
        if (auto parsed = radius_server(*server)) {
          settings.servers.push_back(std::move(*parsed));
        } else {
          ok = false;
        }
      }
    }
    if (auto secret_value = secret(table, "secret", "secret_file", "[radius]")) {
      const std::string_view text(reinterpret_cast<const char*>(secret_value->view().data()),
                                  secret_value->size());
      const char* where_key = table.contains("secret") ? "secret" : "secret_file";
      if (text.size() > kMaxRadiusSecretLength) {
        error(*table.get(where_key), "the RADIUS shared secret must be at most " +
                                         std::to_string(kMaxRadiusSecretLength) + " bytes");
        ok = false;
      } else if (text.find_first_of(", \t\r\n") != std::string_view::npos) {
        error(*table.get(where_key),
              "the RADIUS shared secret cannot contain spaces, tabs, line breaks or ','");
        ok = false;
      } else {
        settings.secret = std::move(*secret_value);
      }
    } else {
      ok = false;
    }
    if (table.contains("timeout")) {
      if (const auto timeout = duration_at(table, "timeout", false)) {
        if (timeout->count() > 60) {
          error(*table.get("timeout"), "'timeout' must be at most 60s (it is per try)");
          ok = false;
        } else {
          settings.timeout = *timeout;
        }
      } else {
        ok = false;
      }
    }
    if (table.contains("retries")) {
      const std::optional<std::int64_t> retries = integer_at(table, "retries");
      if (!retries || *retries < 0 || *retries > 10) {
        if (retries) error(*table.get("retries"), "'retries' must be 0 to 10 (retransmissions per server)");
        ok = false;
      } else {
        settings.retries = static_cast<unsigned>(*retries);
      }
    }
    if (table.contains("nas_identifier")) {
      const std::optional<std::string> nas = string_at(table, "nas_identifier");
      if (!nas || nas->empty() || nas->size() > 253) {
        if (nas) error(*table.get("nas_identifier"), "'nas_identifier' must be 1 to 253 bytes");
        ok = false;
      } else {
        settings.nas_identifier = *nas;
      }
    }
    if (table.contains("accounting")) {
      if (const auto accounting = bool_at(table, "accounting")) {
        settings.accounting = *accounting;
      } else {
        ok = false;
      }
    }
    if (table.contains("interim_interval")) {
      if (const auto interval = duration_at(table, "interim_interval", true)) {
        if (interval->count() != 0 && interval->count() < 60) {
          error(*table.get("interim_interval"),
                "'interim_interval' must be 0 (off) or at least 60s (RFC 2869 §5.16)");
          ok = false;
        } else {
          settings.interim_interval = *interval;
        }
        if (!settings.accounting && interval->count() != 0) {
          error(*table.get("interim_interval"), "'interim_interval' needs 'accounting' = true");
          ok = false;
        }
      } else {
        ok = false;
      }
    }
    if (!ok) return std::nullopt;
    return settings;
  }

  std::optional<RadiusServer> radius_server(const toml::table& table) {
    check_keys(table, kRadiusServerKeys, "a [radius] server");
    RadiusServer server;
    const std::optional<std::string> address = string_at(table, "address");
    if (!address) {
      if (!table.contains("address")) error(table.source(), "a [radius] server needs 'address'");
      return std::nullopt;
    }
    if (!wire::IpAddress::parse(*address)) {
      error(*table.get("address"), "'address' must be an IPv4 or IPv6 address, not \"" + *address + "\"");
      return std::nullopt;
    }
    server.address = *address;
    for (auto [key, port] : {std::pair<std::string_view, std::uint16_t*>{"port", &server.port},
                             std::pair<std::string_view, std::uint16_t*>{"acct_port", &server.acct_port}}) {
      if (!table.contains(key)) continue;
      const std::optional<std::int64_t> value = integer_at(table, key);
      if (!value) return std::nullopt;
      if (*value < 1 || *value > 65535) {
        error(*table.get(key), in_quotes(key) + " must be a port from 1 to 65535");
        return std::nullopt;
      }
      *port = static_cast<std::uint16_t>(*value);
    }
    return server;
  }

  // local_auth = "eap-mschapv2": the EAP identity (default: local_id's text) and password.
  // local_auth = "eap-tls": the EAP identity only (the certificate is the credential).
  void eap_client_identity(const toml::table& table, const std::string& scope, ike::ConnectionSettings& c) {
    if (c.local_auth != ike::AuthMethod::EapMsChapV2 && c.local_auth != ike::AuthMethod::EapTls) return;
    if (const auto identity = string_at(table, "eap_identity")) {
      if (identity->empty() || identity->size() > 255) {
        error(*table.get("eap_identity"), "'eap_identity' must be 1 to 255 bytes");
      } else {
        c.eap_identity = *identity;
      }
    } else if (const auto local_id = string_at(table, "local_id")) {
      c.eap_identity = *local_id;
    } else {
      error(table.source(), scope + " uses 'local_auth' = \"" + ike::auth_method_name(*c.local_auth) +
                                "\" and needs 'eap_identity' or 'local_id'");
    }
    if (c.local_auth == ike::AuthMethod::EapTls) return;
    const std::optional<crypto::SecureBytes> password =
        secret(table, "eap_password", "eap_password_file", scope);
    if (!password) return;
    const char* key = table.contains("eap_password") ? "eap_password" : "eap_password_file";
    if (auto hash = nt_hash_of(*password, *table.get(key), key)) c.eap_password_hash = std::move(*hash);
  }

  void refuse_keys(const toml::table& table, std::initializer_list<std::string_view> keys,
                   std::string_view method) {
    for (std::string_view key : keys) {
      if (const toml::node* node = table.get(key)) {
        error(*node, in_quotes(key) + " is only used with 'auth' = \"" + std::string(method) + "\"");
      }
    }
  }

  // "%any" alone (or an empty array) = any address; anything else must be IP addresses.
  std::vector<Located> addresses(const toml::table& table, std::string_view key,
                                 std::vector<wire::IpAddress>& out) {
    std::vector<Located> located;
    const auto entries = strings_at(table, key);
    if (!entries) return located;
    for (const TextEntry& entry : *entries) {
      if (entry.text == "%any") {
        if (entries->size() != 1) {
          error(*entry.node, in_quotes(key) + ": \"%any\" cannot be combined with addresses");
        }
        continue;
      }
      const std::optional<wire::IpAddress> address = wire::IpAddress::parse(entry.text);
      if (!address) {
        error(*entry.node, in_quotes(key) + ": " + in_quotes(entry.text) +
                               " is not an IP address (host names are not supported)");
        continue;
      }
      out.push_back(*address);
      located.push_back(Located{address->family(), entry.text, entry.node});
    }
    return located;
  }

  // remote_addrs: addresses, "%any", or host names (host_name.hpp) — names not mixed with addresses.
  std::vector<Located> remote_addresses(const toml::table& table, ike::ConnectionSettings& c) {
    std::vector<Located> located;
    const auto entries = strings_at(table, "remote_addrs");
    if (!entries) return located;
    for (const TextEntry& entry : *entries) {
      if (entry.text == "%any") {
        if (entries->size() != 1)
          error(*entry.node, "'remote_addrs': \"%any\" cannot be combined with addresses");
        continue;
      }
      if (const std::optional<wire::IpAddress> address = wire::IpAddress::parse(entry.text)) {
        c.remote_addrs.push_back(*address);
        located.push_back(Located{address->family(), entry.text, entry.node});
      } else if (is_host_name(entry.text)) {
        std::string name = entry.text;
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char ch) { return std::tolower(ch); });
        c.remote_hosts.push_back(std::move(name));
      } else {
        error(*entry.node, "'remote_addrs': " + in_quotes(entry.text) +
                               " is neither an IP address nor a host name (dot-separated labels of letters, "
                               "digits and '-', RFC 1123)");
      }
    }
    if (!c.remote_hosts.empty() && !c.remote_addrs.empty()) {
      error(*table.get("remote_addrs"),
            "'remote_addrs' mixes host names and addresses: give one or the other");
    } else if (!c.remote_hosts.empty() && c.ike_version == 1) {
      error(*table.get("remote_addrs"), "'remote_addrs': host names need ike_version = 2");
    }
    return located;
  }

  void psk_settings(const toml::table& table, const std::string& scope, ike::ConnectionSettings& c) {
    const toml::node* inline_secret = table.get("psk");
    const toml::node* file = table.get("psk_file");
    if (inline_secret != nullptr && file != nullptr) {
      error(*file, "give either 'psk' or 'psk_file', not both");
      return;
    }
    if (inline_secret == nullptr && file == nullptr) {
      error(table.source(), scope + " uses 'auth' = \"psk\" but has neither 'psk' nor 'psk_file'");
      return;
    }
    if (inline_secret != nullptr) {
      if (typed(table, "psk", toml::node_type::string) == nullptr) return;
      // By reference: the secret is not copied into an unwiped std::string.
      const std::string& secret = inline_secret->as_string()->get();
      if (secret.empty()) {
        error(*inline_secret, "'psk' is empty");
        return;
      }
      c.psk =
          crypto::SecureBytes(ByteView(reinterpret_cast<const std::uint8_t*>(secret.data()), secret.size()));
      return;
    }
    const std::optional<std::string> path_text = string_at(table, "psk_file");
    if (!path_text) return;
    const std::filesystem::path path = resolve_path(base_dir_, *path_text);
    FileRead read = read_whole_file(path, kMaxSecretFileSize);
    if (!read.contents) {
      error(*file, "'psk_file': " + read.error);
      return;
    }
    // Files written with echo or an editor end in one newline that is not part of the secret.
    std::string_view secret = as_text(*read.contents);
    if (!secret.empty() && secret.back() == '\n') secret.remove_suffix(1);
    if (!secret.empty() && secret.back() == '\r') secret.remove_suffix(1);
    if (secret.empty()) {
      error(*file, "'psk_file': " + in_quotes(path.string()) + " holds an empty secret");
      return;
    }
    c.psk = read.contents->slice(0, secret.size());
  }

  // Reads a PEM file named by `node`'s text; errors are reported at the node.
  std::optional<crypto::SecureBytes> pem_file(const toml::node& node, std::string_view key,
                                              const std::string& path_text) {
    FileRead read = read_whole_file(resolve_path(base_dir_, path_text), kMaxPemFileSize);
    if (!read.contents) {
      error(node, in_quotes(key) + ": " + read.error);
      return std::nullopt;
    }
    return std::move(read.contents);
  }

  // [authorities.NAME]: cacert (PEM file), crl_uris, ocsp_uris, as in swanctl.conf.
  std::vector<ike::RevocationAuthority> authority_tables(const toml::table& authorities) {
    std::vector<ike::RevocationAuthority> out;
    for (auto&& [key, node] : authorities) {
      const std::string name(key.str());
      const toml::table* table = node.as_table();
      if (!is_valid_name(name) || table == nullptr) {
        error(node, "authority " + in_quotes(name) +
                        " must be a table named by 1 to 64 letters, digits, '-', '_' or '.' ([authorities." +
                        name + "])");
        continue;
      }
      const std::string scope = "[authorities." + name + "]";
      check_keys(*table, kAuthorityKeys, scope);
      std::optional<crypto::Certificate> cacert;
      if (const auto path = string_at(*table, "cacert")) {
        if (const auto pem = pem_file(*table->get("cacert"), "cacert", *path)) {
          cacert = crypto::Certificate::from_pem(as_text(*pem));
          if (!cacert)
            error(*table->get("cacert"), "'cacert': " + in_quotes(*path) + " holds no PEM certificate");
        }
      } else if (!table->contains("cacert")) {
        error(table->source(), scope + " needs 'cacert' (the CA whose certificates these sources cover)");
      }
      std::vector<std::string> crl = uris(*table, "crl_uris", true);
      std::vector<std::string> ocsp = uris(*table, "ocsp_uris", false);
      if (cacert)
        out.push_back(ike::RevocationAuthority{name, std::move(*cacert), std::move(crl), std::move(ocsp)});
    }
    return out;
  }

  // http:// URIs (and file:// for CRLs): what the daemon's fetcher speaks.
  std::vector<std::string> uris(const toml::table& table, std::string_view key, bool file_allowed) {
    std::vector<std::string> out;
    const auto entries = strings_at(table, key);
    if (!entries) return out;
    for (const TextEntry& entry : *entries) {
      const bool http = entry.text.starts_with("http://") && entry.text.size() > 7;
      const bool file = file_allowed && entry.text.starts_with("file:///");
      if (!http && !file) {
        error(*entry.node, in_quotes(key) + ": " + in_quotes(entry.text) + " must be an http:// URI" +
                               (file_allowed ? " or a file:/// path" : ""));
        continue;
      }
      out.push_back(entry.text);
    }
    return out;
  }

  // own_certificate: we prove ourselves with a certificate; trust_anchors: we check the peer's.
  void pubkey_settings(const toml::table& table, const std::string& scope, ike::ConnectionSettings& c,
                       bool own_certificate = true, bool trust_anchors = true) {
    if (const auto policy = choice_at(table, "revocation", kRevocationChoices)) c.revocation = *policy;
    std::string missing;
    for (std::string_view key : {"certificate", "private_key", "ca_certificates"}) {
      const bool needed = key == "ca_certificates" ? trust_anchors : own_certificate;
      if (needed && !table.contains(key)) missing += (missing.empty() ? "" : ", ") + in_quotes(key);
    }
    if (!missing.empty()) {
      error(table.source(), scope + " uses 'auth' = \"pubkey\" and needs " + missing);
    }
    if (const auto path = string_at(table, "certificate")) {
      const toml::node& node = *table.get("certificate");
      if (const auto pem = pem_file(node, "certificate", *path)) {
        // Leaf first, then the intermediates we send along (one CERT payload each).
        std::vector<crypto::Certificate> chain = crypto::Certificate::all_from_pem(as_text(*pem));
        if (chain.empty()) {
          error(node, "'certificate': " + in_quotes(*path) + " holds no PEM certificate");
        } else if (chain.size() - 1 > crypto::kMaxIntermediates) {
          error(node, "'certificate': " + in_quotes(*path) + " holds " + std::to_string(chain.size() - 1) +
                          " intermediate certificates after the leaf; peers accept at most " +
                          std::to_string(crypto::kMaxIntermediates));
        } else {
          c.certificate = chain.front();
          c.certificate_chain.assign(chain.begin() + 1, chain.end());
        }
      }
    }
    if (const auto path = string_at(table, "private_key")) {
      const toml::node& node = *table.get("private_key");
      if (const auto pem = pem_file(node, "private_key", *path)) {
        std::optional<crypto::PrivateKey> key = crypto::PrivateKey::from_pem(as_text(*pem));
        if (!key) {
          error(node, "'private_key': " + in_quotes(*path) +
                          " holds no readable private key (unencrypted PEM expected)");
        } else {
          c.private_key = std::make_shared<const crypto::PrivateKey>(std::move(*key));
          if (c.ike_version == 1 && c.private_key->type() == crypto::KeyType::Ed25519) {
            error(node, "'private_key': " + in_quotes(*path) +
                            " is an Ed25519 key, which IKEv1 cannot use: IKEv1 defines RSA and "
                            "ECDSA signatures only (use an RSA or ECDSA key, or ike_version = 2)");
          }
          if (c.certificate &&
              c.certificate->public_key().der_spki() != c.private_key->public_key().der_spki()) {
            error(node, "'private_key': " + in_quotes(*path) +
                            " does not belong to the public key in 'certificate'");
          }
        }
      }
    }
    if (const auto entries = strings_at(table, "ca_certificates")) {
      if (entries->empty()) {
        error(*table.get("ca_certificates"), "'ca_certificates' is empty: no peer could be trusted");
      }
      for (const TextEntry& entry : *entries) {
        const auto pem = pem_file(*entry.node, "ca_certificates", entry.text);
        if (!pem) continue;
        std::vector<crypto::Certificate> bundle = crypto::Certificate::all_from_pem(as_text(*pem));
        if (bundle.empty()) {
          error(*entry.node, "'ca_certificates': " + in_quotes(entry.text) + " holds no PEM certificate");
        }
        for (crypto::Certificate& certificate : bundle) {
          c.ca_certificates.push_back(std::move(certificate));
        }
      }
    }
  }

  void identities(const toml::table& table, const std::string& scope, std::optional<ike::AuthKind> auth,
                  ike::ConnectionSettings& c) {
    const bool pubkey = auth == ike::AuthKind::PublicKey;
    if (const auto text = string_at(table, "local_id")) {
      const toml::node& node = *table.get("local_id");
      const std::optional<ike::Identity> id = ike::Identity::parse(*text);
      if (!id) {
        error(node, "'local_id': cannot read \"" + *text +
                        "\" as an identity (an address, FQDN, user@FQDN or DN such as "
                        "\"CN=gw.example.com, O=Example\")");
      } else if (id->any) {
        error(node, "'local_id' cannot be %any: the peer needs to know who we are");
      } else {
        c.local_id = *id;
        if (pubkey && c.certificate && !ike::certificate_matches_identity(*c.certificate, *id)) {
          error(node, "'local_id' \"" + *text +
                          "\" is neither the certificate's subject nor one of its "
                          "subjectAltNames, so peers would refuse it");
        }
      }
    } else if (!table.contains("local_id")) {
      if (pubkey && c.certificate) {
        // What the certificate proves: its subject (strongSwan's default as well).
        c.local_id.type = wire::ikev2::IdType::DerAsn1Dn;
        c.local_id.data = c.certificate->subject_der();
      } else if (!c.local_addrs.empty()) {
        c.local_id = ike::Identity::from_address(c.local_addrs.front());
      } else if (!pubkey) {
        error(table.source(), scope + " needs 'local_id': there is no local address to default to");
      }
    }
    if (const auto text = string_at(table, "remote_id")) {
      const std::optional<ike::Identity> id = ike::Identity::parse(*text);
      if (!id) {
        error(*table.get("remote_id"), "'remote_id': cannot read \"" + *text +
                                           "\" as an identity (an address, FQDN, user@FQDN, DN or %any)");
      } else {
        c.remote_id = *id;
      }
    } else if (!table.contains("remote_id")) {
      if (!c.remote_addrs.empty()) {
        c.remote_id = ike::Identity::from_address(c.remote_addrs.front());
      } else {
        c.remote_id = any_identity();
      }
    }
  }

  static ike::Identity any_identity() {
    if (std::optional<ike::Identity> any = ike::Identity::parse("%any")) return *any;
    ike::Identity any;
    any.any = true;
    return any;
  }

  // `defaults` is used when the key is absent. For IKEv1 connections "default" means the IKEv1
  // defaults, and proposals IKEv1 cannot carry are refused (IKE) or trimmed (ESP).
  std::vector<wire::ikev2::Proposal> proposals(const toml::table& table, std::string_view key,
                                               wire::ikev2::ProtocolId protocol, bool allow_legacy,
                                               std::vector<wire::ikev2::Proposal> defaults, int ike_version) {
    const bool ikev1 = ike_version == 1;
    std::vector<wire::ikev2::Proposal> out;
    if (!table.contains(key)) {
      for (wire::ikev2::Proposal& p : defaults) {
        if (ikev1 && protocol == wire::ikev2::ProtocolId::Esp && !keep_ikev1_esp_transforms(p)) {
          continue;
        }
        out.push_back(std::move(p));
      }
    } else {
      const auto entries = strings_at(table, key);
      if (!entries) return out;
      if (entries->empty()) {
        error(*table.get(key), in_quotes(key) + " is empty; leave it out to use the defaults");
      } else if (entries->size() > kMaxProposals) {
        error(*table.get(key),
              in_quotes(key) + " lists more than " + std::to_string(kMaxProposals) + " proposals");
        return out;
      }
      for (const TextEntry& entry : *entries) {
        if (ikev1 && protocol == wire::ikev2::ProtocolId::Ike && is_default_keyword(entry.text)) {
          for (wire::ikev2::Proposal& p : ike::default_ikev1_proposals()) out.push_back(std::move(p));
          continue;
        }
        ike::ProposalParse parsed = ike::parse_proposal(entry.text, protocol, allow_legacy);
        if (!parsed.proposal) {
          error(*entry.node, in_quotes(key) + ": " + in_quotes(entry.text) + ": " + parsed.error);
          continue;
        }
        if (ikev1 && protocol == wire::ikev2::ProtocolId::Ike && !has_ikev1_phase1_cipher(*parsed.proposal)) {
          error(*entry.node, in_quotes(key) + ": " + in_quotes(entry.text) +
                                 ": IKEv1 phase 1 needs a CBC cipher (aes128/aes192/aes256, or 3des "
                                 "with allow_legacy); it has no AEAD ciphers");
          continue;
        }
        if (ikev1 && protocol == wire::ikev2::ProtocolId::Esp &&
            !keep_ikev1_esp_transforms(*parsed.proposal)) {
          error(*entry.node, in_quotes(key) + ": " + in_quotes(entry.text) +
                                 ": chacha20poly1305 has no IKEv1 transform number; with "
                                 "ike_version = 1 use e.g. aes256gcm16 or aes128-sha256");
          continue;
        }
        out.push_back(std::move(*parsed.proposal));
      }
    }
    // Proposal numbers are 1-based and consecutive on the wire (RFC 7296 §3.3.1).
    for (std::size_t i = 0; i < out.size(); ++i) {
      out[i].number = static_cast<std::uint8_t>(i + 1);
      out[i].protocol = protocol;
    }
    return out;
  }

  // ---- [[connections.NAME.children]] ----
  void children(const toml::table& table, const std::string& scope, const std::vector<Located>& local_addrs,
                const std::vector<Located>& remote_addrs, ike::ConnectionSettings& c) {
    const toml::node* node = table.get("children");
    if (node == nullptr) return;
    if (node->is_table()) {
      error(*node, "'children' must be an array of tables: write [[connections." + c.name +
                       ".children]] with name = \"...\" for each child");
      return;
    }
    if (typed(table, "children", toml::node_type::array) == nullptr) return;
    std::map<std::string, std::uint32_t> first_line;
    for (const toml::node& element : *node->as_array()) {
      const toml::table* child_table = element.as_table();
      if (child_table == nullptr) {
        error(element,
              std::string("entries of 'children' must be tables, not ") + describe_type(element.type()));
        continue;
      }
      std::optional<ike::ChildSettings> settings = child(*child_table, scope, local_addrs, remote_addrs, c);
      if (!settings) continue;
      const toml::node& name_node = *child_table->get("name");
      const auto [it, inserted] = first_line.emplace(settings->name, name_node.source().begin.line);
      if (!inserted) {
        error(name_node, "child " + in_quotes(settings->name) + " is defined twice in " + scope +
                             " (first on line " + std::to_string(it->second) + ")");
        continue;
      }
      c.children.push_back(std::move(*settings));
    }
  }

  std::optional<ike::ChildSettings> child(const toml::table& table, const std::string& connection_scope,
                                          const std::vector<Located>& local_addrs,
                                          const std::vector<Located>& remote_addrs,
                                          const ike::ConnectionSettings& c) {
    ike::ChildSettings child;
    std::string scope = "a child of " + connection_scope;
    const std::optional<std::string> name = string_at(table, "name");
    bool named = false;
    if (!table.contains("name")) {
      error(table.source(), "every child of " + connection_scope + " needs a 'name'");
    } else if (name && !is_valid_name(*name)) {
      error(*table.get("name"),
            "child name \"" + *name + "\" must be 1 to 64 letters, digits, '-', '_' or '.'");
    } else if (name) {
      child.name = *name;
      scope = "child " + in_quotes(*name) + " of " + connection_scope;
      named = true;
    }
    check_keys(table, kChildKeys, scope);

    if (const auto mode = choice_at(table, "mode", kModeChoices)) child.mode = *mode;
    if (const auto protocol = choice_at(table, "protocol", kProtocolChoices)) child.protocol = *protocol;
    std::vector<Located> local_ts = prefixes(table, "local_ts", child.local_ts);
    std::vector<Located> remote_ts = prefixes(table, "remote_ts", child.remote_ts);
    check_families(local_ts, "local_ts", remote_ts, remote_addrs, "remote", scope);
    if (remote_ts.empty() && !c.remote_hosts.empty()) {
      // Its default, the peer's address, is not known before the name is resolved.
      error(table.source(), scope + " needs 'remote_ts': the peer is named by a host name in 'remote_addrs'");
    }
    // A client (`vips`) sends from its virtual addresses, not its outer ones: they are the local
    // side when local_ts is empty.
    std::vector<Located> local_side = local_addrs;
    if (!c.vips.empty()) {
      local_side.clear();
      for (const auto& vip : c.vips) local_side.push_back(Located{vip.family(), vip.to_string(), &table});
    }
    check_families(remote_ts, "remote_ts", local_ts, local_side, "local", scope);
    if (c.route_interface) route_based_selectors(table, scope, child, local_ts, remote_ts);
    if (c.ike_version == 1) {
      // A Quick Mode carries one client identity per side (RFC 2409 §5.5: IDci, IDcr).
      for (const auto* side : {&local_ts, &remote_ts}) {
        if (side->size() < 2) continue;
        const std::string key = side == &local_ts ? "local_ts" : "remote_ts";
        error(*(*side)[1].node, in_quotes(key) + " of " + scope +
                                    " lists more than one prefix, but an "
                                    "IKEv1 Quick Mode negotiates one subnet per side: use one child per "
                                    "subnet (or IKEv2)");
      }
    }

    if (child.protocol == ipsec::IpsecProtocol::Esp) {
      if (const toml::node* wrong = table.get("ah_proposals")) {
        error(*wrong,
              "'ah_proposals' is for 'protocol' = \"ah\"; this child uses ESP "
              "('esp_proposals')");
      }
      child.proposals = proposals(table, "esp_proposals", wire::ikev2::ProtocolId::Esp, c.allow_legacy,
                                  ike::default_esp_proposals(), c.ike_version);
    } else {
      if (const toml::node* wrong = table.get("esp_proposals")) {
        error(*wrong,
              "'esp_proposals' is for 'protocol' = \"esp\"; this child uses AH "
              "('ah_proposals')");
      }
      child.proposals = proposals(table, "ah_proposals", wire::ikev2::ProtocolId::Ah, c.allow_legacy,
                                  default_ah_proposals(), c.ike_version);
    }
    if (const auto lifetime = duration_at(table, "lifetime", /*zero_allowed=*/false)) {
      child.lifetime = *lifetime;
    }
    if (const auto bytes = count_at(table, "life_bytes")) child.life_bytes = *bytes;
    if (const auto packets = count_at(table, "life_packets")) child.life_packets = *packets;
    if (const auto window = integer_at(table, "replay_window")) {
      if (*window < 0 || *window > ipsec::kMaxReplayWindow) {
        error(*table.get("replay_window"), "'replay_window' must be between 0 (anti-replay off) and " +
                                               std::to_string(ipsec::kMaxReplayWindow) + ", not " +
                                               std::to_string(*window));
      } else {
        child.replay_window = static_cast<std::uint32_t>(*window);
      }
    }
    if (const auto per_cpu = bool_at(table, "per_cpu_sas")) child.per_cpu_sas = *per_cpu;
    if (const toml::node* clamp = table.get("mss_clamp")) {
      if (const auto* flag = clamp->as_boolean()) {
        if (flag->get()) child.mss_clamp = 0;  // derived from the inner MTU
      } else if (const auto* mss = clamp->as_integer();
                 mss != nullptr && mss->get() >= kMinMssClamp && mss->get() <= kMaxMssClamp) {
        child.mss_clamp = static_cast<std::uint16_t>(mss->get());
      } else {
        error(*clamp,
              "'mss_clamp' must be true, false or an MSS between " + std::to_string(kMinMssClamp) + " and " +
                  std::to_string(kMaxMssClamp) + ", not " +
                  (mss != nullptr ? std::to_string(mss->get()) : std::string(describe_type(clamp->type()))));
      }
    }
    if (!named) return std::nullopt;
    return child;
  }

  static std::vector<wire::ikev2::Proposal> default_ah_proposals() {
    ike::ProposalParse parsed = ike::parse_proposal("default", wire::ikev2::ProtocolId::Ah, false);
    if (!parsed.proposal) return {};
    return {std::move(*parsed.proposal)};
  }

  std::vector<Located> prefixes(const toml::table& table, std::string_view key,
                                std::vector<wire::IpPrefix>& out) {
    std::vector<Located> located;
    const auto entries = strings_at(table, key);
    if (!entries) return located;
    for (const TextEntry& entry : *entries) {
      const std::optional<wire::IpPrefix> prefix = wire::IpPrefix::parse(entry.text);
      if (!prefix) {
        error(*entry.node, in_quotes(key) + ": " + in_quotes(entry.text) +
                               " is not an address prefix such as \"198.51.100.0/24\"");
        continue;
      }
      // IpPrefix::parse clears host bits; "198.51.100.7/24" is far more often a typo for a host
      // or a network than a deliberate way to write the network.
      const std::size_t slash = entry.text.find('/');
      if (slash != std::string::npos) {
        const auto address = wire::IpAddress::parse(std::string_view(entry.text).substr(0, slash));
        if (address && *address != prefix->address) {
          error(*entry.node, in_quotes(key) + ": " + in_quotes(entry.text) +
                                 " has host bits set (the network is " + prefix->to_string() + ")");
          continue;
        }
      }
      out.push_back(*prefix);
      located.push_back(Located{prefix->address.family(), entry.text, entry.node});
    }
    return located;
  }

  // Every explicit selector on one side needs a partner of its family on the other side, where
  // the other side is its own selectors or, when it lists none, its outer addresses (the SA then
  // carries traffic of the host itself).
  void check_families(const std::vector<Located>& ours, std::string_view our_key,
                      const std::vector<Located>& their_ts, const std::vector<Located>& their_addrs,
                      std::string_view their_side, const std::string& scope) {
    const bool selectors = !their_ts.empty();
    const std::vector<Located>& theirs = selectors ? their_ts : their_addrs;
    if (theirs.empty()) return;  // the other side is "any address": nothing to compare with
    for (const Located& entry : ours) {
      const bool partner = std::any_of(theirs.begin(), theirs.end(), [&entry](const Located& other) {
        return other.family == entry.family;
      });
      if (partner) continue;
      const std::string other = selectors
                                    ? std::string(their_side) + "_ts"
                                    : std::string(their_side) + "_addrs (the " + std::string(their_side) +
                                          " side when " + std::string(their_side) + "_ts is empty)";
      error(*entry.node, in_quotes(our_key) + " " + in_quotes(entry.text) + " of " + scope + " is " +
                             family_name(entry.family) + " but " + other + " has no " +
                             family_name(entry.family) + " entry, so it could never match");
    }
  }

  // ---- route-based connections: `interface`, `interface_addrs`, `routes`, `mtu` ----
  void route_interface_settings(const toml::table& table, ike::ConnectionSettings& c) {
    const bool route_based = table.contains("interface");
    if (!route_based) {
      for (const char* key : {"interface_addrs", "routes", "mtu"}) {
        if (const toml::node* node = table.get(key))
          error(*node, in_quotes(key) + " belongs to a route-based connection: set 'interface' too");
      }
      return;
    }
    const std::optional<std::string> name = string_at(table, "interface");
    if (!name) return;
    ike::RouteInterface interface;
    if (auto problem = interface_name_problem(*name)) {
      error(*table.get("interface"), "'interface': " + *problem);
    } else {
      interface.name = *name;
      interface_nodes_.emplace_back(*name, table.get("interface"));
    }
    if (const auto entries = strings_at(table, "interface_addrs")) {
      for (const TextEntry& entry : *entries) {
        if (const auto address = parse_interface_address(entry.text))
          interface.addresses.push_back(*address);
        else
          error(*entry.node, "'interface_addrs': " + in_quotes(entry.text) +
                                 " is not an address with its prefix length such as \"169.254.21.2/30\"");
      }
    }
    prefixes(table, "routes", interface.routes);
    if (const auto mtu = integer_at(table, "mtu")) {
      if (*mtu < kMinInterfaceMtu || *mtu > kMaxInterfaceMtu)
        error(*table.get("mtu"), "'mtu' must be between " + std::to_string(kMinInterfaceMtu) + " and " +
                                     std::to_string(kMaxInterfaceMtu) + ", not " + std::to_string(*mtu));
      else
        interface.mtu = static_cast<int>(*mtu);
    }
    c.route_interface = std::move(interface);
  }

  // A route-based child carries whatever the routes send into its interface: its selectors are the
  // whole address family (0.0.0.0/0 and/or ::/0), and tunnel mode.
  void route_based_selectors(const toml::table& table, const std::string& scope,
                             const ike::ChildSettings& child, const std::vector<Located>& local_ts,
                             const std::vector<Located>& remote_ts) {
    if (child.mode != ipsec::Mode::Tunnel)
      error(*table.get("mode"),
            scope + " is route-based (its connection has 'interface'): it needs mode = \"tunnel\"");
    for (const auto* side : {&local_ts, &remote_ts}) {
      const std::string key = side == &local_ts ? "local_ts" : "remote_ts";
      if (side->empty() && !table.contains(key)) {
        error(table.source(),
              scope + " is route-based (its connection has 'interface'): it needs " + in_quotes(key) +
                  " = [\"0.0.0.0/0\"] (and/or \"::/0\"); routes, not selectors, pick its traffic");
        continue;
      }
      const std::vector<wire::IpPrefix>& parsed = side == &local_ts ? child.local_ts : child.remote_ts;
      for (std::size_t i = 0; i < parsed.size() && i < side->size(); ++i) {
        if (is_whole_family(parsed[i])) continue;
        error(*(*side)[i].node,
              in_quotes(key) + ": " + in_quotes((*side)[i].text) + " in " + scope +
                  ": a route-based child (its connection has 'interface') carries the whole "
                  "address family, \"0.0.0.0/0\" or \"::/0\"; routes into the interface "
                  "pick its traffic (use a policy-based connection, without 'interface', "
                  "for narrower selectors)");
      }
    }
  }

  // Interface names once every connection is read: unique, not the shared TUN device, and not a
  // device of the host that is not a TUN device (cygnetd could not attach to it).
  void check_interfaces(const Config& config) {
    std::stable_sort(interface_nodes_.begin(), interface_nodes_.end(), [](const auto& a, const auto& b) {
      return a.second->source().begin.line < b.second->source().begin.line;
    });
    std::map<std::string, std::uint32_t> first_line;
    for (const auto& [name, node] : interface_nodes_) {
      const auto [it, inserted] = first_line.emplace(name, node->source().begin.line);
      if (!inserted) {
        error(*node, "'interface': " + in_quotes(name) +
                         " is already the interface of another connection (line " +
                         std::to_string(it->second) + ")");
        continue;
      }
      if (name == config.daemon.tun) {
        error(*node, "'interface': " + in_quotes(name) +
                         " is the shared TUN device of policy-based connections "
                         "([daemon] tun)");
        continue;
      }
      if (existing_interface(name) == ExistingInterface::Other)
        error(*node, "'interface': " + in_quotes(name) + " exists on this host and is not a TUN device");
    }
  }

  const std::string& source_name_;
  const std::filesystem::path& base_dir_;
  std::vector<ConfigError>& errors_;
  const ike::EapUsers* eap_users_ = nullptr;  // the file's [eap_users], read before connections
  bool radius_present_ = false;               // the file has a [radius] table (remote_auth = "eap-radius")
  std::vector<std::pair<std::string, const toml::node*>> pool_references_;
  std::vector<std::pair<std::string, const toml::node*>> interface_nodes_;  // `interface` values
};

}  // namespace

bool is_valid_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

Config build_config(const toml::table& root, const std::string& source_name,
                    const std::filesystem::path& base_dir, std::vector<ConfigError>& errors) {
  Validator validator(source_name, base_dir, errors);
  return validator.build(root);
}

}  // namespace cygnet::config
