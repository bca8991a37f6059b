// Renaming the model of an answer: however the answer is split, the same bytes come out; renaming
// the result again changes nothing; and an answer without a "model" member passes unchanged.
#include <string>

#include "api/model_rename.hpp"
#include "fuzz/fuzz_target.hpp"

using namespace corral;

namespace {
std::string renamed(std::string_view in, std::size_t split) {
  api::ModelRename r("gpt-4.1");
  std::string out(r.feed(in.substr(0, split)));
  out.append(r.feed(in.substr(split)));
  out.append(r.finish());
  return out;
}
}  // namespace

CORRAL_FUZZ_TARGET(model_rename) {
  const auto in = fuzz::as_text(data, size);
  const auto whole = renamed(in, in.size());
  FUZZ_CHECK(renamed(in, fuzz::split_point(in)) == whole);
  FUZZ_CHECK(renamed(whole, whole.size()) == whole);
  if (in.find("\"model\"") == std::string_view::npos) FUZZ_CHECK(whole == in);
  return 0;
}
