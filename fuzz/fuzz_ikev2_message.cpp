// libFuzzer target: the IKEv2 codec (RFC 7296 §3, RFC 7383). Whatever parses must serialise and
// parse back to an equal message (the oracle: no field lost or invented, no length miscomputed);
// whatever fails must fail with a consistent error. The same bytes minus the first are also tried
// as a decrypted inner chain whose first payload type is the first byte.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "base/bytes.hpp"
#include "wire/ikev2_message.hpp"

namespace {

using namespace cygnet;
using namespace cygnet::wire::ikev2;

void check(bool condition) {
  if (!condition) std::abort();
}

void check_failure(const ParseFailure& f) {
  check(std::strcmp(parse_error_name(f.error), "unknown") != 0);
  check((f.error == ParseError::UnsupportedCriticalPayload) == (f.critical_payload_type != 0));
}

void check_names(const std::vector<Payload>& payloads) {
  for (const Payload& p : payloads) {
    check(payload_name(payload_type(p)) != nullptr);
    if (const auto* n = std::get_if<NotifyPayload>(&p)) {
      check(notify_name(n->type) != nullptr);
      check(find_notify(payloads, n->type) != nullptr);
    }
  }
}

void check_message(ByteView input) {
  auto header = parse_header(input);
  check(header.value.has_value() == (input.size() >= kHeaderLength));
  auto message = parse_message(input);
  if (!message) {
    check_failure(message.failure);
    check(input.size() >= kHeaderLength || message.failure.error == ParseError::Truncated);
    return;
  }
  check(message.value->header == *header.value);
  check(message.value->header.length == input.size());
  check(exchange_name(message.value->header.exchange) != nullptr);
  check_names(message.value->payloads);

  // Parsing drops only what the codec does not keep (reserved bits, critical bits of known
  // payloads, transform attributes other than Key Length), so the re-encoding never grows.
  const Bytes wire = serialize_message(*message.value);
  check(wire.size() <= input.size());
  auto again = parse_message(wire);
  if (!again) std::abort();
  Message expected = *message.value;
  expected.header.length = static_cast<std::uint32_t>(wire.size());
  check(*again.value == expected);
  check(serialize_message(*again.value) == wire);

  // The chain encoder is what serialize_message writes after the header.
  const EncodedChain chain = encode_payload_chain(message.value->payloads);
  check(chain.first == message.value->header.next_payload);
  check(chain.bytes.size() + kHeaderLength == wire.size() &&
        std::equal(chain.bytes.begin(), chain.bytes.end(), wire.begin() + kHeaderLength));
}

void check_chain(PayloadType first, ByteView chain) {
  auto parsed = parse_payload_chain(first, chain);
  if (!parsed) {
    check_failure(parsed.failure);
    return;
  }
  check_names(*parsed.value);
  const EncodedChain encoded = encode_payload_chain(*parsed.value);
  check(encoded.bytes.size() <= chain.size());
  check(parsed.value->empty() ? first == PayloadType::None : encoded.first == first);
  auto again = parse_payload_chain(encoded.first, encoded.bytes);
  if (!again) std::abort();
  check(*again.value == *parsed.value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input(data, size);
  check_message(input);
  if (size > 0) check_chain(static_cast<PayloadType>(data[0]), input.subspan(1));
  return 0;
}
