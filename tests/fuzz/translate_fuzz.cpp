// The whole-body translators and error bodies, given any bytes: no exception, no crash, and what
// they produce has the other dialect's shape — a Messages request has messages and a maximum, a
// chat request has messages, answers have their dialect's type, an error body stays an error. The
// answers' translators read with the raw scanner: they answer for every JSON object nested no
// deeper than its limit, and what they write is JSON.
#include <nlohmann/json.hpp>

#include "api/dialect.hpp"
#include "api/json_scan.hpp"
#include "api/translate.hpp"
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

  const auto m = api::chat_to_messages(j, 4096);
  FUZZ_CHECK(m["messages"].is_array() && m["max_tokens"].is_number_unsigned());
  for (const auto& turn : m["messages"]) FUZZ_CHECK(turn["role"] == "user" || turn["role"] == "assistant");
  // A Messages request is read from its text, once a strict pass has checked it (as the request
  // path does): what it writes is a JSON object with the model asked for and a list of messages.
  const auto checked = api::jscan::trim(in);
  if (api::jscan::is_object(checked) && api::jscan::value_end(checked, 0, true) == checked.size()) {
    const auto c = json::parse(api::messages_to_chat(checked, "m\"\n", 7), nullptr, false);
    FUZZ_CHECK(c.is_object() && c["model"] == "m\"\n" && c["max_tokens"] == 7 && c["messages"].is_array());
    for (const auto& turn : c["messages"])
      FUZZ_CHECK(turn["role"] == "system" || turn["role"] == "user" || turn["role"] == "assistant" || turn["role"] == "tool");
    // Translated once more (the failover between dialects), still well-formed.
    FUZZ_CHECK(api::chat_to_messages(c, 1)["messages"].is_array());
  }
  const auto again = json::parse(api::messages_to_chat(m.dump(), "m"), nullptr, false);
  FUZZ_CHECK(again.is_object() && again["messages"].is_array());

  (void)m.dump();

  for (auto from : {api::Dialect::openai, api::Dialect::anthropic})
    for (auto to : {api::Dialect::openai, api::Dialect::anthropic}) {
      const auto out = api::translate_error_body(in, from, to, 429);
      if (from == to) FUZZ_CHECK(out == in);
      else if (j.is_object() && j.contains("error") && j["error"].is_object())
        FUZZ_CHECK(json::parse(out, nullptr, false)["error"].is_object());
    }
  return 0;
}
