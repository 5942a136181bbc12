// MOBIKE (RFC 4555): an IKE SA and its CHILD SAs follow a peer whose address changes, without a
// new IKE SA. Both ends announce MOBIKE_SUPPORTED in IKE_AUTH; only the original initiator (the
// client, which knows when its addresses change) moves the SA.
//
// Client: on_local_addresses() (the daemon's netlink watch) finds an SA whose local address is
// gone and queues a MobikeUpdateTask: an INFORMATIONAL request with UPDATE_SA_ADDRESSES,
// NAT_DETECTION_*_IP for the new path and a COOKIE2, sent from the new address. An unanswered
// request goes out again over the next (local, remote) pair (§3.6) before the SA is given up.
//
// Gateway: UPDATE_SA_ADDRESSES in an authenticated INFORMATIONAL request of the current window
// moves the IKE SA to the endpoints that request came from (a replayed or spoofed copy never gets
// here: handle_request answers a repeated message ID from its cache and drops other IDs and
// everything failing the integrity check). NAT detection is recomputed for the new path
// (encapsulation on or off), NO_NATS_ALLOWED is honoured (§3.9). ESP follows at once only to an
// address the peer already proved it owns; any other first passes return routability (§3.5,
// §5.2): a MobikeCheckTask INFORMATIONAL with COOKIE2 must come back answered.
#include <algorithm>

#include "ike/retransmission.hpp"
#include "ike/v2/ikev2_engine.hpp"
#include "ike/v2/nat_detection.hpp"

namespace cygnet::ike {

namespace {

constexpr std::size_t kCookie2Length = 16;  // RFC 4555 §4.11: 8 to 64 octets
constexpr std::size_t kMaxPaths = 4;        // §3.6 "within reason": local × remote pairs tried
constexpr std::size_t kMaxAdditionalAddresses = 16;

Bytes fresh_cookie2(RandomSource& random) {
  Bytes out(kCookie2Length);
  random.fill(out);
  return out;
}

bool contains(const std::vector<wire::IpAddress>& list, const wire::IpAddress& a) {
  return std::find(list.begin(), list.end(), a) != list.end();
}

bool unspecified(const wire::IpAddress& a) {
  const ByteView b = a.bytes();
  return std::all_of(b.begin(), b.end(), [](std::uint8_t x) { return x == 0; });
}

// Whether a NAT rewrote `endpoint`: the peer sent hashes and none matches what we see.
bool nat_seen(const std::vector<ikev2::Payload>& in, ikev2::NotifyType type, const IkeSa& sa,
              const Endpoint& endpoint) {
  const Bytes expected = nat_detection_hash(sa.spi_i, sa.spi_r, endpoint);
  bool any = false;
  for (const auto& p : in) {
    const auto* n = std::get_if<ikev2::NotifyPayload>(&p);
    if (!n || n->type != type) continue;
    any = true;
    if (n->data == expected) return false;
  }
  return any;
}

// NO_NATS_ALLOWED (§4.12): source address, destination address, source port, destination port
// as the sender wrote them into the IP and UDP headers.
Bytes no_nats_data(const Endpoint& source, const Endpoint& destination) {
  Bytes out(source.address.bytes().begin(), source.address.bytes().end());
  out.insert(out.end(), destination.address.bytes().begin(), destination.address.bytes().end());
  out.push_back(static_cast<std::uint8_t>(source.port >> 8));
  out.push_back(static_cast<std::uint8_t>(source.port));
  out.push_back(static_cast<std::uint8_t>(destination.port >> 8));
  out.push_back(static_cast<std::uint8_t>(destination.port));
  return out;
}

bool is_mobike_notify(ikev2::NotifyType t) {
  switch (t) {
    case ikev2::NotifyType::UpdateSaAddresses:
    case ikev2::NotifyType::AdditionalIp4Address:
    case ikev2::NotifyType::AdditionalIp6Address:
    case ikev2::NotifyType::NoAdditionalAddresses:
    case ikev2::NotifyType::Cookie2: return true;
    default: return false;
  }
}

}  // namespace

// --- IKE_AUTH: announcing and agreeing ---

void v2::Ikev2Engine::append_mobike_supported(const ConnectionSettings& conn,
                                              std::vector<ikev2::Payload>& out) const {
  if (conn.mobike) out.emplace_back(notify(ikev2::NotifyType::MobikeSupported));
}

void v2::Ikev2Engine::take_mobike_announcement(IkeSa& sa, const ConnectionSettings& conn,
                                               const std::vector<ikev2::Payload>& in) {
  sa.mobike = conn.mobike && ikev2::find_notify(in, ikev2::NotifyType::MobikeSupported) != nullptr;
  if (!sa.mobike) return;
  // The address IKE_AUTH authenticated is the peer's: ESP may return there without a check.
  sa.verified_peer_addresses = {sa.remote.address};
  take_additional_addresses(sa, in);
}

void v2::Ikev2Engine::take_additional_addresses(IkeSa& sa, const std::vector<ikev2::Payload>& in) {
  bool listed = false;
  std::vector<wire::IpAddress> addresses;
  for (const auto& p : in) {
    const auto* n = std::get_if<ikev2::NotifyPayload>(&p);
    if (!n) continue;
    if (n->type == ikev2::NotifyType::NoAdditionalAddresses) {
      listed = true;
    } else if (n->type == ikev2::NotifyType::AdditionalIp4Address && n->data.size() == 4) {
      listed = true;
      addresses.push_back(wire::IpAddress::v4(n->data));
    } else if (n->type == ikev2::NotifyType::AdditionalIp6Address && n->data.size() == 16) {
      listed = true;
      addresses.push_back(wire::IpAddress::v6(n->data));
    }
  }
  // A list replaces the previous one (§3.6); NO_ADDITIONAL_ADDRESSES alone empties it.
  if (!listed) return;
  if (addresses.size() > kMaxAdditionalAddresses) addresses.resize(kMaxAdditionalAddresses);
  sa.peer_additional_addresses = std::move(addresses);
}

// --- responder side: the peer's INFORMATIONAL request ---

bool v2::Ikev2Engine::is_mobike_update(const IkeSa& sa, ikev2::ExchangeType exchange,
                                       const std::vector<ikev2::Payload>& in) const {
  return sa.mobike && exchange == ikev2::ExchangeType::Informational &&
         ikev2::find_notify(in, ikev2::NotifyType::UpdateSaAddresses) != nullptr;
}

std::optional<std::vector<ikev2::Payload>> v2::Ikev2Engine::answer_mobike_request(
    IkeSa& sa, const std::vector<ikev2::Payload>& in, TimePoint now) {
  if (!sa.mobike) return std::nullopt;  // MOBIKE's notifies are unknown status types: ignored (§3.3)
  const bool any = std::any_of(in.begin(), in.end(), [](const ikev2::Payload& p) {
    const auto* n = std::get_if<ikev2::NotifyPayload>(&p);
    return n && is_mobike_notify(n->type);
  });
  if (!any) return std::nullopt;
  std::vector<ikev2::Payload> out;
  take_additional_addresses(sa, in);
  if (ikev2::find_notify(in, ikev2::NotifyType::UpdateSaAddresses)) {
    if (sa.initiator) {
      // §3.4: only the original initiator moves the SA; the responder's address is fixed.
      counters.refusals.count(RefusalReason::AddressChange);
      event(EventType::Error, sa.connection, sa.id, std::nullopt,
            "MOBIKE: UPDATE_SA_ADDRESSES from the responder " + sa.request_remote.to_string() + " ignored");
    } else if (!update_sa_addresses(sa, in, out, now)) {
      return out;  // refused: an error notify and nothing moved
    }
  }
  if (const auto* cookie2 = ikev2::find_notify(in, ikev2::NotifyType::Cookie2))
    out.emplace_back(notify(ikev2::NotifyType::Cookie2, cookie2->data));  // §3.8: echoed unchanged
  return out;
}

bool v2::Ikev2Engine::update_sa_addresses(IkeSa& sa, const std::vector<ikev2::Payload>& in,
                                          std::vector<ikev2::Payload>& out, TimePoint /*now*/) {
  const Endpoint local = sa.request_local;
  const Endpoint remote = sa.request_remote;
  const ConnectionSettings* conn = connection(sa.connection);
  if (!conn || !remote_allowed(*conn, remote.address) || !address_allowed(conn->local_addrs, local.address)) {
    counters.refusals.count(RefusalReason::AddressChange);
    event(EventType::Error, sa.connection, sa.id, std::nullopt,
          "MOBIKE: UPDATE_SA_ADDRESSES from " + remote.to_string() +
              " refused: the connection does not accept that address");
    out.emplace_back(notify(ikev2::NotifyType::UnacceptableAddresses));
    return false;
  }
  // §3.9: the peer forbids NATs; the headers must be as it wrote them.
  if (const auto* no_nats = ikev2::find_notify(in, ikev2::NotifyType::NoNatsAllowed)) {
    if (no_nats->data != no_nats_data(remote, local)) {
      counters.refusals.count(RefusalReason::AddressChange);
      event(EventType::Error, sa.connection, sa.id, std::nullopt,
            "MOBIKE: UPDATE_SA_ADDRESSES from " + remote.to_string() +
                " carries NO_NATS_ALLOWED but a NAT rewrote its addresses: answered UNEXPECTED_NAT_DETECTED");
      out.emplace_back(notify(ikev2::NotifyType::UnexpectedNatDetected));
      return false;
    }
  }
  sa.nat_remote = nat_seen(in, ikev2::NotifyType::NatDetectionSourceIp, sa, remote);
  sa.nat_local = nat_seen(in, ikev2::NotifyType::NatDetectionDestinationIp, sa, local) ||
                 conn->encapsulation == Encapsulation::ForceUdp;
  const Endpoint old_remote = sa.remote;
  sa.local = local;
  sa.remote = remote;
  event(EventType::PeerAddressChanged, sa.connection, sa.id, std::nullopt,
        old_remote.to_string() + " -> " + remote.to_string() + " (MOBIKE update" +
            (sa.udp_encapsulated() ? ", NAT: ESP in UDP" : ", no NAT: plain ESP") + ")");
  // Our NAT detection for the response's path (§3.5), so the peer sees the same.
  out.emplace_back(
      notify(ikev2::NotifyType::NatDetectionSourceIp, nat_detection_hash(sa.spi_i, sa.spi_r, local)));
  out.emplace_back(
      notify(ikev2::NotifyType::NatDetectionDestinationIp, nat_detection_hash(sa.spi_i, sa.spi_r, remote)));
  if (contains(sa.verified_peer_addresses, remote.address)) {
    move_children(sa);
  } else {
    // ESP waits for the return routability check; it goes out right after this response.
    MobikeCheckTask check;
    check.target = remote;
    check.cookie2 = fresh_cookie2(*random);
    sa.queue.remove_if([](const Task& t) { return std::holds_alternative<MobikeCheckTask>(t); });
    sa.queue.push_front(std::move(check));
  }
  return true;
}

void v2::Ikev2Engine::move_children(IkeSa& sa) {
  for (ChildSa* c : children_of(sa.id)) {
    const bool udp = sa.udp_encapsulated() && c->protocol == ipsec::IpsecProtocol::Esp;
    c->udp_encapsulated = udp;
    UpdateChildSaAddresses update;
    update.id = c->id;
    update.connection = c->connection;
    update.child = c->child;
    update.local = sa.local.address;
    update.remote = sa.remote.address;
    if (udp) update.udp_encapsulation = ipsec::UdpEncapsulation{ikev2::kNatTraversalPort, sa.remote.port};
    actions.emplace_back(std::move(update));
  }
}

// --- gateway: return routability ---

void v2::Ikev2Engine::start(IkeSa& sa, MobikeCheckTask task, TimePoint now) {
  if (sa.remote != task.target) return;  // the peer moved again: the newer update brings its own check
  std::vector<ikev2::Payload> payloads;
  payloads.emplace_back(notify(ikev2::NotifyType::Cookie2, task.cookie2));
  send_request(sa, ikev2::ExchangeType::Informational, payloads, std::move(task), now);
}

void v2::Ikev2Engine::on_response(IkeSa& sa, MobikeCheckTask& task, const std::vector<ikev2::Payload>& in,
                                  TimePoint /*now*/) {
  const auto* cookie2 = ikev2::find_notify(in, ikev2::NotifyType::Cookie2);
  if (!cookie2 || cookie2->data != task.cookie2) {
    counters.refusals.count(RefusalReason::AddressChange);
    event(EventType::Error, sa.connection, sa.id, std::nullopt,
          "MOBIKE: return routability check of " + task.target.to_string() +
              " failed (COOKIE2 not echoed): ESP stays on the old address");
    return;
  }
  if (sa.remote != task.target) return;  // moved again meanwhile
  if (!contains(sa.verified_peer_addresses, task.target.address)) {
    sa.verified_peer_addresses.push_back(task.target.address);
    if (sa.verified_peer_addresses.size() > kMaxAdditionalAddresses + 1)
      sa.verified_peer_addresses.erase(sa.verified_peer_addresses.begin());
  }
  move_children(sa);
}

// --- client: our address changed ---

void v2::Ikev2Engine::on_local_addresses(std::vector<wire::IpAddress> addresses, TimePoint now) {
  local_addresses = std::move(addresses);
  std::vector<IkeSaId> ids;
  for (const auto& [id, sa] : ike_sas) ids.push_back(id);
  for (IkeSaId id : ids) {
    IkeSa* sa = ike_sa(id);
    if (!sa || !sa->initiator || !sa->mobike || !sa->authenticated || sa->closing || sa->replaced_by ||
        sa->state != IkeSaState::Established)
      continue;
    // Our address unknown (no local_addrs: the kernel picks the source) or still there: no move.
    if (unspecified(sa->local.address) || contains(local_addresses, sa->local.address)) continue;
    if (sa->outstanding_is<MobikeUpdateTask>() ||
        std::any_of(sa->queue.begin(), sa->queue.end(),
                    [](const Task& t) { return std::holds_alternative<MobikeUpdateTask>(t); }))
      continue;
    MobikeUpdateTask task;
    task.paths = mobike_paths(*sa);
    if (task.paths.empty()) {
      event(EventType::Error, sa->connection, sa->id, std::nullopt,
            "MOBIKE: local address " + sa->local.address.to_string() +
                " is gone and no other address of its family is usable; waiting for one");
      continue;
    }
    task.cookie2 = fresh_cookie2(*random);
    queue_request(*sa, std::move(task), now, true);
  }
}

std::vector<std::pair<Endpoint, Endpoint>> v2::Ikev2Engine::mobike_paths(const IkeSa& sa) const {
  const ConnectionSettings* conn = connection(sa.connection);
  std::vector<Endpoint> remotes{sa.remote};
  for (const wire::IpAddress& a : sa.peer_additional_addresses)
    if (a.family() == sa.remote.address.family() && a != sa.remote.address)
      remotes.push_back(Endpoint{a, sa.remote.port});
  std::vector<std::pair<Endpoint, Endpoint>> paths;
  for (const wire::IpAddress& local : local_addresses) {
    if (local.family() != sa.remote.address.family() || contains(sa.virtual_ips, local)) continue;
    if (conn && !address_allowed(conn->local_addrs, local)) continue;
    for (const Endpoint& remote : remotes) {
      if (paths.size() == kMaxPaths) return paths;
      paths.emplace_back(Endpoint{local, sa.local.port}, remote);
    }
  }
  return paths;
}

std::vector<ikev2::Payload> v2::Ikev2Engine::mobike_update_payloads(const IkeSa& sa,
                                                                    const MobikeUpdateTask& task) const {
  std::vector<ikev2::Payload> payloads;
  payloads.emplace_back(notify(ikev2::NotifyType::UpdateSaAddresses));
  payloads.emplace_back(
      notify(ikev2::NotifyType::NatDetectionSourceIp, nat_detection_hash(sa.spi_i, sa.spi_r, sa.local)));
  payloads.emplace_back(notify(ikev2::NotifyType::NatDetectionDestinationIp,
                               nat_detection_hash(sa.spi_i, sa.spi_r, sa.remote)));
  payloads.emplace_back(notify(ikev2::NotifyType::Cookie2, task.cookie2));
  return payloads;
}

void v2::Ikev2Engine::start(IkeSa& sa, MobikeUpdateTask task, TimePoint now) {
  if (task.paths.empty()) return;
  sa.local = task.paths.front().first;
  sa.remote = task.paths.front().second;
  const std::vector<ikev2::Payload> payloads = mobike_update_payloads(sa, task);
  send_request(sa, ikev2::ExchangeType::Informational, payloads, std::move(task), now);
}

bool v2::Ikev2Engine::retry_mobike_path(IkeSa& sa, TimePoint now) {
  auto* task = sa.outstanding ? std::get_if<MobikeUpdateTask>(&sa.outstanding->task) : nullptr;
  if (!task || task->path + 1 >= task->paths.size()) return false;
  ++task->path;
  sa.local = task->paths[task->path].first;
  sa.remote = task->paths[task->path].second;
  // The same request (same message ID) over the next path, its NAT detection redone for it.
  ikev2::Header h;
  h.initiator_spi = sa.spi_i;
  h.responder_spi = sa.spi_r;
  h.exchange = ikev2::ExchangeType::Informational;
  h.flags = sa.initiator ? ikev2::kFlagInitiator : 0;
  h.message_id = sa.outstanding->message_id;
  sa.outstanding->datagrams = protect(sa, h, mobike_update_payloads(sa, *task));
  sa.outstanding->retransmits = 0;
  sa.outstanding->next_retransmit = now + retransmit_delay(options, 0);
  ++counters.retransmissions;
  for (const Bytes& d : sa.outstanding->datagrams) emit(sa.local, sa.remote, d);
  return true;
}

void v2::Ikev2Engine::on_response(IkeSa& sa, MobikeUpdateTask& task, const std::vector<ikev2::Payload>& in,
                                  TimePoint now) {
  if (const auto* error = first_error_notify(in)) {
    event(EventType::Error, sa.connection, sa.id, std::nullopt,
          std::string("MOBIKE: the peer refused our UPDATE_SA_ADDRESSES from ") + sa.local.to_string() +
              ": " + ikev2::notify_name(error->type));
    return;
  }
  const auto* cookie2 = ikev2::find_notify(in, ikev2::NotifyType::Cookie2);
  if (!cookie2 || cookie2->data != task.cookie2) {
    malformed(sa.connection, sa.id, "MOBIKE: UPDATE_SA_ADDRESSES response without our COOKIE2; ignored");
    return;
  }
  take_additional_addresses(sa, in);
  const ConnectionSettings* conn = connection(sa.connection);
  sa.nat_remote = nat_seen(in, ikev2::NotifyType::NatDetectionSourceIp, sa, sa.remote);
  sa.nat_local = nat_seen(in, ikev2::NotifyType::NatDetectionDestinationIp, sa, sa.local) ||
                 (conn && conn->encapsulation == Encapsulation::ForceUdp);
  if (sa.udp_encapsulated() && sa.local.port != ikev2::kNatTraversalPort) {
    // §2.23 as at IKE_SA_INIT: with a NAT on the path both ends use port 4500. The NAT gives port
    // 4500 a mapping of its own, so the update goes again from there: the peer's ESP in UDP then
    // targets the mapping we listen on.
    sa.local.port = ikev2::kNatTraversalPort;
    if (sa.remote.port == ikev2::kIkePort) sa.remote.port = ikev2::kNatTraversalPort;
    MobikeUpdateTask again;
    again.paths = {{sa.local, sa.remote}};
    again.cookie2 = fresh_cookie2(*random);
    queue_request(sa, std::move(again), now, true);
  }
  event(EventType::PeerAddressChanged, sa.connection, sa.id, std::nullopt,
        "MOBIKE update: we moved to " + sa.local.to_string() + ", peer " + sa.remote.to_string() +
            (sa.udp_encapsulated() ? " (NAT: ESP in UDP)" : " (no NAT: plain ESP)"));
  move_children(sa);
}

}  // namespace cygnet::ike
