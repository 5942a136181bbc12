// TCP encapsulation of IKE and ESP (RFC 9329): the byte stream cut into frames, sans-I/O.
//
//   initiator → responder:  "IKETCP" once, then frames
//   either direction:       frame = 16-bit length (of the whole frame, this field included) + payload
//   payload:                4 zero bytes (non-ESP marker) + IKE message, or an ESP packet (SPI first)
//
// The daemon (src/daemon/tcp_encapsulation.*) reads whatever the socket has and feeds it here; the
// decoder keeps at most one partial frame (or the partial prefix), so a connection's buffer is
// bounded by one frame plus one read. Any framing error ends the stream: after one there is no
// way to find the next frame boundary again (RFC 9329 §3 has no resynchronisation).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "base/bytes.hpp"

namespace cygnet::wire {

// RFC 9329 §4: the initiator's first six bytes on a new connection.
inline constexpr std::string_view kTcpEncapPrefix = "IKETCP";
inline constexpr std::size_t kTcpFrameLengthField = 2;
// The 16-bit length covers the length field itself, so a payload is at most 65533 bytes.
inline constexpr std::size_t kMaxTcpFramePayload = 0xFFFF - kTcpFrameLengthField;

enum class TcpStreamError : std::uint8_t {
  None,
  BadPrefix,  // the responder's stream did not start with "IKETCP"
  BadLength,  // a length field of 0, 1 or 2: no payload (RFC 9329 §3 frames always carry one)
  Oversized,  // a payload longer than the decoder's limit
};
std::string_view tcp_stream_error_name(TcpStreamError error);

class TcpFrameDecoder {
 public:
  enum class Role : std::uint8_t {
    Responder,  // reads the initiator's stream: "IKETCP" first
    Initiator,  // reads the responder's stream: frames from the first byte
  };

  explicit TcpFrameDecoder(Role role, std::size_t max_payload = kMaxTcpFramePayload);

  // Appends bytes read from the stream and calls `on_frame` with the payload of every frame they
  // complete, in order (the view is valid during the call only). Returns the stream's error, if
  // any; once failed, the decoder ignores further input and keeps returning that error.
  TcpStreamError feed(ByteView bytes, const std::function<void(ByteView payload)>& on_frame);

  TcpStreamError error() const { return error_; }
  bool prefix_seen() const { return prefix_matched_ == kTcpEncapPrefix.size(); }
  std::size_t buffered() const { return partial_.size(); }  // bytes of an incomplete frame held
  std::uint64_t frames() const { return frames_; }

 private:
  // Consumes frames from `bytes` (partial_ is empty); returns how many bytes were used.
  std::size_t take_frames(ByteView bytes, const std::function<void(ByteView)>& on_frame);
  // Checks a frame's length field; false (with error_ set) when the stream is bad.
  bool check_length(std::size_t frame_length);

  std::size_t max_payload_;
  std::size_t prefix_matched_;
  Bytes partial_;  // the start of a frame whose end has not arrived
  TcpStreamError error_ = TcpStreamError::None;
  std::uint64_t frames_ = 0;
};

// Appends one frame carrying `payload` to `stream`. `non_esp_marker`: prefix the payload with the
// four zero bytes that mark IKE (an IKE message from port 500 has none; from 4500 it already has
// them). False (nothing appended) when the frame would exceed 65535 bytes.
bool append_tcp_frame(Bytes& stream, ByteView payload, bool non_esp_marker = false);

}  // namespace cygnet::wire
