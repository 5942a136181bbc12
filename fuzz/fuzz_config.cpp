// Fuzz target: the TOML configuration parser and validator. Any text must yield either a Config
// or a list of errors with positions — never a crash, leak or sanitizer report. Relative file
// references (psk_file, certificates) resolve inside a directory that does not exist, so the
// target reads no files.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  cygnet::config::LoadResult result =
      cygnet::config::parse_config(text, "fuzz.toml", "/nonexistent-cygnet-fuzz-dir");
  // Exactly one of the two outcomes, and failures always say why.
  if (result.ok() == !result.errors.empty()) std::abort();
  if (!result.ok() && result.error_text().empty()) std::abort();
  return 0;
}
