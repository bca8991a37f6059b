// The hash maps looked up on every request: open addressing (boost::unordered_flat_map), whose
// entries sit in one array beside a small index of hash bits, so a lookup in a table that has
// gone cold (a tenant not asked for lately) costs one or two cache misses, not the three of a
// node-based map (bucket, the node before, the node). Entries move when the table grows: keep
// no pointer or reference to one across an insertion.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <boost/unordered/unordered_flat_map.hpp>

namespace corral {

// Looks strings up by std::string_view, with no std::string made for the lookup.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

template <class V>
using StringMap = boost::unordered_flat_map<std::string, V, StringHash, std::equal_to<>>;

template <class K, class V, class Hash = std::hash<K>, class Eq = std::equal_to<>>
using FlatMap = boost::unordered_flat_map<K, V, Hash, Eq>;

}  // namespace corral
