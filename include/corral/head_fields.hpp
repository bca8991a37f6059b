// The fields of an answer's head as received: names and values back to back in one string, with
// their places beside it. Filled again for the next answer, it reuses its storage, so reading a
// head allocates nothing once the first has been read (a Beast field container allocates and
// links every field, and frees them all after each answer).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "corral/asio.hpp"

namespace corral {

class HeadFields {
 public:
  struct Field {
    http::field name;            // http::field::unknown for a name Beast does not know
    std::string_view name_text;  // as received
    std::string_view value;
  };

  void clear() noexcept {
    text_.clear();
    entries_.clear();
  }
  // What the storage holds on to, and giving it back (for a connection that keeps a HeadFields
  // between heads and bounds what an idle connection holds).
  std::size_t storage_bytes() const noexcept { return text_.capacity() + entries_.capacity() * sizeof(Entry); }
  void release_storage() noexcept {
    std::string().swap(text_);
    std::vector<Entry>().swap(entries_);
  }
  void add(http::field name, std::string_view name_text, std::string_view value);
  // A name as text, told apart as Beast's parser does (http::field::unknown for others).
  void add(std::string_view name_text, std::string_view value) {
    add(http::string_to_field({name_text.data(), name_text.size()}), name_text, value);
  }
  void add(http::field name, std::string_view value) {
    const auto text = http::to_string(name);
    add(name, {text.data(), text.size()}, value);
  }

  std::size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }
  Field operator[](std::size_t i) const noexcept {
    const auto& e = entries_[i];
    return {e.name, {text_.data() + e.name_at, e.name_size}, {text_.data() + e.name_at + e.name_size, e.value_size}};
  }

  // The first value of `name`, "" when there is none.
  std::string_view value(http::field name) const noexcept;
  // The same by name text, compared without case.
  std::string_view value(std::string_view name) const noexcept;
  bool has(http::field name) const noexcept;

  class Iterator {
   public:
    Iterator(const HeadFields& f, std::size_t i) : f_(&f), i_(i) {}
    Field operator*() const noexcept { return (*f_)[i_]; }
    Iterator& operator++() noexcept {
      ++i_;
      return *this;
    }
    bool operator==(const Iterator& o) const noexcept { return i_ == o.i_; }

   private:
    const HeadFields* f_;
    std::size_t i_;
  };
  Iterator begin() const noexcept { return {*this, 0}; }
  Iterator end() const noexcept { return {*this, entries_.size()}; }

 private:
  struct Entry {
    http::field name;
    std::uint32_t name_at;     // the value follows the name in text_
    std::uint32_t name_size;
    std::uint32_t value_size;
  };
  std::string text_;
  std::vector<Entry> entries_;
};

}  // namespace corral
