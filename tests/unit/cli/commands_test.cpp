#include "cli/commands.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "unit/control/socket_test_support.hpp"

namespace cygnet::cli {
namespace {

using json = nlohmann::json;
using control::testing::FakeDaemon;
using control::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;
using namespace std::chrono_literals;

const json kStatusResult = {
    {"daemon", {{"pid", 99}, {"uptime_seconds", 5}, {"config", "/etc/cygnet/a.toml"}, {"tun", "cygnet0"}}},
    {"connections",
     {{{"name", "site-b"},
       {"ike_version", 2},
       {"start_action", "trap"},
       {"local_addrs", {"192.0.2.1"}},
       {"remote_addrs", {"192.0.2.2"}},
       {"children", json::array()},
       {"ike_sas", json::array()}}}}};

class Commands : public ::testing::Test {
 protected:
  int run(const std::string& command, const std::string& argument = "", bool as_json = false) {
    Options options;
    options.socket_path = socket_;
    options.timeout = 2s;
    options.command = command;
    options.connection = argument;
    options.file = argument;
    options.json = as_json;
    out_.str("");
    err_.str("");
    return run_command(options, out_, err_);
  }

  std::string write_file(const std::string& name, const std::string& contents) {
    const std::string path = dir_.file(name);
    std::ofstream(path) << contents;
    return path;
  }

  TempDir dir_;
  std::string socket_ = dir_.file("cygnetd.sock");
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(Commands, StatusPrintsText) {
  FakeDaemon daemon(socket_, [](const json&) { return control::ok_response(kStatusResult); });
  EXPECT_EQ(run("status"), kExitSuccess);
  EXPECT_THAT(out_.str(), HasSubstr("site-b: IKEv2, start_action trap, 192.0.2.1 → 192.0.2.2\n"));
  EXPECT_THAT(out_.str(), HasSubstr("no IKE SA (start_action trap: waiting for traffic)"));
  EXPECT_EQ(err_.str(), "");
  EXPECT_THAT(daemon.requests(), ElementsAre(json{{"command", "status"}}));
}

TEST_F(Commands, JsonPrintsTheResultObjectPretty) {
  FakeDaemon daemon(socket_, [](const json&) { return control::ok_response(kStatusResult); });
  EXPECT_EQ(run("status", "", /*as_json=*/true), kExitSuccess);
  EXPECT_EQ(out_.str(), kStatusResult.dump(2) + "\n");
  EXPECT_EQ(json::parse(out_.str()), kStatusResult);
}

TEST_F(Commands, StatsPrintsText) {
  FakeDaemon daemon(socket_, [](const json&) {
    return control::ok_response({{"ike", {{"datagrams_received", 3}}}, {"sas", json::array()}});
  });
  EXPECT_EQ(run("stats"), kExitSuccess);
  EXPECT_THAT(out_.str(), HasSubstr("datagrams received          3\n"));
  EXPECT_THAT(daemon.requests(), ElementsAre(json{{"command", "stats"}}));
}

TEST_F(Commands, UpSendsTheNameAndPrintsTheAnswer) {
  FakeDaemon daemon(socket_, [](const json& request) {
    return control::ok_response({{"connection", request["name"]}, {"message", "initiating"}});
  });
  EXPECT_EQ(run("up", "site-b"), kExitSuccess);
  EXPECT_EQ(out_.str(), "site-b: initiating\n");
  EXPECT_THAT(daemon.requests(), ElementsAre(json{{"command", "up"}, {"name", "site-b"}}));
}

TEST_F(Commands, FailureAnswerExitsOneWithTheMessage) {
  FakeDaemon daemon(socket_,
                    [](const json&) { return control::error_response("no connection named 'nope'"); });
  EXPECT_EQ(run("down", "nope"), kExitCommandFailed);
  EXPECT_EQ(err_.str(), "cygnetctl: no connection named 'nope'\n");
  EXPECT_EQ(out_.str(), "");
}

TEST_F(Commands, ReloadListsWhatChanged) {
  FakeDaemon daemon(socket_, [](const json&) {
    return control::ok_response(
        {{"added", {"x"}}, {"removed", json::array()}, {"changed", {"y", "z"}}, {"unchanged", {"w"}}});
  });
  EXPECT_EQ(run("reload"), kExitSuccess);
  EXPECT_EQ(out_.str(), "configuration reloaded\n  added: x\n  changed: y, z\n  unchanged: w\n");
}

TEST_F(Commands, ReloadRefusedShowsTheConfigurationErrors) {
  FakeDaemon daemon(socket_, [](const json&) {
    return control::error_response("/etc/cygnet/a.toml:3:1: unknown key 'remote_adrs'");
  });
  EXPECT_EQ(run("reload"), kExitCommandFailed);
  EXPECT_EQ(err_.str(), "cygnetctl: /etc/cygnet/a.toml:3:1: unknown key 'remote_adrs'\n");
}

TEST_F(Commands, NoDaemonExitsTwo) {
  EXPECT_EQ(run("status"), kExitUnreachable);
  EXPECT_THAT(err_.str(), StartsWith("cygnetctl: cannot connect to cygnetd at " + socket_));
  EXPECT_THAT(err_.str(), HasSubstr("is cygnetd running?"));
  EXPECT_EQ(out_.str(), "");
}

TEST_F(Commands, OkWithoutResultIsUnusable) {
  FakeDaemon daemon(socket_, [](const json&) { return json{{"ok", true}}; });
  EXPECT_EQ(run("status"), kExitUnreachable);
  EXPECT_THAT(err_.str(), HasSubstr("without a \"result\" object"));
}

TEST_F(Commands, CheckAcceptsTheExample) {
  std::filesystem::copy_file(std::string(CYGNET_SOURCE_DIR) + "/examples/site-a.toml",
                             dir_.file("site-a.toml"));
  const std::string path = dir_.file("site-a.toml");
  EXPECT_EQ(run("check", path), kExitSuccess);
  EXPECT_EQ(out_.str(), path + ": ok, 1 connection\n");
  EXPECT_EQ(err_.str(), "");
}

TEST_F(Commands, CheckReportsEveryErrorWithItsPosition) {
  const std::string path = write_file("broken.toml",
                                      "[connections.gw]\n"
                                      "local_addrs = [\"192.0.2.1\"\n"  // unterminated array
                                      "auth = \"psk\"\n");
  EXPECT_EQ(run("check", path), kExitCommandFailed);
  EXPECT_THAT(err_.str(), StartsWith(path + ":3:"));
  EXPECT_THAT(err_.str(), HasSubstr("invalid TOML"));
  EXPECT_EQ(out_.str(), "");

  const std::string typo = write_file("typo.toml",
                                      "[connections.gw]\n"
                                      "remote_adrs = [\"192.0.2.2\"]\n");
  EXPECT_EQ(run("check", typo), kExitCommandFailed);
  // Every problem, not just the first: the typo and what its absence leaves missing.
  EXPECT_THAT(err_.str(), HasSubstr(typo + ":2:1: unknown key 'remote_adrs'"));
  EXPECT_THAT(err_.str(), HasSubstr(typo + ":1:1: connection 'gw' needs 'auth'"));
}

TEST_F(Commands, CheckOfAMissingFileFails) {
  EXPECT_EQ(run("check", dir_.file("absent.toml")), kExitCommandFailed);
  EXPECT_THAT(err_.str(), HasSubstr("absent.toml"));
}

TEST_F(Commands, CheckListsWeakChoices) {
  const std::string path = write_file("weak.toml",
                                      "[connections.old]\n"
                                      "local_addrs = [\"192.0.2.1\"]\n"
                                      "remote_addrs = [\"192.0.2.2\"]\n"
                                      "auth = \"psk\"\n"
                                      "psk = \"0123456789abcdefghijKLMNOPQRSTUV\"\n"
                                      "allow_legacy = true\n"
                                      "ike_proposals = [\"aes128-sha256-modp1024\"]\n");
  EXPECT_EQ(run("check", path), kExitSuccess);
  EXPECT_THAT(out_.str(), StartsWith(path + ": ok, 1 connection\n"));
  EXPECT_THAT(out_.str(), HasSubstr("warning: connection 'old': allow_legacy = true"));
  EXPECT_THAT(out_.str(), HasSubstr("warning: connection 'old': IKE proposal "
                                    "'aes128-sha256-prfsha256-modp1024' uses legacy algorithms"));
  EXPECT_THAT(err_.str(), IsEmpty());
}

TEST_F(Commands, CheckPrintsTheIkev1Warnings) {
  const std::string path = write_file("v1.toml",
                                      "[connections.old]\n"
                                      "ike_version = 1\n"
                                      "aggressive = true\n"
                                      "local_addrs = [\"192.0.2.1\"]\n"
                                      "remote_addrs = [\"192.0.2.2\"]\n"
                                      "auth = \"psk\"\n"
                                      "psk = \"0123456789abcdefghijKLMNOPQRSTUV\"\n");
  EXPECT_EQ(run("check", path), kExitSuccess);
  EXPECT_EQ(out_.str(), path +
                            ": ok, 1 connection\n"
                            "warning: connection 'old': uses IKEv1, which RFC 9395 deprecates; IKEv2 "
                            "(ike_version = 2) is simpler, better analysed and preferred\n"
                            "warning: connection 'old': IKEv1 aggressive mode with a PSK sends a hash of the "
                            "PSK in the clear: anyone who captures it can run an offline dictionary attack; "
                            "use main mode (aggressive = false), IKEv2 or certificates\n");
  EXPECT_THAT(err_.str(), IsEmpty());
}

TEST_F(Commands, CheckRefusesWhatIkev1CannotDo) {
  const std::string path = write_file("v1-aead.toml",
                                      "[connections.old]\n"
                                      "ike_version = 1\n"
                                      "local_addrs = [\"192.0.2.1\"]\n"
                                      "remote_addrs = [\"192.0.2.2\"]\n"
                                      "auth = \"psk\"\n"
                                      "psk = \"0123456789abcdefghijKLMNOPQRSTUV\"\n"
                                      "ike_proposals = [\"aes256gcm16-prfsha256-x25519\"]\n");
  EXPECT_EQ(run("check", path), kExitCommandFailed);
  EXPECT_THAT(err_.str(), StartsWith(path + ":7:18: 'ike_proposals': "
                                            "'aes256gcm16-prfsha256-x25519': IKEv1 phase 1 needs a "
                                            "CBC cipher"));
  EXPECT_EQ(out_.str(), "");
}

// Every shipped example passes `cygnetctl check` (warnings allowed: IKEv1 is warned about).
TEST_F(Commands, CheckAcceptsEveryExample) {
  std::size_t checked = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(CYGNET_SOURCE_DIR) + "/examples")) {
    if (entry.path().extension() != ".toml") continue;
    EXPECT_EQ(run("check", entry.path().string()), kExitSuccess) << err_.str();
    // "ok, N connection(s)"; an example that draws a note (e.g. no PFS) is fixed, not shipped.
    const std::string out = out_.str();
    EXPECT_THAT(out, StartsWith(entry.path().string() + ": ok, "));
    EXPECT_THAT(out, Not(HasSubstr("note:"))) << out;
    EXPECT_EQ(err_.str(), "");
    ++checked;
  }
  EXPECT_GE(checked, 3u);
}

}  // namespace
}  // namespace cygnet::cli
