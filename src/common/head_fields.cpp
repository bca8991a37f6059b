#include "corral/head_fields.hpp"

#include "corral/http_head.hpp"

namespace corral {

void HeadFields::add(http::field name, std::string_view name_text, std::string_view value) {
  const auto at = static_cast<std::uint32_t>(text_.size());
  text_.append(name_text).append(value);
  entries_.push_back({name, at, static_cast<std::uint32_t>(name_text.size()), static_cast<std::uint32_t>(value.size())});
}

std::string_view HeadFields::value(http::field name) const noexcept {
  if (name == http::field::unknown) return {};  // (names Beast does not know are looked up by text)
  for (std::size_t i = 0; i < entries_.size(); ++i)
    if (entries_[i].name == name) return (*this)[i].value;
  return {};
}

std::string_view HeadFields::value(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const auto f = (*this)[i];
    if (http_head::iequals(f.name_text, name)) return f.value;
  }
  return {};
}

bool HeadFields::has(http::field name) const noexcept {
  if (name == http::field::unknown) return false;
  for (const auto& e : entries_)
    if (e.name == name) return true;
  return false;
}

}  // namespace corral
