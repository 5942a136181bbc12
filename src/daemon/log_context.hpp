// What a log line is about — connection, peer, SPI — set for a scope by the code that knows it,
// read by the journal sink to add CYGNET_CONNECTION/CYGNET_PEER/CYGNET_SPI fields, so an operator
// can `journalctl CYGNET_CONNECTION=site-b`. Per thread; the daemon has one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace cygnet::daemon {

struct LogContext {
  std::string connection;            // empty: not known
  std::string peer;                  // the peer's address, empty: not known
  std::optional<std::uint32_t> spi;  // an ESP/AH SPI
};

const LogContext& current_log_context();

// Sets the context until the end of the scope, then restores the previous one. Fields left empty
// keep the value of the enclosing scope.
class ScopedLogContext {
 public:
  explicit ScopedLogContext(LogContext context);
  ~ScopedLogContext();
  ScopedLogContext(const ScopedLogContext&) = delete;
  ScopedLogContext& operator=(const ScopedLogContext&) = delete;

 private:
  LogContext previous_;
};

}  // namespace cygnet::daemon
