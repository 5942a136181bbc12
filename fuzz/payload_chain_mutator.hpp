// Structure-aware mutation of a cleartext IKE payload chain (the bytes inside an IKEv2 SK payload;
// IKEv1 chains have the same generic payload header). The chain is split at its generic headers
// (next payload, flags, 16-bit length) into payloads, mutated as payloads — dropped, duplicated,
// swapped, inserted, a known field of a known payload type set to an interesting value, a length
// field made to lie — and joined again with the next-payload fields relinked (unless the mutation's
// point is a broken link or length). Used by the session fuzzers' LLVMFuzzerCustomMutator.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "base/bytes.hpp"

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

namespace cygnet::fuzz {

struct RawPayload {
  std::uint8_t type = 0;
  std::uint8_t flags = 0;  // the byte after Next Payload: critical bit (IKEv2) / reserved
  Bytes body;
  std::optional<std::uint16_t> length_override;  // a deliberately wrong length field
};

struct RawChain {
  std::uint8_t first = 0;
  std::vector<RawPayload> payloads;
  Bytes trailing;  // bytes that do not form a payload (kept, so nothing is lost by a round trip)
};

// Splits at the generic headers; a length that runs past the end ends the split (the rest is
// `trailing`). Never fails.
inline RawChain split_chain(std::uint8_t first, ByteView bytes) {
  RawChain chain;
  chain.first = first;
  std::uint8_t type = first;
  std::size_t at = 0;
  while (type != 0 && bytes.size() - at >= 4) {
    const std::size_t length = (std::size_t{bytes[at + 2]} << 8) | bytes[at + 3];
    if (length < 4 || length > bytes.size() - at) break;
    RawPayload p;
    p.type = type;
    p.flags = bytes[at + 1];
    p.body.assign(bytes.begin() + static_cast<std::ptrdiff_t>(at + 4),
                  bytes.begin() + static_cast<std::ptrdiff_t>(at + length));
    type = bytes[at];
    chain.payloads.push_back(std::move(p));
    at += length;
  }
  chain.trailing.assign(bytes.begin() + static_cast<std::ptrdiff_t>(at), bytes.end());
  return chain;
}

// Joins the payloads; each Next Payload names the following payload's type (0 after the last).
inline Bytes join_chain(RawChain& chain) {
  Bytes out;
  if (!chain.payloads.empty()) chain.first = chain.payloads.front().type;
  for (std::size_t i = 0; i < chain.payloads.size(); ++i) {
    const RawPayload& p = chain.payloads[i];
    const std::uint8_t next = i + 1 < chain.payloads.size() ? chain.payloads[i + 1].type : 0;
    const std::size_t real_length = std::min<std::size_t>(p.body.size() + 4, 0xffff);
    const std::uint16_t length = p.length_override.value_or(static_cast<std::uint16_t>(real_length));
    out.push_back(next);
    out.push_back(p.flags);
    out.push_back(static_cast<std::uint8_t>(length >> 8));
    out.push_back(static_cast<std::uint8_t>(length));
    out.insert(out.end(), p.body.begin(), p.body.begin() + static_cast<std::ptrdiff_t>(real_length - 4));
  }
  out.insert(out.end(), chain.trailing.begin(), chain.trailing.end());
  return out;
}

// Where the fields worth aiming at sit in a payload body, per type (offset, width in bytes).
// IKEv2 numbers (RFC 7296 §3); IKEv1's differ (RFC 2408 §3) and are listed after them.
struct FieldSpot {
  std::size_t offset;
  std::size_t width;
};

inline std::vector<FieldSpot> field_spots(std::uint8_t type, const Bytes& body) {
  std::vector<FieldSpot> spots;
  auto add = [&](std::size_t offset, std::size_t width) {
    if (offset + width <= body.size()) spots.push_back({offset, width});
  };
  switch (type) {
    case 33: {  // SA: proposal header, SPI, first transform
      add(0, 1), add(2, 2), add(4, 1), add(5, 1), add(6, 1), add(7, 1);
      const std::size_t spi_size = body.size() > 6 ? body[6] : 0;
      add(8, spi_size);
      const std::size_t transform = 8 + spi_size;
      add(transform, 1), add(transform + 2, 2), add(transform + 4, 1), add(transform + 6, 2);
      add(transform + 8, 4);  // the first attribute (key length)
      break;
    }
    case 34: add(0, 2), add(4, 32); break;  // KE: group, key data
    case 35:
    case 36: add(0, 1), add(4, 4); break;   // IDi/IDr: ID type, data
    case 39: add(0, 1), add(4, 16); break;  // AUTH: method, data
    case 40: add(0, 16); break;             // Nonce
    case 41:                                // Notify: protocol, SPI size, type, SPI
      add(0, 1), add(1, 1), add(2, 2), add(4, body.size() > 1 ? body[1] : 0), add(4, 4);
      break;
    case 42: add(0, 1), add(1, 1), add(2, 2), add(4, 4); break;  // Delete: protocol, SPI size, count, SPI
    case 44:
    case 45:  // TSi/TSr: count, first selector's type, protocol, length, ports, addresses
      add(0, 1), add(4, 1), add(5, 1), add(6, 2), add(8, 2), add(10, 2), add(12, 4), add(16, 4);
      break;
    case 47:
      add(0, 1), add(4, 2), add(6, 2);
      break;  // CP: type, first attribute
    // IKEv1 (RFC 2408): SA (1), KE (4), ID (5), HASH (8), Nonce (10), Notification (11), Delete (12)
    case 1: add(0, 4), add(4, 4), add(8, 1), add(9, 1), add(10, 1), add(11, 1), add(12, 1); break;
    case 5: add(0, 1), add(1, 1), add(2, 2), add(4, 4); break;
    case 8: add(0, 4); break;
    case 11: add(0, 4), add(4, 1), add(5, 1), add(6, 2), add(8, 4); break;
    case 12: add(0, 4), add(4, 1), add(5, 1), add(6, 2), add(8, 4); break;
    default: add(0, 4); break;
  }
  return spots;
}

// Values protocol code tends to branch on: notify types, transform IDs, ID and TS types, boundaries.
inline constexpr std::uint16_t kInterestingValues[] = {
    0,     1,     2,      3,      4,      7,     8,     11,    12,    14,    16,    17,    19,    20,
    24,    31,    34,     35,     36,     37,    38,    39,    40,    41,    42,    43,    44,    45,
    255,   256,   0x7fff, 0x8000, 0xffff, 16384, 16385, 16386, 16387, 16388, 16389, 16390, 16391, 16392,
    16393, 16394, 16395,  16396,  16404,  16430, 16431, 24576, 24578, 36136, 36137,  // IKEv1 status types and
                                                                                     // DPD
};

// Applies one structured mutation (or, 1 time in 4, LLVMFuzzerMutate on one payload's body).
inline void mutate_chain(RawChain& chain, std::minstd_rand& rng, std::size_t max_chain_bytes) {
  auto pick = [&](std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(rng() % n); };
  auto& ps = chain.payloads;
  switch (rng() % 10) {
    case 0:  // drop a payload
      if (!ps.empty()) ps.erase(ps.begin() + static_cast<std::ptrdiff_t>(pick(ps.size())));
      break;
    case 1:  // duplicate one
      if (!ps.empty()) {
        const std::size_t i = pick(ps.size());
        ps.insert(ps.begin() + static_cast<std::ptrdiff_t>(pick(ps.size() + 1)), ps[i]);
      }
      break;
    case 2:  // reorder
      if (ps.size() >= 2) std::swap(ps[pick(ps.size())], ps[pick(ps.size())]);
      break;
    case 3:  // a length field that lies
      if (!ps.empty()) {
        RawPayload& p = ps[pick(ps.size())];
        const int delta = static_cast<int>(rng() % 9) - 4;
        const int length = static_cast<int>(p.body.size()) + 4 + delta;
        p.length_override = static_cast<std::uint16_t>(rng() % 4 == 0 ? rng() % 8 : std::max(length, 0));
      }
      break;
    case 4:  // a known field set to an interesting value (or nudged by one)
    case 5:
      if (!ps.empty()) {
        RawPayload& p = ps[pick(ps.size())];
        const auto spots = field_spots(p.type, p.body);
        if (spots.empty()) break;
        const FieldSpot s = spots[pick(spots.size())];
        std::uint64_t value = kInterestingValues[pick(std::size(kInterestingValues))];
        if (rng() % 3 == 0) {  // nudge what is there
          std::uint64_t old = 0;
          for (std::size_t k = 0; k < std::min<std::size_t>(s.width, 8); ++k)
            old = (old << 8) | p.body[s.offset + k];
          value = rng() % 2 ? old + 1 : old - 1;
        }
        for (std::size_t k = 0; k < s.width; ++k) {
          const std::size_t shift = 8 * (s.width - 1 - k);
          p.body[s.offset + k] = shift < 64 ? static_cast<std::uint8_t>(value >> shift) : 0;
        }
      }
      break;
    case 6: {  // insert a small payload: a notify of an interesting type, or an empty/unknown one
      RawPayload p;
      p.type = static_cast<std::uint8_t>(rng() % 3 == 0 ? rng() % 60 : 41);
      if (p.type == 41) {
        const std::uint16_t t = kInterestingValues[pick(std::size(kInterestingValues))];
        p.body = {0, 0, static_cast<std::uint8_t>(t >> 8), static_cast<std::uint8_t>(t)};
        if (rng() % 2) p.body[0] = 3, p.body[1] = 4, p.body.insert(p.body.end(), {0xc0, 0xff, 0xee, 0x01});
      }
      if (rng() % 4 == 0) p.flags = 0x80;  // critical
      ps.insert(ps.begin() + static_cast<std::ptrdiff_t>(pick(ps.size() + 1)), std::move(p));
      break;
    }
    case 7:  // truncate or extend a body
      if (!ps.empty()) {
        RawPayload& p = ps[pick(ps.size())];
        if (rng() % 2 && !p.body.empty())
          p.body.resize(pick(p.body.size()));
        else
          p.body.resize(p.body.size() + 1 + pick(16), static_cast<std::uint8_t>(rng()));
      }
      break;
    case 8:  // a payload's type (its predecessor's Next Payload)
      if (!ps.empty()) ps[pick(ps.size())].type = static_cast<std::uint8_t>(kInterestingValues[pick(28)]);
      break;
    default:  // byte-level, inside one body
      if (!ps.empty()) {
        RawPayload& p = ps[pick(ps.size())];
        const std::size_t old = p.body.size();
        p.body.resize(old + 32);
        p.body.resize(LLVMFuzzerMutate(p.body.data(), old, p.body.size()));
      }
      break;
  }
  // Keep the input bounded: drop payloads from the end until the chain fits.
  std::size_t total = chain.trailing.size();
  for (const RawPayload& p : ps) total += 4 + p.body.size();
  while (total > max_chain_bytes && !ps.empty()) {
    total -= 4 + ps.back().body.size();
    ps.pop_back();
  }
  if (total > max_chain_bytes) chain.trailing.clear();
}

}  // namespace cygnet::fuzz
