// EAP-RADIUS (issue 14): a Cygnet gateway with `remote_auth = "eap-radius"` relays its clients'
// EAP-MSCHAPv2 to a RADIUS server, which the test plays (FakeRadius: the engine's RadiusAccessRequest
// actions are answered with Engine::on_radius_answer, as cygnetd's RADIUS client would). The
// server's side of MS-CHAPv2 is Cygnet's own authenticator over a user table, so a right password
// is accepted with the MSK the client derives, and that MSK keys both final AUTH payloads: a
// server handing back another MSK fails the exchange. Also: Access-Reject, no answer at all, a
// client retransmitting while the gateway waits (relayed once), and a client that goes away
// while the gateway waits (the late answer is ignored), each leaving the other clients alone.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "crypto/mschapv2.hpp"
#include "ike/eap_mschapv2.hpp"
#include "sim/scenario.hpp"

namespace cygnet::sim {
namespace {

using namespace std::chrono_literals;

wire::IpAddress gateway_address() {
  return *wire::IpAddress::parse("2001:db8::1");
}
wire::IpAddress client_address(int i) {
  return *wire::IpAddress::parse("2001:db8::2:" + std::to_string(1000 + i));
}
std::string user(int i) {
  return "user" + std::to_string(i);
}
std::string password(int i) {
  return "password of user " + std::to_string(i);
}
crypto::SecureBytes nt_hash(const std::string& text) {
  return *crypto::mschapv2::nt_password_hash(
      ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

ike::ConnectionSettings gateway_connection() {
  ike::ConnectionSettings c = psk_connection(site_b(), site_a(), ConnectionOptions{});
  c.name = "rw";
  c.local_addrs = {gateway_address()};
  c.remote_addrs.clear();
  c.local_id = *ike::Identity::parse("gw.example.net");
  c.remote_id = *ike::Identity::parse("%any");
  c.local_auth = ike::AuthMethod::Psk;
  c.remote_auth = ike::AuthMethod::EapRadius;
  c.children.front().local_ts = {*wire::IpPrefix::parse("203.0.113.0/24")};
  c.children.front().remote_ts.clear();
  c.dpd_delay = Seconds{0};
  return c;
}

ike::ConnectionSettings client_connection(int i, const std::string& secret) {
  ike::ConnectionSettings c = psk_connection(site_a(), site_b(), ConnectionOptions{});
  c.name = "rw";
  c.local_addrs = {client_address(i)};
  c.remote_addrs = {gateway_address()};
  c.local_id = *ike::Identity::parse("laptop" + std::to_string(i) + ".example");
  c.remote_id = *ike::Identity::parse("gw.example.net");
  c.local_auth = ike::AuthMethod::EapMsChapV2;
  c.remote_auth = ike::AuthMethod::Psk;
  c.eap_identity = user(i);
  c.eap_password_hash = nt_hash(secret);
  c.children.front().local_ts.clear();
  c.children.front().remote_ts = {*wire::IpPrefix::parse("203.0.113.0/24")};
  c.dpd_delay = Seconds{0};
  return c;
}

// Randomness whose first byte is fixed: the authenticator's first Request identifier, so that the
// Identity Response the gateway relays is the answer to the authenticator's own Identity Request.
class FirstByte final : public ike::RandomSource {
 public:
  explicit FirstByte(std::uint8_t first) : first_(first) {}
  void fill(MutableByteView out) override {
    for (std::uint8_t& b : out) b = used_ ? static_cast<std::uint8_t>(next_++ * 37 + 11) : first_;
    used_ = true;
  }

 private:
  std::uint8_t first_;
  bool used_ = false;
  std::uint8_t next_ = 0;
};

// The RADIUS server. Each conversation (keyed by the State it handed out) runs Cygnet's
// EAP-MSCHAPv2 authenticator; `mode` decides how it answers.
class FakeRadius {
 public:
  enum class Mode { Serve, Silent, Unreachable, WrongMsk };
  Mode mode = Mode::Serve;
  Duration delay{0};  // before each answer
  std::size_t answered = 0;

  explicit FakeRadius(ike::EapUsers users) : users_(std::move(users)) {}

  // Answers every request of `gateway` older than `delay`, in order.
  void serve(Node& gateway, TimePoint now) {
    const auto& requests = gateway.radius_requests();
    for (; next_ < requests.size(); ++next_) {
      const ike::RadiusAccessRequest& r = requests[next_];
      if (!seen_.contains(r.request)) seen_[r.request] = now;
      if (now < seen_[r.request] + delay) return;
      if (mode == Mode::Silent) continue;
      gateway.engine().on_radius_answer(r.request, answer(r), now);
      gateway.drain(now);
      ++answered;
    }
  }

 private:
  ike::RadiusAnswer answer(const ike::RadiusAccessRequest& r) {
    ike::RadiusAnswer a;
    a.server = 0;
    if (mode == Mode::Unreachable) {
      a.outcome = ike::RadiusAnswer::Outcome::Failed;
      a.reason = "no answer from 192.0.2.9:1812 after 3 tries";
      return a;
    }
    std::string key(r.state.begin(), r.state.end());
    if (r.state.empty()) {  // first round: the Identity Response
      key = "conversation " + std::to_string(++conversations_);
      auto random = std::make_shared<FirstByte>(r.eap_message.at(1));
      auto server = std::make_unique<ike::EapMsChapV2Authenticator>(users_, random);
      server->start();
      sessions_[key] = std::move(server);
    }
    auto it = sessions_.find(key);
    if (it == sessions_.end()) {
      a.outcome = ike::RadiusAnswer::Outcome::Reject;
      a.reason = "unknown State";
      return a;
    }
    ike::EapStep step = it->second->on_response(r.eap_message);
    a.eap_message = std::move(step.reply);
    switch (step.status) {
      case ike::EapStatus::Continue:
        a.outcome = ike::RadiusAnswer::Outcome::Challenge;
        a.state = Bytes(key.begin(), key.end());
        break;
      case ike::EapStatus::Success:
        a.outcome = ike::RadiusAnswer::Outcome::Accept;
        a.msk = *it->second->msk();
        if (mode == Mode::WrongMsk) a.msk = crypto::SecureBytes(Bytes(64, 0x5a));
        break;
      case ike::EapStatus::Failure:
      case ike::EapStatus::Discarded:
      case ike::EapStatus::Pending:
        a.outcome = ike::RadiusAnswer::Outcome::Reject;
        a.reason = step.reason;
        break;
    }
    return a;
  }

  ike::EapUsers users_;
  std::map<std::string, std::unique_ptr<ike::EapMsChapV2Authenticator>> sessions_;
  std::map<std::uint64_t, TimePoint> seen_;
  std::size_t next_ = 0;
  int conversations_ = 0;
};

struct RadiusRoadWarriors {
  Simulation sim{20261207};
  Node* gateway = nullptr;
  std::vector<Node*> clients;
  FakeRadius radius;

  // Client i uses `passwords[i]`; the server knows user i with password(i).
  explicit RadiusRoadWarriors(const std::vector<std::string>& passwords) : radius(users(passwords.size())) {
    NodeConfig g;
    g.name = "GW";
    g.address = gateway_address();
    g.connections = {gateway_connection()};
    g.options = default_engine_options();
    gateway = &sim.add_node(std::move(g));
    for (std::size_t i = 0; i < passwords.size(); ++i) {
      NodeConfig c;
      c.name = "C" + std::to_string(i);
      c.address = client_address(static_cast<int>(i));
      c.connections = {client_connection(static_cast<int>(i), passwords[i])};
      c.options = default_engine_options();
      clients.push_back(&sim.add_node(std::move(c)));
    }
  }
  static ike::EapUsers users(std::size_t n) {
    ike::EapUsers u;
    for (std::size_t i = 0; i < n; ++i)
      u.emplace(user(static_cast<int>(i)), nt_hash(password(static_cast<int>(i))));
    return u;
  }
  Node& client(int i) { return *clients[static_cast<std::size_t>(i)]; }
  void up(int i) {
    client(i).engine().up("rw", sim.now());
    client(i).drain(sim.now());
  }
  // Runs the simulation, the RADIUS server answering as it goes.
  void run_for(Duration d) {
    const TimePoint end = sim.now() + d;
    while (sim.now() < end) {
      sim.run_for(50ms);
      radius.serve(*gateway, sim.now());
    }
  }
  bool established(Node& node) {
    for (const auto& sa : node.ike_sas("rw", sim.now()))
      if (sa.state == ike::IkeSaState::Established && sa.children.size() == 1) return true;
    return false;
  }
  bool gateway_has(int i) {
    for (const auto& sa : gateway->ike_sas("rw", sim.now()))
      if (sa.state == ike::IkeSaState::Established && sa.eap_identity == user(i)) return true;
    return false;
  }
  bool gateway_logged(std::string_view text) {
    for (const auto& e : gateway->events_of(ike::EventType::AuthenticationFailed))
      if (e.event.detail.find(text) != std::string::npos) return true;
    return false;
  }
};

TEST(EapRadius, RightPasswordIsAcceptedAndTheServersMskKeysBothAuths) {
  RadiusRoadWarriors rw({password(0)});
  rw.up(0);
  rw.run_for(5s);
  EXPECT_TRUE(rw.established(rw.client(0))) << event_log(*rw.gateway);
  EXPECT_TRUE(rw.gateway_has(0)) << event_log(*rw.gateway);
  // Identity, MS-CHAPv2 Response, Success acknowledgement: three Access-Requests, User-Name the
  // EAP identity the gateway asked for itself, the State of the previous Challenge sent back.
  const auto& requests = rw.gateway->radius_requests();
  ASSERT_EQ(requests.size(), 3u);
  for (const auto& r : requests) EXPECT_EQ(r.user_name, user(0));
  EXPECT_TRUE(requests[0].state.empty());
  EXPECT_EQ(std::string(requests[1].state.begin(), requests[1].state.end()), "conversation 1");
  EXPECT_EQ(requests[0].eap_message.at(4), 1);  // EAP-Response/Identity
  EXPECT_EQ(requests[1].server, std::optional<std::size_t>(0));
  EXPECT_EQ(rw.gateway->engine().counters().radius_requests, 3u);
  EXPECT_TRUE(rw.gateway->binding_errors().empty());
}

TEST(EapRadius, AnMskOtherThanTheClientsFailsTheFinalAuth) {
  RadiusRoadWarriors rw({password(0)});
  rw.radius.mode = FakeRadius::Mode::WrongMsk;
  rw.up(0);
  rw.run_for(5s);
  EXPECT_FALSE(rw.established(rw.client(0)));
  EXPECT_FALSE(rw.gateway_has(0));
  EXPECT_TRUE(rw.gateway_logged("does not verify with the EAP MSK")) << event_log(*rw.gateway);
  EXPECT_GE(rw.client(0).count_events(ike::EventType::AuthenticationFailed), 1u);
  EXPECT_TRUE(rw.gateway->ike_sas("rw", rw.sim.now()).empty());
}

TEST(EapRadius, WrongPasswordIsRejectedAndTheOtherClientConnects) {
  RadiusRoadWarriors rw({password(0), "guess"});
  rw.up(0);
  rw.up(1);
  rw.run_for(10s);
  EXPECT_TRUE(rw.established(rw.client(0))) << event_log(*rw.gateway);
  EXPECT_FALSE(rw.established(rw.client(1)));
  EXPECT_GE(rw.client(1).count_events(ike::EventType::AuthenticationFailed), 1u) << event_log(rw.client(1));
  EXPECT_TRUE(rw.gateway_logged("EAP identity 'user1': the RADIUS server refused the MS-CHAPv2 response"))
      << event_log(*rw.gateway);
  // Only user 0's SA is left on the gateway.
  rw.run_for(40s);
  const auto sas = rw.gateway->ike_sas("rw", rw.sim.now());
  ASSERT_EQ(sas.size(), 1u) << event_log(*rw.gateway);
  EXPECT_EQ(sas.front().eap_identity, user(0));
}

TEST(EapRadius, NoRadiusAnswerFailsCleanlyWithTheReason) {
  RadiusRoadWarriors rw({password(0)});
  rw.radius.mode = FakeRadius::Mode::Unreachable;
  rw.up(0);
  rw.run_for(5s);
  EXPECT_FALSE(rw.established(rw.client(0)));
  EXPECT_TRUE(rw.gateway_logged("no usable RADIUS answer: no answer from 192.0.2.9:1812 after 3 tries"))
      << event_log(*rw.gateway);
  // The client heard AUTHENTICATION_FAILED (with EAP-Failure) and gave up at once.
  EXPECT_GE(rw.client(0).count_events(ike::EventType::AuthenticationFailed), 1u);
  EXPECT_TRUE(rw.client(0).ike_sas("rw", rw.sim.now()).empty());
  EXPECT_TRUE(rw.gateway->ike_sas("rw", rw.sim.now()).empty());
}

TEST(EapRadius, RetransmitsWhileWaitingAreRelayedOnce) {
  RadiusRoadWarriors rw({password(0)});
  rw.radius.delay = 4500ms;  // the client retransmits at 1 s, 2.8 s
  rw.up(0);
  rw.run_for(25s);
  EXPECT_TRUE(rw.established(rw.client(0))) << event_log(*rw.gateway);
  EXPECT_EQ(rw.gateway->radius_requests().size(), 3u);
  EXPECT_GE(rw.gateway->engine().counters().radius_parked_drops, 2u);
  EXPECT_GE(rw.client(0).engine().counters().retransmissions, 2u);
}

TEST(EapRadius, AClientGoneWhileWaitingLeavesNothingAndTheLateAnswerIsIgnored) {
  RadiusRoadWarriors rw({password(0), password(1)});
  rw.radius.mode = FakeRadius::Mode::Silent;
  rw.up(0);
  rw.run_for(1s);
  ASSERT_EQ(rw.gateway->radius_requests().size(), 1u);
  const ike::RadiusAccessRequest stuck = rw.gateway->radius_requests().front();
  // The server stays silent past the gateway's half-open timeout: the waiting SA is removed.
  rw.run_for(35s);
  EXPECT_TRUE(rw.gateway->ike_sas("rw", rw.sim.now()).empty()) << event_log(*rw.gateway);
  // The answer arrives late: nobody waits for it.
  ike::RadiusAnswer late;
  late.outcome = ike::RadiusAnswer::Outcome::Reject;
  rw.gateway->engine().on_radius_answer(stuck.request, late, rw.sim.now());
  rw.gateway->drain(rw.sim.now());
  EXPECT_EQ(rw.gateway->engine().counters().radius_answers_unclaimed, 1u);
  // The server is back: another client connects as if nothing happened.
  rw.radius.mode = FakeRadius::Mode::Serve;
  rw.up(1);
  rw.run_for(5s);
  EXPECT_TRUE(rw.established(rw.client(1))) << event_log(*rw.gateway);
  EXPECT_TRUE(rw.gateway_has(1));
}

}  // namespace
}  // namespace cygnet::sim
