// Informational exchanges (RFC 2408 §4.8, RFC 2409 §5.7): one protected message, no answer,
//   HDR*, HASH(1), N/D
// carrying Delete payloads, notifications (INITIAL-CONTACT, errors) and dead peer detection
// (RFC 3706: R-U-THERE / R-U-THERE-ACK with a sequence number). Before phase 1 has keys, only a
// cleartext error notification about our own half-open SA is believed.
#include <algorithm>

#include "ike/retransmission.hpp"
#include "ike/v1/ikev1_engine.hpp"

namespace cygnet::ike::v1 {

namespace {

std::optional<std::uint32_t> read_u32(ByteView b) {
  if (b.size() != 4) return std::nullopt;
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
}

Bytes u32_bytes(std::uint32_t v) {
  return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
          static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}

}  // namespace

void Ikev1Engine::send_informational(IsakmpSa& s, std::vector<isakmp::Payload> payloads) {
  if (!s.suite || !s.protection) return;
  shared_.counters.exchanges.count(ExchangeKind::InformationalV1, ExchangeRole::Initiator);
  // Before phase 1 completes the IV base is the phase-1 chain as it stands (a notification
  // about a failed authentication); after, the chain's final value.
  const Bytes& base = s.established() ? s.phase1_last_iv : s.iv;
  if (base.empty()) return;
  std::uint32_t mid = 0;
  while (mid == 0) mid = shared_.random.next_u32();
  const Bytes hash =
      informational_hash(s.suite->hash, s.skeyid_a.view(), mid, isakmp::encode_payload_chain(payloads).bytes);
  std::vector<isakmp::Payload> all;
  all.emplace_back(isakmp::HashPayload{hash});
  for (auto& p : payloads) all.push_back(std::move(p));
  Bytes iv = phase2_iv(s.suite->hash, base, mid, crypto::cbc_block_size(s.suite->cipher));
  const Bytes message = encrypt_message(s, header(s, isakmp::ExchangeType::Informational, mid), all, iv);
  emit(s.local, s.remote, message);
}

void Ikev1Engine::send_delete_children(IsakmpSa& s, const std::vector<ChildSa*>& children) {
  isakmp::DeletePayload esp{isakmp::kDoiIpsec, isakmp::ProtocolId::Esp, 4, {}};
  isakmp::DeletePayload ah{isakmp::kDoiIpsec, isakmp::ProtocolId::Ah, 4, {}};
  for (const ChildSa* c : children) {
    // Our inbound SPI: the peer knows it as the SPI of its outbound SA.
    auto& d = c->protocol == ipsec::IpsecProtocol::Ah ? ah : esp;
    if (d.spis.size() < isakmp::kMaxSpis) d.spis.push_back(u32_bytes(c->inbound_spi));
  }
  std::vector<isakmp::Payload> payloads;
  if (!esp.spis.empty()) payloads.emplace_back(std::move(esp));
  if (!ah.spis.empty()) payloads.emplace_back(std::move(ah));
  if (!payloads.empty()) send_informational(s, std::move(payloads));
}

void Ikev1Engine::send_delete_isakmp(IsakmpSa& s) {
  if (!s.established()) return;
  isakmp::DeletePayload d{isakmp::kDoiIpsec,
                          isakmp::ProtocolId::Isakmp,
                          static_cast<std::uint8_t>(isakmp::kIsakmpSpiLength),
                          {isakmp::isakmp_spi(header(s, isakmp::ExchangeType::Informational, 0))}};
  send_informational(s, {d});
  s.deleting = true;
}

void Ikev1Engine::send_dpd(IsakmpSa& s, TimePoint now) {
  if (s.dpd_sequence == 0)
    s.dpd_sequence = shared_.random.next_u32() & 0x7fffffffu;  // RFC 3706 §7: random start
  ++s.dpd_sequence;
  isakmp::NotificationPayload n;
  n.protocol = isakmp::ProtocolId::Isakmp;
  n.type = isakmp::NotifyType::RUThere;
  n.spi = isakmp::isakmp_spi(header(s, isakmp::ExchangeType::Informational, 0));
  n.data = u32_bytes(s.dpd_sequence);
  send_informational(s, {n});
  s.dpd_outstanding = s.dpd_sequence;
  s.dpd_retry_at = now + retransmit_delay(shared_.options, s.dpd_retries);
}

void Ikev1Engine::handle_initial_contact(IsakmpSa& s) {
  // RFC 2407 §4.6.3.3: the peer has no SAs with us but this one; every older one is stale.
  std::vector<IkeSaId> stale;
  for (auto& [id, o] : sas_)
    if (id != s.id && o->connection == s.connection && o->remote.address == s.remote.address)
      stale.push_back(id);
  std::vector<ChildSaId> stale_children;
  for (auto& [cid, c] : children_)
    if (c.connection == s.connection && c.ike_sa != s.id) {
      IsakmpSa* owner = sa(c.ike_sa);
      if (!owner || owner->remote.address == s.remote.address) stale_children.push_back(cid);
    }
  if (stale.empty() && stale_children.empty()) return;
  event(EventType::InitialContact, s.connection, s.id, std::nullopt,
        "INITIAL-CONTACT from " + s.remote.to_string() + ": " + std::to_string(stale.size()) +
            " older ISAKMP SA(s) and " + std::to_string(stale_children.size()) + " IPsec SA pair(s) removed");
  for (ChildSaId c : stale_children) remove_child(c, true, "peer restarted (INITIAL-CONTACT)");
  for (IkeSaId id : stale) remove_sa(id, std::nullopt, "", false);
}

void Ikev1Engine::on_informational(IsakmpSa& s, const isakmp::Message& m, TimePoint now) {
  shared_.counters.exchanges.count(ExchangeKind::InformationalV1, ExchangeRole::Responder);
  if (!m.header.encrypted()) {
    if (refuse_by_payload_rules(s, Ikev1Message::Informational, false, m.payloads)) return;
    // Only a refusal of our own half-open phase 1 is believed without protection.
    const auto* n = isakmp::find_payload<isakmp::NotificationPayload>(m.payloads);
    if (s.established() || !s.initiator || !n || !isakmp::is_error_notify(n->type)) {
      malformed(s.connection, s.id, "unprotected informational ignored");
      return;
    }
    const EventType type = n->type == isakmp::NotifyType::NoProposalChosen ? EventType::NoProposalChosen
                           : n->type == isakmp::NotifyType::AuthenticationFailed ||
                                   n->type == isakmp::NotifyType::InvalidHashInformation
                               ? EventType::AuthenticationFailed
                               : EventType::Error;
    phase1_failed(s, type, std::string("peer refused phase 1: ") + isakmp::notify_name(n->type),
                  std::nullopt);
    return;
  }
  if (!s.suite || !s.protection || s.skeyid_a.empty()) return;  // no keys yet: cannot authenticate it
  const bool in_phase1 = !s.established();
  const std::uint32_t mid = m.header.message_id;
  if (mid == 0 || s.seen_message_ids.contains(mid)) {
    ++shared_.counters.duplicate_requests;
    return;
  }
  Bytes iv = phase2_iv(s.suite->hash, in_phase1 ? s.iv : s.phase1_last_iv, mid,
                       crypto::cbc_block_size(s.suite->cipher));
  auto opened = s.protection->unprotect(m, iv);
  if (!opened) {
    malformed(s.connection, s.id,
              std::string("informational does not decrypt: ") + protection_error_name(opened.error));
    return;
  }
  const auto framed = split_hash_payload(m.header.next_payload, opened.value->plaintext);
  if (!framed || !hash_matches(framed->hash, informational_hash(s.suite->hash, s.skeyid_a.view(), mid,
                                                                framed->after_hash))) {
    malformed(s.connection, s.id, "informational HASH does not verify");
    return;
  }
  if (refuse_by_payload_rules(s, Ikev1Message::Informational, true, opened.value->payloads)) return;
  follow_peer_address(s);
  if (s.seen_message_ids.size() >= kMaxSeenMessageIds) s.seen_message_ids.erase(s.seen_message_ids.begin());
  s.seen_message_ids.insert(mid);
  s.last_received = now;
  const IkeSaId id = s.id;
  if (in_phase1) {
    // A protected error during phase 1: the peer refused our authentication (or something else).
    const auto* n = isakmp::find_payload<isakmp::NotificationPayload>(opened.value->payloads);
    if (n && isakmp::is_error_notify(n->type)) {
      const bool auth = n->type == isakmp::NotifyType::AuthenticationFailed ||
                        n->type == isakmp::NotifyType::InvalidHashInformation ||
                        n->type == isakmp::NotifyType::InvalidSignature ||
                        n->type == isakmp::NotifyType::InvalidIdInformation;
      if (auth) ++shared_.counters.authentication_failures;
      remove_sa(id, auth ? EventType::AuthenticationFailed : EventType::Error,
                std::string("peer refused phase 1: ") + isakmp::notify_name(n->type), false);
    }
    return;
  }
  const Bytes our_spi = isakmp::isakmp_spi(header(s, isakmp::ExchangeType::Informational, 0));
  for (const auto& p : opened.value->payloads) {
    if (!sa(id)) return;
    if (const auto* n = std::get_if<isakmp::NotificationPayload>(&p)) {
      if (n->type == isakmp::NotifyType::RUThere) {
        isakmp::NotificationPayload ack = *n;
        ack.type = isakmp::NotifyType::RUThereAck;
        ack.spi = our_spi;
        send_informational(s, {ack});
      } else if (n->type == isakmp::NotifyType::RUThereAck) {
        if (s.dpd_outstanding && read_u32(n->data) == s.dpd_outstanding) {
          s.dpd_outstanding.reset();
          s.dpd_retry_at.reset();
          s.dpd_retries = 0;
        }
      } else if (n->type == isakmp::NotifyType::InitialContact) {
        handle_initial_contact(s);
      } else if (isakmp::is_error_notify(n->type)) {
        // An error about one of our Quick Modes names the SPI we offered.
        std::optional<std::uint32_t> failed;
        for (auto& [qmid, qm] : s.quick_modes)
          if (qm.initiator && !qm.done && read_u32(n->spi) == qm.our_spi) failed = qmid;
        const EventType type = n->type == isakmp::NotifyType::NoProposalChosen ? EventType::NoProposalChosen
                               : n->type == isakmp::NotifyType::InvalidIdInformation
                                   ? EventType::TsUnacceptable
                                   : EventType::Error;
        const std::string detail = std::string("peer refused: ") + isakmp::notify_name(n->type);
        if (failed)
          quick_mode_failed(s, *failed, type, detail, now);
        else
          event(type, s.connection, s.id, std::nullopt, detail);
      }
    } else if (const auto* d = std::get_if<isakmp::DeletePayload>(&p)) {
      if (d->protocol == isakmp::ProtocolId::Isakmp) {
        for (const auto& spi : d->spis)
          if (spi == our_spi) {
            // IKEv1 IPsec SAs outlive their ISAKMP SA; a newer phase-1 SA (if any) manages them.
            // Replaced by a newer phase 1 (reauthentication): the expected end, not news.
            remove_sa(id, s.replaced_by ? std::nullopt : std::optional<EventType>(EventType::IkeSaDeleted),
                      "deleted by peer", false);
            return;
          }
      } else if (d->protocol == isakmp::ProtocolId::Esp || d->protocol == isakmp::ProtocolId::Ah) {
        const auto protocol =
            d->protocol == isakmp::ProtocolId::Ah ? ipsec::IpsecProtocol::Ah : ipsec::IpsecProtocol::Esp;
        for (const auto& spi : d->spis) {
          const auto value = read_u32(spi);
          if (!value) continue;
          ChildSa* victim = nullptr;
          for (auto& [cid, c] : children_)
            if (c.connection == s.connection && c.protocol == protocol && c.outbound_spi == *value)
              victim = &c;
          if (!victim) continue;
          // After a rekey the peer deletes the old pair; packets it sent on it may still be on the
          // way (or the Delete overtook QM3): the old inbound SA lives on for the grace period,
          // and the new pair, which the peer evidently has, carries our traffic from now on.
          QuickMode* rekeying = nullptr;
          for (auto& [qmid, qm] : s.quick_modes)
            if (!qm.initiator && qm.rekey_of == victim->id && qm.installed) rekeying = &qm;
          if (rekeying)
            if (ChildSa* fresh = child(*rekeying->installed); fresh && fresh->activation_pending) {
              fresh->activation_pending = false;
              shared_.actions.emplace_back(ActivateChildSa{fresh->id});
            }
          if (victim->state == ChildSaState::Rekeyed || victim->replaced_by || rekeying) {
            victim->state = ChildSaState::Rekeyed;
            victim->rekey_at.reset();
            if (!victim->remove_at) victim->remove_at = now + shared_.options.old_sa_grace;
          } else {
            remove_child(victim->id, true, "deleted by peer");
          }
        }
      }
    }
  }
}

}  // namespace cygnet::ike::v1
