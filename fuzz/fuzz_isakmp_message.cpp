// libFuzzer target: the ISAKMP codec (RFC 2408 §3, RFC 2407 §4, RFC 3947). Whatever parses must
// serialise and parse back to an equal message (the oracle: no field lost or invented, no length
// miscomputed), with the same size, since the codec drops only reserved bytes; whatever fails must
// fail with a named error. The same bytes minus the first are also tried as a decrypted plaintext
// chain whose first payload type is the first byte, with and without trailing padding allowed.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "base/bytes.hpp"
#include "wire/isakmp_message.hpp"

namespace {

using namespace cygnet;
using namespace cygnet::wire::isakmp;

void check(bool condition) {
  if (!condition) std::abort();
}

void check_failure(const ParseFailure& f) {
  check(std::strcmp(parse_error_name(f.error), "unknown") != 0);
  check(std::strcmp(notify_name(f.notify), "UNKNOWN") != 0);
  check(is_error_notify(f.notify));
  check(!f.detail.empty());
}

void check_names(const std::vector<Payload>& payloads) {
  for (const Payload& p : payloads) {
    check(payload_name(payload_type(p)) != nullptr);
    if (const auto* n = std::get_if<NotificationPayload>(&p)) {
      check(notify_name(n->type) != nullptr);
      check(protocol_name(n->protocol) != nullptr);
      check(find_notification(payloads, n->type) != nullptr);
    }
    if (const auto* id = std::get_if<IdPayload>(&p)) check(id_type_name(id->type) != nullptr);
    if (const auto* sa = std::get_if<SaPayload>(&p)) {
      for (const Proposal& proposal : sa->proposals)
        for (const Transform& t : proposal.transforms)
          for (const Attribute& a : t.attributes) {
            check(phase1_attribute_name(a.type) != nullptr && phase2_attribute_name(a.type) != nullptr);
            check(t.find(a.type) != nullptr);
            if (a.is_basic()) check(a.integer().has_value());
          }
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
  const Message& m = *message.value;
  check(m.header == *header.value);
  check(m.header.length == input.size());
  check(exchange_name(m.header.exchange) != nullptr);
  check(m.header.encrypted() || m.encrypted_body.empty());
  check(!m.header.encrypted() || m.payloads.empty());
  check_names(m.payloads);

  const Bytes wire = serialize_message(m);
  check(wire.size() == input.size());
  auto again = parse_message(wire);
  if (!again) std::abort();
  check(*again.value == m);
  check(serialize_message(*again.value) == wire);

  if (!m.header.encrypted()) {
    // The chain encoder is what serialize_message writes after the header.
    const EncodedChain chain = encode_payload_chain(m.payloads);
    check(chain.first == m.header.next_payload || m.payloads.empty());
    check(chain.bytes.size() + kHeaderLength == wire.size() &&
          std::equal(chain.bytes.begin(), chain.bytes.end(), wire.begin() + kHeaderLength));
  }
}

void check_chain(PayloadType first, ByteView chain) {
  auto strict = parse_payload_chain(first, chain, Padding::Reject);
  auto padded = parse_payload_chain(first, chain, Padding::Allow);
  // Allowing padding only ever turns TrailingData into success.
  if (strict) check(padded && *padded.value == *strict.value);
  if (!strict && strict.failure.error != ParseError::TrailingData)
    check(!padded && padded.failure.error == strict.failure.error);
  if (!padded) {
    check_failure(padded.failure);
    return;
  }
  check_names(*padded.value);
  const EncodedChain encoded = encode_payload_chain(*padded.value);
  check(encoded.bytes.size() <= chain.size());
  check(!strict || encoded.bytes.size() == chain.size());
  check(padded.value->empty() ? first == PayloadType::None : encoded.first == first);
  auto again = parse_payload_chain(encoded.first, encoded.bytes);
  if (!again) std::abort();
  check(*again.value == *padded.value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input(data, size);
  check_message(input);
  if (size > 0) check_chain(static_cast<PayloadType>(data[0]), input.subspan(1));
  return 0;
}
