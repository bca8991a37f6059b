// Responses corral answers itself: OpenAI-shaped errors and small JSON or text bodies.
#pragma once

#include <string>
#include <string_view>

#include "corral/asio.hpp"
#include "corral/error.hpp"

namespace corral::http_server {

using Response = http::response<http::string_body>;

Response error(Errc e, unsigned version, std::string_view request_id, std::string_view message = {},
               std::string_view param = {});
Response json(unsigned status, std::string body, unsigned version, std::string_view request_id);
Response text(unsigned status, std::string body, unsigned version, std::string_view request_id);

}  // namespace corral::http_server
