// The IKEv2 side of fuzz_ike_session, on an EnginePair (engine_pair.hpp): after a scenario's
// trigger, the first message of the chosen exchange and direction is intercepted, decrypted with the
// session's own keys (Engine::export_keys with retain_keys_for_export), its cleartext payload chain replaced
// by the fuzz input's, protected again with the same keys — so the ICV is right — and delivered.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <utility>

#include "engine_pair.hpp"
#include "ike/engine.hpp"
#include "ike/key_export.hpp"
#include "ike/v2/sk_protection.hpp"
#include "ike_responder_setup.hpp"
#include "wire/ikev2_message.hpp"

namespace cygnet::fuzz {

struct Scenario {
  const char* name;
  Trigger trigger;
  Side actor;  // the side that starts the exchange
  wire::ikev2::ExchangeType exchange;
  bool response;  // intercept the answer (sent by the other side) rather than the request
};

using wire::ikev2::ExchangeType;
inline constexpr std::array<Scenario, 20> kScenarios{{
    {"ike_auth_request", Trigger::Handshake, Side::Initiator, ExchangeType::IkeAuth, false},
    {"ike_auth_response", Trigger::Handshake, Side::Initiator, ExchangeType::IkeAuth, true},
    {"new_child_request", Trigger::Handshake, Side::Initiator, ExchangeType::CreateChildSa, false},
    {"new_child_response", Trigger::Handshake, Side::Initiator, ExchangeType::CreateChildSa, true},
    {"child_rekey_request", Trigger::ChildRekey, Side::Initiator, ExchangeType::CreateChildSa, false},
    {"child_rekey_response", Trigger::ChildRekey, Side::Initiator, ExchangeType::CreateChildSa, true},
    {"child_rekey_request_by_responder", Trigger::ChildRekey, Side::Responder, ExchangeType::CreateChildSa,
     false},
    {"child_rekey_response_to_responder", Trigger::ChildRekey, Side::Responder, ExchangeType::CreateChildSa,
     true},
    {"ike_rekey_request", Trigger::IkeRekey, Side::Initiator, ExchangeType::CreateChildSa, false},
    {"ike_rekey_response", Trigger::IkeRekey, Side::Initiator, ExchangeType::CreateChildSa, true},
    {"child_delete_request", Trigger::ChildDelete, Side::Initiator, ExchangeType::Informational, false},
    {"child_delete_response", Trigger::ChildDelete, Side::Initiator, ExchangeType::Informational, true},
    {"child_delete_request_by_responder", Trigger::ChildDelete, Side::Responder, ExchangeType::Informational,
     false},
    {"ike_delete_request", Trigger::IkeDelete, Side::Initiator, ExchangeType::Informational, false},
    {"ike_delete_response", Trigger::IkeDelete, Side::Initiator, ExchangeType::Informational, true},
    {"ike_delete_request_by_responder", Trigger::IkeDelete, Side::Responder, ExchangeType::Informational,
     false},
    {"liveness_request", Trigger::Liveness, Side::Initiator, ExchangeType::Informational, false},
    {"liveness_response", Trigger::Liveness, Side::Initiator, ExchangeType::Informational, true},
    {"liveness_request_by_responder", Trigger::Liveness, Side::Responder, ExchangeType::Informational, false},
    {"ike_rekey_request_by_responder", Trigger::IkeRekey, Side::Responder, ExchangeType::CreateChildSa,
     false},
}};

inline constexpr std::uint64_t kSessionInitiatorSeed = 0x5E551011;
inline constexpr std::uint64_t kSessionResponderSeed = 0x5E551022;
inline constexpr auto kSessionIkeLifetime = std::chrono::seconds(1000);  // IKE rekey due at 800–900 s

// One side's connection: the fuzz_ike_responder one with a second child, negotiated by a
// CREATE_CHILD_SA right after IKE_AUTH, and a shorter IKE lifetime. `cbc` limits the initiator's
// offer to CBC+HMAC with PFS, so that suite's protection and KE paths are exercised too.
inline ike::ConnectionSettings session_connection(bool responder, bool cbc) {
  ike::ConnectionSettings c = ike_fuzz_connection(responder);
  c.ike_lifetime = kSessionIkeLifetime;
  ike::ChildSettings extra = c.children.front();
  extra.name = "extra";
  extra.local_ts = {*wire::IpPrefix::parse(responder ? "203.0.113.128/25" : "198.51.100.128/25")};
  extra.remote_ts = {*wire::IpPrefix::parse(responder ? "198.51.100.128/25" : "203.0.113.128/25")};
  extra.mode = ipsec::Mode::Transport;
  c.children.push_back(std::move(extra));
  for (ike::ChildSettings& child : c.children) child.lifetime = std::chrono::seconds(3600);
  if (cbc && !responder) {
    c.ike_proposals.erase(c.ike_proposals.begin());
    c.ike_proposals.front().number = 1;
    for (ike::ChildSettings& child : c.children) {
      child.proposals.erase(child.proposals.begin());
      child.proposals.front().number = 1;
    }
  }
  return c;
}

inline ike::EngineOptions session_options() {
  ike::EngineOptions o = ike_fuzz_options();
  o.retain_keys_for_export = true;  // the fuzzer protects its messages with the session's keys
  o.max_datagram = 60000;           // no RFC 7383 fragments: one SK payload per message
  return o;
}

// The first message of the scenario's exchange and direction gets the replacement chain (or, when
// only recording, passes unchanged and its cleartext is kept for the seed corpus).
struct Interception {
  const Scenario* scenario = nullptr;
  std::uint8_t first = 0;
  ByteView chain;
  bool replace = true;
  bool done = false;
  std::uint8_t recorded_first = 0;
  Bytes recorded_chain;
};

class Ikev2SessionPair : public EnginePair {
 public:
  Ikev2SessionPair(bool cbc, Interception& interception)
      : EnginePair(session_options(), kSessionInitiatorSeed, kSessionResponderSeed), x_(interception) {
    add_connections(session_connection(false, cbc), session_connection(true, cbc));
  }

  // Returns whether the scenario's message came by (and was replaced or recorded).
  bool run() {
    EnginePair::run(x_.scenario->trigger, x_.scenario->actor);
    return x_.done;
  }

 protected:
  void intercept(Side from, Bytes& datagram, bool armed) override {
    if (x_.done || !armed) return;
    // Both ends hold the same keys; the cache keeps them for a message sent as its SA goes away.
    for (ike::IkeSaKeyExport& k : engine(from).export_keys().ike_sas)
      keys_[{k.spi_i, k.spi_r}] = std::move(k);
    const Scenario& s = *x_.scenario;
    const Side sender = s.response ? other(s.actor) : s.actor;
    if (from != sender) return;
    const bool marker = datagram.size() >= 4 && datagram[0] == 0 && datagram[1] == 0 && datagram[2] == 0 &&
                        datagram[3] == 0;  // port 4500's non-ESP marker
    const ByteView message = ByteView(datagram).subspan(marker ? 4 : 0);
    auto parsed = wire::ikev2::parse_message(message);
    if (!parsed) return;
    const wire::ikev2::Header& h = parsed.value->header;
    if (h.exchange != s.exchange || h.is_response() != s.response) return;
    const auto* sk = wire::ikev2::find_payload<wire::ikev2::EncryptedPayload>(parsed.value->payloads);
    if (!sk) return;
    if (const auto found = keys_.find({h.initiator_spi, h.responder_spi}); found != keys_.end()) {
      const ike::IkeSaKeyExport& k = found->second;
      ike::SkProtection protection(k.algorithms, (h.from_initiator() ? k.sk_ei : k.sk_er).view(),
                                   (h.from_initiator() ? k.sk_ai : k.sk_ar).view());
      const auto plain = protection.unprotect(message, *sk);
      if (!plain) invariant_failed();  // the engine's own message must open with its own keys
      x_.recorded_first = static_cast<std::uint8_t>(sk->first_inner);
      x_.recorded_chain = *plain;
      x_.done = true;
      if (!x_.replace) return;
      const wire::ikev2::EncodedChain inner{static_cast<wire::ikev2::PayloadType>(x_.first),
                                            Bytes(x_.chain.begin(), x_.chain.end())};
      const Bytes replaced = protection.protect(h, inner, *iv_random_);
      datagram.resize(marker ? 4 : 0);
      datagram.insert(datagram.end(), replaced.begin(), replaced.end());
      return;
    }
  }

 private:
  Interception& x_;
  std::map<std::pair<std::uint64_t, std::uint64_t>, ike::IkeSaKeyExport> keys_;
  std::shared_ptr<ike::RandomSource> iv_random_ = ike::seeded_random(0x1F);
};

}  // namespace cygnet::fuzz
