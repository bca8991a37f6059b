// The fields of the answers the relay reads, recycled per thread as the read buffers are
// (read_buffer.hpp). A relay takes the HeadFields given back last on its thread: its storage is
// still in the CPU's caches and already as large as a head needs. Kept with each pooled
// connection instead, a thousand tenants' pools held a thousand of them, and with many tenants
// almost every request filled one that was cold.
#pragma once

#include <array>
#include <cstddef>
#include <memory>

#include "corral/head_fields.hpp"

namespace corral::upstream {

class AnswerFields {
 public:
  static constexpr std::size_t kKept = 64;              // per thread; beyond, freed when given back
  static constexpr std::size_t kKeptBytes = 16 * 1024;  // a larger storage (a long head) is freed

  AnswerFields() : fields_(take()) {}
  ~AnswerFields() { give(std::move(fields_)); }
  AnswerFields(const AnswerFields&) = delete;
  AnswerFields& operator=(const AnswerFields&) = delete;

  HeadFields& operator*() const noexcept { return *fields_; }
  HeadFields* operator->() const noexcept { return fields_.get(); }

  static std::size_t kept() { return stack().count; }  // on this thread

 private:
  struct Stack {
    std::array<std::unique_ptr<HeadFields>, kKept> held;
    std::size_t count = 0;
  };
  static Stack& stack() {
    thread_local Stack s;
    return s;
  }
  static std::unique_ptr<HeadFields> take() {
    auto& s = stack();
    if (s.count > 0) return std::move(s.held[--s.count]);
    return std::make_unique<HeadFields>();
  }
  static void give(std::unique_ptr<HeadFields> f) noexcept {
    auto& s = stack();
    if (s.count == kKept) return;
    if (f->storage_bytes() > kKeptBytes) f->release_storage();
    f->clear();
    s.held[s.count++] = std::move(f);
  }

  std::unique_ptr<HeadFields> fields_;
};

}  // namespace corral::upstream
