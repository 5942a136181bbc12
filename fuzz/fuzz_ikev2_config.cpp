// libFuzzer target: the Configuration payload (RFC 7296 §3.15) — the CP body framing of the
// payload codec and the attribute decoder (wire/ikev2_config_attributes). The input is a CP body.
// Oracles: whatever decodes must encode as a reply and decode back to the same values (requests'
// "any" flags and unknown attributes aside); a failure must say why.
#include <cstdint>
#include <cstdlib>

#include "base/bytes.hpp"
#include "wire/ikev2_config_attributes.hpp"
#include "wire/ikev2_message.hpp"

namespace {

using namespace cygnet;
using namespace cygnet::wire::ikev2;

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 0xffff - 4) return 0;
  // One CP payload: the generic header (no next payload, length) then the input as its body.
  Bytes chain{0, 0, static_cast<std::uint8_t>((size + 4) >> 8), static_cast<std::uint8_t>(size + 4)};
  chain.insert(chain.end(), data, data + size);
  auto parsed = parse_payload_chain(PayloadType::Configuration, chain);
  if (!parsed) {
    check(!parsed.failure.detail.empty());
    return 0;
  }
  check(parsed.value->size() == 1);
  const auto* cp = std::get_if<ConfigPayload>(&parsed.value->front());
  check(cp != nullptr);
  for (const auto& a : cp->attributes) check(config_attribute_name(a.type) != nullptr);
  const ConfigDecodeResult decoded = decode_config_attributes(cp->attributes);
  if (!decoded.values) {
    check(!decoded.error.empty());
    return 0;
  }
  ConfigValues expected = *decoded.values;
  expected.ip4_dns_requested = expected.ip6_dns_requested = expected.dns_domain_requested = false;
  expected.unknown_attributes = 0;
  const ConfigDecodeResult again = decode_config_attributes(config_reply_attributes(expected));
  check(again.values.has_value());
  check(*again.values == expected);
  return 0;
}
