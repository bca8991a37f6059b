// corral_fuzz_replay CORPUS_ROOT: runs every registered fuzz target over each file of
// CORPUS_ROOT/<target>/ (the regression run of the fuzz corpora; any compiler, no libFuzzer).
// A target without a corpus is an error, so a new target cannot be added without seeds.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "fuzz/fuzz_target.hpp"

namespace corral::fuzz {
namespace {
std::map<std::string, Target>& registry() {
  static std::map<std::string, Target> r;
  return r;
}
}  // namespace
bool register_target(const char* name, Target t) {
  registry().emplace(name, t);
  return true;
}
}  // namespace corral::fuzz

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  if (argc != 2) {
    std::cerr << "usage: corral_fuzz_replay CORPUS_ROOT\n";
    return 2;
  }
  int failures = 0;
  for (const auto& [name, target] : corral::fuzz::registry()) {
    const fs::path dir = fs::path(argv[1]) / name;
    std::size_t inputs = 0;
    if (fs::is_directory(dir)) {
      std::vector<fs::path> files;
      for (const auto& e : fs::directory_iterator(dir))
        if (e.is_regular_file()) files.push_back(e.path());
      std::sort(files.begin(), files.end());
      for (const auto& f : files) {
        std::ifstream in(f, std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        target(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
        ++inputs;
      }
    }
    std::cout << name << ": " << inputs << " inputs replayed\n";
    if (inputs == 0) {
      std::cerr << name << ": no corpus in " << dir << "\n";
      ++failures;
    }
  }
  return failures == 0 ? 0 : 1;
}
