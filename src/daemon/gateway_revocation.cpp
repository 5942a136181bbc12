// Certificate revocation data: the engine's FetchRevocation requests go to the fetcher's worker
// thread (revocation_fetcher.hpp); its answers come back through the event loop into the engine,
// which verifies them and resumes the IKE_AUTH it parked.
#include "daemon/gateway.hpp"
#include "daemon/logging.hpp"

namespace cygnet::daemon {
namespace {

std::string listed(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out.empty() ? "-" : out;
}

}  // namespace

void Gateway::fetch_revocation(const ike::FetchRevocation& request) {
  log(Subsystem::Ike)
      .info("revocation status of {}: fetching CRL {} / OCSP {}", request.certificate,
            listed(request.crl_uris), listed(request.ocsp_uris));
  revocation_fetcher_.fetch(request);
}

void Gateway::on_revocation_readable() {
  const TimePoint now = Clock::now();
  for (RevocationFetchResult& r : revocation_fetcher_.take_results()) {
    for (const std::string& failure : r.data.failures)
      log(Subsystem::Ike).warn("revocation fetch: {}", failure);
    for (const ike::RevocationData::Document& d : r.data.documents)
      log(Subsystem::Ike).debug("revocation fetch: {} bytes from {}", d.data.size(), d.uri);
    engine().on_revocation_data(r.request, r.data, now);
  }
  drain(now);
}

}  // namespace cygnet::daemon
