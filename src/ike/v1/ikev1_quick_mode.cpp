// Quick Mode (RFC 2409 §5.5), protected by the phase-1 keys with its own IV chain:
//   I→R  HASH(1), SA, Ni, [KE], [IDci, IDcr], [NAT-OAi, NAT-OAr]
//   R→I  HASH(2), SA, Nr, [KE], [IDci, IDcr], [N(RESPONDER-LIFETIME)]
//   I→R  HASH(3)
// The responder installs the new pair when it sends QM2 (its inbound SA works at once, so the
// initiator's first packets after QM2 are not lost) and points its policies at it when QM3
// arrives. A Quick Mode for a child that already has an SA is a rekey: the new pair replaces the
// old, which the initiator then deletes.
#include <algorithm>

#include "ike/key_exchange_factory.hpp"
#include "ike/retransmission.hpp"
#include "ike/v1/ikev1_engine.hpp"

namespace cygnet::ike::v1 {

namespace {

std::uint32_t fresh_message_id(RandomSource& random, const IsakmpSa& s) {
  for (;;) {
    const std::uint32_t id = random.next_u32();
    if (id != 0 && !s.quick_modes.contains(id)) return id;
  }
}

Bytes spi_bytes(std::uint32_t spi) {
  return {static_cast<std::uint8_t>(spi >> 24), static_cast<std::uint8_t>(spi >> 16),
          static_cast<std::uint8_t>(spi >> 8), static_cast<std::uint8_t>(spi)};
}

// The lifetimes a RESPONDER-LIFETIME notification carries (RFC 2407 §4.6.3.1): SA Life Type /
// Duration attribute pairs, TV or TLV.
void read_responder_lifetime(ByteView data, Seconds& lifetime, std::uint64_t& bytes) {
  std::optional<std::uint16_t> type;
  std::size_t i = 0;
  while (i + 4 <= data.size()) {
    const std::uint16_t t = static_cast<std::uint16_t>((data[i] << 8) | data[i + 1]);
    std::uint64_t value = 0;
    std::size_t next = 0;
    if (t & isakmp::kAttributeFormatTv) {
      value = static_cast<std::uint64_t>((data[i + 2] << 8) | data[i + 3]);
      next = i + 4;
    } else {
      const std::size_t len = static_cast<std::size_t>((data[i + 2] << 8) | data[i + 3]);
      if (len == 0 || len > 8 || i + 4 + len > data.size()) return;
      for (std::size_t k = 0; k < len; ++k) value = (value << 8) | data[i + 4 + k];
      next = i + 4 + len;
    }
    const std::uint16_t kind = t & isakmp::kAttributeTypeMask;
    if (kind == static_cast<std::uint16_t>(isakmp::Phase2Attribute::SaLifeType)) {
      type = static_cast<std::uint16_t>(value);
    } else if (kind == static_cast<std::uint16_t>(isakmp::Phase2Attribute::SaLifeDuration) && type) {
      if (*type == static_cast<std::uint16_t>(isakmp::LifeType::Seconds) && value > 0 &&
          Seconds(static_cast<std::int64_t>(value)) < lifetime)
        lifetime = Seconds(static_cast<std::int64_t>(value));
      if (*type == static_cast<std::uint16_t>(isakmp::LifeType::Kilobytes) && value > 0 &&
          (bytes == 0 || value * 1024 < bytes))
        bytes = value * 1024;
    }
    i = next;
  }
}

Bytes lifetime_attributes(Seconds lifetime, std::uint64_t bytes) {
  std::vector<isakmp::Attribute> attrs;
  attrs.push_back(isakmp::Attribute::basic(isakmp::Phase2Attribute::SaLifeType, isakmp::LifeType::Seconds));
  attrs.push_back(
      isakmp::integer_attribute(static_cast<std::uint16_t>(isakmp::Phase2Attribute::SaLifeDuration),
                                static_cast<std::uint64_t>(lifetime.count())));
  if (bytes) {
    attrs.push_back(
        isakmp::Attribute::basic(isakmp::Phase2Attribute::SaLifeType, isakmp::LifeType::Kilobytes));
    attrs.push_back(isakmp::integer_attribute(
        static_cast<std::uint16_t>(isakmp::Phase2Attribute::SaLifeDuration), bytes / 1024));
  }
  Bytes out;
  for (const auto& a : attrs) {
    if (a.is_basic()) {
      const std::uint16_t t = a.type | isakmp::kAttributeFormatTv, v = std::get<std::uint16_t>(a.value);
      out.insert(out.end(), {static_cast<std::uint8_t>(t >> 8), static_cast<std::uint8_t>(t),
                             static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)});
    } else {
      const Bytes& v = std::get<Bytes>(a.value);
      out.insert(out.end(), {static_cast<std::uint8_t>(a.type >> 8), static_cast<std::uint8_t>(a.type),
                             static_cast<std::uint8_t>(v.size() >> 8), static_cast<std::uint8_t>(v.size())});
      out.insert(out.end(), v.begin(), v.end());
    }
  }
  return out;
}

isakmp::ProtocolId keymat_protocol(ipsec::IpsecProtocol p) {
  return p == ipsec::IpsecProtocol::Ah ? isakmp::ProtocolId::Ah : isakmp::ProtocolId::Esp;
}

}  // namespace

void Ikev1Engine::start_quick_mode(IsakmpSa& s, const std::string& child_name,
                                   std::optional<ChildSaId> rekey_of, TimePoint now) {
  const ChildSettings* cs = child_settings(s.connection, child_name);
  if (!cs || !s.established() || !s.suite) return;
  negotiating_.insert({s.connection, child_name});
  shared_.counters.exchanges.count(ExchangeKind::QuickMode, ExchangeRole::Initiator);
  const std::uint32_t mid = fresh_message_id(shared_.random, s);
  QuickMode& qm = s.quick_modes[mid];
  qm.message_id = mid;
  qm.initiator = true;
  qm.child = child_name;
  qm.rekey_of = rekey_of;
  qm.our_spi = random_child_spi(shared_.random);
  qm.nonce_i = random_bytes(kNonceLength);
  qm.lifetime = cs->lifetime;
  qm.life_bytes = cs->life_bytes;
  const bool udp = (s.nat_local || s.nat_remote) && cs->protocol == ipsec::IpsecProtocol::Esp;
  Phase2Offer offer;
  offer.protocol = cs->protocol;
  offer.spi = qm.our_spi;
  offer.mode = encapsulation_mode(cs->mode, udp);
  offer.lifetime = cs->lifetime;
  offer.life_kilobytes = cs->life_bytes / 1024;
  qm.offer = phase2_sa(cs->proposals, offer);
  qm.local_ts = {cs->local_ts.empty() ? ts_from_address(s.local.address)
                                      : ts_from_prefix(cs->local_ts.front())};
  qm.remote_ts = {cs->remote_ts.empty() ? ts_from_address(s.remote.address)
                                        : ts_from_prefix(cs->remote_ts.front())};

  std::vector<isakmp::Payload> rest;
  rest.emplace_back(qm.offer);
  rest.emplace_back(isakmp::NoncePayload{qm.nonce_i});
  if (const auto group = first_group(cs->proposals)) {
    qm.ke = std::make_shared<crypto::KeyExchange>(new_key_exchange(*group, shared_.random));
    rest.emplace_back(isakmp::KePayload{qm.ke->public_value()});
  }
  rest.emplace_back(id_from_selector(qm.local_ts.front()));
  rest.emplace_back(id_from_selector(qm.remote_ts.front()));
  if (udp && cs->mode == ipsec::Mode::Transport) {
    // RFC 3947 §5.2: the original addresses, for the transport-mode checksum fix-up.
    rest.emplace_back(isakmp::NatOaPayload{s.local.address, false});
    rest.emplace_back(isakmp::NatOaPayload{s.remote.address, false});
  }
  const Bytes hash =
      quick_mode_hash1(s.suite->hash, s.skeyid_a.view(), mid, isakmp::encode_payload_chain(rest).bytes);
  std::vector<isakmp::Payload> all;
  all.emplace_back(isakmp::HashPayload{hash});
  for (auto& p : rest) all.push_back(std::move(p));
  qm.iv = phase2_iv(s.suite->hash, s.phase1_last_iv, mid, crypto::cbc_block_size(s.suite->cipher));
  Bytes message = encrypt_message(s, header(s, isakmp::ExchangeType::QuickMode, mid), all, qm.iv);
  transmit(s, qm.tx, std::move(message), true, now);
}

void Ikev1Engine::on_quick_mode(IsakmpSa& s, const isakmp::Message& m, ByteView raw, TimePoint now) {
  auto it = s.quick_modes.find(m.header.message_id);
  if (it == s.quick_modes.end()) {
    quick_mode_request(s, m, raw, now);
    return;
  }
  QuickMode& qm = it->second;
  if (answer_repeat(s, qm.tx, raw)) return;
  if (qm.done) return;
  if (qm.initiator)
    quick_mode_response(s, qm, m, raw, now);
  else
    quick_mode_final(s, qm, m, raw, now);
}

void Ikev1Engine::quick_mode_request(IsakmpSa& s, const isakmp::Message& m, ByteView raw, TimePoint now) {
  const ConnectionSettings* conn = connection(s.connection);
  if (!conn || !s.suite) return;
  const std::uint32_t mid = m.header.message_id;
  Bytes iv = phase2_iv(s.suite->hash, s.phase1_last_iv, mid, crypto::cbc_block_size(s.suite->cipher));
  auto opened = s.protection->unprotect(m, iv);
  if (!opened) {
    malformed(s.connection, s.id,
              std::string("Quick Mode request does not decrypt: ") + protection_error_name(opened.error));
    return;
  }
  const auto framed = split_hash_payload(m.header.next_payload, opened.value->plaintext);
  if (!framed || !hash_matches(framed->hash,
                               quick_mode_hash1(s.suite->hash, s.skeyid_a.view(), mid, framed->after_hash))) {
    malformed(s.connection, s.id, "Quick Mode HASH(1) does not verify");
    return;
  }
  if (refuse_by_payload_rules(s, Ikev1Message::QM1, true, opened.value->payloads)) return;
  follow_peer_address(s);
  s.last_received = now;
  shared_.counters.exchanges.count(ExchangeKind::QuickMode, ExchangeRole::Responder);
  const auto& in = opened.value->payloads;
  const auto* offer = isakmp::find_payload<isakmp::SaPayload>(in);
  const auto* nonce = isakmp::find_payload<isakmp::NoncePayload>(in);
  const auto* ke = isakmp::find_payload<isakmp::KePayload>(in);
  std::vector<const isakmp::IdPayload*> ids;
  for (const auto& p : in)
    if (const auto* id = std::get_if<isakmp::IdPayload>(&p)) ids.push_back(id);
  if (!offer || !nonce || nonce->data.size() < 8 || nonce->data.size() > 256 ||
      (ids.size() != 0 && ids.size() != 2)) {
    malformed(s.connection, s.id,
              "Quick Mode request without SA, a nonce of 8..256 bytes, or with one client ID");
    return;
  }
  // The initiator's client is our remote side, the responder's client our local side.
  std::optional<wire::ikev2::TrafficSelector> peer_ts = ts_from_address(s.remote.address);
  std::optional<wire::ikev2::TrafficSelector> our_ts = ts_from_address(s.local.address);
  if (ids.size() == 2) {
    peer_ts = selector_from_id(*ids[0]);
    our_ts = selector_from_id(*ids[1]);
  }
  const auto refuse = [&](EventType type, isakmp::NotifyType notify, const std::string& why) {
    if (type == EventType::NoProposalChosen) ++shared_.counters.no_proposal_chosen;
    event(type, s.connection, s.id, std::nullopt, "Quick Mode request refused: " + why);
    isakmp::NotificationPayload n;
    n.protocol = offer->proposals.empty() ? isakmp::ProtocolId::Esp : offer->proposals[0].protocol;
    n.type = notify;
    if (!offer->proposals.empty()) n.spi = offer->proposals[0].spi;
    send_informational(s, {n});
  };
  if (!peer_ts || !our_ts) {
    refuse(EventType::TsUnacceptable, isakmp::NotifyType::InvalidIdInformation,
           "client IDs of an unsupported type");
    return;
  }
  // Two IDs naming different transport protocols select no packet at all: refused, never installed
  // as an SA whose two selector halves disagree (bad-input catalog row 6).
  if (peer_ts->ip_protocol != 0 && our_ts->ip_protocol != 0 && peer_ts->ip_protocol != our_ts->ip_protocol) {
    refuse(EventType::TsUnacceptable, isakmp::NotifyType::InvalidIdInformation,
           "client IDs name different protocols");
    return;
  }
  const ChildSettings* chosen = nullptr;
  std::optional<Phase2Choice> choice;
  std::string why;
  bool selectors_fit = false;
  for (const auto& cs : conn->children) {
    const std::vector<wire::ikev2::TrafficSelector> allowed_remote =
        cs.remote_ts.empty() ? std::vector{ts_from_address(s.remote.address)}
                             : ts_from_prefixes(cs.remote_ts);
    const std::vector<wire::ikev2::TrafficSelector> allowed_local =
        cs.local_ts.empty() ? std::vector{ts_from_address(s.local.address)} : ts_from_prefixes(cs.local_ts);
    if (!selectors_within({*peer_ts}, allowed_remote) || !selectors_within({*our_ts}, allowed_local))
      continue;
    selectors_fit = true;
    auto sel = select_phase2(*offer, cs.proposals, conn->allow_legacy);
    if (!sel.chosen) {
      why = "child " + cs.name + ": " + sel.explanation;
      continue;
    }
    if (is_transport(sel.chosen->mode) != (cs.mode == ipsec::Mode::Transport)) {
      why = "child " + cs.name + " is configured for " +
            (cs.mode == ipsec::Mode::Transport ? "transport" : "tunnel") +
            " mode, the peer asks for the other";
      continue;
    }
    chosen = &cs;
    choice = std::move(sel.chosen);
    break;
  }
  if (!selectors_fit) {
    refuse(EventType::TsUnacceptable, isakmp::NotifyType::InvalidIdInformation,
           "no child covers " + ts_to_string(*peer_ts) + " === " + ts_to_string(*our_ts));
    return;
  }
  if (!chosen) {
    refuse(EventType::NoProposalChosen, isakmp::NotifyType::NoProposalChosen, why);
    return;
  }
  QuickMode qm;
  qm.message_id = mid;
  qm.initiator = false;
  qm.child = chosen->name;
  qm.peer_spi = choice->peer_spi;
  qm.our_spi = random_child_spi(shared_.random);
  qm.nonce_i = nonce->data;
  qm.nonce_r = random_bytes(kNonceLength);
  qm.local_ts = {*our_ts};
  qm.remote_ts = {*peer_ts};
  if (choice->algorithms.pfs_group) {
    if (!ke) {
      refuse(EventType::NoProposalChosen, isakmp::NotifyType::InvalidKeyInformation,
             "PFS chosen but no KE payload");
      return;
    }
    qm.ke = std::make_shared<crypto::KeyExchange>(
        new_key_exchange(*choice->algorithms.pfs_group, shared_.random));
    qm.pfs_secret = qm.ke->compute_shared_secret(ke->data);
    if (!qm.pfs_secret) {
      refuse(EventType::Error, isakmp::NotifyType::InvalidKeyInformation, "invalid KE payload");
      return;
    }
  }
  // Lifetimes: the shorter of the offer and ours; when ours is shorter, say so (RFC 2407 §4.6.3.1).
  qm.lifetime = chosen->lifetime;
  qm.life_bytes = chosen->life_bytes;
  bool tell_lifetime = false;
  if (choice->lifetime && *choice->lifetime < qm.lifetime)
    qm.lifetime = *choice->lifetime;
  else if (!choice->lifetime || *choice->lifetime > qm.lifetime)
    tell_lifetime = true;
  if (choice->kilobytes && *choice->kilobytes > 0) {
    const std::uint64_t offered = *choice->kilobytes * 1024;
    if (qm.life_bytes == 0 || offered < qm.life_bytes)
      qm.life_bytes = offered;
    else if (offered > qm.life_bytes)
      tell_lifetime = true;
  }
  // An existing SA of this child: the peer is rekeying it.
  for (auto& [cid, c] : children_)
    if (c.connection == s.connection && c.child == chosen->name && c.state == ChildSaState::Installed)
      qm.rekey_of = cid;
  qm.choice = std::move(choice);

  std::vector<isakmp::Payload> rest;
  isakmp::SaPayload answer;
  answer.doi = offer->doi;
  answer.situation = offer->situation;
  isakmp::Proposal p = qm.choice->proposal;
  p.spi = spi_bytes(qm.our_spi);
  answer.proposals.push_back(std::move(p));
  rest.emplace_back(std::move(answer));
  rest.emplace_back(isakmp::NoncePayload{qm.nonce_r});
  if (qm.ke) rest.emplace_back(isakmp::KePayload{qm.ke->public_value()});
  if (ids.size() == 2) {
    rest.emplace_back(*ids[0]);
    rest.emplace_back(*ids[1]);
  }
  if (tell_lifetime) {
    isakmp::NotificationPayload n;
    n.protocol = keymat_protocol(chosen->protocol);
    n.type = isakmp::NotifyType::ResponderLifetime;
    n.spi = spi_bytes(qm.peer_spi);
    n.data = lifetime_attributes(qm.lifetime, qm.life_bytes);
    rest.emplace_back(std::move(n));
  }
  const Bytes hash = quick_mode_hash2(s.suite->hash, s.skeyid_a.view(), mid, qm.nonce_i,
                                      isakmp::encode_payload_chain(rest).bytes);
  std::vector<isakmp::Payload> all;
  all.emplace_back(isakmp::HashPayload{hash});
  for (auto& x : rest) all.push_back(std::move(x));
  qm.iv = std::move(opened.value->next_iv);
  negotiating_.insert({s.connection, qm.child});
  auto [it, inserted] = s.quick_modes.emplace(mid, std::move(qm));
  QuickMode& stored = it->second;
  Bytes message = encrypt_message(s, header(s, isakmp::ExchangeType::QuickMode, mid), all, stored.iv);
  // A new pair carries our traffic at once: we never retransmit QM2, so a lost QM3 must not leave
  // it unused (the initiator, holding QM2, already sends on it). A rekey's new pair waits for QM3
  // or the peer's Delete of the old pair, which still carries the traffic.
  stored.installed = install(s, stored, !stored.rekey_of, now).id;
  // A responder never retransmits QM2 on its own: the initiator repeats QM1 and gets the cached
  // QM2 (answer_repeat). Without QM3 within the initiator's retransmission horizon, we give up.
  transmit(s, stored.tx, std::move(message), false, now);
  stored.tx.answered.assign(raw.begin(), raw.end());
  stored.forget_at = now + retransmit_total(shared_.options);
}

void Ikev1Engine::quick_mode_response(IsakmpSa& s, QuickMode& qm, const isakmp::Message& m, ByteView raw,
                                      TimePoint now) {
  const std::uint32_t mid = qm.message_id;
  auto opened = s.protection->unprotect(m, qm.iv);
  if (!opened) {
    malformed(s.connection, s.id,
              std::string("QM2 does not decrypt: ") + protection_error_name(opened.error));
    return;
  }
  const auto framed = split_hash_payload(m.header.next_payload, opened.value->plaintext);
  if (!framed || !hash_matches(framed->hash, quick_mode_hash2(s.suite->hash, s.skeyid_a.view(), mid,
                                                              qm.nonce_i, framed->after_hash))) {
    malformed(s.connection, s.id, "Quick Mode HASH(2) does not verify");
    return;
  }
  if (refuse_by_payload_rules(s, Ikev1Message::QM2, true, opened.value->payloads)) return;
  follow_peer_address(s);
  s.last_received = now;
  const auto& in = opened.value->payloads;
  const auto* answer = isakmp::find_payload<isakmp::SaPayload>(in);
  const auto* nonce = isakmp::find_payload<isakmp::NoncePayload>(in);
  const auto* ke = isakmp::find_payload<isakmp::KePayload>(in);
  if (!answer || !nonce || nonce->data.size() < 8 || nonce->data.size() > 256) {
    quick_mode_failed(s, mid, EventType::MalformedMessage, "QM2 without SA or a nonce of 8..256 bytes", now);
    return;
  }
  auto choice = read_phase2_answer(*answer, qm.offer);
  if (!choice) {
    quick_mode_failed(s, mid, EventType::NoProposalChosen,
                      "responder answered with a transform we did not offer", now);
    return;
  }
  if (choice->algorithms.pfs_group) {
    if (!ke || !qm.ke || qm.ke->group() != *choice->algorithms.pfs_group ||
        !(qm.pfs_secret = qm.ke->compute_shared_secret(ke->data))) {
      quick_mode_failed(s, mid, EventType::Error, "QM2 lacks a valid KE payload for PFS", now);
      return;
    }
  }
  qm.nonce_r = nonce->data;
  qm.peer_spi = choice->peer_spi;
  if (choice->lifetime && *choice->lifetime < qm.lifetime) qm.lifetime = *choice->lifetime;
  if (const auto* n = isakmp::find_notification(in, isakmp::NotifyType::ResponderLifetime))
    read_responder_lifetime(n->data, qm.lifetime, qm.life_bytes);
  qm.choice = std::move(choice);
  qm.iv = std::move(opened.value->next_iv);
  const Bytes hash = quick_mode_hash3(s.suite->hash, s.skeyid_a.view(), mid, qm.nonce_i, qm.nonce_r);
  std::vector<isakmp::Payload> all;
  all.emplace_back(isakmp::HashPayload{hash});
  Bytes message = encrypt_message(s, header(s, isakmp::ExchangeType::QuickMode, mid), all, qm.iv);
  transmit(s, qm.tx, std::move(message), false, now);
  qm.tx.answered.assign(raw.begin(), raw.end());
  ChildSa& fresh = install(s, qm, true, now);
  qm.done = true;
  qm.forget_at = now + retransmit_total(shared_.options);
  qm.ke.reset();
  qm.pfs_secret.reset();
  if (qm.rekey_of) settle_rekey(s, *qm.rekey_of, fresh.id, true, now);
}

void Ikev1Engine::settle_rekey(IsakmpSa& s, ChildSaId old_id, ChildSaId fresh_id, bool we_initiated,
                               TimePoint now) {
  ChildSa* old = child(old_id);
  ChildSa* fresh = child(fresh_id);
  if (!old || !fresh) return;
  ChildSa* rival = old->replaced_by && *old->replaced_by != fresh_id ? child(*old->replaced_by) : nullptr;
  ChildSaId winner_id = fresh_id;
  if (rival && rival->state == ChildSaState::Installed) {
    // IKEv1 has no collision rule; Cygnet applies IKEv2's (RFC 7296 §2.8.1): the pair whose
    // exchange holds the lowest nonce is redundant. Both ends see the same nonces.
    const auto lowest = [](const ChildSa& c) { return std::min(c.nonce_i, c.nonce_r); };
    ChildSa* loser = lowest(*fresh) < lowest(*rival) ? fresh : rival;
    ChildSa* winner = loser == fresh ? rival : fresh;
    winner_id = winner->id;
    loser->state = ChildSaState::Rekeyed;
    loser->replaced_by = winner->id;
    loser->rekey_at.reset();
    loser->remove_at = now + shared_.options.old_sa_grace;
    if (loser->created_by_us) send_delete_children(s, {loser});
    if (!winner->activation_pending) shared_.actions.emplace_back(ActivateChildSa{winner->id});
    event(EventType::ChildSaRekeyed, s.connection, s.id, winner->id,
          "both ends rekeyed " + old->child + " at once: the redundant new pair is removed");
  }
  old->state = ChildSaState::Rekeyed;
  old->replaced_by = winner_id;
  old->rekey_at.reset();
  if (we_initiated) {
    if (!old->remove_at) old->remove_at = now + shared_.options.old_sa_grace;
    send_delete_children(s, {old});
  }
}

void Ikev1Engine::quick_mode_final(IsakmpSa& s, QuickMode& qm, const isakmp::Message& m, ByteView raw,
                                   TimePoint now) {
  const std::uint32_t mid = qm.message_id;
  auto opened = s.protection->unprotect(m, qm.iv);
  if (!opened) {
    malformed(s.connection, s.id,
              std::string("QM3 does not decrypt: ") + protection_error_name(opened.error));
    return;
  }
  const auto framed = split_hash_payload(m.header.next_payload, opened.value->plaintext);
  if (!framed || !hash_matches(framed->hash, quick_mode_hash3(s.suite->hash, s.skeyid_a.view(), mid,
                                                              qm.nonce_i, qm.nonce_r))) {
    malformed(s.connection, s.id, "Quick Mode HASH(3) does not verify");
    return;
  }
  if (refuse_by_payload_rules(s, Ikev1Message::QM3, true, opened.value->payloads)) return;
  follow_peer_address(s);
  s.last_received = now;
  qm.done = true;
  qm.forget_at = now + retransmit_total(shared_.options);
  qm.tx.waiting = false;
  qm.tx.retransmit_at.reset();
  qm.tx.answered.assign(raw.begin(), raw.end());
  qm.tx.last_sent.clear();  // a copy of QM3 needs no answer
  qm.ke.reset();
  qm.pfs_secret.reset();
  if (!qm.installed) return;
  ChildSa* fresh = child(*qm.installed);
  if (!fresh) return;
  if (fresh->activation_pending) {
    fresh->activation_pending = false;
    shared_.actions.emplace_back(ActivateChildSa{fresh->id});
  }
  // The peer deletes the old pair (Delete); until then, and at worst until it expires, it still
  // decrypts.
  if (qm.rekey_of) settle_rekey(s, *qm.rekey_of, fresh->id, false, now);
}

ChildSa& Ikev1Engine::install(IsakmpSa& s, QuickMode& qm, bool route_outbound, TimePoint now) {
  const ChildSettings* cs = child_settings(s.connection, qm.child);
  ChildSa c;
  c.id = shared_.next_child_sa_id++;
  c.ike_sa = s.id;
  c.connection = s.connection;
  c.child = qm.child;
  c.protocol = cs->protocol;
  c.mode = is_transport(qm.choice->mode) ? ipsec::Mode::Transport : ipsec::Mode::Tunnel;
  c.inbound_spi = qm.our_spi;
  c.outbound_spi = qm.peer_spi;
  c.algorithms = qm.choice->algorithms;
  c.local_ts = qm.local_ts;
  c.remote_ts = qm.remote_ts;
  c.selectors = to_ipsec_selectors(qm.local_ts, qm.remote_ts);
  c.udp_encapsulated = (s.nat_local || s.nat_remote || is_udp_encapsulated(qm.choice->mode)) &&
                       cs->protocol == ipsec::IpsecProtocol::Esp;
  c.nonce_i = qm.nonce_i;
  c.nonce_r = qm.nonce_r;
  c.created_by_us = qm.initiator;
  c.created = now;
  if (qm.lifetime.count() > 0) {
    c.expire_at = now + qm.lifetime;
    // The Quick Mode initiator rekeys first; the responder only if the initiator has not, later.
    c.rekey_at = now + (qm.initiator ? std::chrono::duration_cast<Duration>(rekey_delay(qm.lifetime, 0.9))
                                     : std::chrono::duration_cast<Duration>(rekey_delay(qm.lifetime, 0.96)));
  }
  c.activation_pending = !route_outbound;

  // KEYMAT per direction (RFC 2409 §5.5): each SA's keys come from the SPI its receiver chose.
  const std::uint32_t spi_i = qm.initiator ? qm.our_spi : qm.peer_spi;
  const std::uint32_t spi_r = qm.initiator ? qm.peer_spi : qm.our_spi;
  const std::optional<ByteView> pfs =
      qm.pfs_secret ? std::optional<ByteView>(qm.pfs_secret->view()) : std::nullopt;
  const std::size_t enc = c.algorithms.encryption_key_length(), integ = c.algorithms.integrity_key_length();
  const auto i_to_r =
      derive_phase2_sa_keys(s.suite->hash, s.skeyid_d.view(), pfs, keymat_protocol(c.protocol), spi_r,
                            qm.nonce_i, qm.nonce_r, enc, integ);
  const auto r_to_i =
      derive_phase2_sa_keys(s.suite->hash, s.skeyid_d.view(), pfs, keymat_protocol(c.protocol), spi_i,
                            qm.nonce_i, qm.nonce_r, enc, integ);
  ChildSaKeys keys;
  keys.encryption_i = i_to_r.encryption;
  keys.integrity_i = i_to_r.integrity;
  keys.encryption_r = r_to_i.encryption;
  keys.integrity_r = r_to_i.integrity;

  ChildSaParameterInput input;
  input.child = &c;
  input.keys = &keys;
  input.we_initiated_exchange = qm.initiator;
  input.local_address = s.local.address;
  input.remote_address = s.remote.address;
  if (c.udp_encapsulated)
    input.udp_encapsulation = ipsec::UdpEncapsulation{isakmp::kNatTraversalPort, s.remote.port};
  input.life_bytes = qm.life_bytes;
  input.life_packets = cs->life_packets;
  input.replay_window = cs->replay_window;
  ChildSaParameters params = build_child_sa_parameters(input);

  if (shared_.options.retain_keys_for_export) c.retained_for_export = params;
  shared_.actions.emplace_back(install_child_action(c, std::move(params), qm.rekey_of, route_outbound));
  const std::string detail =
      c.child + " SPIs " + to_hex(spi_bytes(c.inbound_spi)) + "_i " + to_hex(spi_bytes(c.outbound_spi)) +
      "_o, " + c.algorithms.to_string() + (c.algorithms.pfs_group ? " (Quick Mode PFS)" : "") + ", " +
      (c.mode == ipsec::Mode::Transport ? "transport" : "tunnel") + (c.udp_encapsulated ? " in UDP" : "") +
      ", lifetime " + std::to_string(qm.lifetime.count()) + " s" +
      (qm.life_bytes ? ", " + std::to_string(qm.life_bytes / 1024) + " KiB" : "");
  if (qm.rekey_of) {
    ++shared_.counters.child_sas_rekeyed;
    event(EventType::ChildSaRekeyed, c.connection, s.id, c.id, "Quick Mode rekey: " + detail);
  } else {
    ++shared_.counters.child_sas_established;
    event(EventType::ChildSaEstablished, c.connection, s.id, c.id, "Quick Mode: " + detail);
  }
  negotiating_.erase({c.connection, c.child});
  auto [it, inserted] = children_.emplace(c.id, std::move(c));
  return it->second;
}

void Ikev1Engine::quick_mode_failed(IsakmpSa& s, std::uint32_t mid, EventType type, const std::string& detail,
                                    TimePoint now) {
  auto it = s.quick_modes.find(mid);
  if (it == s.quick_modes.end()) return;
  QuickMode& qm = it->second;
  if (type == EventType::NoProposalChosen) ++shared_.counters.no_proposal_chosen;
  if (qm.installed && !qm.done) remove_child(*qm.installed, false, "Quick Mode failed");
  if (qm.rekey_of)
    if (ChildSa* old = child(*qm.rekey_of)) {
      old->rekey_requested = false;  // try again a little later, while it still lives
      old->rekey_at = now + Seconds(10);
    }
  negotiating_.erase({s.connection, qm.child});
  event(type, s.connection, s.id, std::nullopt, detail);
  s.quick_modes.erase(it);
}

}  // namespace cygnet::ike::v1
