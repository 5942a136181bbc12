#include "config/file_reading.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace cygnet::config {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

std::string describe(const std::filesystem::path& path, const char* what, int error_number) {
  return std::string(what) + " '" + path.string() + "': " + std::strerror(error_number);
}

}  // namespace

FileRead read_whole_file(const std::filesystem::path& path, std::size_t max_size) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return FileRead{std::nullopt, "'" + path.string() + "' is a directory, not a file"};
  }
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) return FileRead{std::nullopt, describe(path, "cannot open", errno)};
  // Read until EOF rather than trusting a size from stat(): works for pipes too, and never holds
  // much more than max_size. The buffer doubles, each old copy wiped as it is released.
  crypto::SecureBytes contents(4096);
  std::size_t used = 0;
  for (;;) {
    if (used == contents.size()) {
      crypto::SecureBytes bigger(contents.size() * 2);
      std::memcpy(bigger.mutable_view().data(), contents.view().data(), used);
      contents = std::move(bigger);
    }
    const std::size_t room = contents.size() - used;
    const std::size_t got = std::fread(contents.mutable_view().data() + used, 1, room, file.get());
    used += got;
    if (std::ferror(file.get())) return FileRead{std::nullopt, describe(path, "cannot read", errno)};
    if (used > max_size) {
      return FileRead{std::nullopt, "'" + path.string() + "' is larger than " +
                                        std::to_string(max_size) + " bytes"};
    }
    if (got < room) break;
  }
  return FileRead{contents.slice(0, used), {}};
}

std::filesystem::path resolve_path(const std::filesystem::path& base_dir, std::string_view text) {
  std::filesystem::path path{std::string(text)};
  if (path.is_absolute() || base_dir.empty()) return path;
  return base_dir / path;
}

std::string_view as_text(const crypto::SecureBytes& bytes) {
  const ByteView view = bytes.view();
  return std::string_view(reinterpret_cast<const char*>(view.data()), view.size());
}

}  // namespace cygnet::config
