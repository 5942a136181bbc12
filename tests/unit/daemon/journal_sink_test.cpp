#include "daemon/journal_sink.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace cygnet::daemon {
namespace {

bool has(const std::vector<std::string>& fields, const std::string& field) {
  return std::find(fields.begin(), fields.end(), field) != fields.end();
}
bool has_name(const std::vector<std::string>& fields, const std::string& name) {
  return std::any_of(fields.begin(), fields.end(),
                     [&](const std::string& f) { return f.rfind(name + "=", 0) == 0; });
}

TEST(JournalSink, FieldsWithoutContext) {
  const auto fields = journal_fields(spdlog::level::warn, "ike", "site-b: AUTH_FAILED", LogContext{});
  EXPECT_TRUE(has(fields, "MESSAGE=site-b: AUTH_FAILED"));
  EXPECT_TRUE(has(fields, "PRIORITY=4"));
  EXPECT_TRUE(has(fields, "SYSLOG_IDENTIFIER=cygnetd"));
  EXPECT_TRUE(has(fields, "CYGNET_SUBSYSTEM=ike"));
  EXPECT_FALSE(has_name(fields, "CYGNET_CONNECTION"));
  EXPECT_FALSE(has_name(fields, "CYGNET_PEER"));
  EXPECT_FALSE(has_name(fields, "CYGNET_SPI"));
}

TEST(JournalSink, FieldsFromContext) {
  LogContext context{.connection = "site-b", .peer = "192.0.2.2", .spi = 0xc1a2b3c4};
  const auto fields = journal_fields(spdlog::level::info, "dataplane", "installed", context);
  EXPECT_TRUE(has(fields, "CYGNET_CONNECTION=site-b"));
  EXPECT_TRUE(has(fields, "CYGNET_PEER=192.0.2.2"));
  EXPECT_TRUE(has(fields, "CYGNET_SPI=c1a2b3c4"));
  EXPECT_TRUE(has(fields, "PRIORITY=6"));
}

TEST(JournalSink, Priorities) {
  EXPECT_EQ(journal_priority(spdlog::level::trace), 7);
  EXPECT_EQ(journal_priority(spdlog::level::debug), 7);
  EXPECT_EQ(journal_priority(spdlog::level::info), 6);
  EXPECT_EQ(journal_priority(spdlog::level::warn), 4);
  EXPECT_EQ(journal_priority(spdlog::level::err), 3);
  EXPECT_EQ(journal_priority(spdlog::level::critical), 2);
}

TEST(JournalSink, ScopedContextNestsAndRestores) {
  EXPECT_TRUE(current_log_context().connection.empty());
  {
    const ScopedLogContext outer({.connection = "site-b", .peer = "192.0.2.2", .spi = {}});
    {
      const ScopedLogContext inner({.connection = {}, .peer = {}, .spi = 0x1234});
      EXPECT_EQ(current_log_context().connection, "site-b");  // inherited
      EXPECT_EQ(current_log_context().peer, "192.0.2.2");
      EXPECT_EQ(current_log_context().spi, 0x1234u);
    }
    EXPECT_EQ(current_log_context().spi, std::nullopt);
    EXPECT_EQ(current_log_context().connection, "site-b");
  }
  EXPECT_TRUE(current_log_context().connection.empty());
  EXPECT_TRUE(current_log_context().peer.empty());
}

// A logger on the sink hands each line's fields, with the context at the time of the call, to the
// writer — the message without the text pattern (the journal has its own time and level).
TEST(JournalSink, LoggerLinesBecomeEntries) {
  std::vector<std::vector<std::string>> entries;
  auto sink = std::make_shared<JournalSink>([&](const std::vector<std::string>& f) { entries.push_back(f); });
  spdlog::logger logger("net", sink);
  logger.set_pattern("%Y-%m-%d %H:%M:%S.%e %-9n %^%-5l%$ %v");
  logger.set_level(spdlog::level::debug);
  logger.info("route added: {}", "203.0.113.0/24");
  {
    const ScopedLogContext context({.connection = "gw", .peer = {}, .spi = {}});
    logger.error("cannot reach peer");
  }
  logger.trace("below the level");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_TRUE(has(entries[0], "MESSAGE=route added: 203.0.113.0/24"));
  EXPECT_TRUE(has(entries[0], "CYGNET_SUBSYSTEM=net"));
  EXPECT_FALSE(has_name(entries[0], "CYGNET_CONNECTION"));
  EXPECT_TRUE(has(entries[1], "MESSAGE=cannot reach peer"));
  EXPECT_TRUE(has(entries[1], "PRIORITY=3"));
  EXPECT_TRUE(has(entries[1], "CYGNET_CONNECTION=gw"));
}

TEST(JournalSink, JournalStreamMatching) {
  EXPECT_TRUE(journal_stream_matches("8:12345", 8, 12345));
  EXPECT_FALSE(journal_stream_matches("8:12345", 8, 12346));
  EXPECT_FALSE(journal_stream_matches("9:12345", 8, 12345));
  EXPECT_FALSE(journal_stream_matches("", 0, 0));
  EXPECT_FALSE(journal_stream_matches(":", 0, 0));
  EXPECT_FALSE(journal_stream_matches("8:", 8, 0));
  EXPECT_FALSE(journal_stream_matches(":5", 0, 5));
  EXPECT_FALSE(journal_stream_matches("8:5x", 8, 5));
  EXPECT_FALSE(journal_stream_matches("-8:5", 8, 5));
  EXPECT_FALSE(journal_stream_matches("8:5:6", 8, 5));
}

// systemd sets JOURNAL_STREAM to the device and inode of the stream it gives as stderr; a
// redirected stderr (another file) is not the journal.
TEST(JournalSink, StderrDetectionUsesItsDeviceAndInode) {
  struct stat st {};
  ASSERT_EQ(fstat(2, &st), 0);
  const std::string matching = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  setenv("JOURNAL_STREAM", matching.c_str(), 1);
  EXPECT_TRUE(stderr_is_journal());
  const std::string other = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1);
  setenv("JOURNAL_STREAM", other.c_str(), 1);
  EXPECT_FALSE(stderr_is_journal());
  unsetenv("JOURNAL_STREAM");
  EXPECT_FALSE(stderr_is_journal());
}

}  // namespace
}  // namespace cygnet::daemon
