// Logging to the systemd journal with structured fields when cygnetd runs under systemd, instead
// of plain text on stderr: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER=cygnetd, CYGNET_SUBSYSTEM and, when
// the log context knows them, CYGNET_CONNECTION, CYGNET_PEER, CYGNET_SPI.
#pragma once

#include <spdlog/sinks/base_sink.h>
#include <sys/types.h>

#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/log_context.hpp"

namespace cygnet::daemon {

// The journal entry of one log line, each field "NAME=value".
std::vector<std::string> journal_fields(spdlog::level::level_enum level, std::string_view subsystem,
                                        std::string_view message, const LogContext& context);

// syslog priority (0 emerg .. 7 debug) of a spdlog level.
int journal_priority(spdlog::level::level_enum level);

// True when JOURNAL_STREAM ("DEVICE:INODE", systemd.exec(5)) names the file stderr is, i.e. systemd
// connected our stderr to the journal and it was not redirected since.
bool stderr_is_journal();
bool journal_stream_matches(std::string_view journal_stream, dev_t device, ino_t inode);

class JournalSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  using Writer = std::function<void(const std::vector<std::string>& fields)>;

  // The default writer sends with sd_journal_sendv; when that fails the line goes to stderr.
  JournalSink();
  explicit JournalSink(Writer writer);

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

 private:
  Writer writer_;
};

}  // namespace cygnet::daemon
