#include "ipsec/policy_index.hpp"

#include <algorithm>
#include <optional>

namespace cygnet::ipsec {

std::size_t PolicyIndex::AddressPairHash::operator()(const AddressPair& pair) const {
  // Multiply-xorshift rounds (the finaliser of MurmurHash3): every input bit reaches every output
  // bit, so networks differing only in a few bits still spread over the buckets.
  auto mix = [](std::uint64_t h, std::uint64_t word) {
    h ^= word;
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 33);
  };
  std::uint64_t h = 0x9e3779b97f4a7c15ULL;
  h = mix(h, pair.local[0]);
  h = mix(h, pair.local[1]);
  h = mix(h, pair.remote[0]);
  h = mix(h, pair.remote[1]);
  return static_cast<std::size_t>(h);
}

PolicyIndex::AddressWords PolicyIndex::prefix_mask(std::size_t length) {
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

PolicyIndex::AddressPair PolicyIndex::pair_of(const Selector& selector, const Shape& shape) {
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
  Candidates& candidates = shape->pairs[pair_of(selector, *shape)];
  candidates.reserve(candidates.size() + 1);  // what may throw happens before anything changes
  shape->ranks.insert(rank);
  const bool addresses_decide =
      selector.protocol == 0 && selector.local_ports.is_any() && selector.remote_ports.is_any();
  insert_candidate(candidates, Candidate{rank, policy, addresses_decide});
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
  auto found = shape->pairs.find(pair_of(selector, *shape));
  if (found == shape->pairs.end() || !erase_candidate(found->second, rank)) return;
  if (found->second.empty()) shape->pairs.erase(found);
  shape->ranks.erase(rank);
  if (shape->ranks.empty()) {
    shapes_.erase(shape);
  } else if (shape->first_rank != *shape->ranks.begin()) {
    shape->first_rank = *shape->ranks.begin();
    sort_shapes();
  }
}

}  // namespace cygnet::ipsec
