// EAP packets (RFC 3748 §4) as the IKEv2 EAP payload carries them (RFC 7296 §3.16), and the
// EAP-MSCHAPv2 method data inside them (draft-kamath-pppext-eap-mschapv2-02 §2). Every length
// field is checked against the bytes present, and packets longer than kMaxEapPacketLength are
// refused before anything else is read.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "base/bytes.hpp"
#include "wire/parse_result.hpp"

namespace cygnet::wire::eap {

// MSCHAPv2 and Identity packets are a few hundred bytes; EAP-TLS fragments stay under an MTU.
inline constexpr std::size_t kMaxEapPacketLength = 4096;

enum class Code : std::uint8_t { Request = 1, Response = 2, Success = 3, Failure = 4 };

enum class Type : std::uint8_t {
  Identity = 1,
  Notification = 2,
  Nak = 3,  // legacy Nak: the Response's data lists the types the peer would accept instead
  Md5Challenge = 4,
  Tls = 13,
  MsChapV2 = 26,
};

struct Packet {
  Code code = Code::Request;
  std::uint8_t identifier = 0;
  std::uint8_t type = 0;  // Request and Response only (a raw number: peers may send any type)
  Bytes type_data;        // Request and Response only
  friend bool operator==(const Packet&, const Packet&) = default;
};

struct ParseFailure {
  std::string detail;  // e.g. "EAP length 9 > 5 bytes present"
};
template <typename T>
using ParseResult = BasicParseResult<T, ParseFailure>;

ParseResult<Packet> parse_packet(ByteView data);
// Throws std::length_error when the packet would exceed kMaxEapPacketLength.
Bytes serialize_packet(const Packet& packet);

const char* code_name(Code code);  // "Request", ...

// --- EAP-MSCHAPv2 (type 26) ---
enum class MsChapV2OpCode : std::uint8_t { Challenge = 1, Response = 2, Success = 3, Failure = 4 };

inline constexpr std::size_t kMsChapV2ChallengeLength = 16;
inline constexpr std::size_t kMsChapV2ResponseValueLength =
    49;  // peer challenge, reserved, NT-Response, flags

struct MsChapV2Challenge {  // in a Request
  std::uint8_t ms_chap_id = 0;
  std::array<std::uint8_t, kMsChapV2ChallengeLength> challenge{};
  std::string name;  // the authenticator's name (informational)
  friend bool operator==(const MsChapV2Challenge&, const MsChapV2Challenge&) = default;
};

struct MsChapV2Response {  // in a Response
  std::uint8_t ms_chap_id = 0;
  std::array<std::uint8_t, 16> peer_challenge{};
  std::array<std::uint8_t, 24> nt_response{};
  std::uint8_t flags = 0;
  std::string name;  // the user name ChallengeHash uses
  friend bool operator==(const MsChapV2Response&, const MsChapV2Response&) = default;
};

// Success or Failure Request: the authenticator's message ("S=<40 hex> M=..." or "E=691 R=0 ...").
struct MsChapV2Result {
  MsChapV2OpCode op_code = MsChapV2OpCode::Success;
  std::uint8_t ms_chap_id = 0;
  std::string message;
  friend bool operator==(const MsChapV2Result&, const MsChapV2Result&) = default;
};

// The peer's acknowledgement of a Success or Failure Request: the op code alone.
struct MsChapV2Acknowledgement {
  MsChapV2OpCode op_code = MsChapV2OpCode::Success;
  friend bool operator==(const MsChapV2Acknowledgement&, const MsChapV2Acknowledgement&) = default;
};

using MsChapV2Message =
    std::variant<MsChapV2Challenge, MsChapV2Response, MsChapV2Result, MsChapV2Acknowledgement>;

// Parses the type data of an EAP-MSCHAPv2 packet sent with `code` (Request or Response), with
// MS-Length checked against the data present.
ParseResult<MsChapV2Message> parse_mschapv2(Code code, ByteView type_data);
Bytes serialize_mschapv2(const MsChapV2Message& message);
// The EAP code an MSCHAPv2 message travels in.
Code mschapv2_code(const MsChapV2Message& message);

}  // namespace cygnet::wire::eap
