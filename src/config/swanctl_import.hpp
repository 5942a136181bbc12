// strongSwan's swanctl.conf (parsed by swanctl_parser.hpp) translated into Cygnet's TOML
// configuration, for `cygnetctl import-swanctl`. Settings whose strongSwan default differs from
// Cygnet's are written out explicitly (proposals, remote identity, DPD, lifetimes, replay window),
// so the imported connection behaves as the original did. Every setting that cannot be carried
// over is listed with its place and the reason; a connection that cannot work without it (EAP,
// virtual IPs, a missing key) is left out entirely, and the output is checked with Cygnet's own
// validator connection by connection, so what is written always loads.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "config/swanctl_parser.hpp"

namespace cygnet::config {

struct SwanctlImport {
  std::string toml;                   // the Cygnet configuration, the findings as comments on top
  std::vector<std::string> unmapped;  // "file:line:col: what: why", one per setting not carried
  std::size_t connections = 0;        // connections written
};

// swanctl_dir is where swanctl keeps its credentials (the directory of swanctl.conf): certificate
// file names resolve under its x509/ and x509ca/ folders, private keys are found in private/,
// rsa/, ecdsa/ and pkcs8/. source_name is named in the output's header.
SwanctlImport import_swanctl(const SettingsSection& root, const std::filesystem::path& swanctl_dir,
                             const std::string& source_name);

}  // namespace cygnet::config
