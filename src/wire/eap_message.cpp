#include "wire/eap_message.hpp"

#include <cstring>
#include <stdexcept>

#include "wire/byte_reader.hpp"

namespace cygnet::wire::eap {
namespace {

template <typename T>
ParseResult<T> fail(std::string detail) {
  return ParseResult<T>::failed(ParseFailure{std::move(detail)});
}

std::string text_of(ByteView bytes) {
  return std::string(bytes.begin(), bytes.end());
}

void append_u16(Bytes& out, std::size_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

void append_text(Bytes& out, const std::string& text) {
  out.insert(out.end(), text.begin(), text.end());
}

constexpr std::size_t kHeaderLength = 4;  // code, identifier, length

}  // namespace

const char* code_name(Code code) {
  switch (code) {
    case Code::Request: return "Request";
    case Code::Response: return "Response";
    case Code::Success: return "Success";
    case Code::Failure: return "Failure";
  }
  return "unknown";
}

ParseResult<Packet> parse_packet(ByteView data) {
  if (data.size() > kMaxEapPacketLength)
    return fail<Packet>("EAP packet of " + std::to_string(data.size()) + " bytes exceeds " +
                        std::to_string(kMaxEapPacketLength));
  ByteReader reader(data);
  const auto code = reader.u8();
  const auto identifier = reader.u8();
  const auto length = reader.u16();
  if (!length) return fail<Packet>("EAP header truncated: " + std::to_string(data.size()) + " bytes");
  if (*length != data.size())  // the payload holds exactly one packet (RFC 7296 §3.16)
    return fail<Packet>("EAP length " + std::to_string(*length) + " != " + std::to_string(data.size()) +
                        " bytes present");
  Packet packet;
  packet.identifier = *identifier;
  switch (*code) {
    case 1:
    case 2: {
      packet.code = static_cast<Code>(*code);
      const auto type = reader.u8();
      if (!type) return fail<Packet>("EAP Request/Response without a type");
      packet.type = *type;
      const ByteView rest = reader.rest();
      packet.type_data.assign(rest.begin(), rest.end());
      return ParseResult<Packet>::ok(std::move(packet));
    }
    case 3:
    case 4:
      packet.code = static_cast<Code>(*code);
      if (*length != kHeaderLength)  // RFC 3748 §4.2: Success and Failure carry no data
        return fail<Packet>(std::string("EAP ") + code_name(packet.code) + " with " +
                            std::to_string(*length - kHeaderLength) + " bytes of data");
      return ParseResult<Packet>::ok(std::move(packet));
    default: return fail<Packet>("EAP code " + std::to_string(*code) + " unknown");
  }
}

Bytes serialize_packet(const Packet& packet) {
  const bool has_type = packet.code == Code::Request || packet.code == Code::Response;
  const std::size_t length = kHeaderLength + (has_type ? 1 + packet.type_data.size() : 0);
  if (length > kMaxEapPacketLength) throw std::length_error("EAP packet too long");
  Bytes out;
  out.reserve(length);
  out.push_back(static_cast<std::uint8_t>(packet.code));
  out.push_back(packet.identifier);
  append_u16(out, length);
  if (has_type) {
    out.push_back(packet.type);
    out.insert(out.end(), packet.type_data.begin(), packet.type_data.end());
  }
  return out;
}

ParseResult<MsChapV2Message> parse_mschapv2(Code code, ByteView type_data) {
  using Result = ParseResult<MsChapV2Message>;
  ByteReader reader(type_data);
  const auto op = reader.u8();
  if (!op) return fail<MsChapV2Message>("MSCHAPv2: no op code");
  const bool request = code == Code::Request;
  if (code != Code::Request && code != Code::Response)
    return fail<MsChapV2Message>("MSCHAPv2 inside an EAP Success/Failure");
  // A peer acknowledges Success/Failure with the op code alone (draft-kamath §2.4, §2.5).
  if (!request && (*op == 3 || *op == 4)) {
    if (type_data.size() != 1) return fail<MsChapV2Message>("MSCHAPv2 acknowledgement with trailing data");
    return Result::ok(MsChapV2Acknowledgement{static_cast<MsChapV2OpCode>(*op)});
  }
  const auto ms_chap_id = reader.u8();
  const auto ms_length = reader.u16();
  if (!ms_length) return fail<MsChapV2Message>("MSCHAPv2 header truncated");
  // MS-Length counts from the op code to the end of the EAP packet.
  if (*ms_length != type_data.size())
    return fail<MsChapV2Message>("MSCHAPv2 MS-Length " + std::to_string(*ms_length) +
                                 " != " + std::to_string(type_data.size()) + " bytes present");
  switch (*op) {
    case 1: {
      if (!request) return fail<MsChapV2Message>("MSCHAPv2 Challenge in a Response");
      const auto value_size = reader.u8();
      if (!value_size || *value_size != kMsChapV2ChallengeLength)
        return fail<MsChapV2Message>("MSCHAPv2 Challenge value size is not 16");
      const auto value = reader.bytes(kMsChapV2ChallengeLength);
      if (!value) return fail<MsChapV2Message>("MSCHAPv2 Challenge truncated");
      MsChapV2Challenge challenge;
      challenge.ms_chap_id = *ms_chap_id;
      std::memcpy(challenge.challenge.data(), value->data(), challenge.challenge.size());
      challenge.name = text_of(reader.rest());
      return Result::ok(std::move(challenge));
    }
    case 2: {
      if (request) return fail<MsChapV2Message>("MSCHAPv2 Response in a Request");
      const auto value_size = reader.u8();
      if (!value_size || *value_size != kMsChapV2ResponseValueLength)
        return fail<MsChapV2Message>("MSCHAPv2 Response value size is not 49");
      const auto peer_challenge = reader.bytes(16);
      const bool reserved_read = reader.skip(8);
      const auto nt_response = reader.bytes(24);
      const auto flags = reader.u8();
      if (!peer_challenge || !reserved_read || !nt_response || !flags)
        return fail<MsChapV2Message>("MSCHAPv2 Response truncated");
      MsChapV2Response response;
      response.ms_chap_id = *ms_chap_id;
      std::memcpy(response.peer_challenge.data(), peer_challenge->data(), 16);
      std::memcpy(response.nt_response.data(), nt_response->data(), 24);
      response.flags = *flags;
      response.name = text_of(reader.rest());
      return Result::ok(std::move(response));
    }
    case 3:
    case 4:
      return Result::ok(
          MsChapV2Result{static_cast<MsChapV2OpCode>(*op), *ms_chap_id, text_of(reader.rest())});
    default: return fail<MsChapV2Message>("MSCHAPv2 op code " + std::to_string(*op) + " unknown");
  }
}

namespace {

struct MsChapV2Encoder {
  Bytes& out;

  void header(MsChapV2OpCode op, std::uint8_t id) const {
    out.push_back(static_cast<std::uint8_t>(op));
    out.push_back(id);
    append_u16(out, 0);  // MS-Length, patched by serialize_mschapv2
  }
  void operator()(const MsChapV2Challenge& c) const {
    header(MsChapV2OpCode::Challenge, c.ms_chap_id);
    out.push_back(static_cast<std::uint8_t>(kMsChapV2ChallengeLength));
    out.insert(out.end(), c.challenge.begin(), c.challenge.end());
    append_text(out, c.name);
  }
  void operator()(const MsChapV2Response& r) const {
    header(MsChapV2OpCode::Response, r.ms_chap_id);
    out.push_back(static_cast<std::uint8_t>(kMsChapV2ResponseValueLength));
    out.insert(out.end(), r.peer_challenge.begin(), r.peer_challenge.end());
    out.insert(out.end(), 8, 0);  // reserved
    out.insert(out.end(), r.nt_response.begin(), r.nt_response.end());
    out.push_back(r.flags);
    append_text(out, r.name);
  }
  void operator()(const MsChapV2Result& r) const {
    header(r.op_code, r.ms_chap_id);
    append_text(out, r.message);
  }
  void operator()(const MsChapV2Acknowledgement& a) const {
    out.push_back(static_cast<std::uint8_t>(a.op_code));
  }
};

}  // namespace

Bytes serialize_mschapv2(const MsChapV2Message& message) {
  Bytes out;
  std::visit(MsChapV2Encoder{out}, message);
  if (out.size() > kMaxEapPacketLength) throw std::length_error("MSCHAPv2 message too long");
  if (!std::holds_alternative<MsChapV2Acknowledgement>(message)) {
    out[2] = static_cast<std::uint8_t>(out.size() >> 8);
    out[3] = static_cast<std::uint8_t>(out.size());
  }
  return out;
}

Code mschapv2_code(const MsChapV2Message& message) {
  return std::holds_alternative<MsChapV2Response>(message) ||
                 std::holds_alternative<MsChapV2Acknowledgement>(message)
             ? Code::Response
             : Code::Request;
}

}  // namespace cygnet::wire::eap
