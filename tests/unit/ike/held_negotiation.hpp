// A negotiation between A (initiator) and B (responder) in which A's first authenticating message —
// the IKEv2 IKE_AUTH request or IKEv1 Main Mode 5 — is held back, so a test can read it (decrypted
// with A's retained keys, support/ike_forge) and deliver it to B as it is or edited and re-protected.
#pragma once

#include <gtest/gtest.h>

#include <optional>

#include "crypto/digest.hpp"
#include "ike/v2/authentication.hpp"
#include "support/ike_forge.hpp"
#include "unit/ike/engine_harness.hpp"
#include "wire/isakmp_message.hpp"

namespace cygnet::ike::test {

inline constexpr std::size_t kExchangeTypeOffset = 18;  // IKEv2 and ISAKMP headers alike
inline constexpr std::size_t kIsakmpFlagsOffset = 19;

struct HeldNegotiation {
  static EngineOptions initiator_options() {
    EngineOptions o;
    o.retain_keys_for_export = true;  // the test acts as A under A's keys
    o.max_datagram = 8192;            // IKE_AUTH in one SK payload, not fragments
    return o;
  }

  BackToBack net{initiator_options(), EngineOptions{}};
  std::optional<SendDatagram> held;

  // `a` starts; both run until A's authenticating message is held (and everything else is quiet).
  HeldNegotiation(ConnectionSettings a, ConnectionSettings b) {
    const int version = a.ike_version;
    net.drop = [this, version](const SendDatagram& d, bool from_a) {
      if (!from_a || held || d.local.port != 500 || d.payload.size() < 28) return false;
      const std::uint8_t exchange = d.payload[kExchangeTypeOffset];
      const bool authenticating =
          version == 2
              ? exchange == static_cast<std::uint8_t>(wire::ikev2::ExchangeType::IkeAuth)
              : exchange == static_cast<std::uint8_t>(wire::isakmp::ExchangeType::IdentityProtection) &&
                    (d.payload[kIsakmpFlagsOffset] & wire::isakmp::kFlagEncryption) != 0;
      if (authenticating) held = d;
      return authenticating;
    };
    a.start_action = StartAction::Start;
    EXPECT_TRUE(net.b.engine->add_connection(std::move(b), net.now));
    EXPECT_TRUE(net.a.engine->add_connection(std::move(a), net.now));
    net.run();
    EXPECT_TRUE(held.has_value()) << "A sent no authenticating message";
  }

  // `message` delivered to B as if A sent it (the held datagram's addresses), then run.
  void deliver_to_b(ByteView message) {
    net.b.engine->on_datagram(held->remote, held->local, message, net.now);
    net.run();
  }

  // The first datagram `from` sent in `exchange`.
  std::optional<Bytes> first_payload_of(const Peer& from, std::uint8_t exchange) const {
    for (const auto& d : net.wire_log)
      if (d.local.address == from.ip && d.payload.size() > kExchangeTypeOffset &&
          d.payload[kExchangeTypeOffset] == exchange)
        return d.payload;
    return std::nullopt;
  }
};

// --- IKEv2: the IKE_AUTH request ---------------------------------------------------------------

struct HeldIkeAuth {
  std::optional<forge::Ikev2Forger> forger;
  std::vector<wire::ikev2::Payload> payloads;  // decrypted
  std::uint32_t message_id = 0;
  Bytes octets;  // InitiatorSignedOctets (RFC 7296 §2.15), rebuilt from the wire and A's keys

  explicit HeldIkeAuth(const HeldNegotiation& n) {
    namespace ikev2 = wire::ikev2;
    auto keys = forge::ikev2_keys(*n.net.a.engine);
    EXPECT_TRUE(keys.has_value());
    if (!keys || !n.held) return;
    forger.emplace(*keys);
    auto opened = forger->open(n.held->payload);
    EXPECT_TRUE(opened.has_value());
    if (!opened) return;
    payloads = std::move(*opened);
    message_id = ikev2::parse_header(n.held->payload).value->message_id;
    // RealMessage1 | NonceRData | prf(SK_pi, RestOfInitIDPayload).
    const auto init = static_cast<std::uint8_t>(ikev2::ExchangeType::IkeSaInit);
    const auto request = n.first_payload_of(n.net.a, init);
    const auto response = n.first_payload_of(n.net.b, init);
    EXPECT_TRUE(request && response);
    if (!request || !response) return;
    const auto parsed = ikev2::parse_message(*response);
    const auto* nonce_r = parsed ? ikev2::find_payload<ikev2::NoncePayload>(parsed.value->payloads) : nullptr;
    const auto* idi = ikev2::find_payload<ikev2::IdInitiatorPayload>(payloads);
    EXPECT_TRUE(nonce_r && idi);
    if (!nonce_r || !idi) return;
    octets = signed_octets(*request, nonce_r->data, keys->algorithms.prf, keys->sk_pi.view(), *idi);
  }

  // The request with its payloads replaced, protected under the SA's keys as A would.
  Bytes with_payloads(const std::vector<wire::ikev2::Payload>& replaced) {
    return forger->message(forge::Sender::Initiator, wire::ikev2::ExchangeType::IkeAuth, message_id,
                           forge::chain(replaced));
  }
};

// --- IKEv1: Main Mode 5 ------------------------------------------------------------------------

// Needs the pair on aes256-sha256-*: the IV of MM5 is SHA-256(g^xi | g^xr) cut to the AES block
// (RFC 2409 Appendix B). Filled in place (Ikev1Forger does not move).
struct HeldMainMode5 {
  std::optional<forge::Ikev1Forger> forger;
  Bytes iv;
  std::vector<wire::isakmp::Payload> payloads;  // decrypted

  explicit HeldMainMode5(const HeldNegotiation& n) {
    namespace isakmp = wire::isakmp;
    const auto keys = n.net.a.engine->export_keys();
    const auto gxi = key_exchange_of(n, n.net.a);
    const auto gxr = key_exchange_of(n, n.net.b);
    EXPECT_EQ(keys.isakmp_sas.size(), 1u);
    EXPECT_TRUE(gxi && gxr);
    if (keys.isakmp_sas.size() != 1 || !gxi || !gxr || !n.held) return;
    const IsakmpSaKeyExport& k = keys.isakmp_sas[0];
    iv = crypto::digest(crypto::HashAlgorithm::Sha256, {*gxi, *gxr});
    iv.resize(16);
    forger.emplace(crypto::CbcAlgorithm::AesCbc256, crypto::HashAlgorithm::Sha256, k.encryption_key.view(),
                   k.cookie_i, k.cookie_r, Bytes(16, 0));
    auto opened = forger->open_payloads(n.held->payload, iv);
    EXPECT_TRUE(opened.has_value()) << "MM5 does not decrypt under the IV the test derived";
    if (opened) payloads = std::move(*opened);
  }

  // MM5 with its payloads replaced, encrypted under the same IV.
  Bytes with_payloads(const HeldNegotiation& n, const std::vector<wire::isakmp::Payload>& replaced) {
    auto sealed = forger->reseal(n.held->payload, iv, [&](wire::isakmp::EncodedChain& chain) {
      chain = wire::isakmp::encode_payload_chain(replaced);
    });
    EXPECT_TRUE(sealed.has_value());
    return sealed.value_or(Bytes{});
  }

 private:
  // The KE payload of the first unencrypted Main Mode message `from` sent (MM3 or MM4).
  static std::optional<Bytes> key_exchange_of(const HeldNegotiation& n, const Peer& from) {
    for (const auto& d : n.net.wire_log) {
      if (d.local.address != from.ip) continue;
      auto m = wire::isakmp::parse_message(d.payload);
      if (!m || m.value->header.encrypted()) continue;
      if (const auto* ke = wire::isakmp::find_payload<wire::isakmp::KePayload>(m.value->payloads))
        return ke->data;
    }
    return std::nullopt;
  }
};

}  // namespace cygnet::ike::test
