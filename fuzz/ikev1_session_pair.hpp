// The IKEv1 side of the session fuzzers, on an EnginePair (engine_pair.hpp): Main Mode (PSK) and
// Quick Mode run between two engines; one encrypted message — Main Mode 5 or 6, a Quick Mode
// message, an Informational (Delete, DPD) — gets the fuzz input's cleartext payload chain,
// authenticated (a fresh HASH(1)/(2)/(3) or Informational HASH in front of the chain, with SKEYID_a)
// and encrypted under the phase-1 key with the IV the receiver expects.
//
// The receiver's IV is followed on the wire (RFC 2409 Appendix B): phase 1 starts from
// hash(g^xi | g^xr) (the KE payloads of messages 3 and 4), each encrypted message's last
// ciphertext block is the next IV, and a Quick Mode or Informational exchange starts from
// hash(last phase-1 block | M-ID). The nonces of each Quick Mode (for HASH(2)/(3)) are read from its
// decrypted messages in flight.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>

#include "crypto/block_cipher.hpp"
#include "crypto/hmac.hpp"
#include "engine_pair.hpp"
#include "ike/key_export.hpp"
#include "ike/v1/ikev1_keys.hpp"
#include "ike/v1/ikev1_protection.hpp"
#include "ikev1_responder_setup.hpp"
#include "payload_chain_mutator.hpp"
#include "wire/isakmp_message.hpp"

namespace cygnet::fuzz {

struct Ikev1Scenario {
  const char* name;
  Trigger trigger;
  Side actor;   // the side that starts the exchange
  Side sender;  // the side whose message is replaced
  wire::isakmp::ExchangeType exchange;
  int position;  // 1-based message of its exchange (Main Mode: 5 or 6; Quick Mode: 1–3; else 1)
};

using wire::isakmp::ExchangeType;
inline constexpr Side kI = Side::Initiator;
inline constexpr Side kR = Side::Responder;
inline constexpr std::array<Ikev1Scenario, 16> kIkev1Scenarios{{
    {"main_mode_5", Trigger::Handshake, kI, kI, ExchangeType::IdentityProtection, 5},
    {"main_mode_6", Trigger::Handshake, kI, kR, ExchangeType::IdentityProtection, 6},
    {"quick_mode_1", Trigger::Handshake, kI, kI, ExchangeType::QuickMode, 1},
    {"quick_mode_2", Trigger::Handshake, kI, kR, ExchangeType::QuickMode, 2},
    {"quick_mode_3", Trigger::Handshake, kI, kI, ExchangeType::QuickMode, 3},
    {"rekey_quick_mode_1", Trigger::ChildRekey, kI, kI, ExchangeType::QuickMode, 1},
    {"rekey_quick_mode_2", Trigger::ChildRekey, kI, kR, ExchangeType::QuickMode, 2},
    {"rekey_quick_mode_1_by_responder", Trigger::ChildRekey, kR, kR, ExchangeType::QuickMode, 1},
    {"rekey_quick_mode_2_to_responder", Trigger::ChildRekey, kR, kI, ExchangeType::QuickMode, 2},
    {"rekey_quick_mode_3_by_responder", Trigger::ChildRekey, kR, kR, ExchangeType::QuickMode, 3},
    {"delete_ipsec_sa", Trigger::ChildDelete, kI, kI, ExchangeType::Informational, 1},
    {"delete_ipsec_sa_by_responder", Trigger::ChildDelete, kR, kR, ExchangeType::Informational, 1},
    {"delete_all", Trigger::IkeDelete, kI, kI, ExchangeType::Informational, 1},
    {"delete_all_by_responder", Trigger::IkeDelete, kR, kR, ExchangeType::Informational, 1},
    {"dpd_r_u_there", Trigger::Liveness, kI, kI, ExchangeType::Informational, 1},
    {"dpd_r_u_there_ack", Trigger::Liveness, kI, kR, ExchangeType::Informational, 1},
}};

inline constexpr std::uint64_t kIkev1SessionInitiatorSeed = 0x5E551031;
inline constexpr std::uint64_t kIkev1SessionResponderSeed = 0x5E551042;
inline constexpr crypto::HashAlgorithm kIkev1Prf = crypto::HashAlgorithm::Sha256;  // both suites: sha256

// The fuzz_ikev1_responder Main Mode connection; `ecp` limits the initiator's offer to the second
// proposals (AES-128, ECP-256, and a Quick Mode with PFS) instead of AES-256/MODP-2048 and AES-GCM.
inline ike::ConnectionSettings ikev1_session_connection(bool responder, bool ecp) {
  ike::ConnectionSettings c = ikev1_fuzz_main_connection(responder);
  c.ike_lifetime = std::chrono::seconds(1000);
  for (ike::ChildSettings& child : c.children) child.lifetime = std::chrono::seconds(3600);
  if (ecp && !responder) {
    c.ike_proposals.erase(c.ike_proposals.begin());
    c.ike_proposals.front().number = 1;
    c.children.front().proposals.erase(c.children.front().proposals.begin());
    c.children.front().proposals.front().number = 1;
  }
  return c;
}

struct Ikev1Interception {
  const Ikev1Scenario* scenario = nullptr;
  std::uint8_t first = 0;  // the chain after the HASH payload (Quick Mode, Informational) or the whole chain
  ByteView chain;
  bool replace = true;
  bool done = false;
  std::uint8_t recorded_first = 0;
  Bytes recorded_chain;
};

class Ikev1SessionPair : public EnginePair {
 public:
  Ikev1SessionPair(bool ecp, Ikev1Interception& interception)
      : EnginePair(session_options(), kIkev1SessionInitiatorSeed, kIkev1SessionResponderSeed),
        x_(interception) {
    add_connections(ikev1_session_connection(false, ecp), ikev1_session_connection(true, ecp));
  }

  bool run() {
    EnginePair::run(x_.scenario->trigger, x_.scenario->actor);
    return x_.done;
  }

  static ike::EngineOptions session_options() {
    ike::EngineOptions o = ike_fuzz_options();
    o.retain_keys_for_export = true;  // the phase-1 key and SKEYID_a
    return o;
  }

 protected:
  // Follows every message (IVs, KE values, nonces), and replaces the scenario's one. Messages it
  // cannot follow (a retransmission, whose IV has moved on) pass unchanged.
  void intercept(Side from, Bytes& datagram, bool armed) override {
    const bool marker =
        datagram.size() >= 4 && datagram[0] == 0 && datagram[1] == 0 && datagram[2] == 0 && datagram[3] == 0;
    const ByteView bytes = ByteView(datagram).subspan(marker ? 4 : 0);
    auto parsed = wire::isakmp::parse_message(bytes);
    if (!parsed) return;
    const wire::isakmp::Header& h = parsed.value->header;
    Flow& flow = flows_[h.initiator_cookie];
    if (!h.encrypted()) {
      if (const auto* ke = wire::isakmp::find_payload<wire::isakmp::KePayload>(parsed.value->payloads))
        (from == Side::Initiator ? flow.gxi : flow.gxr) = ke->data;
      return;
    }
    // Both ends hold the same keys; the cache keeps them for a message sent as its SA goes away.
    for (ike::IsakmpSaKeyExport& k : engine(from).export_keys().isakmp_sas) keys_[k.cookie_i] = std::move(k);
    const auto found = keys_.find(h.initiator_cookie);
    if (found == keys_.end() || flow.gxi.empty() || flow.gxr.empty()) return;
    const ike::IsakmpSaKeyExport* keys = &found->second;
    const crypto::CbcAlgorithm cipher =
        keys->encryption_key.size() == 32 ? crypto::CbcAlgorithm::AesCbc256 : crypto::CbcAlgorithm::AesCbc128;
    ike::v1::Phase1Protection protection(cipher, keys->encryption_key.view());
    const std::size_t block = protection.block_size();

    const bool phase1 = h.message_id == 0;
    Bytes iv;
    if (phase1) {
      iv = flow.phase1_iv.empty() ? ike::v1::phase1_iv(kIkev1Prf, flow.gxi, flow.gxr, block) : flow.phase1_iv;
    } else {
      const auto chained = flow.exchange_iv.find(h.message_id);
      if (chained != flow.exchange_iv.end())
        iv = chained->second;
      else if (!flow.last_phase1_block.empty())
        iv = ike::v1::phase2_iv(kIkev1Prf, flow.last_phase1_block, h.message_id, block);
      else
        return;
    }
    auto opened = protection.unprotect(*parsed.value, iv);
    if (!opened) return;
    const int position = phase1 ? 5 + flow.phase1_encrypted++ : ++flow.messages[h.message_id];
    // The original cleartext: for hashed messages the chain after HASH, padding dropped.
    RawChain chain = split_chain(static_cast<std::uint8_t>(h.next_payload), opened.value->plaintext);
    chain.trailing.clear();
    const bool hashed = !phase1 && !chain.payloads.empty() && chain.payloads.front().type == 8;
    if (hashed) chain.payloads.erase(chain.payloads.begin());
    if (h.exchange == ExchangeType::QuickMode && hashed) {
      for (const RawPayload& p : chain.payloads)
        if (p.type == 10) (position == 1 ? flow.ni : flow.nr)[h.message_id] = p.body;
    }

    const Ikev1Scenario& s = *x_.scenario;
    if (armed && !x_.done && from == s.sender && h.exchange == s.exchange && position == s.position) {
      x_.done = true;
      x_.recorded_chain = join_chain(chain);
      x_.recorded_first = chain.payloads.empty() ? 0 : chain.payloads.front().type;
      if (x_.replace) {
        const auto sealed = reprotect(h, protection, iv, *keys, flow, hashed, position);
        datagram.resize(marker ? 4 : 0);
        datagram.insert(datagram.end(), sealed.datagram.begin(), sealed.datagram.end());
      }
    }
    // What the receiver's chain holds now: the last block of what it is about to receive.
    const Bytes next_iv(datagram.end() - static_cast<std::ptrdiff_t>(block), datagram.end());
    if (phase1) {
      flow.phase1_iv = next_iv;
      if (position == 6) flow.last_phase1_block = next_iv;
    } else {
      flow.exchange_iv[h.message_id] = next_iv;
    }
  }

 private:
  struct Flow {  // one ISAKMP SA, by initiator cookie
    Bytes gxi, gxr;
    Bytes phase1_iv;           // the phase-1 chain (empty: not started)
    int phase1_encrypted = 0;  // encrypted phase-1 messages seen (MM5, MM6)
    Bytes last_phase1_block;   // after MM6: seeds every Quick Mode and Informational IV
    std::map<std::uint32_t, Bytes> exchange_iv;
    std::map<std::uint32_t, int> messages;
    std::map<std::uint32_t, Bytes> ni, nr;
  };

  ike::v1::Phase1Protection::Protected reprotect(const wire::isakmp::Header& h,
                                                 ike::v1::Phase1Protection& protection, ByteView iv,
                                                 const ike::IsakmpSaKeyExport& keys, Flow& flow, bool hashed,
                                                 int position) {
    wire::isakmp::EncodedChain plain{static_cast<wire::isakmp::PayloadType>(x_.first),
                                     Bytes(x_.chain.begin(), x_.chain.end())};
    if (hashed) {
      const ByteView a = keys.skeyid_a.view();
      const std::uint32_t mid = h.message_id;
      Bytes hash;
      if (h.exchange != ExchangeType::QuickMode)
        hash = ike::v1::informational_hash(kIkev1Prf, a, mid, plain.bytes);
      else if (position == 1)
        hash = ike::v1::quick_mode_hash1(kIkev1Prf, a, mid, plain.bytes);
      else if (position == 2)
        hash = ike::v1::quick_mode_hash2(kIkev1Prf, a, mid, flow.ni[mid], plain.bytes);
      else
        hash = ike::v1::quick_mode_hash3(kIkev1Prf, a, mid, flow.ni[mid], flow.nr[mid]);
      Bytes with_hash = {x_.chain.empty() ? std::uint8_t{0} : x_.first, 0,
                         static_cast<std::uint8_t>((hash.size() + 4) >> 8),
                         static_cast<std::uint8_t>(hash.size() + 4)};
      with_hash.insert(with_hash.end(), hash.begin(), hash.end());
      with_hash.insert(with_hash.end(), plain.bytes.begin(), plain.bytes.end());
      plain = {wire::isakmp::PayloadType::Hash, std::move(with_hash)};
    }
    if (plain.bytes.empty()) plain.bytes.push_back(0);  // the cipher needs a block to encrypt
    return protection.protect(h, plain, iv);
  }

  Ikev1Interception& x_;
  std::map<std::uint64_t, Flow> flows_;
  std::map<std::uint64_t, ike::IsakmpSaKeyExport> keys_;  // by initiator cookie
};

}  // namespace cygnet::fuzz
