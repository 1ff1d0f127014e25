#include "asgi/server/metrics_endpoint.hpp"

#include "asgi/events.hpp"
#include "asgi/server/config.hpp"
#include "asgi/server/listeners.hpp"
#include "asgi/server/worker.hpp"

namespace asgi::server {

namespace {

class MetricsApp {
 public:
  MetricsApp(const ServerMetrics& metrics, const HealthState& health)
      : metrics_(&metrics), health_(&health) {}

  // A member coroutine: the App (and with it this object) outlives every request.
  boost::asio::awaitable<void> operator()(Scope scope, Receive receive, Send send) const {
    if (scope.type == "lifespan") throw std::runtime_error("no lifespan");
    if (scope.type != "http") co_return;
    co_await receive();  // the (empty) request body
    int status = 404;
    std::string body = "Not Found\n";
    std::string type = "text/plain; charset=utf-8";
    if (scope.method != "GET" && scope.method != "HEAD") {
      status = 405;
      body = "Method Not Allowed\n";
    } else if (scope.path == "/metrics") {
      status = 200;
      body = metrics_->render();
      type = "text/plain; version=0.0.4; charset=utf-8";
    } else if (scope.path == "/healthz") {
      status = 200;
      body = "ok\n";
    } else if (scope.path == "/readyz") {
      bool ready = health_->started.load() && !health_->draining.load();
      status = ready ? 200 : 503;
      body = ready ? "ready\n" : health_->draining.load() ? "draining\n" : "starting\n";
    }
    Headers headers;
    headers.add("content-type", type);
    headers.add("cache-control", "no-store");
    co_await send(HttpResponseStart(status, std::move(headers)));
    co_await send(HttpResponseBody(std::move(body)));
  }

 private:
  const ServerMetrics* metrics_;
  const HealthState* health_;
};

}  // namespace

App metrics_app(const ServerMetrics& metrics, const HealthState& health) {
  return MetricsApp(metrics, health);
}

std::unique_ptr<MetricsListener> MetricsListener::open(const Config& config,
                                                       const ServerMetrics& metrics,
                                                       const HealthState& health) {
  std::unique_ptr<MetricsListener> listener(new MetricsListener());
  // Plain HTTP on one address, whatever the app's listeners do (TLS, PROXY protocol, limits).
  listener->config_ = std::make_unique<Config>(config);
  Config& own = *listener->config_;
  std::string error;
  own.binds = {*BindAddress::parse(config.metrics_bind, error)};  // checked by the command line
  own.threads = 1;
  own.proxy_protocol = false;
  own.tls = {};
  own.limit_concurrency = 0;
  own.limit_max_requests = 0;
  own.loop_lag_warn = Seconds(0);
  std::optional<Listeners> bound = Listeners::open(own, 1);
  if (!bound) return nullptr;
  listener->app_ = metrics_app(metrics, health);
  listener->worker_ = std::make_unique<Worker>(own, listener->app_);
  listener->worker_->set_access_log(false);  // probes every few seconds: no access lines
  for (const Listener& one : bound->all())
    listener->worker_->listen_on(bound->duplicate_for(one, 0));
  bound->close_descriptors();
  listener->worker_->start();
  return listener;
}

MetricsListener::~MetricsListener() {
  if (worker_) worker_->stop();
}

}  // namespace asgi::server
