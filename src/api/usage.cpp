#include "api/usage.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <nlohmann/json.hpp>

#include "api/json_scan.hpp"

namespace corral::api {
namespace {

std::uint64_t count(const nlohmann::json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

// The last member named `key` (as nlohmann keeps the last of repeated keys), or empty. `obj` has
// been checked already (every object read here is a value a checking pass went through), so its
// values are passed over, not checked again.
std::string_view last_member(std::string_view obj, std::string_view key) {
  std::string_view found;
  jscan::members_checked(obj, [&](std::string_view k, std::string_view v) {
    if (k == key) found = v;
  });
  return found;
}

// The members of a usage object the three dialects use, read in one pass that checks them (the
// last of each). The other members (total_tokens, completion_tokens_details, ...) are passed over
// unchecked: as with the answer around it, only what the usage is read from must be well-formed.
struct UsageMembers {
  std::string_view cache_read, cache_creation, input, output, input_details, prompt, completion, prompt_details;
  bool well_formed = false;

  UsageMembers() = default;
  explicit UsageMembers(std::string_view u) { well_formed = read(u, 0) == u.size(); }

  // Where the member named `k` goes, or nullptr (by length first: most keys are told apart by it).
  std::string_view* member(std::string_view k) noexcept {
    switch (k.size()) {
      case 12: return k == "input_tokens" ? &input : nullptr;
      case 13: return k == "prompt_tokens" ? &prompt : k == "output_tokens" ? &output : nullptr;
      case 17: return k == "completion_tokens" ? &completion : nullptr;
      case 20: return k == "input_tokens_details" ? &input_details : nullptr;
      case 21: return k == "prompt_tokens_details" ? &prompt_details : nullptr;
      case 23: return k == "cache_read_input_tokens" ? &cache_read : nullptr;
      case 27: return k == "cache_creation_input_tokens" ? &cache_creation : nullptr;
      default: return nullptr;
    }
  }

  // Reads the object at s[i]; returns its end, or npos when it is not a well-formed object (in
  // the members read).
  std::size_t read(std::string_view s, std::size_t i) {
    *this = {};
    const auto end = jscan::members_at(
        s, i, [](std::string_view, std::string_view) {}, false,
        [&](std::string_view k, std::string_view text, std::size_t start) {
          auto* into = member(k);
          if (!into) return jscan::skip_value(text, start);
          const auto e = jscan::value_end(text, start);
          if (e != jscan::npos) *into = text.substr(start, e - start);
          return e;
        });
    well_formed = end != jscan::npos;
    return end;
  }
};

std::uint64_t cached_in(std::string_view details) {
  return jscan::is_object(details) ? jscan::to_unsigned(last_member(details, "cached_tokens")) : 0;
}

// The top-level members of an answer or event that say where its usage is and what it is, read in
// one pass (the last of each, as nlohmann keeps the last of repeated keys). Only the values the
// usage is read from are checked; the rest (the answer's choices, most of its bytes) is passed
// over: the answer is relayed as it came, and its usage counts even if its text is not well-formed.
struct AnswerMembers {
  std::string_view usage, response, message, type, choices;
  UsageMembers usage_members;  // of `usage`, when it is an object: read as the pass goes through it
  bool well_formed = false;

  explicit AnswerMembers(std::string_view text) {
    const auto read = [&](std::string_view k, std::string_view s, std::size_t start) {
      if (k == "response" || k == "message") return jscan::value_end(s, start);
      if (k != "usage" || start >= s.size() || s[start] != '{') return jscan::skip_value(s, start);
      // A malformed usage object is passed over as any value is; it counts for nothing.
      const auto end = usage_members.read(s, start);
      return end != jscan::npos ? end : jscan::skip_value(s, start);
    };
    well_formed = jscan::members_checking(jscan::trim(text), read, [&](std::string_view k, std::string_view v) {
      if (k == "usage") usage = v;
      else if (k == "response") response = v;
      else if (k == "message") message = v;
      else if (k == "type") type = v;
      else if (k == "choices") choices = v;
    });
  }
};

std::optional<Usage> usage_of(const AnswerMembers& a) {
  if (!a.well_formed) return std::nullopt;
  UsageMembers m = a.usage_members;
  if (!jscan::is_object(a.usage)) {
    const auto r = jscan::is_object(a.response) ? a.response : a.message;
    if (!jscan::is_object(r)) return std::nullopt;
    const auto u = last_member(r, "usage");
    if (!jscan::is_object(u)) return std::nullopt;
    m = UsageMembers(u);
  }
  if (!m.well_formed) return std::nullopt;
  const auto n = [](std::string_view v) { return jscan::to_unsigned(v); };
  Usage out;
  if (!m.cache_read.empty() || !m.cache_creation.empty()) {
    out.cached_tokens = n(m.cache_read);
    out.prompt_tokens = n(m.input) + out.cached_tokens + n(m.cache_creation);
    out.completion_tokens = n(m.output);
  } else if (!m.input.empty() || !m.output.empty()) {
    out.prompt_tokens = n(m.input);
    out.completion_tokens = n(m.output);
    out.cached_tokens = cached_in(m.input_details);
  } else {
    out.prompt_tokens = n(m.prompt);
    out.completion_tokens = n(m.completion);
    out.cached_tokens = cached_in(m.prompt_details);
  }
  return out;
}

// An array with no element (white space inside allowed).
bool empty_array(std::string_view v) {
  return jscan::is_array(v) && v.back() == ']' && jscan::skip_ws(v, 1) + 1 == v.size();
}

// Reads generated text member by member. Each member's name ends in '":'; those are found sixteen
// positions at a time, and only a name that ends as one of the names of text does is read further
// (its last byte picks what it can be). Inside a string a quote is escaped, so '":' there follows
// a backslash, not a name's last letter. A string value named for text is counted and stepped
// over. A few nanoseconds a member: walking the text's structure string by string cost about ten
// times as much per event, several times what the rest of the usage tap costs.
class GeneratedText {
 public:
  GeneratedText(std::string_view s, bool event) : s_(s), event_(event) {}

  std::uint64_t count() {
    std::size_t i = 0;
#if defined(__SSE2__)
    // '":' followed by '"' or a space: the name of a member whose value may be a string.
    const __m128i quote = _mm_set1_epi8('"'), colon = _mm_set1_epi8(':'),
                  space = _mm_set1_epi8(' ');
    while (i + 18 <= s_.size() && !stop_) {
      const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s_.data() + i));
      const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s_.data() + i + 1));
      const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s_.data() + i + 2));
      const __m128i name = _mm_and_si128(_mm_cmpeq_epi8(a, quote), _mm_cmpeq_epi8(b, colon));
      const __m128i value = _mm_or_si128(_mm_cmpeq_epi8(c, quote), _mm_cmpeq_epi8(c, space));
      auto m = static_cast<unsigned>(_mm_movemask_epi8(_mm_and_si128(name, value)));
      std::size_t next = i + 16;
      for (; m != 0 && !stop_; m &= m - 1) {
        name_ends(i + static_cast<std::size_t>(__builtin_ctz(m)));
        if (resume_ > next) {  // a text counted runs past this block: the search goes on after it
          next = resume_;
          break;
        }
      }
      i = next;
    }
#endif
    for (; i + 1 < s_.size() && !stop_; ++i)
      if (s_[i] == '"' && s_[i + 1] == ':') name_ends(i);
    return other_type_ ? 0 : bytes_;
  }

 private:
  // Whether the name that ends at s_[q] (its closing quote) is `k`, its opening quote unescaped.
  bool is(std::size_t q, std::string_view k) const noexcept {
    if (q < k.size() + 1) return false;
    const auto open = q - k.size() - 1;
    return s_[open] == '"' && s_.compare(open + 1, k.size(), k) == 0 &&
           (open == 0 || s_[open - 1] != '\\');
  }

  [[gnu::always_inline]] void name_ends(std::size_t q) {
    if (q < resume_ || q == 0) return;  // inside a value counted already
    // Only a string value can be text: most of an event's members are numbers, objects and nulls.
    const auto at = q + 2 < s_.size() && s_[q + 2] == '"' ? q + 2 : jscan::skip_ws(s_, q + 2);
    if (at >= s_.size() || s_[at] != '"') return;
    bool text = false, type = false;
    switch (s_[q - 1]) {
      case 't':
        text = is(q, "content") || is(q, "text") || is(q, "reasoning_content");
        break;
      case 'a':
        text = is(q, "delta");
        break;
      case 'l':
        text = is(q, "refusal");
        break;
      case 'g':
        text = is(q, "thinking") || is(q, "reasoning");
        break;
      case 's':
        text = is(q, "arguments");
        break;
      case 'n':
        text = is(q, "partial_json");
        break;
      case 'e':
        type = event_ && is(q, "type");
        break;
      default:
        return;
    }
    if (!text && !type) return;
    const auto end = jscan::skip_value(s_, at);
    if (end == jscan::npos) {  // cut short: nothing after it counts
      stop_ = true;
      return;
    }
    const auto value = s_.substr(at, end - at);
    if (text) bytes_ += value.size() - 2;
    // The responses API repeats its text whole in its ".done" events and its response objects.
    else if (value.starts_with("\"response.") && !value.ends_with("delta\""))
      other_type_ = stop_ = true;
    resume_ = end;
  }

  std::string_view s_;
  bool event_;
  std::uint64_t bytes_ = 0;
  std::size_t resume_ = 0;  // where the last value counted ends
  bool stop_ = false, other_type_ = false;
};

}  // namespace

std::uint64_t generated_text_bytes(std::string_view json, bool event) {
  return GeneratedText(json, event).count();
}

std::optional<Usage> usage_from_text(std::string_view text) { return usage_of(AnswerMembers(text)); }

EventUsage event_usage(std::string_view data) {
  const AnswerMembers a(data);
  EventUsage e;
  e.usage = usage_of(a);
  if (e.usage) {
    e.message_delta = jscan::is_string(a.type) && jscan::reads(a.type, "message_delta");
    e.no_choices = empty_array(a.choices);
  }
  return e;
}

void merge_usage(std::optional<Usage>& into, const EventUsage& event) {
  if (!event.usage) return;
  // Anthropic's message_delta may give the output alone: the prompt stays message_start's.
  if (into && event.message_delta && event.usage->prompt_tokens == 0) {
    into->completion_tokens = event.usage->completion_tokens;
    return;
  }
  into = event.usage;
}

std::optional<Usage> usage_from(const nlohmann::json& answer) {
  if (!answer.is_object()) return std::nullopt;
  auto it = answer.find("usage");
  if (it == answer.end() || !it->is_object()) {
    // the responses API's stream events, Anthropic's message_start
    auto r = answer.find("response");
    if (r == answer.end() || !r->is_object()) r = answer.find("message");
    if (r == answer.end() || !r->is_object()) return std::nullopt;
    it = r->find("usage");
    if (it == r->end() || !it->is_object()) return std::nullopt;
  }
  const auto& u = *it;
  Usage out;
  if (u.contains("cache_read_input_tokens") || u.contains("cache_creation_input_tokens")) {
    // Anthropic: input_tokens leaves out what was read from and written to its cache.
    out.cached_tokens = count(u, "cache_read_input_tokens");
    out.prompt_tokens = count(u, "input_tokens") + out.cached_tokens + count(u, "cache_creation_input_tokens");
    out.completion_tokens = count(u, "output_tokens");
  } else if (u.contains("input_tokens") || u.contains("output_tokens")) {  // responses API, Anthropic
    out.prompt_tokens = count(u, "input_tokens");
    out.completion_tokens = count(u, "output_tokens");
    if (auto d = u.find("input_tokens_details"); d != u.end() && d->is_object()) out.cached_tokens = count(*d, "cached_tokens");
  } else {
    out.prompt_tokens = count(u, "prompt_tokens");
    out.completion_tokens = count(u, "completion_tokens");
    if (auto d = u.find("prompt_tokens_details"); d != u.end() && d->is_object()) out.cached_tokens = count(*d, "cached_tokens");
  }
  return out;
}

}  // namespace corral::api
