#include "ike/revocation_checker.hpp"

#include <algorithm>

#include "crypto/digest.hpp"
#include "crypto/error.hpp"
#include "ike/random_source.hpp"

namespace cygnet::ike {

namespace {

using crypto::RevocationStatus;

// OCSP responses without nextUpdate (RFC 6960 §2.4: "newer information is always available") are
// reused this long; an unknown status (nothing reachable, expired CRL) is retried after this.
constexpr crypto::WallClock::duration kOcspDefaultLifetime = std::chrono::minutes(5);
constexpr crypto::WallClock::duration kUnknownLifetime = std::chrono::seconds(30);
constexpr std::size_t kNonceSize = 16;  // RFC 8954 §2.1 suggests 32 at most; 16 is what OpenSSL sends

void add_unique(std::vector<std::string>& to, const std::vector<std::string>& from) {
  for (const std::string& uri : from)
    if (std::find(to.begin(), to.end(), uri) == to.end()) to.push_back(uri);
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

}  // namespace

RevocationSources revocation_sources(const ConnectionSettings& conn, const crypto::Certificate& certificate,
                                     const crypto::Certificate& issuer) {
  RevocationSources s;
  for (const RevocationAuthority& a : conn.authorities) {
    if (a.cacert.der() != issuer.der()) continue;
    add_unique(s.crl_uris, a.crl_uris);
    add_unique(s.ocsp_uris, a.ocsp_uris);
  }
  // From the peer's certificate only http:// (the daemon's fetcher speaks nothing else, and a
  // peer must not make us read local files or reach LDAP).
  const auto http = [](std::vector<std::string> uris) {
    std::erase_if(uris, [](const std::string& u) { return !u.starts_with("http://"); });
    return uris;
  };
  add_unique(s.crl_uris, http(certificate.crl_uris()));
  add_unique(s.ocsp_uris, http(certificate.ocsp_uris()));
  return s;
}

RevocationGate RevocationChecker::check(const ConnectionSettings& conn,
                                        const std::vector<crypto::Certificate>& chain, crypto::WallClock at) {
  // Every certificate but the trust anchor, end entity first: the first one not proven good (or
  // not yet known) decides.
  for (std::size_t i = 0; i + 1 < chain.size(); ++i) {
    const crypto::Certificate& certificate = chain[i];
    const crypto::Certificate& issuer = chain[i + 1];
    const RevocationSources sources = revocation_sources(conn, certificate, issuer);
    if (sources.empty()) {
      if (conn.revocation != RevocationPolicy::Strict) continue;
      return {RevocationGate::Kind::Refuse,
              certificate.subject_string() +
                  ": no CRL distribution point or OCSP responder (in the certificate or an authority "
                  "for its issuer " +
                  issuer.subject_string() + "); revocation=strict requires proof",
              0};
    }
    const Bytes key = crypto::digest(crypto::HashAlgorithm::Sha256, {certificate.der()});
    if (auto verdict = cached(key, at)) {
      RevocationGate gate = decide(conn, certificate, sources, *verdict);
      if (gate.kind != RevocationGate::Kind::Accept) return gate;
      continue;
    }
    RevocationGate gate = start_fetch(conn, certificate, issuer, sources, key, at);
    if (gate.kind != RevocationGate::Kind::Accept) return gate;
  }
  return {};
}

std::optional<RevocationChecker::Verdict> RevocationChecker::cached(const Bytes& key,
                                                                    crypto::WallClock at) const {
  auto it = cache_.find(key);
  if (it == cache_.end() || at >= it->second.expires) return std::nullopt;
  return it->second;
}

RevocationGate RevocationChecker::decide(const ConnectionSettings& conn,
                                         const crypto::Certificate& certificate,
                                         const RevocationSources& sources, const Verdict& verdict) const {
  switch (verdict.status) {
    case RevocationStatus::Good: return {};
    case RevocationStatus::Revoked: return {RevocationGate::Kind::Refuse, verdict.detail, 0};
    case RevocationStatus::Unknown: break;
  }
  if (conn.revocation == RevocationPolicy::Relaxed) return {};
  std::string why = certificate.subject_string() + ": revocation status unknown (" + verdict.detail + "); " +
                    "revocation=" + revocation_policy_name(conn.revocation) + " requires proof";
  if (conn.revocation == RevocationPolicy::IfUri)
    why += " for a certificate with a " +
           std::string(sources.crl_uris.empty() ? "OCSP responder" : "CRL distribution point");
  return {RevocationGate::Kind::Refuse, std::move(why), 0};
}

RevocationGate RevocationChecker::start_fetch(const ConnectionSettings& conn,
                                              const crypto::Certificate& certificate,
                                              const crypto::Certificate& issuer,
                                              const RevocationSources& sources, const Bytes& key,
                                              crypto::WallClock at) {
  // One fetch per certificate at a time: a second IKE SA with the same peer waits for the first's.
  for (const auto& [request, p] : pending_)
    if (p.key == key && at < p.deadline) return {RevocationGate::Kind::Wait, "", request};
  std::erase_if(pending_, [at](const auto& entry) { return at >= entry.second.deadline; });
  if (pending_.size() >= options_.max_revocation_fetches) {
    // Bounded: the status counts as unknown (not cached, so a later negotiation fetches).
    const Verdict busy{RevocationStatus::Unknown,
                       "too many revocation fetches in flight (" + std::to_string(pending_.size()) + ")",
                       {}};
    return decide(conn, certificate, sources, busy);
  }
  Pending p{certificate, issuer, Bytes(kNonceSize), key,
            at + std::chrono::duration_cast<crypto::WallClock::duration>(options_.revocation_timeout)};
  random_.fill(p.nonce);
  FetchRevocation fetch;
  fetch.request = next_request_++;
  fetch.certificate = certificate.subject_string();
  fetch.crl_uris = sources.crl_uris;
  fetch.ocsp_uris = sources.ocsp_uris;
  if (!sources.ocsp_uris.empty()) {
    try {
      fetch.ocsp_request = crypto::make_ocsp_request(certificate, issuer, p.nonce);
    } catch (const crypto::CryptoError&) {
      fetch.ocsp_uris.clear();  // cannot ask; the CRLs may still answer
    }
  }
  const std::uint64_t request = fetch.request;
  pending_.emplace(request, std::move(p));
  actions_.emplace_back(std::move(fetch));
  ++counters_.revocation_fetches;
  return {RevocationGate::Kind::Wait, "", request};
}

bool RevocationChecker::deliver(std::uint64_t request, const RevocationData& data, crypto::WallClock at) {
  auto it = pending_.find(request);
  if (it == pending_.end()) return false;
  const Pending p = std::move(it->second);
  pending_.erase(it);

  std::optional<crypto::RevocationVerdict> good;
  std::optional<crypto::RevocationVerdict> revoked;
  std::vector<std::string> unknowns = data.failures;
  for (const RevocationData::Document& d : data.documents) {
    crypto::RevocationVerdict v;
    if (d.kind == RevocationData::Kind::Crl) {
      auto crl = crypto::Crl::parse(d.data);
      if (!crl) {
        unknowns.push_back("CRL from " + d.uri + " does not parse");
        continue;
      }
      v = crypto::check_crl(p.certificate, p.issuer, *crl, at, d.uri);
    } else {
      v = crypto::check_ocsp_response(d.data, p.certificate, p.issuer, p.nonce, at, d.uri);
      if (v.status != RevocationStatus::Unknown && !v.next_update) v.next_update = at + kOcspDefaultLifetime;
    }
    if (v.status == RevocationStatus::Revoked && !revoked)
      revoked = std::move(v);
    else if (v.status == RevocationStatus::Good && !good)
      good = std::move(v);
    else if (v.status == RevocationStatus::Unknown)
      unknowns.push_back(std::move(v.detail));
  }
  // A revocation anywhere wins over a good answer elsewhere (a stale source must not hide it).
  Verdict verdict;
  if (revoked || good) {
    const crypto::RevocationVerdict& v = revoked ? *revoked : *good;
    verdict.status = v.status;
    verdict.detail = v.detail;
    verdict.expires = v.next_update.value_or(at + kOcspDefaultLifetime);
  } else {
    ++counters_.revocation_fetch_failures;
    verdict.detail = unknowns.empty() ? "no CRL or OCSP response was fetched" : join(unknowns);
    verdict.expires = at + kUnknownLifetime;
  }
  store(p.key, std::move(verdict));
  return true;
}

bool RevocationChecker::give_up(std::uint64_t request, crypto::WallClock at) {
  RevocationData none;
  none.failures.push_back("no answer from the revocation sources within " +
                          std::to_string(options_.revocation_timeout.count()) + " s");
  return deliver(request, none, at);
}

void RevocationChecker::store(const Bytes& key, Verdict verdict) {
  if (cache_.size() >= options_.revocation_cache_entries && !cache_.contains(key)) {
    // Full: the entry that expires first goes (an expired one, if any).
    auto oldest = std::min_element(cache_.begin(), cache_.end(), [](const auto& a, const auto& b) {
      return a.second.expires < b.second.expires;
    });
    if (oldest != cache_.end()) cache_.erase(oldest);
  }
  if (options_.revocation_cache_entries == 0) return;
  cache_[key] = std::move(verdict);
}

}  // namespace cygnet::ike
