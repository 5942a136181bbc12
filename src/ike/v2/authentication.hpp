// IKE_AUTH authentication data (RFC 7296 §2.15, RFC 7427): the signed octets, PSK AUTH values,
// digital signature AUTH values with their ASN.1 AlgorithmIdentifier, and SIGNATURE_HASH_ALGORITHMS.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "crypto/hmac.hpp"
#include "crypto/signature.hpp"
#include "wire/ikev2_message.hpp"

namespace cygnet::ike {

// InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI, where MACedIDForI =
// prf(SK_pi, RestOfInitIDPayload) (RestOfIDPayload = ID type, 3 reserved bytes, ID data).
// The responder's is RealMessage2 | NonceIData | prf(SK_pr, RestOfRespIDPayload).
Bytes signed_octets(ByteView real_message, ByteView peer_nonce, crypto::HashAlgorithm prf, ByteView sk_p,
                    const wire::ikev2::IdPayload& id);

// AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>).
Bytes psk_auth_data(crypto::HashAlgorithm prf, ByteView psk, ByteView octets);
bool verify_psk_auth(crypto::HashAlgorithm prf, ByteView psk, ByteView octets,
                     ByteView auth_data);  // constant time

// RFC 7427 §3: AUTH data = 1-byte length of the AlgorithmIdentifier | AlgorithmIdentifier DER |
// signature. RSA keys sign with RSASSA-PSS (RFC 8247), ECDSA with ecdsa-with-SHA*, Ed25519 plain.
Bytes signature_auth_data(const crypto::PrivateKey& key, crypto::HashAlgorithm hash, ByteView octets);

struct SignatureCheck {
  bool ok = false;
  std::string error;  // e.g. "signature does not verify", "unknown AlgorithmIdentifier"
};
// Parses the AlgorithmIdentifier (RSA-PSS, RSA PKCS#1 v1.5 sha256/384/512, ECDSA sha256/384/512,
// Ed25519), refuses SHA-1 unless allow_legacy, and verifies.
SignatureCheck verify_signature_auth(const crypto::PublicKey& key, ByteView auth_data, ByteView octets,
                                     bool allow_legacy);

// The hash to sign with, given what the peer announced in SIGNATURE_HASH_ALGORITHMS (empty list:
// SHA-256). Ed25519 uses Identity.
crypto::HashAlgorithm choose_signature_hash(const std::vector<wire::ikev2::SignatureHash>& peer,
                                            crypto::KeyType key_type);
Bytes encode_signature_hash_algorithms(const std::vector<wire::ikev2::SignatureHash>& hashes);
std::vector<wire::ikev2::SignatureHash> decode_signature_hash_algorithms(ByteView data);
// What Cygnet announces: SHA2-256, SHA2-384, SHA2-512, Identity.
std::vector<wire::ikev2::SignatureHash> supported_signature_hashes();

}  // namespace cygnet::ike
