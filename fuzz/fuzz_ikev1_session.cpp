// Fuzzes IKEv1 past the HASH and the encryption: two engines run Main Mode and Quick Mode
// deterministically, and one encrypted message — Main Mode 5 or 6, Quick Mode 1/2/3 (first child or
// a rekey by either side), an Informational Delete or DPD — gets the input's cleartext payload
// chain, with a correct HASH in front where the message has one and encrypted with the IV the
// receiver expects (ikev1_session_pair.hpp). The engines then run on and must stay consistent
// (engine_pair.hpp). Input format and mutator: session_input.hpp; option bit 0: the initiator offers
// AES-128/ECP-256 and a Quick Mode with PFS instead of AES-256/MODP-2048 and AES-GCM.
//
// Main Mode 5/6 carry HASH_I/HASH_R inside the chain (kept as recorded, so a rewritten ID fails
// authentication while added or reordered payloads do not).
//
// Seeds: CYGNET_FUZZ_WRITE_SEEDS=DIR ./fuzz_ikev1_session writes every scenario's original
// cleartext to DIR and exits; fuzz/corpus/ikev1_session/ holds that output.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "ikev1_session_pair.hpp"
#include "session_input.hpp"

using namespace cygnet;

namespace {

void write_seeds(const char* dir) {
  for (std::size_t i = 0; i < fuzz::kIkev1Scenarios.size(); ++i) {
    for (bool ecp : {false, true}) {
      fuzz::Ikev1Interception x;
      x.scenario = &fuzz::kIkev1Scenarios[i];
      x.replace = false;
      fuzz::Ikev1SessionPair pair(ecp, x);
      if (!pair.run()) {
        std::fprintf(stderr, "scenario %s%s: no message intercepted\n", x.scenario->name,
                     ecp ? " (ecp)" : "");
        continue;
      }
      const Bytes seed = fuzz::session_input(i, ecp, x.recorded_first, x.recorded_chain);
      const std::string path = std::string(dir) + "/" + x.scenario->name + (ecp ? "_ecp" : "");
      std::ofstream(path, std::ios::binary)
          .write(reinterpret_cast<const char*>(seed.data()), static_cast<std::streamsize>(seed.size()));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("CYGNET_FUZZ_WRITE_SEEDS")) {
    write_seeds(dir);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = fuzz::parse_session_input(data, size, fuzz::kIkev1Scenarios.size());
  if (!input) return 0;
  fuzz::Ikev1Interception x;
  x.scenario = &fuzz::kIkev1Scenarios[input->scenario];
  x.first = input->first;
  x.chain = input->chain;
  fuzz::Ikev1SessionPair pair(input->other_suite, x);
  (void)pair.run();
  return 0;
}

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size, std::size_t max_size,
                                               unsigned int seed) {
  return fuzz::mutate_session_input(data, size, max_size, seed, fuzz::kIkev1Scenarios.size());
}

extern "C" std::size_t LLVMFuzzerCustomCrossOver(const std::uint8_t* data1, std::size_t size1,
                                                 const std::uint8_t* data2, std::size_t size2,
                                                 std::uint8_t* out, std::size_t max_out_size,
                                                 unsigned int seed) {
  return fuzz::cross_over_session_inputs(data1, size1, data2, size2, out, max_out_size, seed);
}
