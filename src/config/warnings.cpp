#include "config/warnings.hpp"

#include <algorithm>

#include "config/client_certificate_warnings.hpp"
#include "config/duration.hpp"
#include "config/shunt_config.hpp"
#include "ike/algorithms.hpp"

namespace cygnet::config {
namespace {

using wire::ikev2::Proposal;
using wire::ikev2::TransformType;

std::string legacy_transforms(const Proposal& proposal) {
  std::string names;
  for (const wire::ikev2::Transform& transform : proposal.transforms) {
    if (ike::transform_strength(transform, proposal.protocol) != ike::AlgorithmStrength::Legacy) {
      continue;
    }
    names += (names.empty() ? "" : ", ") + ike::transform_name(transform);
  }
  return names;
}

bool has_key_exchange(const Proposal& proposal) {
  return std::any_of(
      proposal.transforms.begin(), proposal.transforms.end(),
      [](const wire::ikev2::Transform& t) { return t.type == TransformType::KeyExchange && t.id != 0; });
}

class Findings {
 public:
  void warning(const std::string& where, const std::string& text) {
    lines_.push_back("warning: " + where + ": " + text);
  }
  void note(const std::string& where, const std::string& text) {
    lines_.push_back("note: " + where + ": " + text);
  }
  std::vector<std::string> take() { return std::move(lines_); }

 private:
  std::vector<std::string> lines_;
};

void legacy_proposals(Findings& findings, const std::string& where, std::string_view kind,
                      const std::vector<Proposal>& proposals) {
  for (const Proposal& proposal : proposals) {
    const std::string legacy = legacy_transforms(proposal);
    if (legacy.empty()) continue;
    findings.warning(where, std::string(kind) + " proposal '" + ike::proposal_to_string(proposal) +
                                "' uses legacy algorithms (RFC 8247/8221 SHOULD NOT): " + legacy);
  }
}

void certificate_strength(Findings& findings, const std::string& where, std::string_view what,
                          const crypto::Certificate& certificate) {
  const crypto::PublicKey key = certificate.public_key();
  if (key.type() == crypto::KeyType::Rsa && key.bits() < 2048) {
    findings.warning(where, std::string(what) + " '" + certificate.subject_string() + "' has a " +
                                std::to_string(key.bits()) +
                                "-bit RSA key; use at least 2048 bits (RFC 8247 §3.2)");
  }
}

void connection_findings(Findings& findings, const ike::ConnectionSettings& c) {
  const std::string where = "connection '" + c.name + "'";
  if (c.ike_version == 1) {
    findings.warning(where,
                     "uses IKEv1, which RFC 9395 deprecates; IKEv2 (ike_version = 2) is "
                     "simpler, better analysed and preferred");
  }
  if (c.auth == ike::AuthKind::Psk) {
    if (c.aggressive) {
      findings.warning(where,
                       "IKEv1 aggressive mode with a PSK sends a hash of the PSK in the "
                       "clear: anyone who captures it can run an offline dictionary "
                       "attack; use main mode (aggressive = false), IKEv2 or certificates");
    }
    if (c.psk.size() < kShortPskLength) {
      findings.warning(where, "the PSK has only " + std::to_string(c.psk.size()) +
                                  " characters; use at least " + std::to_string(kShortPskLength) +
                                  " random characters (32 or more is better) or certificates");
    }
    if (c.remote_id.any) {
      findings.warning(where,
                       "remote_id is %any with a PSK: every peer that knows the secret is "
                       "accepted under whatever identity it claims");
    }
  } else {
    if (c.certificate) certificate_strength(findings, where, "certificate", *c.certificate);
    for (const crypto::Certificate& ca : c.ca_certificates) {
      certificate_strength(findings, where, "CA certificate", ca);
      if (!ca.is_ca()) {
        findings.warning(where, "'" + ca.subject_string() +
                                    "' in ca_certificates is not a CA certificate (basic "
                                    "constraints CA:FALSE); chains through it will not validate");
      } else if (!ca.is_self_signed()) {
        findings.warning(where, "'" + ca.subject_string() +
                                    "' in ca_certificates is an intermediate CA (issued by '" +
                                    ca.issuer_string() +
                                    "'): only self-signed root CAs are trust anchors, so add its root "
                                    "as well; it still serves as a link in the peer's chain");
      }
    }
    for (const crypto::Certificate& link : c.certificate_chain) {
      if (!link.is_ca())
        findings.warning(where, "'" + link.subject_string() +
                                    "' after the leaf in 'certificate' is not a CA certificate: peers will "
                                    "refuse a chain through it");
    }
  }
  if (c.allow_legacy) {
    findings.warning(where,
                     "allow_legacy = true lets peers negotiate RFC 8247/8221 SHOULD NOT "
                     "algorithms (3DES, SHA-1, MODP-1024)");
  }
  legacy_proposals(findings, where, "IKE", c.ike_proposals);
  if (c.dpd_delay.count() == 0) {
    findings.warning(where,
                     "dpd_delay = 0 turns dead peer detection off: a vanished peer is only "
                     "noticed when the SAs expire");
  }
  if (c.ike_lifetime > kLongLifetime) {
    findings.warning(where, "ike_lifetime = " + format_duration(c.ike_lifetime) +
                                " is very long (more than " + format_duration(kLongLifetime) +
                                "); the IKE SA keys stay in use that long");
  }

  for (const ike::ChildSettings& child : c.children) {
    const std::string child_where = "child '" + child.name + "' of " + where;
    const bool ah = child.protocol == ipsec::IpsecProtocol::Ah;
    legacy_proposals(findings, child_where, ah ? "AH" : "ESP", child.proposals);
    if (!child.proposals.empty() &&
        std::none_of(child.proposals.begin(), child.proposals.end(), has_key_exchange)) {
      // IKEv1: the group in the proposal is Quick Mode's PFS group (KE payload in every QM).
      const std::string keys_from = c.ike_version == 1
                                        ? " have no key exchange group, so Quick Mode derives the "
                                          "CHILD SAs' keys from the ISAKMP SA"
                                        : " have no key exchange group, so rekeyed CHILD SAs derive "
                                          "their keys from the IKE SA";
      findings.note(child_where, std::string(ah ? "ah_proposals" : "esp_proposals") + keys_from +
                                     " (no perfect forward secrecy); add one, e.g. "
                                     "\"aes256gcm16-x25519\"");
    }
    if (ah) {
      findings.note(child_where, "AH authenticates the traffic but does not encrypt it");
    }
    if (child.replay_window == 0) {
      findings.warning(child_where, "replay_window = 0 turns anti-replay protection off");
    }
    if (child.lifetime > kLongLifetime) {
      findings.warning(child_where, "lifetime = " + format_duration(child.lifetime) +
                                        " is very long (more than " + format_duration(kLongLifetime) +
                                        "); the same keys protect the traffic that long");
    }
  }
}

}  // namespace

std::vector<std::string> weak_choices(const Config& config) {
  Findings findings;
  if (config.daemon.allow_key_export) {
    findings.warning("[daemon]",
                     "allow_key_export = true lets root export the SAs' keys (cygnetctl export-keys); "
                     "turn it off when not debugging");
  }
  for (const ike::ConnectionSettings& connection : config.connections) {
    connection_findings(findings, connection);
  }
  std::vector<std::string> lines = findings.take();
  for (std::string& overlap : shunt_overlap_warnings(config)) lines.push_back(std::move(overlap));
  for (std::string& finding : client_certificate_warnings(config)) lines.push_back(std::move(finding));
  return lines;
}

}  // namespace cygnet::config
