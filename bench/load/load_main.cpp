// corral-load: the load generator of corral's benchmarks (bench/README.md).
#include <fstream>
#include <iostream>

#include "load_run.hpp"

int main(int argc, char** argv) {
  std::string error;
  auto plan = corral::load::parse_plan(argc, argv, error);
  if (!plan) {
    if (error == "help") {
      std::cout << corral::load::kUsage;
      return 0;
    }
    std::cerr << "corral-load: " << error << "\n\n" << corral::load::kUsage;
    return 2;
  }
  const auto result = corral::load::run(*plan);
  std::cout << corral::load::to_table(*plan, result);
  if (!plan->json_path.empty()) std::ofstream(plan->json_path) << corral::load::to_json(*plan, result) << "\n";
  return 0;
}
