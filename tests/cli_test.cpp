#include "cli.hpp"

#include <gtest/gtest.h>

namespace corral::cli {
namespace {

TEST(Cli, ParsesTheSpecCalls) {
  auto p = parse({"--config", "/x.yaml"});
  EXPECT_TRUE(p.error.empty());
  EXPECT_EQ(p.options.config_path, "/x.yaml");
  EXPECT_EQ(p.options.mode, Options::Mode::run);
  EXPECT_EQ(parse({}).options.config_path, "/etc/corral/corral.yaml");
  EXPECT_EQ(parse({"--check-config", "--config", "a"}).options.mode, Options::Mode::check_config);
  EXPECT_EQ(parse({"hash-key"}).options.mode, Options::Mode::hash_key);
  EXPECT_EQ(parse({"--version"}).options.mode, Options::Mode::version);
  EXPECT_EQ(parse({"--help"}).options.mode, Options::Mode::help);
}

TEST(Cli, RejectsUnknownOrIncompleteArguments) {
  EXPECT_FALSE(parse({"--bogus"}).error.empty());
  EXPECT_FALSE(parse({"--config"}).error.empty());
  EXPECT_FALSE(parse({"--log-level", "loud"}).error.empty());
  EXPECT_FALSE(parse({"--config", "x", "hash-key"}).error.empty());
  EXPECT_EQ(version().rfind("corral ", 0), 0u);
}

}  // namespace
}  // namespace corral::cli
