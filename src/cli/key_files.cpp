// `cygnetctl export-keys`: writes the key files cygnetd returned. Files are created 0600 (and
// re-moded if they existed) and never opened through a symlink, since they hold live keys.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cli/commands.hpp"
#include "cli/text_format.hpp"

namespace cygnet::cli {
namespace {

using json = nlohmann::json;

// Writes `text` to `path`; an error sentence on failure.
std::optional<std::string> write_secret_file(const std::string& path, const std::string& text) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return "cannot write " + path + ": " + std::strerror(errno);
  std::optional<std::string> problem;
  if (fchmod(fd, 0600) != 0) problem = "cannot make " + path + " private: " + std::strerror(errno);
  std::size_t done = 0;
  while (!problem && done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      problem = "writing " + path + " failed: " + std::strerror(errno);
    else
      done += static_cast<std::size_t>(n);
  }
  if (close(fd) != 0 && !problem) problem = "writing " + path + " failed: " + std::strerror(errno);
  return problem;
}

}  // namespace

int write_key_files(const json& result, const std::string& directory, std::ostream& out, std::ostream& err) {
  const json& files = member(result, "files");
  static constexpr const char* kNames[] = {"esp_sa", "ikev2_decryption_table", "ikev1_decryption_table"};
  for (const char* name : kNames) {
    if (!member(files, name).is_string()) {
      err << "cygnetctl: unusable answer from cygnetd: no \"" << name << "\" file in the result\n";
      return kExitUnreachable;
    }
  }
  struct stat info {};
  if (stat(directory.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    err << "cygnetctl: " << directory << " is not a directory\n";
    return kExitCommandFailed;
  }
  for (const char* name : kNames) {
    const std::string path = directory + "/" + name;
    if (auto problem = write_secret_file(path, files.at(name).get_ref<const std::string&>())) {
      err << "cygnetctl: " << *problem << "\n";
      return kExitCommandFailed;
    }
  }
  out << "wrote " << directory << "/ikev2_decryption_table (" << text_at(result, "ike_sas", "0")
      << " IKEv2 SAs), " << directory << "/ikev1_decryption_table (" << text_at(result, "isakmp_sas", "0")
      << " IKEv1 SAs) and " << directory << "/esp_sa (" << text_at(result, "esp_sas", "0")
      << " ESP SAs, one per direction)\n";
  const json& skipped = member(result, "skipped");
  if (skipped.is_array())
    for (const json& reason : skipped)
      if (reason.is_string()) out << "  not exported: " << reason.get<std::string>() << "\n";
  out << "these files decrypt the traffic: delete them after use\n";
  return kExitSuccess;
}

}  // namespace cygnet::cli
