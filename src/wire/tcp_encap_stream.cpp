#include "wire/tcp_encap_stream.hpp"

#include <algorithm>

#include "wire/byte_reader.hpp"
#include "wire/udp_encap.hpp"

namespace cygnet::wire {

std::string_view tcp_stream_error_name(TcpStreamError error) {
  switch (error) {
    case TcpStreamError::None: return "none";
    case TcpStreamError::BadPrefix: return "bad-prefix";
    case TcpStreamError::BadLength: return "bad-length";
    case TcpStreamError::Oversized: return "oversized-frame";
  }
  return "?";
}

TcpFrameDecoder::TcpFrameDecoder(Role role, std::size_t max_payload)
    : max_payload_(std::min(max_payload, kMaxTcpFramePayload)),
      prefix_matched_(role == Role::Responder ? 0 : kTcpEncapPrefix.size()) {}

bool TcpFrameDecoder::check_length(std::size_t frame_length) {
  if (frame_length <= kTcpFrameLengthField) {
    error_ = TcpStreamError::BadLength;
    return false;
  }
  if (frame_length - kTcpFrameLengthField > max_payload_) {
    error_ = TcpStreamError::Oversized;
    return false;
  }
  return true;
}

TcpStreamError TcpFrameDecoder::feed(ByteView bytes, const std::function<void(ByteView)>& on_frame) {
  if (error_ != TcpStreamError::None) return error_;
  // The prefix, compared byte by byte so a wrong one fails as soon as it differs.
  while (!prefix_seen() && !bytes.empty()) {
    if (static_cast<char>(bytes.front()) != kTcpEncapPrefix[prefix_matched_]) {
      error_ = TcpStreamError::BadPrefix;
      return error_;
    }
    ++prefix_matched_;
    bytes = bytes.subspan(1);
  }
  if (!partial_.empty()) {
    // Complete the length field, then the frame it announces, from the new bytes.
    if (partial_.size() < kTcpFrameLengthField) {
      const std::size_t n = std::min(kTcpFrameLengthField - partial_.size(), bytes.size());
      partial_.insert(partial_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
      bytes = bytes.subspan(n);
      if (partial_.size() < kTcpFrameLengthField) return error_;
      if (!check_length(load_be16(partial_.data()))) {
        partial_.clear();
        return error_;
      }
    }
    const std::size_t frame_length = load_be16(partial_.data());
    const std::size_t n = std::min(frame_length - partial_.size(), bytes.size());
    partial_.insert(partial_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    bytes = bytes.subspan(n);
    if (partial_.size() < frame_length) return error_;
    ++frames_;
    on_frame(ByteView(partial_).subspan(kTcpFrameLengthField));
    partial_.clear();
  }
  const std::size_t used = take_frames(bytes, on_frame);
  if (error_ == TcpStreamError::None)
    partial_.assign(bytes.begin() + static_cast<std::ptrdiff_t>(used), bytes.end());
  return error_;
}

std::size_t TcpFrameDecoder::take_frames(ByteView bytes, const std::function<void(ByteView)>& on_frame) {
  std::size_t at = 0;
  while (bytes.size() - at >= kTcpFrameLengthField) {
    const std::size_t frame_length = load_be16(bytes.data() + at);
    if (!check_length(frame_length)) return at;
    if (bytes.size() - at < frame_length) break;  // the rest arrives later
    ++frames_;
    on_frame(bytes.subspan(at + kTcpFrameLengthField, frame_length - kTcpFrameLengthField));
    at += frame_length;
  }
  return at;
}

bool append_tcp_frame(Bytes& stream, ByteView payload, bool non_esp_marker) {
  const std::size_t marker = non_esp_marker ? kNonEspMarkerLength : 0;
  const std::size_t frame_length = kTcpFrameLengthField + marker + payload.size();
  if (frame_length > 0xFFFF) return false;
  stream.push_back(static_cast<std::uint8_t>(frame_length >> 8));
  stream.push_back(static_cast<std::uint8_t>(frame_length & 0xFF));
  stream.insert(stream.end(), marker, 0);
  stream.insert(stream.end(), payload.begin(), payload.end());
  return true;
}

}  // namespace cygnet::wire
