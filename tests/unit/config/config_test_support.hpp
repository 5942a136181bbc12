// Shared by the config tests: a temporary directory for PSK/certificate files, PEM encoding of
// DER (x509.hpp has no to_pem; Base64 here is plain text formatting, not cryptography), and the
// formatted errors of a configuration text.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "config/config.hpp"

namespace cygnet::config::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "cygnet-config-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, std::string_view contents) const {
    const std::filesystem::path file = path_ / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream out(file, std::ios::binary);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    return file;
  }

 private:
  std::filesystem::path path_;
};

// RFC 7468 textual encoding: Base64 (RFC 4648 §4) in 64-character lines between the labels.
inline std::string to_pem(std::string_view label, ByteView der) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string base64;
  for (std::size_t i = 0; i < der.size(); i += 3) {
    const std::size_t left = der.size() - i;
    const unsigned group = (static_cast<unsigned>(der[i]) << 16) |
                           (left > 1 ? static_cast<unsigned>(der[i + 1]) << 8 : 0U) |
                           (left > 2 ? static_cast<unsigned>(der[i + 2]) : 0U);
    base64 += kAlphabet[(group >> 18) & 63];
    base64 += kAlphabet[(group >> 12) & 63];
    base64 += left > 1 ? kAlphabet[(group >> 6) & 63] : '=';
    base64 += left > 2 ? kAlphabet[group & 63] : '=';
  }
  std::string pem = "-----BEGIN " + std::string(label) + "-----\n";
  for (std::size_t i = 0; i < base64.size(); i += 64) pem += base64.substr(i, 64) + "\n";
  pem += "-----END " + std::string(label) + "-----\n";
  return pem;
}

// Every formatted error ("file:line:col: message") of a text that must not load.
inline std::vector<std::string> errors_of(std::string_view text,
                                          const std::filesystem::path& base_dir = {}) {
  const LoadResult result = parse_config(text, "t.toml", base_dir);
  std::vector<std::string> out;
  for (const ConfigError& error : result.errors) out.push_back(error.to_string());
  if (result.ok()) out.push_back("<loaded without errors>");
  return out;
}

}  // namespace cygnet::config::testing
