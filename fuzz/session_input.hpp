// The input of the session fuzzers (fuzz_ike_session, fuzz_ikev1_session), a structured
// description of one rewritten message:
//
//   [scenario][options][first payload type][cleartext payload chain ...]
//
// scenario: index into the target's scenario table (modulo its size); options: bit 0 picks the
// other cipher suite; the chain is what the message carries inside its encryption (for IKEv1 Quick
// Mode and Informational messages: after the HASH payload, which the fuzzer computes). The custom
// mutator and cross-over below keep that shape, so most inputs parse and reach the exchange code.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <random>

#include "payload_chain_mutator.hpp"

namespace cygnet::fuzz {

inline constexpr std::size_t kSessionPrefix = 3;
inline constexpr std::uint8_t kOptionOtherSuite = 1;

struct SessionInput {
  std::size_t scenario;
  bool other_suite;
  std::uint8_t first;
  ByteView chain;
};

inline std::optional<SessionInput> parse_session_input(const std::uint8_t* data, std::size_t size,
                                                       std::size_t scenarios) {
  if (size < kSessionPrefix) return std::nullopt;
  return SessionInput{data[0] % scenarios, (data[1] & kOptionOtherSuite) != 0, data[2],
                      ByteView(data + kSessionPrefix, size - kSessionPrefix)};
}

inline Bytes session_input(std::size_t scenario, bool other_suite, std::uint8_t first, ByteView chain) {
  Bytes out = {static_cast<std::uint8_t>(scenario), other_suite ? kOptionOtherSuite : std::uint8_t{0}, first};
  out.insert(out.end(), chain.begin(), chain.end());
  return out;
}

// LLVMFuzzerCustomMutator: rarely another scenario or suite; otherwise 1–3 payload-level mutations.
inline std::size_t mutate_session_input(std::uint8_t* data, std::size_t size, std::size_t max_size,
                                        unsigned int seed, std::size_t scenarios) {
  if (max_size < kSessionPrefix + 4) return size;
  std::minstd_rand rng(seed);
  if (size < kSessionPrefix) {  // start from an empty chain of some scenario
    data[0] = static_cast<std::uint8_t>(rng() % scenarios);
    data[1] = static_cast<std::uint8_t>(rng() % 2);
    data[2] = 0;
    return kSessionPrefix;
  }
  switch (rng() % 32) {
    case 0: data[0] = static_cast<std::uint8_t>(rng() % scenarios); return size;
    case 1: data[1] ^= kOptionOtherSuite; return size;
    default: break;
  }
  RawChain chain = split_chain(data[2], ByteView(data + kSessionPrefix, size - kSessionPrefix));
  const int rounds = 1 + static_cast<int>(rng() % 3);
  for (int i = 0; i < rounds; ++i) mutate_chain(chain, rng, max_size - kSessionPrefix);
  Bytes joined = join_chain(chain);
  if (joined.size() > max_size - kSessionPrefix) joined.resize(max_size - kSessionPrefix);
  data[2] = chain.payloads.empty() ? 0 : chain.first;
  if (rng() % 16 == 0) data[2] = static_cast<std::uint8_t>(rng());  // a first payload type that lies
  std::copy(joined.begin(), joined.end(), data + kSessionPrefix);
  return kSessionPrefix + joined.size();
}

// LLVMFuzzerCustomCrossOver: payloads from the front of one input and the back of another, on the
// first one's scenario.
inline std::size_t cross_over_session_inputs(const std::uint8_t* data1, std::size_t size1,
                                             const std::uint8_t* data2, std::size_t size2, std::uint8_t* out,
                                             std::size_t max_out_size, unsigned int seed) {
  if (size1 < kSessionPrefix || size2 < kSessionPrefix || max_out_size < kSessionPrefix) return 0;
  std::minstd_rand rng(seed);
  RawChain a = split_chain(data1[2], ByteView(data1 + kSessionPrefix, size1 - kSessionPrefix));
  const RawChain b = split_chain(data2[2], ByteView(data2 + kSessionPrefix, size2 - kSessionPrefix));
  a.payloads.resize(a.payloads.empty() ? 0 : rng() % (a.payloads.size() + 1));
  const std::size_t from = b.payloads.empty() ? 0 : rng() % b.payloads.size();
  a.payloads.insert(a.payloads.end(), b.payloads.begin() + static_cast<std::ptrdiff_t>(from),
                    b.payloads.end());
  a.trailing.clear();
  Bytes joined = join_chain(a);
  if (joined.size() > max_out_size - kSessionPrefix) joined.resize(max_out_size - kSessionPrefix);
  out[0] = data1[0];
  out[1] = data1[1];
  out[2] = a.payloads.empty() ? 0 : a.first;
  std::copy(joined.begin(), joined.end(), out + kSessionPrefix);
  return kSessionPrefix + joined.size();
}

}  // namespace cygnet::fuzz
