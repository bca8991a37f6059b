// Cache keys: the same request gives the same key however its JSON is laid out (key order, white
// space), fields that cannot change the answer do not count, and the tenant and model are always
// part of it.
#include <string>
#include <vector>

#include "cache/cache_policy.hpp"
#include "fuzz/fuzz_target.hpp"

using namespace corral;

CORRAL_FUZZ_TARGET(cache_key) {
  const auto in = fuzz::as_text(data, size);
  const auto body = nlohmann::json::parse(in, nullptr, false);
  if (body.is_discarded()) return 0;
  const auto key = cache::cache_key("p", "tenant", "model", api::Operation::chat_completions, body);
  FUZZ_CHECK(key.starts_with("{p:t:tenant}:resp:model:"));
  // Laid out differently (indented, keys written in reverse order): the same key.
  const auto pretty = nlohmann::json::parse(body.dump(2), nullptr, false);
  FUZZ_CHECK(cache::cache_key("p", "tenant", "model", api::Operation::chat_completions, pretty) == key);
  if (body.is_object()) {
    std::string reversed = "{";
    bool first = true;
    std::vector<std::pair<std::string, nlohmann::json>> members;
    for (const auto& [k, v] : body.items()) members.emplace_back(k, v);
    for (auto it = members.rbegin(); it != members.rend(); ++it) {
      reversed += (first ? "" : ",") + nlohmann::json(it->first).dump() + ":" + it->second.dump();
      first = false;
    }
    reversed += "}";
    FUZZ_CHECK(cache::cache_key("p", "tenant", "model", api::Operation::chat_completions, nlohmann::json::parse(reversed)) == key);
    auto with_user = body;
    with_user["user"] = "someone else";
    with_user["metadata"] = {{"k", "v"}};
    with_user["stream_options"] = {{"include_usage", true}};
    FUZZ_CHECK(cache::cache_key("p", "tenant", "model", api::Operation::chat_completions, with_user) == key);
  }
  FUZZ_CHECK(cache::cache_key("p", "other", "model", api::Operation::chat_completions, body) != key);
  FUZZ_CHECK(cache::cache_key("p", "tenant", "other", api::Operation::chat_completions, body) != key);
  FUZZ_CHECK(cache::cache_key("p", "tenant", "model", api::Operation::messages, body) != key);
  return 0;
}
