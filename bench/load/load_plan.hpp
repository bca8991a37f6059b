// What corral-load is asked to do: the run's shape and one entry per tenant (its key, load,
// body and time window), parsed from the command line.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace corral::load {

struct TenantPlan {
  std::string name = "default";
  std::string key;                               // sent as Authorization: Bearer
  std::vector<std::string> keys;                 // instead of `key`: one drawn per request
  double zipf = 1.0;                             // ... key k (from 1) with probability ∝ 1/k^zipf
  std::string path = "/v1/chat/completions";
  std::string body;                              // request body (JSON)
  std::vector<std::pair<std::string, std::string>> headers;
  unsigned connections = 1;                      // closed loop: busy connections; open loop: at most
  double rate = 0;                               // open loop: requests per second
  bool stream = false;                           // measure time to first byte and chunk arrival
  std::chrono::milliseconds start{0}, stop{0};   // window within the run (stop 0: to the end)
};

struct RunPlan {
  enum class Mode { closed, open } mode = Mode::closed;
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  std::chrono::milliseconds duration{10'000}, warmup{1'000};
  std::chrono::milliseconds request_timeout{30'000};
  std::vector<TenantPlan> tenants;
  std::string json_path;  // where to write results as JSON ("" = nowhere)
};

// Parses argv; on error returns nullopt and sets `error`.
std::optional<RunPlan> parse_plan(int argc, char** argv, std::string& error);
extern const char* const kUsage;

}  // namespace corral::load
