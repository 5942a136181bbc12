// The per-SA outer IPv4 header template: its incrementally updated checksum (RFC 1624) must equal
// a full recompute (RFC 1071) for every combination of the per-packet fields.
#include "wire/ipv4_header_template.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>

#include "wire/ip_packet.hpp"

namespace cygnet::wire {
namespace {

IpAddress v4(std::uint32_t host_order) {
  return IpAddress::v4(host_order);
}

std::array<std::uint8_t, 20> full_header(const Ipv4HeaderFields& f) {
  std::array<std::uint8_t, 20> h{};
  EXPECT_TRUE(write_ipv4_header(MutableByteView(h.data(), h.size()), f));
  return h;
}

TEST(Ipv4HeaderTemplate, MatchesAFullRecomputeOverRandomLengthsIdsAndDsFields) {
  std::mt19937_64 random(20261207);  // fixed seed: a failure is reproducible
  for (int round = 0; round < 200; ++round) {
    // Gateways anywhere in the documentation ranges, any protocol and TTL.
    const IpAddress source = v4(0xC0000200u | (random() & 0xFF));       // 192.0.2.x
    const IpAddress destination = v4(0xCB007100u | (random() & 0xFF));  // 203.0.113.x
    const auto protocol = static_cast<std::uint8_t>(random());
    const auto ttl = static_cast<std::uint8_t>(random());
    const Ipv4HeaderTemplate prepared(source, destination, protocol, ttl);
    for (int packet = 0; packet < 500; ++packet) {
      Ipv4HeaderFields f;
      f.source = source;
      f.destination = destination;
      f.protocol = protocol;
      f.ttl = ttl;
      f.total_length = static_cast<std::uint16_t>(20 + random() % (65536 - 20));
      f.identification = static_cast<std::uint16_t>(random());
      f.dscp_ecn = static_cast<std::uint8_t>(random());
      f.dont_fragment = (random() & 1) != 0;
      std::array<std::uint8_t, 20> incremental{};
      prepared.write(incremental.data(), f.total_length, f.identification, f.dscp_ecn, f.dont_fragment);
      ASSERT_EQ(incremental, full_header(f)) << "round " << round << " packet " << packet;
      EXPECT_EQ(internet_checksum(ByteView(incremental.data(), incremental.size())), 0u);
    }
  }
}

TEST(Ipv4HeaderTemplate, ExtremeFieldValuesStillMatch) {
  // All-ones and all-zero variable fields: where one's complement -0/+0 mistakes would show
  // (RFC 1624 §3 is about exactly this case).
  for (std::uint32_t address : {0x00000000u, 0xFFFFFFFFu, 0xC0000201u}) {
    for (std::uint8_t protocol : {0, 17, 50, 51, 255}) {
      const Ipv4HeaderTemplate prepared(v4(address), v4(~address), protocol, 255);
      for (std::uint16_t length : {std::uint16_t{20}, std::uint16_t{0xFFFF}, std::uint16_t{0xBAFF}}) {
        for (std::uint16_t id : {std::uint16_t{0}, std::uint16_t{0xFFFF}, std::uint16_t{0x8000}}) {
          for (std::uint8_t ds : {0, 0xFF, 0xB8}) {
            for (bool df : {false, true}) {
              Ipv4HeaderFields f;
              f.source = v4(address);
              f.destination = v4(~address);
              f.protocol = protocol;
              f.ttl = 255;
              f.total_length = length;
              f.identification = id;
              f.dscp_ecn = ds;
              f.dont_fragment = df;
              std::array<std::uint8_t, 20> incremental{};
              prepared.write(incremental.data(), length, id, ds, df);
              EXPECT_EQ(incremental, full_header(f));
            }
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace cygnet::wire
