// libnftables, the library behind nft(8): runs nft scripts in this process's network namespace.
// One script is one netlink batch, so it applies completely or not at all.
#pragma once

#include <memory>
#include <string>

struct nft_ctx;

namespace cygnet::daemon {

struct NftResult {
  bool ok = false;
  std::string output;  // what nft would print (JSON when asked for)
  std::string error;   // nft's error text when !ok
};

class Nftables {
 public:
  Nftables();  // throws std::runtime_error when libnftables cannot set up a context
  ~Nftables();
  Nftables(const Nftables&) = delete;
  Nftables& operator=(const Nftables&) = delete;

  NftResult run(const std::string& script, bool json_output = false);

 private:
  nft_ctx* ctx_ = nullptr;
};

}  // namespace cygnet::daemon
