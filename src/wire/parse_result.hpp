// The outcome of parsing one thing off the wire: a value, or a failure saying why. Each protocol
// codec (IKEv2, ISAKMP) names its own failure type and aliases ParseResult<T> to this.
#pragma once

#include <optional>
#include <utility>

namespace cygnet::wire {

template <typename T, typename Failure>
struct BasicParseResult {
  std::optional<T> value;
  Failure failure;  // meaningful when !value
  explicit operator bool() const { return value.has_value(); }

  static BasicParseResult ok(T v) {
    BasicParseResult r;
    r.value = std::move(v);
    return r;
  }
  static BasicParseResult failed(Failure f) {
    BasicParseResult r;
    r.failure = std::move(f);
    return r;
  }
};

}  // namespace cygnet::wire
