// The libFuzzer entry points the two session fuzzers (fuzz_ike_session, fuzz_ikev1_session) share:
// seed writing, one input run through a session pair, and the structure-aware mutator
// (session_input.hpp). A target names its pair, interception and scenario table in a `Target`:
//
//   struct Target {
//     using Pair = ...;          // Pair(bool other_suite, Interception&), bool run()
//     using Interception = ...;  // scenario, replace, first, chain, recorded_first, recorded_chain
//     static const auto& scenarios();   // each with a `name`
//     static constexpr const char* kOtherSuite = "cbc";  // seed file suffix for option bit 0
//   };
//
// Include it from exactly one translation unit per fuzzer binary: it defines
// LLVMFuzzerCustomCrossOver, which is the same for both.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "session_input.hpp"

namespace cygnet::fuzz {

template <typename Target>
struct SessionFuzzer {
  // CYGNET_FUZZ_WRITE_SEEDS=DIR: the original cleartext of every scenario (both suites) into DIR.
  static void write_seeds(const char* dir) {
    const auto& scenarios = Target::scenarios();
    for (std::size_t i = 0; i < scenarios.size(); ++i) {
      for (bool other_suite : {false, true}) {
        typename Target::Interception x;
        x.scenario = &scenarios[i];
        x.replace = false;
        typename Target::Pair pair(other_suite, x);
        const std::string suffix = other_suite ? std::string("_") + Target::kOtherSuite : "";
        if (!pair.run()) {
          std::fprintf(stderr, "scenario %s%s: no message intercepted\n", x.scenario->name, suffix.c_str());
          continue;
        }
        const Bytes seed = session_input(i, other_suite, x.recorded_first, x.recorded_chain);
        std::ofstream(std::string(dir) + "/" + x.scenario->name + suffix, std::ios::binary)
            .write(reinterpret_cast<const char*>(seed.data()), static_cast<std::streamsize>(seed.size()));
      }
    }
  }

  static int initialize() {
    if (const char* dir = std::getenv("CYGNET_FUZZ_WRITE_SEEDS")) {
      write_seeds(dir);
      std::exit(0);
    }
    return 0;
  }

  static int test_one_input(const std::uint8_t* data, std::size_t size) {
    const auto input = parse_session_input(data, size, Target::scenarios().size());
    if (!input) return 0;
    typename Target::Interception x;
    x.scenario = &Target::scenarios()[input->scenario];
    x.first = input->first;
    x.chain = input->chain;
    typename Target::Pair pair(input->other_suite, x);
    (void)pair.run();
    return 0;
  }

  static std::size_t mutate(std::uint8_t* data, std::size_t size, std::size_t max_size, unsigned int seed) {
    return mutate_session_input(data, size, max_size, seed, Target::scenarios().size());
  }
};

}  // namespace cygnet::fuzz

extern "C" std::size_t LLVMFuzzerCustomCrossOver(const std::uint8_t* data1, std::size_t size1,
                                                 const std::uint8_t* data2, std::size_t size2,
                                                 std::uint8_t* out, std::size_t max_out_size,
                                                 unsigned int seed) {
  return cygnet::fuzz::cross_over_session_inputs(data1, size1, data2, size2, out, max_out_size, seed);
}
