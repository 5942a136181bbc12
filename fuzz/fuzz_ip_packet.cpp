// libFuzzer target: IP packet parsing, checksums, length rewriting and address/prefix text parsing.
// Besides catching memory errors (under ASan/UBSan) it checks the parser's invariants and aborts
// when one is broken.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "base/bytes.hpp"
#include "wire/byte_reader.hpp"
#include "wire/ip_address.hpp"
#include "wire/ip_packet.hpp"

namespace {

using namespace cygnet;
using namespace cygnet::wire;

void check(bool condition) {
  if (!condition) std::abort();
}

void check_packet(ByteView packet) {
  auto info = parse_ip_packet(packet);
  if (!info) return;
  check(info->total_length <= packet.size());
  check(info->header_length <= info->total_length);
  check(info->next_header_offset < info->header_length);
  check(packet[info->next_header_offset] == info->protocol);
  if (info->family == IpFamily::V4) {
    check(info->source.is_v4() && info->destination.is_v4());
    check(info->header_length >= kIpv4MinHeaderLength && info->next_header_offset == 9);
  } else {
    check(!info->source.is_v4() && !info->destination.is_v4());
    check(info->header_length >= kIpv6HeaderLength && info->header_length % 8 == 0);
  }

  // Rewriting the length of a copy keeps the packet parseable with the same headers.
  Bytes copy(packet.begin(), packet.end());
  update_ip_length(copy, info->family, info->total_length);
  auto again = parse_ip_packet(copy);
  check(again.has_value());
  check(again->header_length == info->header_length && again->protocol == info->protocol);
  if (info->family == IpFamily::V4) {
    check(internet_checksum(ByteView(copy).first(info->header_length)) == 0);
  }
  // Shrinking to the header alone must still parse (for IPv4) and never read past total_length.
  update_ip_length(copy, info->family, info->header_length);
  auto shrunk = parse_ip_packet(copy);
  if (info->family == IpFamily::V4) check(shrunk.has_value());
  if (shrunk) check(shrunk->total_length == info->header_length);
}

void check_text(std::string_view text) {
  if (auto a = IpAddress::parse(text)) {
    auto round = IpAddress::parse(a->to_string());
    check(round.has_value() && *round == *a);
    check(IpAddressHash{}(*round) == IpAddressHash{}(*a));
  }
  if (auto p = IpPrefix::parse(text)) {
    check(p->length <= p->address.bit_length());
    check(p->contains(p->address));
    auto round = IpPrefix::parse(p->to_string());
    check(round.has_value() && *round == *p);
  }
}

// Drives a ByteReader with the input itself: each byte picks the next read.
void check_reader(ByteView data) {
  ByteReader control(data);
  ByteReader r(data);
  while (auto op = control.u8()) {
    const std::size_t before = r.remaining();
    const bool was_ok = r.ok();
    bool ok = false;
    std::size_t used = 0;
    switch (*op % 7) {
      case 0:
        ok = r.u8().has_value();
        used = 1;
        break;
      case 1:
        ok = r.u16().has_value();
        used = 2;
        break;
      case 2:
        ok = r.u32().has_value();
        used = 4;
        break;
      case 3:
        ok = r.u64().has_value();
        used = 8;
        break;
      case 4:
        ok = r.bytes(*op / 7).has_value();
        used = *op / 7;
        break;
      case 5:
        ok = r.skip(*op / 7);
        used = *op / 7;
        break;
      default:
        used = r.rest().size();
        ok = r.ok();
        break;
    }
    check(ok == (was_ok && used <= before));
    check(r.ok() == ok);
    if (ok) check(r.remaining() == before - used);
    if (!r.ok()) check(r.remaining() == 0);
    check(r.offset() <= data.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input(data, size);
  check_packet(input);
  (void)internet_checksum(input);
  check_text(std::string_view(reinterpret_cast<const char*>(data), size));
  check_reader(input);
  return 0;
}
