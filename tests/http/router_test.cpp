#include "http/router.hpp"

#include <gtest/gtest.h>

namespace corral::http_server {
namespace {

TEST(Router, KnownRoutes) {
  EXPECT_EQ(match(http::verb::post, "/v1/chat/completions").op, api::Operation::chat_completions);
  EXPECT_EQ(match(http::verb::post, "/v1/completions").op, api::Operation::completions);
  EXPECT_EQ(match(http::verb::post, "/v1/embeddings").op, api::Operation::embeddings);
  EXPECT_EQ(match(http::verb::post, "/v1/responses").op, api::Operation::responses);  // (the query: framing_test)
  EXPECT_TRUE(api::is_forwarded(match(http::verb::post, "/v1/responses").op));
  EXPECT_EQ(match(http::verb::get, "/v1/models").op, api::Operation::list_models);
  EXPECT_EQ(match(http::verb::get, "/healthz").error, Errc::ok);
  EXPECT_EQ(api::upstream_path(api::Operation::chat_completions), "/chat/completions");
  EXPECT_FALSE(api::has_output(api::Operation::embeddings));
  EXPECT_EQ(match(http::verb::get, "/v1/models").op, api::Operation::list_models);
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
  EXPECT_EQ(m.op, api::Operation::list_models);
  EXPECT_TRUE(m.head);
  EXPECT_FALSE(match(http::verb::get, "/v1/models").head);
  EXPECT_EQ(match(http::verb::head, "/v1/chat/completions").error, Errc::method_not_allowed);
  EXPECT_EQ(match(http::verb::get, "/v1/chat/completions").allow, "POST");
  EXPECT_EQ(match(http::verb::delete_, "/healthz").allow, "GET, HEAD");
}

}  // namespace
}  // namespace corral::http_server
