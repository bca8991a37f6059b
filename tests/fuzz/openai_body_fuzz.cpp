// Request bodies read in one pass, against the same reading of a parsed document (nlohmann): the
// scan accepts what the parser accepts (except nesting past 64 levels), finds the same model,
// stream flag and counts, and its rewrites read as the same changes made to the document, with
// every other member untouched.
#include <algorithm>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "api/openai_request.hpp"
#include "fuzz/fuzz_target.hpp"
#include "limits/token_estimate.hpp"

using namespace corral;
using nlohmann::json;

namespace {

// The reading of a document the scan must agree with.
struct Reference {
  std::uint64_t text_bytes = 0, images = 0, messages = 0;

  void content(const json& v) {
    if (v.is_string()) {
      text_bytes += v.get_ref<const std::string&>().size();
    } else if (v.is_number_integer()) {
      text_bytes += 4;
    } else if (v.is_array()) {
      for (const auto& item : v) content(item);
    } else if (v.is_object()) {
      if (auto t = v.find("type"); t != v.end() && t->is_string()) {
        const auto& type = t->get_ref<const std::string&>();
        if (type == "image_url" || type == "input_image" || type == "image" || type == "document" || type == "file")
          ++images;
      }
      for (const char* key : {"text", "content", "input_text", "output_text"})
        if (auto it = v.find(key); it != v.end()) content(*it);
    }
  }

  explicit Reference(const json& body) {
    if (auto it = body.find("messages"); it != body.end() && it->is_array()) {
      for (const auto& m : *it) {
        ++messages;
        if (!m.is_object()) continue;
        if (auto ct = m.find("content"); ct != m.end()) content(*ct);
        if (auto nm = m.find("name"); nm != m.end()) content(*nm);
      }
    }
    for (const char* key : {"prompt", "input", "instructions", "system"}) {
      if (auto it = body.find(key); it != body.end()) {
        content(*it);
        if (it->is_array()) messages += it->size();
      }
    }
  }
};

std::optional<std::uint64_t> count_of(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || !it->is_number_integer() || it->get<std::int64_t>() < 0) return std::nullopt;
  return static_cast<std::uint64_t>(it->get<std::int64_t>());
}

// The text has an escaped surrogate (which the scan requires paired and the parser may not).
bool has_surrogate_escape(std::string_view text) {
  for (std::size_t i = 0; i + 2 < text.size(); ++i)
    if (text[i] == '\\' && text[i + 1] == 'u' && (text[i + 2] == 'd' || text[i + 2] == 'D')) return true;
  return false;
}

}  // namespace

CORRAL_FUZZ_TARGET(openai_body) {
  const auto in = fuzz::as_text(data, size);
  auto parsed = api::parse_request_body(in);
  const auto doc = in.find('\0') == std::string_view::npos ? json::parse(in, nullptr, false)
                                                           : json(json::value_t::discarded);
  if (parsed.error != Errc::ok) {
    FUZZ_CHECK(parsed.error == Errc::invalid_json || parsed.error == Errc::invalid_request);
    if (parsed.error == Errc::invalid_json && !doc.is_discarded()) {
      // The parser took it: only deeper nesting than the scan's bound may explain that.
      FUZZ_CHECK(std::count(in.begin(), in.end(), '[') + std::count(in.begin(), in.end(), '{') > 64);
    }
    return 0;
  }
  // What the scan accepted the parser accepts (a surrogate escape aside: the parser may pair a
  // low half with nothing, the scan never).
  FUZZ_CHECK(!doc.is_discarded() || has_surrogate_escape(in));
  if (doc.is_discarded()) return 0;
  FUZZ_CHECK(doc.is_object() && doc.contains("model") && doc["model"] == parsed.model && !parsed.model.empty());
  FUZZ_CHECK(parsed.stream == (doc.contains("stream") && doc["stream"] == true));
  FUZZ_CHECK(&parsed.document(in) == &parsed.document(in) && parsed.document(in) == doc);

  const Reference ref(doc);
  FUZZ_CHECK(parsed.counts.text_bytes == ref.text_bytes);
  FUZZ_CHECK(parsed.counts.images == ref.images);
  FUZZ_CHECK(parsed.counts.messages == ref.messages);
  for (const char* key : {"max_tokens", "max_completion_tokens", "max_output_tokens", "n", "best_of"}) {
    const auto& c = parsed.counts;
    const auto& mine = std::string_view(key) == "max_tokens"              ? c.max_tokens
                       : std::string_view(key) == "max_completion_tokens" ? c.max_completion_tokens
                       : std::string_view(key) == "max_output_tokens"     ? c.max_output_tokens
                       : std::string_view(key) == "n"                     ? c.n
                                                                          : c.best_of;
    FUZZ_CHECK(mine == count_of(doc, key));
  }
  const auto mt = doc.find("max_tokens");
  FUZZ_CHECK(parsed.positive_max_tokens ==
             (mt != doc.end() && mt->is_number_unsigned() && mt->get<std::uint64_t>() > 0));

  ModelConfig model;
  model.default_max_tokens = 100;
  for (bool has_output : {false, true}) {
    const auto e = limits::estimate_tokens(parsed.counts, in.size(), model, has_output);
    FUZZ_CHECK(e.prompt_bound >= e.prompt);  // the bound is never below the estimate
    FUZZ_CHECK(e.output_bound >= e.max_output);
    if (!has_output) FUZZ_CHECK(e.output_bound == 0);
  }

  std::string out;
  for (auto route : {api::Operation::chat_completions, api::Operation::completions, api::Operation::embeddings,
                     api::Operation::responses}) {
    for (bool cap : {false, true}) {
      const api::BodyRewrite rw{"renamed\"", api::needs_stream_usage(parsed, route),
                                cap ? api::output_cap_field(route) : std::string_view(), 7};
      api::rewrite_body(in, parsed, rw, out);
      const auto again = json::parse(out, nullptr, false);
      auto expected = doc;
      api::rewrite_document(expected, rw);
      FUZZ_CHECK(again == expected);
      if (rw.include_usage) FUZZ_CHECK(parsed.stream && again["stream_options"]["include_usage"] == true);
    }
  }
  return 0;
}
