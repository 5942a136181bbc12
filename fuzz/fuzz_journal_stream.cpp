// libFuzzer target: the JOURNAL_STREAM value ("DEVICE:INODE") that decides whether cygnetd logs to
// the journal, and the journal entry built around an arbitrary message. A value matches exactly
// the device and inode it spells, in decimal; anything else matches nothing.
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "daemon/journal_sink.hpp"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // The numbers the text spells, if it is "digits:digits" (reference parse, independent of
  // journal_stream_matches): then exactly those must match.
  const std::size_t colon = text.find(':');
  unsigned long long device = 0;
  unsigned long long inode = 0;
  bool well_formed = colon != std::string_view::npos && colon > 0 && colon + 1 < text.size();
  for (std::size_t i = 0; well_formed && i < text.size(); ++i) {
    if (i != colon && (text[i] < '0' || text[i] > '9')) well_formed = false;
  }
  if (well_formed) {
    well_formed =
        std::from_chars(text.data(), text.data() + colon, device).ec == std::errc{} &&
        std::from_chars(text.data() + colon + 1, text.data() + text.size(), inode).ec == std::errc{};
  }
  if (well_formed) {
    check(
        cygnet::daemon::journal_stream_matches(text, static_cast<dev_t>(device), static_cast<ino_t>(inode)));
    check(!cygnet::daemon::journal_stream_matches(text, static_cast<dev_t>(device),
                                                  static_cast<ino_t>(inode + 1)));
  } else {
    check(!cygnet::daemon::journal_stream_matches(text, 0, 0));
    check(!cygnet::daemon::journal_stream_matches(text, 8, 1));
  }

  cygnet::daemon::LogContext context;
  context.connection = std::string(text.substr(0, size / 2));
  const auto fields = cygnet::daemon::journal_fields(spdlog::level::info, "ike", text, context);
  check(fields.front() == "MESSAGE=" + std::string(text));
  return 0;
}
