// The EAP packet codec (RFC 3748 §4) and EAP-MSCHAPv2 (draft-kamath-pppext-eap-mschapv2-02 §2).
#include "wire/eap_message.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace cygnet::wire::eap {
namespace {

Packet parsed(const Bytes& data) {
  auto result = parse_packet(data);
  EXPECT_TRUE(result) << result.failure.detail;
  return result ? *result.value : Packet{};
}

std::string refusal(const Bytes& data) {
  auto result = parse_packet(data);
  EXPECT_FALSE(result) << "unexpectedly parsed " << to_hex(data);
  return result.failure.detail;
}

TEST(EapPacket, IdentityRequestAndResponse) {
  // RFC 3748 §5.1: Request/Identity with no data; the Response carries the identity.
  const Packet request = parsed(from_hex("0101000501"));
  EXPECT_EQ(request.code, Code::Request);
  EXPECT_EQ(request.identifier, 1);
  EXPECT_EQ(request.type, static_cast<std::uint8_t>(Type::Identity));
  EXPECT_TRUE(request.type_data.empty());

  const Packet response{Code::Response, 1, static_cast<std::uint8_t>(Type::Identity),
                        Bytes{'a', 'l', 'i', 'c', 'e'}};
  EXPECT_EQ(to_hex(serialize_packet(response)), "0201000a01616c696365");
  EXPECT_EQ(parsed(serialize_packet(response)), response);
}

TEST(EapPacket, SuccessAndFailureCarryNoData) {
  EXPECT_EQ(parsed(from_hex("03070004")).code, Code::Success);
  EXPECT_EQ(parsed(from_hex("04070004")).code, Code::Failure);
  EXPECT_EQ(to_hex(serialize_packet(Packet{Code::Failure, 9, 0, {}})), "04090004");
  EXPECT_NE(refusal(from_hex("0307000501")).find("Success with 1 bytes"), std::string::npos);
}

TEST(EapPacket, EveryLengthIsChecked) {
  EXPECT_NE(refusal(from_hex("010100")).find("truncated"), std::string::npos);
  EXPECT_NE(refusal(from_hex("0101000601")).find("EAP length 6 != 5"), std::string::npos);    // claims more
  EXPECT_NE(refusal(from_hex("010100050101")).find("EAP length 5 != 6"), std::string::npos);  // trailing
  EXPECT_NE(refusal(from_hex("01010004")).find("without a type"), std::string::npos);
  EXPECT_NE(refusal(from_hex("05010004")).find("code 5 unknown"), std::string::npos);
  EXPECT_FALSE(parse_packet({}));
}

TEST(EapPacket, OversizedPacketsAreRefusedAndNeverBuilt) {
  Bytes big(kMaxEapPacketLength + 1, 0);
  big[0] = 2;
  big[2] = static_cast<std::uint8_t>(big.size() >> 8);
  big[3] = static_cast<std::uint8_t>(big.size());
  big[4] = 1;
  EXPECT_NE(refusal(big).find("exceeds"), std::string::npos);
  EXPECT_THROW(serialize_packet(Packet{Code::Response, 1, 1, Bytes(kMaxEapPacketLength)}), std::length_error);
}

MsChapV2Message parsed_mschapv2(Code code, const Bytes& data) {
  auto result = parse_mschapv2(code, data);
  EXPECT_TRUE(result) << result.failure.detail;
  return result ? *result.value : MsChapV2Message{};
}

TEST(EapMsChapV2Codec, ChallengeLayout) {
  MsChapV2Challenge challenge;
  challenge.ms_chap_id = 7;
  for (std::size_t i = 0; i < 16; ++i) challenge.challenge[i] = static_cast<std::uint8_t>(i);
  challenge.name = "gw";
  // op 1, id 7, MS-Length 23 (4 + 1 + 16 + 2), value size 16, challenge, name.
  const Bytes bytes = serialize_mschapv2(challenge);
  EXPECT_EQ(to_hex(bytes),
            "01070017"
            "10"
            "000102030405060708090a0b0c0d0e0f"
            "6777");
  EXPECT_EQ(parsed_mschapv2(Code::Request, bytes), MsChapV2Message(challenge));
  EXPECT_EQ(mschapv2_code(challenge), Code::Request);
}

TEST(EapMsChapV2Codec, ResponseLayoutWithRfc2759Values) {
  MsChapV2Response response;
  response.ms_chap_id = 7;
  const Bytes peer = from_hex("21402324255E262A28295F2B3A337C7E");
  const Bytes nt = from_hex("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF");
  std::copy(peer.begin(), peer.end(), response.peer_challenge.begin());
  std::copy(nt.begin(), nt.end(), response.nt_response.begin());
  response.name = "User";
  const Bytes bytes = serialize_mschapv2(response);
  ASSERT_EQ(bytes.size(), 4u + 1 + 49 + 4);
  EXPECT_EQ(to_hex(ByteView(bytes).first(5)), "0207003a31");              // MS-Length 58, value size 49
  EXPECT_EQ(to_hex(ByteView(bytes).subspan(21, 8)), "0000000000000000");  // reserved
  EXPECT_EQ(parsed_mschapv2(Code::Response, bytes), MsChapV2Message(response));
  EXPECT_EQ(mschapv2_code(response), Code::Response);
}

TEST(EapMsChapV2Codec, SuccessRequestAndAcknowledgement) {
  const MsChapV2Result success{MsChapV2OpCode::Success, 7, "S=407A5589115FD0D6209F510FE9C04566932CDA56 M=ok"};
  EXPECT_EQ(parsed_mschapv2(Code::Request, serialize_mschapv2(success)), MsChapV2Message(success));
  const MsChapV2Acknowledgement ack{MsChapV2OpCode::Success};
  EXPECT_EQ(to_hex(serialize_mschapv2(ack)), "03");
  EXPECT_EQ(parsed_mschapv2(Code::Response, from_hex("03")), MsChapV2Message(ack));
  EXPECT_EQ(parsed_mschapv2(Code::Response, from_hex("04")),
            MsChapV2Message(MsChapV2Acknowledgement{MsChapV2OpCode::Failure}));
}

TEST(EapMsChapV2Codec, MalformedMessagesAreRefused) {
  auto refused = [](Code code, const char* hex) {
    auto result = parse_mschapv2(code, from_hex(hex));
    EXPECT_FALSE(result) << hex;
    return result.failure.detail;
  };
  EXPECT_NE(refused(Code::Request, "").find("no op code"), std::string::npos);
  EXPECT_NE(refused(Code::Request, "0107").find("truncated"), std::string::npos);
  EXPECT_NE(refused(Code::Request,
                    "01070016"
                    "10"
                    "000102030405060708090a0b0c0d0e0f"
                    "6777")
                .find("MS-Length 22"),
            std::string::npos);
  EXPECT_NE(refused(Code::Request,
                    "01070016"
                    "0f"
                    "000102030405060708090a0b0c0d0e"
                    "6777")
                .find("value size"),
            std::string::npos);
  EXPECT_NE(refused(Code::Request,
                    "02070005"
                    "31")
                .find("Response in a Request"),
            std::string::npos);
  EXPECT_NE(refused(Code::Response,
                    "01070005"
                    "10")
                .find("Challenge in a Response"),
            std::string::npos);
  EXPECT_NE(refused(Code::Response,
                    "02070009"
                    "3100000000")
                .find("truncated"),
            std::string::npos);
  EXPECT_NE(refused(Code::Response, "0300").find("trailing"), std::string::npos);
  EXPECT_NE(refused(Code::Request, "09070004").find("op code 9"), std::string::npos);
  EXPECT_NE(refused(Code::Success, "03").find("inside an EAP Success"), std::string::npos);
}

}  // namespace
}  // namespace cygnet::wire::eap
