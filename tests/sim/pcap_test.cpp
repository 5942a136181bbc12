// Scenario 12: a whole simulated life of an IKE SA — IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA
// (CHILD and IKE rekeys), INFORMATIONAL (liveness checks, deletes) — captured into a pcap and
// dissected by an independent implementation, Wireshark's tshark: every frame must be ISAKMP
// (IKEv2) without a malformed-packet mark or an expert warning/error.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "sim/ike_capture.hpp"
#include "sim/scenario.hpp"
#include "support/pcap_writer.hpp"

namespace cygnet::sim {
namespace {

using namespace std::chrono_literals;

constexpr const char* kTshark = "/usr/bin/tshark";

// Wireshark's expert severities (epan/proto.h): PI_WARN and PI_ERROR.
constexpr unsigned long kExpertWarning = 0x00600000;

std::string run_command(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return output;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  ::pclose(pipe);
  return output;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, separator)) parts.push_back(part);
  return parts;
}

TEST(PcapCapture, TsharkDissectsEveryIkeFrameCleanly) {
  if (!std::filesystem::exists(kTshark)) GTEST_SKIP() << "tshark is not installed";
  const std::uint64_t seed = 121;
  SCOPED_TRACE("seed " + std::to_string(seed));
  Simulation sim(seed);
  IkeCapture capture(sim.network());
  ConnectionOptions a;
  a.start_action = ike::StartAction::Start;
  a.child_lifetime = 60s;  // CHILD rekey near 50 s
  a.ike_lifetime = 100s;   // IKE rekey near 85 s
  a.dpd_delay = 10s;       // INFORMATIONAL liveness checks
  ConnectionOptions b = a;
  b.start_action = ike::StartAction::None;
  Gateways g = add_gateways(sim, psk_connection(site_a(), site_b(), a), psk_connection(site_b(), site_a(), b));
  ASSERT_TRUE(sim.run_for([&] { return child_up_on_both(g); }, 10s)) << event_log(g);
  sim.run_for(95s);
  ASSERT_TRUE(g.a->engine().down(kConnection, sim.now()));  // INFORMATIONAL with Delete
  g.a->drain(sim.now());
  sim.run_for(5s);

  // The capture covers every exchange type, requests and responses.
  for (Exchange e : {Exchange::IkeSaInit, Exchange::IkeAuth, Exchange::CreateChildSa, Exchange::Informational}) {
    EXPECT_GE(capture.count(e, false), 1u) << "no request of exchange " << static_cast<int>(e) << "\n" << event_log(g);
    EXPECT_GE(capture.count(e, true), 1u) << "no response of exchange " << static_cast<int>(e);
  }
  EXPECT_GE(g.a->count_events(ike::EventType::ChildSaRekeyed), 1u) << event_log(g);
  EXPECT_GE(g.a->count_events(ike::EventType::IkeSaRekeyed), 1u) << event_log(g);

  const std::filesystem::path path = std::filesystem::path(::testing::TempDir()) /
                                     ("cygnet-sim-" + std::to_string(::getpid()) + "-ike.pcap");
  {
    test::PcapWriter writer(path);
    ASSERT_TRUE(writer.ok()) << path;
    for (const CapturedIke& m : capture.messages()) {
      auto udp = parse_udp_packet(m.ip_packet);
      ASSERT_TRUE(udp.has_value());
      // Stamped in wall-clock time from the simulator's origin (2026-01-01).
      const Duration stamp = (m.at - kEpoch) + wall_origin().time_since_epoch();
      ASSERT_TRUE(writer.write_udp(test::UdpEndpoint{m.source.address, m.source.port},
                                   test::UdpEndpoint{m.destination.address, m.destination.port}, udp->payload,
                                   stamp));
    }
    EXPECT_EQ(writer.frames(), capture.messages().size());
  }

  const std::string output =
      run_command(std::string(kTshark) + " -n -r '" + path.string() +
                  "' -T fields -E separator=/t -e frame.number -e frame.protocols -e isakmp.exchangetype"
                  " -e _ws.expert.severity -e _ws.malformed 2>/dev/null");
  const std::vector<std::string> lines = split(output, '\n');
  ASSERT_EQ(lines.size(), capture.messages().size()) << output;
  for (const std::string& line : lines) {
    SCOPED_TRACE(line);
    const std::vector<std::string> fields = split(line, '\t');
    ASSERT_GE(fields.size(), 3u);
    EXPECT_NE(fields[1].find("isakmp"), std::string::npos) << "not dissected as ISAKMP";
    EXPECT_FALSE(fields[2].empty()) << "no IKEv2 exchange type";
    if (fields.size() > 3) {
      for (const std::string& severity : split(fields[3], ',')) {
        if (!severity.empty()) {
          EXPECT_LT(std::stoul(severity), kExpertWarning) << "expert warning or error";
        }
      }
    }
    if (fields.size() > 4) {
      EXPECT_TRUE(fields[4].empty()) << "malformed packet";
    }
  }
  // Keep the capture for a human when something is wrong.
  if (!HasFailure()) std::filesystem::remove(path);
}

}  // namespace
}  // namespace cygnet::sim
