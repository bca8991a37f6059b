#include "proxy/validate_stage.hpp"

namespace corral::proxy {
namespace {
constexpr std::size_t kLoggedTextMax = 256;  // the model name in the access log
}

std::optional<Verdict> ValidateStage::at_once(Exchange& x) {
  x.body = api::parse_request_body(*x.body_text);
  if (x.body.error != Errc::ok) {
    x.fail(x.body.error, std::move(x.body.message), std::move(x.body.param));
    return Verdict::stop;
  }
  if (x.op == api::Operation::messages) {  // Anthropic requires the answer's maximum
    if (!x.body.positive_max_tokens) {
      x.fail(Errc::invalid_request, "max_tokens: Field required (a positive integer).", "max_tokens");
      return Verdict::stop;
    }
  }
  const auto& model_name = x.body.model;
  x.model = x.config().find_model(model_name);
  auto& rec = *x.record;
  rec.model.assign(model_name, 0, kLoggedTextMax);
  rec.model_known = x.model != nullptr;
  rec.stream = x.body.stream;
  if (!x.model || !x.tenant->may_use_model(model_name)) {
    x.fail(Errc::model_not_found,
           "The model '" + model_name.substr(0, 256) + "' does not exist or you do not have access to it.", "model");
    return Verdict::stop;
  }
  x.estimate = limits::estimate_tokens(x.body.counts, x.body_text->size(), *x.model, api::has_output(x.op));
  if (x.model->context_window && x.estimate.total() > *x.model->context_window) {
    x.fail(Errc::context_length_exceeded,
           "This model's maximum context length is " + std::to_string(*x.model->context_window) +
               " tokens; the request asks for about " + std::to_string(x.estimate.total()) + ".",
           "messages");
    return Verdict::stop;
  }
  x.strip_usage_chunk = api::needs_stream_usage(x.body, x.op);
  return Verdict::proceed;
}

}  // namespace corral::proxy
