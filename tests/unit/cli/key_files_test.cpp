// cygnetctl export-keys: the request it sends and the files it writes from the daemon's answer.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "cli/commands.hpp"
#include "unit/control/socket_test_support.hpp"

namespace cygnet::cli {
namespace {

using json = nlohmann::json;
using control::testing::FakeDaemon;
using control::testing::TempDir;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

const json kResult = {{"format", "wireshark"},
                      {"files",
                       {{"esp_sa", "# h\n\"IPv4\",\"192.0.2.1\"\n"},
                        {"ikev2_decryption_table", "# h\nabc\n"},
                        {"ikev1_decryption_table", "# h\n"}}},
                      {"ike_sas", 1},
                      {"esp_sas", 2},
                      {"skipped", {"CHILD SA x/y #3: Wireshark cannot decrypt chacha20poly1305"}}};

std::string contents(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class KeyFiles : public ::testing::Test {
 protected:
  int run(const std::string& directory) {
    Options options;
    options.socket_path = socket_;
    options.timeout = 2s;
    options.command = "export-keys";
    options.directory = directory;
    out_.str("");
    err_.str("");
    return run_command(options, out_, err_);
  }
  TempDir dir_;
  std::string socket_ = dir_.file("cygnetd.sock");
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(KeyFiles, WritesBothFilesPrivately) {
  FakeDaemon daemon(socket_, [](const json&) { return control::ok_response(kResult); });
  const std::string out_dir = dir_.file("keys");
  ASSERT_EQ(mkdir(out_dir.c_str(), 0755), 0);
  // An existing, world-readable file is made private too.
  std::ofstream(out_dir + "/esp_sa") << "old";
  chmod((out_dir + "/esp_sa").c_str(), 0644);
  ASSERT_EQ(run(out_dir), kExitSuccess) << err_.str();
  ASSERT_EQ(daemon.requests().size(), 1u);
  EXPECT_EQ(daemon.requests()[0], (json{{"command", "export-keys"}, {"format", "wireshark"}}));
  EXPECT_EQ(contents(out_dir + "/esp_sa"), "# h\n\"IPv4\",\"192.0.2.1\"\n");
  EXPECT_EQ(contents(out_dir + "/ikev2_decryption_table"), "# h\nabc\n");
  EXPECT_EQ(contents(out_dir + "/ikev1_decryption_table"), "# h\n");
  for (const char* name : {"/esp_sa", "/ikev2_decryption_table", "/ikev1_decryption_table"}) {
    struct stat info {};
    ASSERT_EQ(stat((out_dir + name).c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u) << name;
  }
  EXPECT_THAT(out_.str(), HasSubstr("(1 IKEv2 SAs)"));
  EXPECT_THAT(out_.str(), HasSubstr("not exported: CHILD SA x/y #3"));
}

TEST_F(KeyFiles, NeverWritesThroughASymlink) {
  FakeDaemon daemon(socket_, [](const json&) { return control::ok_response(kResult); });
  const std::string out_dir = dir_.file("keys");
  ASSERT_EQ(mkdir(out_dir.c_str(), 0755), 0);
  const std::string target = dir_.file("victim");
  std::ofstream(target) << "precious";
  ASSERT_EQ(symlink(target.c_str(), (out_dir + "/esp_sa").c_str()), 0);
  EXPECT_EQ(run(out_dir), kExitCommandFailed);
  EXPECT_THAT(err_.str(), HasSubstr("cannot write"));
  EXPECT_EQ(contents(target), "precious");
}

TEST_F(KeyFiles, RefusalIsPrintedAndFails) {
  FakeDaemon daemon(socket_, [](const json&) { return control::error_response("key export is disabled"); });
  EXPECT_EQ(run(dir_.file("")), kExitCommandFailed);
  EXPECT_THAT(err_.str(), HasSubstr("key export is disabled"));
}

TEST_F(KeyFiles, MissingDirectoryFails) {
  FakeDaemon daemon(socket_, [](const json&) { return control::ok_response(kResult); });
  EXPECT_EQ(run(dir_.file("nope")), kExitCommandFailed);
  EXPECT_THAT(err_.str(), HasSubstr("is not a directory"));
}

TEST_F(KeyFiles, AnswerWithoutFilesIsUnusable) {
  FakeDaemon daemon(socket_, [](const json&) { return control::ok_response({{"format", "wireshark"}}); });
  EXPECT_EQ(run(dir_.file("")), kExitUnreachable);
}

}  // namespace
}  // namespace cygnet::cli
