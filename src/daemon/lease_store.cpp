#include "daemon/lease_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace cygnet::daemon {

namespace {
constexpr std::size_t kMaxLeaseFileSize = 64 * 1024 * 1024;
}  // namespace

std::vector<ike::Lease> read_leases(const std::filesystem::path& path, std::string& error,
                                    std::size_t* skipped) {
  std::vector<ike::Lease> out;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return out;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size > kMaxLeaseFileSize) {
    error = path.string() + ": " + (ec ? ec.message() : "larger than 64 MiB");
    return out;
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json doc = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("leases") || !doc["leases"].is_array()) {
    error = path.string() + ": not a lease file (expected {\"leases\": [...]})";
    return out;
  }
  std::size_t bad = 0;
  for (const auto& entry : doc["leases"]) {
    const auto pool = entry.is_object() ? entry.value("pool", std::string()) : std::string();
    const auto identity = entry.is_object() ? entry.value("identity", std::string()) : std::string();
    const auto address =
        wire::IpAddress::parse(entry.is_object() ? entry.value("address", std::string()) : "");
    if (pool.empty() || identity.empty() || !address) {
      ++bad;
      continue;
    }
    out.push_back(ike::Lease{pool, *address, identity, false});
  }
  if (skipped) *skipped = bad;
  return out;
}

std::optional<std::string> write_leases(const std::filesystem::path& path,
                                        const std::vector<ike::Lease>& leases) {
  nlohmann::json doc;
  doc["leases"] = nlohmann::json::array();
  for (const ike::Lease& l : leases)
    doc["leases"].push_back({{"pool", l.pool}, {"address", l.address.to_string()}, {"identity", l.identity}});
  const std::string text = doc.dump(1) + "\n";

  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return path.parent_path().string() + ": " + ec.message();
  const std::filesystem::path temp = path.string() + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return temp.string() + ": " + std::strerror(errno);
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(temp.c_str());
      return temp.string() + ": " + why;
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(temp.c_str());
    return temp.string() + ": " + why;
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(temp.c_str());
    return path.string() + ": " + why;
  }
  return std::nullopt;
}

}  // namespace cygnet::daemon
