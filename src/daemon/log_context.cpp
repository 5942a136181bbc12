#include "daemon/log_context.hpp"

#include <utility>

namespace cygnet::daemon {

namespace {
thread_local LogContext current;
}  // namespace

const LogContext& current_log_context() {
  return current;
}

ScopedLogContext::ScopedLogContext(LogContext context) : previous_(current) {
  if (context.connection.empty()) context.connection = previous_.connection;
  if (context.peer.empty()) context.peer = previous_.peer;
  if (!context.spi) context.spi = previous_.spi;
  current = std::move(context);
}

ScopedLogContext::~ScopedLogContext() {
  current = std::move(previous_);
}

}  // namespace cygnet::daemon
