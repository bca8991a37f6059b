#include "api/openai_request.hpp"

#include <algorithm>
#include <array>
#include <limits>

#include "api/json_scan.hpp"

namespace corral::api {
namespace {

namespace js = jscan;

// An integer a parser keeps as one (it fits 64 bits, signed or unsigned).
bool integer(std::string_view v) {
  std::uint64_t magnitude = 0;
  bool negative = false;
  return js::integer(v, magnitude, negative) && (!negative || magnitude <= std::uint64_t{1} << 63);
}

// A count from 0 to 2^63 - 1 (as the estimate reads `n` or `max_tokens`), else nothing.
std::optional<std::uint64_t> count_of(std::string_view v) {
  std::uint64_t magnitude = 0;
  bool negative = false;
  if (v.empty() || !js::integer(v, magnitude, negative)) return std::nullopt;
  if (negative) return magnitude == 0 ? std::optional<std::uint64_t>(0) : std::nullopt;
  if (magnitude > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
  return magnitude;
}

bool image_part_type(std::string_view type) {
  // (Anthropic's documents too: a PDF is billed by its pages, text and image alike.)
  if (!js::is_string(type)) return false;
  for (std::string_view t : {"image_url", "input_image", "image", "document", "file"})
    if (js::reads(type, t)) return true;
  return false;
}

// Text and images in a content value: a string, or a list of parts / strings / token ids. (The
// body's members were all checked when they were read: what is inside them is passed over, not
// checked again.)
void count_content(std::string_view v, BodyCounts& c) {
  if (v.empty()) return;
  switch (v.front()) {
    case '"': c.text_bytes += js::decoded_size(v); return;
    case '[': js::elements_checked(v, [&](std::string_view e) { count_content(e, c); }); return;
    case '{': {
      std::string buf;
      const auto part = js::named_members(v, {"type", "text", "content", "input_text", "output_text"}, buf);
      if (image_part_type(part[0])) ++c.images;
      for (std::size_t i = 1; i < part.size(); ++i) count_content(part[i], c);
      return;
    }
    default:
      if (integer(v)) c.text_bytes += 4;  // a token id counts as one token
  }
}

// (Checked already, as count_content's values are. Each message is gone through once: its members
// are read where the array's pass reaches it.)
void count_messages(std::string_view messages, BodyCounts& c) {
  if (!js::is_array(messages)) return;
  std::string buf;
  js::elements_reading(messages, [&](std::string_view s, std::size_t start) {
    ++c.messages;
    if (start >= s.size() || s[start] != '{') return js::skip_value(s, start);
    std::string_view content, name;
    const auto end = js::members_checked_at(s, start, [&](std::string_view k, std::string_view value) {
      const auto key = js::key_text(k, buf);
      if (key == "content") content = value;
      else if (key == "name") name = value;
    });
    count_content(content, c);
    count_content(name, c);
    return end;
  });
}

bool boolean_or_null(std::string_view v) { return v == "true" || v == "false" || v == "null"; }

}  // namespace

nlohmann::json& RequestBody::document(std::string_view text) {
  // The scan is the stricter reader (nesting bounded, surrogate escapes strict): what it accepted
  // parses.
  if (!document_) document_ = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  return *document_;
}

std::string_view body_object(std::string_view text) {
  return js::trim(text.substr(text.starts_with("\xEF\xBB\xBF") ? 3 : 0));  // a byte order mark may lead
}

RequestBody parse_request_body(std::string_view text) {
  RequestBody out;
  const auto obj = body_object(text);
  const auto start = static_cast<std::size_t>(obj.data() - text.data());
  auto fail = [&](Errc error, std::string message, std::string param) {
    out.error = error;
    out.message = std::move(message);
    out.param = std::move(param);
    return std::move(out);
  };
  if (!js::is_object(obj)) {
    if (!obj.empty() && js::value_end(obj, 0, true) == obj.size())
      return fail(Errc::invalid_request, "The request body must be a JSON object.", {});
    return fail(Errc::invalid_json, {}, {});
  }

  std::string_view model, stream, options, messages, max_tokens, max_completion_tokens, max_output_tokens, n, best_of;
  std::array<std::string_view, 4> texts;  // prompt, input, instructions, system
  std::string buf;
  const bool well_formed = js::members(
      obj,
      [&](std::string_view k, std::string_view v) {
        const auto key = js::key_text(k, buf);
        if (key == "model") model = v;
        else if (key == "stream") stream = v;
        else if (key == "stream_options") options = v;
        else if (key == "messages") messages = v;
        else if (key == "max_tokens") max_tokens = v;
        else if (key == "max_completion_tokens") max_completion_tokens = v;
        else if (key == "max_output_tokens") max_output_tokens = v;
        else if (key == "n") n = v;
        else if (key == "best_of") best_of = v;
        else if (key == "prompt") texts[0] = v;
        else if (key == "input") texts[1] = v;
        else if (key == "instructions") texts[2] = v;
        else if (key == "system") texts[3] = v;
      },
      /*strict=*/true);
  if (!well_formed) return fail(Errc::invalid_json, {}, {});

  if (!js::is_text(model)) return fail(Errc::invalid_request, "You must provide a model parameter.", "model");
  if (!stream.empty() && !boolean_or_null(stream))
    return fail(Errc::invalid_request, "'stream' must be a boolean.", "stream");
  std::string_view include_usage;
  if (!options.empty() && options != "null") {
    if (!js::is_object(options))
      return fail(Errc::invalid_request, "'stream_options' must be an object.", "stream_options");
    include_usage = js::named_members(options, {"include_usage"}, buf)[0];
    if (!include_usage.empty() && !boolean_or_null(include_usage))
      return fail(Errc::invalid_request, "'stream_options.include_usage' must be a boolean.",
                  "stream_options.include_usage");
  }

  js::decode(model, out.model);
  out.stream = stream == "true";
  out.include_usage = include_usage == "true";
  const auto slice = [&](std::string_view v) {
    return v.empty() ? Slice{} : Slice{static_cast<std::size_t>(v.data() - text.data()), v.size()};
  };
  out.model_value = slice(model);
  out.stream_options_value = slice(options);
  out.include_usage_value = slice(include_usage);
  out.max_tokens_value = slice(max_tokens);
  out.max_completion_tokens_value = slice(max_completion_tokens);
  out.max_output_tokens_value = slice(max_output_tokens);
  out.closing_brace = start + obj.size() - 1;
  {
    std::uint64_t magnitude = 0;
    bool negative = false;
    out.positive_max_tokens = js::integer(max_tokens, magnitude, negative) && !negative && magnitude > 0;
  }

  auto& c = out.counts;
  count_messages(messages, c);
  for (auto t : texts) {
    count_content(t, c);
    if (js::is_array(t)) js::elements_checked(t, [&](std::string_view) { ++c.messages; });  // input items carry framing too
  }
  c.max_tokens = count_of(max_tokens);
  c.max_completion_tokens = count_of(max_completion_tokens);
  c.max_output_tokens = count_of(max_output_tokens);
  c.n = count_of(n);
  c.best_of = count_of(best_of);
  return out;
}

bool needs_stream_usage(const RequestBody& body, Operation op) {
  return body.stream && !body.include_usage && (op == Operation::chat_completions || op == Operation::completions);
}

void rewrite_body(std::string_view text, const RequestBody& body, const BodyRewrite& rw, std::string& out) {
  enum class What { model, cap_value, cap_member, options_member, options_value, usage_value, usage_first, usage_only };
  struct Edit {
    std::size_t at, erase;
    What what;
  };
  std::array<Edit, 3> edits;
  std::size_t count = 0;
  edits[count++] = {body.model_value.at, body.model_value.size, What::model};
  if (!rw.cap_field.empty()) {
    const Slice cap = rw.cap_field == "max_tokens"              ? body.max_tokens_value
                      : rw.cap_field == "max_completion_tokens" ? body.max_completion_tokens_value
                                                                : body.max_output_tokens_value;
    edits[count++] = cap.present() ? Edit{cap.at, cap.size, What::cap_value} : Edit{body.closing_brace, 0, What::cap_member};
  }
  if (rw.include_usage) {
    const auto& so = body.stream_options_value;
    if (!so.present()) edits[count++] = {body.closing_brace, 0, What::options_member};
    else if (text[so.at] != '{') edits[count++] = {so.at, so.size, What::options_value};  // null
    else if (body.include_usage_value.present())
      edits[count++] = {body.include_usage_value.at, body.include_usage_value.size, What::usage_value};
    else if (text[js::skip_ws(text, so.at + 1)] == '}') edits[count++] = {so.at + 1, 0, What::usage_only};
    else edits[count++] = {so.at + 1, 0, What::usage_first};
  }
  for (std::size_t i = 1; i < count; ++i)  // in place and stable: two members added at the end keep this order
    for (std::size_t j = i; j > 0 && edits[j].at < edits[j - 1].at; --j) std::swap(edits[j], edits[j - 1]);

  out.clear();
  out.reserve(text.size() + rw.model.size() + 64);
  std::size_t done = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const auto& e = edits[i];
    out.append(text.substr(done, e.at - done));
    done = e.at + e.erase;
    switch (e.what) {
      case What::model:
        out += '"';
        js::append_escaped(out, rw.model);
        out += '"';
        break;
      case What::cap_value: js::append_number(out, rw.cap); break;
      case What::cap_member:
        out.append(",\"").append(rw.cap_field).append("\":");
        js::append_number(out, rw.cap);
        break;
      case What::options_member: out.append(R"(,"stream_options":{"include_usage":true})"); break;
      case What::options_value: out.append(R"({"include_usage":true})"); break;
      case What::usage_value: out.append("true"); break;
      case What::usage_first: out.append(R"("include_usage":true,)"); break;
      case What::usage_only: out.append(R"("include_usage":true)"); break;
    }
  }
  out.append(text.substr(done));
}

void rewrite_document(nlohmann::json& doc, const BodyRewrite& rw) {
  if (rw.include_usage) {
    auto& opts = doc["stream_options"];
    if (!opts.is_object()) opts = nlohmann::json::object();
    opts["include_usage"] = true;
  }
  if (!rw.cap_field.empty()) doc[std::string(rw.cap_field)] = rw.cap;
  doc["model"] = rw.model;
}

std::string_view output_cap_field(Operation op) {
  switch (op) {
    case Operation::chat_completions: return "max_completion_tokens";
    case Operation::responses: return "max_output_tokens";
    default: return "max_tokens";
  }
}

}  // namespace corral::api
