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

#include "ikev1_session_pair.hpp"
#include "session_fuzzer.hpp"

using namespace cygnet;

namespace {

struct Target {
  using Pair = fuzz::Ikev1SessionPair;
  using Interception = fuzz::Ikev1Interception;
  static const auto& scenarios() { return fuzz::kIkev1Scenarios; }
  static constexpr const char* kOtherSuite = "ecp";
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
