#include "api/translate_request.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace corral::api {
namespace {

using json = nlohmann::json;

TEST(TranslateRequest, ChatToMessagesKeepsEveryRowOfTheList) {
  const std::string chat = (R"({
    "model": "claude", "temperature": 0.2, "top_p": 0.9, "user": "u-1", "stop": "END", "stream": true,
    "stream_options": {"include_usage": true}, "max_completion_tokens": 300, "n": 1, "logprobs": false,
    "messages": [
      {"role": "system", "content": "Be brief."},
      {"role": "user", "content": [{"type": "text", "text": "What is here?"},
                                   {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0"}},
                                   {"type": "image_url", "image_url": {"url": "https://example.com/a.jpg"}},
                                   {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBER"}}]},
      {"role": "assistant", "content": "Let me look.",
       "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Paris\"}"}},
                      {"id": "call_2", "type": "function", "function": {"name": "time", "arguments": "{}"}}]},
      {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
      {"role": "tool", "tool_call_id": "call_2", "content": "noon"},
      {"role": "user", "content": "Thanks"}],
    "tools": [{"type": "function", "function": {"name": "weather", "description": "The weather",
                                                 "parameters": {"type": "object", "required": ["city"]}}}],
    "tool_choice": "required", "parallel_tool_calls": false})");
  const auto m = json::parse(chat_to_messages(chat, "claude", 4096));
  EXPECT_EQ(m["model"], "claude");
  EXPECT_EQ(m["system"], "Be brief.");
  EXPECT_EQ(m["max_tokens"], 300);
  EXPECT_EQ(m["stop_sequences"], json::array({"END"}));
  EXPECT_EQ(m["temperature"], 0.2);
  EXPECT_EQ(m["top_p"], 0.9);
  EXPECT_EQ(m["metadata"]["user_id"], "u-1");
  EXPECT_EQ(m["stream"], true);
  for (const char* dropped : {"stream_options", "n", "logprobs", "user", "stop", "max_completion_tokens"})
    EXPECT_FALSE(m.contains(dropped)) << dropped;
  const auto& msgs = m["messages"];
  ASSERT_EQ(msgs.size(), 4u);
  const auto& user = msgs[0]["content"];
  EXPECT_EQ(user[0], json({{"type", "text"}, {"text", "What is here?"}}));
  EXPECT_EQ(user[1]["source"], json({{"type", "base64"}, {"media_type", "image/png"}, {"data", "iVBORw0"}}));
  EXPECT_EQ(user[2]["source"], json({{"type", "url"}, {"url", "https://example.com/a.jpg"}}));
  EXPECT_EQ(user[3]["type"], "document");
  EXPECT_EQ(user[3]["source"]["media_type"], "application/pdf");
  const auto& assistant = msgs[1]["content"];
  EXPECT_EQ(assistant[0], json({{"type", "text"}, {"text", "Let me look."}}));
  EXPECT_EQ(assistant[1], json({{"type", "tool_use"}, {"id", "call_1"}, {"name", "weather"}, {"input", {{"city", "Paris"}}}}));
  EXPECT_EQ(assistant[2]["id"], "call_2");
  // The two results, in one user turn, ids kept.
  const auto& results = msgs[2]["content"];
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0], json({{"type", "tool_result"}, {"tool_use_id", "call_1"}, {"content", "sunny"}}));
  EXPECT_EQ(results[1]["tool_use_id"], "call_2");
  EXPECT_EQ(msgs[3], json({{"role", "user"}, {"content", "Thanks"}}));
  EXPECT_EQ(m["tools"][0], json({{"name", "weather"}, {"description", "The weather"},
                                 {"input_schema", {{"type", "object"}, {"required", {"city"}}}}}));
  EXPECT_EQ(m["tool_choice"], json({{"type", "any"}, {"disable_parallel_tool_use", true}}));
  // Without a maximum, the model's default (Anthropic requires one).
  EXPECT_EQ(json::parse(chat_to_messages(R"({"model":"c","messages":[]})", "c", 4096))["max_tokens"], 4096);
  // A cap replaces the client's maximum.
  EXPECT_EQ(json::parse(chat_to_messages(chat, "claude", 4096, 100))["max_tokens"], 100);
}

TEST(TranslateRequest, ToolChoicesBothWays) {
  auto choice_of = [](json tc) {
    return json::parse(chat_to_messages(json{{"model", "c"}, {"messages", json::array()}, {"tool_choice", tc}}.dump(), "c", 1))["tool_choice"];
  };
  EXPECT_EQ(choice_of("auto"), json({{"type", "auto"}}));
  EXPECT_EQ(choice_of("none"), json({{"type", "none"}}));
  EXPECT_EQ(choice_of("required"), json({{"type", "any"}}));
  EXPECT_EQ(choice_of({{"type", "function"}, {"function", {{"name", "f"}}}}), json({{"type", "tool"}, {"name", "f"}}));
  auto back = [](json tc) {
    return json::parse(messages_to_chat(json{{"model", "c"}, {"messages", json::array()}, {"tool_choice", tc}}.dump(), "c"));
  };
  EXPECT_EQ(back({{"type", "auto"}})["tool_choice"], "auto");
  EXPECT_EQ(back({{"type", "any"}})["tool_choice"], "required");
  EXPECT_EQ(back({{"type", "none"}})["tool_choice"], "none");
  EXPECT_EQ(back({{"type", "tool"}, {"name", "f"}})["tool_choice"], json({{"type", "function"}, {"function", {{"name", "f"}}}}));
  EXPECT_EQ(back({{"type", "auto"}, {"disable_parallel_tool_use", true}})["parallel_tool_calls"], false);
}

TEST(TranslateRequest, MessagesToChatKeepsEveryRowOfTheList) {
  const std::string msgs = (R"({
    "model": "claude", "max_tokens": 200, "stop_sequences": ["END"], "temperature": 0.5, "top_p": 0.8, "top_k": 5,
    "metadata": {"user_id": "u-9"}, "stream": true,
    "system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
    "messages": [
      {"role": "user", "content": [{"type": "text", "text": "Look", "cache_control": {"type": "ephemeral"}},
                                   {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAA"}},
                                   {"type": "image", "source": {"type": "url", "url": "https://example.com/b.png"}},
                                   {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVB"}}]},
      {"role": "assistant", "content": [{"type": "thinking", "thinking": "hmm"}, {"type": "text", "text": "Checking."},
                                        {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Oslo"}}]},
      {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "cold"}]},
                                   {"type": "text", "text": "And now?"}]}],
    "tools": [{"name": "weather", "description": "d", "input_schema": {"type": "object"}, "cache_control": {"type": "ephemeral"}},
              {"type": "web_search_20250305", "name": "web_search"}],
    "tool_choice": {"type": "auto"}})");
  const auto c = json::parse(messages_to_chat(msgs, "gpt"));
  EXPECT_EQ(c["model"], "gpt");
  EXPECT_EQ(c["max_tokens"], 200);
  EXPECT_EQ(c["stop"], json::array({"END"}));
  EXPECT_EQ(c["temperature"], 0.5);
  EXPECT_EQ(c["top_p"], 0.8);
  EXPECT_EQ(c["user"], "u-9");
  EXPECT_EQ(c["stream"], true);
  EXPECT_EQ(c["stream_options"]["include_usage"], true);  // the usage, to translate it back
  for (const char* dropped : {"top_k", "metadata", "system", "stop_sequences"}) EXPECT_FALSE(c.contains(dropped)) << dropped;
  EXPECT_EQ(c.dump().find("cache_control"), std::string::npos);
  const auto& m = c["messages"];
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[0], json({{"role", "system"}, {"content", "Be brief."}}));
  EXPECT_EQ(m[1]["content"][0], json({{"type", "text"}, {"text", "Look"}}));
  EXPECT_EQ(m[1]["content"][1]["image_url"]["url"], "data:image/png;base64,AAA");
  EXPECT_EQ(m[1]["content"][2]["image_url"]["url"], "https://example.com/b.png");
  EXPECT_EQ(m[1]["content"][3]["file"]["file_data"], "data:application/pdf;base64,JVB");
  EXPECT_EQ(m[2]["content"], "Checking.");  // thinking dropped
  // The input as JSON text, written as the client wrote it.
  EXPECT_EQ(m[2]["tool_calls"][0], json({{"id", "toolu_1"}, {"type", "function"},
                                         {"function", {{"name", "weather"}, {"arguments", R"({"city": "Oslo"})"}}}}));
  EXPECT_EQ(m[3], json({{"role", "tool"}, {"tool_call_id", "toolu_1"}, {"content", "cold"}}));
  EXPECT_EQ(m[4]["content"][0]["text"], "And now?");
  ASSERT_EQ(c["tools"].size(), 1u);  // the server tool has no counterpart
  EXPECT_EQ(c["tools"][0]["function"]["parameters"], json({{"type", "object"}}));
  EXPECT_EQ(c["tool_choice"], "auto");
}

// The chat request is read from its text as a parsed document would read it (as the Messages request
// below).
TEST(TranslateRequest, ChatToMessagesReadsTheTextAsADocumentWould) {
  const std::string chat = (R"({"model":"gpt","m\u0061x_tokens":-3,"max_completion_tokens":2.0,"max_tokens":70,
    "stop":7,"top_p":null,"user":5,"parallel_tool_calls":false,
    "messages":[
      {"role":"system","content":"One"},
      {"role":"tool","tool_call_id":"c1","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
      {"role":"developer","content":[{"type":"text","text":"Two \u00e9"}]},
      {"role":"assistant","content":""},
      {"role":"t\u006fol","tool_call_id":"c2"},
      {"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png\u003bbase64,QU\/J"}},
                               {"type":"image_url","image_url":7},{"type":"image_url"},
                               {"type":"file","file":{"file_data":"https://example.com/x.pdf"}},{"type":"input_audio"}]},
      {"role":"assistant","content":null,"tool_calls":[
        {"id":"c3","function":{"name":"f","arguments":" {\"a\": [1, 2]} "}},
        {"id":"c4","function":{"name":"g","arguments":"{\"s\":\"\\ud800\"}"}},
        {"id":"c5","function":{"name":"h","arguments":{"b":true}}},
        3],
       "role":"assistant"},
      {"role":"user","content":5}],
    "tools":[{"function":{"name":"f","description":null}},{"type":"function"}],
    "tool_choice":{"function":5}})");
  const auto m = json::parse(chat_to_messages(chat, "claude", 4096));
  EXPECT_EQ(m["max_tokens"], 70);  // the first unsigned integer of the two: neither -3 nor 2.0
  EXPECT_EQ(m["system"], json::parse(R"([{"type":"text","text":"One"},{"type":"text","text":"Two é"}])"));
  for (const char* dropped : {"stop_sequences", "top_p", "metadata"}) EXPECT_FALSE(m.contains(dropped)) << dropped;
  const auto& t = m["messages"];
  ASSERT_EQ(t.size(), 4u) << t.dump();
  // Both results in one user turn: the system and empty assistant messages between them add no turn.
  EXPECT_EQ(t[0], json::parse(R"({"role":"user","content":[{"type":"tool_result","tool_use_id":"c1","content":"a\nb"},
                                   {"type":"tool_result","tool_use_id":"c2","content":""}]})"));
  EXPECT_EQ(t[1]["content"], json::parse(R"([{"type":"image","source":{"type":"base64","media_type":"image/png","data":"QU/J"}},
                                              {"type":"image","source":{"type":"url","url":""}}])"));
  EXPECT_EQ(t[2]["content"], json::parse(R"([{"type":"tool_use","id":"c3","name":"f","input":{"a":[1,2]}},
                                              {"type":"tool_use","id":"c4","name":"g","input":{}},
                                              {"type":"tool_use","id":"c5","name":"h","input":{"b":true}},
                                              {"type":"tool_use","id":"","name":"","input":{}}])"));
  EXPECT_EQ(t[3], json({{"role", "user"}, {"content", ""}}));
  EXPECT_EQ(m["tools"], json::parse(R"([{"name":"f","input_schema":{"type":"object"}}])"));
  EXPECT_EQ(m["tool_choice"], json::parse(R"({"type":"tool","name":"","disable_parallel_tool_use":true})"));
}

// The Messages request is read from its text: what it says is read as a parsed document would
// read it (names and values compared decoded, the last of a repeated member, a member of the wrong
// type as absent), and texts and values are copied as the client wrote them.
TEST(TranslateRequest, MessagesToChatReadsTheTextAsADocumentWould) {
  const std::string msgs = (R"({"model":"claude","m\u0061x_tokens":50,"stream":"yes","temperature":null,
    "system":[{"type":"text","text":""},{"type":"t\u0065xt","text":"One \"quoted\" \u00e9"},{"type":"text","text":7},
              {"type":"text","text":"Two"}],
    "messages":[
      {"role":"user","content":"first","content":[{"type":"text","text":"second"}]},
      {"role":"a\u0073sistant","content":[{"type":"text","text":"A"},{"type":"text","text":"B"},
        {"type":"tool_use","id":"t1","name":"f","input":{ "b" : [1, 2.50] , "a" : "\u00e9" }},
        {"type":"tool_use","id":7}]},
      {"role":"assistant","content":[{"type":"tool_use","id":"t2","name":"g"}]},
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"x"},
        {"type":"image"},{"type":"text","text":"y"}]},{"type":"tool_result","tool_use_id":"t2"},
        {"type":"image","source":{"type":"text","data":"a note"}},
        {"type":"document","source":{"type":"url","url":"https://example.com/d.pdf"}},
        "loose", 3]},
      {"role":"user","content":[]},
      7,
      {"content":null}],
    "tools":[{"name":"f","input_schema":null,"description":null}],
    "tool_choice":{"type":"tool","name":"f","disable_parallel_tool_use":"yes"}})");
  const auto c = json::parse(messages_to_chat(msgs, "gpt", 30));
  EXPECT_EQ(c["model"], "gpt");
  EXPECT_EQ(c["max_tokens"], 30);  // the cap replaces the client's maximum
  EXPECT_EQ(json::parse(messages_to_chat(msgs, "gpt"))["max_tokens"], 50);  // the escaped name read
  for (const char* dropped : {"stream", "stream_options", "temperature", "parallel_tool_calls"})
    EXPECT_FALSE(c.contains(dropped)) << dropped;
  const auto& m = c["messages"];
  ASSERT_EQ(m.size(), 8u) << m.dump();
  EXPECT_EQ(m[0], json({{"role", "system"}, {"content", "One \"quoted\" \u00e9\n\nTwo"}})) << m[0].dump();
  EXPECT_EQ(m[1], json({{"role", "user"}, {"content", json::array({{{"type", "text"}, {"text", "second"}}})}}));
  EXPECT_EQ(m[2]["content"], "AB");
  ASSERT_EQ(m[2]["tool_calls"].size(), 2u);
  // The input's JSON text as the client wrote it.
  EXPECT_EQ(m[2]["tool_calls"][0]["function"]["arguments"], R"({ "b" : [1, 2.50] , "a" : "\u00e9" })");
  EXPECT_EQ(m[2]["tool_calls"][1], json({{"id", ""}, {"type", "function"}, {"function", {{"name", ""}, {"arguments", "{}"}}}}));
  EXPECT_EQ(m[3], json({{"role", "assistant"}, {"content", nullptr},
                        {"tool_calls", {{{"id", "t2"}, {"type", "function"}, {"function", {{"name", "g"}, {"arguments", "{}"}}}}}}}));
  EXPECT_EQ(m[4], json({{"role", "tool"}, {"tool_call_id", "t1"}, {"content", "x\ny"}}));
  EXPECT_EQ(m[5], json({{"role", "tool"}, {"tool_call_id", "t2"}, {"content", ""}}));
  EXPECT_EQ(m[6]["content"], json::parse(R"([{"type":"text","text":"a note"}])"));  // the url document dropped
  EXPECT_EQ(m[7], json({{"role", "user"}, {"content", nullptr}}));
  EXPECT_EQ(c["tools"][0], json({{"type", "function"}, {"function", {{"name", "f"}, {"parameters", nullptr}}}}));
  EXPECT_EQ(c["tool_choice"], json({{"type", "function"}, {"function", {{"name", "f"}}}}));
  // Without a system text, no system message.
  const auto quiet = json::parse(messages_to_chat(R"({"system":[{"type":"text","text":""}],"messages":[],"stream":false})", "m"));
  EXPECT_EQ(quiet["messages"], json::array());
  EXPECT_EQ(quiet["stream"], false);
  EXPECT_FALSE(quiet.contains("stream_options"));
}

}  // namespace
}  // namespace corral::api
