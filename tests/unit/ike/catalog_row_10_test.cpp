// Bad-input catalog row 10 (Cisco "BENIGNCERTAIN", CVE-2016-6415: an IKEv1 request whose payload
// lengths claimed more than it carried made the responder copy its own memory into the answer) →
// "build every response from zeroed, sized buffers; never copy lengths from the request". Requests
// carry a planted marker; every answer is checked to hold none of it, and an answer to a request
// padded with extra payloads must be byte-for-byte the answer to the plain request: every byte of
// it comes from the responder's own state or the fields the RFC echoes (cookies, the accepted SA).
#include <gtest/gtest.h>

#include <algorithm>

#include "unit/ike/engine_harness.hpp"
#include "wire/isakmp_message.hpp"

namespace cygnet::ike::test {
namespace {

namespace isakmp = wire::isakmp;

ConnectionSettings v1(std::string_view local, std::string_view remote, bool aggressive) {
  ConnectionSettings c =
      psk_connection("site", local, remote, "correct horse battery staple", "aes256-sha256-modp2048");
  c.ike_version = 1;
  c.aggressive = aggressive;
  return c;
}

Bytes first_message(bool aggressive) {
  Engine a(with_wall_origin(), seeded_random(7));
  auto c = v1("192.0.2.1", "192.0.2.2", aggressive);
  c.start_action = StartAction::Start;
  EXPECT_TRUE(a.add_connection(c, TimePoint{}));
  for (auto& action : a.take_actions())
    if (auto* d = std::get_if<SendDatagram>(&action)) return d->payload;
  ADD_FAILURE() << "no first message";
  return {};
}

// A fresh responder (same seed every time, so equal inputs give equal answers); its answers.
std::vector<Bytes> answers_of(ByteView request) {
  Engine b(with_wall_origin(), seeded_random(3));
  auto c = v1("192.0.2.2", "", true);
  EXPECT_TRUE(b.add_connection(c, TimePoint{}));
  b.take_actions();
  b.on_datagram({addr("192.0.2.2"), 500}, {addr("203.0.113.5"), 500}, request, TimePoint{});
  std::vector<Bytes> out;
  for (auto& action : b.take_actions())
    if (auto* d = std::get_if<SendDatagram>(&action)) out.push_back(d->payload);
  return out;
}

// 48 bytes no responder state contains.
const Bytes kMarker = [] {
  Bytes m(48);
  for (std::size_t i = 0; i < m.size(); ++i) m[i] = static_cast<std::uint8_t>(0xb0 ^ (i * 37));
  return m;
}();

bool contains_marker(ByteView data) {
  return std::search(data.begin(), data.end(), kMarker.begin(), kMarker.begin() + 16) != data.end();
}

void set_u16(Bytes& b, std::size_t at, std::size_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}
void set_u32(Bytes& b, std::size_t at, std::size_t v) {
  for (int i = 0; i < 4; ++i)
    b[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}

// The request with a Vendor ID carrying the marker appended as its last payload.
Bytes with_marker_vid(ByteView request) {
  auto parsed = isakmp::parse_message(request);
  EXPECT_TRUE(parsed);
  parsed.value->payloads.emplace_back(isakmp::VendorIdPayload{kMarker});
  return isakmp::serialize_message(*parsed.value);
}

TEST(CatalogRow10, AnswerToARequestWithExtraPayloadsIsTheAnswerToThePlainRequest) {
  for (bool aggressive : {false, true}) {
    SCOPED_TRACE(aggressive ? "AM1" : "MM1");
    const Bytes plain = first_message(aggressive);
    const auto baseline = answers_of(plain);
    ASSERT_EQ(baseline.size(), 1u);
    const Bytes marked = with_marker_vid(plain);
    ASSERT_TRUE(contains_marker(marked));
    const auto answers = answers_of(marked);
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_EQ(answers[0], baseline[0]) << "the answer depends on request bytes it has no reason to use";
    EXPECT_FALSE(contains_marker(answers[0]));
  }
}

// Lengths that claim more than the request carries (the BENIGNCERTAIN input) and the like: refused,
// and whatever is answered holds no request bytes beyond the header's cookies and is no larger
// than the request.
TEST(CatalogRow10, LengthsClaimingMoreThanTheRequestCarriesNeverEchoMemory) {
  for (bool aggressive : {false, true}) {
    SCOPED_TRACE(aggressive ? "AM1" : "MM1");
    const Bytes marked = with_marker_vid(first_message(aggressive));
    // The offsets of each payload's generic header.
    std::vector<std::size_t> offsets;
    for (std::size_t at = 28; at + 4 <= marked.size();) {
      offsets.push_back(at);
      const std::size_t length = (std::size_t{marked[at + 2]} << 8) | marked[at + 3];
      if (length < 4) break;
      at += length;
    }
    ASSERT_GE(offsets.size(), 3u);
    const std::size_t last = offsets.back();  // the marker VID
    struct Case {
      std::string what;
      Bytes request;
    };
    std::vector<Case> cases;
    for (std::size_t claim : {0x100u, 0x1000u, 0xffffu}) {
      Bytes b = marked;
      set_u16(b, last + 2, claim);  // the VID claims more than is there
      cases.push_back({"VID length " + std::to_string(claim), b});
      Bytes sa = marked;
      set_u16(sa, offsets.front() + 2, claim);  // the SA claims more
      cases.push_back({"SA length " + std::to_string(claim), sa});
    }
    {
      Bytes b = marked;
      set_u32(b, 24, marked.size() + 4096);  // the header claims 4 KiB more
      cases.push_back({"header length + 4096", b});
      Bytes shorter = marked;
      set_u32(shorter, 24, last);  // the header ends before the marker VID, which is still sent
      cases.push_back({"header length excludes the last payload", shorter});
      Bytes tail = marked;
      tail.insert(tail.end(), kMarker.begin(), kMarker.end());  // bytes past the header's length
      cases.push_back({"marker after the header's length", tail});
      Bytes truncated(marked.begin(), marked.end() - 20);  // the VID cut short
      cases.push_back({"truncated VID", truncated});
      Bytes inner = marked;
      // The SA's first proposal claims to run past the SA payload (proposal length at SA + 12 + 2).
      set_u16(inner, offsets.front() + 12 + 2, 0x400);
      cases.push_back({"proposal length past the SA", inner});
      Bytes transform = marked;
      set_u16(transform, offsets.front() + 20 + 2, 0x800);  // the first transform's length
      cases.push_back({"transform length past the proposal", transform});
    }
    for (const Case& c : cases) {
      SCOPED_TRACE(c.what);
      for (const Bytes& answer : answers_of(c.request)) {
        EXPECT_FALSE(contains_marker(answer)) << "request bytes echoed";
        EXPECT_LE(answer.size(), c.request.size());
        auto h = isakmp::parse_header(answer);
        ASSERT_TRUE(h);
        EXPECT_EQ(h.value->length, answer.size());  // our own length, not the request's
      }
    }
  }
}

}  // namespace
}  // namespace cygnet::ike::test
