// The pools' leases on disk (`[daemon] state_dir`/leases.json), so that a client gets its address
// back after cygnetd restarts. Written whole and atomically: a temporary file in the same
// directory, fsync, rename over the old one — a crash leaves the old file or the new one, never
// half of one.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ike/address_pool.hpp"

namespace cygnet::daemon {

inline constexpr const char* kLeaseFileName = "leases.json";

// The leases in `path`; an absent file is no leases. Entries that do not parse are skipped and
// counted in `skipped`; an unreadable or malformed file sets `error` and returns none.
std::vector<ike::Lease> read_leases(const std::filesystem::path& path, std::string& error,
                                    std::size_t* skipped = nullptr);

// Writes every lease (all offline from the next start's point of view). nullopt on success, else
// what failed; the previous file is then untouched.
std::optional<std::string> write_leases(const std::filesystem::path& path,
                                        const std::vector<ike::Lease>& leases);

}  // namespace cygnet::daemon
