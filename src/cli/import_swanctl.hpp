// `cygnetctl import-swanctl FILE [-o OUT]`: a strongSwan swanctl.conf turned into Cygnet's TOML
// (config/swanctl_import.hpp does the translation).
#pragma once

#include <ostream>
#include <string>

namespace cygnet::cli {

// Writes the configuration to output_path (or `out` when empty) and lists every setting that could
// not be carried over on `err`. Returns 0 when written, 1 on a parse error or an unwritable output.
int import_swanctl_file(const std::string& file, const std::string& output_path, std::ostream& out,
                        std::ostream& err);

}  // namespace cygnet::cli
