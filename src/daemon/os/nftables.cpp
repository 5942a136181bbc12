#include "daemon/os/nftables.hpp"

#include <nftables/libnftables.h>

#include <stdexcept>

namespace cygnet::daemon {

Nftables::Nftables() : ctx_(nft_ctx_new(NFT_CTX_DEFAULT)) {
  if (ctx_ == nullptr) throw std::runtime_error("libnftables: no context");
  // Captured rather than printed on stdout/stderr: the daemon logs or returns them.
  if (nft_ctx_buffer_output(ctx_) != 0 || nft_ctx_buffer_error(ctx_) != 0) {
    nft_ctx_free(ctx_);
    throw std::runtime_error("libnftables: cannot buffer output");
  }
}

Nftables::~Nftables() {
  nft_ctx_free(ctx_);
}

NftResult Nftables::run(const std::string& script, bool json_output) {
  nft_ctx_output_set_flags(ctx_, json_output ? NFT_CTX_OUTPUT_JSON : 0);
  NftResult result;
  result.ok = nft_run_cmd_from_buffer(ctx_, script.c_str()) == 0;
  // The buffers are reset by each get: read both every time so nothing carries over.
  const char* output = nft_ctx_get_output_buffer(ctx_);
  const char* error = nft_ctx_get_error_buffer(ctx_);
  if (output != nullptr) result.output = output;
  if (error != nullptr) result.error = error;
  while (!result.error.empty() && (result.error.back() == '\n' || result.error.back() == ' '))
    result.error.pop_back();
  return result;
}

}  // namespace cygnet::daemon
