#include "ipsec/security_association.hpp"

#include <new>
#include <stdexcept>
#include <string>

#include "ipsec/packet_batch.hpp"
#include "wire/ip_packet.hpp"

namespace cygnet::ipsec {

namespace {

void require(bool condition, const std::string& what) {
  if (!condition) throw std::invalid_argument(what);
}

// An SA is used in one direction only, so only that direction's cipher context is scheduled.
crypto::AeadUse aead_use(Direction d) {
  return d == Direction::Outbound ? crypto::AeadUse::Seal : crypto::AeadUse::Open;
}

}  // namespace

// One worker's share of the SA: its own cipher contexts and its statistics shard, on cache lines
// no other worker writes.
struct alignas(64) SecurityAssociation::WorkerState {
  std::optional<crypto::Aead> aead;
  std::optional<crypto::CbcCipher> cbc;
  std::optional<crypto::Hmac> hmac;
  std::atomic<std::uint64_t> packets{0};
  std::atomic<std::uint64_t> bytes{0};
  std::array<std::atomic<std::uint64_t>, kDropReasonCount> drops{};
  // Held during a PacketBatch (packet_batch.hpp); only this worker's thread touches them.
  std::uint64_t held_packets = 0;
  std::uint64_t held_bytes = 0;
  bool noted_in_batch = false;
};

namespace {

// A shard counter has one writer (the slot's thread): a relaxed load and store is enough and
// costs no locked instruction; readers on other threads see whole values.
void add_single_writer(std::atomic<std::uint64_t>& counter, std::uint64_t n) {
  counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

}  // namespace

void SecurityAssociation::prepare_outer_header() {
  outer_ipv4_.reset();
  if (params_.local_address.is_v4()) {
    const std::uint8_t outer_protocol = params_.protocol == IpsecProtocol::Ah ? wire::ip_protocol::kAh
                                        : params_.udp_encapsulation           ? wire::ip_protocol::kUdp
                                                                              : wire::ip_protocol::kEsp;
    outer_ipv4_.emplace(params_.local_address, params_.remote_address, outer_protocol);
  }
}

bool SecurityAssociation::move_endpoints(const wire::IpAddress& local, const wire::IpAddress& remote,
                                         const std::optional<UdpEncapsulation>& udp_encapsulation) {
  if (local.family() != remote.family() || local.family() != params_.local_address.family()) return false;
  if (udp_encapsulation && params_.protocol == IpsecProtocol::Ah) return false;
  params_.local_address = local;
  params_.remote_address = remote;
  params_.udp_encapsulation = udp_encapsulation;
  prepare_outer_header();
  return true;
}

SecurityAssociation::SecurityAssociation(SaParameters params, TimePoint created)
    : params_(std::move(params)),
      replay_(params_.direction == Direction::Inbound ? params_.replay_window : 0,
              params_.extended_sequence_numbers),
      lifetime_(params_.lifetime, created) {
  const std::string who = "SA " + params_.name + ": ";
  require(params_.spi > 255, who + "SPI must be above 255 (RFC 4303 §2.1 reserves 0-255)");
  require(params_.local_address.family() == params_.remote_address.family(),
          who + "outer addresses must be of one family");
  prepare_outer_header();

  if (params_.integrity) {
    crypto::IntegrityAlgorithm integ = *params_.integrity;
    require(params_.integrity_key.size() == crypto::integrity_key_length(integ),
            who + "integrity key must be " + std::to_string(crypto::integrity_key_length(integ)) + " bytes");
    integrity_key_ = std::move(params_.integrity_key);
    icv_length_ = crypto::integrity_icv_length(integ);
  }

  if (params_.protocol == IpsecProtocol::Ah) {
    require(params_.integrity.has_value(), who + "AH needs an integrity algorithm");
    require(params_.encryption.kind == EncryptionTransform::Kind::Null && params_.encryption_key.empty(),
            who + "AH takes no encryption");
    require(!params_.udp_encapsulation, who + "AH cannot be UDP-encapsulated (RFC 3948 covers ESP only)");
  } else {
    const EncryptionTransform& enc = params_.encryption;
    require(params_.encryption_key.size() == enc.key_material_length(),
            who + "encryption key material must be " + std::to_string(enc.key_material_length()) + " bytes");
    switch (enc.kind) {
      case EncryptionTransform::Kind::Aead: {
        require(!params_.integrity, who + "an AEAD takes no separate integrity algorithm");
        std::size_t key_len = crypto::aead_key_length(enc.aead);
        ByteView salt = params_.encryption_key.view().subspan(key_len, kAeadSaltLength);
        std::copy(salt.begin(), salt.end(), salt_.begin());
        icv_length_ = enc.aead_icv_length;
        break;
      }
      case EncryptionTransform::Kind::Cbc:
        require(params_.integrity || params_.allow_encryption_without_integrity,
                who + "CBC encryption without integrity is refused (RFC 8221)");
        break;
      case EncryptionTransform::Kind::Null:
        require(params_.integrity.has_value(),
                who + "NULL encryption needs an integrity algorithm (RFC 4303 §3.2)");
        break;
    }
  }
  // Only the SA's private copies remain (wiped with it); params() hands out no key.
  encryption_key_ = std::move(params_.encryption_key);
  params_.encryption_key = crypto::SecureBytes();
  params_.integrity_key = crypto::SecureBytes();
  unslotted_ = std::make_unique<WorkerState>();
  // Schedule the creating thread's contexts now: a bad key throws here, not on the first packet.
  std::unique_ptr<WorkerState> creator = make_worker_state();
  const std::size_t slot = current_worker_slot();
  if (slot != kNoWorkerSlot) workers_[slot].store(creator.release(), std::memory_order_release);
}

SecurityAssociation::~SecurityAssociation() {
  for (auto& worker : workers_) delete worker.load(std::memory_order_acquire);
}

std::unique_ptr<SecurityAssociation::WorkerState> SecurityAssociation::make_worker_state() const {
  auto state = std::make_unique<WorkerState>();
  if (params_.integrity)
    state->hmac.emplace(crypto::integrity_hash(*params_.integrity), integrity_key_.view());
  const EncryptionTransform& enc = params_.encryption;
  if (params_.protocol == IpsecProtocol::Esp && enc.kind == EncryptionTransform::Kind::Aead) {
    const std::size_t key_len = crypto::aead_key_length(enc.aead);
    state->aead.emplace(enc.aead, encryption_key_.view().first(key_len), enc.aead_icv_length,
                        aead_use(params_.direction));
  } else if (params_.protocol == IpsecProtocol::Esp && enc.kind == EncryptionTransform::Kind::Cbc) {
    state->cbc.emplace(enc.cbc, encryption_key_.view());
  }
  return state;
}

SecurityAssociation::WorkerState* SecurityAssociation::worker_state() {
  const std::size_t slot = current_worker_slot();
  if (slot == kNoWorkerSlot) return nullptr;
  // Only this thread ever stores into its slot, so a plain check-then-store is race-free.
  WorkerState* state = workers_[slot].load(std::memory_order_acquire);
  if (state != nullptr) return state;
  try {
    state = make_worker_state().release();
  } catch (const std::exception&) {  // OpenSSL or memory failure: the packet is dropped, counted
    return nullptr;
  }
  workers_[slot].store(state, std::memory_order_release);
  return state;
}

bool SecurityAssociation::prepare_worker() {
  return worker_state() != nullptr;
}

crypto::Aead* SecurityAssociation::aead() {
  WorkerState* state = worker_state();
  return state != nullptr && state->aead ? &*state->aead : nullptr;
}

crypto::CbcCipher* SecurityAssociation::cbc() {
  WorkerState* state = worker_state();
  return state != nullptr && state->cbc ? &*state->cbc : nullptr;
}

crypto::Hmac* SecurityAssociation::integrity() {
  WorkerState* state = worker_state();
  return state != nullptr && state->hmac ? &*state->hmac : nullptr;
}

void SecurityAssociation::count_traffic(std::uint64_t inner_bytes) {
  const std::size_t slot = current_worker_slot();
  WorkerState* state = slot == kNoWorkerSlot ? nullptr : workers_[slot].load(std::memory_order_acquire);
  if (state != nullptr) {
    add_single_writer(state->packets, 1);
    add_single_writer(state->bytes, inner_bytes);
  } else {
    unslotted_->packets.fetch_add(1, std::memory_order_relaxed);
    unslotted_->bytes.fetch_add(inner_bytes, std::memory_order_relaxed);
  }
}

LifetimeEvent SecurityAssociation::account_packet(std::uint64_t inner_bytes, TimePoint now) {
  PacketBatch* batch = PacketBatch::current();
  if (batch != nullptr) {
    const std::size_t slot = current_worker_slot();
    WorkerState* state = slot == kNoWorkerSlot ? nullptr : workers_[slot].load(std::memory_order_acquire);
    if (state != nullptr && (state->noted_in_batch || batch->note(*this))) {
      state->noted_in_batch = true;
      state->held_packets += 1;
      state->held_bytes += inner_bytes;
      return lifetime_.on_packet_held(state->held_bytes, state->held_packets, now);
    }
  }
  count_traffic(inner_bytes);
  return lifetime_.on_packet(inner_bytes, now);
}

void SecurityAssociation::release_held() {
  const std::size_t slot = current_worker_slot();
  WorkerState* state = slot == kNoWorkerSlot ? nullptr : workers_[slot].load(std::memory_order_acquire);
  if (state == nullptr || !state->noted_in_batch) return;
  add_single_writer(state->packets, state->held_packets);
  add_single_writer(state->bytes, state->held_bytes);
  lifetime_.add_use(state->held_bytes, state->held_packets);
  state->held_packets = 0;
  state->held_bytes = 0;
  state->noted_in_batch = false;
}

void SecurityAssociation::count_drop(DropReason reason) {
  const auto index = static_cast<std::size_t>(reason);
  const std::size_t slot = current_worker_slot();
  WorkerState* state = slot == kNoWorkerSlot ? nullptr : workers_[slot].load(std::memory_order_acquire);
  if (state != nullptr) {
    add_single_writer(state->drops[index], 1);
  } else {
    unslotted_->drops[index].fetch_add(1, std::memory_order_relaxed);
  }
}

TrafficCounters SecurityAssociation::traffic() const {
  TrafficCounters sum;
  auto add = [&sum](const WorkerState& state) {
    sum.packets += state.packets.load(std::memory_order_relaxed);
    sum.bytes += state.bytes.load(std::memory_order_relaxed);
  };
  for (const auto& worker : workers_) {
    if (const WorkerState* state = worker.load(std::memory_order_acquire)) add(*state);
  }
  add(*unslotted_);
  return sum;
}

DropCounters SecurityAssociation::drops() const {
  DropCounters sum;
  auto add = [&sum](const WorkerState& state) {
    for (std::size_t r = 0; r < kDropReasonCount; ++r)
      sum.by_reason[r] += state.drops[r].load(std::memory_order_relaxed);
  };
  for (const auto& worker : workers_) {
    if (const WorkerState* state = worker.load(std::memory_order_acquire)) add(*state);
  }
  add(*unslotted_);
  return sum;
}

std::optional<std::uint64_t> SecurityAssociation::next_sequence() {
  const std::uint64_t limit = params_.extended_sequence_numbers ? UINT64_MAX : UINT32_MAX;
  // A compare-and-swap rather than fetch_add: the counter must stop exactly at the limit (with ESN
  // the limit is 2^64-1, where a fetch_add past it would wrap to 0 and hand out 1 again).
  std::uint64_t last = last_sent_.load(std::memory_order_relaxed);
  do {
    if (last >= limit) {
      exhausted_.store(true, std::memory_order_release);
      return std::nullopt;
    }
  } while (!last_sent_.compare_exchange_weak(last, last + 1, std::memory_order_relaxed));
  return last + 1;
}

void SecurityAssociation::advance_sequence_to(std::uint64_t last_sent) {
  std::uint64_t last = last_sent_.load(std::memory_order_relaxed);
  while (last_sent > last && !last_sent_.compare_exchange_weak(last, last_sent, std::memory_order_relaxed)) {
  }
}

}  // namespace cygnet::ipsec
