#include "cli/why_text.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "cli/commands.hpp"
#include "cli/status_text.hpp"
#include "unit/control/socket_test_support.hpp"

namespace cygnet::cli {
namespace {

using json = nlohmann::json;

const json kFailure = json::parse(R"({
  "age_seconds": 12, "class": "proposal", "role": "responder", "ike_version": 2,
  "exchange": "IKE_SA_INIT", "summary": "none of the peer's IKE proposals is acceptable",
  "peer": "192.0.2.2[500]", "child": "", "subject": "IKE proposals",
  "ours": ["aes256gcm16-prfsha256-x25519"], "theirs": ["aes256gcm16-prfsha256-ecp384"],
  "nearest": "", "fix": "add ecp384 to ike_proposals to agree", "unanswered": "",
  "retransmissions": 0, "received_anything": null,
  "text": ["proposal failure as responder", "  fix:        add ecp384 to ike_proposals to agree"]
})");

TEST(WhyText, DownWithAFailurePrintsItsLines) {
  const json result{{"connection", "site-b"}, {"start_action", "none"}, {"up", false},
                    {"ike_sas", 0},           {"child_sas", 0},         {"last_failure", kFailure}};
  EXPECT_EQ(render_why(result),
            "site-b is not up. The last failure:\n"
            "  proposal failure as responder\n"
            "    fix:        add ecp384 to ike_proposals to agree\n");
}

TEST(WhyText, DownWithoutAFailureSaysNothingFailedYet) {
  const json result{{"connection", "site-b"}, {"start_action", "trap"}, {"up", false},
                    {"ike_sas", 0},           {"child_sas", 0},         {"last_failure", nullptr}};
  EXPECT_EQ(render_why(result), "site-b is not up, and nothing has failed yet (start_action trap)\n");
}

TEST(WhyText, UpSaysSoAndShowsTheEarlierFailure) {
  const json result{{"connection", "site-b"}, {"start_action", "start"}, {"up", true},
                    {"ike_sas", 1},           {"child_sas", 2},          {"last_failure", kFailure}};
  EXPECT_EQ(render_why(result),
            "site-b is up: 1 IKE SA(s), 2 CHILD SA(s) established\n"
            "the last failure before that:\n"
            "  proposal failure as responder\n"
            "    fix:        add ecp384 to ike_proposals to agree\n");
}

TEST(WhyText, MissingTextFallsBackToTheOneLineForm) {
  json failure = kFailure;
  failure.erase("text");
  const json result{{"connection", "x"}, {"up", false}, {"last_failure", failure}};
  EXPECT_EQ(render_why(result),
            "x is not up. The last failure:\n"
            "  last failure 12 s ago: proposal (responder, IKE_SA_INIT): none of the peer's IKE proposals is "
            "acceptable\n");
}

TEST(WhyText, GarbageNeverThrows) {
  EXPECT_NO_THROW(
      render_why(json::parse(R"({"connection": 5, "up": "yes", "last_failure": {"text": [1, null]}})")));
  EXPECT_NO_THROW(render_why(json::array()));
  EXPECT_NO_THROW(last_failure_line(json(nullptr)));
}

TEST(WhyText, StatusShowsOneLineUnderAConnectionThatIsDown) {
  const json status = json::parse(R"({"daemon": {}, "connections": [
    {"name": "site-b", "ike_version": 2, "start_action": "start", "local_addrs": [], "remote_addrs": [],
     "children": [], "ike_sas": []}]})");
  json with_failure = status;
  with_failure["connections"][0]["last_failure"] = kFailure;
  const std::string text = render_status(with_failure);
  EXPECT_NE(
      text.find(
          "  last failure 12 s ago: proposal (responder, IKE_SA_INIT): none of the peer's IKE proposals "
          "is acceptable\n"),
      std::string::npos)
      << text;
  EXPECT_EQ(render_status(status).find("last failure"), std::string::npos);
}

}  // namespace
}  // namespace cygnet::cli

namespace cygnet::cli {
namespace {

TEST(WhyText, AFailureNoConnectionMatchedIsShownWhenTheConnectionHasNone) {
  const nlohmann::json result = nlohmann::json::parse(R"({"connection": "site-b", "start_action": "none",
    "up": false, "last_failure": null,
    "unattributed_failure": {"text": ["other failure as responder in IKEv2 IKE_SA_INIT",
                                      "  no connection accepts IKE_SA_INIT from 192.0.2.9[500]"]}})");
  EXPECT_EQ(render_why(result),
            "site-b is not up, and nothing has failed yet (start_action none)\n"
            "a negotiation that matched no connection failed:\n"
            "  other failure as responder in IKEv2 IKE_SA_INIT\n"
            "    no connection accepts IKE_SA_INIT from 192.0.2.9[500]\n");
}

}  // namespace
}  // namespace cygnet::cli

// `cygnetctl why NAME` end to end against a fake daemon: the request, the rendering, exit codes.
namespace cygnet::cli {
namespace {

using namespace std::chrono_literals;

int run_why(const std::string& socket, const std::string& name, bool as_json, std::ostream& out,
            std::ostream& err) {
  Options options;
  options.socket_path = socket;
  options.timeout = 2s;
  options.command = "why";
  options.connection = name;
  options.json = as_json;
  return run_command(options, out, err);
}

TEST(WhyCommand, SendsTheNameAndRendersTheAnswer) {
  control::testing::TempDir dir;
  const std::string socket = dir.file("cygnetd.sock");
  control::testing::FakeDaemon daemon(socket, [](const nlohmann::json& request) {
    return control::ok_response({{"connection", request["name"]},
                                 {"start_action", "none"},
                                 {"up", false},
                                 {"last_failure", nullptr}});
  });
  std::ostringstream out, err;
  EXPECT_EQ(run_why(socket, "site-b", false, out, err), kExitSuccess);
  EXPECT_EQ(out.str(), "site-b is not up, and nothing has failed yet (start_action none)\n");
  ASSERT_EQ(daemon.requests().size(), 1u);
  EXPECT_EQ(daemon.requests()[0], (nlohmann::json{{"command", "why"}, {"name", "site-b"}}));
}

TEST(WhyCommand, UnknownNameExitsOneWithTheDaemonsMessage) {
  control::testing::TempDir dir;
  const std::string socket = dir.file("cygnetd.sock");
  control::testing::FakeDaemon daemon(
      socket, [](const nlohmann::json&) { return control::error_response("no connection named \"nope\""); });
  std::ostringstream out, err;
  EXPECT_EQ(run_why(socket, "nope", true, out, err), kExitCommandFailed);
  EXPECT_EQ(err.str(), "cygnetctl: no connection named \"nope\"\n");
  EXPECT_EQ(out.str(), "");
}

}  // namespace
}  // namespace cygnet::cli
