// An established IKEv2 pair (A initiator, B responder) whose keys the test holds (support/ike_forge),
// so it can send A authenticated requests "from B" with any payload chain. B itself stays quiet
// (no liveness checks, long lifetimes), so the forged requests own B's message-ID sequence while A's
// own requests — the legitimate exchanges that prove A still works — keep theirs.
#pragma once

#include <gtest/gtest.h>

#include "support/ike_forge.hpp"
#include "unit/ike/engine_harness.hpp"

namespace cygnet::ike::test {

inline EngineOptions retaining_keys() {
  EngineOptions o;
  o.retain_keys_for_export = true;
  return o;
}

// Two children so that one can be deleted while the other (and the IKE SA) must survive.
inline ConnectionSettings forged_pair_connection(bool initiator) {
  ConnectionSettings c = initiator ? psk_connection("site", "192.0.2.1", "192.0.2.2")
                                   : psk_connection("site", "192.0.2.2", "192.0.2.1");
  c.children = initiator ? std::vector<ChildSettings>{child("net", "198.51.100.0/25", "203.0.113.0/25"),
                                                      child("net2", "198.51.100.128/25", "203.0.113.128/25")}
                         : std::vector<ChildSettings>{child("net", "203.0.113.0/25", "198.51.100.0/25"),
                                                      child("net2", "203.0.113.128/25", "198.51.100.128/25")};
  if (!initiator) {
    c.dpd_delay = Seconds{0};
    c.ike_lifetime = Seconds{24 * 3600};
    for (auto& ch : c.children) ch.lifetime = Seconds{24 * 3600};
  }
  return c;
}

struct ForgedPair {
  BackToBack net{retaining_keys(), retaining_keys()};
  std::optional<forge::Ikev2Forger> forger;
  std::uint32_t next_b_request = 0;  // B's message-ID sequence, used only by forged requests

  ForgedPair() {
    EXPECT_TRUE(net.b.engine->add_connection(forged_pair_connection(false), net.now));
    ConnectionSettings a = forged_pair_connection(true);
    a.start_action = StartAction::Start;
    EXPECT_TRUE(net.a.engine->add_connection(std::move(a), net.now));
    net.run();
    auto keys = forge::ikev2_keys(*net.a.engine);
    EXPECT_TRUE(keys.has_value());
    if (keys) forger.emplace(*keys);
  }

  // A's CHILD SA of `child`, from its status.
  std::optional<ChildSaStatus> a_child(std::string_view name) const {
    for (const auto& c : net.a.engine->status(net.now))
      for (const auto& s : c.ike_sas)
        for (const auto& ch : s.children)
          if (ch.child == name) return ch;
    return std::nullopt;
  }

  // Delivers a datagram to A as if from B; returns A's actions (applied to A's data plane, logged).
  std::vector<Action> to_a(ByteView datagram) {
    net.a.engine->on_datagram({addr("192.0.2.1"), 500}, {addr("192.0.2.2"), 500}, datagram, net.now);
    auto actions = net.a.engine->take_actions();
    for (const auto& action : actions) {
      net.a.log.push_back(action);
      if (const auto* e = std::get_if<Event>(&action)) net.a.events.push_back(*e);
      if (auto error = net.a.binding().apply(action)) ADD_FAILURE() << *error;
    }
    return actions;
  }

  // A forged request from B, authenticated under the live SA, with the next message ID B would use.
  std::vector<Action> forged_request(wire::ikev2::ExchangeType exchange,
                                     const wire::ikev2::EncodedChain& inner) {
    return to_a(forger->message(forge::Sender::Responder, exchange, next_b_request++, inner));
  }

  // A's only response among `actions`, decrypted.
  std::vector<wire::ikev2::Payload> response(const std::vector<Action>& actions) {
    std::vector<wire::ikev2::Payload> out;
    std::size_t n = 0;
    for (const auto& action : actions)
      if (const auto* d = std::get_if<SendDatagram>(&action)) {
        ++n;
        auto header = wire::ikev2::parse_header(d->payload);
        EXPECT_TRUE(header && header.value->is_response());
        auto opened = forger->open(d->payload);
        EXPECT_TRUE(opened.has_value()) << "response does not decrypt";
        if (opened) out = std::move(*opened);
      }
    EXPECT_EQ(n, 1u) << "one response per request";
    return out;
  }

  bool traffic_both(std::string_view src, std::string_view dst) {
    return net.traffic(net.a, src, dst) && net.traffic(net.b, dst, src);
  }
};

template <typename T>
std::size_t count_of(const std::vector<Action>& actions) {
  return static_cast<std::size_t>(std::count_if(
      actions.begin(), actions.end(), [](const Action& a) { return std::holds_alternative<T>(a); }));
}

}  // namespace cygnet::ike::test
