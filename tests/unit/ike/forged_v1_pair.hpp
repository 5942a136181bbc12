// An established IKEv1 pair (A initiator, B responder, PSK, AES-256-CBC/SHA-256/MODP-2048) whose
// ISAKMP SA keys the test holds (support/ike_forge): it can send B encrypted Informational and Quick
// Mode messages "from A", with a correct, wrong or missing HASH. B sends nothing of its own (no
// liveness checks), so the forged exchanges never collide with B's.
#pragma once

#include <gtest/gtest.h>

#include "support/ike_forge.hpp"
#include "unit/ike/forged_pair.hpp"
#include "wire/isakmp_message.hpp"

namespace cygnet::ike::test {

namespace isakmp = wire::isakmp;

inline ConnectionSettings v1_connection(std::string_view local, std::string_view remote, bool passive) {
  ConnectionSettings c =
      psk_connection("site", local, remote, "correct horse battery staple", "aes256-sha256-modp2048");
  c.ike_version = 1;
  if (passive) c.dpd_delay = Seconds{0};
  return c;
}

inline Bytes v1_be32(std::uint32_t v) {
  return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
          static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}

struct V1Pair {
  BackToBack net;
  std::optional<forge::Ikev1Forger> forger;
  std::uint64_t cookie_i = 0, cookie_r = 0;

  V1Pair() : net(keep(), keep()) {
    EXPECT_TRUE(net.b.engine->add_connection(v1_connection("192.0.2.2", "192.0.2.1", true), net.now));
    auto a = v1_connection("192.0.2.1", "192.0.2.2", false);
    a.start_action = StartAction::Start;
    EXPECT_TRUE(net.a.engine->add_connection(a, net.now));
    net.run();
    const auto status = net.a.engine->status(net.now);
    const auto keys = net.a.engine->export_keys();
    const auto last = forge::last_phase1_block(net.wire_log, 16);
    if (status.empty() || status[0].ike_sas.empty() || keys.isakmp_sas.size() != 1 || !last) {
      ADD_FAILURE() << "no ISAKMP SA to forge under";
      return;
    }
    cookie_i = status[0].ike_sas[0].initiator_spi;
    cookie_r = status[0].ike_sas[0].responder_spi;
    forger.emplace(crypto::CbcAlgorithm::AesCbc256, crypto::HashAlgorithm::Sha256,
                   keys.isakmp_sas[0].encryption_key.view(), cookie_i, cookie_r, *last,
                   keys.isakmp_sas[0].skeyid_a.view());
  }
  static EngineOptions keep() {
    EngineOptions o;
    o.retain_keys_for_export = true;
    return o;
  }
  ChildSaStatus child(Peer& p) const { return p.engine->status(net.now).at(0).ike_sas.at(0).children.at(0); }

  // A datagram to `to` from the other peer; `to`'s actions, applied and logged.
  std::vector<Action> deliver(Peer& to, ByteView datagram) {
    Peer& from = net.other(to);
    to.engine->on_datagram({to.ip, 500}, {from.ip, 500}, datagram, net.now);
    auto actions = to.engine->take_actions();
    for (const auto& a : actions) {
      to.log.push_back(a);
      if (const auto* e = std::get_if<Event>(&a)) to.events.push_back(*e);
      if (auto error = to.binding().apply(a)) ADD_FAILURE() << *error;
    }
    return actions;
  }
};

}  // namespace cygnet::ike::test
