#include "daemon/revocation_fetcher.hpp"

#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "crypto/revocation.hpp"

namespace cygnet::daemon {
namespace {

// One transfer: a CRL GET (or file read) or an OCSP POST, with its body bounded as it arrives.
struct Transfer {
  std::string uri;
  ike::RevocationData::Kind kind = ike::RevocationData::Kind::Crl;
  Bytes body;
  bool too_large = false;
  curl_slist* headers = nullptr;
  CURL* easy = nullptr;
  ~Transfer() {
    if (easy) curl_easy_cleanup(easy);
    if (headers) curl_slist_free_all(headers);
  }
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  if (t->body.size() + n > crypto::kMaxRevocationDataSize) {
    t->too_large = true;
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
  }
  t->body.insert(t->body.end(), reinterpret_cast<const std::uint8_t*>(data),
                 reinterpret_cast<const std::uint8_t*>(data) + n);
  return n;
}

const char* kind_name(ike::RevocationData::Kind k) {
  return k == ike::RevocationData::Kind::Crl ? "CRL" : "OCSP responder";
}

std::unique_ptr<Transfer> make_transfer(const std::string& uri, ike::RevocationData::Kind kind,
                                        const Bytes* ocsp_request) {
  auto t = std::make_unique<Transfer>();
  t->uri = uri;
  t->kind = kind;
  t->easy = curl_easy_init();
  if (!t->easy) return nullptr;
  CURL* e = t->easy;
  curl_easy_setopt(e, CURLOPT_URL, uri.c_str());
  // file:// only for CRLs: the engine passes file:// URIs only from [authorities] tables.
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, kind == ike::RevocationData::Kind::Crl ? "http,file" : "http");
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::chrono::milliseconds(RevocationFetcher::kConnectTimeout).count()));
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(std::chrono::milliseconds(RevocationFetcher::kTotalTimeout).count()));
  curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(crypto::kMaxRevocationDataSize));
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
  curl_easy_setopt(e, CURLOPT_USERAGENT, "cygnetd");
  curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
  if (ocsp_request) {  // RFC 6960 Appendix A.1: POST with Content-Type application/ocsp-request
    t->headers = curl_slist_append(t->headers, "Content-Type: application/ocsp-request");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, ocsp_request->data());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(ocsp_request->size()));
  }
  return t;
}

}  // namespace

RevocationFetcher::RevocationFetcher() {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::runtime_error("curl_global_init failed");
  multi_ = curl_multi_init();
  if (!multi_) throw std::runtime_error("curl_multi_init failed");
  event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (event_fd_ < 0)
    throw std::system_error(errno, std::system_category(), "eventfd for the revocation fetcher");
  // As the resolver's: every signal blocked in the worker (they belong to the loop's signalfd).
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  worker_ = std::thread([this] { work(); });
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

RevocationFetcher::~RevocationFetcher() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  curl_multi_wakeup(static_cast<CURLM*>(multi_));
  worker_.join();
  curl_multi_cleanup(static_cast<CURLM*>(multi_));
  close(event_fd_);
  curl_global_cleanup();
}

void RevocationFetcher::fetch(const ike::FetchRevocation& request) {
  {
    const std::lock_guard lock(mutex_);
    requests_.push_back(request);
  }
  wake_.notify_one();
}

std::vector<RevocationFetchResult> RevocationFetcher::take_results() {
  const std::lock_guard lock(mutex_);  // as Resolver::take_results: readable exactly when results wait
  std::uint64_t count = 0;
  while (read(event_fd_, &count, sizeof count) < 0 && errno == EINTR) {
  }
  return std::exchange(results_, {});
}

RevocationFetchCounters RevocationFetcher::counters() const {
  const std::lock_guard lock(mutex_);
  return counters_;
}

void RevocationFetcher::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !requests_.empty(); });
    if (stopping_) return;
    ike::FetchRevocation request = std::move(requests_.front());
    requests_.pop_front();
    ++counters_.requests;
    lock.unlock();
    RevocationFetchResult done = run(request);
    lock.lock();
    if (stopping_) return;
    results_.push_back(std::move(done));
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = write(event_fd_, &one, sizeof one);
  }
}

RevocationFetchResult RevocationFetcher::run(const ike::FetchRevocation& request) {
  RevocationFetchResult result{request.request, {}};
  std::vector<std::unique_ptr<Transfer>> transfers;
  const auto now = std::chrono::system_clock::now();
  for (const std::string& uri : request.crl_uris) {
    {
      const std::lock_guard lock(mutex_);
      auto cached = crl_cache_.find(uri);
      if (cached != crl_cache_.end() && now < cached->second.expires) {
        ++counters_.crl_cache_hits;
        result.data.documents.push_back({uri, ike::RevocationData::Kind::Crl, cached->second.data});
        continue;
      }
    }
    if (auto t = make_transfer(uri, ike::RevocationData::Kind::Crl, nullptr))
      transfers.push_back(std::move(t));
  }
  if (!request.ocsp_request.empty())
    for (const std::string& uri : request.ocsp_uris)
      if (auto t = make_transfer(uri, ike::RevocationData::Kind::OcspResponse, &request.ocsp_request))
        transfers.push_back(std::move(t));

  auto* multi = static_cast<CURLM*>(multi_);
  for (auto& t : transfers) curl_multi_add_handle(multi, t->easy);
  int running = static_cast<int>(transfers.size());
  while (running > 0) {
    if (curl_multi_perform(multi, &running) != CURLM_OK) break;
    if (running == 0) break;
    curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
    const std::lock_guard lock(mutex_);
    if (stopping_) break;
  }
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    Transfer* t = nullptr;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
    if (!t) continue;
    long status = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    const bool file = t->uri.starts_with("file://");
    std::string failure;
    if (msg->data.result != CURLE_OK) {
      failure = std::string(kind_name(t->kind)) + " " + t->uri + " unreachable: " +
                (t->too_large ? "larger than 4 MiB" : curl_easy_strerror(msg->data.result));
    } else if (!file && status != 200) {
      failure = std::string(kind_name(t->kind)) + " " + t->uri + " answered HTTP " + std::to_string(status);
    }
    const std::lock_guard lock(mutex_);
    if (!failure.empty()) {
      ++counters_.failures;
      result.data.failures.push_back(std::move(failure));
      continue;
    }
    ++counters_.downloads;
    if (t->kind == ike::RevocationData::Kind::Crl) remember_crl(t->uri, t->body);
    result.data.documents.push_back({t->uri, t->kind, std::move(t->body)});
  }
  // Detached before the Transfers free their handles.
  for (auto& t : transfers) {
    curl_multi_remove_handle(multi, t->easy);
  }
  return result;
}

// Called with mutex_ held. Only a CRL that parses and has a future nextUpdate is kept.
void RevocationFetcher::remember_crl(const std::string& uri, const Bytes& data) {
  auto crl = crypto::Crl::parse(data);
  if (!crl || !crl->next_update()) return;
  const auto now = std::chrono::system_clock::now();
  if (*crl->next_update() <= now) return;
  if (crl_cache_.size() >= kMaxCachedCrls && !crl_cache_.contains(uri)) {
    std::erase_if(crl_cache_, [now](const auto& e) { return e.second.expires <= now; });
    if (crl_cache_.size() >= kMaxCachedCrls) crl_cache_.erase(crl_cache_.begin());
  }
  crl_cache_[uri] = CachedCrl{data, *crl->next_update()};
}

}  // namespace cygnet::daemon
