// libFuzzer target: the RFC 9329 stream decoder (src/wire/tcp_encap_stream.*). The input is cut
// into reads at positions taken from its first bytes; every frame handed out must re-encode to
// exactly the bytes it came from, the buffer stays bounded, and an error is final.
#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "base/bytes.hpp"
#include "wire/tcp_encap_stream.hpp"

namespace {

using namespace cygnet;
using namespace cygnet::wire;

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const bool responder = (data[0] & 1) != 0;
  const std::size_t max_payload = 1 + data[1] * 64u;
  const std::size_t step = 1 + (data[0] >> 1);  // read size
  ByteView input(data + 2, size - 2);
  TcpFrameDecoder decoder(responder ? TcpFrameDecoder::Role::Responder : TcpFrameDecoder::Role::Initiator,
                          max_payload);
  Bytes reencoded;
  TcpStreamError error = TcpStreamError::None;
  while (!input.empty()) {
    const std::size_t n = std::min(step, input.size());
    error = decoder.feed(input.first(n), [&](ByteView payload) {
      check(!payload.empty() && payload.size() <= max_payload);
      check(append_tcp_frame(reencoded, payload));
    });
    check(decoder.buffered() <= kTcpFrameLengthField + max_payload);
    if (error != TcpStreamError::None) {
      check(decoder.feed(input, [](ByteView) { std::abort(); }) == error);
      break;
    }
    input = input.subspan(n);
  }
  // Whatever was decoded is the stream's beginning, byte for byte; without an error, the rest
  // is exactly what the decoder holds.
  if (!decoder.prefix_seen()) {
    check(reencoded.empty());
    return 0;
  }
  if (responder) reencoded.insert(reencoded.begin(), kTcpEncapPrefix.begin(), kTcpEncapPrefix.end());
  const ByteView original(data + 2, size - 2);
  check(reencoded.size() <= original.size());
  check(std::equal(reencoded.begin(), reencoded.end(), original.begin()));
  if (error == TcpStreamError::None) check(reencoded.size() + decoder.buffered() == original.size());
  return 0;
}
