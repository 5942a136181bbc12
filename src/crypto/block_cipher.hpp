// CBC-mode block ciphers for ESP (AES-CBC, RFC 3602), key scheduled once, no padding by OpenSSL
// (ESP adds its own).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>

#include "base/bytes.hpp"

namespace cygnet::crypto {

enum class CbcAlgorithm : std::uint8_t { AesCbc128, AesCbc192, AesCbc256, TripleDesCbc };

std::size_t cbc_key_length(CbcAlgorithm alg);
std::size_t cbc_block_size(CbcAlgorithm alg);  // also the IV length
const char* cbc_name(CbcAlgorithm alg);

class CbcCipher {
 public:
  CbcCipher(CbcAlgorithm alg, ByteView key);  // throws CryptoError on a wrong key length
  ~CbcCipher();
  CbcCipher(CbcCipher&&) noexcept;
  CbcCipher& operator=(CbcCipher&&) noexcept;
  CbcCipher(const CbcCipher&) = delete;
  CbcCipher& operator=(const CbcCipher&) = delete;

  CbcAlgorithm algorithm() const { return alg_; }
  std::size_t block_size() const;

  // in.size() must be a multiple of block_size(); out may alias in exactly. False on misuse.
  bool encrypt(ByteView iv, ByteView in, MutableByteView out);
  // Encrypts the concatenation of parts (total a multiple of block_size()) contiguously into out.
  bool encrypt(ByteView iv, std::initializer_list<ByteView> parts, MutableByteView out);
  bool decrypt(ByteView iv, ByteView in, MutableByteView out);

  // An unpredictable IV from a nonce that never repeats under this key (e.g. the ESP sequence
  // number): the block cipher applied to the nonce under the same key, as NIST SP 800-38A
  // Appendix C recommends. Costs one block operation instead of a CSPRNG call per packet.
  bool make_iv(std::uint64_t nonce, MutableByteView iv);

 private:
  struct Contexts;
  CbcAlgorithm alg_;
  std::unique_ptr<Contexts> ctx_;
};

}  // namespace cygnet::crypto
