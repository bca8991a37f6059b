#include "http/router.hpp"

#include <gtest/gtest.h>

namespace corral::http_routes {
namespace {

TEST(Router, KnownRoutes) {
  EXPECT_EQ(match(http::verb::post, "/v1/chat/completions").route, Route::chat_completions);
  EXPECT_EQ(match(http::verb::post, "/v1/completions").route, Route::completions);
  EXPECT_EQ(match(http::verb::post, "/v1/embeddings").route, Route::embeddings);
  EXPECT_EQ(match(http::verb::post, "/v1/responses?x=1").route, Route::responses);
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

}  // namespace
}  // namespace corral::http_routes
