// The whole-body translators and error bodies, given any bytes: no exception, no crash, and what
// they produce has the other dialect's shape — a Messages request has messages and a maximum, a
// chat request has messages, answers have their dialect's type, an error body stays an error. All
// of them but the error bodies' read with the raw scanner: the answers' translators answer for
// every JSON object nested no deeper than its limit, the requests' for every one a strict pass
// accepted, and what they write is JSON.
#include <nlohmann/json.hpp>

#include "api/dialect.hpp"
#include "api/json_scan.hpp"
#include "api/translate.hpp"
#include "api/translate_request.hpp"
#include "fuzz/fuzz_target.hpp"
#include "fuzz/json_oracle.hpp"

using namespace corral;
using nlohmann::json;

CORRAL_FUZZ_TARGET(translate) {
  const auto in = fuzz::as_text(data, size);
  const auto j = json::parse(in, nullptr, false);
  const auto completion_text = api::message_to_chat_completion(in, 0);
  const auto message_text = api::chat_completion_to_message(in);
  FUZZ_CHECK(completion_text.has_value() == message_text.has_value());
  if (completion_text) {
    // What they write is JSON; an answer is copied as it came, so a parser that refuses half a
    // surrogate pair (nlohmann) reads what they write whenever it read the answer.
    for (const auto& t : {*completion_text, *message_text})
      FUZZ_CHECK(api::jscan::is_object(t) && api::jscan::value_end(t, 0) == t.size());
  }
  if (completion_text && !j.is_discarded()) {
    const auto completion = json::parse(*completion_text, nullptr, false);
    const auto message = json::parse(*message_text, nullptr, false);
    FUZZ_CHECK(completion.is_object() && message.is_object());
    FUZZ_CHECK(completion["object"] == "chat.completion" && completion["choices"].size() == 1);
    FUZZ_CHECK(message["type"] == "message" && message["content"].is_array());
    for (const auto& u : {completion["usage"], message["usage"]})
      for (const auto& [k, v] : u.items())
        if (!v.is_object()) FUZZ_CHECK(v.is_number_unsigned());
  }
  if (fuzz::scanner_must_accept(in, j)) FUZZ_CHECK(completion_text.has_value() == j.is_object());
  if (j.is_discarded()) return 0;

  // Requests are read from their text, once a strict pass has checked it (as the request path
  // does): what each writes is a JSON object of the other dialect with the model asked for, the
  // maximum output and a list of turns.
  if (const auto checked = api::jscan::trim(in);
      api::jscan::is_object(checked) && api::jscan::value_end(checked, 0, true) == checked.size()) {
    const auto m = json::parse(api::chat_to_messages(checked, "m\"\n", 4096), nullptr, false);
    FUZZ_CHECK(m.is_object() && m["model"] == "m\"\n" && m["messages"].is_array() && m["max_tokens"].is_number_unsigned());
    for (const auto& turn : m["messages"]) FUZZ_CHECK(turn["role"] == "user" || turn["role"] == "assistant");
    const auto c = json::parse(api::messages_to_chat(checked, "m\"\n", 7), nullptr, false);
    FUZZ_CHECK(c.is_object() && c["model"] == "m\"\n" && c["max_tokens"] == 7 && c["messages"].is_array());
    for (const auto& turn : c["messages"])
      FUZZ_CHECK(turn["role"] == "system" || turn["role"] == "user" || turn["role"] == "assistant" || turn["role"] == "tool");
    // Translated once more (the failover between dialects), still well-formed.
    FUZZ_CHECK(json::parse(api::messages_to_chat(m.dump(), "m"), nullptr, false)["messages"].is_array());
    FUZZ_CHECK(json::parse(api::chat_to_messages(c.dump(), "m", 1), nullptr, false)["messages"].is_array());
  }

  for (auto from : {api::Dialect::openai, api::Dialect::anthropic})
    for (auto to : {api::Dialect::openai, api::Dialect::anthropic}) {
      const auto out = api::translate_error_body(in, from, to, 429);
      if (from == to) FUZZ_CHECK(out == in);
      else if (j.is_object() && j.contains("error") && j["error"].is_object())
        FUZZ_CHECK(json::parse(out, nullptr, false)["error"].is_object());
    }
  return 0;
}
