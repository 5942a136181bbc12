// libFuzzer target: the EAP packet codec (RFC 3748 §4) and the EAP-MSCHAPv2 method data inside it.
// Whatever parses re-serialises to the same bytes (the packet layout has one encoding), and
// nothing over kMaxEapPacketLength is ever accepted.
#include <cstdint>
#include <cstdlib>
#include <variant>

#include "base/bytes.hpp"
#include "wire/eap_message.hpp"

namespace {

using namespace cygnet;
using namespace cygnet::wire::eap;

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input(data, size);
  const auto packet = parse_packet(input);
  if (!packet) return 0;
  check(size <= kMaxEapPacketLength);
  check(serialize_packet(*packet.value) == Bytes(input.begin(), input.end()));
  if (packet.value->type != static_cast<std::uint8_t>(Type::MsChapV2)) return 0;
  const auto method = parse_mschapv2(packet.value->code, packet.value->type_data);
  if (!method) return 0;
  check(mschapv2_code(*method.value) == packet.value->code);
  // Re-encoding and parsing again gives the same message (the Response's reserved bytes are
  // the only field dropped, so bytes may differ but values may not).
  const Bytes again = serialize_mschapv2(*method.value);
  const auto reparsed = parse_mschapv2(packet.value->code, again);
  check(reparsed && *reparsed.value == *method.value);
  return 0;
}
