// Known-answer tests for ChaCha20-Poly1305:
//   * RFC 8439 Section 2.8.2 (AEAD_CHACHA20_POLY1305 test vector; same as RFC 7539 Section 2.8.2)
//     and RFC 8439 Appendix A.5 (AEAD decryption example) through crypto::Aead;
//   * RFC 7634 Appendix A, the ESP example: through crypto::Aead, and as a whole packet through
//     ipsec::esp_decapsulate with an inbound tunnel-mode SA;
//   * RFC 7634 Appendix B, the IKEv2 example, through crypto::Aead (the AEAD transform IKE reuses).
//
// RFC 7634 Appendix A prints the ESP packet from the SPI onwards (SPI, sequence number, IV,
// ciphertext, tag), not an outer IP header; the test prepends an IPv4 header built with
// wire::write_ipv4_header (documentation addresses of RFC 5737, protocol 50) to form a received
// packet, and passes esp_offset = 20. The example uses a 32-bit sequence number (its AAD is
// SPI || Sequence Number, 8 octets, RFC 7634 Section 2.1), so the SA has no ESN.

#include <gtest/gtest.h>

#include <algorithm>
#include <utility>

#include "base/bytes.hpp"
#include "base/time.hpp"
#include "crypto/aead.hpp"
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

using crypto::Aead;
using crypto::AeadAlgorithm;
using kat::ascii;
using kat::concat;
using kat::hex;

// ---------------------------------------------------------------------------------------------
// RFC 8439 Section 2.8.2, "Test Vector for AEAD_CHACHA20_POLY1305".
TEST(Rfc8439ChaCha20Poly1305, Section2_8_2_Seal) {
  const Bytes plaintext = ascii(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the "
      "future, sunscreen would be it.");
  // The RFC prints the plaintext as this hex dump (114 bytes).
  const Bytes plaintext_hex = hex(
      "4c 61 64 69 65 73 20 61 6e 64 20 47 65 6e 74 6c"
      "65 6d 65 6e 20 6f 66 20 74 68 65 20 63 6c 61 73"
      "73 20 6f 66 20 27 39 39 3a 20 49 66 20 49 20 63"
      "6f 75 6c 64 20 6f 66 66 65 72 20 79 6f 75 20 6f"
      "6e 6c 79 20 6f 6e 65 20 74 69 70 20 66 6f 72 20"
      "74 68 65 20 66 75 74 75 72 65 2c 20 73 75 6e 73"
      "63 72 65 65 6e 20 77 6f 75 6c 64 20 62 65 20 69"
      "74 2e");
  ASSERT_EQ(plaintext, plaintext_hex);
  const Bytes aad = hex("50 51 52 53 c0 c1 c2 c3 c4 c5 c6 c7");
  const Bytes key = hex(
      "80 81 82 83 84 85 86 87 88 89 8a 8b 8c 8d 8e 8f"
      "90 91 92 93 94 95 96 97 98 99 9a 9b 9c 9d 9e 9f");
  // "32-bit fixed-common part" 07 00 00 00 followed by IV 40 41 42 43 44 45 46 47.
  const Bytes nonce = hex("07 00 00 00 40 41 42 43 44 45 46 47");
  const Bytes ciphertext = hex(
      "d3 1a 8d 34 64 8e 60 db 7b 86 af bc 53 ef 7e c2"
      "a4 ad ed 51 29 6e 08 fe a9 e2 b5 a7 36 ee 62 d6"
      "3d be a4 5e 8c a9 67 12 82 fa fb 69 da 92 72 8b"
      "1a 71 de 0a 9e 06 0b 29 05 d6 a5 b6 7e cd 3b 36"
      "92 dd bd 7f 2d 77 8b 8c 98 03 ae e3 28 09 1b 58"
      "fa b3 24 e4 fa d6 75 94 55 85 80 8b 48 31 d7 bc"
      "3f f4 de f0 8e 4b 7a 9d e5 76 d2 65 86 ce c6 4b"
      "61 16");
  const Bytes tag = hex("1a e1 0b 59 4f 09 e2 6a 7e 90 2e cb d0 60 06 91");

  EXPECT_EQ(crypto::aead_key_length(AeadAlgorithm::ChaCha20Poly1305), 32u);
  Aead aead(AeadAlgorithm::ChaCha20Poly1305, key, 16);
  Bytes ct(plaintext.size()), t(16);
  ASSERT_TRUE(aead.seal(nonce, aad, plaintext, ct, t));
  EXPECT_EQ(to_hex(ct), to_hex(ciphertext));
  EXPECT_EQ(to_hex(t), to_hex(tag));

  Bytes out(ciphertext.size());
  ASSERT_TRUE(aead.open(nonce, aad, ciphertext, tag, out));
  EXPECT_EQ(out, plaintext);

  Bytes bad_tag = tag;
  bad_tag[0] ^= 0x01;
  EXPECT_FALSE(aead.open(nonce, aad, ciphertext, bad_tag, out));
  Bytes bad_ct = ciphertext;
  bad_ct[50] ^= 0x01;
  EXPECT_FALSE(aead.open(nonce, aad, bad_ct, tag, out));
  Bytes bad_aad = aad;
  bad_aad[11] ^= 0x01;
  EXPECT_FALSE(aead.open(nonce, bad_aad, ciphertext, tag, out));
}

// RFC 8439 Appendix A.5, "ChaCha20-Poly1305 AEAD Decryption".
TEST(Rfc8439ChaCha20Poly1305, AppendixA5_Open) {
  const Bytes key = hex(
      "1c 92 40 a5 eb 55 d3 8a f3 33 88 86 04 f6 b5 f0"
      "47 39 17 c1 40 2b 80 09 9d ca 5c bc 20 70 75 c0");
  const Bytes nonce = hex("00 00 00 00 01 02 03 04 05 06 07 08");
  const Bytes aad = hex("f3 33 88 86 00 00 00 00 00 00 4e 91");
  const Bytes ciphertext = hex(
      "64 a0 86 15 75 86 1a f4 60 f0 62 c7 9b e6 43 bd"
      "5e 80 5c fd 34 5c f3 89 f1 08 67 0a c7 6c 8c b2"
      "4c 6c fc 18 75 5d 43 ee a0 9e e9 4e 38 2d 26 b0"
      "bd b7 b7 3c 32 1b 01 00 d4 f0 3b 7f 35 58 94 cf"
      "33 2f 83 0e 71 0b 97 ce 98 c8 a8 4a bd 0b 94 81"
      "14 ad 17 6e 00 8d 33 bd 60 f9 82 b1 ff 37 c8 55"
      "97 97 a0 6e f4 f0 ef 61 c1 86 32 4e 2b 35 06 38"
      "36 06 90 7b 6a 7c 02 b0 f9 f6 15 7b 53 c8 67 e4"
      "b9 16 6c 76 7b 80 4d 46 a5 9b 52 16 cd e7 a4 e9"
      "90 40 c5 a4 04 33 22 5e e2 82 a1 b0 a0 6c 52 3e"
      "af 45 34 d7 f8 3f a1 15 5b 00 47 71 8c bc 54 6a"
      "0d 07 2b 04 b3 56 4e ea 1b 42 22 73 f5 48 27 1a"
      "0b b2 31 60 53 fa 76 99 19 55 eb d6 31 59 43 4e"
      "ce bb 4e 46 6d ae 5a 10 73 a6 72 76 27 09 7a 10"
      "49 e6 17 d9 1d 36 10 94 fa 68 f0 ff 77 98 71 30"
      "30 5b ea ba 2e da 04 df 99 7b 71 4d 6c 6f 2c 29"
      "a6 ad 5c b4 02 2b 02 70 9b");
  const Bytes tag = hex("ee ad 9d 67 89 0c bb 22 39 23 36 fe a1 85 1f 38");
  const Bytes plaintext = hex(
      "49 6e 74 65 72 6e 65 74 2d 44 72 61 66 74 73 20"
      "61 72 65 20 64 72 61 66 74 20 64 6f 63 75 6d 65"
      "6e 74 73 20 76 61 6c 69 64 20 66 6f 72 20 61 20"
      "6d 61 78 69 6d 75 6d 20 6f 66 20 73 69 78 20 6d"
      "6f 6e 74 68 73 20 61 6e 64 20 6d 61 79 20 62 65"
      "20 75 70 64 61 74 65 64 2c 20 72 65 70 6c 61 63"
      "65 64 2c 20 6f 72 20 6f 62 73 6f 6c 65 74 65 64"
      "20 62 79 20 6f 74 68 65 72 20 64 6f 63 75 6d 65"
      "6e 74 73 20 61 74 20 61 6e 79 20 74 69 6d 65 2e"
      "20 49 74 20 69 73 20 69 6e 61 70 70 72 6f 70 72"
      "69 61 74 65 20 74 6f 20 75 73 65 20 49 6e 74 65"
      "72 6e 65 74 2d 44 72 61 66 74 73 20 61 73 20 72"
      "65 66 65 72 65 6e 63 65 20 6d 61 74 65 72 69 61"
      "6c 20 6f 72 20 74 6f 20 63 69 74 65 20 74 68 65"
      "6d 20 6f 74 68 65 72 20 74 68 61 6e 20 61 73 20"
      "2f e2 80 9c 77 6f 72 6b 20 69 6e 20 70 72 6f 67"
      "72 65 73 73 2e 2f e2 80 9d");
  ASSERT_EQ(ciphertext.size(), 265u);
  ASSERT_EQ(plaintext.size(), 265u);

  Aead aead(AeadAlgorithm::ChaCha20Poly1305, key, 16);
  Bytes out(ciphertext.size());
  ASSERT_TRUE(aead.open(nonce, aad, ciphertext, tag, out));
  EXPECT_EQ(to_hex(out), to_hex(plaintext));

  // And the other way round.
  Bytes ct(plaintext.size()), t(16);
  ASSERT_TRUE(aead.seal(nonce, aad, plaintext, ct, t));
  EXPECT_EQ(to_hex(ct), to_hex(ciphertext));
  EXPECT_EQ(to_hex(t), to_hex(tag));
}

// ---------------------------------------------------------------------------------------------
// RFC 7634 Appendix A, "ESP Example".
struct Rfc7634EspExample {
  // KEYMAT for the SA: the 256-bit key followed by the 32-bit salt (RFC 7634 Section 4).
  Bytes key = hex(
      "80 81 82 83 84 85 86 87 88 89 8a 8b 8c 8d 8e 8f"
      "90 91 92 93 94 95 96 97 98 99 9a 9b 9c 9d 9e 9f");
  Bytes salt = hex("a0 a1 a2 a3");
  Bytes iv = hex("10 11 12 13 14 15 16 17");
  std::uint32_t spi = 0x01020304;
  std::uint32_t sequence = 0x05;
  // AAD = SPI || Sequence Number (32-bit, no ESN).
  Bytes aad = hex("01 02 03 04 00 00 00 05");
  // The source IP datagram: an ICMP echo request from 198.51.100.5 to 192.0.2.5 (84 octets).
  Bytes inner_packet = hex(
      "45 00 00 54 a6 f2 00 00 40 01 e7 78 c6 33 64 05"
      "c0 00 02 05 08 00 5b 7a 3a 08 00 00 55 3b ec 10"
      "00 07 36 27 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13"
      "14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 20 21 22 23"
      "24 25 26 27 28 29 2a 2b 2c 2d 2e 2f 30 31 32 33"
      "34 35 36 37");
  // Padding 01 02, Pad Length 02, Next Header 04 (IPv4): the ESP trailer.
  Bytes trailer = hex("01 02 02 04");
  Bytes ciphertext = hex(
      "24 03 94 28 b9 7f 41 7e 3c 13 75 3a 4f 05 08 7b"
      "67 c3 52 e6 a7 fa b1 b9 82 d4 66 ef 40 7a e5 c6"
      "14 ee 80 99 d5 28 44 eb 61 aa 95 df ab 4c 02 f7"
      "2a a7 1e 7c 4c 4f 64 c9 be fe 2f ac c6 38 e8 f3"
      "cb ec 16 3f ac 46 9b 50 27 73 f6 fb 94 e6 64 da"
      "91 65 b8 28 29 f6 41 e0");
  Bytes tag = hex("76 aa a8 26 6b 7f b0 f7 b1 1b 36 99 07 e1 ad 43");

  Bytes nonce() const { return concat({salt, iv}); }
  Bytes keymat() const { return concat({key, salt}); }
  // The ESP packet as printed: SPI, Sequence Number, IV, encrypted payload and trailer, ICV.
  Bytes esp_packet() const {
    return concat({hex("01 02 03 04"), hex("00 00 00 05"), iv, ciphertext, tag});
  }
};

TEST(Rfc7634ChaCha20Poly1305Esp, AppendixA_Aead) {
  const Rfc7634EspExample ex;
  const Bytes plaintext = concat({ex.inner_packet, ex.trailer});
  ASSERT_EQ(plaintext.size(), 88u);
  ASSERT_EQ(ex.ciphertext.size(), 88u);

  Aead aead(AeadAlgorithm::ChaCha20Poly1305, ex.key, 16);
  Bytes ct(plaintext.size()), t(16);
  ASSERT_TRUE(aead.seal(ex.nonce(), ex.aad, plaintext, ct, t));
  EXPECT_EQ(to_hex(ct), to_hex(ex.ciphertext));
  EXPECT_EQ(to_hex(t), to_hex(ex.tag));

  // The inner packet and the trailer given separately, as ESP encapsulation does.
  Bytes ct2(plaintext.size()), t2(16);
  ASSERT_TRUE(aead.seal(ex.nonce(), ex.aad, {ByteView(ex.inner_packet), ByteView(ex.trailer)},
                        ct2, t2));
  EXPECT_EQ(to_hex(ct2), to_hex(ex.ciphertext));
  EXPECT_EQ(to_hex(t2), to_hex(ex.tag));

  Bytes out(ex.ciphertext.size());
  ASSERT_TRUE(aead.open(ex.nonce(), ex.aad, ex.ciphertext, ex.tag, out));
  EXPECT_EQ(to_hex(out), to_hex(plaintext));
}

// Outer header for the ESP packet (the RFC does not give one).
wire::IpAddress outer_source() { return wire::IpAddress::parse("203.0.113.1").value(); }
wire::IpAddress outer_destination() { return wire::IpAddress::parse("203.0.113.2").value(); }

Bytes with_outer_ipv4(ByteView esp) {
  Bytes packet(wire::kIpv4MinHeaderLength + esp.size());
  wire::Ipv4HeaderFields f;
  f.source = outer_source();
  f.destination = outer_destination();
  f.protocol = wire::ip_protocol::kEsp;
  f.total_length = static_cast<std::uint16_t>(packet.size());
  f.ttl = 64;
  EXPECT_TRUE(wire::write_ipv4_header(packet, f));
  std::copy(esp.begin(), esp.end(), packet.begin() + wire::kIpv4MinHeaderLength);
  return packet;
}

ipsec::SecurityAssociation make_inbound_sa(const Rfc7634EspExample& ex) {
  ipsec::SaParameters p;
  p.spi = ex.spi;
  p.protocol = ipsec::IpsecProtocol::Esp;
  p.mode = ipsec::Mode::Tunnel;
  p.direction = ipsec::Direction::Inbound;
  p.local_address = outer_destination();
  p.remote_address = outer_source();
  p.encryption = ipsec::EncryptionTransform::aead_with(AeadAlgorithm::ChaCha20Poly1305);
  p.encryption_key = crypto::SecureBytes(ex.keymat());
  p.extended_sequence_numbers = false;  // the example's AAD carries a 32-bit sequence number
  p.replay_window = ipsec::kDefaultReplayWindow;
  p.selector.local = ipsec::AddressRange::any(wire::IpFamily::V4);
  p.selector.remote = ipsec::AddressRange::any(wire::IpFamily::V4);
  p.name = "rfc7634-appendix-a";
  return ipsec::SecurityAssociation(std::move(p), TimePoint{});
}

TEST(Rfc7634ChaCha20Poly1305Esp, AppendixA_EspDecapsulateTunnel) {
  const Rfc7634EspExample ex;
  EXPECT_EQ(ipsec::EncryptionTransform::aead_with(AeadAlgorithm::ChaCha20Poly1305)
                .key_material_length(),
            36u);  // RFC 7634 Section 4: 256-bit key + 32-bit salt
  ipsec::SecurityAssociation sa = make_inbound_sa(ex);
  EXPECT_EQ(sa.icv_length(), 16u);
  EXPECT_EQ(to_hex(sa.aead_salt()), to_hex(ex.salt));

  const Bytes packet = with_outer_ipv4(ex.esp_packet());
  Bytes out(packet.size());
  const ipsec::PacketResult r =
      ipsec::esp_decapsulate(sa, packet, wire::kIpv4MinHeaderLength, out, TimePoint{});
  ASSERT_TRUE(r.ok) << "dropped: " << ipsec::drop_reason_name(r.drop);
  ASSERT_EQ(r.length, ex.inner_packet.size());
  EXPECT_EQ(to_hex(ByteView(out).first(r.length)), to_hex(ex.inner_packet));
  EXPECT_EQ(sa.replay_window().highest(), ex.sequence);

  // The same packet again is a replay.
  Bytes out2(packet.size());
  const ipsec::PacketResult again =
      ipsec::esp_decapsulate(sa, packet, wire::kIpv4MinHeaderLength, out2, TimePoint{});
  EXPECT_FALSE(again.ok);
  EXPECT_EQ(again.drop, ipsec::DropReason::Replay);
}

TEST(Rfc7634ChaCha20Poly1305Esp, AppendixA_ModifiedPacketFailsIcvAndLeavesWindow) {
  const Rfc7634EspExample ex;
  ipsec::SecurityAssociation sa = make_inbound_sa(ex);
  const Bytes packet = with_outer_ipv4(ex.esp_packet());
  const std::size_t esp = wire::kIpv4MinHeaderLength;
  const std::size_t positions[] = {
      packet.size() - 1,          // last ICV byte
      packet.size() - 16,         // first ICV byte
      esp + 8 + 8,                // first ciphertext byte
      esp + 8 + 8 + 87,           // last ciphertext byte (the encrypted Next Header)
      esp + 8 + 3,                // IV (nonce)
  };
  for (std::size_t pos : positions) {
    SCOPED_TRACE(pos);
    Bytes bad = packet;
    bad[pos] ^= 0x01;
    Bytes out(bad.size());
    const ipsec::PacketResult r = ipsec::esp_decapsulate(sa, bad, esp, out, TimePoint{});
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.drop, ipsec::DropReason::IcvFailure) << ipsec::drop_reason_name(r.drop);
  }
  EXPECT_EQ(sa.replay_window().highest(), 0u);  // nothing was authenticated

  // The genuine packet is still accepted afterwards.
  Bytes out(packet.size());
  const ipsec::PacketResult ok = ipsec::esp_decapsulate(sa, packet, esp, out, TimePoint{});
  ASSERT_TRUE(ok.ok) << ipsec::drop_reason_name(ok.drop);
  EXPECT_EQ(to_hex(ByteView(out).first(ok.length)), to_hex(ex.inner_packet));
}

// ---------------------------------------------------------------------------------------------
// RFC 7634 Appendix B, "IKEv2 Example": an Encrypted payload protected with the same AEAD.
TEST(Rfc7634ChaCha20Poly1305Ike, AppendixB_Aead) {
  const Bytes key = hex(
      "80 81 82 83 84 85 86 87 88 89 8a 8b 8c 8d 8e 8f"
      "90 91 92 93 94 95 96 97 98 99 9a 9b 9c 9d 9e 9f");
  const Bytes salt = hex("a0 a1 a2 a3");
  const Bytes iv = hex("10 11 12 13 14 15 16 17");
  // AAD: the IKE header and the Encrypted payload header.
  const Bytes aad = hex(
      "c0 c1 c2 c3 c4 c5 c6 c7 d0 d1 d2 d3 d4 d5 d6 d7"
      "2e 20 25 00 00 00 00 09 00 00 00 45 29 00 00 29");
  const Bytes plaintext = hex("00 00 00 0c 00 00 40 01 00 00 00 0a 00");
  const Bytes ciphertext = hex("61 03 94 70 1f 8d 01 7f 7c 12 92 48 89");
  const Bytes tag = hex("6b 71 bf e2 52 36 ef d7 cd c6 70 66 90 63 15 b2");

  Aead aead(AeadAlgorithm::ChaCha20Poly1305, key, 16);
  const Bytes nonce = concat({salt, iv});
  Bytes ct(plaintext.size()), t(16);
  ASSERT_TRUE(aead.seal(nonce, aad, plaintext, ct, t));
  EXPECT_EQ(to_hex(ct), to_hex(ciphertext));
  EXPECT_EQ(to_hex(t), to_hex(tag));
  Bytes out(ciphertext.size());
  ASSERT_TRUE(aead.open(nonce, aad, ciphertext, tag, out));
  EXPECT_EQ(to_hex(out), to_hex(plaintext));
}

TEST(Rfc7634ChaCha20Poly1305, RejectsIcvOtherThan16) {
  // RFC 7634 Section 2: the ICV is always 16 octets.
  const Bytes key(32, 0x80);
  EXPECT_THROW(Aead(AeadAlgorithm::ChaCha20Poly1305, key, 8), crypto::CryptoError);
  EXPECT_THROW(Aead(AeadAlgorithm::ChaCha20Poly1305, key, 12), crypto::CryptoError);
  EXPECT_THROW(Aead(AeadAlgorithm::ChaCha20Poly1305, Bytes(16, 0x80), 16), crypto::CryptoError);
}

}  // namespace
}  // namespace cygnet
