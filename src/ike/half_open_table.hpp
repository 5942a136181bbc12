// Bounds on half-open responder IKE SAs (RFC 8019 §4.4, §5): a global cap and a per-source-address
// cap, counted in O(1) on creation and on completion/removal, so a flood of IKE_SA_INIT / Main Mode
// first messages — or many valid cookies from one address — cannot fill the SA table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "wire/ip_address.hpp"

namespace cygnet::ike {

enum class HalfOpenVerdict : std::uint8_t { Admit, GlobalCap, PerSourceCap };

class HalfOpenTable {
 public:
  HalfOpenTable(std::size_t max_total, std::size_t max_per_source)
      : max_total_(max_total), max_per_source_(max_per_source) {}

  // Whether one more half-open SA from `source` fits (a cap of 0 means no limit).
  HalfOpenVerdict admits(const wire::IpAddress& source) const;
  void add(const wire::IpAddress& source);
  void remove(const wire::IpAddress& source);  // an address never added is ignored
  std::size_t total() const { return total_; }
  std::size_t from(const wire::IpAddress& source) const;
  std::size_t sources() const { return per_source_.size(); }

 private:
  struct AddressHash {
    std::size_t operator()(const wire::IpAddress& a) const noexcept;
  };
  std::size_t max_total_;
  std::size_t max_per_source_;
  std::size_t total_ = 0;
  std::unordered_map<wire::IpAddress, std::size_t, AddressHash> per_source_;  // entries > 0 only
};

}  // namespace cygnet::ike
