// Fuzzes IKEv2 past the integrity check: two engines establish an IKE SA and CHILD SAs
// deterministically, and one message of a later exchange (IKE_AUTH, CREATE_CHILD_SA for a new
// child, a CHILD or IKE rekey, INFORMATIONAL Delete or liveness; request or response, sent by
// either side) gets the input's cleartext payload chain, encrypted and authenticated with the
// session's real keys. The engines then run on and their status must stay consistent with the
// actions they emitted (engine_pair.hpp, ike_session_pair.hpp).
//
// Input format and mutator: session_input.hpp; option bit 0: the initiator offers only CBC+HMAC
// with PFS (else AES-GCM). The chain is what goes inside the SK payload, as on the wire.
//
// Seeds: CYGNET_FUZZ_WRITE_SEEDS=DIR ./fuzz_ike_session writes the original cleartext of every
// scenario (both suites) to DIR and exits; fuzz/corpus/ike_session/ holds that output.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "ike_session_pair.hpp"
#include "session_input.hpp"

using namespace cygnet;

namespace {

void write_seeds(const char* dir) {
  for (std::size_t i = 0; i < fuzz::kScenarios.size(); ++i) {
    for (bool cbc : {false, true}) {
      fuzz::Interception x;
      x.scenario = &fuzz::kScenarios[i];
      x.replace = false;
      fuzz::Ikev2SessionPair pair(cbc, x);
      if (!pair.run()) {
        std::fprintf(stderr, "scenario %s%s: no message intercepted\n", x.scenario->name,
                     cbc ? " (cbc)" : "");
        continue;
      }
      const Bytes seed = fuzz::session_input(i, cbc, x.recorded_first, x.recorded_chain);
      const std::string path = std::string(dir) + "/" + x.scenario->name + (cbc ? "_cbc" : "");
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
  const auto input = fuzz::parse_session_input(data, size, fuzz::kScenarios.size());
  if (!input) return 0;
  fuzz::Interception x;
  x.scenario = &fuzz::kScenarios[input->scenario];
  x.first = input->first;
  x.chain = input->chain;
  fuzz::Ikev2SessionPair pair(input->other_suite, x);
  (void)pair.run();
  return 0;
}

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size, std::size_t max_size,
                                               unsigned int seed) {
  return fuzz::mutate_session_input(data, size, max_size, seed, fuzz::kScenarios.size());
}

extern "C" std::size_t LLVMFuzzerCustomCrossOver(const std::uint8_t* data1, std::size_t size1,
                                                 const std::uint8_t* data2, std::size_t size2,
                                                 std::uint8_t* out, std::size_t max_out_size,
                                                 unsigned int seed) {
  return fuzz::cross_over_session_inputs(data1, size1, data2, size2, out, max_out_size, seed);
}
