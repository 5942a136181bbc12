// The IKEv1 engine's API, datagram routing, transmission bookkeeping, SA tables, timers and status.
#include "ike/v1/ikev1_engine.hpp"

#include <algorithm>

#include "base/bytes.hpp"
#include "ike/retransmission.hpp"

namespace cygnet::ike::v1 {

namespace {

constexpr std::size_t kNonEspMarker = 4;
// Copies of a message we answered, re-answered at most this often (no amplification, catalog row 12).
constexpr unsigned kMaxDuplicateAnswers = 16;

Duration rekey_after(Seconds lifetime, double fraction, double jitter, RandomSource& random) {
  const double l = static_cast<double>(std::chrono::duration_cast<Milliseconds>(lifetime).count());
  const double at = l * fraction - l * jitter * random.next_unit();
  return Milliseconds(static_cast<std::int64_t>(std::max(at, 1000.0)));
}

std::string spi_hex(std::uint32_t spi) {
  const std::uint8_t b[4] = {static_cast<std::uint8_t>(spi >> 24), static_cast<std::uint8_t>(spi >> 16),
                             static_cast<std::uint8_t>(spi >> 8), static_cast<std::uint8_t>(spi)};
  return to_hex(ByteView(b, 4));
}

void earliest(std::optional<TimePoint>& best, std::optional<TimePoint> t) {
  if (t && (!best || *t < *best)) best = t;
}

}  // namespace

std::optional<std::string> unusable_connection(const ConnectionSettings& s) {
  if (phase1_expressible(s.ike_proposals).empty())
    return "IKEv1 phase 1 needs a CBC cipher (aes128/aes192/aes256, or 3des with allow_legacy) with a PRF "
           "and a "
           "group; AEAD proposals cannot be used in IKEv1";
  if (!phase1_auth_method(s)) return "IKEv1 signs with RSA or ECDSA keys only";
  for (const auto& c : s.children) {
    if (!phase2_expressible(c.proposals)) return "child " + c.name + " has no proposal IKEv1 can express";
    if (c.local_ts.size() > 1 || c.remote_ts.size() > 1)
      return "child " + c.name +
             ": IKEv1 Quick Mode negotiates one subnet per side (use one child per subnet)";
  }
  return std::nullopt;
}

Ikev1Engine::Ikev1Engine(SharedState& shared)
    : shared_(shared),
      half_open_(shared.options.ikev1_max_half_open, shared.options.ikev1_max_half_open_per_source) {}
Ikev1Engine::~Ikev1Engine() = default;

// --- configuration and operator ---

void Ikev1Engine::add_connection(ConnectionSettings settings, TimePoint) {
  connections_.push_back(std::move(settings));
}

bool Ikev1Engine::has_connection(std::string_view name) const {
  return connection(name) != nullptr;
}

std::vector<std::string> Ikev1Engine::connection_names() const {
  std::vector<std::string> out;
  for (const auto& c : connections_) out.push_back(c.name);
  return out;
}

bool Ikev1Engine::remove_connection(std::string_view name, TimePoint now) {
  if (!connection(name)) return false;
  const std::string n(name);
  bring_down(n, now);
  std::erase_if(connections_, [&n](const ConnectionSettings& c) { return c.name == n; });
  return true;
}

bool Ikev1Engine::up(std::string_view name, TimePoint now) {
  const ConnectionSettings* conn = connection(name);
  if (!conn) return false;
  std::vector<std::string> wanted;
  for (const auto& c : conn->children)
    if (!child_is_up(conn->name, c.name) && !negotiating_.contains({conn->name, c.name}))
      wanted.push_back(c.name);
  if (IsakmpSa* sa = established_sa_for(conn->name)) {
    for (const auto& c : wanted) start_quick_mode(*sa, c, std::nullopt, now);
    return true;
  }
  for (auto& [id, sa] : sas_)
    if (sa->connection == conn->name && sa->initiator && !sa->deleting) {
      for (const auto& c : wanted)
        if (std::find(sa->pending_children.begin(), sa->pending_children.end(), c) ==
            sa->pending_children.end())
          sa->pending_children.push_back(c);
      return true;
    }
  initiate(*conn, wanted, now);
  return true;
}

bool Ikev1Engine::down(std::string_view name, TimePoint now) {
  if (!connection(name)) return false;
  bring_down(std::string(name), now);
  return true;
}

void Ikev1Engine::on_acquire(std::string_view conn_name, std::string_view child_name, TimePoint now) {
  const ConnectionSettings* conn = connection(conn_name);
  if (!conn || !child_settings(conn_name, child_name) || conn->remote_addrs.empty()) return;
  const std::string c(child_name);
  if (child_is_up(conn->name, c) || negotiating_.contains({conn->name, c})) return;
  if (IsakmpSa* sa = established_sa_for(conn->name)) {
    start_quick_mode(*sa, c, std::nullopt, now);
    return;
  }
  for (auto& [id, sa] : sas_)
    if (sa->connection == conn->name && sa->initiator && !sa->deleting) {
      if (std::find(sa->pending_children.begin(), sa->pending_children.end(), c) ==
          sa->pending_children.end())
        sa->pending_children.push_back(c);
      negotiating_.insert({conn->name, c});
      return;
    }
  initiate(*conn, {c}, now);
}

void Ikev1Engine::initiate(const ConnectionSettings& conn, std::vector<std::string> children, TimePoint now) {
  if (conn.remote_addrs.empty()) {
    event(EventType::Error, conn.name, std::nullopt, std::nullopt,
          "cannot initiate: remote_addrs is empty (responder only)");
    return;
  }
  IsakmpSa& sa = create_sa(conn, true, now);
  for (const auto& c : children) negotiating_.insert({conn.name, c});
  sa.pending_children = std::move(children);
  start_phase1(sa, now);
}

void Ikev1Engine::bring_down(const std::string& name, TimePoint now) {
  (void)now;
  // IKEv1 has no request window: each Delete is a one-shot Informational. Every IPsec SA of the
  // connection is named in one, sent under its own ISAKMP SA while that one is usable, otherwise
  // under the connection's current one: IPsec SAs outlive the ISAKMP SA that made them (RFC
  // 2409), e.g. across a phase-1 rekey, and the peer must hear of them all.
  IsakmpSa* current = established_sa_for(name);
  std::map<IkeSaId, std::vector<ChildSa*>> deletes;
  for (auto& [cid, c] : children_) {
    if (c.connection != name) continue;
    IsakmpSa* own = sa(c.ike_sa);
    IsakmpSa* via = own && own->established() && !own->deleting ? own : current;
    if (via) deletes[via->id].push_back(&c);
  }
  for (auto& [id, mine] : deletes) send_delete_children(*sa(id), mine);
  std::vector<IkeSaId> ids;
  for (auto& [id, sa] : sas_)
    if (sa->connection == name) ids.push_back(id);
  for (IkeSaId id : ids) {
    IsakmpSa* s = sa(id);
    if (!s) continue;
    if (s->established() && !s->deleting) send_delete_isakmp(*s);
    remove_sa(id, EventType::IkeSaDeleted, "deleted by operator", true);
  }
  // Children whose ISAKMP SA is already gone (they outlive it in IKEv1).
  std::vector<ChildSaId> orphans;
  for (auto& [cid, c] : children_)
    if (c.connection == name) orphans.push_back(cid);
  for (ChildSaId c : orphans) remove_child(c, true, "deleted by operator");
  std::erase_if(negotiating_, [&](const auto& p) { return p.first == name; });
}

// --- tables ---

const ConnectionSettings* Ikev1Engine::connection(std::string_view name) const {
  for (const auto& c : connections_)
    if (c.name == name) return &c;
  return nullptr;
}

const ChildSettings* Ikev1Engine::child_settings(std::string_view conn, std::string_view child) const {
  const ConnectionSettings* c = connection(conn);
  if (!c) return nullptr;
  for (const auto& ch : c->children)
    if (ch.name == child) return &ch;
  return nullptr;
}

IsakmpSa* Ikev1Engine::sa(IkeSaId id) {
  auto it = sas_.find(id);
  return it == sas_.end() ? nullptr : it->second.get();
}

IsakmpSa* Ikev1Engine::sa_by_cookies(std::uint64_t cky_i, std::uint64_t cky_r, const Endpoint& remote) {
  // Ours as responder: cky_r is our cookie; as initiator: cky_i (cky_r may still be unknown).
  if (cky_r != 0)
    if (auto it = by_cookie_.find(cky_r); it != by_cookie_.end())
      if (IsakmpSa* s = sa(it->second); s && !s->initiator && s->cky_i == cky_i) return s;
  if (auto it = by_cookie_.find(cky_i); it != by_cookie_.end())
    if (IsakmpSa* s = sa(it->second); s && s->initiator && (s->cky_r == cky_r || s->cky_r == 0)) return s;
  if (cky_r == 0) {  // a repeated first message: the half-open responder SA for it
    const auto [begin, end] = responders_by_cky_i_.equal_range(cky_i);
    for (auto it = begin; it != end; ++it)
      if (IsakmpSa* s = sa(it->second); s && s->remote.address == remote.address) return s;
  }
  return nullptr;
}

IsakmpSa* Ikev1Engine::established_sa_for(std::string_view conn) {
  IsakmpSa* best = nullptr;
  for (auto& [id, s] : sas_)
    if (s->connection == conn && s->established() && !s->deleting && !s->replaced_by) best = s.get();
  return best;  // the newest (IDs grow)
}

IsakmpSa& Ikev1Engine::create_sa(const ConnectionSettings& conn, bool initiator, TimePoint now) {
  auto s = std::make_unique<IsakmpSa>();
  s->id = shared_.next_ike_sa_id++;
  s->connection = conn.name;
  s->initiator = initiator;
  s->aggressive = conn.aggressive;
  s->created = now;
  s->last_received = now;
  // A responder keeps a half-open SA only so long; an initiator gives up by its retransmissions.
  if (!initiator) s->half_open_expire = now + shared_.options.half_open_timeout;
  std::uint64_t cookie = 0;
  while (cookie == 0 || by_cookie_.contains(cookie)) cookie = shared_.random.next_u64();
  (initiator ? s->cky_i : s->cky_r) = cookie;
  by_cookie_[cookie] = s->id;
  IsakmpSa& ref = *s;
  sas_.emplace(s->id, std::move(s));
  return ref;
}

void Ikev1Engine::remove_sa(IkeSaId id, std::optional<EventType> ev, const std::string& detail,
                            bool remove_children) {
  auto it = sas_.find(id);
  if (it == sas_.end()) return;
  IsakmpSa& s = *it->second;
  // Quick Modes that never finished: a responder may have installed an SA at QM2.
  for (auto& [mid, qm] : s.quick_modes) {
    if (qm.installed && !qm.done) remove_child(*qm.installed, false, "Quick Mode unfinished");
    negotiating_.erase({s.connection, qm.child});
  }
  for (const auto& c : s.pending_children) negotiating_.erase({s.connection, c});
  if (remove_children) {
    std::vector<ChildSaId> mine;
    for (auto& [cid, c] : children_)
      if (c.ike_sa == id) mine.push_back(cid);
    for (ChildSaId c : mine) remove_child(c, true, detail);
  }
  if (ev) event(*ev, s.connection, s.id, std::nullopt, detail);
  release_half_open(s);
  if (!s.initiator)
    for (auto [at, end] = responders_by_cky_i_.equal_range(s.cky_i); at != end; ++at)
      if (at->second == id) {
        responders_by_cky_i_.erase(at);
        break;
      }
  by_cookie_.erase(s.our_cookie());
  sas_.erase(it);
}

void Ikev1Engine::release_half_open(IsakmpSa& s) {
  if (!s.half_open_source) return;
  half_open_.remove(*s.half_open_source);
  s.half_open_source.reset();
}

bool Ikev1Engine::is_unverified(IkeSaId id) {
  const IsakmpSa* s = sa(id);
  return s && !s->initiator && s->step == Phase1Step::MainAnsweredSa;
}

void Ikev1Engine::remember_unverified(IkeSaId id) {
  unverified_.push_back(id);
  if (unverified_.size() > 2 * half_open_.total() + 64)
    std::erase_if(unverified_, [this](IkeSaId old) { return !is_unverified(old); });
}

bool Ikev1Engine::evict_oldest_unverified() {
  while (!unverified_.empty()) {
    const IkeSaId oldest = unverified_.front();
    unverified_.pop_front();
    if (!is_unverified(oldest)) continue;
    shared_.counters.refusals.count(RefusalReason::UnverifiedEvicted);
    remove_sa(oldest, std::nullopt, "", false);
    return true;
  }
  return false;
}

bool Ikev1Engine::child_is_up(std::string_view conn, std::string_view child) const {
  for (const auto& [id, c] : children_)
    if (c.connection == conn && c.child == child && c.state == ChildSaState::Installed) return true;
  return false;
}

ChildSa* Ikev1Engine::child(ChildSaId id) {
  auto it = children_.find(id);
  return it == children_.end() ? nullptr : &it->second;
}

bool Ikev1Engine::owns_child(ChildSaId id) const {
  return children_.contains(id);
}

void Ikev1Engine::remove_child(ChildSaId id, bool emit_event, const std::string& detail) {
  auto it = children_.find(id);
  if (it == children_.end()) return;
  ChildSa& c = it->second;
  shared_.actions.emplace_back(RemoveChildSa{c.id, c.connection, c.child});
  if (emit_event && c.state != ChildSaState::Rekeyed)
    event(EventType::ChildSaDeleted, c.connection, c.ike_sa, c.id,
          c.child + " SPIs " + spi_hex(c.inbound_spi) + "_i " + spi_hex(c.outbound_spi) + "_o: " + detail);
  children_.erase(it);
}

void Ikev1Engine::schedule_phase1_lifetime(IsakmpSa& s, TimePoint now) {
  const ConnectionSettings* conn = connection(s.connection);
  Seconds life = conn ? conn->ike_lifetime : Seconds(28800);
  if (s.suite && s.suite->lifetime && *s.suite->lifetime < life) life = *s.suite->lifetime;
  if (life.count() <= 0) return;
  s.expire_at = now + life;
  // IKEv1 has no in-place rekey: phase 1 is run again before expiry, by whichever side can
  // initiate — the original initiator first (90 %), the responder only if it has not (95 %), which
  // also covers a responder whose own lifetime is the shorter one.
  if (conn && !conn->remote_addrs.empty())
    s.rekey_at =
        now + rekey_after(life, s.initiator ? 0.9 : 0.95, shared_.options.rekey_jitter, shared_.random);
}

void Ikev1Engine::phase1_established(IsakmpSa& s, TimePoint now) {
  s.step = Phase1Step::Established;
  s.established_at = now;
  s.half_open_expire.reset();
  release_half_open(s);
  s.phase1_last_iv = s.iv;
  ++shared_.counters.ike_sas_established;
  shared_.counters.handshake_latency.observe(now - s.created);
  schedule_phase1_lifetime(s, now);
  event(EventType::IkeSaEstablished, s.connection, s.id, std::nullopt,
        std::string("ISAKMP SA established (") + (s.aggressive ? "Aggressive Mode" : "Main Mode") + ") " +
            s.local.to_string() + " - " + s.remote.to_string() + " (" +
            (s.remote_id ? s.remote_id->to_string() : std::string("?")) + "), " +
            (s.suite ? s.suite->to_string() : std::string()) + ", " +
            (s.suite ? phase1_auth_method_name(s.suite->auth) : "") +
            (s.nat_local || s.nat_remote ? ", NAT detected: UDP encapsulation" : ""));
  adopt_children(s);
  // Older phase-1 SAs of this connection with this peer: replaced (reauthentication).
  std::vector<IkeSaId> older;
  for (auto& [id, o] : sas_)
    if (id != s.id && o->connection == s.connection && o->remote.address == s.remote.address &&
        o->established() && !o->deleting && !o->replaced_by)
      older.push_back(id);
  for (IkeSaId id : older) {
    IsakmpSa* o = sa(id);
    o->replaced_by = s.id;
    ++shared_.counters.ike_sas_rekeyed;
    if (s.initiator) {
      // We ran phase 1 again to replace it: tell the peer and forget it.
      event(EventType::IkeSaRekeyed, s.connection, s.id, std::nullopt,
            "ISAKMP SA #" + std::to_string(id) + " replaced by a new phase 1 (its IPsec SAs moved to it)");
      send_delete_isakmp(*o);
      remove_sa(id, std::nullopt, "", false);
    } else {
      // The peer ran phase 1 again: it deletes the old one (or it expires quietly).
      event(EventType::IkeSaRekeyed, s.connection, s.id, std::nullopt,
            "ISAKMP SA #" + std::to_string(id) +
                " replaced by the peer's new phase 1 (its IPsec SAs moved to it)");
    }
  }
  for (const auto& c : s.pending_children) start_quick_mode(s, c, std::nullopt, now);
  s.pending_children.clear();
}

void Ikev1Engine::adopt_children(IsakmpSa& s) {
  for (auto& [cid, c] : children_)
    if (c.connection == s.connection && c.ike_sa != s.id) {
      IsakmpSa* owner = sa(c.ike_sa);
      if (!owner || owner->remote.address == s.remote.address) c.ike_sa = s.id;
    }
}

Bytes Ikev1Engine::random_bytes(std::size_t n) const {
  Bytes b(n);
  shared_.random.fill(b);
  return b;
}

Duration Ikev1Engine::rekey_delay(Seconds lifetime, double fraction) {
  return rekey_after(lifetime, fraction, shared_.options.rekey_jitter, shared_.random);
}

// --- sending ---

void Ikev1Engine::emit(const Endpoint& local, const Endpoint& remote, ByteView message) {
  Bytes payload;
  if (local.port == isakmp::kNatTraversalPort) payload.assign(kNonEspMarker, 0);
  payload.insert(payload.end(), message.begin(), message.end());
  shared_.actions.emplace_back(SendDatagram{local, remote, std::move(payload)});
  ++shared_.counters.datagrams_sent;
}

void Ikev1Engine::transmit(IsakmpSa& s, ExchangeTransmission& tx, Bytes message, bool waiting,
                           TimePoint now) {
  emit(s.local, s.remote, message);
  tx.last_sent = std::move(message);
  tx.waiting = waiting;
  tx.retransmissions = 0;
  tx.retransmit_at =
      waiting ? std::optional<TimePoint>(now + retransmit_delay(shared_.options, 0)) : std::nullopt;
}

void Ikev1Engine::retransmit(IsakmpSa& s, ExchangeTransmission& tx, TimePoint now) {
  emit(s.local, s.remote, tx.last_sent);
  ++shared_.counters.retransmissions;
  ++tx.retransmissions;
  tx.retransmit_at = now + retransmit_delay(shared_.options, tx.retransmissions);
}

bool Ikev1Engine::answer_repeat(IsakmpSa& s, ExchangeTransmission& tx, ByteView raw) {
  if (tx.answered.empty() || !std::equal(tx.answered.begin(), tx.answered.end(), raw.begin(), raw.end()))
    return false;
  ++shared_.counters.duplicate_requests;
  if (!s.initiator && (s.step == Phase1Step::MainAnsweredSa || s.step == Phase1Step::AggressiveAnsweredSa)) {
    // The source has not returned our cookie yet: it may be spoofed, so we must not amplify.
    s.unverified_bytes_in += raw.size();
    if (tx.duplicate_answers >= kMaxUnverifiedRepeatAnswers ||
        s.unverified_bytes_out + tx.last_sent.size() > s.unverified_bytes_in) {
      shared_.counters.refusals.count(RefusalReason::RepeatBudget);
      return true;
    }
    ++tx.duplicate_answers;
    s.unverified_bytes_out += tx.last_sent.size();
    emit(s.local, s.remote, tx.last_sent);
    return true;
  }
  if (++tx.duplicate_answers <= kMaxDuplicateAnswers && !tx.last_sent.empty())
    emit(s.local, s.remote, tx.last_sent);
  return true;
}

isakmp::Header Ikev1Engine::header(const IsakmpSa& s, isakmp::ExchangeType exchange,
                                   std::uint32_t message_id) const {
  isakmp::Header h;
  h.initiator_cookie = s.cky_i;
  h.responder_cookie = s.cky_r;
  h.exchange = exchange;
  h.message_id = message_id;
  return h;
}

Bytes Ikev1Engine::encrypt_message(IsakmpSa& s, const isakmp::Header& h,
                                   const std::vector<isakmp::Payload>& payloads, Bytes& iv) {
  const auto chain = isakmp::encode_payload_chain(payloads);
  auto sealed = s.protection->protect(h, chain, iv);
  iv = std::move(sealed.next_iv);
  return std::move(sealed.datagram);
}

void Ikev1Engine::send_plain_notify(const Endpoint& local, const Endpoint& remote, std::uint64_t cky_i,
                                    std::uint64_t cky_r, isakmp::NotifyType type) {
  isakmp::Message m;
  m.header.initiator_cookie = cky_i;
  m.header.responder_cookie = cky_r;
  m.header.exchange = isakmp::ExchangeType::Informational;
  isakmp::NotificationPayload n;
  n.protocol = isakmp::ProtocolId::Isakmp;
  n.type = type;
  m.payloads.emplace_back(std::move(n));
  emit(local, remote, isakmp::serialize_message(m));
}

void Ikev1Engine::malformed(const std::string& conn, std::optional<IkeSaId> s, const std::string& detail) {
  ++shared_.counters.malformed;
  event(EventType::MalformedMessage, conn, s, std::nullopt, detail);
}

bool Ikev1Engine::refuse_by_payload_rules(IsakmpSa& s, Ikev1Message which, bool encrypted,
                                          const std::vector<isakmp::Payload>& payloads) {
  auto violation = check_ikev1_payloads(which, encrypted, payloads);
  if (!violation) return false;
  malformed(s.connection, s.id, violation->detail + " from " + s.remote.to_string());
  if (s.established()) {
    isakmp::NotificationPayload n;
    n.protocol = isakmp::ProtocolId::Isakmp;
    n.type = isakmp::NotifyType::PayloadMalformed;
    n.spi = isakmp::isakmp_spi(header(s, isakmp::ExchangeType::Informational, 0));
    send_informational(s, {n});
  }
  return true;
}

void Ikev1Engine::event(EventType type, const std::string& conn, std::optional<IkeSaId> s,
                        std::optional<ChildSaId> c, std::string detail) {
  shared_.failures.note_event(Event{type, conn, s, c, detail}, 1);
  if (const auto reason = failure_reason_of(type))
    ++shared_.counters.failures.by_reason[static_cast<std::size_t>(*reason)];
  shared_.actions.emplace_back(Event{type, conn, s, c, std::move(detail)});
}

void Ikev1Engine::peer_address_changed(const IsakmpSa& s, const Endpoint& now_at) {
  event(EventType::PeerAddressChanged, s.connection, s.id, std::nullopt,
        s.remote.to_string() + " -> " + now_at.to_string());
}

std::size_t Ikev1Engine::half_open_count() const {
  return half_open_.total();
}

// --- datagrams ---

void Ikev1Engine::on_datagram(const Endpoint& local, const Endpoint& remote, ByteView data, TimePoint now) {
  const auto parsed = isakmp::parse_message(data);
  if (!parsed) {
    malformed("", std::nullopt,
              "malformed ISAKMP message from " + remote.to_string() + ": " +
                  isakmp::parse_error_name(parsed.failure.error) + " " + parsed.failure.detail);
    return;
  }
  const isakmp::Message& m = *parsed.value;
  const isakmp::Header& h = m.header;
  const bool phase1 = h.exchange == isakmp::kMainMode || h.exchange == isakmp::ExchangeType::Aggressive;
  IsakmpSa* s = h.initiator_cookie ? sa_by_cookies(h.initiator_cookie, h.responder_cookie, remote) : nullptr;
  if (!s) {
    if (phase1 && h.responder_cookie == 0 && h.message_id == 0 && !h.encrypted() && h.initiator_cookie != 0) {
      respond_phase1_first(m, data, local, remote, now);
      return;
    }
    ++shared_.counters.unknown_spi;
    return;
  }
  // A peer behind a NAT may move to another address or port; the handlers follow it only once the
  // message is authenticated (follow_peer_address).
  arrival_ = Arrival{local, remote};
  struct ArrivalReset {
    std::optional<Arrival>& arrival;
    ~ArrivalReset() { arrival.reset(); }
  } arrival_reset{arrival_};
  // The payload rules (ikev1_payload_rules.hpp) are checked by each handler below before it acts:
  // an encrypted message's payloads can be read only once on_phase1 / on_quick_mode /
  // on_informational has decrypted it (and, in Quick Mode and Informational, verified its HASH).
  if (phase1) {
    on_phase1(s, m, data, local, remote, now);
  } else if (h.exchange == isakmp::ExchangeType::QuickMode) {
    if (s->parked) {
      // Aggressive Mode: the initiator's Quick Mode may follow the AM3 we parked; it retransmits.
      ++shared_.counters.revocation_parked_drops;
      return;
    }
    if (!s->established() || !h.encrypted() || h.message_id == 0) {
      malformed(s->connection, s->id, "Quick Mode message before phase 1 completed or not encrypted");
      return;
    }
    on_quick_mode(*s, m, data, now);
  } else if (h.exchange == isakmp::ExchangeType::Informational) {
    on_informational(*s, m, now);
  } else {
    malformed(s->connection, s->id,
              std::string("unsupported exchange ") + isakmp::exchange_name(h.exchange) + " from " +
                  remote.to_string());
  }
}

// --- limits ---

void Ikev1Engine::on_child_sa_soft_limit(ChildSaId id, TimePoint now) {
  ChildSa* c = child(id);
  if (!c || c->state != ChildSaState::Installed || c->rekey_requested) return;
  IsakmpSa* s = established_sa_for(c->connection);
  if (!s) return;
  c->rekey_requested = true;
  start_quick_mode(*s, c->child, c->id, now);
}

void Ikev1Engine::on_child_sa_hard_limit(ChildSaId id, TimePoint) {
  ChildSa* c = child(id);
  if (!c) return;
  if (IsakmpSa* s = sa(c->ike_sa); s && s->established()) send_delete_children(*s, {c});
  remove_child(id, true, "volume limit reached");
}

// --- timers ---

void Ikev1Engine::timer_child(ChildSa& c, TimePoint now) {
  if (c.remove_at && now >= *c.remove_at) {
    remove_child(c.id, false, "replaced");
    return;
  }
  if (c.expire_at && now >= *c.expire_at) {
    // A pair already replaced by a rekey leaves quietly (the peer expires or deletes its copy).
    if (IsakmpSa* s = sa(c.ike_sa);
        s && s->established() && !s->deleting && c.state == ChildSaState::Installed)
      send_delete_children(*s, {&c});
    remove_child(c.id, true, "lifetime expired");
    return;
  }
  if (c.rekey_at && now >= *c.rekey_at && c.state == ChildSaState::Installed && !c.rekey_requested) {
    c.rekey_at.reset();
    IsakmpSa* s = established_sa_for(c.connection);
    if (!s) {
      // No phase-1 SA to run Quick Mode under: start one (it adopts this child) if we can.
      const ConnectionSettings* conn = connection(c.connection);
      if (conn && !conn->remote_addrs.empty()) {
        bool connecting = false;
        for (auto& [id, o] : sas_)
          if (o->connection == c.connection && o->initiator && !o->established()) connecting = true;
        if (!connecting) initiate(*conn, {}, now);
      }
      c.rekey_at = now + Seconds(10);
      return;
    }
    c.rekey_requested = true;
    start_quick_mode(*s, c.child, c.id, now);
  }
}

void Ikev1Engine::timer_sa(IsakmpSa& s, TimePoint now) {
  const IkeSaId id = s.id;
  if (!s.established() && s.half_open_expire && now >= *s.half_open_expire) {
    remove_sa(id, EventType::RetransmitGaveUp, "phase 1 did not complete in time", false);
    return;
  }
  if (s.expire_at && now >= *s.expire_at) {
    const bool replaced = s.replaced_by.has_value();
    if (!replaced) send_delete_isakmp(s);
    // Its IPsec SAs outlive it (RFC 2409): they keep their own lifetimes and the next phase 1
    // adopts them.
    remove_sa(id, replaced ? std::nullopt : std::optional<EventType>(EventType::IkeSaDeleted),
              "ISAKMP SA expired", false);
    return;
  }
  if (s.parked && !s.parked->raw.empty() && now >= s.parked->deadline) {
    // The FetchRevocation went unanswered: decided as "unknown", and the policy says the rest.
    shared_.revocation.give_up(s.parked->request, *shared_.options.wall_origin +
                                                      std::chrono::duration_cast<crypto::WallClock::duration>(
                                                          now - shared_.options.steady_origin));
    resume_parked(s.parked->request, now);
    if (!sa(id)) return;
  }
  // Parked on a fetch, the answer we wait for is in hand: no retransmission meanwhile.
  if (!s.parked && s.phase1_tx.waiting && s.phase1_tx.retransmit_at && now >= *s.phase1_tx.retransmit_at) {
    if (s.phase1_tx.retransmissions >= shared_.options.retransmit_tries) {
      FailureReport r = basic_failure_report(
          s.connection, s.initiator ? FailureRole::Initiator : FailureRole::Responder, 1,
          s.aggressive ? "Aggressive Mode" : "Main Mode", FailureClass::Timeout,
          s.cky_r != 0 && s.initiator ? "no answer from the peer to phase 1 (it answered before)"
                                      : "no answer from the peer at all",
          s.remote.to_string());
      r.unanswered = r.exchange + " message";
      r.retransmissions = s.phase1_tx.retransmissions;
      r.received_anything =
          !s.initiator || s.cky_r != 0;  // the responder cookie arrives with the first answer
      shared_.failures.record(std::move(r));
      remove_sa(id, EventType::RetransmitGaveUp,
                "no answer from " + s.remote.to_string() + " after " +
                    std::to_string(s.phase1_tx.retransmissions) + " retransmissions (phase 1)",
                false);
      return;
    }
    retransmit(s, s.phase1_tx, now);
  }
  std::vector<std::uint32_t> finished;
  for (auto& [mid, qm] : s.quick_modes) {
    if (qm.done) {
      if (now >= qm.forget_at) finished.push_back(mid);
      continue;
    }
    if (!qm.initiator) {  // waits for QM3 without retransmitting QM2
      if (now < qm.forget_at) continue;
      const ChildSa* installed = qm.installed ? child(*qm.installed) : nullptr;
      if (installed && !installed->activation_pending) {
        // No QM3, but the pair is in use (a new pair, or a rekey the peer completed by deleting
        // the old one): QM3 was lost, the peer holds the SAs. Keep them.
        qm.done = true;
        qm.forget_at = now + retransmit_total(shared_.options);  // still answers a late QM1 copy
        qm.ke.reset();
        qm.pfs_secret.reset();
        negotiating_.erase({s.connection, qm.child});
        continue;
      }
      finished.push_back(mid);
      continue;
    }
    if (qm.tx.waiting && qm.tx.retransmit_at && now >= *qm.tx.retransmit_at) {
      if (qm.tx.retransmissions >= shared_.options.retransmit_tries) {
        finished.push_back(mid);
        continue;
      }
      retransmit(s, qm.tx, now);
    }
  }
  for (std::uint32_t mid : finished) {
    auto it = s.quick_modes.find(mid);
    if (it == s.quick_modes.end()) continue;
    if (!it->second.done) {
      quick_mode_failed(s, mid, EventType::RetransmitGaveUp,
                        it->second.initiator
                            ? "Quick Mode for " + it->second.child + " unanswered after " +
                                  std::to_string(it->second.tx.retransmissions) + " retransmissions"
                            : "Quick Mode for " + it->second.child + ": no QM3 from " + s.remote.to_string(),
                        now);
    } else {
      s.quick_modes.erase(it);
    }
  }
  if (!sa(id)) return;
  // Dead peer detection (RFC 3706): R-U-THERE after dpd_delay of silence, retried on the
  // retransmission schedule; no answer at all → the peer is dead.
  const ConnectionSettings* conn = connection(s.connection);
  if (s.established() && !s.deleting && conn && conn->dpd_delay.count() > 0 && s.peer_dpd) {
    if (s.dpd_outstanding) {
      if (s.dpd_retry_at && now >= *s.dpd_retry_at) {
        if (s.dpd_retries >= shared_.options.retransmit_tries) {
          remove_sa(id, EventType::PeerDead,
                    "no R-U-THERE-ACK from " + s.remote.to_string() + " after " +
                        std::to_string(s.dpd_retries + 1) + " R-U-THERE (RFC 3706); its SAs are removed",
                    true);
          return;
        }
        ++s.dpd_retries;
        ++shared_.counters.retransmissions;
        send_dpd(s, now);
      }
    } else if (now >= s.last_received + conn->dpd_delay) {
      s.dpd_retries = 0;
      send_dpd(s, now);
    }
  }
  if (s.rekey_at && now >= *s.rekey_at && s.established() && !s.rekey_started && !s.replaced_by && conn) {
    s.rekey_started = true;
    s.rekey_at.reset();
    IsakmpSa& fresh = create_sa(*conn, true, now);
    // A new phase 1 starts where the first one did (port 500, or the configured remote port);
    // NAT-D detects the NAT again and floats to 4500.
    fresh.remote = Endpoint{s.remote.address, conn->remote_port};
    fresh.local =
        Endpoint{s.local.address, conn->remote_port == isakmp::kNatTraversalPort ? isakmp::kNatTraversalPort
                                                                                 : isakmp::kIkePort};
    start_phase1(fresh, now);
  }
}

void Ikev1Engine::on_timer(TimePoint now) {
  std::vector<IkeSaId> ids;
  for (auto& [id, s] : sas_) ids.push_back(id);
  for (IkeSaId id : ids)
    if (IsakmpSa* s = sa(id)) timer_sa(*s, now);
  std::vector<ChildSaId> cids;
  for (auto& [id, c] : children_) cids.push_back(id);
  for (ChildSaId id : cids)
    if (ChildSa* c = child(id)) timer_child(*c, now);
}

void Ikev1Engine::resume_parked(std::uint64_t request, TimePoint now) {
  std::vector<IkeSaId> waiting;
  for (const auto& [id, s] : sas_)
    if (s->parked && s->parked->request == request && !s->parked->raw.empty()) waiting.push_back(id);
  for (IkeSaId id : waiting) {
    IsakmpSa* s = sa(id);
    if (!s || !s->parked) continue;
    ParkedPhase1 parked = std::move(*s->parked);
    s->parked.reset();
    on_datagram(parked.local, parked.remote, parked.raw, now);  // as if it arrived now
  }
}

std::optional<TimePoint> Ikev1Engine::next_deadline() const {
  std::optional<TimePoint> next;
  for (const auto& [id, s] : sas_) {
    if (!s->established()) earliest(next, s->half_open_expire);
    earliest(next, s->expire_at);
    if (s->parked) earliest(next, std::optional<TimePoint>(s->parked->deadline));
    if (s->phase1_tx.waiting && !s->parked) earliest(next, s->phase1_tx.retransmit_at);
    for (const auto& [mid, qm] : s->quick_modes) {
      if (qm.done || !qm.initiator)
        earliest(next, qm.forget_at);
      else if (qm.tx.waiting)
        earliest(next, qm.tx.retransmit_at);
    }
    const ConnectionSettings* conn = connection(s->connection);
    if (s->established() && !s->deleting && conn && conn->dpd_delay.count() > 0 && s->peer_dpd)
      earliest(next, s->dpd_outstanding ? s->dpd_retry_at
                                        : std::optional<TimePoint>(s->last_received + conn->dpd_delay));
    if (!s->rekey_started && !s->replaced_by && s->established()) earliest(next, s->rekey_at);
  }
  for (const auto& [id, c] : children_) {
    earliest(next, c.remove_at);
    earliest(next, c.expire_at);
    if (c.state == ChildSaState::Installed && !c.rekey_requested) earliest(next, c.rekey_at);
  }
  return next;
}

// --- status ---

std::vector<ConnectionStatus> Ikev1Engine::status(TimePoint now) const {
  std::vector<ConnectionStatus> out;
  for (const auto& conn : connections_) {
    ConnectionStatus cs;
    cs.name = conn.name;
    cs.start_action = conn.start_action;
    for (const auto& [id, s] : sas_) {
      if (s->connection != conn.name) continue;
      IkeSaStatus st;
      st.id = id;
      st.connection = conn.name;
      st.version = 1;
      st.mode = s->aggressive ? "aggressive" : "main";
      st.state = s->deleting        ? IkeSaState::Deleting
                 : s->established() ? (s->rekey_started ? IkeSaState::Rekeying : IkeSaState::Established)
                                    : IkeSaState::Connecting;
      st.initiator = s->initiator;
      st.initiator_spi = s->cky_i;
      st.responder_spi = s->cky_r;
      st.local = s->local;
      st.remote = s->remote;
      st.local_id = s->local_id.to_string();
      st.remote_id = s->remote_id ? s->remote_id->to_string() : std::string();
      st.algorithms = s->suite ? s->suite->to_string() : std::string();
      st.nat_detected = s->nat_local || s->nat_remote;
      st.nat_local = s->nat_local;
      st.nat_remote = s->nat_remote;
      st.age = std::chrono::duration_cast<Seconds>(now - (s->established() ? s->established_at : s->created));
      if (s->rekey_at) st.rekey_in = std::chrono::duration_cast<Seconds>(*s->rekey_at - now);
      cs.ike_sas.push_back(std::move(st));
    }
    // IKEv1 IPsec SAs belong to the connection; list each under the phase-1 SA that manages it
    // (or the newest one, when the one that created it is gone).
    for (const auto& [cid, c] : children_) {
      if (c.connection != conn.name) continue;
      ChildSaStatus ch = child_sa_status(c, now);
      IkeSaStatus* owner = nullptr;
      for (auto& st : cs.ike_sas)
        if (st.id == c.ike_sa) owner = &st;
      if (!owner && !cs.ike_sas.empty()) owner = &cs.ike_sas.back();
      if (!owner) {
        IkeSaStatus orphan;
        orphan.id = c.ike_sa;
        orphan.connection = conn.name;
        orphan.version = 1;
        orphan.state = IkeSaState::Deleting;
        cs.ike_sas.push_back(std::move(orphan));
        owner = &cs.ike_sas.back();
      }
      owner->children.push_back(std::move(ch));
    }
    out.push_back(std::move(cs));
  }
  return out;
}

}  // namespace cygnet::ike::v1

namespace cygnet::ike::v1 {

void Ikev1Engine::export_keys(KeyExport& out) const {
  for (const auto& [id, sa] : sas_) {
    if (!sa->exported_encryption_key.empty()) {
      IsakmpSaKeyExport e{id, sa->connection, sa->cky_i, sa->exported_encryption_key};
      e.cookie_r = sa->cky_r;
      if (sa->suite) {
        e.cipher = sa->suite->cipher;
        e.prf = sa->suite->hash;
      }
      e.skeyid_a = sa->exported_skeyid_a;  // only with retain_keys_for_export
      e.phase1_last_iv = sa->phase1_last_iv;
      out.isakmp_sas.push_back(std::move(e));
    } else if (sa->protection) {
      out.unavailable.push_back("IKEv1 ISAKMP SA " + sa->connection + " #" + std::to_string(id) +
                                ": keys not retained");
    }
  }
  for (const auto& [id, child] : children_) append_child_key_export(child, out);
}

}  // namespace cygnet::ike::v1
