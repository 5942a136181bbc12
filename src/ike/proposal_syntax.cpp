// The strongSwan proposal syntax ("aes256gcm16-prfsha256-x25519"): parsing with Cygnet's policy,
// printing, and Cygnet's default proposals.
#include <algorithm>
#include <cctype>
#include <string>

#include "ike/transform_registry.hpp"

namespace cygnet::ike {

namespace {

using wire::ikev2::EsnId;

std::string lower_trimmed(std::string_view text) {
  std::size_t begin = 0, end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  std::string out(text.substr(begin, end - begin));
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// The PRF strongSwan derives from an integrity algorithm when a proposal names none.
std::optional<Transform> prf_for_integrity(const Transform& integrity) {
  using wire::ikev2::IntegrityId;
  using wire::ikev2::PrfId;
  auto make = [](PrfId id) { return Transform{TransformType::Prf, static_cast<std::uint16_t>(id), std::nullopt}; };
  switch (static_cast<IntegrityId>(integrity.id)) {
    case IntegrityId::HmacMd5_96: return make(PrfId::HmacMd5);
    case IntegrityId::HmacSha1_96: return make(PrfId::HmacSha1);
    case IntegrityId::AesXcbc96: return make(PrfId::AesXcbc);
    case IntegrityId::HmacSha2_256_128: return make(PrfId::HmacSha2_256);
    case IntegrityId::HmacSha2_384_192: return make(PrfId::HmacSha2_384);
    case IntegrityId::HmacSha2_512_256: return make(PrfId::HmacSha2_512);
    default: return std::nullopt;
  }
}

std::vector<Transform> of_type(const std::vector<Transform>& all, TransformType type) {
  std::vector<Transform> out;
  for (const Transform& t : all)
    if (t.type == type) out.push_back(t);
  return out;
}

void add_unique(std::vector<Transform>& list, const Transform& t) {
  if (std::find(list.begin(), list.end(), t) == list.end()) list.push_back(t);
}

ProposalParse failure(std::string error) { return ProposalParse{std::nullopt, std::move(error)}; }

// Checks the combination of types once every keyword was accepted on its own.
std::optional<std::string> combination_error(std::vector<Transform>& transforms, ProtocolId protocol,
                                             const std::string& text) {
  const auto encryption = of_type(transforms, TransformType::Encryption);
  const auto integrity = of_type(transforms, TransformType::Integrity);
  const auto prfs = of_type(transforms, TransformType::Prf);
  const auto groups = of_type(transforms, TransformType::KeyExchange);
  const std::size_t aead_count =
      static_cast<std::size_t>(std::count_if(encryption.begin(), encryption.end(), detail::is_aead_encryption));
  const bool aead = aead_count > 0;

  // RFC 5282 §8: a proposal is either all combined-mode ciphers (no integrity) or none of them.
  if (aead && aead_count != encryption.size())
    return "proposal " + quoted(text) + " mixes AEAD and non-AEAD encryption; use two proposals";
  if (aead && !integrity.empty())
    return "integrity algorithm " + quoted(transform_name(integrity.front())) + " cannot be combined with AEAD " +
           quoted(transform_name(encryption.front())) + " in " + quoted(text);

  if (protocol == ProtocolId::Ah) {
    if (integrity.empty()) return "AH proposal " + quoted(text) + " has no integrity algorithm";
    return std::nullopt;
  }
  if (encryption.empty())
    return std::string(detail::protocol_label(protocol)) + " proposal " + quoted(text) + " has no encryption algorithm";
  if (!aead && integrity.empty())
    return "proposal " + quoted(text) + " has no integrity algorithm (required with " +
           quoted(transform_name(encryption.front())) + ")";
  if (protocol != ProtocolId::Ike) return std::nullopt;

  if (prfs.empty()) {
    if (aead)
      return "AEAD proposal " + quoted(text) + " needs a PRF (e.g. prfsha256): none can be derived from an AEAD";
    // strongSwan's rule: without a PRF keyword, use the integrity algorithms' hashes.
    for (const Transform& t : integrity)
      if (auto p = prf_for_integrity(t)) add_unique(transforms, *p);
  }
  if (groups.empty()) return "IKE proposal " + quoted(text) + " has no key exchange group";
  return std::nullopt;
}

// Transforms in printing order, stable within a type.
std::vector<Transform> in_type_order(const std::vector<Transform>& transforms) {
  std::vector<Transform> out;
  out.reserve(transforms.size());
  for (TransformType type : detail::kTransformTypeOrder)
    for (const Transform& t : transforms)
      if (t.type == type) out.push_back(t);
  return out;
}

std::vector<Proposal> parse_defaults(std::initializer_list<std::string_view> texts, ProtocolId protocol) {
  std::vector<Proposal> out;
  for (std::string_view text : texts) {
    ProposalParse parsed = parse_proposal(text, protocol, false);
    // The defaults are constants of this file: a failure is a programming error caught by tests.
    if (!parsed.proposal) continue;
    parsed.proposal->number = static_cast<std::uint8_t>(out.size() + 1);
    out.push_back(*parsed.proposal);
  }
  return out;
}

}  // namespace

std::string proposal_to_string(const Proposal& p) {
  std::string out;
  for (const Transform& t : in_type_order(p.transforms)) {
    if (!out.empty()) out += '-';
    out += transform_name(t);
  }
  return out;
}

ProposalParse parse_proposal(std::string_view text, ProtocolId protocol, bool allow_legacy) {
  if (protocol != ProtocolId::Ike && protocol != ProtocolId::Esp && protocol != ProtocolId::Ah)
    return failure("proposals are for IKE, ESP or AH");
  const std::string normalized = lower_trimmed(text);
  if (normalized.empty()) return failure("empty proposal");
  if (normalized == "default") {
    std::vector<Proposal> defaults;
    if (protocol == ProtocolId::Ike) {
      defaults = default_ike_proposals();
    } else if (protocol == ProtocolId::Esp) {
      defaults = default_esp_proposals();
    } else {
      defaults = parse_defaults({"sha256-sha384-sha512"}, ProtocolId::Ah);
    }
    if (defaults.empty()) return failure("no default proposal for " + std::string(detail::protocol_label(protocol)));
    return ProposalParse{defaults.front(), ""};
  }

  std::vector<Transform> transforms;
  std::size_t start = 0;
  while (start <= normalized.size()) {
    std::size_t dash = normalized.find('-', start);
    if (dash == std::string::npos) dash = normalized.size();
    const std::string_view token = std::string_view(normalized).substr(start, dash - start);
    start = dash + 1;
    if (token.empty()) return failure("empty algorithm name in " + quoted(normalized));

    const std::optional<Transform> t = detail::transform_from_keyword(token);
    if (!t) return failure("unknown algorithm " + quoted(token));
    if (!detail::transform_type_applies(t->type, protocol))
      return failure(quoted(token) + " (" + detail::transform_type_noun(t->type) + ") does not apply to " +
                     detail::protocol_label(protocol) + " proposals");
    switch (transform_strength(*t, protocol)) {
      case AlgorithmStrength::Recommended: break;
      case AlgorithmStrength::Legacy:
        if (!allow_legacy)
          return failure(quoted(token) + " is legacy (" + detail::policy_rfc(protocol) +
                         " SHOULD NOT); it is accepted only with allow_legacy");
        break;
      case AlgorithmStrength::Forbidden:
        return failure(quoted(token) + " is forbidden (" + detail::policy_rfc(protocol) + ")");
      case AlgorithmStrength::Unsupported:
        return failure(quoted(token) + " is not supported by Cygnet for " + detail::protocol_label(protocol));
    }
    add_unique(transforms, *t);
  }

  if (auto error = combination_error(transforms, protocol, normalized)) return failure(*error);
  if (protocol != ProtocolId::Ike && of_type(transforms, TransformType::Esn).empty())
    transforms.push_back(Transform{TransformType::Esn, static_cast<std::uint16_t>(EsnId::NoEsn), std::nullopt});

  Proposal proposal;
  proposal.number = 1;
  proposal.protocol = protocol;
  proposal.transforms = in_type_order(transforms);
  return ProposalParse{std::move(proposal), ""};
}

std::vector<Proposal> default_ike_proposals() {
  return parse_defaults({"aes256gcm16-aes128gcm16-chacha20poly1305-prfsha256-prfsha384-x25519-ecp256-modp3072",
                         "aes256-aes128-sha256-sha384-prfsha256-x25519-ecp256-modp3072"},
                        ProtocolId::Ike);
}

std::vector<Proposal> default_esp_proposals() {
  return parse_defaults({"aes256gcm16-aes128gcm16-chacha20poly1305", "aes256-aes128-sha256"}, ProtocolId::Esp);
}

std::vector<Proposal> default_ikev1_proposals() {
  return parse_defaults({"aes256-sha256-modp3072", "aes128-sha256-ecp256"}, ProtocolId::Ike);
}

}  // namespace cygnet::ike
