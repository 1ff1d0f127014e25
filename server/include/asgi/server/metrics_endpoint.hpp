#pragma once
// The --metrics-bind listener's app, served by the server itself on its own event loop and port
// (so the app's paths are untouched, and a scrape never queues behind the app's requests):
//   GET /metrics   the Prometheus text format
//   GET /healthz   200 while the process serves (liveness)
//   GET /readyz    200 once lifespan startup completed and until shutdown begins, else 503
//                  (readiness: a load balancer stops sending before the drain)

#include <atomic>
#include <memory>

#include "asgi/app.hpp"
#include "asgi/server/server_metrics.hpp"

namespace asgi::server {

struct HealthState {
  std::atomic<bool> started{false};   ///< lifespan startup completed
  std::atomic<bool> draining{false};  ///< a graceful shutdown began
};

App metrics_app(const ServerMetrics& metrics, const HealthState& health);

class Worker;
struct Config;

/// The listener and the event loop that serve metrics_app on --metrics-bind.
class MetricsListener {
 public:
  /// Binds and starts serving; nullptr (one error line logged) when the address cannot be bound.
  static std::unique_ptr<MetricsListener> open(const Config& config, const ServerMetrics& metrics,
                                               const HealthState& health);
  ~MetricsListener();

 private:
  MetricsListener() = default;
  std::unique_ptr<Config> config_;
  App app_;
  std::unique_ptr<Worker> worker_;
};

}  // namespace asgi::server
