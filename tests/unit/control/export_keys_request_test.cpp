// The export-keys request: accepted only with "format": "wireshark".
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "control/control_protocol.hpp"

namespace cygnet::control {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;

TEST(ExportKeysRequest, WiresharkFormatIsAccepted) {
  std::string error;
  EXPECT_TRUE(validate_request(json{{"command", "export-keys"}, {"format", "wireshark"}}, error)) << error;
}

TEST(ExportKeysRequest, MissingOrOtherFormatIsRefusedInWords) {
  for (const json& request :
       {json{{"command", "export-keys"}}, json{{"command", "export-keys"}, {"format", "pcapng"}},
        json{{"command", "export-keys"}, {"format", 1}}}) {
    std::string error;
    EXPECT_FALSE(validate_request(request, error)) << request.dump();
    EXPECT_THAT(error, HasSubstr("\"format\": \"wireshark\""));
  }
}

TEST(ExportKeysRequest, UnknownCommandErrorListsIt) {
  std::string error;
  EXPECT_FALSE(validate_request(json{{"command", "export"}}, error));
  EXPECT_THAT(error, HasSubstr("export-keys"));
}

}  // namespace
}  // namespace cygnet::control
