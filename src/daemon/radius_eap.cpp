#include "daemon/radius_eap.hpp"

#include <algorithm>

namespace cygnet::daemon {

std::vector<ByteView> split_eap_message(ByteView eap_packet) {
  std::vector<ByteView> values;
  for (std::size_t offset = 0; offset < eap_packet.size(); offset += kMaxRadiusAttributeValue)
    values.push_back(
        eap_packet.subspan(offset, std::min(kMaxRadiusAttributeValue, eap_packet.size() - offset)));
  return values;
}

Bytes join_eap_message(const std::vector<ByteView>& values) {
  Bytes packet;
  for (ByteView value : values) packet.insert(packet.end(), value.begin(), value.end());
  return packet;
}

crypto::SecureBytes msk_from_mppe_keys(ByteView recv_key, ByteView send_key) {
  crypto::SecureBytes msk(recv_key.size() + send_key.size());
  std::copy(recv_key.begin(), recv_key.end(), msk.mutable_view().begin());
  std::copy(send_key.begin(), send_key.end(),
            msk.mutable_view().begin() + static_cast<std::ptrdiff_t>(recv_key.size()));
  return msk;
}

}  // namespace cygnet::daemon
