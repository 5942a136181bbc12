// Reading the configuration file and the files it names (PSKs, certificates, keys). Everything is
// read into wiped memory because any of these may hold a secret.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/secure_bytes.hpp"

namespace cygnet::config {

struct FileRead {
  std::optional<crypto::SecureBytes> contents;
  std::string error;  // e.g. "cannot open '/etc/cygnet/b.psk': No such file or directory"
};

// The whole file, refused if it is larger than max_size (a config or key file is small; a huge
// one is a mistake, e.g. a device path).
FileRead read_whole_file(const std::filesystem::path& path, std::size_t max_size);

// A path from the configuration: absolute as given, relative ones under base_dir.
std::filesystem::path resolve_path(const std::filesystem::path& base_dir, std::string_view text);

// The bytes as text, for PEM parsers (no copy; valid while `bytes` lives).
std::string_view as_text(const crypto::SecureBytes& bytes);

}  // namespace cygnet::config
