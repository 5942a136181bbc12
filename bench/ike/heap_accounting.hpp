// The heap the benchmark process holds right now: every operator new and OPENSSL_malloc block
// (ike_bench.cpp replaces both allocators and counts malloc_usable_size of each live block).
#pragma once

#include <cstdint>

namespace cygnet::bench {
std::int64_t live_heap_bytes();
}  // namespace cygnet::bench
