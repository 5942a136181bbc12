// The RFC 9329 stream decoder: "IKETCP", length-prefixed frames, cut anywhere by TCP.
#include "wire/tcp_encap_stream.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "wire/udp_encap.hpp"

namespace cygnet::wire {
namespace {

Bytes bytes_of(std::string_view text) {
  return Bytes(text.begin(), text.end());
}

// An IKE frame (non-ESP marker + a stand-in message) and an ESP frame (SPI 0x01020304 + 12 bytes).
Bytes ike_payload() {
  return from_hex("0102030405060708 0000000000000000 21202208 00000000 0000001c");
}
Bytes esp_payload() {
  return from_hex("01020304 00000001 aabbccddeeff00112233");
}

Bytes stream_of(bool prefix, const std::vector<std::pair<Bytes, bool>>& frames) {
  Bytes stream = prefix ? bytes_of(kTcpEncapPrefix) : Bytes{};
  for (const auto& [payload, marker] : frames) EXPECT_TRUE(append_tcp_frame(stream, payload, marker));
  return stream;
}

struct Collected {
  std::vector<Bytes> frames;
  std::function<void(ByteView)> sink() {
    return [this](ByteView payload) { frames.emplace_back(payload.begin(), payload.end()); };
  }
};

Bytes with_marker(const Bytes& ike) {
  Bytes out(kNonEspMarkerLength, 0);
  out.insert(out.end(), ike.begin(), ike.end());
  return out;
}

TEST(TcpFrameEncoding, LengthCoversTheFieldAndTheMarker) {
  Bytes stream;
  ASSERT_TRUE(append_tcp_frame(stream, from_hex("aabb"), /*non_esp_marker=*/true));
  EXPECT_EQ(stream, from_hex("0008 00000000 aabb"));
  stream.clear();
  ASSERT_TRUE(append_tcp_frame(stream, from_hex("01020304 05060708")));
  EXPECT_EQ(stream, from_hex("000a 01020304 05060708"));
}

TEST(TcpFrameEncoding, RefusesAFrameOver65535Bytes) {
  Bytes stream;
  EXPECT_TRUE(append_tcp_frame(stream, Bytes(kMaxTcpFramePayload, 1)));
  EXPECT_EQ(stream.size(), 0xFFFFu);
  Bytes other;
  EXPECT_FALSE(append_tcp_frame(other, Bytes(kMaxTcpFramePayload, 1), /*non_esp_marker=*/true));
  EXPECT_FALSE(append_tcp_frame(other, Bytes(kMaxTcpFramePayload + 1, 1)));
  EXPECT_TRUE(other.empty());
}

TEST(TcpFrameDecoder, PrefixThenFramesInOneRead) {
  const Bytes stream = stream_of(true, {{ike_payload(), true}, {esp_payload(), false}});
  TcpFrameDecoder decoder(TcpFrameDecoder::Role::Responder);
  Collected got;
  EXPECT_EQ(decoder.feed(stream, got.sink()), TcpStreamError::None);
  ASSERT_EQ(got.frames.size(), 2u);
  EXPECT_EQ(got.frames[0], with_marker(ike_payload()));
  EXPECT_EQ(classify_udp4500_payload(got.frames[0]), Udp4500Payload::Ike);
  EXPECT_EQ(got.frames[1], esp_payload());
  EXPECT_EQ(classify_udp4500_payload(got.frames[1]), Udp4500Payload::Esp);
  EXPECT_TRUE(decoder.prefix_seen());
  EXPECT_EQ(decoder.buffered(), 0u);
  EXPECT_EQ(decoder.frames(), 2u);
}

TEST(TcpFrameDecoder, EveryFrameSplitByteByByte) {
  const Bytes stream =
      stream_of(true, {{ike_payload(), true}, {esp_payload(), false}, {esp_payload(), false}});
  TcpFrameDecoder decoder(TcpFrameDecoder::Role::Responder);
  Collected got;
  for (std::size_t i = 0; i < stream.size(); ++i) {
    ASSERT_EQ(decoder.feed(ByteView(stream).subspan(i, 1), got.sink()), TcpStreamError::None) << "byte " << i;
    EXPECT_LE(decoder.buffered(), 2 + with_marker(ike_payload()).size());
  }
  ASSERT_EQ(got.frames.size(), 3u);
  EXPECT_EQ(got.frames[0], with_marker(ike_payload()));
  EXPECT_EQ(got.frames[1], esp_payload());
  EXPECT_EQ(got.frames[2], esp_payload());
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(TcpFrameDecoder, SplitAtEveryPointGivesTheSameFrames) {
  const Bytes stream = stream_of(true, {{ike_payload(), true}, {esp_payload(), false}});
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    TcpFrameDecoder decoder(TcpFrameDecoder::Role::Responder);
    Collected got;
    ASSERT_EQ(decoder.feed(ByteView(stream).first(cut), got.sink()), TcpStreamError::None);
    ASSERT_EQ(decoder.feed(ByteView(stream).subspan(cut), got.sink()), TcpStreamError::None);
    ASSERT_EQ(got.frames.size(), 2u) << "cut at " << cut;
    EXPECT_EQ(got.frames[1], esp_payload());
  }
}

TEST(TcpFrameDecoder, PartialFrameWaitsForItsEnd) {
  const Bytes stream = stream_of(false, {{esp_payload(), false}});
  TcpFrameDecoder decoder(TcpFrameDecoder::Role::Initiator);
  Collected got;
  EXPECT_EQ(decoder.feed(ByteView(stream).first(stream.size() - 1), got.sink()), TcpStreamError::None);
  EXPECT_TRUE(got.frames.empty());
  EXPECT_EQ(decoder.buffered(), stream.size() - 1);
  EXPECT_EQ(decoder.feed(ByteView(stream).last(1), got.sink()), TcpStreamError::None);
  ASSERT_EQ(got.frames.size(), 1u);
}

TEST(TcpFrameDecoder, InitiatorSideExpectsNoPrefix) {
  // The responder never sends "IKETCP" (RFC 9329 §4): read by the initiator, "IK" is a length
  // field (0x494b = 18763), over a 1500-byte limit here; without a limit it waits for that much.
  TcpFrameDecoder limited(TcpFrameDecoder::Role::Initiator, 1500);
  Collected got;
  EXPECT_EQ(limited.feed(stream_of(true, {{esp_payload(), false}}), got.sink()), TcpStreamError::Oversized);
  TcpFrameDecoder decoder(TcpFrameDecoder::Role::Initiator);
  EXPECT_EQ(decoder.feed(stream_of(true, {{esp_payload(), false}}), got.sink()), TcpStreamError::None);
  EXPECT_TRUE(got.frames.empty());
  EXPECT_FALSE(decoder.buffered() == 0);
}

TEST(TcpFrameDecoder, BadPrefixFailsAtTheFirstWrongByte) {
  TcpFrameDecoder decoder(TcpFrameDecoder::Role::Responder);
  Collected got;
  EXPECT_EQ(decoder.feed(bytes_of("IKE"), got.sink()), TcpStreamError::None);
  EXPECT_EQ(decoder.feed(bytes_of("X"), got.sink()), TcpStreamError::BadPrefix);
  // Failed for good: even a correct frame afterwards is ignored.
  EXPECT_EQ(decoder.feed(stream_of(false, {{esp_payload(), false}}), got.sink()), TcpStreamError::BadPrefix);
  EXPECT_TRUE(got.frames.empty());

  TcpFrameDecoder http(TcpFrameDecoder::Role::Responder);
  EXPECT_EQ(http.feed(bytes_of("GET / HTTP/1.1\r\n"), got.sink()), TcpStreamError::BadPrefix);
}

TEST(TcpFrameDecoder, ZeroLengthFramesAreRefused) {
  for (const char* length : {"0000", "0001", "0002"}) {
    TcpFrameDecoder decoder(TcpFrameDecoder::Role::Initiator);
    Collected got;
    EXPECT_EQ(decoder.feed(from_hex(length), got.sink()), TcpStreamError::BadLength) << length;
    EXPECT_TRUE(got.frames.empty());
  }
  // Also when the length field arrives split, after a good frame.
  Bytes stream = stream_of(true, {{esp_payload(), false}});
  stream.push_back(0x00);
  TcpFrameDecoder decoder(TcpFrameDecoder::Role::Responder);
  Collected got;
  EXPECT_EQ(decoder.feed(stream, got.sink()), TcpStreamError::None);
  EXPECT_EQ(decoder.feed(from_hex("02"), got.sink()), TcpStreamError::BadLength);
  EXPECT_EQ(got.frames.size(), 1u);
}

TEST(TcpFrameDecoder, OversizedFrameIsRefusedBeforeItIsBuffered) {
  TcpFrameDecoder decoder(TcpFrameDecoder::Role::Initiator, /*max_payload=*/16);
  Collected got;
  Bytes ok;
  ASSERT_TRUE(append_tcp_frame(ok, Bytes(16, 7)));
  EXPECT_EQ(decoder.feed(ok, got.sink()), TcpStreamError::None);
  EXPECT_EQ(got.frames.size(), 1u);
  // 17 bytes announced: refused on the length field alone, nothing of it kept.
  EXPECT_EQ(decoder.feed(from_hex("0013"), got.sink()), TcpStreamError::Oversized);
  EXPECT_EQ(decoder.buffered(), 0u);
  EXPECT_EQ(decoder.error(), TcpStreamError::Oversized);
  EXPECT_EQ(tcp_stream_error_name(decoder.error()), "oversized-frame");
}

TEST(TcpFrameDecoder, LargestFrameDecodes) {
  Bytes stream;
  ASSERT_TRUE(append_tcp_frame(stream, Bytes(kMaxTcpFramePayload, 0x5a)));
  TcpFrameDecoder decoder(TcpFrameDecoder::Role::Initiator);
  Collected got;
  EXPECT_EQ(decoder.feed(ByteView(stream).first(1000), got.sink()), TcpStreamError::None);
  EXPECT_EQ(decoder.feed(ByteView(stream).subspan(1000), got.sink()), TcpStreamError::None);
  ASSERT_EQ(got.frames.size(), 1u);
  EXPECT_EQ(got.frames[0].size(), kMaxTcpFramePayload);
}

}  // namespace
}  // namespace cygnet::wire
