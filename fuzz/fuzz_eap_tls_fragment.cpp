// libFuzzer target: the EAP-TLS fragment parser (RFC 5216 §3.1, wire/eap_tls_fragment.hpp) and the
// reassembler behind it (ike/eap_tls_fragmentation.hpp). The input is a sequence of fragments,
// each prefixed by one length byte; every parsed fragment re-serialises to its bytes, feeds the
// reassembler, and a completed message never exceeds the bound or the announced length.
#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "base/bytes.hpp"
#include "ike/eap_tls_fragmentation.hpp"
#include "wire/eap_tls_fragment.hpp"

namespace {

using namespace cygnet;

void check(bool condition) {
  if (!condition) std::abort();
}

constexpr std::size_t kBound = 4096;  // small, so the fuzzer reaches the limit

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ike::EapTlsReassembler reassembler(kBound);
  ByteView input(data, size);
  while (!input.empty()) {
    const std::size_t n = std::min<std::size_t>(input[0], input.size() - 1);
    const ByteView type_data = input.subspan(1, n);
    input = input.subspan(1 + n);
    const auto fragment = wire::eap::parse_tls_fragment(type_data);
    if (!fragment) continue;
    // One encoding, except reserved flag bits, which parsing drops.
    const Bytes again = wire::eap::serialize_tls_fragment(*fragment.value);
    check(again.size() == type_data.size());
    check(std::equal(again.begin() + 1, again.end(), type_data.begin() + 1));
    check((again[0] & 0xe0) == (type_data[0] & 0xe0));
    if (fragment.value->is_acknowledgement()) continue;
    const auto outcome = reassembler.add(*fragment.value);
    if (outcome.kind == ike::EapTlsReassembler::Outcome::Kind::Complete) {
      check(outcome.message.size() <= kBound);
      check(!reassembler.in_progress());
    }
    if (outcome.kind == ike::EapTlsReassembler::Outcome::Kind::Error) check(!reassembler.in_progress());
  }
  return 0;
}
