// What a streamed answer's events mean to corral (OpenAI's chat and text completions, the
// responses API; Anthropic's content deltas), for holding a stream back until its first content:
// before that an error or a cut can still be retried on another route.
#pragma once

#include "api/sse_parser.hpp"

namespace corral::api {

// What an event says, from one pass over its bytes (without parsing its JSON: this runs on the
// first events of every stream).
struct EventFacts {
  bool content = false;  // as carries_content
  bool error = false;    // as is_error_event
};
EventFacts facts_of(const SseEvent& e);

// The event carries generated content: text, a tool call or its arguments, a refusal. Decided
// from the event's bytes, without parsing its JSON (this runs on the first events of every stream).
bool carries_content(const SseEvent& e);
// The event reports an error (`event: error`, or a JSON object with a non-null "error" member or
// of "type": "error").
bool is_error_event(const SseEvent& e);

}  // namespace corral::api
