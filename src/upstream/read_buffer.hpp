// The read buffers of upstream connections, recycled per thread. A connection parked in a pool
// gives its buffer back; the next connection taken on the thread gets the buffer given back last,
// still in the CPU's caches. With many tenants each request uses another tenant's pooled
// connection: its own buffer would be cold at almost every request, and every idle connection
// would hold one (8 KiB each; a thousand tenants' pools hold over a thousand connections).
// The relay takes its scratch (the answer's parser and the piece its body is relayed through) from
// the same stack, for as long as it relays an answer.
#pragma once

#include <array>
#include <cstddef>
#include <new>

namespace corral::upstream {

// Blocks of kBlockBytes come from, and go back to, a small per-thread stack (at most kKept);
// other sizes (a buffer grown for a long head) and blocks beyond the stack go to the heap. A block
// may be freed on another thread than the one that took it: it then joins that thread's stack.
class ReadBufferBlocks {
 public:
  static constexpr std::size_t kBlockBytes = 8 * 1024;
  static constexpr std::size_t kKept = 64;

  static char* take(std::size_t n) {
    auto& s = stack();
    if (n == kBlockBytes && s.count > 0) return s.blocks[--s.count];
    return static_cast<char*>(::operator new(n));
  }
  static void give(char* p, std::size_t n) noexcept {
    auto& s = stack();
    if (n == kBlockBytes && s.count < kKept) {
      s.blocks[s.count++] = p;
      return;
    }
    ::operator delete(p);
  }
  static std::size_t kept() { return stack().count; }  // on this thread

 private:
  struct Stack {
    std::array<char*, kKept> blocks{};
    std::size_t count = 0;
    ~Stack() {
      while (count > 0) ::operator delete(blocks[--count]);
    }
  };
  static Stack& stack() {
    thread_local Stack s;
    return s;
  }
};

// An allocator for Beast's flat buffer over ReadBufferBlocks.
template <class T>
struct ReadBufferAllocator {
  static_assert(sizeof(T) == 1, "byte buffers only");
  using value_type = T;
  ReadBufferAllocator() = default;
  template <class U>
  ReadBufferAllocator(const ReadBufferAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return reinterpret_cast<T*>(ReadBufferBlocks::take(n)); }
  void deallocate(T* p, std::size_t n) noexcept { ReadBufferBlocks::give(reinterpret_cast<char*>(p), n); }
  template <class U>
  bool operator==(const ReadBufferAllocator<U>&) const noexcept { return true; }
};

}  // namespace corral::upstream
