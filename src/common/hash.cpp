#include "corral/hash.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

namespace corral {

namespace {

// The digest fetched once and a context reused, per thread: OpenSSL 3's one-shot SHA256() fetches
// the algorithm (a lock) and allocates a context on every call, and a key is hashed per request.
struct Hasher {
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~Hasher() {
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
  }
};

}  // namespace

Sha256 sha256(std::string_view data) noexcept {
  Sha256 out;
  thread_local Hasher h;
  unsigned int n = 0;
  if (h.md && h.ctx && EVP_DigestInit_ex2(h.ctx, h.md, nullptr) == 1 &&
      EVP_DigestUpdate(h.ctx, data.data(), data.size()) == 1 && EVP_DigestFinal_ex(h.ctx, out.data(), &n) == 1 &&
      n == out.size())
    return out;
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data());
  return out;
}

std::string to_hex(const Sha256& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(digest.size() * 2);
  for (auto b : digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

std::optional<Sha256> sha256_from_hex(std::string_view hex) noexcept {
  if (hex.size() != 64) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Sha256 out;
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return out;
}

}  // namespace corral
