#include "http/router.hpp"

#include <gtest/gtest.h>

namespace corral::http_routes {
namespace {

TEST(Router, KnownRoutes) {
  EXPECT_EQ(match(http::verb::post, "/v1/chat/completions").route, Route::chat_completions);
  EXPECT_EQ(match(http::verb::post, "/v1/completions").route, Route::completions);
  EXPECT_EQ(match(http::verb::post, "/v1/embeddings").route, Route::embeddings);
  EXPECT_EQ(match(http::verb::post, "/v1/responses").route, Route::responses);  // (the query: framing_test)
  EXPECT_EQ(match(http::verb::get, "/v1/models").route, Route::models);
  EXPECT_EQ(match(http::verb::get, "/healthz").error, Errc::ok);
  EXPECT_EQ(upstream_path(Route::chat_completions), "/chat/completions");
  EXPECT_TRUE(is_forwarded(Route::embeddings));
  EXPECT_FALSE(is_forwarded(Route::models));
}

TEST(Router, WrongMethodIs405AndUnknownPath404) {
  EXPECT_EQ(match(http::verb::get, "/v1/chat/completions").error, Errc::method_not_allowed);
  EXPECT_EQ(match(http::verb::post, "/v1/models").error, Errc::method_not_allowed);
  EXPECT_EQ(match(http::verb::post, "/v1/chat/completions/").error, Errc::not_found);
  EXPECT_EQ(match(http::verb::post, "/v2/chat/completions").error, Errc::not_found);
  EXPECT_EQ(match(http::verb::get, "/").error, Errc::not_found);
}

TEST(Router, HeadIsServedWhereGetIsAnd405NamesTheAllowedMethods) {
  auto m = match(http::verb::head, "/v1/models");
  EXPECT_EQ(m.error, Errc::ok);
  EXPECT_EQ(m.route, Route::models);
  EXPECT_TRUE(m.head);
  EXPECT_FALSE(match(http::verb::get, "/v1/models").head);
  EXPECT_EQ(match(http::verb::head, "/v1/chat/completions").error, Errc::method_not_allowed);
  EXPECT_EQ(match(http::verb::get, "/v1/chat/completions").allow, "POST");
  EXPECT_EQ(match(http::verb::delete_, "/healthz").allow, "GET, HEAD");
}

}  // namespace
}  // namespace corral::http_routes
