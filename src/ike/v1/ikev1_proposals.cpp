#include "ike/v1/ikev1_proposals.hpp"

#include <algorithm>

#include "ike/transform_registry.hpp"
#include "ike/v1/ikev1_keys.hpp"

namespace cygnet::ike::v1 {

namespace ikev2 = wire::ikev2;
using isakmp::Attribute;
using isakmp::Phase1Attribute;
using isakmp::Phase2Attribute;

namespace {

template <typename E>
std::uint16_t u16(E e) {
  return static_cast<std::uint16_t>(e);
}

std::vector<Transform> of_type(const Proposal& p, TransformType type) {
  std::vector<Transform> out;
  for (const auto& t : p.transforms)
    if (t.type == type) out.push_back(t);
  return out;
}

// --- phase-1 number mappings (RFC 2409 App. A ↔ IKEv2 transform IDs) ---

struct HashMap {
  isakmp::Phase1Hash v1;
  ikev2::PrfId prf;
  ikev2::IntegrityId integrity;
  crypto::HashAlgorithm hash;
};
constexpr HashMap kHashes[] = {
    {isakmp::Phase1Hash::Sha, ikev2::PrfId::HmacSha1, ikev2::IntegrityId::HmacSha1_96,
     crypto::HashAlgorithm::Sha1},
    {isakmp::Phase1Hash::Sha2_256, ikev2::PrfId::HmacSha2_256, ikev2::IntegrityId::HmacSha2_256_128,
     crypto::HashAlgorithm::Sha256},
    {isakmp::Phase1Hash::Sha2_384, ikev2::PrfId::HmacSha2_384, ikev2::IntegrityId::HmacSha2_384_192,
     crypto::HashAlgorithm::Sha384},
    {isakmp::Phase1Hash::Sha2_512, ikev2::PrfId::HmacSha2_512, ikev2::IntegrityId::HmacSha2_512_256,
     crypto::HashAlgorithm::Sha512},
};
const HashMap* hash_by_prf(std::uint16_t prf) {
  for (const auto& h : kHashes)
    if (u16(h.prf) == prf) return &h;
  return nullptr;
}
const HashMap* hash_by_v1(std::uint16_t v1) {
  for (const auto& h : kHashes)
    if (u16(h.v1) == v1) return &h;
  return nullptr;
}

// Phase-2 integrity (RFC 2407 §4.5 Authentication Algorithm, AH transform IDs) ↔ IKEv2.
struct IntegrityMap {
  isakmp::Phase2AuthAlgorithm v1;
  isakmp::AhTransformId ah;
  ikev2::IntegrityId v2;
};
constexpr IntegrityMap kIntegrity[] = {
    {isakmp::Phase2AuthAlgorithm::HmacSha, isakmp::AhTransformId::Sha, ikev2::IntegrityId::HmacSha1_96},
    {isakmp::Phase2AuthAlgorithm::HmacSha2_256, isakmp::AhTransformId::Sha2_256,
     ikev2::IntegrityId::HmacSha2_256_128},
    {isakmp::Phase2AuthAlgorithm::HmacSha2_384, isakmp::AhTransformId::Sha2_384,
     ikev2::IntegrityId::HmacSha2_384_192},
    {isakmp::Phase2AuthAlgorithm::HmacSha2_512, isakmp::AhTransformId::Sha2_512,
     ikev2::IntegrityId::HmacSha2_512_256},
    {isakmp::Phase2AuthAlgorithm::AesXcbcMac, isakmp::AhTransformId::AesXcbcMac,
     ikev2::IntegrityId::AesXcbc96},
};
const IntegrityMap* integrity_by_v2(std::uint16_t id) {
  for (const auto& m : kIntegrity)
    if (u16(m.v2) == id) return &m;
  return nullptr;
}
const IntegrityMap* integrity_by_auth(std::uint16_t v1) {
  for (const auto& m : kIntegrity)
    if (u16(m.v1) == v1) return &m;
  return nullptr;
}
const IntegrityMap* integrity_by_ah(std::uint16_t ah) {
  for (const auto& m : kIntegrity)
    if (u16(m.ah) == ah) return &m;
  return nullptr;
}

// ESP transform IDs that share their number with IKEv2's ENCR IDs (RFC 2407 §4.4.4 / IANA).
bool esp_id_expressible(std::uint16_t encr) {
  switch (static_cast<ikev2::EncryptionId>(encr)) {
    case ikev2::EncryptionId::TripleDes:
    case ikev2::EncryptionId::AesCbc:
    case ikev2::EncryptionId::AesCtr:
    case ikev2::EncryptionId::AesCcm8:
    case ikev2::EncryptionId::AesCcm12:
    case ikev2::EncryptionId::AesCcm16:
    case ikev2::EncryptionId::AesGcm8:
    case ikev2::EncryptionId::AesGcm12:
    case ikev2::EncryptionId::AesGcm16:
    case ikev2::EncryptionId::Null: return true;
    default: return false;  // ChaCha20-Poly1305 has no IKEv1 ESP number
  }
}

std::optional<Seconds> life_seconds(const std::vector<Attribute>& attrs, std::uint16_t type_attr,
                                    std::uint16_t duration_attr, std::optional<std::uint64_t>* kilobytes) {
  // Life Type / Life Duration pairs (RFC 2407 §4.5): each duration applies to the type before it.
  std::optional<std::uint16_t> type;
  std::optional<Seconds> seconds;
  for (const auto& a : attrs) {
    if (a.type == type_attr) {
      type =
          a.integer() ? std::optional<std::uint16_t>(static_cast<std::uint16_t>(*a.integer())) : std::nullopt;
    } else if (a.type == duration_attr && type) {
      const auto v = a.integer();
      if (!v) continue;
      if (*type == u16(isakmp::LifeType::Seconds))
        seconds = Seconds(static_cast<std::int64_t>(std::min<std::uint64_t>(*v, 0xffffffffu)));
      else if (*type == u16(isakmp::LifeType::Kilobytes) && kilobytes)
        *kilobytes = *v;
    }
  }
  return seconds;
}

const Attribute* find_attr(const isakmp::Transform& t, std::uint16_t type) {
  return t.find(type);
}
std::optional<std::uint64_t> attr_value(const isakmp::Transform& t, std::uint16_t type) {
  const Attribute* a = find_attr(t, type);
  return a ? a->integer() : std::nullopt;
}

std::string offered_list(const std::vector<Proposal>& ps) {
  std::string s = "[";
  for (std::size_t i = 0; i < ps.size(); ++i) s += (i ? ", " : "") + proposal_to_string(ps[i]);
  return s + "]";
}

}  // namespace

// --- phase 1 ---

std::vector<Proposal> phase1_expressible(const std::vector<Proposal>& ike_proposals) {
  std::vector<Proposal> out;
  for (const auto& p : ike_proposals) {
    Proposal q;
    q.protocol = ikev2::ProtocolId::Ike;
    for (const auto& e : of_type(p, TransformType::Encryption))
      if (e.id == u16(ikev2::EncryptionId::AesCbc) || e.id == u16(ikev2::EncryptionId::TripleDes))
        q.transforms.push_back(e);
    const std::size_t encryptions = q.transforms.size();
    for (const auto& prf : of_type(p, TransformType::Prf)) {
      const HashMap* h = hash_by_prf(prf.id);
      if (!h) continue;
      q.transforms.push_back(prf);
      q.transforms.push_back(Transform{TransformType::Integrity, u16(h->integrity), std::nullopt});
    }
    const auto groups = of_type(p, TransformType::KeyExchange);
    q.transforms.insert(q.transforms.end(), groups.begin(), groups.end());
    if (encryptions == 0 || q.transforms.size() == encryptions || groups.empty()) continue;
    q.number = static_cast<std::uint8_t>(out.size() + 1);
    out.push_back(std::move(q));
  }
  return out;
}

std::vector<isakmp::Transform> phase1_transforms(const std::vector<Proposal>& ike_proposals,
                                                 isakmp::Phase1AuthMethod auth, Seconds lifetime) {
  std::vector<isakmp::Transform> out;
  for (const auto& p : phase1_expressible(ike_proposals)) {
    for (const auto& e : of_type(p, TransformType::Encryption))
      for (const auto& prf : of_type(p, TransformType::Prf))
        for (const auto& g : of_type(p, TransformType::KeyExchange)) {
          if (out.size() >= isakmp::kMaxTransforms) return out;
          isakmp::Transform t;
          t.number = static_cast<std::uint8_t>(out.size() + 1);
          t.id = isakmp::kTransformKeyIke;
          const bool aes = e.id == u16(ikev2::EncryptionId::AesCbc);
          t.attributes.push_back(Attribute::basic(
              Phase1Attribute::EncryptionAlgorithm,
              aes ? isakmp::Phase1Encryption::AesCbc : isakmp::Phase1Encryption::TripleDesCbc));
          if (aes)
            t.attributes.push_back(Attribute::basic(Phase1Attribute::KeyLength, e.key_length.value_or(128)));
          t.attributes.push_back(Attribute::basic(Phase1Attribute::HashAlgorithm, hash_by_prf(prf.id)->v1));
          t.attributes.push_back(Attribute::basic(Phase1Attribute::AuthenticationMethod, auth));
          t.attributes.push_back(Attribute::basic(Phase1Attribute::GroupDescription, g.id));
          t.attributes.push_back(Attribute::basic(Phase1Attribute::LifeType, isakmp::LifeType::Seconds));
          t.attributes.push_back(isakmp::integer_attribute(u16(Phase1Attribute::LifeDuration),
                                                           static_cast<std::uint64_t>(lifetime.count())));
          out.push_back(std::move(t));
        }
  }
  return out;
}

std::string Phase1Suite::to_string() const {
  std::string s = encryption == isakmp::Phase1Encryption::AesCbc ? "aes" + std::to_string(key_bits) : "3des";
  s += "-";
  switch (hash) {
    case crypto::HashAlgorithm::Sha1: s += "sha1"; break;
    case crypto::HashAlgorithm::Sha256: s += "sha256"; break;
    case crypto::HashAlgorithm::Sha384: s += "sha384"; break;
    case crypto::HashAlgorithm::Sha512: s += "sha512"; break;
  }
  return s + "-" + crypto::dh_group_name(group);
}

std::optional<Phase1Suite> read_phase1_transform(const isakmp::Transform& t) {
  if (t.id != isakmp::kTransformKeyIke) return std::nullopt;
  Phase1Suite s;
  const auto enc = attr_value(t, u16(Phase1Attribute::EncryptionAlgorithm));
  const auto hash = attr_value(t, u16(Phase1Attribute::HashAlgorithm));
  const auto auth = attr_value(t, u16(Phase1Attribute::AuthenticationMethod));
  const auto group = attr_value(t, u16(Phase1Attribute::GroupDescription));
  const auto key_length = attr_value(t, u16(Phase1Attribute::KeyLength));
  if (!enc || !hash || !auth || !group) return std::nullopt;
  if (find_attr(t, u16(Phase1Attribute::Prf))) return std::nullopt;  // no PRF is defined
  s.encryption = static_cast<isakmp::Phase1Encryption>(*enc);
  const auto cipher = phase1_cipher(
      s.encryption,
      key_length ? std::optional<std::uint16_t>(static_cast<std::uint16_t>(*key_length)) : std::nullopt);
  if (!cipher) return std::nullopt;
  s.cipher = *cipher;
  s.key_bits = s.encryption == isakmp::Phase1Encryption::AesCbc ? static_cast<std::uint16_t>(*key_length) : 0;
  const HashMap* h = hash_by_v1(static_cast<std::uint16_t>(*hash));
  if (!h) return std::nullopt;
  s.hash = h->hash;
  s.hash_id = h->v1;
  s.auth = static_cast<isakmp::Phase1AuthMethod>(*auth);
  const auto g = crypto::dh_group_from_id(static_cast<std::uint16_t>(*group));
  if (!g) return std::nullopt;
  s.group = *g;
  s.lifetime =
      life_seconds(t.attributes, u16(Phase1Attribute::LifeType), u16(Phase1Attribute::LifeDuration), nullptr);
  return s;
}

namespace {
Proposal suite_as_v2(const Phase1Suite& s, std::uint8_t number) {
  Proposal p;
  p.number = number;
  p.protocol = ikev2::ProtocolId::Ike;
  if (s.encryption == isakmp::Phase1Encryption::AesCbc)
    p.transforms.push_back({TransformType::Encryption, u16(ikev2::EncryptionId::AesCbc), s.key_bits});
  else
    p.transforms.push_back({TransformType::Encryption, u16(ikev2::EncryptionId::TripleDes), std::nullopt});
  const HashMap* h = hash_by_v1(u16(s.hash_id));
  p.transforms.push_back({TransformType::Prf, u16(h->prf), std::nullopt});
  p.transforms.push_back({TransformType::Integrity, u16(h->integrity), std::nullopt});
  p.transforms.push_back({TransformType::KeyExchange, u16(s.group), std::nullopt});
  return p;
}
}  // namespace

Phase1Selection select_phase1(const isakmp::SaPayload& offered, const std::vector<Proposal>& ours,
                              isakmp::Phase1AuthMethod auth, bool allow_legacy) {
  Phase1Selection out;
  if (offered.proposals.size() != 1 || offered.proposals[0].protocol != isakmp::ProtocolId::Isakmp) {
    out.explanation = "phase-1 SA must hold exactly one PROTO_ISAKMP proposal";
    return out;
  }
  std::vector<Proposal> peer;
  std::vector<std::pair<const isakmp::Transform*, Phase1Suite>> readable;
  bool wrong_auth = false;
  std::string auth_seen;
  for (const auto& t : offered.proposals[0].transforms) {
    auto s = read_phase1_transform(t);
    if (!s) continue;
    if (s->auth != auth) {
      wrong_auth = true;
      auth_seen = phase1_auth_method_name(s->auth);
      continue;
    }
    readable.emplace_back(&t, *s);
    peer.push_back(suite_as_v2(*s, static_cast<std::uint8_t>(readable.size())));
  }
  const Selection sel = select_proposal(peer, phase1_expressible(ours), allow_legacy);
  if (!sel.chosen) {
    out.explanation = peer.empty()
                          ? (wrong_auth ? std::string("peer offered authentication method ") + auth_seen +
                                              ", we use " + phase1_auth_method_name(auth)
                                        : std::string("peer offered no phase-1 transform Cygnet implements"))
                          : sel.explanation;
    return out;
  }
  const std::size_t index = sel.chosen->number - 1u;
  if (index >= readable.size()) {
    out.explanation = "internal: selection returned an unknown transform";
    return out;
  }
  out.chosen = *readable[index].first;
  out.suite = readable[index].second;
  return out;
}

std::optional<isakmp::Phase1AuthMethod> phase1_auth_method(const ConnectionSettings& conn) {
  if (conn.auth == AuthKind::Psk) return isakmp::Phase1AuthMethod::PreSharedKey;
  if (!conn.private_key) return std::nullopt;
  switch (conn.private_key->type()) {
    case crypto::KeyType::Rsa: return isakmp::Phase1AuthMethod::RsaSignatures;
    case crypto::KeyType::EcdsaP256: return isakmp::Phase1AuthMethod::EcdsaSha256P256;
    case crypto::KeyType::EcdsaP384: return isakmp::Phase1AuthMethod::EcdsaSha384P384;
    case crypto::KeyType::EcdsaP521: return isakmp::Phase1AuthMethod::EcdsaSha512P521;
    case crypto::KeyType::Ed25519: return std::nullopt;
  }
  return std::nullopt;
}

const char* phase1_auth_method_name(isakmp::Phase1AuthMethod m) {
  switch (m) {
    case isakmp::Phase1AuthMethod::PreSharedKey: return "pre-shared key";
    case isakmp::Phase1AuthMethod::DssSignatures: return "DSS signatures";
    case isakmp::Phase1AuthMethod::RsaSignatures: return "RSA signatures";
    case isakmp::Phase1AuthMethod::RsaEncryption: return "RSA encryption";
    case isakmp::Phase1AuthMethod::RevisedRsaEncryption: return "revised RSA encryption";
    case isakmp::Phase1AuthMethod::EcdsaSha256P256: return "ECDSA P-256";
    case isakmp::Phase1AuthMethod::EcdsaSha384P384: return "ECDSA P-384";
    case isakmp::Phase1AuthMethod::EcdsaSha512P521: return "ECDSA P-521";
    default: return "XAUTH or unknown";
  }
}

// --- phase 2 ---

namespace {

// Our child proposals as IKEv2 proposals restricted to what IKEv1 can say.
std::vector<Proposal> phase2_ours(const std::vector<Proposal>& ps) {
  std::vector<Proposal> out;
  for (const auto& p : ps) {
    Proposal q = p;
    std::erase_if(q.transforms, [&](const Transform& t) {
      if (t.type == TransformType::Encryption) return !esp_id_expressible(t.id);
      if (t.type == TransformType::Integrity) return t.id != 0 && !integrity_by_v2(t.id);
      return false;
    });
    if (p.protocol == ikev2::ProtocolId::Esp && of_type(q, TransformType::Encryption).empty()) continue;
    if (p.protocol == ikev2::ProtocolId::Ah && of_type(q, TransformType::Integrity).empty()) continue;
    q.number = static_cast<std::uint8_t>(out.size() + 1);
    out.push_back(std::move(q));
  }
  return out;
}

std::vector<Transform> or_none(std::vector<Transform> v, TransformType type) {
  if (v.empty()) v.push_back(Transform{type, 0, std::nullopt});
  return v;
}

struct ReadPhase2 {
  Proposal v2;
  isakmp::EncapsulationMode mode = isakmp::EncapsulationMode::Tunnel;
  std::optional<Seconds> lifetime;
  std::optional<std::uint64_t> kilobytes;
};

std::optional<ReadPhase2> read_phase2_transform(isakmp::ProtocolId protocol, const isakmp::Transform& t,
                                                std::uint8_t number) {
  ReadPhase2 r;
  r.v2.number = number;
  const auto mode = attr_value(t, u16(Phase2Attribute::EncapsulationMode));
  r.mode = mode ? static_cast<isakmp::EncapsulationMode>(*mode) : isakmp::EncapsulationMode::Tunnel;
  const auto auth = attr_value(t, u16(Phase2Attribute::AuthenticationAlgorithm));
  const auto key_length = attr_value(t, u16(Phase2Attribute::KeyLength));
  const auto group = attr_value(t, u16(Phase2Attribute::GroupDescription));
  const auto esn = attr_value(t, u16(Phase2Attribute::ExtendedSequenceNumber));
  if (protocol == isakmp::ProtocolId::Esp) {
    r.v2.protocol = ikev2::ProtocolId::Esp;
    if (!esp_id_expressible(t.id)) return std::nullopt;
    r.v2.transforms.push_back(
        {TransformType::Encryption, t.id,
         key_length ? std::optional<std::uint16_t>(static_cast<std::uint16_t>(*key_length)) : std::nullopt});
    if (auth) {
      const IntegrityMap* m = integrity_by_auth(static_cast<std::uint16_t>(*auth));
      if (!m) return std::nullopt;
      r.v2.transforms.push_back({TransformType::Integrity, u16(m->v2), std::nullopt});
    }
  } else if (protocol == isakmp::ProtocolId::Ah) {
    r.v2.protocol = ikev2::ProtocolId::Ah;
    const IntegrityMap* m = integrity_by_ah(t.id);
    if (!m || (auth && *auth != u16(m->v1))) return std::nullopt;
    r.v2.transforms.push_back({TransformType::Integrity, u16(m->v2), std::nullopt});
  } else {
    return std::nullopt;
  }
  if (group)
    r.v2.transforms.push_back({TransformType::KeyExchange, static_cast<std::uint16_t>(*group), std::nullopt});
  r.v2.transforms.push_back(
      {TransformType::Esn, static_cast<std::uint16_t>(esn && *esn == 1 ? 1 : 0), std::nullopt});
  r.lifetime = life_seconds(t.attributes, u16(Phase2Attribute::SaLifeType),
                            u16(Phase2Attribute::SaLifeDuration), &r.kilobytes);
  return r;
}

// The peer's AH/ESP SPI; nullopt unless 4 bytes and at least 256 (RFC 4303 §2.1: 0 never goes on
// the wire, 1..255 are reserved — bad-input catalog row 19).
std::optional<std::uint32_t> spi_of(const isakmp::Proposal& p) {
  if (p.spi.size() != 4) return std::nullopt;
  const std::uint32_t spi = (std::uint32_t{p.spi[0]} << 24) | (std::uint32_t{p.spi[1]} << 16) |
                            (std::uint32_t{p.spi[2]} << 8) | std::uint32_t{p.spi[3]};
  if (spi < 256) return std::nullopt;
  return spi;
}

}  // namespace

bool phase2_expressible(const std::vector<Proposal>& child_proposals) {
  return !phase2_ours(child_proposals).empty();
}

isakmp::SaPayload phase2_sa(const std::vector<Proposal>& child_proposals, const Phase2Offer& offer) {
  isakmp::SaPayload sa;
  isakmp::Proposal prop;
  prop.number = 1;
  prop.protocol =
      offer.protocol == ipsec::IpsecProtocol::Ah ? isakmp::ProtocolId::Ah : isakmp::ProtocolId::Esp;
  prop.spi = {static_cast<std::uint8_t>(offer.spi >> 24), static_cast<std::uint8_t>(offer.spi >> 16),
              static_cast<std::uint8_t>(offer.spi >> 8), static_cast<std::uint8_t>(offer.spi)};
  for (const auto& p : phase2_ours(child_proposals)) {
    const bool ah = p.protocol == ikev2::ProtocolId::Ah;
    if (ah != (offer.protocol == ipsec::IpsecProtocol::Ah)) continue;
    const auto encryptions = ah ? std::vector<Transform>{Transform{}} : of_type(p, TransformType::Encryption);
    for (const auto& e : encryptions)
      for (const auto& i : or_none(of_type(p, TransformType::Integrity), TransformType::Integrity))
        for (const auto& g : or_none(of_type(p, TransformType::KeyExchange), TransformType::KeyExchange))
          for (const auto& n : or_none(of_type(p, TransformType::Esn), TransformType::Esn)) {
            if (prop.transforms.size() >= isakmp::kMaxTransforms) break;
            if (ah && i.id == 0) continue;
            isakmp::Transform t;
            t.number = static_cast<std::uint8_t>(prop.transforms.size() + 1);
            const IntegrityMap* im = i.id ? integrity_by_v2(i.id) : nullptr;
            t.id = ah ? static_cast<std::uint8_t>(im->ah) : static_cast<std::uint8_t>(e.id);
            t.attributes.push_back(Attribute::basic(Phase2Attribute::SaLifeType, isakmp::LifeType::Seconds));
            t.attributes.push_back(isakmp::integer_attribute(
                u16(Phase2Attribute::SaLifeDuration), static_cast<std::uint64_t>(offer.lifetime.count())));
            if (offer.life_kilobytes) {
              t.attributes.push_back(
                  Attribute::basic(Phase2Attribute::SaLifeType, isakmp::LifeType::Kilobytes));
              t.attributes.push_back(
                  isakmp::integer_attribute(u16(Phase2Attribute::SaLifeDuration), offer.life_kilobytes));
            }
            if (g.id) t.attributes.push_back(Attribute::basic(Phase2Attribute::GroupDescription, g.id));
            t.attributes.push_back(Attribute::basic(Phase2Attribute::EncapsulationMode, offer.mode));
            if (im)
              t.attributes.push_back(Attribute::basic(Phase2Attribute::AuthenticationAlgorithm, im->v1));
            if (!ah && e.key_length)
              t.attributes.push_back(Attribute::basic(Phase2Attribute::KeyLength, *e.key_length));
            if (n.id == 1)
              t.attributes.push_back(Attribute::basic(Phase2Attribute::ExtendedSequenceNumber, 1));
            prop.transforms.push_back(std::move(t));
          }
  }
  sa.proposals.push_back(std::move(prop));
  return sa;
}

Phase2Selection select_phase2(const isakmp::SaPayload& offered, const std::vector<Proposal>& ours,
                              bool allow_legacy) {
  Phase2Selection out;
  std::vector<Proposal> peer;
  std::vector<std::pair<const isakmp::Proposal*, const isakmp::Transform*>> origin;
  std::vector<ReadPhase2> reads;
  for (const auto& p : offered.proposals) {
    const auto same_number = std::count_if(offered.proposals.begin(), offered.proposals.end(),
                                           [&](const isakmp::Proposal& q) { return q.number == p.number; });
    if (same_number != 1 || !spi_of(p)) continue;  // a protocol bundle, or no usable SPI
    for (const auto& t : p.transforms) {
      if (peer.size() >= 255) break;
      auto r = read_phase2_transform(p.protocol, t, static_cast<std::uint8_t>(peer.size() + 1));
      if (!r) continue;
      peer.push_back(r->v2);
      origin.emplace_back(&p, &t);
      reads.push_back(std::move(*r));
    }
  }
  const auto mine = phase2_ours(ours);
  const Selection sel = select_proposal(peer, mine, allow_legacy);
  if (!sel.chosen) {
    out.explanation = peer.empty() ? "peer offered no Quick Mode transform Cygnet implements (we accept " +
                                         offered_list(mine) + ")"
                                   : sel.explanation;
    return out;
  }
  const std::size_t index = sel.chosen->number - 1u;
  const auto algorithms = child_algorithms(*sel.chosen);
  if (index >= reads.size() || !algorithms) {
    out.explanation = "internal: selection returned an unusable transform";
    return out;
  }
  Phase2Choice c;
  c.proposal = *origin[index].first;
  c.proposal.transforms = {*origin[index].second};
  c.peer_spi = *spi_of(c.proposal);
  c.algorithms = *algorithms;
  c.mode = reads[index].mode;
  c.lifetime = reads[index].lifetime;
  c.kilobytes = reads[index].kilobytes;
  out.chosen = std::move(c);
  return out;
}

std::optional<Phase2Choice> read_phase2_answer(const isakmp::SaPayload& answer,
                                               const isakmp::SaPayload& offered) {
  if (answer.proposals.size() != 1 || answer.proposals[0].transforms.size() != 1 || offered.proposals.empty())
    return std::nullopt;
  const isakmp::Proposal& p = answer.proposals[0];
  const isakmp::Proposal& ours = offered.proposals[0];
  if (p.protocol != ours.protocol || !spi_of(p)) return std::nullopt;
  const isakmp::Transform& t = p.transforms[0];
  // The answer must be one of our transforms: same ID and algorithm attributes (lifetimes may
  // differ: the responder may have lowered them).
  const auto r = read_phase2_transform(p.protocol, t, 1);
  if (!r) return std::nullopt;
  bool found = false;
  for (const auto& o : ours.transforms) {
    const auto ro = read_phase2_transform(ours.protocol, o, 1);
    if (ro && o.id == t.id && ro->v2 == r->v2 && ro->mode == r->mode) found = true;
  }
  if (!found) return std::nullopt;
  const auto algorithms = child_algorithms(r->v2);
  if (!algorithms) return std::nullopt;
  Phase2Choice c;
  c.proposal = p;
  c.peer_spi = *spi_of(p);
  c.algorithms = *algorithms;
  c.mode = r->mode;
  c.lifetime = r->lifetime;
  c.kilobytes = r->kilobytes;
  return c;
}

isakmp::EncapsulationMode encapsulation_mode(ipsec::Mode mode, bool udp) {
  if (mode == ipsec::Mode::Transport)
    return udp ? isakmp::EncapsulationMode::UdpEncapsulatedTransport : isakmp::EncapsulationMode::Transport;
  return udp ? isakmp::EncapsulationMode::UdpEncapsulatedTunnel : isakmp::EncapsulationMode::Tunnel;
}

bool is_udp_encapsulated(isakmp::EncapsulationMode m) {
  return m == isakmp::EncapsulationMode::UdpEncapsulatedTunnel ||
         m == isakmp::EncapsulationMode::UdpEncapsulatedTransport ||
         m == isakmp::EncapsulationMode::UdpEncapsulatedTunnelDraft ||
         m == isakmp::EncapsulationMode::UdpEncapsulatedTransportDraft;
}

bool is_transport(isakmp::EncapsulationMode m) {
  return m == isakmp::EncapsulationMode::Transport ||
         m == isakmp::EncapsulationMode::UdpEncapsulatedTransport ||
         m == isakmp::EncapsulationMode::UdpEncapsulatedTransportDraft;
}

// --- identities ---

namespace {
// The prefix length when [start, end] is exactly one prefix, else nullopt.
std::optional<std::size_t> prefix_length(const wire::IpAddress& start, const wire::IpAddress& end) {
  const ByteView s = start.bytes(), e = end.bytes();
  std::size_t bits = 0;
  std::size_t i = 0;
  for (; i < s.size() && s[i] == e[i]; ++i) bits += 8;
  if (i == s.size()) return bits;
  const std::uint8_t diff = s[i] ^ e[i];
  int common = 0;
  while (common < 8 && !(diff & (0x80 >> common))) ++common;
  const std::uint8_t host_mask = static_cast<std::uint8_t>(0xff >> common);
  if ((s[i] & host_mask) != 0 || (e[i] & host_mask) != host_mask) return std::nullopt;
  for (std::size_t j = i + 1; j < s.size(); ++j)
    if (s[j] != 0 || e[j] != 0xff) return std::nullopt;
  return bits + static_cast<std::size_t>(common);
}
}  // namespace

isakmp::IdPayload id_from_selector(const ikev2::TrafficSelector& ts) {
  isakmp::IdPayload id;
  const bool v4 = ts.start.is_v4();
  id.protocol = ts.ip_protocol;
  id.port = ts.start_port == ts.end_port ? ts.start_port : 0;
  const ByteView s = ts.start.bytes(), e = ts.end.bytes();
  const auto len = prefix_length(ts.start, ts.end);
  if (ts.start == ts.end) {
    id.type = v4 ? isakmp::IdType::Ipv4Address : isakmp::IdType::Ipv6Address;
    id.data.assign(s.begin(), s.end());
  } else if (len) {
    id.type = v4 ? isakmp::IdType::Ipv4AddressSubnet : isakmp::IdType::Ipv6AddressSubnet;
    id.data.assign(s.begin(), s.end());
    for (std::size_t i = 0; i < s.size(); ++i) {
      const std::size_t bits = std::min<std::size_t>(8, *len > i * 8 ? *len - i * 8 : 0);
      id.data.push_back(static_cast<std::uint8_t>(0xff00 >> bits));
    }
  } else {
    id.type = v4 ? isakmp::IdType::Ipv4AddressRange : isakmp::IdType::Ipv6AddressRange;
    id.data.assign(s.begin(), s.end());
    id.data.insert(id.data.end(), e.begin(), e.end());
  }
  return id;
}

std::optional<ikev2::TrafficSelector> selector_from_id(const isakmp::IdPayload& id) {
  ikev2::TrafficSelector ts;
  ts.ip_protocol = id.protocol;
  if (id.port != 0) ts.start_port = ts.end_port = id.port;
  const auto address = [&](std::size_t offset, bool v4) {
    return v4 ? wire::IpAddress::v4(ByteView(id.data).subspan(offset, 4))
              : wire::IpAddress::v6(ByteView(id.data).subspan(offset, 16));
  };
  switch (id.type) {
    case isakmp::IdType::Ipv4Address:
    case isakmp::IdType::Ipv6Address: {
      const bool v4 = id.type == isakmp::IdType::Ipv4Address;
      if (id.data.size() != (v4 ? 4u : 16u)) return std::nullopt;
      ts.type = v4 ? ikev2::TsType::Ipv4AddrRange : ikev2::TsType::Ipv6AddrRange;
      ts.start = ts.end = address(0, v4);
      return ts;
    }
    case isakmp::IdType::Ipv4AddressSubnet:
    case isakmp::IdType::Ipv6AddressSubnet: {
      const bool v4 = id.type == isakmp::IdType::Ipv4AddressSubnet;
      const std::size_t n = v4 ? 4 : 16;
      if (id.data.size() != 2 * n) return std::nullopt;
      Bytes start(n), end(n);
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint8_t mask = id.data[n + i];
        start[i] = id.data[i] & mask;
        end[i] = static_cast<std::uint8_t>(start[i] | static_cast<std::uint8_t>(~mask));
      }
      ts.type = v4 ? ikev2::TsType::Ipv4AddrRange : ikev2::TsType::Ipv6AddrRange;
      ts.start = v4 ? wire::IpAddress::v4(start) : wire::IpAddress::v6(start);
      ts.end = v4 ? wire::IpAddress::v4(end) : wire::IpAddress::v6(end);
      return ts;
    }
    case isakmp::IdType::Ipv4AddressRange:
    case isakmp::IdType::Ipv6AddressRange: {
      const bool v4 = id.type == isakmp::IdType::Ipv4AddressRange;
      const std::size_t n = v4 ? 4 : 16;
      if (id.data.size() != 2 * n) return std::nullopt;
      ts.type = v4 ? ikev2::TsType::Ipv4AddrRange : ikev2::TsType::Ipv6AddrRange;
      ts.start = address(0, v4);
      ts.end = address(n, v4);
      if (ts.end < ts.start) return std::nullopt;
      return ts;
    }
    default: return std::nullopt;
  }
}

isakmp::IdPayload id_payload(const Identity& id) {
  isakmp::IdPayload p;
  p.type = static_cast<isakmp::IdType>(static_cast<std::uint8_t>(id.type));
  p.data = id.data;
  return p;
}

std::optional<Identity> identity_from_payload(const isakmp::IdPayload& id) {
  switch (id.type) {
    case isakmp::IdType::Ipv4Address:
    case isakmp::IdType::Fqdn:
    case isakmp::IdType::UserFqdn:
    case isakmp::IdType::Ipv6Address:
    case isakmp::IdType::DerAsn1Dn:
    case isakmp::IdType::KeyId: {
      ikev2::IdPayload v2;
      v2.type = static_cast<ikev2::IdType>(static_cast<std::uint8_t>(id.type));
      v2.data = id.data;
      return Identity::from_payload(v2);
    }
    default: return std::nullopt;
  }
}

}  // namespace cygnet::ike::v1
