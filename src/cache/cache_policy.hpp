// Whether and how one request uses the response cache, and its key. Plain logic, no I/O.
//
// Key: {<key_prefix>:t:<tenant id>}:resp:<public model>:<sha256 hex of the route's path and the
// canonical request>. The tenant id is the one corral resolved, never anything the client sent.
// The route is part of it: the same body can be valid on two routes (embeddings and responses,
// chat completions and Anthropic's messages) whose answers differ. The canonical request is the
// JSON body with its keys sorted and the fields that cannot change the answer removed (`user`,
// `stream_options`, `metadata`); `stream` stays (a streamed answer is kept as its SSE).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "corral/config.hpp"
#include "api/operation.hpp"

namespace corral::cache {

struct Plan {
  bool enabled = false;  // the tenant's cache is on: answers carry x-corral-cache
  bool lookup = false;   // look the answer up (not `cache-control: no-cache`)
  bool store = false;    // store a 200 answer (not `cache-control: no-store`)
  std::string key;       // set when lookup or store
  // What x-corral-cache says when the answer does not come from the cache.
  std::string_view miss_label() const { return lookup || store ? "miss" : "bypass"; }
};

// The canonical form of a request body (see above).
std::string canonical_request(const nlohmann::json& body);
std::string cache_key(std::string_view prefix, std::string_view tenant, std::string_view model, api::Operation op,
                      const nlohmann::json& body);

// `cache_control` is the request's Cache-Control header (may be empty).
Plan plan(const TenantConfig& tenant, api::Operation op, const nlohmann::json& body,
          std::string_view cache_control, std::string_view key_prefix, std::string_view model);

}  // namespace corral::cache
