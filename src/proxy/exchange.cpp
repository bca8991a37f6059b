#include "proxy/exchange.hpp"

namespace corral::proxy {

void Exchange::reset() {
  snap.reset();
  stage.reset();
  op = api::Operation::health;
  fields = nullptr;
  body_text = nullptr;
  version = 11;
  keep_alive = true;
  request_id = {};
  tenant = nullptr;
  tenant_state = nullptr;
  start = {};
  body = {};
  model = nullptr;
  estimate = {};
  strip_usage_chunk = false;
  cache_plan = {};
  flight = cache::FlightLead();
  fill_token.clear();
  lease = limits::Lease();
  shared.reset();
  allowance = nullptr;
  allowance_tokens = 0;
  headers.clear();
  tries.clear();
  candidates.clear();
  forced_probe = false;
  route = nullptr;
  provider = nullptr;
  answer_model = nullptr;
  slot.reset();
  attempts = 0;
  last_error = Errc::ok;
  last_detail.clear();
  upstream_body.clear();
  upstream_body_model.clear();
  usage.reset();
  used.reset();
  relayed_bytes = 0;
  upstream_status = 0;
  answered = complete = captured = false;
  captured_content_type.clear();
  captured_body.clear();
  reply.reset();
  after = After::keep_alive;
}

}  // namespace corral::proxy
