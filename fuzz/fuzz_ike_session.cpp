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

#include "ike_session_pair.hpp"
#include "session_fuzzer.hpp"

using namespace cygnet;

namespace {

struct Target {
  using Pair = fuzz::Ikev2SessionPair;
  using Interception = fuzz::Interception;
  static const auto& scenarios() { return fuzz::kScenarios; }
  static constexpr const char* kOtherSuite = "cbc";
};
using Fuzzer = fuzz::SessionFuzzer<Target>;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  return Fuzzer::initialize();
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return Fuzzer::test_one_input(data, size);
}

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size, std::size_t max_size,
                                               unsigned int seed) {
  return Fuzzer::mutate(data, size, max_size, seed);
}
