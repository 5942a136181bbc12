#include "wire/eap_tls_fragment.hpp"

#include "wire/byte_reader.hpp"

namespace cygnet::wire::eap {

BasicParseResult<TlsFragment, TlsFragmentFailure> parse_tls_fragment(ByteView type_data) {
  using Result = BasicParseResult<TlsFragment, TlsFragmentFailure>;
  ByteReader reader(type_data);
  const auto flags = reader.u8();
  if (!flags) return Result::failed({"EAP-TLS packet without flags"});
  TlsFragment fragment;
  fragment.start = (*flags & kTlsFlagStart) != 0;
  fragment.more_fragments = (*flags & kTlsFlagMoreFragments) != 0;
  if ((*flags & kTlsFlagLengthIncluded) != 0) {
    const auto length = reader.u32();
    if (!length) return Result::failed({"EAP-TLS flag L set but the TLS Message Length is truncated"});
    fragment.message_length = *length;
  }
  const ByteView rest = reader.rest();
  fragment.data.assign(rest.begin(), rest.end());
  if (fragment.message_length && *fragment.message_length < fragment.data.size())
    return Result::failed({"EAP-TLS Message Length " + std::to_string(*fragment.message_length) + " < the " +
                           std::to_string(fragment.data.size()) + " bytes of this fragment"});
  return Result::ok(std::move(fragment));
}

Bytes serialize_tls_fragment(const TlsFragment& fragment) {
  Bytes out;
  std::uint8_t flags = 0;
  if (fragment.start) flags |= kTlsFlagStart;
  if (fragment.more_fragments) flags |= kTlsFlagMoreFragments;
  if (fragment.message_length) flags |= kTlsFlagLengthIncluded;
  out.push_back(flags);
  if (fragment.message_length) {
    const std::uint32_t v = *fragment.message_length;
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
  }
  out.insert(out.end(), fragment.data.begin(), fragment.data.end());
  return out;
}

}  // namespace cygnet::wire::eap
