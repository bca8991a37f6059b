// The configuration loader: any text is either a configuration or a list of errors, each with a
// position inside the text; never a crash, never both.
#include <algorithm>
#include <string>

#include "corral/config_loader.hpp"
#include "fuzz/fuzz_target.hpp"

using namespace corral;

CORRAL_FUZZ_TARGET(config) {
  const auto in = fuzz::as_text(data, size);
  const auto lines = static_cast<int>(std::count(in.begin(), in.end(), '\n')) + 1;
  const auto r = load_config_text(in, "fuzz.yaml", [](const std::string& name) -> std::optional<std::string> {
    if (name == "SET") return std::string("value");
    return std::nullopt;
  });
  FUZZ_CHECK((r.config != nullptr) != !r.errors.empty());
  for (const auto& e : r.errors) {
    FUZZ_CHECK(e.line >= 1 && e.column >= 1 && !e.message.empty());
    FUZZ_CHECK(e.line <= lines + 1);
  }
  return 0;
}
