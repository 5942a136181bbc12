// Revocation of the peer's certificates, as the engine decides it without fetching anything
// itself (sans-I/O): each certificate of an accepted chain (all but the trust anchor) is looked up
// in a bounded cache of verdicts; a miss becomes a FetchRevocation action, and the IKE_AUTH
// message that needed it is parked by the version engine until on_revocation_data() delivers the
// CRLs / OCSP responses, which are verified here with crypto/revocation.hpp. The connection's
// `revocation` policy then turns Good / Revoked / Unknown into accept or refuse, with the reason.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "crypto/revocation.hpp"
#include "crypto/x509.hpp"
#include "ike/connection_settings.hpp"
#include "ike/engine.hpp"

namespace cygnet::ike {

class RandomSource;

struct RevocationGate {
  enum class Kind : std::uint8_t { Accept, Refuse, Wait };
  Kind kind = Kind::Accept;
  std::string why;            // Refuse: names the certificate and the reason
  std::uint64_t request = 0;  // Wait: the FetchRevocation to wait for
};

// Where to ask about `certificate` (issued by `issuer`): the configured authority for that issuer
// first, then the certificate's own CRL distribution points and AIA OCSP responders.
struct RevocationSources {
  std::vector<std::string> crl_uris;
  std::vector<std::string> ocsp_uris;
  bool empty() const { return crl_uris.empty() && ocsp_uris.empty(); }
};
RevocationSources revocation_sources(const ConnectionSettings& conn, const crypto::Certificate& certificate,
                                     const crypto::Certificate& issuer);

class RevocationChecker {
 public:
  RevocationChecker(const EngineOptions& options, RandomSource& random, std::vector<Action>& actions,
                    EngineCounters& counters)
      : options_(options), random_(random), actions_(actions), counters_(counters) {}

  // `chain`: end entity first, trust anchor last (AcceptedPeerCertificate::chain).
  RevocationGate check(const ConnectionSettings& conn, const std::vector<crypto::Certificate>& chain,
                       crypto::WallClock at);

  // Verifies and caches the answer to `request`. False when no such request is pending.
  bool deliver(std::uint64_t request, const RevocationData& data, crypto::WallClock at);
  // The request's answer did not come in time: cached as unknown ("no answer within N s").
  bool give_up(std::uint64_t request, crypto::WallClock at);

  std::size_t cached_entries() const { return cache_.size(); }
  std::size_t pending_requests() const { return pending_.size(); }

 private:
  struct Verdict {
    crypto::RevocationStatus status = crypto::RevocationStatus::Unknown;
    std::string detail;
    crypto::WallClock expires{};
  };
  struct Pending {
    crypto::Certificate certificate;
    crypto::Certificate issuer;
    Bytes nonce;
    Bytes key;  // the cache key
    crypto::WallClock deadline{};
  };

  std::optional<Verdict> cached(const Bytes& key, crypto::WallClock at) const;
  RevocationGate decide(const ConnectionSettings& conn, const crypto::Certificate& certificate,
                        const RevocationSources& sources, const Verdict& verdict) const;
  RevocationGate start_fetch(const ConnectionSettings& conn, const crypto::Certificate& certificate,
                             const crypto::Certificate& issuer, const RevocationSources& sources,
                             const Bytes& key, crypto::WallClock at);
  void store(const Bytes& key, Verdict verdict);

  const EngineOptions& options_;
  RandomSource& random_;
  std::vector<Action>& actions_;
  EngineCounters& counters_;
  std::map<Bytes, Verdict> cache_;  // by SHA-256 of the certificate's DER
  std::map<std::uint64_t, Pending> pending_;
  std::uint64_t next_request_ = 1;
};

}  // namespace cygnet::ike
