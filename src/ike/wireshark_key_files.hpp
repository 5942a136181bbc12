// Wireshark's key tables (UAT files) for the exported SAs, so a capture can be decrypted:
//   ikev2_decryption_table  SPIi,SPIr,SK_ei,SK_er,"encryption",SK_ai,SK_ar,"integrity"
//                           (SPIs and keys as bare hex: Wireshark's byte-buffer fields)
//   ikev1_decryption_table  CKY-I,encryption key          (bare hex)
//   esp_sa                  "IPv4","src","dst","0xSPI","encryption","0xkey","authentication","0xkey"
// The algorithm names are the exact strings of Wireshark's enums (packet-isakmp.c, packet-ipsec.c,
// 4.0); an SA whose algorithm Wireshark cannot decrypt (e.g. ChaCha20-Poly1305, AH) is left out
// and named in `skipped`.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "ike/key_export.hpp"

namespace cygnet::ike {

struct WiresharkKeyFiles {
  WiresharkKeyFiles() = default;
  WiresharkKeyFiles(const WiresharkKeyFiles&) = delete;
  WiresharkKeyFiles& operator=(const WiresharkKeyFiles&) = delete;
  WiresharkKeyFiles(WiresharkKeyFiles&&) = default;
  ~WiresharkKeyFiles();                // wipes the key text
  std::string ikev2_decryption_table;  // whole file, header comment included
  std::string ikev1_decryption_table;
  std::string esp_sa;
  std::size_t ike_sa_lines = 0;
  std::size_t isakmp_sa_lines = 0;
  std::size_t esp_sa_lines = 0;  // one per direction
  std::vector<std::string> skipped;
};

WiresharkKeyFiles wireshark_key_files(const KeyExport& keys);

// The names Wireshark's UATs accept; nullopt when Wireshark has no such choice.
std::optional<std::string> wireshark_ikev2_encryption_name(const IkeAlgorithms& a);
std::optional<std::string> wireshark_ikev2_integrity_name(const IkeAlgorithms& a);
std::optional<std::string> wireshark_esp_encryption_name(const ipsec::EncryptionTransform& e);
std::optional<std::string> wireshark_esp_authentication_name(
    const std::optional<crypto::IntegrityAlgorithm>& i);

}  // namespace cygnet::ike
