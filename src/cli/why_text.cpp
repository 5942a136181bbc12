#include "cli/why_text.hpp"

#include "cli/text_format.hpp"

namespace cygnet::cli {

using json = nlohmann::json;

namespace {

void failure_lines(std::string& out, const json& failure) {
  const json& text = member(failure, "text");
  if (!text.is_array() || text.empty()) {
    out += "  " + last_failure_line(failure) + "\n";
    return;
  }
  for (const json& line : text)
    out += "  " + (line.is_string() ? line.get<std::string>() : std::string("?")) + "\n";
}

}  // namespace

std::string last_failure_line(const json& failure) {
  std::string line = "last failure";
  if (auto age = integer_at(failure, "age_seconds")) line += " " + std::to_string(*age) + " s ago";
  line += ": " + text_at(failure, "class") + " (" + text_at(failure, "role");
  const std::string exchange = text_at(failure, "exchange", "");
  if (!exchange.empty()) line += ", " + exchange;
  line += "): " + text_at(failure, "summary");
  return line;
}

std::string render_why(const json& result) {
  const std::string name = text_at(result, "connection");
  const json& failure = member(result, "last_failure");
  std::string out;
  if (flag_at(result, "up")) {
    out += name + " is up: " + text_at(result, "ike_sas") + " IKE SA(s), " + text_at(result, "child_sas") +
           " CHILD SA(s) established\n";
    if (failure.is_object()) {
      out += "the last failure before that:\n";
      failure_lines(out, failure);
    }
    return out;
  }
  if (!failure.is_object()) {
    out = name + " is not up, and nothing has failed yet (start_action " + text_at(result, "start_action") +
          ")\n";
    const json& stray = member(result, "unattributed_failure");
    if (stray.is_object()) {
      out += "a negotiation that matched no connection failed:\n";
      failure_lines(out, stray);
    }
    return out;
  }
  out += name + " is not up. The last failure:\n";
  failure_lines(out, failure);
  return out;
}

}  // namespace cygnet::cli
