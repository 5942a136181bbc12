#include "daemon/journal_sink.hpp"

#include <sys/stat.h>
#include <sys/uio.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>

// Without this, every entry would carry CODE_FILE/LINE/FUNC of the sink itself, not of the caller.
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "daemon/status_json.hpp"

namespace cygnet::daemon {

int journal_priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug: return 7;     // LOG_DEBUG
    case spdlog::level::info: return 6;      // LOG_INFO
    case spdlog::level::warn: return 4;      // LOG_WARNING
    case spdlog::level::err: return 3;       // LOG_ERR
    case spdlog::level::critical: return 2;  // LOG_CRIT
    default: return 6;
  }
}

std::vector<std::string> journal_fields(spdlog::level::level_enum level, std::string_view subsystem,
                                        std::string_view message, const LogContext& context) {
  std::vector<std::string> fields;
  fields.push_back("MESSAGE=" + std::string(message));
  fields.push_back("PRIORITY=" + std::to_string(journal_priority(level)));
  fields.push_back("SYSLOG_IDENTIFIER=cygnetd");
  fields.push_back("CYGNET_SUBSYSTEM=" + std::string(subsystem));
  if (!context.connection.empty()) fields.push_back("CYGNET_CONNECTION=" + context.connection);
  if (!context.peer.empty()) fields.push_back("CYGNET_PEER=" + context.peer);
  if (context.spi) fields.push_back("CYGNET_SPI=" + spi_hex(*context.spi));
  return fields;
}

bool journal_stream_matches(std::string_view journal_stream, dev_t device, ino_t inode) {
  const std::size_t colon = journal_stream.find(':');
  if (colon == std::string_view::npos) return false;
  unsigned long long want_device = 0;
  unsigned long long want_inode = 0;
  const char* first = journal_stream.data();
  const char* middle = first + colon;
  const char* last = first + journal_stream.size();
  auto [device_end, device_error] = std::from_chars(first, middle, want_device);
  if (device_error != std::errc{} || device_end != middle || colon == 0) return false;
  auto [inode_end, inode_error] = std::from_chars(middle + 1, last, want_inode);
  if (inode_error != std::errc{} || inode_end != last || middle + 1 == last) return false;
  return want_device == static_cast<unsigned long long>(device) &&
         want_inode == static_cast<unsigned long long>(inode);
}

bool stderr_is_journal() {
  const char* journal_stream = std::getenv("JOURNAL_STREAM");
  if (journal_stream == nullptr) return false;
  struct stat st {};
  if (fstat(2, &st) != 0) return false;
  return journal_stream_matches(journal_stream, st.st_dev, st.st_ino);
}

namespace {

void send_to_journal(const std::vector<std::string>& fields) {
  std::vector<iovec> parts;
  parts.reserve(fields.size());
  for (const std::string& f : fields) parts.push_back(iovec{const_cast<char*>(f.data()), f.size()});
  if (sd_journal_sendv(parts.data(), static_cast<int>(parts.size())) < 0) {
    // The journal is gone (e.g. journald restarting): keep the line on stderr, which systemd
    // also connects to the journal.
    std::fprintf(stderr, "%s\n", fields.front().c_str() + sizeof("MESSAGE=") - 1);
  }
}

}  // namespace

JournalSink::JournalSink() : writer_(send_to_journal) {}
JournalSink::JournalSink(Writer writer) : writer_(std::move(writer)) {}

void JournalSink::sink_it_(const spdlog::details::log_msg& msg) {
  const std::string_view message(msg.payload.data(), msg.payload.size());
  const std::string_view subsystem(msg.logger_name.data(), msg.logger_name.size());
  writer_(journal_fields(msg.level, subsystem, message, current_log_context()));
}

}  // namespace cygnet::daemon
