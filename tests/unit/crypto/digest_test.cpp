#include "crypto/digest.hpp"

#include <gtest/gtest.h>

#include <string_view>

namespace cygnet::crypto {
namespace {

ByteView text(std::string_view s) { return ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); }

// FIPS 180-2 Appendix A/B/C: the one-block message "abc".
TEST(Digest, Fips180AbcVectors) {
  EXPECT_EQ(to_hex(digest(HashAlgorithm::Sha1, {text("abc")})), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(to_hex(digest(HashAlgorithm::Sha256, {text("abc")})),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(digest(HashAlgorithm::Sha384, {text("abc")})),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
            "8086072ba1e7cc2358baeca134c825a7");
  EXPECT_EQ(to_hex(digest(HashAlgorithm::Sha512, {text("abc")})),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

TEST(Digest, PartsAreConcatenated) {
  EXPECT_EQ(digest(HashAlgorithm::Sha256, {text("a"), text(""), text("bc")}),
            digest(HashAlgorithm::Sha256, {text("abc")}));
}

}  // namespace
}  // namespace cygnet::crypto
