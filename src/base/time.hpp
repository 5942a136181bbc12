// Time as a value passed in by the caller: cores never read a clock, so a simulator can drive them.
#pragma once

#include <chrono>

namespace cygnet {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;
using Seconds = std::chrono::seconds;
using Milliseconds = std::chrono::milliseconds;

}  // namespace cygnet
