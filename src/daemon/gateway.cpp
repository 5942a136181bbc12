#include "daemon/gateway.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "config/warnings.hpp"
#include "daemon/log_context.hpp"
#include "daemon/logging.hpp"
#include "daemon/monitor_event.hpp"

namespace cygnet::daemon {

namespace {

constexpr std::uint16_t kIkePort = 500;
constexpr std::uint16_t kNatTraversalPort = 4500;
constexpr Seconds kHousekeepingInterval{1};
// SIGTERM: how long the loop keeps running for the peers to answer our Deletes (and for an
// exchange outstanding at that moment to end first, RFC 7296 §2.3). Retransmissions come after
// 1 s and then 1.8 s more, so 3 s still gets a Delete through when one message of the
// outstanding exchange or of the Delete was lost, while stopping stays far below systemd's stop
// timeout and the few seconds operators and test harnesses wait.
constexpr Seconds kShutdownGrace{3};

std::string route_text(const RouteSpec& r) {
  std::string text = (r.throw_route ? "throw " : "") + r.destination.to_string();
  if (r.source) text += " src " + r.source->to_string();
  return text + " table " + std::to_string(r.table);
}

// [daemon] workers, or one per online CPU.
std::size_t worker_count(const config::DaemonSettings& daemon) {
  if (daemon.workers) return *daemon.workers;
  const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  return std::clamp<std::size_t>(cpus > 0 ? static_cast<std::size_t>(cpus) : 1, 1, config::kMaxWorkers);
}

ike::EngineOptions engine_options(const config::DaemonSettings& daemon) {
  ike::EngineOptions o;
  o.data_plane_workers = worker_count(daemon);  // per-resource CHILD SAs: one per worker
  o.retain_keys_for_export = daemon.allow_key_export;
  if (daemon.max_half_open) o.max_half_open = o.ikev1_max_half_open = *daemon.max_half_open;
  if (daemon.max_half_open_per_source)
    o.max_half_open_per_source = o.ikev1_max_half_open_per_source = *daemon.max_half_open_per_source;
  if (daemon.retransmit_timeout) o.retransmit_timeout = *daemon.retransmit_timeout;
  if (daemon.retransmit_tries) o.retransmit_tries = *daemon.retransmit_tries;
  // Certificates are checked against wall-clock time: anchor the engine's steady clock to it.
  o.steady_origin = Clock::now();
  o.wall_origin = std::chrono::system_clock::now();
  return o;
}

}  // namespace

Gateway::Gateway(config::Config config, GatewayOptions options)
    : config_(std::move(config)), options_(std::move(options)), started_(Clock::now()) {
  if (auto error = apply_log_levels(options_.log_levels.value_or(config_.daemon.log_level))) {
    throw std::runtime_error("log level: " + *error);
  }
  // The same weak-choice findings `cygnetctl check` prints (legacy algorithms, IKEv1, Aggressive
  // Mode with a PSK, ...), so an operator who never ran it still sees them.
  for (const std::string& finding : config::weak_choices(config_)) log(Subsystem::Daemon).warn("{}", finding);
  gateway::CoreOptions core_options;
  core_options.nat_keepalive = options_.nat_keepalive;
  core_options.trace_drops = log(Subsystem::DataPlane).should_log(spdlog::level::trace);
  core_options.route_mtu = [fwmark = options_.fwmark](const wire::IpAddress& peer) {
    return route_mtu_toward(peer, fwmark);
  };
  core_options.with_workers_paused = [this](const std::function<void()>& change) {
    with_workers_paused(change);
  };
  core_ = std::make_unique<gateway::GatewayCore>(engine_options(config_.daemon), std::move(core_options));
  engine().set_pools(config_.pools);
  engine().set_eap_users(config_.eap_users);
  load_leases();
  netlink_.emplace();
  interfaces_ = std::make_unique<RouteBasedInterfaces>(*netlink_);
  // TCP encapsulation keeps the data plane on this thread: its ESP leaves on TCP connections
  // this thread owns (workers would send it on UDP or raw sockets).
  const bool tcp_in_use = config_.daemon.tcp_port || tcp_initiators_configured(config_);
  std::size_t workers = tcp_in_use ? 1 : worker_count(config_.daemon);
  if (tcp_in_use && worker_count(config_.daemon) > 1)
    log(Subsystem::Daemon)
        .info("TCP encapsulation configured: one data-plane thread ([daemon] workers ignored)");
  TunDevice::ForQueues opened = TunDevice::open_for_queues(config_.daemon.tun, options_.tun_mtu,
                                                           config_.daemon.offload, /*carrier=*/true, workers);
  if (opened.single_queue_fallback) {
    log(Subsystem::Net)
        .warn(
            "TUN device {} exists without multi_queue, so it has one queue: running 1 data-plane worker "
            "instead of {} (recreate it with `ip tuntap add {} mode tun multi_queue`, or let cygnetd create "
            "it)",
            opened.device.name(), workers, opened.device.name());
    workers = 1;
  }
  tun_.emplace(std::move(opened.device));
  tun_io_.emplace(*tun_);  // with workers: this thread's writes only (worker 0 reads this queue)
  log(Subsystem::Net)
      .info("TUN device {} (index {}, MTU {}) up, offloads: {}{}", tun_->name(), tun_->ifindex(), tun_->mtu(),
            tun_->offloads().describe(), config_.daemon.offload ? "" : " ([daemon] offload = false)");
  remove_client_leftovers();
  install_rules();
  cleartext_filter_ = std::make_unique<CleartextFilter>(config_.daemon.drop_cleartext, tun_->name());
  open_sockets();
  open_tcp();
  open_control_socket();
  open_metrics();
  start_workers(workers);

  if (workers_.empty()) loop_.watch(tun_->fd(), [this] { on_tun_readable(); });
  for (auto& s : ike_sockets_) {
    IkeSocket* socket = s.get();
    loop_.watch(socket->socket.fd(), [this, socket] { on_udp_readable(*socket); });
  }
  for (auto& r : raw_sockets_) {
    RawIpSocket* socket = r.get();
    loop_.watch(socket->receive_fd(), [this, socket] { on_raw_readable(*socket); });
  }
  for (auto& r : icmp_sockets_) {
    RawIpSocket* socket = r.get();
    loop_.watch(socket->receive_fd(), [this, socket] { on_icmp_readable(*socket); });
  }
  loop_.watch(control_fd_, [this] { on_control_readable(); });
  loop_.watch(resolver_.fd(), [this] { on_resolver_readable(); });
  loop_.watch(revocation_fetcher_.fd(), [this] { on_revocation_readable(); });
  start_radius();           // gateway_radius.cpp
  watch_local_addresses();  // gateway_addresses.cpp
  loop_.on_signals([this](int signal) {
    const TimePoint now = Clock::now();
    if (signal == SIGHUP) {
      log(Subsystem::Daemon).info("SIGHUP: reloading {}", options_.config_path);
      const nlohmann::json result = reload(now);
      if (!result.value("ok", false)) {
        log(Subsystem::Daemon).error("reload failed: {}", result.value("error", std::string("?")));
      }
      return;
    }
    if (stop_by_) {  // a second signal: exit now
      loop_.stop();
      return;
    }
    log(Subsystem::Daemon).info("{}: deleting SAs and exiting", signal == SIGINT ? "SIGINT" : "SIGTERM");
    shutdown(now);
    subscribers_.close_all(
        monitor_notice_json("daemon-stopping", "cygnetd is exiting", std::chrono::system_clock::now()),
        Milliseconds{1000});
    stop_by_ = now + kShutdownGrace;
    stop_when_deletes_done(now);
  });

  const TimePoint now = Clock::now();
  batch();
  apply_shunts();
  for (const ike::ConnectionSettings& c : config_.connections) add_connection(c, now);
  carry_out(now);
  reconcile_routes();
  next_housekeeping_ = now + kHousekeepingInterval;
  log(Subsystem::Daemon)
      .info("cygnetd ready: {} connection(s) from {}, control socket {}", config_.connections.size(),
            options_.config_path, config_.daemon.control_socket);
}

Gateway::~Gateway() {
  stop_workers();
  if (worker_requests_fd_ >= 0) close(worker_requests_fd_);
  remove_client_setup();
  remove_rules_and_routes();
  if (control_fd_ >= 0) {
    close(control_fd_);
    ::unlink(config_.daemon.control_socket.c_str());
  }
}

int Gateway::run() {
  notifier_.ready(sa_counts(Clock::now()), Clock::now());
  loop_.run([this] { return next_deadline(); },
            [this] {
              const TimePoint now = Clock::now();
              core_->on_timer(now, batch());
              carry_out(now);
              stop_when_deletes_done(now);
              if (now >= next_housekeeping_) housekeeping(now);
              tcp_timer(now);
              control_clients_.expire(now);
              // The watchdog keep-alive comes from here, so a stuck loop stops it.
              notifier_.on_tick(now, [this, now] { return sa_counts(now); });
            });
  stop_workers();
  return 0;
}

SaCounts Gateway::sa_counts(TimePoint now) const {
  SaCounts counts;
  for (const ike::ConnectionStatus& connection : engine().status(now)) {
    counts.ike_sas += connection.ike_sas.size();
    for (const ike::IkeSaStatus& ike_sa : connection.ike_sas) counts.child_sas += ike_sa.children.size();
  }
  return counts;
}

// ---- set-up ------------------------------------------------------------------------------------

void Gateway::open_sockets() {
  std::vector<wire::IpAddress> addresses = config_.daemon.listen;
  const bool any = addresses.empty();
  if (any) addresses = {*wire::IpAddress::parse("0.0.0.0"), *wire::IpAddress::parse("::")};
  for (const wire::IpAddress& address : addresses) {
    for (std::uint16_t port : {kIkePort, kNatTraversalPort}) {
      try {
        auto s = std::make_unique<IkeSocket>(
            IkeSocket{UdpSocket::bind(address, port, options_.fwmark), any, address});
        ike_sockets_.push_back(std::move(s));
        log(Subsystem::Net).info("IKE listening on {}[{}]", address.to_string(), port);
      } catch (const std::system_error& e) {
        // A host without IPv6 still serves IPv4 (and the reverse).
        if (any && !address.is_v4()) {
          log(Subsystem::Net).warn("no IPv6 IKE socket on port {}: {}", port, e.what());
          continue;
        }
        throw;
      }
    }
  }
  enable_udp_offloads();
  for (wire::IpFamily family : {wire::IpFamily::V4, wire::IpFamily::V6}) {
    for (std::uint8_t protocol : {std::uint8_t{50}, std::uint8_t{51}}) {
      try {
        raw_sockets_.push_back(
            std::make_unique<RawIpSocket>(RawIpSocket::open(family, protocol, options_.fwmark)));
      } catch (const std::system_error& e) {
        log(Subsystem::Net)
            .warn("no raw {} socket for IPv{}: {} (only UDP-encapsulated ESP there)",
                  protocol == 50 ? "ESP" : "AH", family == wire::IpFamily::V4 ? 4 : 6, e.what());
      }
    }
    // Path MTU: ICMP Fragmentation Needed / Packet Too Big about our outer packets.
    try {
      const std::uint8_t icmp =
          family == wire::IpFamily::V4 ? wire::ip_protocol::kIcmp : wire::ip_protocol::kIcmpv6;
      auto socket = std::make_unique<RawIpSocket>(RawIpSocket::open(family, icmp, options_.fwmark));
      socket->accept_only_too_big();
      icmp_sockets_.push_back(std::move(socket));
    } catch (const std::system_error& e) {
      log(Subsystem::Net)
          .warn("no ICMP socket for IPv{}: {} (path MTU from the route only)",
                family == wire::IpFamily::V4 ? 4 : 6, e.what());
    }
  }
}

void Gateway::enable_udp_offloads() {
  // UDP GSO for ESP in UDP (one send per run of same-size packets to a peer) and GRO on receive,
  // both under [daemon] offload like the TUN offloads; a kernel without them: one datagram per
  // message, still batched by sendmmsg / recvmmsg.
  bool gso = config_.daemon.offload && !ike_sockets_.empty();
  bool gro = gso;
  for (const auto& s : ike_sockets_) {
    if (!config_.daemon.offload) break;
    gso = gso && udp_gso_supported(s->socket.fd());
    gro = enable_udp_gro(s->socket.fd()) && gro;
  }
  udp_sender_ = UdpBatchSender(gso);
  log(Subsystem::Net)
      .info("UDP offloads: {}{}",
            gso && gro ? "GSO, GRO"
            : gso      ? "GSO (no GRO)"
            : gro      ? "GRO (no GSO)"
                       : "none",
            config_.daemon.offload ? "" : " ([daemon] offload = false)");
}

void Gateway::open_control_socket() {
  const std::string& path = config_.daemon.control_socket;
  sockaddr_un address{};
  if (path.size() >= sizeof address.sun_path)
    throw std::runtime_error("control socket path too long: " + path);
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  control_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (control_fd_ < 0) throw std::system_error(errno, std::generic_category(), "control socket");
  // A socket file left by a daemon that died: refuse if someone still answers on it.
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  if (int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0); probe >= 0) {
    const bool alive = connect(probe, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    close(probe);
    if (alive) throw std::runtime_error("another cygnetd is listening on " + path);
  }
  ::unlink(path.c_str());
  // Root only, from the first moment (umask, not a chmod after the fact): the control socket can
  // take tunnels down.
  const mode_t old_umask = umask(0177);  // socket files start from 0777: leaves 0600
  const int bound = bind(control_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
  const int bind_errno = errno;
  umask(old_umask);
  if (bound != 0)
    throw std::system_error(bind_errno, std::generic_category(), "binding control socket " + path);
  if (listen(control_fd_, 16) != 0) throw std::system_error(errno, std::generic_category(), "listen " + path);
}

void Gateway::install_rules() {
  for (wire::IpFamily family : {wire::IpFamily::V4, wire::IpFamily::V6}) {
    RuleSpec rule;
    rule.family = family;
    rule.priority = options_.rule_priority;
    rule.table = options_.routing_table;
    rule.fwmark = options_.fwmark;
    rule.invert = true;
    try {
      netlink_->add_rule(rule);
      installed_rules_.push_back(rule);
    } catch (const NetlinkError& e) {
      if (family == wire::IpFamily::V4) throw;
      log(Subsystem::Net).warn("no IPv6 routing rule: {}", e.what());
    }
  }
  log(Subsystem::Net)
      .info("routing rule: not fwmark {:#x} lookup table {} (priority {})", options_.fwmark,
            options_.routing_table, options_.rule_priority);
}

void Gateway::remove_rules_and_routes() {
  if (!netlink_) return;
  for (const RouteSpec& r : installed_routes_) {
    try {
      netlink_->delete_route(r);
    } catch (const NetlinkError& e) {
      log(Subsystem::Net).warn("removing route {}: {}", route_text(r), e.what());
    }
  }
  installed_routes_.clear();
  for (const RuleSpec& rule : installed_rules_) {
    try {
      netlink_->delete_rule(rule);
    } catch (const NetlinkError& e) {
      log(Subsystem::Net).warn("removing routing rule: {}", e.what());
    }
  }
  installed_rules_.clear();
}

void Gateway::add_connection(const ike::ConnectionSettings& settings, TimePoint now) {
  // A route-based connection brings its own interface and no routes or cleartext rules of the
  // shared TUN device: its whole-family selectors would capture every packet there.
  const bool route_based = settings.route_interface.has_value();
  if (route_based && !open_interface(settings)) return;
  if (!route_based) {
    routes_.set_connection(settings);
    cleartext_filter_->planner().set_connection(settings);
  }
  if (!core_->add_connection(settings, now, out_)) {
    log(Subsystem::Ike).error("connection {} not loaded (see the error above)", settings.name);
    routes_.remove_connection(settings.name);
    cleartext_filter_->planner().remove_connection(settings.name);
    return;
  }
  if (route_based) {
    if (RouteBasedInterface* interface = interfaces_->find(settings.name))
      interfaces_->set_link(*interface, core_->link_of(settings.name).value_or(0));
    update_carriers();
  }
  log(Subsystem::Ike)
      .info("connection {} loaded (start_action {})", settings.name,
            ike::start_action_name(settings.start_action));
}

void Gateway::apply_shunts() {
  core_->set_shunts(config_.shunts);
  routes_.set_shunts(config_.shunts);
  cleartext_filter_->planner().set_shunts(config_.shunts);
  for (const ipsec::ShuntSettings& shunt : config_.shunts) {
    std::string selectors;
    for (const ipsec::Selector& s : shunt.selectors)
      selectors += (selectors.empty() ? "" : ", ") + s.to_string();
    log(Subsystem::DataPlane)
        .info("shunt {}: {} {}", shunt.name, ipsec::shunt_type_name(shunt.type), selectors);
  }
}

void Gateway::remove_connection(const std::string& name, TimePoint now) {
  core_->remove_connection(name, now, out_);
  forget_client_connection(name);
  // Its interface stays (a reload re-adds a changed connection; close_unused_interfaces decides).
  if (RouteBasedInterface* interface = interfaces_->find(name)) {
    interfaces_->set_link(*interface, 0);
    update_carriers();
  }
  routes_.remove_connection(name);
  cleartext_filter_->planner().remove_connection(name);
  log(Subsystem::Ike).info("connection {} removed", name);
}

void Gateway::shutdown(TimePoint now) {
  notifier_.stopping();
  batch();
  for (const std::string& name : engine().connection_names()) core_->remove_connection(name, now, out_);
  carry_out(now);
  reconcile_routes();
}

void Gateway::stop_when_deletes_done(TimePoint now) {
  if (!stop_by_) return;
  if (engine().has_ike_sas() && now < *stop_by_) return;
  if (engine().has_ike_sas())
    log(Subsystem::Ike).warn("exiting with Delete exchanges unanswered after {} s", kShutdownGrace.count());
  else
    log(Subsystem::Ike).info("every IKE SA deleted");
  loop_.stop();
}

// ---- engine actions ----------------------------------------------------------------------------

void Gateway::drain(TimePoint now) {
  core_->drain(now, batch());
  carry_out(now);
}

void Gateway::on_applied(const gateway::AppliedAction& applied) {
  const ike::Action& action = applied.action;
  if (const auto* retiring = std::get_if<ike::RemoveChildSa>(&action); retiring && applied.retired) {
    retired_traffic_.retire(retiring->connection, *applied.retired);
  }
  if (const auto* install = std::get_if<ike::InstallChildSa>(&action)) {
    const ScopedLogContext context({.connection = install->connection,
                                    .peer = install->outbound.remote_address.to_string(),
                                    .spi = install->inbound.spi});
    if (!core_->is_route_based(install->connection)) {  // a route-based one: its interface's routes
      routes_.set_selectors("child:" + std::to_string(install->id), install->selectors);
      cleartext_filter_->planner().set_selectors("child:" + std::to_string(install->id), install->connection,
                                                 install->child, install->selectors);
    }
    log(Subsystem::DataPlane)
        .info("{}/{}: CHILD SA #{} installed, SPIs in {} out {}{}", install->connection, install->child,
              install->id, spi_hex(install->inbound.spi), spi_hex(install->outbound.spi),
              install->outbound.udp_encapsulation ? " (ESP in UDP)" : "");
  } else if (const auto* moved = std::get_if<ike::UpdateChildSaAddresses>(&action)) {
    const ScopedLogContext context(
        {.connection = moved->connection, .peer = moved->remote.to_string(), .spi = {}});
    log(Subsystem::DataPlane)
        .info("{}/{}: CHILD SA #{} moved (MOBIKE): {} <-> {}{}", moved->connection, moved->child, moved->id,
              moved->local.to_string(), moved->remote.to_string(),
              moved->udp_encapsulation ? " (ESP in UDP)" : "");
  } else if (const auto* activate = std::get_if<ike::ActivateChildSa>(&action)) {
    log(Subsystem::DataPlane).debug("CHILD SA #{} now carries outbound traffic", activate->id);
  } else if (const auto* remove = std::get_if<ike::RemoveChildSa>(&action)) {
    const ScopedLogContext context({.connection = remove->connection, .peer = {}, .spi = {}});
    routes_.remove_selectors("child:" + std::to_string(remove->id));
    cleartext_filter_->planner().remove_selectors("child:" + std::to_string(remove->id));
    log(Subsystem::DataPlane)
        .info("{}/{}: CHILD SA #{} removed", remove->connection, remove->child, remove->id);
  } else if (const auto* trap = std::get_if<ike::InstallTrapPolicy>(&action);
             trap && core_->is_route_based(trap->connection)) {
    log(Subsystem::DataPlane)
        .info("{}/{}: waiting for traffic on its interface", trap->connection, trap->child);
  } else if (trap) {
    routes_.set_selectors("trap:" + trap->connection + "/" + trap->child, trap->selectors);
    cleartext_filter_->planner().set_selectors("trap:" + trap->connection + "/" + trap->child,
                                               trap->connection, trap->child, trap->selectors);
    log(Subsystem::DataPlane)
        .info("{}/{}: trap policy installed, waiting for traffic", trap->connection, trap->child);
  } else if (const auto* untrap = std::get_if<ike::RemoveTrapPolicy>(&action)) {
    routes_.remove_selectors("trap:" + untrap->connection + "/" + untrap->child);
    cleartext_filter_->planner().remove_selectors("trap:" + untrap->connection + "/" + untrap->child);
    log(Subsystem::DataPlane).info("{}/{}: trap policy removed", untrap->connection, untrap->child);
  }
}

void Gateway::log_event(const ike::Event& event) {
  const ScopedLogContext context({.connection = event.connection, .peer = {}, .spi = {}});
  const std::string where = event.connection.empty() ? std::string("-") : event.connection;
  auto& logger = log(Subsystem::Ike);
  const auto level = ike::is_failure_event(event.type) || event.type == ike::EventType::MalformedMessage
                         ? spdlog::level::warn
                         : spdlog::level::info;
  if (event.detail.empty()) {
    logger.log(level, "{}: {}", where, ike::event_type_name(event.type));
  } else {
    logger.log(level, "{}: {}: {}", where, ike::event_type_name(event.type), event.detail);
  }
}

void Gateway::reconcile_routes() {
  if (cleartext_filter_) cleartext_filter_->apply();  // the same selector changes move both
  if (!netlink_ || !tun_) return;
  std::vector<RouteSpec> wanted;
  try {
    wanted = routes_.desired(netlink_->addresses(), tun_->ifindex(), options_.routing_table);
  } catch (const NetlinkError& e) {
    log(Subsystem::Net).error("reading addresses: {}", e.what());
    return;
  }
  for (auto it = installed_routes_.begin(); it != installed_routes_.end();) {
    if (std::find(wanted.begin(), wanted.end(), *it) != wanted.end()) {
      ++it;
      continue;
    }
    try {
      netlink_->delete_route(*it);
      log(Subsystem::Net).info("route removed: {}", route_text(*it));
    } catch (const NetlinkError& e) {
      log(Subsystem::Net).warn("removing route {}: {}", route_text(*it), e.what());
    }
    it = installed_routes_.erase(it);
  }
  for (const RouteSpec& r : wanted) {
    if (std::find(installed_routes_.begin(), installed_routes_.end(), r) != installed_routes_.end()) continue;
    try {
      netlink_->add_route(r);
      installed_routes_.push_back(r);
      log(Subsystem::Net)
          .info("route added: {}{}", route_text(r), r.throw_route ? "" : " dev " + tun_->name());
    } catch (const NetlinkError& e) {
      log(Subsystem::Net).error("adding route {}: {}", route_text(r), e.what());
    }
  }
}

bool Gateway::open_interface(const ike::ConnectionSettings& settings) {
  const RouteBasedInterface* before = interfaces_->find(settings.name);
  const int fd_before = before ? before->tun.fd() : -1;
  if (before && before->settings != *settings.route_interface) loop_.unwatch(fd_before);  // replaced below
  try {
    RouteBasedInterface& interface = interfaces_->open(settings, options_.tun_mtu);
    if (interface.tun.fd() != fd_before) {
      const std::string name = settings.name;
      loop_.watch(interface.tun.fd(), [this, name] { on_link_readable(name); });
      log(Subsystem::Net)
          .info("{}: interface {} (index {}, MTU {}) created, carrier down until a CHILD SA is installed",
                settings.name, interface.tun.name(), interface.tun.ifindex(), interface.tun.mtu());
    }
    return true;
  } catch (const std::exception& e) {
    log(Subsystem::Net).error("connection {} not loaded: its interface: {}", settings.name, e.what());
    return false;
  }
}

void Gateway::close_unused_interfaces(const std::vector<ike::ConnectionSettings>& connections) {
  for (int fd : interfaces_->close_unused(connections)) loop_.unwatch(fd);
}

void Gateway::update_carriers() {
  if (interfaces_->empty()) return;
  for (const std::string& change : interfaces_->update_carriers(*core_, config_.connections))
    log(Subsystem::Net).info("{}", change);
}

void Gateway::housekeeping(TimePoint now) {
  next_housekeeping_ = now + kHousekeepingInterval;
  answer_refused_radius(now);    // gateway_radius.cpp
  account_radius_sessions(now);  // Interim-Updates due
  for (const std::string& line : refusal_log_.lines_due(engine().counters().refusals, now))
    log(Subsystem::Ike).warn("{}", line);
  if (metrics_) metrics_->expire(now);
}

std::optional<TimePoint> Gateway::next_deadline() const {
  std::optional<TimePoint> deadline = core_->next_deadline();
  if (!deadline || next_housekeeping_ < *deadline) deadline = next_housekeeping_;
  if (auto watchdog = notifier_.next_deadline(); watchdog && *watchdog < *deadline) deadline = watchdog;
  if (auto control = control_clients_.next_deadline(); control && *control < *deadline) deadline = control;
  if (auto tcp = tcp_ ? tcp_->next_deadline() : std::nullopt; tcp && *tcp < *deadline) deadline = tcp;
  if (stop_by_ && *stop_by_ < *deadline) deadline = stop_by_;
  return deadline;
}

}  // namespace cygnet::daemon
