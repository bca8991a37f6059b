#include "bench/load/load_plan.hpp"

#include <gtest/gtest.h>

namespace corral::load {
namespace {

std::optional<RunPlan> parse(std::vector<std::string> args, std::string& error) {
  args.insert(args.begin(), "corral-load");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return parse_plan(static_cast<int>(argv.size()), argv.data(), error);
}

TEST(LoadPlan, TenantsWithTheirOwnLoadAndWindows) {
  std::string error;
  auto p = parse({"--target", "127.0.0.1:8080", "--mode", "open", "--duration", "5s", "--tenant",
                  "name=a,key=k1,rate=100,conns=4", "--tenant", "name=b,key=k2,rate=50,stream=1,start=2s,stop=4s,"
                                                                "header=x-mock-chunks:64"},
                 error);
  ASSERT_TRUE(p) << error;
  EXPECT_EQ(p->mode, RunPlan::Mode::open);
  EXPECT_EQ(p->port, 8080);
  EXPECT_EQ(p->duration, std::chrono::seconds(5));
  ASSERT_EQ(p->tenants.size(), 2u);
  EXPECT_EQ(p->tenants[0].key, "k1");
  EXPECT_EQ(p->tenants[0].connections, 4u);
  EXPECT_DOUBLE_EQ(p->tenants[1].rate, 50);
  EXPECT_TRUE(p->tenants[1].stream);
  EXPECT_NE(p->tenants[1].body.find("\"stream\":true"), std::string::npos);
  EXPECT_EQ(p->tenants[1].start, std::chrono::seconds(2));
  EXPECT_EQ(p->tenants[1].headers.at(0).first, "x-mock-chunks");
}

TEST(LoadPlan, Errors) {
  std::string error;
  EXPECT_FALSE(parse({"--tenant", "name=a"}, error));
  EXPECT_NE(error.find("--target"), std::string::npos);
  EXPECT_FALSE(parse({"--target", "h:1", "--mode", "open", "--tenant", "name=a"}, error));
  EXPECT_NE(error.find("rate"), std::string::npos);
  EXPECT_FALSE(parse({"--target", "h:1", "--tenant", "name=a,bogus=1"}, error));
  EXPECT_FALSE(parse({"--target", "h:1", "--tenant", "name=a,start=5"}, error));
}

}  // namespace
}  // namespace corral::load
