// MS-CHAPv2 (RFC 2759) and the key it leaves behind for EAP (RFC 3079 master keys, concatenated
// into the EAP-MSCHAPv2 MSK that IKEv2 binds into AUTH, RFC 7296 §2.16). Every function here is
// the RFC's pseudo-code of the same name; MD4, DES and SHA-1 come from OpenSSL.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "crypto/secure_bytes.hpp"

namespace cygnet::crypto::mschapv2 {

inline constexpr std::size_t kChallengeLength = 16;     // authenticator and peer challenges
inline constexpr std::size_t kPasswordHashLength = 16;  // the NT hash
inline constexpr std::size_t kNtResponseLength = 24;
inline constexpr std::size_t kAuthenticatorResponseLength = 42;  // "S=" and 40 hex digits
inline constexpr std::size_t kMskLength = 32;               // MasterReceiveKey | MasterSendKey (server view)
inline constexpr std::size_t kMaxPasswordCharacters = 256;  // RFC 2759 §8.2

using NtResponse = std::array<std::uint8_t, kNtResponseLength>;

// NtPasswordHash (RFC 2759 §8.3): MD4 of the password as UTF-16LE. The password is UTF-8;
// nullopt when it is not valid UTF-8 or longer than 256 characters.
std::optional<SecureBytes> nt_password_hash(ByteView password_utf8);

// HashNtPasswordHash (§8.4): MD4 of the NT hash.
SecureBytes hash_nt_password_hash(ByteView password_hash);

// The user name as ChallengeHash uses it: without a "DOMAIN\" prefix (§8.2).
std::string_view user_name_without_domain(std::string_view user_name);

// ChallengeHash (§8.2): the first 8 bytes of SHA1(peer challenge | authenticator challenge | name).
std::array<std::uint8_t, 8> challenge_hash(ByteView peer_challenge, ByteView authenticator_challenge,
                                           std::string_view user_name);

// ChallengeResponse (§8.5): the 8-byte challenge DES-encrypted under three keys cut from the
// zero-padded 21-byte NT hash.
NtResponse challenge_response(ByteView challenge8, ByteView password_hash);

// GenerateNTResponse (§8.1), from the NT hash (the gateway may hold only that).
NtResponse generate_nt_response(ByteView authenticator_challenge, ByteView peer_challenge,
                                std::string_view user_name, ByteView password_hash);

// GenerateAuthenticatorResponse (§8.7): "S=" followed by 40 upper-case hex digits.
std::string generate_authenticator_response(ByteView password_hash, ByteView nt_response,
                                            ByteView peer_challenge, ByteView authenticator_challenge,
                                            std::string_view user_name);

// RFC 3079 §3.4 GetMasterKey: the first 16 bytes of SHA1(PasswordHashHash | NT-Response | Magic1).
SecureBytes master_key(ByteView password_hash_hash, ByteView nt_response);

// RFC 3079 §3.4 GetAsymmetricStartKey with a 16-byte key.
SecureBytes asymmetric_start_key(ByteView master_key, bool is_send, bool is_server);

// The EAP-MSCHAPv2 MSK both sides derive (as strongSwan, wpa_supplicant and hostapd do): the
// client's send key (Magic2) followed by its receive key (Magic3), 32 bytes.
SecureBytes msk(ByteView password_hash, ByteView nt_response);

}  // namespace cygnet::crypto::mschapv2
