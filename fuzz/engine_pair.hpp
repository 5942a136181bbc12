// Two ike::Engines talking to each other deterministically, for the session fuzzers: seeded
// randomness (which also supplies the Diffie-Hellman keys), a fixed clock, datagrams carried both
// ways in order. A scenario brings the pair to an exchange (the handshake itself, or a rekey,
// delete or liveness check triggered once it is up); the subclass sees every datagram on the way
// (intercept) and replaces one. Afterwards the pair runs on — answers, then timers — and the
// invariants are checked: each engine's status agrees with itself and with the actions it emitted.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ike/engine.hpp"
#include "ike_responder_setup.hpp"

namespace cygnet::fuzz {

enum class Side : std::uint8_t { Initiator, Responder };
inline Side other(Side s) {
  return s == Side::Initiator ? Side::Responder : Side::Initiator;
}

// What sets the intercepted exchange off: the handshake that up() starts, or, once both ends are
// established, an event on the acting side.
enum class Trigger : std::uint8_t { Handshake, ChildRekey, ChildDelete, IkeRekey, IkeDelete, Liveness };

inline constexpr auto kIkeRekeyJump = std::chrono::seconds(905);  // past 90 % of a 1000 s IKE lifetime
inline constexpr auto kLivenessJump = std::chrono::seconds(31);   // past dpd_delay (30 s)

// A broken invariant is a finding: stop here, with the input that caused it.
[[noreturn]] inline void invariant_failed() {
  __builtin_trap();
}

class EnginePair {
 public:
  EnginePair(const ike::EngineOptions& options, std::uint64_t initiator_seed, std::uint64_t responder_seed)
      : initiator_(options, ike::seeded_random(initiator_seed)),
        responder_(options, ike::seeded_random(responder_seed)) {}
  virtual ~EnginePair() = default;
  EnginePair(const EnginePair&) = delete;
  EnginePair& operator=(const EnginePair&) = delete;

  void add_connections(ike::ConnectionSettings initiator_side, ike::ConnectionSettings responder_side) {
    connection_ = initiator_side.name;
    if (!initiator_.add_connection(std::move(initiator_side), now_)) invariant_failed();
    if (!responder_.add_connection(std::move(responder_side), now_)) invariant_failed();
  }

  // The handshake, then (unless the scenario is the handshake) the trigger, with interception
  // armed from the point the scenario's exchange can start; then answers, timers, invariants.
  void run(Trigger trigger, Side actor) {
    initiator_.up(connection_, now_);
    if (trigger != Trigger::Handshake) {
      armed_ = false;
      pump(60);
      armed_ = true;
      fire(trigger, actor);
    }
    pump(60);
    for (int i = 0; i < 6; ++i) {  // retransmissions, rekeys, expiries, liveness checks
      const auto next = earliest(initiator_.next_deadline(), responder_.next_deadline());
      if (!next) break;
      now_ = std::max(now_, *next);
      initiator_.on_timer(now_);
      responder_.on_timer(now_);
      pump(20);
    }
    check_invariants(initiator_, initiator_book_);
    check_invariants(responder_, responder_book_);
  }

 protected:
  // Every datagram from `from`, before delivery; may rewrite it once `armed` (the scenario's
  // exchange can have started). Earlier ones pass by for the record (IKEv1 follows its IVs).
  virtual void intercept(Side from, Bytes& datagram, bool armed) = 0;

  ike::Engine& engine(Side side) { return side == Side::Initiator ? initiator_ : responder_; }
  TimePoint now() const { return now_; }

 private:
  // The CHILD SAs one engine's actions installed and did not remove.
  struct ChildBook {
    std::set<ike::ChildSaId> installed;
    std::set<ike::ChildSaId> ever;
  };

  static std::optional<TimePoint> earliest(std::optional<TimePoint> a, std::optional<TimePoint> b) {
    if (!a) return b;
    if (!b) return a;
    return std::min(*a, *b);
  }

  void fire(Trigger trigger, Side actor_side) {
    ike::Engine& actor = engine(actor_side);
    switch (trigger) {
      case Trigger::Handshake: break;
      case Trigger::ChildRekey:
      case Trigger::ChildDelete:
        if (const auto id = first_child(actor)) {
          if (trigger == Trigger::ChildRekey)
            actor.on_child_sa_soft_limit(*id, now_);
          else
            actor.on_child_sa_hard_limit(*id, now_);
        }
        break;
      case Trigger::IkeRekey:
        now_ += kIkeRekeyJump;
        actor.on_timer(now_);
        break;
      case Trigger::IkeDelete: actor.down(connection_, now_); break;
      case Trigger::Liveness:
        now_ += kLivenessJump;
        actor.on_timer(now_);
        break;
    }
  }

  std::optional<ike::ChildSaId> first_child(const ike::Engine& e) const {
    for (const auto& conn : e.status(now_))
      for (const auto& sa : conn.ike_sas)
        for (const auto& child : sa.children) return child.id;
    return std::nullopt;
  }

  // Carries datagrams both ways until both engines are quiet (or `rounds` runs out).
  void pump(int rounds) {
    for (int round = 0; round < rounds; ++round) {
      bool sent = route(Side::Initiator, initiator_.take_actions());
      sent |= route(Side::Responder, responder_.take_actions());
      if (!sent) return;
      now_ += std::chrono::milliseconds(10);
    }
  }

  bool route(Side from, std::vector<ike::Action> actions) {
    ChildBook& book = from == Side::Initiator ? initiator_book_ : responder_book_;
    ike::Engine& to = engine(other(from));
    bool sent = false;
    for (ike::Action& action : actions) {
      if (auto* d = std::get_if<ike::SendDatagram>(&action)) {
        Bytes payload = std::move(d->payload);
        intercept(from, payload, armed_);
        to.on_datagram(d->remote, d->local, payload, now_);
        sent = true;
      } else if (auto* install = std::get_if<ike::InstallChildSa>(&action)) {
        if (!book.ever.insert(install->id).second) invariant_failed();  // an id installed twice
        if (install->replaces && !book.installed.contains(*install->replaces)) invariant_failed();
        if (install->inbound.spi == 0 || install->outbound.spi == 0) invariant_failed();
        book.installed.insert(install->id);
      } else if (auto* activate = std::get_if<ike::ActivateChildSa>(&action)) {
        if (!book.installed.contains(activate->id)) invariant_failed();
      } else if (auto* remove = std::get_if<ike::RemoveChildSa>(&action)) {
        if (book.installed.erase(remove->id) != 1) invariant_failed();  // removed twice, or never installed
      }
    }
    return sent;
  }

  // Status agrees with itself and with the actions: IKE SA and CHILD SA ids unique, each IKE SA
  // under its own configured connection, SPIs set once established, and every CHILD SA listed was
  // installed by an action and not removed since.
  void check_invariants(const ike::Engine& e, const ChildBook& book) const {
    std::set<ike::IkeSaId> ike_ids;
    std::set<ike::ChildSaId> child_ids;
    const std::vector<std::string> names = e.connection_names();
    for (const ike::ConnectionStatus& conn : e.status(now_)) {
      if (std::find(names.begin(), names.end(), conn.name) == names.end()) invariant_failed();
      for (const ike::IkeSaStatus& sa : conn.ike_sas) {
        if (!ike_ids.insert(sa.id).second) invariant_failed();
        if (sa.connection != conn.name) invariant_failed();
        if (sa.state == ike::IkeSaState::Established && (sa.initiator_spi == 0 || sa.responder_spi == 0))
          invariant_failed();
        for (const ike::ChildSaStatus& child : sa.children) {
          if (!child_ids.insert(child.id).second) invariant_failed();
          if (!book.installed.contains(child.id)) invariant_failed();
          if (child.inbound_spi == 0 || child.outbound_spi == 0) invariant_failed();
        }
      }
    }
  }

  TimePoint now_ = ike_fuzz_time();
  ike::Engine initiator_;
  ike::Engine responder_;
  std::string connection_;
  ChildBook initiator_book_;
  ChildBook responder_book_;
  bool armed_ = true;
};

}  // namespace cygnet::fuzz
