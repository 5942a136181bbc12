// Known-answer tests from RFC 3602 ("The AES-CBC Cipher Algorithm and Its Use with IPsec"),
// Section 4 "Test Vectors":
//   * Cases #1-#4: AES-CBC-128 encryptions of 1-4 blocks with a given IV, through
//     crypto::CbcCipher (encrypt, decrypt, in place, and from pieces);
//   * Cases #5-#8: ESP packets with AES-CBC-128 encryption and no integrity (the RFC's cryptograms
//     carry no ICV), through ipsec::esp_decapsulate with an SA that sets
//     allow_encryption_without_integrity (confidentiality-only ESP is otherwise refused, as
//     RFC 8221 Section 5 recommends). #5 and #6 are transport mode, #7 and #8 tunnel mode.
//
// For cases #5 and #7 the RFC's outer IP header is used as published. For cases #6 and #8 the
// sources at hand reproduce the ESP part (SPI, sequence number, IV, encrypted data) and the
// plaintext, but not the IP headers, so the test builds the outer IPv4 header itself with
// wire::write_ipv4_header (the same hosts as cases #5 and #7); for #6 (transport mode) the
// reconstructed packet is then checked field by field and byte for byte after the header.

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <utility>
#include <vector>

#include "base/bytes.hpp"
#include "base/time.hpp"
#include "crypto/block_cipher.hpp"
#include "crypto/error.hpp"
#include "crypto/secure_bytes.hpp"
#include "ipsec/drop_reason.hpp"
#include "ipsec/esp.hpp"
#include "ipsec/sa_parameters.hpp"
#include "ipsec/security_association.hpp"
#include "ipsec/selector.hpp"
#include "vectors/kat_util.hpp"
#include "wire/ip_address.hpp"
#include "wire/ip_packet.hpp"

namespace cygnet {
namespace {

using crypto::CbcAlgorithm;
using crypto::CbcCipher;
using kat::ascii;
using kat::concat;
using kat::hex;

// ---------------------------------------------------------------------------------------------
// Cases #1-#4.

struct CbcCase {
  const char* name;
  Bytes key;
  Bytes iv;
  Bytes plaintext;
  Bytes ciphertext;
};

std::vector<CbcCase> cbc_cases() {
  return {
      // RFC 3602 Section 4, Case #1: Encrypting 16 bytes (1 block) using AES-CBC with 128-bit key.
      {"Case1", hex("06a9214036b8a15b512e03d534120006"), hex("3dafba429d9eb430b422da802c9fac41"),
       ascii("Single block msg"), hex("e353779c1079aeb82708942dbe77181a")},
      // RFC 3602 Section 4, Case #2: Encrypting 32 bytes (2 blocks) using AES-CBC with 128-bit key.
      {"Case2", hex("c286696d887c9aa0611bbb3e2025a45a"), hex("562e17996d093d28ddb3ba695a2e6f58"),
       hex("000102030405060708090a0b0c0d0e0f 101112131415161718191a1b1c1d1e1f"),
       hex("d296cd94c2cccf8a3a863028b5e1dc0a 7586602d253cfff91b8266bea6d61ab1")},
      // RFC 3602 Section 4, Case #3: Encrypting 48 bytes (3 blocks) using AES-CBC with 128-bit key.
      {"Case3", hex("6c3ea0477630ce21a2ce334aa746c2cd"), hex("c782dc4c098c66cbd9cd27d825682c81"),
       ascii("This is a 48-byte message (exactly 3 AES blocks)"),
       hex("d0a02b3836451753d493665d33f0e886 2dea54cdb293abc7506939276772f8d5"
           "021c19216bad525c8579695d83ba2684")},
      // RFC 3602 Section 4, Case #4: Encrypting 64 bytes (4 blocks) using AES-CBC with 128-bit key.
      {"Case4", hex("56e47a38c5598974bc46903dba290349"), hex("8ce82eefbea0da3c44699ed7db51b7d9"),
       hex("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf b0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
           "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"),
       hex("c30e32ffedc0774e6aff6af0869f71aa 0f3af07a9a31a9c684db207eb0ef8e4e"
           "35907aa632c3ffdf868bb7b29d3d46ad 83ce9f9a102ee99d49a53e87f4c3da55")},
  };
}

TEST(Rfc3602AesCbc, Parameters) {
  // RFC 3602 Sections 2.2 and 2.4: 128-bit blocks (and IV); 128/192/256-bit keys.
  EXPECT_EQ(crypto::cbc_block_size(CbcAlgorithm::AesCbc128), 16u);
  EXPECT_EQ(crypto::cbc_key_length(CbcAlgorithm::AesCbc128), 16u);
  EXPECT_EQ(crypto::cbc_key_length(CbcAlgorithm::AesCbc192), 24u);
  EXPECT_EQ(crypto::cbc_key_length(CbcAlgorithm::AesCbc256), 32u);
}

TEST(Rfc3602AesCbc, Cases1To4Encrypt) {
  for (const auto& tc : cbc_cases()) {
    SCOPED_TRACE(tc.name);
    ASSERT_EQ(tc.plaintext.size(), tc.ciphertext.size());
    CbcCipher cbc(CbcAlgorithm::AesCbc128, tc.key);
    EXPECT_EQ(cbc.block_size(), 16u);
    Bytes out(tc.plaintext.size());
    ASSERT_TRUE(cbc.encrypt(tc.iv, tc.plaintext, out));
    EXPECT_EQ(to_hex(out), to_hex(tc.ciphertext));

    // In place.
    Bytes buf = tc.plaintext;
    ASSERT_TRUE(cbc.encrypt(tc.iv, buf, buf));
    EXPECT_EQ(to_hex(buf), to_hex(tc.ciphertext));

    // From two pieces, cut off a block boundary.
    const ByteView pv(tc.plaintext);
    Bytes pieces(tc.plaintext.size());
    ASSERT_TRUE(cbc.encrypt(tc.iv, {pv.first(5), pv.subspan(5)}, pieces));
    EXPECT_EQ(to_hex(pieces), to_hex(tc.ciphertext));
  }
}

TEST(Rfc3602AesCbc, Cases1To4Decrypt) {
  for (const auto& tc : cbc_cases()) {
    SCOPED_TRACE(tc.name);
    CbcCipher cbc(CbcAlgorithm::AesCbc128, tc.key);
    Bytes out(tc.ciphertext.size());
    ASSERT_TRUE(cbc.decrypt(tc.iv, tc.ciphertext, out));
    EXPECT_EQ(to_hex(out), to_hex(tc.plaintext));

    Bytes buf = tc.ciphertext;
    ASSERT_TRUE(cbc.decrypt(tc.iv, buf, buf));
    EXPECT_EQ(to_hex(buf), to_hex(tc.plaintext));
  }
}

TEST(Rfc3602AesCbc, RejectsMisuse) {
  const CbcCase tc = cbc_cases()[1];
  CbcCipher cbc(CbcAlgorithm::AesCbc128, tc.key);
  Bytes out(tc.plaintext.size());
  // Not a multiple of the block size.
  EXPECT_FALSE(cbc.encrypt(tc.iv, ByteView(tc.plaintext).first(17), MutableByteView(out).first(17)));
  EXPECT_FALSE(cbc.decrypt(tc.iv, ByteView(tc.ciphertext).first(17), MutableByteView(out).first(17)));
  // Wrong key length.
  EXPECT_THROW(CbcCipher(CbcAlgorithm::AesCbc256, tc.key), crypto::CryptoError);
}

// ---------------------------------------------------------------------------------------------
// Cases #5-#8.

wire::IpAddress addr(const char* text) { return wire::IpAddress::parse(text).value(); }

ipsec::SecurityAssociation make_cbc_sa(std::uint32_t spi, ipsec::Mode mode, const Bytes& key,
                                       const wire::IpAddress& source,
                                       const wire::IpAddress& destination) {
  ipsec::SaParameters p;
  p.spi = spi;
  p.protocol = ipsec::IpsecProtocol::Esp;
  p.mode = mode;
  p.direction = ipsec::Direction::Inbound;
  p.local_address = destination;
  p.remote_address = source;
  p.encryption = ipsec::EncryptionTransform::cbc_with(CbcAlgorithm::AesCbc128);
  p.encryption_key = crypto::SecureBytes(key);
  p.integrity.reset();  // the RFC 3602 cryptograms carry no ICV
  p.allow_encryption_without_integrity = true;
  p.selector.local = ipsec::AddressRange::any(wire::IpFamily::V4);
  p.selector.remote = ipsec::AddressRange::any(wire::IpFamily::V4);
  p.name = "rfc3602";
  return ipsec::SecurityAssociation(std::move(p), TimePoint{});
}

// An IPv4 header for an ESP packet the RFC gives without one (cases #6 and #8).
Bytes build_outer(const wire::IpAddress& source, const wire::IpAddress& destination,
                  ByteView esp) {
  Bytes packet(wire::kIpv4MinHeaderLength + esp.size());
  wire::Ipv4HeaderFields f;
  f.source = source;
  f.destination = destination;
  f.protocol = wire::ip_protocol::kEsp;
  f.total_length = static_cast<std::uint16_t>(packet.size());
  f.ttl = 64;
  EXPECT_TRUE(wire::write_ipv4_header(packet, f));
  std::copy(esp.begin(), esp.end(), packet.begin() + wire::kIpv4MinHeaderLength);
  return packet;
}

Bytes decapsulate(ipsec::SecurityAssociation& sa, const Bytes& packet) {
  Bytes out(packet.size());
  const ipsec::PacketResult r =
      ipsec::esp_decapsulate(sa, packet, wire::kIpv4MinHeaderLength, out, TimePoint{});
  EXPECT_TRUE(r.ok) << "dropped: " << ipsec::drop_reason_name(r.drop);
  if (!r.ok) return {};
  out.resize(r.length);
  return out;
}

// RFC 3602 Section 4, Case #5: Sample transport-mode ESP packet (ping 192.168.123.100).
struct Case5 {
  Bytes key = hex("90d382b4 10eeba7a d938c46c ec1a82bf");
  std::uint32_t spi = 0x4321;
  // Original packet: IP header (20 bytes) and Data (64 bytes).
  Bytes original_ip_header = hex("45000054 08f20000 4001f9fe c0a87b03 c0a87b64");
  Bytes data = hex(
      "08000ebd a70a0000 8e9c083d b95b0700 08090a0b 0c0d0e0f 10111213 14151617"
      "18191a1b 1c1d1e1f 20212223 24252627 28292a2b 2c2d2e2f 30313233 34353637");
  // Pre-encryption Data with padding, pad length and next header (80 bytes).
  Bytes pre_encryption = hex(
      "08000ebd a70a0000 8e9c083d b95b0700 08090a0b 0c0d0e0f 10111213 14151617"
      "18191a1b 1c1d1e1f 20212223 24252627 28292a2b 2c2d2e2f 30313233 34353637"
      "01020304 05060708 090a0b0c 0d0e0e01");
  // Post-encryption packet with SPI, Sequence number, IV.
  Bytes ip_header = hex("4500007c 08f20000 4032f9a5 c0a87b03 c0a87b64");
  Bytes spi_seq = hex("00004321 00000001");
  Bytes iv = hex("e96e8c08 ab465763 fd098d45 dd3ff893");
  Bytes encrypted = hex(
      "f663c25d 325c18c6 a9453e19 4e120849 a4870b66 cc6b9965 330013b4 898dc856"
      "a4699e52 3a55db08 0b59ec3a 8e4b7e52 775b07d1 db34ed9c 538ab50c 551b874a"
      "a269add0 47ad2d59 13ac19b7 cfbad4a6");
};

TEST(Rfc3602EspPackets, Case5CbcLayer) {
  const Case5 c;
  CbcCipher cbc(CbcAlgorithm::AesCbc128, c.key);
  Bytes out(c.encrypted.size());
  ASSERT_TRUE(cbc.decrypt(c.iv, c.encrypted, out));
  EXPECT_EQ(to_hex(out), to_hex(c.pre_encryption));
  ASSERT_TRUE(cbc.encrypt(c.iv, c.pre_encryption, out));
  EXPECT_EQ(to_hex(out), to_hex(c.encrypted));
}

TEST(Rfc3602EspPackets, Case5TransportDecapsulate) {
  const Case5 c;
  const Bytes packet = concat({c.ip_header, c.spi_seq, c.iv, c.encrypted});
  ASSERT_EQ(packet.size(), 0x7cu);  // the header's total length
  ipsec::SecurityAssociation sa = make_cbc_sa(c.spi, ipsec::Mode::Transport, c.key,
                                              addr("192.168.123.3"), addr("192.168.123.100"));
  const Bytes got = decapsulate(sa, packet);
  // The transport-mode result is the original packet, header restored (protocol ICMP, length
  // 0x54, checksum 0xf9fe) exactly as the RFC prints it.
  EXPECT_EQ(to_hex(got), to_hex(concat({c.original_ip_header, c.data})));
}

TEST(Rfc3602EspPackets, RefusedWithoutIntegrityUnlessAllowed) {
  const Case5 c;
  ipsec::SaParameters p;
  p.spi = c.spi;
  p.mode = ipsec::Mode::Transport;
  p.direction = ipsec::Direction::Inbound;
  p.local_address = addr("192.168.123.100");
  p.remote_address = addr("192.168.123.3");
  p.encryption = ipsec::EncryptionTransform::cbc_with(CbcAlgorithm::AesCbc128);
  p.encryption_key = crypto::SecureBytes(c.key);
  p.allow_encryption_without_integrity = false;
  EXPECT_THROW(ipsec::SecurityAssociation(std::move(p), TimePoint{}), std::invalid_argument);
}

// RFC 3602 Section 4, Case #6: Sample transport-mode ESP packet (same key and SPI as case #5,
// sequence number 8): an ICMP echo request with 20 bytes of 0x77 data. Outer header built here.
TEST(Rfc3602EspPackets, Case6TransportDecapsulate) {
  const Bytes key = hex("90d382b4 10eeba7a d938c46c ec1a82bf");
  const Bytes spi_seq = hex("00004321 00000008");
  const Bytes iv = hex("69d08df7 d203329d b093fc49 24e5bd80");
  const Bytes encrypted = hex(
      "f5199588 1ec4e0c4 488987ce 742e8109 689bb379 d2d750c0 d915dca3 46a89f75");
  const Bytes data = hex("0800b5e8 a80a0500 a69c083d 0b660e00 77777777 77777777 77777777");
  const wire::IpAddress src = addr("192.168.123.3"), dst = addr("192.168.123.100");

  const Bytes packet = build_outer(src, dst, concat({spi_seq, iv, encrypted}));
  ipsec::SecurityAssociation sa = make_cbc_sa(0x4321, ipsec::Mode::Transport, key, src, dst);
  const Bytes got = decapsulate(sa, packet);
  ASSERT_EQ(got.size(), wire::kIpv4MinHeaderLength + data.size());
  EXPECT_EQ(to_hex(ByteView(got).subspan(wire::kIpv4MinHeaderLength)), to_hex(data));
  // The restored header: ICMP, total length 20 + 28, addresses kept, a valid checksum.
  EXPECT_EQ(got[0], 0x45);
  EXPECT_EQ(got[2], 0x00);
  EXPECT_EQ(got[3], 0x30);
  EXPECT_EQ(got[9], wire::ip_protocol::kIcmp);
  EXPECT_EQ(to_hex(ByteView(got).subspan(12, 4)), to_hex(src.bytes()));
  EXPECT_EQ(to_hex(ByteView(got).subspan(16, 4)), to_hex(dst.bytes()));
  EXPECT_EQ(wire::internet_checksum(ByteView(got).first(wire::kIpv4MinHeaderLength)), 0u);
}

// RFC 3602 Section 4, Case #7: Sample tunnel-mode ESP packet (ping 192.168.123.200).
TEST(Rfc3602EspPackets, Case7TunnelDecapsulate) {
  const Bytes key = hex("01234567 89abcdef 01234567 89abcdef");
  const Bytes ip_header = hex("4500008c 09050000 4032f91e c0a87b03 c0a87bc8");
  const Bytes spi_seq = hex("00008765 00000002");
  const Bytes iv = hex("f4e76524 4f6407ad f13dc138 0f673f37");
  const Bytes encrypted = hex(
      "773b5241 a4c44922 5e4f3ce5 ed611b0c 237ca96c f74a9301 3c1b0ea1 a0cf70f8"
      "e4ecaec7 8ac53aad 7a0f022b 859243c6 47752e94 a859352b 8a4d4d2d ecd136e5"
      "c177f132 ad3fbfb2 201ac990 4c74ee0a 109e0ca1 e4dfe9d5 a100b842 f1c22f0d");
  // Original packet (the inner datagram).
  const Bytes original = hex(
      "45000054 09040000 4001f988 c0a87b03 c0a87bc8 08009f76 a90a0100 b49c083d"
      "02a20400 08090a0b 0c0d0e0f 10111213 14151617 18191a1b 1c1d1e1f 20212223"
      "24252627 28292a2b 2c2d2e2f 30313233 34353637");

  const Bytes packet = concat({ip_header, spi_seq, iv, encrypted});
  ASSERT_EQ(packet.size(), 0x8cu);
  ipsec::SecurityAssociation sa = make_cbc_sa(0x8765, ipsec::Mode::Tunnel, key,
                                              addr("192.168.123.3"), addr("192.168.123.200"));
  EXPECT_EQ(to_hex(decapsulate(sa, packet)), to_hex(original));
}

// RFC 3602 Section 4, Case #8: Sample tunnel-mode ESP packet (same key and SPI as case #7,
// sequence number 5): ping with 32 bytes of 0xff data. Outer header built here.
TEST(Rfc3602EspPackets, Case8TunnelDecapsulate) {
  const Bytes key = hex("01234567 89abcdef 01234567 89abcdef");
  const Bytes spi_seq = hex("00008765 00000005");
  const Bytes iv = hex("85d47224 b5f3dd5d 2101d4ea 8dffab22");
  const Bytes encrypted = hex(
      "15b92683 819596a8 047232cc 00f7048f e45318e1 1f8a0f62 ede3c3fc 61203bb5"
      "0f980a08 c9843fd3 a1b06d5c 07ff9639 b7eb7dfb 3512e5de 435e7207 ed971ef3"
      "d2726d9b 5ef6affc 6d17a0de cbb13892");
  const Bytes original = hex(
      "45000044 090c0000 4001f990 c0a87b03 c0a87bc8 0800d63c aa0a0200 c69c083d"
      "a3de0300 ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff"
      "ffffffff");

  const wire::IpAddress src = addr("192.168.123.3"), dst = addr("192.168.123.200");
  const Bytes packet = build_outer(src, dst, concat({spi_seq, iv, encrypted}));
  ipsec::SecurityAssociation sa = make_cbc_sa(0x8765, ipsec::Mode::Tunnel, key, src, dst);
  EXPECT_EQ(to_hex(decapsulate(sa, packet)), to_hex(original));
}

}  // namespace
}  // namespace cygnet
