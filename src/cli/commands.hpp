// What cygnetctl does once its command line is parsed: talk to cygnetd (status, stats, up, down,
// reload) or check a configuration file offline. cygnetctl_main.cpp only parses arguments, so
// everything here runs in tests against a fake daemon.
#pragma once

#include <chrono>
#include <ostream>
#include <string>

#include "control/control_protocol.hpp"

namespace cygnet::cli {

// cygnetctl's exit codes (CLI11 returns its own codes, 100 and up, for usage errors).
inline constexpr int kExitSuccess = 0;
// The command failed: cygnetd answered ok=false, or `check` found errors.
inline constexpr int kExitCommandFailed = 1;
// cygnetd could not be reached or its answer was unusable.
inline constexpr int kExitUnreachable = 2;

struct Options {
  std::string socket_path{control::kDefaultSocketPath};
  std::chrono::milliseconds timeout{5000};
  std::string
      command;  // status | stats | up | down | reload | check | monitor | why | import-swanctl | export-keys
  std::string connection;  // up, down, why
  std::string file;        // check, import-swanctl
  std::string output;      // import-swanctl: -o FILE (empty = stdout)
  bool json = false;       // status, stats, why: print the daemon's result object; monitor: JSON lines
  std::string format = "wireshark";  // export-keys
  std::string directory;             // export-keys: where the key files go
};

// `export-keys`: writes the daemon's key files (the "files" object of its result) into
// `directory`, each mode 0600 and never through a symlink; a summary on `out`. Exit code.
int write_key_files(const nlohmann::json& result, const std::string& directory, std::ostream& out,
                    std::ostream& err);

// Runs one command: results on `out`, problems on `err` ("cygnetctl: ..."). Returns the exit code.
int run_command(const Options& options, std::ostream& out, std::ostream& err);

// `cygnetctl check FILE`: every error as "file:line:col: message" on `err` (exit 1), or
// "FILE: ok, N connection(s)" and each weak-choice warning on `out` (exit 0).
int check_config_file(const std::string& file, std::ostream& out, std::ostream& err);

}  // namespace cygnet::cli
