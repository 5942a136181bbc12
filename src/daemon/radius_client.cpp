#include "daemon/radius_client.hpp"

extern "C" {
#include <radcli/radcli.h>
}
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "crypto/radius_mppe_key.hpp"
#include "daemon/radius_eap.hpp"

namespace cygnet::daemon {

// What every worker needs to build its radcli handle, read-only once the workers run.
struct RadiusClient::Shared {
  std::vector<config::RadiusServer> servers;
  crypto::SecureBytes secret;  // with a terminating NUL for radcli
  int timeout_seconds = 3;
  unsigned retries = 2;
  std::string nas_identifier;
};

namespace {

// The attributes Cygnet sends or reads, so no dictionary file has to be installed (the Debian
// package's dictionary leaves out the Microsoft vendor attributes).
constexpr char kDictionary[] =
    "ATTRIBUTE User-Name 1 string\n"
    "ATTRIBUTE NAS-IP-Address 4 ipaddr\n"
    "ATTRIBUTE NAS-Port 5 integer\n"
    "ATTRIBUTE Service-Type 6 integer\n"
    "ATTRIBUTE Framed-IP-Address 8 ipaddr\n"
    "ATTRIBUTE Reply-Message 18 string\n"
    "ATTRIBUTE State 24 string\n"
    "ATTRIBUTE Class 25 string\n"
    "ATTRIBUTE Vendor-Specific 26 string\n"
    "ATTRIBUTE Session-Timeout 27 integer\n"
    "ATTRIBUTE NAS-Identifier 32 string\n"
    "ATTRIBUTE Acct-Status-Type 40 integer\n"
    "ATTRIBUTE Acct-Delay-Time 41 integer\n"
    "ATTRIBUTE Acct-Input-Octets 42 integer\n"
    "ATTRIBUTE Acct-Output-Octets 43 integer\n"
    "ATTRIBUTE Acct-Session-Id 44 string\n"
    "ATTRIBUTE Acct-Session-Time 46 integer\n"
    "ATTRIBUTE Acct-Input-Packets 47 integer\n"
    "ATTRIBUTE Acct-Output-Packets 48 integer\n"
    "ATTRIBUTE Acct-Terminate-Cause 49 integer\n"
    "ATTRIBUTE Acct-Input-Gigawords 52 integer\n"
    "ATTRIBUTE Acct-Output-Gigawords 53 integer\n"
    "ATTRIBUTE NAS-Port-Type 61 integer\n"
    "ATTRIBUTE EAP-Message 79 string\n"
    "ATTRIBUTE Message-Authenticator 80 string\n"
    "ATTRIBUTE NAS-IPv6-Address 95 ipv6addr\n"
    "ATTRIBUTE Framed-IPv6-Address 168 ipv6addr\n"
    "VENDOR Microsoft 311\n"
    "ATTRIBUTE MS-MPPE-Send-Key 16 string Microsoft\n"
    "ATTRIBUTE MS-MPPE-Recv-Key 17 string Microsoft\n";

constexpr std::uint32_t kServiceTypeFramed = 2;   // RFC 2865 §5.6
constexpr std::uint32_t kNasPortTypeVirtual = 5;  // RFC 2865 §5.41
constexpr int kAttrFramedIpv6Address = 168;       // RFC 6911
constexpr int kAttrAcctInputGigawords = 52;       // RFC 2869 §5.1
constexpr int kAttrAcctOutputGigawords = 53;

struct PairsDeleter {
  void operator()(VALUE_PAIR* pairs) const { rc_avpair_free(pairs); }
};
using Pairs = std::unique_ptr<VALUE_PAIR, PairsDeleter>;

struct ContextDeleter {
  void operator()(RC_AAA_CTX* ctx) const { rc_aaa_ctx_free(ctx); }
};
using Context = std::unique_ptr<RC_AAA_CTX, ContextDeleter>;

std::string server_text(const config::RadiusServer& server, std::uint16_t port) {
  const bool v6 = server.address.find(':') != std::string::npos;
  return (v6 ? "[" + server.address + "]" : server.address) + ":" + std::to_string(port);
}

// "a:port:secret,b:port:secret" for radcli's authserver / acctserver options. The secret passes
// through this string only; it is wiped before the function returns.
bool add_server_list(rc_handle* rh, const char* option, const RadiusClient::Shared& shared, bool accounting) {
  std::string list;
  const std::string_view secret(reinterpret_cast<const char*>(shared.secret.view().data()),
                                shared.secret.size() - 1);
  for (const config::RadiusServer& server : shared.servers) {
    if (!list.empty()) list += ',';
    list += server_text(server, accounting ? server.acct_port : server.port);
    list += ':';
    list += secret;
  }
  const bool ok = rc_add_config(rh, option, list.c_str(), "cygnet", 0) == 0;
  crypto::secure_wipe(list.data(), list.size());
  return ok;
}

// Wipes the copies of the secret radcli keeps in its server lists before the handle goes, and
// frees the entries after the first: radcli 1.2.11's rc_config_free frees only entry 0 of each
// list (the pointers are nulled, so a radcli that frees them all does no harm).
void release_handle_servers(rc_handle* rh) {
  for (const char* option : {"authserver", "acctserver"}) {
    SERVER* servers = rc_conf_srv(rh, option);
    if (servers == nullptr) continue;
    for (int i = 0; i < servers->max && i < SERVER_MAX; ++i) {
      if (servers->secret[i] != nullptr)
        crypto::secure_wipe(servers->secret[i], std::strlen(servers->secret[i]));
      if (i == 0) continue;
      std::free(servers->name[i]);
      std::free(servers->secret[i]);
      servers->name[i] = nullptr;
      servers->secret[i] = nullptr;
    }
  }
}

struct HandleDeleter {
  void operator()(rc_handle* rh) const {
    release_handle_servers(rh);
    rc_destroy(rh);
  }
};
using Handle = std::unique_ptr<rc_handle, HandleDeleter>;

Handle make_handle(const RadiusClient::Shared& shared) {
  Handle rh(rc_new());
  if (!rh || rc_config_init(rh.get()) == nullptr) {
    (void)rh.release();  // rc_config_init destroys the handle when it fails
    throw std::runtime_error("radcli: cannot create a handle");
  }
  const std::string timeout = std::to_string(shared.timeout_seconds);
  const std::string retries = std::to_string(shared.retries);
  const bool ok =
      add_server_list(rh.get(), "authserver", shared, false) &&
      add_server_list(rh.get(), "acctserver", shared, true) &&
      rc_add_config(rh.get(), "radius_timeout", timeout.c_str(), "cygnet", 0) == 0 &&
      rc_add_config(rh.get(), "radius_retries", retries.c_str(), "cygnet", 0) == 0 &&
      rc_add_config(rh.get(), "radius_deadtime", "0", "cygnet", 0) == 0 &&
      rc_add_config(rh.get(), "bindaddr", "*", "cygnet", 0) == 0 &&
      rc_add_config(rh.get(), "nas-identifier", shared.nas_identifier.c_str(), "cygnet", 0) == 0 &&
      rc_apply_config(rh.get()) == 0 &&
      rc_read_dictionary_from_buffer(rh.get(), kDictionary, sizeof kDictionary - 1) == 0;
  if (!ok) throw std::runtime_error("radcli: the configuration was refused");  // the deleter wipes
  return rh;
}

bool add_string(rc_handle* rh, VALUE_PAIR** list, int attribute, ByteView value, int vendor = 0) {
  return rc_avpair_add(rh, list, attribute, value.data(), static_cast<int>(value.size()), vendor) != nullptr;
}
bool add_text(rc_handle* rh, VALUE_PAIR** list, int attribute, std::string_view value) {
  return add_string(rh, list, attribute,
                    ByteView(reinterpret_cast<const std::uint8_t*>(value.data()), value.size()));
}
bool add_integer(rc_handle* rh, VALUE_PAIR** list, int attribute, std::uint32_t value) {
  return rc_avpair_add(rh, list, attribute, &value, 0, 0) != nullptr;
}

ByteView pair_value(const VALUE_PAIR* vp) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(vp->strvalue),
                  std::min<std::size_t>(vp->lvalue, AUTH_STRING_LEN));
}

std::vector<ByteView> values_of(VALUE_PAIR* pairs, int attribute, int vendor = 0) {
  std::vector<ByteView> values;
  for (VALUE_PAIR* vp = rc_avpair_get(pairs, attribute, vendor); vp != nullptr;
       vp = rc_avpair_get(vp->next, attribute, vendor))
    values.push_back(pair_value(vp));
  return values;
}

const char* rc_result_text(int rc) {
  switch (rc) {
    case OK_RC: return "accepted";
    case REJECT_RC: return "rejected";
    case CHALLENGE_RC: return "challenged";
    case TIMEOUT_RC: return "no answer";
    case BADRESP_RC: return "a malformed answer";
    case BADRESPID_RC: return "an answer to another request";
    default: return "an error (no route to it, or a local failure)";
  }
}

// One Access-Request round, servers tried in order (or only request.server).
RadiusAuthResult authenticate(rc_handle* rh, const RadiusClient::Shared& shared,
                              const RadiusAuthRequest& request, std::uint64_t& timeouts) {
  RadiusAuthResult result;
  result.session = request.session;
  VALUE_PAIR* raw = nullptr;
  bool built = add_text(rh, &raw, PW_USER_NAME, request.user_name) &&
               add_integer(rh, &raw, PW_SERVICE_TYPE, kServiceTypeFramed) &&
               add_integer(rh, &raw, PW_NAS_PORT_TYPE, kNasPortTypeVirtual);
  for (ByteView chunk : split_eap_message(request.eap_message))
    built = built && add_string(rh, &raw, PW_EAP_MESSAGE, chunk);
  if (!request.state.empty()) built = built && add_string(rh, &raw, PW_STATE, request.state);
  Pairs send(raw);
  if (!built || request.eap_message.empty()) {
    result.reason = "could not build the Access-Request (EAP message empty or too long)";
    return result;
  }

  const std::size_t first = request.server.value_or(0);
  const std::size_t last = request.server ? first + 1 : shared.servers.size();
  if (first >= shared.servers.size()) {
    result.reason = "the conversation's RADIUS server is no longer configured";
    return result;
  }
  const std::string tries =
      std::to_string(shared.timeout_seconds) + "s x " + std::to_string(shared.retries + 1) + " tries";
  std::string history;
  for (std::size_t index = first; index < last; ++index) {
    const config::RadiusServer& server = shared.servers[index];
    SERVER one{};
    one.max = 1;
    one.name[0] = const_cast<char*>(server.address.c_str());
    one.port[0] = server.port;
    RC_AAA_CTX* raw_ctx = nullptr;
    VALUE_PAIR* raw_received = nullptr;
    char message[PW_MAX_MSG_SIZE] = {};
    const int rc = rc_aaa_ctx_server(rh, &raw_ctx, &one, AUTH, 0, send.get(), &raw_received, message, 0,
                                     PW_ACCESS_REQUEST);
    Context ctx(raw_ctx);
    Pairs received(raw_received);
    const std::string where = "RADIUS server " + server_text(server, server.port);
    if (rc != OK_RC && rc != CHALLENGE_RC && rc != REJECT_RC) {
      if (rc == TIMEOUT_RC) ++timeouts;
      history += (history.empty() ? "" : "; ") + where + ": " + rc_result_text(rc) +
                 (rc == TIMEOUT_RC ? " (" + tries + ")" : "");
      continue;
    }
    result.server = index;
    const std::string after = history.empty() ? "" : " (after " + history + ")";
    result.eap_message = join_eap_message(values_of(received.get(), PW_EAP_MESSAGE));
    if (const auto states = values_of(received.get(), PW_STATE); !states.empty())
      result.state.assign(states.front().begin(), states.front().end());
    if (rc == REJECT_RC) {
      result.outcome = RadiusOutcome::Reject;
      result.reason = where + ": Access-Reject" + after;
      return result;
    }
    if (result.eap_message.empty()) {
      result.reason =
          where + ": " + (rc == OK_RC ? "Access-Accept" : "Access-Challenge") + " without an EAP-Message";
      return result;
    }
    if (rc == CHALLENGE_RC) {
      result.outcome = RadiusOutcome::Challenge;
      result.reason = where + ": Access-Challenge" + after;
      return result;
    }
    // Access-Accept: the MSK, which also proves the server shares our secret.
    const auto recv_values = values_of(received.get(), PW_MS_MPPE_RECV_KEY, VENDOR_MICROSOFT);
    const auto send_values = values_of(received.get(), PW_MS_MPPE_SEND_KEY, VENDOR_MICROSOFT);
    if (recv_values.size() != 1 || send_values.size() != 1 || !ctx) {
      result.reason =
          where +
          ": Access-Accept without MS-MPPE-Recv-Key and MS-MPPE-Send-Key (the EAP method must derive keys)";
      return result;
    }
    const ByteView secret(shared.secret.view().data(), shared.secret.size() - 1);
    const ByteView vector(static_cast<const std::uint8_t*>(rc_aaa_ctx_get_vector(ctx.get())),
                          crypto::kRadiusAuthenticatorLength);
    auto recv_key = crypto::decrypt_mppe_key(recv_values.front(), secret, vector);
    auto send_key = crypto::decrypt_mppe_key(send_values.front(), secret, vector);
    if (!recv_key || !send_key) {
      result.reason = where +
                      ": Access-Accept whose MS-MPPE keys do not decrypt under our shared secret "
                      "(the server's secret differs: check [radius] secret)";
      return result;
    }
    result.outcome = RadiusOutcome::Accept;
    result.msk = msk_from_mppe_keys(recv_key->view(), send_key->view());
    result.reason = where + ": Access-Accept" + after;
    return result;
  }
  result.reason = "no RADIUS server answered: " + history +
                  " (a server also stays silent when our shared secret differs from its own)";
  return result;
}

AccountingResult account_once(rc_handle* rh, const RadiusClient::Shared& shared,
                              const AccountingRecord& record, std::uint64_t& timeouts) {
  AccountingResult result{record.session_id, record.status, false, {}};
  VALUE_PAIR* raw = nullptr;
  bool built = add_integer(rh, &raw, PW_ACCT_STATUS_TYPE, static_cast<std::uint32_t>(record.status)) &&
               add_text(rh, &raw, PW_ACCT_SESSION_ID, record.session_id) &&
               add_text(rh, &raw, PW_USER_NAME, record.user_name) &&
               add_integer(rh, &raw, PW_SERVICE_TYPE, kServiceTypeFramed) &&
               add_integer(rh, &raw, PW_NAS_PORT_TYPE, kNasPortTypeVirtual);
  if (record.framed_address && record.framed_address->is_v4()) {
    const ByteView b = record.framed_address->bytes();
    const std::uint32_t host_order =
        (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
    built = built && add_integer(rh, &raw, PW_FRAMED_IP_ADDRESS, host_order);
  } else if (record.framed_address) {
    built = built && add_string(rh, &raw, kAttrFramedIpv6Address, record.framed_address->bytes());
  }
  if (record.status != AccountingStatus::Start) {
    built =
        built &&
        add_integer(rh, &raw, PW_ACCT_INPUT_OCTETS, static_cast<std::uint32_t>(record.octets_from_client)) &&
        add_integer(rh, &raw, kAttrAcctInputGigawords,
                    static_cast<std::uint32_t>(record.octets_from_client >> 32)) &&
        add_integer(rh, &raw, PW_ACCT_OUTPUT_OCTETS, static_cast<std::uint32_t>(record.octets_to_client)) &&
        add_integer(rh, &raw, kAttrAcctOutputGigawords,
                    static_cast<std::uint32_t>(record.octets_to_client >> 32)) &&
        add_integer(rh, &raw, PW_ACCT_INPUT_PACKETS,
                    static_cast<std::uint32_t>(record.packets_from_client)) &&
        add_integer(rh, &raw, PW_ACCT_OUTPUT_PACKETS, static_cast<std::uint32_t>(record.packets_to_client)) &&
        add_integer(rh, &raw, PW_ACCT_SESSION_TIME, record.session_seconds);
  }
  if (record.status == AccountingStatus::Stop)
    built = built && add_integer(rh, &raw, PW_ACCT_TERMINATE_CAUSE, record.terminate_cause);
  Pairs send(raw);
  if (!built) {
    result.reason = "could not build the Accounting-Request";
    return result;
  }
  const std::string tries =
      std::to_string(shared.timeout_seconds) + "s x " + std::to_string(shared.retries + 1) + " tries";
  std::string history;
  for (const config::RadiusServer& server : shared.servers) {
    SERVER one{};
    one.max = 1;
    one.name[0] = const_cast<char*>(server.address.c_str());
    one.port[0] = server.acct_port;
    RC_AAA_CTX* raw_ctx = nullptr;
    VALUE_PAIR* unused = nullptr;
    char message[PW_MAX_MSG_SIZE] = {};
    const int rc = rc_aaa_ctx_server(rh, &raw_ctx, &one, ACCT, 0, send.get(), &unused, message, 0,
                                     PW_ACCOUNTING_REQUEST);
    Context ctx(raw_ctx);
    const std::string where = "RADIUS accounting server " + server_text(server, server.acct_port);
    if (rc == OK_RC) {
      result.acknowledged = true;
      result.reason = where + ": Accounting-Response";
      return result;
    }
    if (rc == TIMEOUT_RC) ++timeouts;
    history += (history.empty() ? "" : "; ") + where + ": " + rc_result_text(rc) +
               (rc == TIMEOUT_RC ? " (" + tries + ")" : "");
  }
  result.reason = "no RADIUS accounting server acknowledged: " + history;
  return result;
}

}  // namespace

const char* radius_outcome_name(RadiusOutcome outcome) {
  switch (outcome) {
    case RadiusOutcome::Challenge: return "challenge";
    case RadiusOutcome::Accept: return "accept";
    case RadiusOutcome::Reject: return "reject";
    case RadiusOutcome::Failed: return "failed";
  }
  return "?";
}

const char* accounting_status_name(AccountingStatus status) {
  switch (status) {
    case AccountingStatus::Start: return "Start";
    case AccountingStatus::Stop: return "Stop";
    case AccountingStatus::InterimUpdate: return "Interim-Update";
  }
  return "?";
}

RadiusClient::RadiusClient(const config::RadiusSettings& settings)
    : accounting_(settings.accounting),
      interim_interval_(settings.interim_interval),
      shared_(std::make_unique<Shared>()) {
  if (settings.servers.empty()) throw std::runtime_error("RADIUS: no server configured");
  shared_->servers = settings.servers;
  shared_->secret = crypto::SecureBytes(settings.secret.size() + 1);
  std::copy(settings.secret.view().begin(), settings.secret.view().end(),
            shared_->secret.mutable_view().begin());
  shared_->timeout_seconds = static_cast<int>(settings.timeout.count());
  shared_->retries = settings.retries;
  shared_->nas_identifier = settings.nas_identifier;
  // Refuse a configuration radcli will not take now, not in a worker.
  (void)make_handle(*shared_);
  event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (event_fd_ < 0) throw std::system_error(errno, std::system_category(), "eventfd for the RADIUS client");
  // As the resolver's: every signal blocked in the workers (they belong to the loop's signalfd).
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  for (std::size_t i = 0; i < kWorkers; ++i) workers_.emplace_back([this] { work(); });
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

RadiusClient::~RadiusClient() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& worker : workers_) worker.join();
  close(event_fd_);
}

void RadiusClient::post(Job job) {
  {
    const std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

bool RadiusClient::submit(RadiusAuthRequest request) {
  {
    const std::lock_guard lock(mutex_);
    if (jobs_.size() >= kMaxQueued) {
      ++counters_.refused_busy;
      return false;
    }
  }
  post(std::move(request));
  return true;
}

bool RadiusClient::account(AccountingRecord record) {
  if (!accounting_) return false;
  {
    const std::lock_guard lock(mutex_);
    if (jobs_.size() >= kMaxQueued) {
      ++counters_.refused_busy;
      return false;
    }
  }
  post(std::move(record));
  return true;
}

std::vector<RadiusAuthResult> RadiusClient::take_results() {
  const std::lock_guard lock(mutex_);
  std::uint64_t count = 0;
  while (read(event_fd_, &count, sizeof count) < 0 && errno == EINTR) {
  }
  return std::exchange(results_, {});
}

std::vector<AccountingResult> RadiusClient::take_accounting_results() {
  const std::lock_guard lock(mutex_);
  std::uint64_t count = 0;
  while (read(event_fd_, &count, sizeof count) < 0 && errno == EINTR) {
  }
  return std::exchange(accounting_results_, {});
}

RadiusCounters RadiusClient::counters() const {
  const std::lock_guard lock(mutex_);
  return counters_;
}

void RadiusClient::work() {
  Handle rh = make_handle(*shared_);
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (stopping_) {
      // Shutting down: nobody waits for an Access-Request's answer any more, but the accounting
      // Stop records of the sessions that just ended still go out (each bounded by the timeouts).
      std::erase_if(jobs_, [](const Job& j) { return std::holds_alternative<RadiusAuthRequest>(j); });
      if (jobs_.empty()) break;
    }
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    std::uint64_t timeouts = 0;
    std::optional<RadiusAuthResult> auth;
    std::optional<AccountingResult> accounting;
    if (const auto* request = std::get_if<RadiusAuthRequest>(&job)) {
      auth = authenticate(rh.get(), *shared_, *request, timeouts);
    } else {
      accounting = account_once(rh.get(), *shared_, std::get<AccountingRecord>(job), timeouts);
    }
    lock.lock();
    counters_.server_timeouts += timeouts;
    if (auth) {
      ++counters_.access_requests;
      switch (auth->outcome) {
        case RadiusOutcome::Challenge: ++counters_.challenges; break;
        case RadiusOutcome::Accept: ++counters_.accepts; break;
        case RadiusOutcome::Reject: ++counters_.rejects; break;
        case RadiusOutcome::Failed: ++counters_.failures; break;
      }
      results_.push_back(std::move(*auth));
    } else {
      ++(accounting->acknowledged ? counters_.accounting_sent : counters_.accounting_failed);
      accounting_results_.push_back(std::move(*accounting));
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = write(event_fd_, &one, sizeof one);
  }
}

}  // namespace cygnet::daemon
