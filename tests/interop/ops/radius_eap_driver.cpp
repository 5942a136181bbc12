// Drives one EAP-MSCHAPv2 conversation through cygnetd's RADIUS client (daemon/radius_client.hpp)
// to a real RADIUS server, with Cygnet's own EAP-MSCHAPv2 peer (ike/eap_mschapv2.hpp) as the
// client: the gateway's part is what strongSwan's eap-radius does — ask the peer for its
// identity, then relay every EAP message between the peer and RADIUS. For radius.sh.
//
//   cygnet-radius-eap-driver CONFIG.toml USER PASSWORD EXPECT [accounting]
//
// EXPECT is accept, reject or failed. With accept, the MSK from the Access-Accept must equal the
// MSK the peer derived. With "accounting", an Accounting Start and Stop follow (session id
// cygnet-test-<pid>, printed) and both must be acknowledged. Exit 0 when everything matched.
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "config/config.hpp"
#include "crypto/mschapv2.hpp"
#include "daemon/radius_client.hpp"
#include "ike/eap_mschapv2.hpp"
#include "ike/random_source.hpp"
#include "wire/eap_message.hpp"

namespace {

using namespace cygnet;

std::string hex(ByteView data) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : data) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

// Waits (at most 60 s: the client's own timeouts end every round well before) for one result.
template <typename T, typename Take>
std::optional<T> wait_for(daemon::RadiusClient& client, Take take) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{client.fd(), POLLIN, 0};
    if (poll(&pfd, 1, 1000) > 0) {
      auto results = take();
      if (!results.empty()) return std::move(results.front());
    }
  }
  return std::nullopt;
}

int run(const config::RadiusSettings& settings, const std::string& user, const std::string& password,
        const std::string& expect, bool accounting) {
  daemon::RadiusClient client(settings);
  auto hash = crypto::mschapv2::nt_password_hash(
      ByteView(reinterpret_cast<const std::uint8_t*>(password.data()), password.size()));
  if (!hash) return 2;
  ike::EapMsChapV2Peer peer(user, std::move(*hash), ike::system_random());

  // The gateway asks for the identity itself (RFC 3748 §5.1), as strongSwan's eap-radius does.
  ike::EapStep step = peer.on_request(wire::eap::serialize_packet(wire::eap::Packet{
      wire::eap::Code::Request, 0, static_cast<std::uint8_t>(wire::eap::Type::Identity), {}}));
  daemon::RadiusAuthRequest request{1, user, step.reply, {}, std::nullopt};
  std::optional<daemon::RadiusAuthResult> result;
  for (int round = 0; round < 10; ++round) {
    if (!client.submit(request)) return 2;
    result = wait_for<daemon::RadiusAuthResult>(client, [&] { return client.take_results(); });
    if (!result) {
      std::cout << "outcome: hang (no result within 60 s)\n";
      return 1;
    }
    std::cout << "round " << round << ": " << daemon::radius_outcome_name(result->outcome) << " — "
              << result->reason << "\n";
    if (result->outcome != daemon::RadiusOutcome::Challenge) break;
    step = peer.on_request(result->eap_message);
    if (step.status != ike::EapStatus::Continue) {
      std::cout << "peer: " << ike::eap_status_name(step.status) << " " << step.reason << "\n";
      break;
    }
    request = daemon::RadiusAuthRequest{1, user, step.reply, result->state, result->server};
  }
  if (!result) return 1;
  std::cout << "outcome: " << daemon::radius_outcome_name(result->outcome) << "\n";
  std::cout << "reason: " << result->reason << "\n";
  bool ok = daemon::radius_outcome_name(result->outcome) == expect;
  if (result->outcome == daemon::RadiusOutcome::Accept) {
    const ike::EapStep last = peer.on_request(result->eap_message);  // the EAP-Success
    const bool peer_done = last.status == ike::EapStatus::Success && peer.msk() && result->msk;
    const bool same =
        peer_done && peer.msk()->view().size() == result->msk->view().size() &&
        std::equal(peer.msk()->view().begin(), peer.msk()->view().end(), result->msk->view().begin());
    // Printed only because these are throwaway test keys of a throwaway user.
    if (result->msk) std::cout << "radius msk: " << hex(result->msk->view()) << "\n";
    if (peer.msk()) std::cout << "peer msk:   " << hex(peer.msk()->view()) << "\n";
    std::cout << "msk match: " << (same ? "yes" : "no") << "\n";
    ok = ok && same;
  }
  if (accounting) {
    const std::string session = "cygnet-test-" + std::to_string(getpid());
    std::cout << "accounting session: " << session << "\n";
    daemon::AccountingRecord start;
    start.status = daemon::AccountingStatus::Start;
    start.session_id = session;
    start.user_name = user;
    start.framed_address = wire::IpAddress::parse("198.51.100.77");
    daemon::AccountingRecord stop = start;
    stop.status = daemon::AccountingStatus::Stop;
    stop.octets_from_client = (std::uint64_t{1} << 32) + 1000;  // one gigaword and 1000 octets
    stop.octets_to_client = 5000;
    stop.packets_from_client = 42;
    stop.packets_to_client = 43;
    stop.session_seconds = 17;
    for (const daemon::AccountingRecord& record : {start, stop}) {
      if (!client.account(record)) return 2;
      auto acked =
          wait_for<daemon::AccountingResult>(client, [&] { return client.take_accounting_results(); });
      std::cout << "accounting " << daemon::accounting_status_name(record.status) << ": "
                << (acked && acked->acknowledged ? "acknowledged" : "not acknowledged") << " — "
                << (acked ? acked->reason : "no result") << "\n";
      ok = ok && acked && acked->acknowledged;
    }
  }
  const daemon::RadiusCounters c = client.counters();
  std::cout << "counters: requests " << c.access_requests << " challenges " << c.challenges << " accepts "
            << c.accepts << " rejects " << c.rejects << " failures " << c.failures << " server_timeouts "
            << c.server_timeouts << " accounting_sent " << c.accounting_sent << "\n";
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::cerr << "usage: " << argv[0] << " CONFIG.toml USER PASSWORD accept|reject|failed [accounting]\n";
    return 2;
  }
  const config::LoadResult loaded = config::load_config_file(argv[1]);
  if (!loaded.ok() || !loaded.config->radius) {
    std::cerr << loaded.error_text() << (loaded.ok() ? "no [radius] table\n" : "");
    return 2;
  }
  try {
    return run(*loaded.config->radius, argv[2], argv[3], argv[4],
               argc > 5 && std::strcmp(argv[5], "accounting") == 0);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
}
