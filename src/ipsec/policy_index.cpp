#include "ipsec/policy_index.hpp"

#include <algorithm>
#include <optional>

namespace cygnet::ipsec {

AddressWords PolicyIndex::prefix_mask(std::size_t length) {
  std::array<std::uint8_t, 16> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const std::size_t covered = length >= (i + 1) * 8 ? 8 : (length > i * 8 ? length - i * 8 : 0);
    bytes[i] = static_cast<std::uint8_t>(covered == 0 ? 0 : 0xFFu << (8 - covered));
  }
  AddressWords words;
  std::memcpy(words.data(), bytes.data(), bytes.size());
  return words;
}

std::vector<PolicyIndex::Shape>::iterator PolicyIndex::find_shape(const Selector& selector,
                                                                  std::size_t local_length,
                                                                  std::size_t remote_length) {
  return std::find_if(shapes_.begin(), shapes_.end(), [&](const Shape& s) {
    return s.local_family == selector.local.family() && s.remote_family == selector.remote.family() &&
           s.local_length == local_length && s.remote_length == remote_length;
  });
}

AddressPair PolicyIndex::pair_of(const Selector& selector, const Shape& shape) {
  // A prefix range's first address is its network address.
  return AddressPair{masked(words_of(selector.local.first), shape.local_mask),
                     masked(words_of(selector.remote.first), shape.remote_mask)};
}

void PolicyIndex::sort_shapes() {
  std::sort(shapes_.begin(), shapes_.end(),
            [](const Shape& a, const Shape& b) { return a.first_rank < b.first_rank; });
}

void PolicyIndex::insert_candidate(Candidates& candidates, Candidate candidate) {
  auto at = std::lower_bound(candidates.begin(), candidates.end(), candidate.rank,
                             [](const Candidate& c, Rank rank) { return c.rank < rank; });
  candidates.insert(at, candidate);
}

bool PolicyIndex::erase_candidate(Candidates& candidates, Rank rank) {
  auto at = std::lower_bound(candidates.begin(), candidates.end(), rank,
                             [](const Candidate& c, Rank r) { return c.rank < r; });
  if (at == candidates.end() || at->rank != rank) return false;
  candidates.erase(at);
  return true;
}

void PolicyIndex::insert(const Selector& selector, Rank rank, const Policy* policy) {
  const auto local_length = selector.local.prefix_length();
  const auto remote_length = selector.remote.prefix_length();
  if (!local_length || !remote_length) {
    insert_candidate(unindexed_, Candidate{rank, policy});
    return;
  }
  auto shape = find_shape(selector, *local_length, *remote_length);
  if (shape == shapes_.end()) {
    Shape created;
    created.local_family = selector.local.family();
    created.remote_family = selector.remote.family();
    created.local_length = *local_length;
    created.remote_length = *remote_length;
    created.local_mask = prefix_mask(*local_length);
    created.remote_mask = prefix_mask(*remote_length);
    shapes_.push_back(std::move(created));  // sorted last (first_rank kNoRank) until it holds a policy
    shape = std::prev(shapes_.end());
  }
  const bool addresses_decide =
      selector.protocol == 0 && selector.local_ports.is_any() && selector.remote_ports.is_any();
  shape->pairs.insert(pair_of(selector, *shape), Candidate{rank, policy, addresses_decide});
  try {
    shape->ranks.insert(rank);
  } catch (...) {
    shape->pairs.erase(pair_of(selector, *shape), rank);  // index and ranks stay in step
    throw;
  }
  if (rank < shape->first_rank) {
    shape->first_rank = rank;
    sort_shapes();
  }
}

void PolicyIndex::erase(const Selector& selector, Rank rank) {
  const auto local_length = selector.local.prefix_length();
  const auto remote_length = selector.remote.prefix_length();
  if (!local_length || !remote_length) {
    erase_candidate(unindexed_, rank);
    return;
  }
  auto shape = find_shape(selector, *local_length, *remote_length);
  if (shape == shapes_.end()) return;
  if (!shape->pairs.erase(pair_of(selector, *shape), rank)) return;
  shape->ranks.erase(rank);
  if (shape->ranks.empty()) {
    shapes_.erase(shape);
  } else if (shape->first_rank != *shape->ranks.begin()) {
    shape->first_rank = *shape->ranks.begin();
    sort_shapes();
  }
}

}  // namespace cygnet::ipsec
