// Phase 1 (RFC 2409 §5): Main Mode
//   I→R  SA, VID                         R→I  SA, VID
//   I→R  KE, Ni, [CR], NAT-D, NAT-D      R→I  KE, Nr, [CR], NAT-D, NAT-D
//   I→R  *IDii, [CERT], HASH_I|SIG_I     R→I  *IDir, [CERT], HASH_R|SIG_R
// and Aggressive Mode
//   I→R  SA, KE, Ni, IDii, [CR], VID
//   R→I  SA, KE, Nr, IDir, [CERT], HASH_R|SIG_R, [CR], VID, NAT-D, NAT-D
//   I→R  *[CERT], HASH_I|SIG_I, NAT-D, NAT-D
// (* = encrypted with the phase-1 key; NAT-D per RFC 3947 when both sent its vendor ID). When a
// NAT is detected the initiator moves to port 4500 for the rest (RFC 3947 §4).
#include <algorithm>

#include "crypto/digest.hpp"
#include "crypto/x509.hpp"
#include "ike/identity.hpp"
#include "ike/key_exchange_factory.hpp"
#include "ike/peer_certificate.hpp"
#include "ike/v1/ikev1_engine.hpp"

namespace cygnet::ike::v1 {

namespace {

// RFC 3947 §3.1: MD5("RFC 3947"); RFC 3706 §4: the DPD vendor ID (version 1.0).
constexpr std::uint8_t kNatTVendorId[] = {0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45,
                                          0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f};
constexpr std::uint8_t kDpdVendorId[] = {0xaf, 0xca, 0xd7, 0x13, 0x68, 0xa1, 0xf1, 0xc9,
                                         0x6b, 0x86, 0x96, 0xfc, 0x77, 0x57, 0x01, 0x00};

Bytes payload_body(const isakmp::Payload& p) {
  const auto chain = isakmp::encode_payload_chain({p});
  return Bytes(chain.bytes.begin() + isakmp::kGenericPayloadHeaderLength, chain.bytes.end());
}

// The body of the first payload of `wanted` type in a cleartext message, exactly as received.
std::optional<Bytes> raw_payload_body(ByteView message, isakmp::PayloadType wanted) {
  if (message.size() < isakmp::kHeaderLength) return std::nullopt;
  auto type = static_cast<isakmp::PayloadType>(message[16]);
  std::size_t offset = isakmp::kHeaderLength;
  while (type != isakmp::PayloadType::None && offset + 4 <= message.size()) {
    const std::size_t length = (std::size_t{message[offset + 2]} << 8) | message[offset + 3];
    if (length < 4 || offset + length > message.size()) return std::nullopt;
    if (type == wanted) return Bytes(message.begin() + offset + 4, message.begin() + offset + length);
    type = static_cast<isakmp::PayloadType>(message[offset]);
    offset += length;
  }
  return std::nullopt;
}

Bytes endpoint_bytes(const Endpoint& e) {
  Bytes b(e.address.bytes().begin(), e.address.bytes().end());
  b.push_back(static_cast<std::uint8_t>(e.port >> 8));
  b.push_back(static_cast<std::uint8_t>(e.port));
  return b;
}

Bytes cookie_bytes(std::uint64_t c) {
  Bytes b(8);
  for (int i = 7; i >= 0; --i, c >>= 8) b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(c);
  return b;
}

// RFC 3947 §3.2: HASH = hash(CKY-I | CKY-R | IP | Port) with the negotiated phase-1 hash.
Bytes nat_d_hash(crypto::HashAlgorithm hash, std::uint64_t cky_i, std::uint64_t cky_r, const Endpoint& e) {
  return crypto::digest(hash, {cookie_bytes(cky_i), cookie_bytes(cky_r), endpoint_bytes(e)});
}

crypto::WallClock wall_time(const EngineOptions& o, TimePoint now) {
  return *o.wall_origin + std::chrono::duration_cast<crypto::WallClock::duration>(now - o.steady_origin);
}

// IKEv1 signs HASH_I/HASH_R itself: RSA with PKCS#1 v1.5 padding and no DigestInfo, ECDSA over
// the HASH as the digest, r || s (what strongSwan does: SIGN_RSA_EMSA_PKCS1_NULL and
// SIGN_ECDSA_WITH_NULL). The hash argument below is then unused.
crypto::HashAlgorithm ecdsa_hash(isakmp::Phase1AuthMethod m) {
  switch (m) {
    case isakmp::Phase1AuthMethod::EcdsaSha384P384: return crypto::HashAlgorithm::Sha384;
    case isakmp::Phase1AuthMethod::EcdsaSha512P521: return crypto::HashAlgorithm::Sha512;
    default: return crypto::HashAlgorithm::Sha256;
  }
}

template <typename T>
std::vector<const T*> all_of(const std::vector<isakmp::Payload>& in) {
  std::vector<const T*> out;
  for (const auto& p : in)
    if (const T* t = std::get_if<T>(&p)) out.push_back(t);
  return out;
}

// Whether the responder's single transform is one we offered (same algorithms and method).
bool answer_offered(const isakmp::SaPayload& answer, const std::vector<isakmp::Transform>& ours,
                    std::optional<Phase1Suite>& suite) {
  if (answer.proposals.size() != 1 || answer.proposals[0].transforms.size() != 1) return false;
  const auto got = read_phase1_transform(answer.proposals[0].transforms[0]);
  if (!got) return false;
  for (const auto& t : ours) {
    const auto o = read_phase1_transform(t);
    if (o && o->cipher == got->cipher && o->hash == got->hash && o->group == got->group &&
        o->auth == got->auth) {
      suite = got;
      return true;
    }
  }
  return false;
}

}  // namespace

std::vector<isakmp::Payload> Ikev1Engine::vendor_ids() const {
  return {isakmp::VendorIdPayload{Bytes(std::begin(kNatTVendorId), std::end(kNatTVendorId))},
          isakmp::VendorIdPayload{Bytes(std::begin(kDpdVendorId), std::end(kDpdVendorId))}};
}

std::vector<isakmp::Payload> Ikev1Engine::vendor_ids_answering(const IsakmpSa& s) const {
  // Only what the initiator announced: the answer to a (possibly spoofed) first message stays no
  // larger than that message (bad-input catalog row 12).
  std::vector<isakmp::Payload> out;
  if (s.peer_nat_t)
    out.emplace_back(isakmp::VendorIdPayload{Bytes(std::begin(kNatTVendorId), std::end(kNatTVendorId))});
  if (s.peer_dpd)
    out.emplace_back(isakmp::VendorIdPayload{Bytes(std::begin(kDpdVendorId), std::end(kDpdVendorId))});
  return out;
}

void Ikev1Engine::read_vendor_ids(IsakmpSa& s, const std::vector<isakmp::Payload>& in) {
  for (const auto* v : all_of<isakmp::VendorIdPayload>(in)) {
    if (std::equal(v->data.begin(), v->data.end(), std::begin(kNatTVendorId), std::end(kNatTVendorId)))
      s.peer_nat_t = true;
    // The DPD vendor ID's last two bytes are its version; any 1.x is understood.
    if (v->data.size() == sizeof kDpdVendorId &&
        std::equal(v->data.begin(), v->data.begin() + 14, kDpdVendorId))
      s.peer_dpd = true;
  }
}

std::vector<isakmp::Payload> Ikev1Engine::nat_d_payloads(const IsakmpSa& s) const {
  if (!s.peer_nat_t || !s.suite) return {};
  const ConnectionSettings* conn = connection(s.connection);
  const bool force = conn && conn->encapsulation == Encapsulation::ForceUdp;
  std::vector<isakmp::Payload> out;
  out.emplace_back(isakmp::NatDPayload{nat_d_hash(s.suite->hash, s.cky_i, s.cky_r, s.remote), false});
  // strongSwan's encap = yes trick: a local hash that cannot match makes both ends encapsulate.
  Bytes local = nat_d_hash(s.suite->hash, s.cky_i, s.cky_r, s.local);
  if (force) local = random_bytes(local.size());
  out.emplace_back(isakmp::NatDPayload{std::move(local), false});
  return out;
}

void Ikev1Engine::check_nat_d(IsakmpSa& s, const std::vector<isakmp::Payload>& in) {
  const auto hashes = all_of<isakmp::NatDPayload>(in);
  if (hashes.size() < 2 || !s.suite) return;
  // The first names the address the peer sent to (us, as it sees us); the rest its own addresses.
  s.nat_local = hashes[0]->hash != nat_d_hash(s.suite->hash, s.cky_i, s.cky_r, s.local);
  const Bytes theirs = nat_d_hash(s.suite->hash, s.cky_i, s.cky_r, s.remote);
  bool seen = false;
  for (std::size_t i = 1; i < hashes.size(); ++i)
    if (hashes[i]->hash == theirs) seen = true;
  s.nat_remote = !seen;
}

bool Ikev1Engine::derive_keys(IsakmpSa& s, ByteView peer_public) {
  const ConnectionSettings* conn = connection(s.connection);
  if (!conn || !s.ke || !s.suite) return false;
  auto shared = s.ke->compute_shared_secret(peer_public);
  if (!shared) return false;
  Bytes peer(peer_public.begin(), peer_public.end());
  (s.initiator ? s.gxr : s.gxi) = std::move(peer);
  (s.initiator ? s.gxi : s.gxr) = s.ke->public_value();
  const crypto::HashAlgorithm prf = s.suite->hash;
  crypto::SecureBytes skeyid = s.suite->auth == isakmp::Phase1AuthMethod::PreSharedKey
                                   ? skeyid_pre_shared_key(prf, conn->psk.view(), s.nonce_i, s.nonce_r)
                                   : skeyid_signature(prf, s.nonce_i, s.nonce_r, shared->view());
  Phase1Keys keys =
      derive_phase1_keys(prf, s.suite->cipher, std::move(skeyid), shared->view(), s.cky_i, s.cky_r);
  s.protection.emplace(s.suite->cipher, keys.encryption_key.view());
  if (shared_.options.retain_keys_for_export) {
    s.exported_encryption_key = keys.encryption_key;
    s.exported_skeyid_a = keys.skeyid_a;
  }
  s.iv = phase1_iv(prf, s.gxi, s.gxr, crypto::cbc_block_size(s.suite->cipher));
  s.skeyid = std::move(keys.skeyid);
  s.skeyid_d = std::move(keys.skeyid_d);
  s.skeyid_a = std::move(keys.skeyid_a);
  s.ke.reset();  // the private value is no longer needed
  return true;
}

std::optional<std::vector<isakmp::Payload>> Ikev1Engine::auth_payloads(IsakmpSa& s, bool with_id) {
  const ConnectionSettings* conn = connection(s.connection);
  if (!conn || !s.suite) return std::nullopt;
  if (s.local_id.data.empty())
    s.local_id = conn->local_id.data.empty() ? Identity::from_address(s.local.address) : conn->local_id;
  const isakmp::Payload id = id_payload(s.local_id);
  const Bytes id_b = payload_body(id);
  const Bytes hash =
      s.initiator ? hash_i(s.suite->hash, s.skeyid.view(), s.gxi, s.gxr, s.cky_i, s.cky_r, s.sai_b, id_b)
                  : hash_r(s.suite->hash, s.skeyid.view(), s.gxi, s.gxr, s.cky_i, s.cky_r, s.sai_b, id_b);
  std::vector<isakmp::Payload> out;
  if (with_id) out.push_back(id);
  if (s.suite->auth == isakmp::Phase1AuthMethod::PreSharedKey) {
    out.emplace_back(isakmp::HashPayload{hash});
    return out;
  }
  if (!conn->private_key) return std::nullopt;
  // Our chain, leaf first; the intermediates as the peer's CERT_REQUEST payloads ask.
  for (const crypto::Certificate& cert : certificates_to_send_by_name(*conn, s.peer_requested_ca_names))
    out.emplace_back(isakmp::CertPayload{isakmp::CertEncoding::X509Signature, cert.der()});
  try {
    const bool rsa = s.suite->auth == isakmp::Phase1AuthMethod::RsaSignatures;
    out.emplace_back(isakmp::SignaturePayload{conn->private_key->sign(
        rsa ? crypto::SignatureScheme::RsaPkcs1Raw : crypto::SignatureScheme::EcdsaConcatenatedPrehashed,
        ecdsa_hash(s.suite->auth), hash)});
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return out;
}

void Ikev1Engine::note_certificate_requests(IsakmpSa& s, const std::vector<isakmp::Payload>& in) {
  constexpr std::size_t kMaxRequestedCas = 64;  // a bound on what a peer can make us keep
  for (const auto* request : all_of<isakmp::CertRequestPayload>(in))
    if (request->type == isakmp::CertEncoding::X509Signature &&
        s.peer_requested_ca_names.size() < kMaxRequestedCas)
      s.peer_requested_ca_names.push_back(request->authority);
}

std::optional<std::string> Ikev1Engine::verify_peer_auth(IsakmpSa& s, const std::vector<isakmp::Payload>& in,
                                                         const isakmp::IdPayload& peer_id) {
  const ConnectionSettings* conn = connection(s.connection);
  if (!conn || !s.suite) return std::string("connection gone");
  const auto identity = identity_from_payload(peer_id);
  if (!identity)
    return "peer sent an identity of type " + std::string(isakmp::id_type_name(peer_id.type)) +
           " that Cygnet does not use for phase 1";
  if (!conn->remote_id.matches(*identity))
    return "peer ID " + identity->to_string() + " does not match remote_id " + conn->remote_id.to_string();
  const Bytes id_b = payload_body(isakmp::Payload(peer_id));
  const Bytes expected =
      s.initiator ? hash_r(s.suite->hash, s.skeyid.view(), s.gxi, s.gxr, s.cky_i, s.cky_r, s.sai_b, id_b)
                  : hash_i(s.suite->hash, s.skeyid.view(), s.gxi, s.gxr, s.cky_i, s.cky_r, s.sai_b, id_b);
  if (s.suite->auth == isakmp::Phase1AuthMethod::PreSharedKey) {
    const auto* h = isakmp::find_payload<isakmp::HashPayload>(in);
    if (!h) return std::string("no HASH payload");
    if (!hash_matches(h->data, expected)) return std::string("PSK mismatch (HASH does not verify)");
    s.remote_id = *identity;
    return std::nullopt;
  }
  const auto* sig = isakmp::find_payload<isakmp::SignaturePayload>(in);
  if (!sig) return std::string("no SIG payload");
  std::vector<ByteView> ders;
  for (const auto* c : all_of<isakmp::CertPayload>(in))
    if (c->encoding == isakmp::CertEncoding::X509Signature) ders.emplace_back(c->data);
  auto checked = check_peer_certificates(*conn, ders, *identity, wall_time(shared_.options, s.last_received));
  if (auto* why = std::get_if<std::string>(&checked)) return std::move(*why);
  const crypto::PublicKey* key = &std::get<AcceptedPeerCertificate>(checked).key;
  const bool rsa = s.suite->auth == isakmp::Phase1AuthMethod::RsaSignatures;
  if (!key->verify(
          rsa ? crypto::SignatureScheme::RsaPkcs1Raw : crypto::SignatureScheme::EcdsaConcatenatedPrehashed,
          ecdsa_hash(s.suite->auth), expected, sig->data))
    return "signature of " + identity->to_string() + " does not verify";
  // Revocation last, for a peer that proved its key (revocation_checker.hpp).
  const RevocationGate gate = shared_.revocation.check(
      *conn, std::get<AcceptedPeerCertificate>(checked).chain, wall_time(shared_.options, s.last_received));
  if (gate.kind == RevocationGate::Kind::Refuse) return gate.why;
  if (gate.kind == RevocationGate::Kind::Wait) {
    s.parked = ParkedPhase1{gate.request, {}, {}, {}, {}};  // on_phase1 keeps the message
    ++shared_.counters.revocation_parked;
    return std::string("waiting for revocation data");
  }
  s.remote_id = *identity;
  return std::nullopt;
}

void Ikev1Engine::phase1_failed(IsakmpSa& s, EventType type, const std::string& detail,
                                std::optional<isakmp::NotifyType> tell) {
  if (auto kind = failure_class_of(type, detail)) {
    FailureReport report = basic_failure_report(
        s.connection, s.initiator ? FailureRole::Initiator : FailureRole::Responder, 1,
        s.aggressive ? "Aggressive Mode" : "Main Mode", *kind, detail, s.remote.to_string());
    if (*kind == FailureClass::Certificate) report.fix = certificate_failure_fix(detail);
    shared_.failures.record(std::move(report));
  }
  if (type == EventType::AuthenticationFailed) ++shared_.counters.authentication_failures;
  if (type == EventType::NoProposalChosen) ++shared_.counters.no_proposal_chosen;
  if (tell) {
    send_plain_notify(s.local, s.remote, s.cky_i, s.cky_r, *tell);
  } else if (type == EventType::AuthenticationFailed && s.protection && s.suite) {
    // Keys exist: say so under them, as RFC 2408 §5 has it (a peer with another PSK cannot read
    // it, but one whose certificate or identity we refused can, and stops retransmitting).
    isakmp::NotificationPayload n;
    n.protocol = isakmp::ProtocolId::Isakmp;
    n.type = isakmp::NotifyType::AuthenticationFailed;
    n.spi = isakmp::isakmp_spi(header(s, isakmp::ExchangeType::Informational, 0));
    send_informational(s, {n});
  }
  remove_sa(s.id, type, detail, false);
}

std::optional<Phase1Protection::Unprotected> Ikev1Engine::open_phase1(IsakmpSa& s, const isakmp::Message& m) {
  if (!s.protection || !m.header.encrypted()) return std::nullopt;
  auto opened = s.protection->unprotect(m, s.iv);
  if (!opened) return std::nullopt;
  return std::move(*opened.value);
}

// --- initiator ---

void Ikev1Engine::start_phase1(IsakmpSa& s, TimePoint now) {
  const ConnectionSettings* conn = connection(s.connection);
  if (!conn) return;
  if (s.remote.address == wire::IpAddress() && s.remote.port == 500) {
    s.remote = Endpoint{conn->remote_addrs.front(), conn->remote_port};
    wire::IpAddress local;
    for (const auto& a : conn->local_addrs)
      if (a.family() == s.remote.address.family()) {
        local = a;
        break;
      }
    s.local = Endpoint{
        local, s.remote.port == isakmp::kNatTraversalPort ? isakmp::kNatTraversalPort : isakmp::kIkePort};
  }
  bool other = false;
  for (auto& [id, o] : sas_)
    if (id != s.id && o->connection == s.connection && o->established()) other = true;
  s.send_initial_contact = !other;
  shared_.counters.exchanges.count(s.aggressive ? ExchangeKind::AggressiveMode : ExchangeKind::MainMode,
                                   ExchangeRole::Initiator);
  const auto method = phase1_auth_method(*conn);
  auto transforms = phase1_transforms(conn->ike_proposals, *method, conn->ike_lifetime);
  std::vector<isakmp::Payload> payloads;
  if (s.aggressive) {
    // Aggressive Mode sends KE with the offer: only transforms of that one group can be chosen.
    const auto first = read_phase1_transform(transforms.front());
    std::erase_if(transforms, [&](const isakmp::Transform& t) {
      const auto r = read_phase1_transform(t);
      return !r || r->group != first->group;
    });
    for (std::size_t i = 0; i < transforms.size(); ++i)
      transforms[i].number = static_cast<std::uint8_t>(i + 1);
    s.ke = std::make_shared<crypto::KeyExchange>(new_key_exchange(first->group, shared_.random));
  }
  isakmp::SaPayload sa;
  sa.proposals.push_back(isakmp::Proposal{1, isakmp::ProtocolId::Isakmp, {}, transforms});
  s.sai_b = payload_body(sa);
  payloads.emplace_back(sa);
  if (s.aggressive) {
    s.nonce_i = random_bytes(kNonceLength);
    s.local_id = conn->local_id.data.empty() ? Identity::from_address(s.local.address) : conn->local_id;
    payloads.emplace_back(isakmp::KePayload{s.ke->public_value()});
    payloads.emplace_back(isakmp::NoncePayload{s.nonce_i});
    payloads.emplace_back(id_payload(s.local_id));
    if (conn->auth == AuthKind::PublicKey)
      for (const auto& ca : conn->ca_certificates)
        payloads.emplace_back(
            isakmp::CertRequestPayload{isakmp::CertEncoding::X509Signature, ca.subject_der()});
    s.step = Phase1Step::AggressiveSentSa;
  } else {
    s.step = Phase1Step::MainSentSa;
  }
  for (auto& v : vendor_ids()) payloads.push_back(std::move(v));
  isakmp::Message m{
      header(s, s.aggressive ? isakmp::ExchangeType::Aggressive : isakmp::kMainMode, 0), payloads, {}};
  transmit(s, s.phase1_tx, isakmp::serialize_message(m), true, now);
}

// --- responder: the first message ---

void Ikev1Engine::respond_phase1_first(const isakmp::Message& m, ByteView raw, const Endpoint& local,
                                       const Endpoint& remote, TimePoint now) {
  // Past the caps: no state, no DH work, no answer. Main Mode does no DH before MM3 anyway (which
  // proves the source receives our cookie); Aggressive Mode would, so this comes first.
  // Main Mode may instead push out the oldest SA still waiting for MM3: a real initiator answers
  // within a round trip, a spoofed source never does.
  const bool aggressive = m.header.exchange == isakmp::ExchangeType::Aggressive;
  // Payload rules before anything else; before authentication a refusal gets no answer.
  if (auto violation =
          check_ikev1_payloads(aggressive ? Ikev1Message::AM1 : Ikev1Message::MM1, false, m.payloads)) {
    malformed("", std::nullopt, violation->detail + " from " + remote.to_string());
    return;
  }
  switch (half_open_.admits(remote.address)) {
    case HalfOpenVerdict::GlobalCap:
      if (!aggressive && evict_oldest_unverified()) break;
      shared_.counters.refusals.count(RefusalReason::HalfOpenGlobalCap);
      return;
    case HalfOpenVerdict::PerSourceCap:
      shared_.counters.refusals.count(RefusalReason::HalfOpenPerSourceCap);
      return;
    case HalfOpenVerdict::Admit: break;
  }
  const auto* offer = isakmp::find_payload<isakmp::SaPayload>(m.payloads);
  const auto sai_b = raw_payload_body(raw, isakmp::PayloadType::SecurityAssociation);
  if (!offer || !sai_b) {
    malformed("", std::nullopt, "phase-1 request without an SA payload from " + remote.to_string());
    return;
  }
  const auto* peer_id = isakmp::find_payload<isakmp::IdPayload>(m.payloads);
  const auto* ke = isakmp::find_payload<isakmp::KePayload>(m.payloads);
  const auto* nonce = isakmp::find_payload<isakmp::NoncePayload>(m.payloads);
  std::string why;
  const ConnectionSettings* chosen = nullptr;
  Phase1Selection selection;
  for (const auto& conn : connections_) {
    if (!conn.remote_addrs.empty() && std::find(conn.remote_addrs.begin(), conn.remote_addrs.end(),
                                                remote.address) == conn.remote_addrs.end())
      continue;
    if (!conn.local_addrs.empty() && local.address != wire::IpAddress() &&
        std::find(conn.local_addrs.begin(), conn.local_addrs.end(), local.address) == conn.local_addrs.end())
      continue;
    if (aggressive && !conn.aggressive) {
      why = "Aggressive Mode" + std::string(conn.auth == AuthKind::Psk ? " with a pre-shared key" : "") +
            " is refused for connection " + conn.name +
            " unless it sets aggressive = true (it exposes a hash of the key to offline dictionary attack)";
      continue;
    }
    if (aggressive) {
      const auto id = identity_from_payload(*peer_id);
      if (!id || !conn.remote_id.matches(*id)) {
        why = "peer ID does not match remote_id of " + conn.name;
        continue;
      }
    }
    auto sel = select_phase1(*offer, conn.ike_proposals, *phase1_auth_method(conn), conn.allow_legacy);
    if (!sel.chosen) {
      why = "connection " + conn.name + ": " + sel.explanation;
      FailureReport report = basic_failure_report(
          conn.name, FailureRole::Responder, 1, aggressive ? "Aggressive Mode" : "Main Mode",
          FailureClass::Proposal, "none of the peer's phase 1 proposals is acceptable: " + sel.explanation,
          remote.to_string());
      report.subject = "IKE proposals";
      report.ours = proposal_strings(conn.ike_proposals);
      shared_.failures.record(std::move(report));
      continue;
    }
    chosen = &conn;
    selection = std::move(sel);
    break;
  }
  if (!chosen) {
    const bool proposal = why.find("Aggressive Mode") == std::string::npos;
    if (proposal) ++shared_.counters.no_proposal_chosen;
    event(proposal ? EventType::NoProposalChosen : EventType::Error, "", std::nullopt, std::nullopt,
          std::string(aggressive ? "Aggressive" : "Main") + " Mode request from " + remote.to_string() +
              " refused: " + (why.empty() ? "no IKEv1 connection for this peer" : why));
    send_plain_notify(
        local, remote, m.header.initiator_cookie, 0,
        proposal ? isakmp::NotifyType::NoProposalChosen : isakmp::NotifyType::InvalidExchangeType);
    return;
  }
  IsakmpSa& s = create_sa(*chosen, false, now);
  half_open_.add(remote.address);
  s.half_open_source = remote.address;
  s.unverified_bytes_in = raw.size();
  s.cky_i = m.header.initiator_cookie;
  responders_by_cky_i_.emplace(s.cky_i, s.id);
  s.aggressive = aggressive;
  shared_.counters.exchanges.count(aggressive ? ExchangeKind::AggressiveMode : ExchangeKind::MainMode,
                                   ExchangeRole::Responder);
  s.local = local;
  s.remote = remote;
  s.sai_b = *sai_b;
  s.suite = selection.suite;
  read_vendor_ids(s, m.payloads);
  s.phase1_tx.answered.assign(raw.begin(), raw.end());
  isakmp::SaPayload answer;
  answer.doi = offer->doi;
  answer.situation = offer->situation;
  answer.proposals.push_back(isakmp::Proposal{
      offer->proposals[0].number, isakmp::ProtocolId::Isakmp, offer->proposals[0].spi, {*selection.chosen}});
  std::vector<isakmp::Payload> out;
  out.emplace_back(answer);
  if (!aggressive) {
    for (auto& v : vendor_ids_answering(s)) out.push_back(std::move(v));
    s.step = Phase1Step::MainAnsweredSa;
    // A responder never retransmits on its own: a repeat of MM1 draws the answer again.
    transmit(s, s.phase1_tx,
             isakmp::serialize_message(isakmp::Message{header(s, isakmp::kMainMode, 0), out, {}}), false,
             now);
    s.unverified_bytes_out = s.phase1_tx.last_sent.size();
    s.phase1_tx.answered.assign(raw.begin(), raw.end());
    remember_unverified(s.id);
    return;
  }
  // Aggressive Mode: everything at once.
  if (nonce->data.size() < 8 || nonce->data.size() > 256) {
    malformed(s.connection, s.id, "nonce length " + std::to_string(nonce->data.size()) + " outside 8..256");
    remove_sa(s.id, std::nullopt, "", false);
    return;
  }
  s.nonce_i = nonce->data;
  s.nonce_r = random_bytes(kNonceLength);
  s.peer_id = *peer_id;
  note_certificate_requests(s, m.payloads);
  s.ke = std::make_shared<crypto::KeyExchange>(new_key_exchange(s.suite->group, shared_.random));
  if (!derive_keys(s, ke->data)) {
    phase1_failed(s, EventType::Error, "invalid KE payload from " + remote.to_string(),
                  isakmp::NotifyType::InvalidKeyInformation);
    return;
  }
  s.remote_id = identity_from_payload(*peer_id);
  out.emplace_back(isakmp::KePayload{s.gxr});
  out.emplace_back(isakmp::NoncePayload{s.nonce_r});
  auto auth = auth_payloads(s, true);
  if (!auth) {
    phase1_failed(s, EventType::Error, "cannot build our authentication payloads", std::nullopt);
    return;
  }
  for (auto& p : *auth) out.push_back(std::move(p));
  if (chosen->auth == AuthKind::PublicKey)
    for (const auto& ca : chosen->ca_certificates)
      out.emplace_back(isakmp::CertRequestPayload{isakmp::CertEncoding::X509Signature, ca.subject_der()});
  for (auto& v : vendor_ids()) out.push_back(std::move(v));
  for (auto& n : nat_d_payloads(s)) out.push_back(std::move(n));
  s.step = Phase1Step::AggressiveAnsweredSa;
  transmit(
      s, s.phase1_tx,
      isakmp::serialize_message(isakmp::Message{header(s, isakmp::ExchangeType::Aggressive, 0), out, {}}),
      false, now);
  s.unverified_bytes_out = s.phase1_tx.last_sent.size();
  s.phase1_tx.answered.assign(raw.begin(), raw.end());
}

// --- the rest of phase 1 ---

namespace {
// The message a phase-1 SA waits for in this step (for the payload table), or nullopt once done.
std::optional<Ikev1Message> expected_phase1_message(Phase1Step step) {
  switch (step) {
    case Phase1Step::MainSentSa: return Ikev1Message::MM2;
    case Phase1Step::MainAnsweredSa: return Ikev1Message::MM3;
    case Phase1Step::MainSentKe: return Ikev1Message::MM4;
    case Phase1Step::MainAnsweredKe: return Ikev1Message::MM5;
    case Phase1Step::MainSentAuth: return Ikev1Message::MM6;
    case Phase1Step::AggressiveSentSa: return Ikev1Message::AM2;
    case Phase1Step::AggressiveAnsweredSa: return Ikev1Message::AM3;
    case Phase1Step::Established: return std::nullopt;
  }
  return std::nullopt;
}
}  // namespace

void Ikev1Engine::on_phase1(IsakmpSa* sp, const isakmp::Message& m, ByteView raw, const Endpoint& local,
                            const Endpoint& remote, TimePoint now) {
  IsakmpSa& s = *sp;
  const IkeSaId id = s.id;
  if (s.parked) {
    // A copy of the message that waits for a revocation fetch (or the peer's retransmission of
    // ours, which its parked answer already covers): nothing to do until resume_parked.
    ++shared_.counters.revocation_parked_drops;
    return;
  }
  if (answer_repeat(s, s.phase1_tx, raw)) return;
  const bool aggressive = m.header.exchange == isakmp::ExchangeType::Aggressive;
  if (aggressive != s.aggressive || m.header.message_id != 0) {
    malformed(s.connection, s.id, "phase-1 message of the wrong exchange type from " + remote.to_string());
    return;
  }
  // Payload rules before any handler. MM5, MM6 and AM3 are checked by their handlers once opened.
  if (const auto which = expected_phase1_message(s.step);
      which && *which != Ikev1Message::MM5 && *which != Ikev1Message::MM6 && *which != Ikev1Message::AM3 &&
      refuse_by_payload_rules(s, *which, m.header.encrypted(), m.payloads))
    return;
  if (s.initiator && (s.step == Phase1Step::MainSentSa || s.step == Phase1Step::AggressiveSentSa)) {
    if (m.header.responder_cookie == 0) {
      malformed(s.connection, s.id, "phase-1 answer without a responder cookie");
      return;
    }
    s.cky_r = m.header.responder_cookie;
  }
  // Unauthenticated phase-1 messages never move the SA; encrypted ones do after their check.
  if (!m.header.encrypted() && (s.local != local || s.remote != remote))
    shared_.counters.refusals.count(RefusalReason::AddressChange);
  switch (s.step) {
    case Phase1Step::MainSentSa: main_mode_2(s, m.payloads, raw, now); break;
    case Phase1Step::MainSentKe: main_mode_4(s, m.payloads, raw, now); break;
    case Phase1Step::MainSentAuth: main_mode_6(s, m, raw, now); break;
    case Phase1Step::MainAnsweredSa: main_mode_3(s, m.payloads, raw, now); break;
    case Phase1Step::MainAnsweredKe: main_mode_5(s, m, raw, now); break;
    case Phase1Step::AggressiveSentSa: aggressive_2(s, m.payloads, raw, now); break;
    case Phase1Step::AggressiveAnsweredSa: aggressive_3(s, m, raw, now); break;
    case Phase1Step::Established:
      // A phase-1 message we did not answer (e.g. a late copy of MM6): nothing to do.
      ++shared_.counters.duplicate_requests;
      return;
  }
  // The handler may have removed the SA (a failed phase 1): look it up again by its ID.
  IsakmpSa* still = sa(id);
  if (still && still->parked && still->parked->raw.empty()) {
    still->parked->raw.assign(raw.begin(), raw.end());
    still->parked->local = local;
    still->parked->remote = remote;
    still->parked->deadline = now + shared_.options.revocation_timeout;
    return;  // not received yet, as far as the SA's timers go
  }
  if (still && still->last_received < now) still->last_received = now;
}

void Ikev1Engine::main_mode_2(IsakmpSa& s, const std::vector<isakmp::Payload>& in, ByteView raw,
                              TimePoint now) {
  const ConnectionSettings* conn = connection(s.connection);
  const auto* answer = isakmp::find_payload<isakmp::SaPayload>(in);
  if (!conn || !answer) {
    malformed(s.connection, s.id, "MM2 without an SA payload");
    return;
  }
  const auto ours = phase1_transforms(conn->ike_proposals, *phase1_auth_method(*conn), conn->ike_lifetime);
  if (!answer_offered(*answer, ours, s.suite)) {
    phase1_failed(s, EventType::NoProposalChosen, "responder chose a transform we did not offer",
                  std::nullopt);
    return;
  }
  read_vendor_ids(s, in);
  s.ke = std::make_shared<crypto::KeyExchange>(new_key_exchange(s.suite->group, shared_.random));
  s.nonce_i = random_bytes(kNonceLength);
  std::vector<isakmp::Payload> out;
  out.emplace_back(isakmp::KePayload{s.ke->public_value()});
  out.emplace_back(isakmp::NoncePayload{s.nonce_i});
  if (conn->auth == AuthKind::PublicKey)
    for (const auto& ca : conn->ca_certificates)
      out.emplace_back(isakmp::CertRequestPayload{isakmp::CertEncoding::X509Signature, ca.subject_der()});
  for (auto& n : nat_d_payloads(s)) out.push_back(std::move(n));
  s.step = Phase1Step::MainSentKe;
  transmit(s, s.phase1_tx,
           isakmp::serialize_message(isakmp::Message{header(s, isakmp::kMainMode, 0), out, {}}), true, now);
  s.phase1_tx.answered.assign(raw.begin(), raw.end());
}

void Ikev1Engine::main_mode_3(IsakmpSa& s, const std::vector<isakmp::Payload>& in, ByteView raw,
                              TimePoint now) {
  const ConnectionSettings* conn = connection(s.connection);
  const auto* ke = isakmp::find_payload<isakmp::KePayload>(in);
  const auto* nonce = isakmp::find_payload<isakmp::NoncePayload>(in);
  if (!conn || !ke || !nonce || nonce->data.size() < 8 || nonce->data.size() > 256) {
    malformed(s.connection, s.id, "MM3 without KE or a nonce of 8..256 bytes");
    return;
  }
  s.nonce_i = nonce->data;
  s.nonce_r = random_bytes(kNonceLength);
  check_nat_d(s, in);
  note_certificate_requests(s, in);
  s.ke = std::make_shared<crypto::KeyExchange>(new_key_exchange(s.suite->group, shared_.random));
  if (!derive_keys(s, ke->data)) {
    phase1_failed(s, EventType::Error, "invalid KE payload (MM3) from " + s.remote.to_string(),
                  isakmp::NotifyType::InvalidKeyInformation);
    return;
  }
  std::vector<isakmp::Payload> out;
  out.emplace_back(isakmp::KePayload{s.gxr});
  out.emplace_back(isakmp::NoncePayload{s.nonce_r});
  if (conn->auth == AuthKind::PublicKey)
    for (const auto& ca : conn->ca_certificates)
      out.emplace_back(isakmp::CertRequestPayload{isakmp::CertEncoding::X509Signature, ca.subject_der()});
  for (auto& n : nat_d_payloads(s)) out.push_back(std::move(n));
  s.step = Phase1Step::MainAnsweredKe;
  transmit(s, s.phase1_tx,
           isakmp::serialize_message(isakmp::Message{header(s, isakmp::kMainMode, 0), out, {}}), false, now);
  s.phase1_tx.answered.assign(raw.begin(), raw.end());
}

void Ikev1Engine::main_mode_4(IsakmpSa& s, const std::vector<isakmp::Payload>& in, ByteView raw,
                              TimePoint now) {
  const auto* ke = isakmp::find_payload<isakmp::KePayload>(in);
  const auto* nonce = isakmp::find_payload<isakmp::NoncePayload>(in);
  if (!ke || !nonce || nonce->data.size() < 8 || nonce->data.size() > 256) {
    malformed(s.connection, s.id, "MM4 without KE or a nonce of 8..256 bytes");
    return;
  }
  s.nonce_r = nonce->data;
  check_nat_d(s, in);
  note_certificate_requests(s, in);
  if (!derive_keys(s, ke->data)) {
    phase1_failed(s, EventType::Error, "invalid KE payload (MM4) from " + s.remote.to_string(), std::nullopt);
    return;
  }
  if ((s.nat_local || s.nat_remote) && s.local.port == isakmp::kIkePort) {
    s.local.port = isakmp::kNatTraversalPort;  // RFC 3947 §4: float for MM5
    if (s.remote.port != isakmp::kNatTraversalPort)
      peer_address_changed(s, Endpoint{s.remote.address, isakmp::kNatTraversalPort});
    s.remote.port = isakmp::kNatTraversalPort;
  }
  auto out = auth_payloads(s, true);
  if (!out) {
    phase1_failed(s, EventType::Error, "cannot build our authentication payloads", std::nullopt);
    return;
  }
  if (s.send_initial_contact) {
    isakmp::NotificationPayload n;
    n.protocol = isakmp::ProtocolId::Isakmp;
    n.type = isakmp::NotifyType::InitialContact;
    n.spi = isakmp::isakmp_spi(header(s, isakmp::kMainMode, 0));
    out->emplace_back(std::move(n));
  }
  s.step = Phase1Step::MainSentAuth;
  transmit(s, s.phase1_tx, encrypt_message(s, header(s, isakmp::kMainMode, 0), *out, s.iv), true, now);
  s.phase1_tx.answered.assign(raw.begin(), raw.end());
}

std::optional<std::vector<isakmp::Payload>> Ikev1Engine::open_main_mode_auth(IsakmpSa& s,
                                                                             const isakmp::Message& m,
                                                                             Ikev1Message which) {
  const std::string name = ikev1_message_name(which);
  auto opened = open_phase1(s, m);
  if (!opened) {
    // The key comes from the PSK: a peer with another PSK produces exactly this.
    phase1_failed(s, EventType::AuthenticationFailed,
                  name + " from " + s.remote.to_string() + " does not decrypt (pre-shared key mismatch?)",
                  std::nullopt);
    return std::nullopt;
  }
  const auto* id = isakmp::find_payload<isakmp::IdPayload>(opened->payloads);
  if (refuse_by_payload_rules(s, which, true, opened->payloads)) return std::nullopt;
  if (!id) {
    phase1_failed(s, EventType::AuthenticationFailed, name + " without an ID payload", std::nullopt);
    return std::nullopt;
  }
  if (auto why = verify_peer_auth(s, opened->payloads, *id)) {
    if (s.parked) return std::nullopt;  // resumed by resume_parked
    phase1_failed(s, EventType::AuthenticationFailed, "peer " + s.remote.to_string() + ": " + *why,
                  std::nullopt);
    return std::nullopt;
  }
  follow_peer_address(s);
  s.iv = std::move(opened->next_iv);
  return std::move(opened->payloads);
}

void Ikev1Engine::main_mode_5(IsakmpSa& s, const isakmp::Message& m, ByteView raw, TimePoint now) {
  const auto in = open_main_mode_auth(s, m, Ikev1Message::MM5);
  if (!in) return;
  note_certificate_requests(s, *in);
  const bool initial_contact = isakmp::find_notification(*in, isakmp::NotifyType::InitialContact) != nullptr;
  auto out = auth_payloads(s, true);
  if (!out) {
    phase1_failed(s, EventType::Error, "cannot build our authentication payloads", std::nullopt);
    return;
  }
  transmit(s, s.phase1_tx, encrypt_message(s, header(s, isakmp::kMainMode, 0), *out, s.iv), false, now);
  s.phase1_tx.answered.assign(raw.begin(), raw.end());
  if (initial_contact) handle_initial_contact(s);
  phase1_established(s, now);
}

void Ikev1Engine::main_mode_6(IsakmpSa& s, const isakmp::Message& m, ByteView, TimePoint now) {
  if (!open_main_mode_auth(s, m, Ikev1Message::MM6)) return;
  s.phase1_tx.waiting = false;
  s.phase1_tx.retransmit_at.reset();
  phase1_established(s, now);
}

void Ikev1Engine::aggressive_2(IsakmpSa& s, const std::vector<isakmp::Payload>& in, ByteView raw,
                               TimePoint now) {
  const ConnectionSettings* conn = connection(s.connection);
  const auto* answer = isakmp::find_payload<isakmp::SaPayload>(in);
  const auto* ke = isakmp::find_payload<isakmp::KePayload>(in);
  const auto* nonce = isakmp::find_payload<isakmp::NoncePayload>(in);
  const auto* id = isakmp::find_payload<isakmp::IdPayload>(in);
  if (!conn || !answer || !ke || !nonce || !id || nonce->data.size() < 8 || nonce->data.size() > 256) {
    malformed(s.connection, s.id, "AM2 without SA, KE, nonce or ID");
    return;
  }
  const auto ours = phase1_transforms(conn->ike_proposals, *phase1_auth_method(*conn), conn->ike_lifetime);
  if (!s.ke || !answer_offered(*answer, ours, s.suite) || s.suite->group != s.ke->group()) {
    phase1_failed(s, EventType::NoProposalChosen, "responder chose a transform we did not offer",
                  std::nullopt);
    return;
  }
  read_vendor_ids(s, in);
  s.nonce_r = nonce->data;
  note_certificate_requests(s, in);
  if (!derive_keys(s, ke->data)) {
    phase1_failed(s, EventType::Error, "invalid KE payload (AM2) from " + s.remote.to_string(), std::nullopt);
    return;
  }
  check_nat_d(s, in);
  if (auto why = verify_peer_auth(s, in, *id)) {
    if (s.parked) return;  // resumed by resume_parked
    phase1_failed(s, EventType::AuthenticationFailed, "peer " + s.remote.to_string() + ": " + *why,
                  std::nullopt);
    return;
  }
  if ((s.nat_local || s.nat_remote) && s.local.port == isakmp::kIkePort) {
    s.local.port = isakmp::kNatTraversalPort;
    if (s.remote.port != isakmp::kNatTraversalPort)
      peer_address_changed(s, Endpoint{s.remote.address, isakmp::kNatTraversalPort});
    s.remote.port = isakmp::kNatTraversalPort;
  }
  auto out = auth_payloads(s, false);
  if (!out) {
    phase1_failed(s, EventType::Error, "cannot build our authentication payloads", std::nullopt);
    return;
  }
  for (auto& n : nat_d_payloads(s)) out->push_back(std::move(n));
  if (s.send_initial_contact) {
    isakmp::NotificationPayload n;
    n.protocol = isakmp::ProtocolId::Isakmp;
    n.type = isakmp::NotifyType::InitialContact;
    n.spi = isakmp::isakmp_spi(header(s, isakmp::ExchangeType::Aggressive, 0));
    out->emplace_back(std::move(n));
  }
  transmit(s, s.phase1_tx, encrypt_message(s, header(s, isakmp::ExchangeType::Aggressive, 0), *out, s.iv),
           false, now);
  s.phase1_tx.answered.assign(raw.begin(), raw.end());
  phase1_established(s, now);
}

void Ikev1Engine::aggressive_3(IsakmpSa& s, const isakmp::Message& m, ByteView raw, TimePoint now) {
  std::vector<isakmp::Payload> in;
  Bytes next_iv = s.iv;
  if (m.header.encrypted()) {
    auto opened = open_phase1(s, m);
    if (!opened) {
      phase1_failed(s, EventType::AuthenticationFailed,
                    "AM3 from " + s.remote.to_string() + " does not decrypt (pre-shared key mismatch?)",
                    std::nullopt);
      return;
    }
    in = std::move(opened->payloads);
    next_iv = std::move(opened->next_iv);
  } else {
    in = m.payloads;
  }
  if (refuse_by_payload_rules(s, Ikev1Message::AM3, m.header.encrypted(), in)) return;
  check_nat_d(s, in);
  const isakmp::IdPayload* id = s.peer_id ? &*s.peer_id : nullptr;
  if (!id) {
    phase1_failed(s, EventType::Error, "internal: initiator identity lost", std::nullopt);
    return;
  }
  if (auto why = verify_peer_auth(s, in, *id)) {
    if (s.parked) return;  // resumed by resume_parked
    phase1_failed(s, EventType::AuthenticationFailed, "peer " + s.remote.to_string() + ": " + *why,
                  std::nullopt);
    return;
  }
  if (m.header.encrypted()) follow_peer_address(s);
  s.iv = std::move(next_iv);
  s.phase1_tx.waiting = false;
  s.phase1_tx.retransmit_at.reset();
  s.phase1_tx.answered.assign(raw.begin(), raw.end());
  s.phase1_tx.last_sent.clear();  // nothing to send again for a copy of AM3
  if (isakmp::find_notification(in, isakmp::NotifyType::InitialContact)) handle_initial_contact(s);
  phase1_established(s, now);
}

}  // namespace cygnet::ike::v1
