// Which operation a request line names (docs/http.md "Routes"): matched on the path alone (a query
// string is not part of it); HEAD is served wherever GET is.
#pragma once

#include <string_view>

#include "api/operation.hpp"
#include "corral/asio.hpp"
#include "corral/error.hpp"

namespace corral::http_server {

struct Match {
  api::Operation op = api::Operation::health;
  Errc error = Errc::ok;   // not_found or method_not_allowed
  bool head = false;       // HEAD of a GET route: answer the head only
  std::string_view allow;  // the path's methods, for the Allow field of a 405
};

Match match(http::verb method, std::string_view path) noexcept;

}  // namespace corral::http_server
