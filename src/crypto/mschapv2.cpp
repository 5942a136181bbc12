#include "crypto/mschapv2.hpp"

#include <cstring>

#include "crypto/digest.hpp"
#include "crypto/error.hpp"
#include "crypto/legacy_algorithms.hpp"

namespace cygnet::crypto::mschapv2 {
namespace {

ByteView text_bytes(std::string_view text) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

// Decodes strict UTF-8 (no overlong forms, no surrogates, at most U+10FFFF) into UTF-16LE.
std::optional<SecureBytes> utf8_to_utf16le(ByteView utf8) {
  SecureBytes out(utf8.size() * 4);  // upper bound: every byte a BMP character, or 4 bytes per pair
  std::size_t written = 0;
  std::size_t characters = 0;
  auto put_unit = [&](std::uint32_t unit) {
    out.mutable_view()[written++] = static_cast<std::uint8_t>(unit & 0xff);
    out.mutable_view()[written++] = static_cast<std::uint8_t>(unit >> 8);
  };
  for (std::size_t i = 0; i < utf8.size();) {
    const std::uint8_t lead = utf8[i];
    std::uint32_t code = 0;
    std::size_t extra = 0;
    std::uint32_t minimum = 0;
    if (lead < 0x80) {
      code = lead;
    } else if ((lead & 0xe0) == 0xc0) {
      code = lead & 0x1f, extra = 1, minimum = 0x80;
    } else if ((lead & 0xf0) == 0xe0) {
      code = lead & 0x0f, extra = 2, minimum = 0x800;
    } else if ((lead & 0xf8) == 0xf0) {
      code = lead & 0x07, extra = 3, minimum = 0x10000;
    } else {
      return std::nullopt;
    }
    if (i + extra >= utf8.size() && extra > 0) return std::nullopt;  // truncated sequence
    for (std::size_t k = 1; k <= extra; ++k) {
      const std::uint8_t next = utf8[i + k];
      if ((next & 0xc0) != 0x80) return std::nullopt;
      code = (code << 6) | (next & 0x3f);
    }
    if (code < minimum || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return std::nullopt;
    if (code >= 0x10000) {
      code -= 0x10000;
      put_unit(0xd800 | (code >> 10));
      put_unit(0xdc00 | (code & 0x3ff));
    } else {
      put_unit(code);
    }
    i += extra + 1;
    if (++characters > kMaxPasswordCharacters) return std::nullopt;
  }
  return out.slice(0, written);
}

// Spreads 7 key bytes over 8 DES key bytes, 7 bits each; the low (parity) bit stays zero
// because DES ignores it (RFC 2759 §8.6 DesEncrypt).
std::array<std::uint8_t, 8> des_key_from_7_bytes(const std::uint8_t* seven) {
  std::array<std::uint8_t, 8> key{};
  key[0] = seven[0];
  key[1] = static_cast<std::uint8_t>((seven[0] << 7) | (seven[1] >> 1));
  key[2] = static_cast<std::uint8_t>((seven[1] << 6) | (seven[2] >> 2));
  key[3] = static_cast<std::uint8_t>((seven[2] << 5) | (seven[3] >> 3));
  key[4] = static_cast<std::uint8_t>((seven[3] << 4) | (seven[4] >> 4));
  key[5] = static_cast<std::uint8_t>((seven[4] << 3) | (seven[5] >> 5));
  key[6] = static_cast<std::uint8_t>((seven[5] << 2) | (seven[6] >> 6));
  key[7] = static_cast<std::uint8_t>(seven[6] << 1);
  for (auto& b : key) b &= 0xfe;
  return key;
}

void require_length(ByteView value, std::size_t length, const char* what) {
  if (value.size() != length) throw CryptoError(std::string("mschapv2: wrong length of ") + what);
}

constexpr std::string_view kSigningMagic = "Magic server to client signing constant";
constexpr std::string_view kPadMagic = "Pad to make it do more than one iteration";
constexpr std::string_view kMasterKeyMagic = "This is the MPPE Master Key";
constexpr std::string_view kClientSendMagic =
    "On the client side, this is the send key; on the server side, it is the receive key.";
constexpr std::string_view kClientReceiveMagic =
    "On the client side, this is the receive key; on the server side, it is the send key.";

}  // namespace

std::optional<SecureBytes> nt_password_hash(ByteView password_utf8) {
  std::optional<SecureBytes> unicode = utf8_to_utf16le(password_utf8);
  if (!unicode) return std::nullopt;
  return md4(unicode->view());
}

SecureBytes hash_nt_password_hash(ByteView password_hash) {
  require_length(password_hash, kPasswordHashLength, "password hash");
  return md4(password_hash);
}

std::string_view user_name_without_domain(std::string_view user_name) {
  const std::size_t backslash = user_name.rfind('\\');
  return backslash == std::string_view::npos ? user_name : user_name.substr(backslash + 1);
}

std::array<std::uint8_t, 8> challenge_hash(ByteView peer_challenge, ByteView authenticator_challenge,
                                           std::string_view user_name) {
  require_length(peer_challenge, kChallengeLength, "peer challenge");
  require_length(authenticator_challenge, kChallengeLength, "authenticator challenge");
  const Bytes sha = digest(HashAlgorithm::Sha1, {peer_challenge, authenticator_challenge,
                                                 text_bytes(user_name_without_domain(user_name))});
  std::array<std::uint8_t, 8> out{};
  std::memcpy(out.data(), sha.data(), out.size());
  return out;
}

NtResponse challenge_response(ByteView challenge8, ByteView password_hash) {
  require_length(challenge8, 8, "challenge");
  require_length(password_hash, kPasswordHashLength, "password hash");
  SecureBytes padded(21);  // ZPasswordHash: the NT hash and five zero bytes
  std::memcpy(padded.mutable_view().data(), password_hash.data(), kPasswordHashLength);
  NtResponse response{};
  for (std::size_t part = 0; part < 3; ++part) {
    std::array<std::uint8_t, 8> key = des_key_from_7_bytes(padded.view().data() + 7 * part);
    const std::array<std::uint8_t, 8> block = des_encrypt_block(key, challenge8);
    secure_wipe(key.data(), key.size());
    std::memcpy(response.data() + 8 * part, block.data(), block.size());
  }
  return response;
}

NtResponse generate_nt_response(ByteView authenticator_challenge, ByteView peer_challenge,
                                std::string_view user_name, ByteView password_hash) {
  const std::array<std::uint8_t, 8> challenge =
      challenge_hash(peer_challenge, authenticator_challenge, user_name);
  return challenge_response(challenge, password_hash);
}

std::string generate_authenticator_response(ByteView password_hash, ByteView nt_response,
                                            ByteView peer_challenge, ByteView authenticator_challenge,
                                            std::string_view user_name) {
  require_length(nt_response, kNtResponseLength, "NT-Response");
  const SecureBytes password_hash_hash = hash_nt_password_hash(password_hash);
  const Bytes inner =
      digest(HashAlgorithm::Sha1, {password_hash_hash.view(), nt_response, text_bytes(kSigningMagic)});
  const std::array<std::uint8_t, 8> challenge =
      challenge_hash(peer_challenge, authenticator_challenge, user_name);
  const Bytes outer = digest(HashAlgorithm::Sha1, {inner, challenge, text_bytes(kPadMagic)});
  std::string out = "S=";
  for (char c : to_hex(outer)) out.push_back(c >= 'a' && c <= 'f' ? static_cast<char>(c - 'a' + 'A') : c);
  return out;
}

SecureBytes master_key(ByteView password_hash_hash, ByteView nt_response) {
  require_length(password_hash_hash, kPasswordHashLength, "password hash hash");
  require_length(nt_response, kNtResponseLength, "NT-Response");
  Bytes sha = digest(HashAlgorithm::Sha1, {password_hash_hash, nt_response, text_bytes(kMasterKeyMagic)});
  SecureBytes out(ByteView(sha.data(), 16));
  secure_wipe(sha.data(), sha.size());
  return out;
}

SecureBytes asymmetric_start_key(ByteView master, bool is_send, bool is_server) {
  require_length(master, 16, "master key");
  static constexpr std::array<std::uint8_t, 40> kPad1{};
  std::array<std::uint8_t, 40> pad2{};
  pad2.fill(0xf2);
  // The client's send key is the server's receive key and vice versa (RFC 3079 §3.4).
  const std::string_view magic = (is_send != is_server) ? kClientSendMagic : kClientReceiveMagic;
  Bytes sha = digest(HashAlgorithm::Sha1, {master, kPad1, text_bytes(magic), pad2});
  SecureBytes out(ByteView(sha.data(), 16));
  secure_wipe(sha.data(), sha.size());
  return out;
}

SecureBytes msk(ByteView password_hash, ByteView nt_response) {
  const SecureBytes master = master_key(hash_nt_password_hash(password_hash).view(), nt_response);
  const SecureBytes client_send = asymmetric_start_key(master.view(), true, false);
  const SecureBytes client_receive = asymmetric_start_key(master.view(), false, false);
  SecureBytes out(kMskLength);
  std::memcpy(out.mutable_view().data(), client_send.view().data(), 16);
  std::memcpy(out.mutable_view().data() + 16, client_receive.view().data(), 16);
  return out;
}

}  // namespace cygnet::crypto::mschapv2
