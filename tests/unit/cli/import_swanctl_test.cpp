// `cygnetctl import-swanctl FILE [-o OUT]`: output to stdout or a file (mode 0600: it may hold
// PSKs), findings on stderr, exit 0 when written, 1 on a parse error; `check` accepts the output.
#include "cli/import_swanctl.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/commands.hpp"
#include "unit/control/socket_test_support.hpp"

namespace cygnet::cli {
namespace {

using control::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

void write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

constexpr const char* kSwanctl = R"(
connections {
  include conf.d/*.conf
}
secrets {
  ike-1 { id = 192.0.2.1
          secret = "cli-test-secret-0123456789abcdef" }
}
)";
constexpr const char* kConnection = R"(
gw {
  version = 2
  keyingtries = 3
  local_addrs = 192.0.2.1
  remote_addrs = 192.0.2.2
  proposals = aes256gcm16-prfsha256-x25519
  local { auth = psk }
  remote { auth = psk }
  children { net { local_ts = 198.51.100.0/24
                   remote_ts = 203.0.113.0/24
                   esp_proposals = aes256gcm16 } }
}
)";

TEST(ImportSwanctlCommand, WritesAFileThatCheckAccepts) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "conf.d");
  write(dir.file("swanctl.conf"), kSwanctl);
  write(dir.file("conf.d/gw.conf"), kConnection);
  Options options;
  options.command = "import-swanctl";
  options.file = dir.file("swanctl.conf");
  options.output = dir.file("cygnet.toml");
  std::ostringstream out, err;
  ASSERT_EQ(run_command(options, out, err), kExitSuccess) << err.str();
  EXPECT_EQ(out.str(), "");
  EXPECT_THAT(err.str(), HasSubstr("1 connection imported"));
  EXPECT_THAT(err.str(), HasSubstr("not carried over: " + dir.file("conf.d/gw.conf") +
                                   ":4:3: connections.gw.keyingtries"));
  EXPECT_THAT(err.str(), HasSubstr("Cygnet retries according to start_action"));  // listed on stderr
  EXPECT_THAT(err.str(), Not(HasSubstr("cli-test-secret")));
  const auto perms = std::filesystem::status(options.output).permissions();
  EXPECT_EQ(perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
            std::filesystem::perms::none);

  std::ostringstream check_out, check_err;
  EXPECT_EQ(check_config_file(options.output, check_out, check_err), kExitSuccess) << check_err.str();
  EXPECT_THAT(check_out.str(), HasSubstr("ok, 1 connection"));
}

TEST(ImportSwanctlCommand, StdoutByDefaultAndExitOneOnParseErrors) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "conf.d");
  write(dir.file("swanctl.conf"), kSwanctl);
  write(dir.file("conf.d/gw.conf"), kConnection);
  std::ostringstream out, err;
  ASSERT_EQ(import_swanctl_file(dir.file("swanctl.conf"), "", out, err), kExitSuccess);
  EXPECT_THAT(out.str(), HasSubstr("[connections.gw]"));
  EXPECT_THAT(out.str(), HasSubstr("psk = \"cli-test-secret-0123456789abcdef\""));

  write(dir.file("conf.d/broken.conf"), "x {\n  y = 1\n");
  std::ostringstream out2, err2;
  EXPECT_EQ(import_swanctl_file(dir.file("swanctl.conf"), dir.file("never.toml"), out2, err2),
            kExitCommandFailed);
  EXPECT_THAT(err2.str(), HasSubstr(dir.file("conf.d/broken.conf") + ":1:1: section 'x' is not closed"));
  EXPECT_FALSE(std::filesystem::exists(dir.file("never.toml")));

  std::ostringstream out3, err3;
  EXPECT_EQ(import_swanctl_file(dir.file("missing.conf"), "", out3, err3), kExitCommandFailed);
  EXPECT_THAT(err3.str(), HasSubstr("missing.conf"));
}

}  // namespace
}  // namespace cygnet::cli
