// Responses corral answers itself: OpenAI-shaped errors and small JSON or text bodies.
#pragma once

#include <string>
#include <string_view>

#include "corral/asio.hpp"
#include "api/dialect.hpp"
#include "corral/error.hpp"

namespace corral::http_server {

using Response = http::response<http::string_body>;

// In the dialect of the client's route (Anthropic's shape on /v1/messages).
Response error(Errc e, unsigned version, std::string_view request_id, std::string_view message = {},
               std::string_view param = {}, api::Dialect dialect = api::Dialect::openai);
Response json(unsigned status, std::string body, unsigned version, std::string_view request_id);
Response text(unsigned status, std::string body, unsigned version, std::string_view request_id);

}  // namespace corral::http_server
