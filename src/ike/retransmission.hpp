// Retransmission timing (RFC 7296 §2.1): the requester alone retransmits, after
// retransmit_timeout × retransmit_base^n for the n-th retransmission.
#pragma once

#include "base/time.hpp"
#include "ike/engine.hpp"

namespace cygnet::ike {

// Delay before retransmission number n + 1 (n = retransmissions already sent).
Duration retransmit_delay(const EngineOptions& options, unsigned n);
// How long a request can stay unanswered before the requester gives up (all retransmissions).
Duration retransmit_total(const EngineOptions& options);

}  // namespace cygnet::ike
