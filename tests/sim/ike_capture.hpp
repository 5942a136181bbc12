// Watches the network for IKE datagrams (UDP 500, or 4500 with the non-ESP marker) and keeps
// each one's fixed-header facts and the whole IP packet: lets scenarios assert which exchanges
// really crossed the wire (e.g. that both ends sent a CREATE_CHILD_SA request) and write a pcap.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/network.hpp"

namespace cygnet::sim {

enum class Exchange : std::uint8_t { IkeSaInit = 34, IkeAuth = 35, CreateChildSa = 36, Informational = 37 };

struct CapturedIke {
  TimePoint at;
  ike::Endpoint source;
  ike::Endpoint destination;
  std::uint8_t version = 0;   // 0x20 IKEv2, 0x10 IKEv1 (ISAKMP)
  std::uint8_t exchange = 0;  // IKEv1: 2 Main Mode, 4 Aggressive, 5 Informational, 32 Quick Mode
  bool response = false;      // IKEv2 only (IKEv1 has no response flag)
  std::uint32_t message_id = 0;
  Bytes ip_packet;
};

class IkeCapture {
 public:
  // Installs the network's tap (replacing any other); with keep_all, non-IKE packets are kept in
  // all_packets() too.
  explicit IkeCapture(Network& network, bool keep_all = false);

  const std::vector<CapturedIke>& messages() const { return messages_; }
  const std::vector<std::pair<TimePoint, Bytes>>& all_packets() const { return all_; }
  std::size_t count(Exchange exchange, bool response) const;
  std::size_t count_from(const wire::IpAddress& source, Exchange exchange, bool response) const;
  // IKEv1 messages (ISAKMP version 0x10) of one exchange type sent by `source`.
  std::size_t count_v1_from(const wire::IpAddress& source, std::uint8_t exchange) const;
  // Messages whose version byte is not `version` (e.g. IKEv2 traffic in an IKEv1 scenario).
  std::size_t count_other_versions(std::uint8_t version) const;

 private:
  void on_packet(TimePoint at, ByteView ip_packet);
  bool keep_all_;
  std::vector<CapturedIke> messages_;
  std::vector<std::pair<TimePoint, Bytes>> all_;
};

}  // namespace cygnet::sim
