#include "asgi/server/server.hpp"

#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <csignal>
#include <cstring>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <list>
#include <random>

#include "asgi/server/cli.hpp"
#include "asgi/server/lifespan.hpp"
#include "asgi/server/listeners.hpp"
#include "asgi/server/logging.hpp"
#include "asgi/server/loop_watchdog.hpp"
#include "asgi/server/metrics_endpoint.hpp"
#include "asgi/server/redis_broker.hpp"
#include "asgi/server/supervisor.hpp"
#include "asgi/server/tls_context.hpp"
#include "asgi/server/transport.hpp"
#include "asgi/server/worker.hpp"

namespace asgi::server {

namespace net = boost::asio;

namespace {

constexpr auto poll_interval = std::chrono::milliseconds(50);
constexpr auto cancel_grace = std::chrono::seconds(5);  // for cancelled apps to wind down

std::size_t open_connections(const std::list<Worker>& workers) {
  std::size_t total = 0;
  for (const Worker& worker : workers) total += worker.connection_count();
  return total;
}

// Polls until every connection has closed or `deadline` passes; true when all closed.
net::awaitable<bool> wait_for_connections(const std::list<Worker>& workers,
                                          net::steady_timer::time_point deadline) {
  net::steady_timer tick(co_await net::this_coro::executor);
  while (open_connections(workers) > 0) {
    if (net::steady_timer::clock_type::now() >= deadline) co_return false;
    tick.expires_after(poll_interval);
    co_await tick.async_wait(net::as_tuple(net::use_awaitable));
  }
  co_return true;
}

// SIGHUP asks a server to reload what can be reloaded without a restart: the TLS certificate and
// key (renewed certificates). Connections already open keep the context they started with. A bad
// new file is reported and the old context stays. Unhandled, SIGHUP would kill the process at
// once and drop every request in flight.
net::awaitable<void> reload_on_hangup(net::signal_set& hangups, const Config& config,
                                      TlsContextHolder* tls) {
  for (;;) {
    auto [ec, signal] = co_await hangups.async_wait(net::as_tuple(net::use_awaitable));
    if (ec) co_return;
    if (!tls) {
      log::error().info(
          "Received SIGHUP: nothing to reload (no TLS certificates configured); still serving");
      continue;
    }
    std::string problem;
    if (std::shared_ptr<const TlsContext> context = TlsContext::load(config.tls, problem)) {
      tls->replace(std::move(context));
      log::error().info("Received SIGHUP: reloaded the TLS certificate and key");
    } else {
      log::error().error("Received SIGHUP: cannot reload TLS ({}); keeping the current one",
                         problem);
    }
  }
}

// Why serving ends: SIGINT/SIGTERM, --limit-max-requests, or the supervisor going away. A flag with
// a timer to wake the waiter, rather than cancelling a wait: a request made while the lifespan is
// still starting up, before anyone waits, must not be lost.
class StopRequest {
 public:
  explicit StopRequest(net::io_context& context)
      : wakeup_(context, net::steady_timer::time_point::max()) {}

  void request() {
    requested_ = true;
    wakeup_.cancel();
  }

  bool requested() const { return requested_; }

  net::awaitable<void> wait() {
    while (!requested_) co_await wakeup_.async_wait(net::as_tuple(net::use_awaitable));
  }

 private:
  net::steady_timer wakeup_;
  bool requested_ = false;
};

// SIGINT/SIGTERM stop gracefully; a SIGINT once stopping means "now" (a second Ctrl+C), as in
// Uvicorn. A repeated SIGTERM does not cut the drain short: systemd signals every process of the
// service and the supervisor signals its workers again.
net::awaitable<void> stop_on_signals(net::signal_set& signals, StopRequest& stop) {
  for (;;) {
    auto [ec, signal] = co_await signals.async_wait(net::as_tuple(net::use_awaitable));
    if (ec) co_return;
    if (signal == SIGINT && stop.requested()) {
      log::error().warn("Forced exit: in-flight requests are dropped.");
      log::error().flush();
      std::_Exit(1);
    }
    stop.request();
  }
}

// A worker process's side of the supervisor's channel: pings are answered once every event loop
// of this process ran them (a loop blocked by app code makes the process miss its health check);
// the channel's end means the supervisor is gone, and the worker shuts down gracefully.
net::awaitable<void> answer_supervisor(int fd, std::list<Worker>& workers, StopRequest& stop) {
  auto executor = co_await net::this_coro::executor;
  net::local::stream_protocol::socket channel(executor, net::local::stream_protocol(), fd);
  char byte = 0;
  for (;;) {
    auto [ec, n] =
        co_await channel.async_read_some(net::buffer(&byte, 1), net::as_tuple(net::use_awaitable));
    if (ec) break;
    if (byte != channel::ping) continue;
    auto pending = std::make_shared<std::size_t>(workers.size());
    for (Worker& worker : workers) {
      net::post(worker.context(), [pending, executor, fd] {
        net::post(executor, [pending, fd] {
          if (--*pending > 0) return;
          char pong = channel::pong;
          ::send(fd, &pong, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
        });
      });
    }
  }
  boost::system::error_code ignored;
  channel.release(ignored);  // open for good: a late pong must not land on a reused descriptor
  log::error().warn("The supervisor is gone; shutting down");
  stop.request();
}

// Startup, serving, and the graceful shutdown that never drops an accepted request.
net::awaitable<int> serve(const Config& config, const Listeners& listeners,
                          std::list<Worker>& workers, Lifespan& lifespan, StopRequest& stop,
                          int supervisor_channel, HealthState& health) {
  bool started = co_await lifespan.startup();
  if (!started) co_return exit_startup_failure;
  health.started = true;
  for (Worker& worker : workers) {
    worker.set_state(lifespan.state());
    worker.start();
  }
  if (supervisor_channel >= 0) {  // the supervisor printed the addresses
    char ready = channel::ready;
    ::send(supervisor_channel, &ready, 1, MSG_NOSIGNAL);
  } else {
    for (const Listener& listener : listeners.all())
      log::error().info("asgiserver running on {} (Press CTRL+C to quit)", listener.description);
    // A systemd Type=notify service (NOTIFY_SOCKET set) is started once this says so.
    ::sd_notify(0, "READY=1");
  }

  co_await stop.wait();
  health.draining = true;  // /readyz says 503 from now on
  log::error().info("Shutting down");
  ::sd_notify(0, "STOPPING=1");
  for (Worker& worker : workers) worker.begin_shutdown();  // new connections are refused

  if (open_connections(workers) > 0)
    log::error().info("Waiting for connections to close. (CTRL+C to force quit)");
  auto deadline = net::steady_timer::clock_type::now() + to_clock(config.timeout_graceful_shutdown);
  if (!co_await wait_for_connections(workers, deadline)) {
    log::error().error("Cancel {} running connection(s), timeout graceful shutdown exceeded",
                       open_connections(workers));
    for (Worker& worker : workers) worker.cancel_connections();
    co_await wait_for_connections(workers, net::steady_timer::clock_type::now() + cancel_grace);
  }
  co_await lifespan.shutdown();
  co_return 0;
}

// --limit-max-requests plus a random share of the jitter, so that worker processes started
// together are not all recycled at the same moment.
std::uint64_t max_requests_with_jitter(const Config& config) {
  if (!config.limit_max_requests || !config.limit_max_requests_jitter)
    return config.limit_max_requests;
  std::random_device random;
  return config.limit_max_requests +
         std::uniform_int_distribution<std::uint64_t>(0, config.limit_max_requests_jitter)(random);
}

}  // namespace

int run_server(const Config& config, const App& app) {
  // Read before anything is bound or started, so that a bad certificate is one line and exit 3.
  std::optional<TlsContextHolder> tls;
  if (config.tls.enabled()) {
    std::string problem;
    std::shared_ptr<const TlsContext> context = TlsContext::load(config.tls, problem);
    if (!context) {
      log::error().error("Error: {}", problem);
      return exit_startup_failure;
    }
    tls.emplace(std::move(context));
  }
  std::optional<Listeners> listeners;
  int supervisor_channel = -1;
  std::optional<SharedMetricsRegion>
      shared_metrics;  // a worker's figures, summed by its supervisor
  std::size_t metrics_slot = 0;
  if (std::optional<WorkerInheritance> inherited = inherited_from_supervisor()) {
    listeners = std::move(inherited->listeners);
    supervisor_channel = inherited->channel_fd;
    if (inherited->metrics) shared_metrics.emplace(std::move(*inherited->metrics));
    metrics_slot = inherited->metrics_slot;
  } else {
    listeners = Listeners::open(config, config.threads);
    if (!listeners) return exit_startup_failure;
    if (config.workers > 1 || config.reload) return run_supervisor(config, std::move(*listeners));
  }
  const std::uint64_t max_requests = max_requests_with_jitter(config);
  ProcessLoad load(config.limit_concurrency, max_requests);
  // Declared first, destroyed last: operations pending on main_context hold sockets of the
  // workers' contexts. A list, because workers are neither copyable nor movable.
  std::list<Worker> workers;
  net::io_context main_context{1};
  // A write to a connection the client reset must be an EPIPE error, not a signal that kills us
  // (sendfile(2) has no MSG_NOSIGNAL).
  std::signal(SIGPIPE, SIG_IGN);
  const int pid = static_cast<int>(getpid());
  log::error().info("Started server process [{}]", pid);
  for (unsigned i = 0; i < config.threads; ++i) {
    Worker& worker = workers.emplace_back(config, app, &load);
    if (tls) worker.set_tls(&*tls);
    for (const Listener& listener : listeners->all())
      worker.listen_on(listeners->duplicate_for(listener, i));
  }
  // The threads own duplicates: when they close theirs at shutdown, the kernel refuses new
  // connections instead of queueing them on a descriptor nobody accepts from.
  listeners->close_descriptors();
  // --metrics-bind: every loop counts into `metrics`; a loop of its own serves them, from now on
  // (/healthz answers during startup, /readyz once it completed).
  HealthState health;
  std::optional<ServerMetrics> metrics;
  std::unique_ptr<MetricsListener> metrics_listener;
  if (shared_metrics) {
    std::size_t thread = 0;
    for (Worker& worker : workers)
      worker.set_metrics(&shared_metrics->loop(metrics_slot, thread++));
  } else if (!config.metrics_bind.empty() && supervisor_channel < 0) {
    metrics.emplace();
    for (Worker& worker : workers) worker.set_metrics(&metrics->add_loop());
    metrics_listener = MetricsListener::open(config, *metrics, health);
    if (!metrics_listener) return exit_startup_failure;
  }
  // --broadcast-url: named Broadcasters and Leases reach other processes through Redis, driven by
  // this loop; installed before the app's lifespan starts, so startup code can publish already.
  std::shared_ptr<RedisBroker> broker;
  if (!config.broadcast_url.empty()) {
    std::string problem;
    broker = RedisBroker::start(main_context.get_executor(),
                                *protocol::redis::parse_url(config.broadcast_url, problem));
    asgi::install_broker(broker);
  }
  Lifespan lifespan(main_context.get_executor(), app, config);
  net::signal_set signals(main_context, SIGINT, SIGTERM);
  net::signal_set hangups(main_context, SIGHUP);
  StopRequest stop(main_context);
  // Reaching --limit-max-requests starts the same graceful shutdown as SIGTERM.
  load.on_max_requests([&main_context, &stop, &workers, limit = max_requests] {
    // At once, so that the response to this very request already says `connection: close`.
    for (Worker& worker : workers) worker.begin_shutdown();
    net::post(main_context, [&stop, limit] {
      log::error().info("Maximum request limit of {} exceeded. Terminating process.", limit);
      stop.request();
    });
  });
  net::co_spawn(main_context, reload_on_hangup(hangups, config, tls ? &*tls : nullptr),
                log::LogEscapedException{"SIGHUP"});
  net::co_spawn(main_context, stop_on_signals(signals, stop), log::LogEscapedException{"signals"});
  if (supervisor_channel >= 0)
    net::co_spawn(main_context, answer_supervisor(supervisor_channel, workers, stop),
                  log::LogEscapedException{"supervisor channel"});
  int exit_code = 0;
  net::co_spawn(main_context,
                serve(config, *listeners, workers, lifespan, stop, supervisor_channel, health),
                [&](std::exception_ptr error, int code) {
                  exit_code = code;
                  if (error) {
                    log::LogEscapedException{"server"}(error);
                    exit_code = 1;
                  }
                  main_context.stop();
                });
  // Watches the loops from its own thread from now on (a loop not yet started is skipped).
  std::optional<LoopWatchdog> watchdog;
  if (config.loop_lag_warn.count() > 0) watchdog.emplace(workers, config.loop_lag_warn);
  main_context.run();
  watchdog.reset();  // before the loops stop, which is no stall
  for (Worker& worker : workers) worker.stop();
  if (broker) asgi::install_broker(nullptr);  // its loops end with main_context
  metrics_listener.reset();
  if (exit_code != exit_startup_failure) log::error().info("Finished server process [{}]", pid);
  return exit_code;
}

}  // namespace asgi::server
