#include "daemon/os/netlink.hpp"

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <new>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace cygnet::daemon {

namespace {

using wire::IpAddress;
using wire::IpFamily;
using wire::IpPrefix;

// Large enough for the kernel's biggest dump batch (it sizes them after the largest buffer a
// reader has offered, up to 32 KiB); a reply that still does not fit fails with ENOSPC.
constexpr std::size_t kReceiveBufferSize = std::size_t{32} * 1024;
// Every request we build is a fixed header plus a handful of small attributes.
constexpr std::size_t kRequestBufferSize = 512;

int address_family(IpFamily family) {
  return family == IpFamily::V4 ? AF_INET : AF_INET6;
}
const char* family_name(IpFamily family) {
  return family == IpFamily::V4 ? "IPv4" : "IPv6";
}
std::size_t address_size(int family) {
  return family == AF_INET ? 4 : 16;
}

std::string errno_text(int error_number) {
  return std::generic_category().message(error_number);
}

std::string hex32(std::uint32_t value) {
  char text[16];
  static_cast<void>(std::snprintf(text, sizeof text, "0x%x", value));
  return text;
}

// A request under construction; every attribute is appended with a bounds check.
class Message {
 public:
  Message(std::uint16_t type, std::uint16_t flags) : header_(mnl_nlmsg_put_header(buffer_.data())) {
    header_->nlmsg_type = type;
    header_->nlmsg_flags = flags;
  }
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;

  template <typename FamilyHeader>
  FamilyHeader* put_family_header() {  // zero-filled by libmnl
    return static_cast<FamilyHeader*>(mnl_nlmsg_put_extra_header(header_, sizeof(FamilyHeader)));
  }
  void put_u32(std::uint16_t type, std::uint32_t value) { put(type, &value, sizeof value); }
  void put_address(std::uint16_t type, const IpAddress& address) {
    put(type, address.bytes().data(), address.bytes().size());
  }
  nlmsghdr* header() { return header_; }

 private:
  void put(std::uint16_t type, const void* data, std::size_t size) {
    if (!mnl_attr_put_check(header_, buffer_.size(), type, size, data))
      throw std::length_error("netlink request buffer too small");
  }

  alignas(nlmsghdr) std::array<char, kRequestBufferSize> buffer_{};
  nlmsghdr* header_;
};

// What the reply callbacks learn about the request we are waiting on.
struct ReplyState {
  std::uint32_t sequence = 0;
  int error = 0;               // errno the kernel (or a failed callback) reported
  std::string kernel_message;  // extended ACK text, when the kernel gave one
  int (*on_message)(const nlmsghdr*, void*) = nullptr;
  void* context = nullptr;
};

// Attributes of one message indexed by type; each is validated before it is read.
using AttributeTable = std::array<const nlattr*, 64>;
static_assert(RTA_MAX < 64 && IFA_MAX < 64 && FRA_MAX < 64 && NLMSGERR_ATTR_MAX < 64);

int collect_attribute(const nlattr* attribute, void* data) {
  auto& table = *static_cast<AttributeTable*>(data);
  const std::uint16_t type = mnl_attr_get_type(attribute);
  if (type < table.size()) table[type] = attribute;
  return MNL_CB_OK;
}

// Collects the attributes after the family header; false when they overrun the message.
bool collect_attributes(const nlmsghdr* message, std::size_t family_header_size, AttributeTable& table) {
  table.fill(nullptr);
  return mnl_attr_parse(message, static_cast<unsigned>(family_header_size), collect_attribute, &table) >=
         MNL_CB_STOP;
}

// Attribute checks: an absent attribute passes, a present one must have exactly its size.
bool valid_u32(const nlattr* attribute) {
  return attribute == nullptr || mnl_attr_validate(attribute, MNL_TYPE_U32) == 0;
}
bool valid_address(const nlattr* attribute, int family) {
  return attribute == nullptr || mnl_attr_validate2(attribute, MNL_TYPE_BINARY, address_size(family)) == 0;
}

IpAddress address_from(const nlattr* attribute, int family) {
  const ByteView bytes(static_cast<const std::uint8_t*>(mnl_attr_get_payload(attribute)),
                       address_size(family));
  return family == AF_INET ? IpAddress::v4(bytes) : IpAddress::v6(bytes);
}

IpAddress zero_address(int family) {
  static constexpr std::array<std::uint8_t, 16> zeros{};
  return family == AF_INET ? IpAddress::v4(zeros) : IpAddress::v6(zeros);
}

// The kernel's errno as a positive number; anything out of range is a protocol error.
int errno_from(int negative_error) {
  return (negative_error < 0 && negative_error > -4096) ? -negative_error : EPROTO;
}

// NLMSGERR_ATTR_MSG of an extended ACK (NETLINK_EXT_ACK), or "".
std::string extended_ack_text(const nlmsghdr* message, const nlmsgerr& error) {
  if ((message->nlmsg_flags & NLM_F_ACK_TLVS) == 0) return {};
  std::size_t offset = sizeof(nlmsgerr);
  if ((message->nlmsg_flags & NLM_F_CAPPED) == 0) {
    // The whole request is echoed after nlmsgerr; its header is already part of nlmsgerr.
    if (error.msg.nlmsg_len < sizeof(nlmsghdr)) return {};
    offset += error.msg.nlmsg_len - sizeof(nlmsghdr);
  }
  if (offset > mnl_nlmsg_get_payload_len(message)) return {};
  AttributeTable table;
  if (!collect_attributes(message, offset, table)) return {};
  const nlattr* text = table[NLMSGERR_ATTR_MSG];
  if (text == nullptr || mnl_attr_validate(text, MNL_TYPE_NUL_STRING) != 0) return {};
  return mnl_attr_get_str(text);
}

// Replies to an earlier request that was abandoned mid-way (a dump whose parsing failed) still
// sit in the socket; their sequence numbers differ, so they are skipped rather than misread.
bool is_current(const nlmsghdr* message, const ReplyState& state) {
  return message->nlmsg_seq == state.sequence;
}

int on_data_message(const nlmsghdr* message, void* data) {
  auto& state = *static_cast<ReplyState*>(data);
  if (!is_current(message, state) || state.on_message == nullptr) return MNL_CB_OK;
  const int result = state.on_message(message, state.context);
  if (result == MNL_CB_ERROR && state.error == 0) state.error = ENOMEM;  // the only failure
  return result;
}

int on_error_message(const nlmsghdr* message, void* data) {
  auto& state = *static_cast<ReplyState*>(data);
  if (!is_current(message, state)) return MNL_CB_OK;
  if (mnl_nlmsg_get_payload_len(message) < sizeof(nlmsgerr)) {
    state.error = EBADMSG;
    return MNL_CB_STOP;
  }
  const auto* error = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(message));
  if (error->error != 0) {  // zero is the ACK itself
    state.error = errno_from(error->error);
    state.kernel_message = extended_ack_text(message, *error);
  }
  return MNL_CB_STOP;
}

int on_done_message(const nlmsghdr* message, void* data) {
  auto& state = *static_cast<ReplyState*>(data);
  if (!is_current(message, state)) return MNL_CB_OK;
  // A dump that failed part-way reports the error as a negative int in NLMSG_DONE.
  if (mnl_nlmsg_get_payload_len(message) >= sizeof(int)) {
    const int status = *static_cast<const int*>(mnl_nlmsg_get_payload(message));
    if (status < 0) state.error = errno_from(status);
  }
  return MNL_CB_STOP;
}

[[noreturn]] void throw_error(const std::string& what, int error_number,
                              const std::string& kernel_message = {}) {
  std::string text = what + ": " + errno_text(error_number);
  if (!kernel_message.empty()) text += " (" + kernel_message + ")";
  throw NetlinkError(text, error_number);
}

// Sends `message` and reads replies until the one that ends it (ACK, error or NLMSG_DONE).
void exchange(mnl_socket* socket, std::uint32_t port_id, nlmsghdr* message, ReplyState& state,
              const std::string& what) {
  if (mnl_socket_sendto(socket, message, message->nlmsg_len) < 0) throw_error(what, errno);
  std::array<mnl_cb_t, NLMSG_MIN_TYPE> control_callbacks{};
  control_callbacks[NLMSG_ERROR] = on_error_message;
  control_callbacks[NLMSG_DONE] = on_done_message;
  std::vector<char> buffer(kReceiveBufferSize);
  for (;;) {
    const ssize_t received = mnl_socket_recvfrom(socket, buffer.data(), buffer.size());
    if (received < 0) {
      if (errno == EINTR) continue;
      throw_error(what + ": receiving the reply", errno);
    }
    // Sequence 0 turns libmnl's own check off: is_current() skips stale replies instead of
    // failing on them.
    const int result =
        mnl_cb_run2(buffer.data(), static_cast<std::size_t>(received), 0, port_id, on_data_message, &state,
                    control_callbacks.data(), static_cast<unsigned>(control_callbacks.size()));
    if (result == MNL_CB_ERROR) throw_error(what, state.error != 0 ? state.error : errno);
    if (result == MNL_CB_STOP) return;
  }
}

std::string describe_route(const RouteSpec& route) {
  std::string text = "route " + route.destination.to_string() + " dev #" + std::to_string(route.ifindex);
  if (route.source) text += " src " + route.source->to_string();
  return text + " table " + std::to_string(route.table);
}

std::string describe_rule(const RuleSpec& rule) {
  return std::string(family_name(rule.family)) + " rule priority " + std::to_string(rule.priority) + ": " +
         (rule.invert ? "not " : "") + "fwmark " + hex32(rule.fwmark) + "/" + hex32(rule.fwmask) +
         " lookup " + std::to_string(rule.table);
}

// Tables above 255 only fit the 32-bit attribute; the 8-bit header field then says "see there".
std::uint8_t header_table(std::uint32_t table) {
  return table < 256 ? static_cast<std::uint8_t>(table) : static_cast<std::uint8_t>(RT_TABLE_UNSPEC);
}

void check_route(const RouteSpec& route, const std::string& what) {
  const IpAddress& destination = route.destination.address;
  if (route.destination.length > destination.bit_length())
    throw_error(what, EINVAL, "prefix length beyond the address");
  if (route.source && route.source->family() != destination.family())
    throw_error(what, EINVAL, "source and destination families differ");
}

void build_route(Message& message, const RouteSpec& route, bool adding) {
  const int family = address_family(route.destination.address.family());
  auto* header = message.put_family_header<rtmsg>();
  header->rtm_family = static_cast<std::uint8_t>(family);
  header->rtm_dst_len = route.destination.length;
  header->rtm_table = header_table(route.table);
  if (adding) {
    header->rtm_protocol = RTPROT_STATIC;
    header->rtm_scope = RT_SCOPE_LINK;  // a device route without a gateway, as `ip route` does
    header->rtm_type = RTN_UNICAST;
    if (route.throw_route) {
      header->rtm_scope = RT_SCOPE_UNIVERSE;
      header->rtm_type = RTN_THROW;
    }
  } else {
    header->rtm_scope = RT_SCOPE_NOWHERE;  // matches any scope, protocol and type
  }
  if (route.destination.length > 0) message.put_address(RTA_DST, route.destination.address);
  if (route.ifindex > 0 && !route.throw_route)
    message.put_u32(RTA_OIF, static_cast<std::uint32_t>(route.ifindex));
  if (route.source) message.put_address(RTA_PREFSRC, *route.source);
  message.put_u32(RTA_TABLE, route.table);
}

void build_rule(Message& message, const RuleSpec& rule) {
  auto* header = message.put_family_header<fib_rule_hdr>();
  header->family = static_cast<std::uint8_t>(address_family(rule.family));
  header->table = header_table(rule.table);
  header->action = FR_ACT_TO_TBL;
  header->flags = rule.invert ? FIB_RULE_INVERT : 0;
  message.put_u32(FRA_PRIORITY, rule.priority);
  message.put_u32(FRA_TABLE, rule.table);
  message.put_u32(FRA_FWMARK, rule.fwmark);
  message.put_u32(FRA_FWMASK, rule.fwmask);
}

// Dump parsers. A message that is too short or carries a malformed attribute is skipped: one bad
// entry must not hide the others. They return MNL_CB_ERROR only when memory runs out (no C++
// exception may cross libmnl's C frames).

int parse_address(const nlmsghdr* message, void* data) {
  auto& out = *static_cast<std::vector<InterfaceAddress>*>(data);
  if (message->nlmsg_type != RTM_NEWADDR) return MNL_CB_OK;
  if (mnl_nlmsg_get_payload_len(message) < sizeof(ifaddrmsg)) return MNL_CB_OK;
  const auto* header = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(message));
  const int family = header->ifa_family;
  if (family != AF_INET && family != AF_INET6) return MNL_CB_OK;
  AttributeTable table;
  if (!collect_attributes(message, sizeof(ifaddrmsg), table)) return MNL_CB_OK;
  if (!valid_address(table[IFA_LOCAL], family) || !valid_address(table[IFA_ADDRESS], family))
    return MNL_CB_OK;
  // IFA_LOCAL is our side; IFA_ADDRESS is the peer on a point-to-point IPv4 link. IPv6 usually
  // sends only IFA_ADDRESS.
  const nlattr* local = table[IFA_LOCAL] != nullptr ? table[IFA_LOCAL] : table[IFA_ADDRESS];
  if (local == nullptr) return MNL_CB_OK;
  const IpAddress address = address_from(local, family);
  if (header->ifa_prefixlen > address.bit_length()) return MNL_CB_OK;
  try {
    out.push_back({static_cast<int>(header->ifa_index), address, header->ifa_prefixlen});
  } catch (const std::bad_alloc&) {
    return MNL_CB_ERROR;
  }
  return MNL_CB_OK;
}

struct RouteDump {
  std::uint32_t table = 0;
  std::vector<RouteSpec> routes;
};

int parse_route(const nlmsghdr* message, void* data) {
  auto& dump = *static_cast<RouteDump*>(data);
  if (message->nlmsg_type != RTM_NEWROUTE) return MNL_CB_OK;
  if (mnl_nlmsg_get_payload_len(message) < sizeof(rtmsg)) return MNL_CB_OK;
  const auto* header = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(message));
  const int family = header->rtm_family;
  if (family != AF_INET && family != AF_INET6) return MNL_CB_OK;
  if (header->rtm_type != RTN_UNICAST || (header->rtm_flags & RTM_F_CLONED) != 0) return MNL_CB_OK;
  AttributeTable table;
  if (!collect_attributes(message, sizeof(rtmsg), table)) return MNL_CB_OK;
  if (!valid_u32(table[RTA_TABLE]) || !valid_u32(table[RTA_OIF]) || !valid_address(table[RTA_DST], family) ||
      !valid_address(table[RTA_PREFSRC], family))
    return MNL_CB_OK;
  const std::uint32_t route_table =
      table[RTA_TABLE] != nullptr ? mnl_attr_get_u32(table[RTA_TABLE]) : header->rtm_table;
  if (route_table != dump.table) return MNL_CB_OK;

  RouteSpec route;
  route.destination.address =
      table[RTA_DST] != nullptr ? address_from(table[RTA_DST], family) : zero_address(family);
  if (header->rtm_dst_len > route.destination.address.bit_length()) return MNL_CB_OK;
  route.destination.length = header->rtm_dst_len;
  if (table[RTA_OIF] != nullptr) route.ifindex = static_cast<int>(mnl_attr_get_u32(table[RTA_OIF]));
  if (table[RTA_PREFSRC] != nullptr) route.source = address_from(table[RTA_PREFSRC], family);
  route.table = route_table;
  try {
    dump.routes.push_back(route);
  } catch (const std::bad_alloc&) {
    return MNL_CB_ERROR;
  }
  return MNL_CB_OK;
}

struct RuleDump {
  IpFamily family = IpFamily::V4;
  std::vector<RuleSpec> rules;
};

int parse_rule(const nlmsghdr* message, void* data) {
  auto& dump = *static_cast<RuleDump*>(data);
  if (message->nlmsg_type != RTM_NEWRULE) return MNL_CB_OK;
  if (mnl_nlmsg_get_payload_len(message) < sizeof(fib_rule_hdr)) return MNL_CB_OK;
  const auto* header = static_cast<const fib_rule_hdr*>(mnl_nlmsg_get_payload(message));
  if (header->family != address_family(dump.family)) return MNL_CB_OK;
  // Only plain "[not] fwmark ... lookup TABLE" rules: anything with a selector RuleSpec cannot
  // express would be misdescribed.
  if (header->action != FR_ACT_TO_TBL || header->src_len != 0 || header->dst_len != 0 || header->tos != 0)
    return MNL_CB_OK;
  AttributeTable table;
  if (!collect_attributes(message, sizeof(fib_rule_hdr), table)) return MNL_CB_OK;
  for (int selector : {FRA_IIFNAME, FRA_OIFNAME, FRA_L3MDEV, FRA_UID_RANGE, FRA_IP_PROTO, FRA_SPORT_RANGE,
                       FRA_DPORT_RANGE, FRA_TUN_ID, FRA_FLOW}) {
    if (table[static_cast<std::size_t>(selector)] != nullptr) return MNL_CB_OK;
  }
  if (!valid_u32(table[FRA_PRIORITY]) || !valid_u32(table[FRA_TABLE]) || !valid_u32(table[FRA_FWMARK]) ||
      !valid_u32(table[FRA_FWMASK]) || !valid_u32(table[FRA_SUPPRESS_PREFIXLEN]) ||
      !valid_u32(table[FRA_SUPPRESS_IFGROUP]))
    return MNL_CB_OK;
  // The kernel sends FRA_SUPPRESS_PREFIXLEN with every rule; -1 means "not set".
  for (int suppressor : {FRA_SUPPRESS_PREFIXLEN, FRA_SUPPRESS_IFGROUP}) {
    const nlattr* attribute = table[static_cast<std::size_t>(suppressor)];
    if (attribute != nullptr && mnl_attr_get_u32(attribute) != 0xffffffffu) return MNL_CB_OK;
  }
  auto u32_or = [&table](int type, std::uint32_t fallback) {
    const nlattr* attribute = table[static_cast<std::size_t>(type)];
    return attribute != nullptr ? mnl_attr_get_u32(attribute) : fallback;
  };
  RuleSpec rule;
  rule.family = dump.family;
  rule.priority = u32_or(FRA_PRIORITY, 0);
  rule.table = u32_or(FRA_TABLE, header->table);
  rule.fwmark = u32_or(FRA_FWMARK, 0);
  rule.fwmask = u32_or(FRA_FWMASK, 0);  // the kernel omits both when the rule has no mark
  rule.invert = (header->flags & FIB_RULE_INVERT) != 0;
  try {
    dump.rules.push_back(rule);
  } catch (const std::bad_alloc&) {
    return MNL_CB_ERROR;
  }
  return MNL_CB_OK;
}

// The answer to RTM_GETLINK: the link's flags.
int parse_link_flags(const nlmsghdr* message, void* data) {
  if (message->nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len(message) < sizeof(ifinfomsg))
    return MNL_CB_OK;
  *static_cast<unsigned*>(data) = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(message))->ifi_flags;
  return MNL_CB_OK;
}

// The answer to a single RTM_GETROUTE lookup: the route's type (RTN_LOCAL, RTN_UNICAST, ...).
int parse_route_type(const nlmsghdr* message, void* data) {
  if (message->nlmsg_type != RTM_NEWROUTE || mnl_nlmsg_get_payload_len(message) < sizeof(rtmsg))
    return MNL_CB_OK;
  *static_cast<std::uint8_t*>(data) = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(message))->rtm_type;
  return MNL_CB_OK;
}

}  // namespace

bool is_loopback_or_link_local(const IpAddress& address) {
  const ByteView bytes = address.bytes();
  if (address.is_v4()) return bytes[0] == 127 || (bytes[0] == 169 && bytes[1] == 254);
  if (bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80) return true;  // fe80::/10
  static constexpr std::array<std::uint8_t, 16> kLoopback{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return std::equal(bytes.begin(), bytes.end(), kLoopback.begin());
}

Netlink::Netlink() {
  socket_ = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  if (socket_ == nullptr) throw_error("opening the rtnetlink socket", errno);
  if (mnl_socket_bind(socket_, 0, MNL_SOCKET_AUTOPID) < 0) {
    const int error_number = errno;
    mnl_socket_close(socket_);
    socket_ = nullptr;
    throw_error("binding the rtnetlink socket", error_number);
  }
  port_id_ = mnl_socket_get_portid(socket_);
  // Best effort (older kernels lack them): the kernel's own words in errors, and errors that
  // do not echo the whole request back.
  int on = 1;
  mnl_socket_setsockopt(socket_, NETLINK_EXT_ACK, &on, sizeof on);
  mnl_socket_setsockopt(socket_, NETLINK_CAP_ACK, &on, sizeof on);
}

Netlink::~Netlink() {
  if (socket_ != nullptr) mnl_socket_close(socket_);
}

void Netlink::request(void* message, const std::string& what, bool ignore_exists, bool ignore_missing) {
  auto* header = static_cast<nlmsghdr*>(message);
  header->nlmsg_flags = static_cast<std::uint16_t>(header->nlmsg_flags | NLM_F_REQUEST | NLM_F_ACK);
  if (++sequence_ == 0) ++sequence_;  // 0 would match anything
  header->nlmsg_seq = sequence_;
  ReplyState state;
  state.sequence = sequence_;
  exchange(socket_, port_id_, header, state, what);
  if (state.error == 0) return;
  if (ignore_exists && state.error == EEXIST) return;
  if (ignore_missing && (state.error == ESRCH || state.error == ENOENT)) return;
  throw_error(what, state.error, state.kernel_message);
}

void Netlink::query(void* get_request, const std::string& what,
                    int (*on_message)(const ::nlmsghdr* message, void* context), void* context) {
  auto* header = static_cast<nlmsghdr*>(get_request);
  header->nlmsg_flags = static_cast<std::uint16_t>(header->nlmsg_flags | NLM_F_REQUEST | NLM_F_ACK);
  if (++sequence_ == 0) ++sequence_;
  header->nlmsg_seq = sequence_;
  ReplyState state;
  state.sequence = sequence_;
  state.on_message = on_message;
  state.context = context;
  exchange(socket_, port_id_, header, state, what);
  if (state.error != 0) throw_error(what, state.error, state.kernel_message);
}

void Netlink::dump(void* dump_request, const std::string& what,
                   int (*on_message)(const ::nlmsghdr* message, void* context), void* context) {
  auto* header = static_cast<nlmsghdr*>(dump_request);
  header->nlmsg_flags = static_cast<std::uint16_t>(header->nlmsg_flags | NLM_F_REQUEST | NLM_F_DUMP);
  if (++sequence_ == 0) ++sequence_;
  header->nlmsg_seq = sequence_;
  ReplyState state;
  state.sequence = sequence_;
  state.on_message = on_message;
  state.context = context;
  exchange(socket_, port_id_, header, state, what);
  if (state.error != 0) throw_error(what, state.error, state.kernel_message);
}

std::vector<InterfaceAddress> Netlink::addresses() {
  Message message(RTM_GETADDR, 0);
  message.put_family_header<ifaddrmsg>()->ifa_family = AF_UNSPEC;
  std::vector<InterfaceAddress> out;
  dump(message.header(), "listing addresses", parse_address, &out);
  return out;
}

int Netlink::ifindex_of(const std::string& interface_name) {
  if (interface_name.empty() || interface_name.size() >= IFNAMSIZ) return 0;
  return static_cast<int>(::if_nametoindex(interface_name.c_str()));
}

void Netlink::set_link_up(int ifindex) {
  Message message(RTM_NEWLINK, 0);
  auto* header = message.put_family_header<ifinfomsg>();
  header->ifi_family = AF_UNSPEC;
  header->ifi_index = ifindex;
  header->ifi_flags = IFF_UP;
  header->ifi_change = IFF_UP;
  request(message.header(), "setting link #" + std::to_string(ifindex) + " up", false, false);
}

void Netlink::set_link_mtu(int ifindex, int mtu) {
  const std::string what = "setting MTU " + std::to_string(mtu) + " on link #" + std::to_string(ifindex);
  if (mtu <= 0) throw_error(what, EINVAL);
  Message message(RTM_NEWLINK, 0);
  auto* header = message.put_family_header<ifinfomsg>();
  header->ifi_family = AF_UNSPEC;
  header->ifi_index = ifindex;
  message.put_u32(IFLA_MTU, static_cast<std::uint32_t>(mtu));
  request(message.header(), what, false, false);
}

void Netlink::add_address(int ifindex, const IpAddress& address, std::uint8_t prefix_length) {
  const std::string what = "adding address " + address.to_string() + "/" + std::to_string(prefix_length) +
                           " to link #" + std::to_string(ifindex);
  if (prefix_length > address.bit_length()) throw_error(what, EINVAL, "prefix length beyond the address");
  Message message(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
  auto* header = message.put_family_header<ifaddrmsg>();
  header->ifa_family = static_cast<std::uint8_t>(address_family(address.family()));
  header->ifa_prefixlen = prefix_length;
  header->ifa_flags = address.is_v4() ? 0 : IFA_F_NODAD;
  header->ifa_scope = RT_SCOPE_UNIVERSE;
  header->ifa_index = static_cast<std::uint32_t>(ifindex);
  message.put_address(IFA_LOCAL, address);
  message.put_address(IFA_ADDRESS, address);  // the same: no point-to-point peer
  request(message.header(), what, false, false);
  // IPv4 installs the local route before acknowledging; IPv6 does it from its DAD work queue
  // (even with IFA_F_NODAD), and only once the link is running.
  if (address.is_v4() || !link_is_running(ifindex)) return;
  for (int attempt = 0; attempt < 400 && !routes_as_local(address); ++attempt)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

void Netlink::delete_address(int ifindex, const IpAddress& address, std::uint8_t prefix_length) {
  const std::string what = "removing address " + address.to_string() + "/" + std::to_string(prefix_length) +
                           " from link #" + std::to_string(ifindex);
  Message message(RTM_DELADDR, 0);
  auto* header = message.put_family_header<ifaddrmsg>();
  header->ifa_family = static_cast<std::uint8_t>(address_family(address.family()));
  header->ifa_prefixlen = prefix_length;
  header->ifa_index = static_cast<std::uint32_t>(ifindex);
  message.put_address(IFA_LOCAL, address);
  try {
    request(message.header(), what, false, true);
  } catch (const NetlinkError& e) {
    if (e.error_number() != EADDRNOTAVAIL) throw;  // the kernel's answer for an absent address
  }
}

bool Netlink::link_is_running(int ifindex) {
  Message message(RTM_GETLINK, 0);
  auto* header = message.put_family_header<ifinfomsg>();
  header->ifi_family = AF_UNSPEC;
  header->ifi_index = ifindex;
  unsigned flags = 0;
  query(message.header(), "reading link #" + std::to_string(ifindex), parse_link_flags, &flags);
  return (flags & IFF_UP) != 0 && (flags & IFF_RUNNING) != 0;
}

bool Netlink::routes_as_local(const IpAddress& address) {
  Message message(RTM_GETROUTE, 0);
  auto* header = message.put_family_header<rtmsg>();
  header->rtm_family = static_cast<std::uint8_t>(address_family(address.family()));
  header->rtm_dst_len = static_cast<std::uint8_t>(address.bit_length());
  message.put_address(RTA_DST, address);
  std::uint8_t type = RTN_UNSPEC;
  try {
    query(message.header(), "looking up the route to " + address.to_string(), parse_route_type, &type);
  } catch (const NetlinkError&) {
    return false;  // no route at all yet
  }
  return type == RTN_LOCAL;
}

void Netlink::add_route(const RouteSpec& route) {
  const std::string what = "adding " + describe_route(route);
  check_route(route, what);
  Message message(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
  build_route(message, route, true);
  request(message.header(), what, false, false);
}

void Netlink::delete_route(const RouteSpec& route) {
  const std::string what = "deleting " + describe_route(route);
  check_route(route, what);
  Message message(RTM_DELROUTE, 0);
  build_route(message, route, false);
  request(message.header(), what, false, true);
}

std::vector<RouteSpec> Netlink::routes(std::uint32_t table) {
  // The kernel only filters dumps by table in strict mode; filtering here works everywhere.
  Message message(RTM_GETROUTE, 0);
  message.put_family_header<rtmsg>()->rtm_family = AF_UNSPEC;
  RouteDump out;
  out.table = table;
  dump(message.header(), "listing routes of table " + std::to_string(table), parse_route, &out);
  return std::move(out.routes);
}

void Netlink::add_rule(const RuleSpec& rule) {
  // NLM_F_EXCL makes the kernel compare with existing rules; without it a duplicate is added.
  Message message(RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL);
  build_rule(message, rule);
  request(message.header(), "adding " + describe_rule(rule), true, false);
}

void Netlink::delete_rule(const RuleSpec& rule) {
  Message message(RTM_DELRULE, 0);
  build_rule(message, rule);
  request(message.header(), "deleting " + describe_rule(rule), false, true);
}

std::vector<RuleSpec> Netlink::rules(IpFamily family) {
  Message message(RTM_GETRULE, 0);
  message.put_family_header<fib_rule_hdr>()->family = static_cast<std::uint8_t>(address_family(family));
  RuleDump out;
  out.family = family;
  dump(message.header(), std::string("listing ") + family_name(family) + " rules", parse_rule, &out);
  return std::move(out.rules);
}

std::optional<IpAddress> address_inside(const std::vector<InterfaceAddress>& addresses,
                                        const IpPrefix& prefix) {
  for (const InterfaceAddress& entry : addresses) {
    if (prefix.contains(entry.address) && !is_loopback_or_link_local(entry.address)) return entry.address;
  }
  return std::nullopt;
}

}  // namespace cygnet::daemon
