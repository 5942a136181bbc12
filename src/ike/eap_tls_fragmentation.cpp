#include "ike/eap_tls_fragmentation.hpp"

#include <algorithm>

namespace cygnet::ike {

EapTlsReassembler::Outcome EapTlsReassembler::fail(std::string why) {
  expected_.reset();
  buffer_.clear();
  return Outcome{Outcome::Kind::Error, {}, std::move(why)};
}

EapTlsReassembler::Outcome EapTlsReassembler::add(const wire::eap::TlsFragment& fragment) {
  if (!expected_) {
    // A new message. Unfragmented, the length field is optional; fragmented, it is required.
    if (fragment.more_fragments && !fragment.message_length)
      return fail("first EAP-TLS fragment without the TLS Message Length (flag L)");
    const std::size_t total = fragment.message_length.value_or(fragment.data.size());
    if (total > max_message_length_)
      return fail("EAP-TLS message of " + std::to_string(total) + " bytes exceeds the limit of " +
                  std::to_string(max_message_length_));
    if (!fragment.more_fragments) {
      if (total != fragment.data.size())
        return fail("EAP-TLS Message Length " + std::to_string(total) + " but " +
                    std::to_string(fragment.data.size()) + " bytes in an unfragmented message");
      return Outcome{Outcome::Kind::Complete, fragment.data, {}};
    }
    expected_ = total;
    buffer_ = fragment.data;
    return Outcome{};
  }
  // A later fragment: the same total if it repeats one (a different one: another message's
  // fragment, out of order), never past the total.
  if (fragment.start) return fail("EAP-TLS Start in the middle of a fragmented message");
  if (fragment.message_length && *fragment.message_length != *expected_)
    return fail("EAP-TLS fragment announces " + std::to_string(*fragment.message_length) +
                " bytes in a message of " + std::to_string(*expected_) + " (out of order)");
  if (fragment.data.size() > *expected_ - buffer_.size())
    return fail("EAP-TLS fragments exceed the announced " + std::to_string(*expected_) + " bytes");
  buffer_.insert(buffer_.end(), fragment.data.begin(), fragment.data.end());
  if (fragment.more_fragments) {
    if (buffer_.size() == *expected_)
      return fail("EAP-TLS fragment flags more to come, but the announced " + std::to_string(*expected_) +
                  " bytes are all here");
    return Outcome{};
  }
  if (buffer_.size() != *expected_)
    return fail("last EAP-TLS fragment leaves the message at " + std::to_string(buffer_.size()) + " of " +
                std::to_string(*expected_) + " bytes");
  Outcome done{Outcome::Kind::Complete, std::move(buffer_), {}};
  expected_.reset();
  buffer_.clear();
  return done;
}

wire::eap::TlsFragment EapTlsFragmenter::begin(ByteView message) {
  queue_.clear();
  const std::size_t total = message.size();
  std::size_t offset = 0;
  do {
    const std::size_t n = std::min(fragment_size_, total - offset);
    wire::eap::TlsFragment f;
    f.data.assign(message.begin() + static_cast<std::ptrdiff_t>(offset),
                  message.begin() + static_cast<std::ptrdiff_t>(offset + n));
    offset += n;
    f.more_fragments = offset < total;
    queue_.push_back(std::move(f));
  } while (offset < total);
  // L on the first fragment: required when fragmented (RFC 5216 §3.1), allowed and harmless
  // when not.
  if (total > 0) queue_.front().message_length = static_cast<std::uint32_t>(total);
  return *next();
}

std::optional<wire::eap::TlsFragment> EapTlsFragmenter::next() {
  if (queue_.empty()) return std::nullopt;
  wire::eap::TlsFragment f = std::move(queue_.front());
  queue_.pop_front();
  return f;
}

}  // namespace cygnet::ike
