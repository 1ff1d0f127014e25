#pragma once
// One event-loop thread: an io_context{1} (single-threaded, so a connection needs no strand) that
// owns the connections accepted onto it.

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <thread>
#include <unordered_set>
#include <vector>

#include "asgi/app.hpp"
#include "asgi/protocol/response_encoder.hpp"
#include "asgi/server/config.hpp"
#include "asgi/server/loop_activity.hpp"
#include "asgi/server/memory_trim.hpp"
#include "asgi/server/process_load.hpp"
#include "asgi/server/server_metrics.hpp"

namespace asgi::server {

class Connection;
class Transport;
class TlsContextHolder;

class Worker {
 public:
  using Acceptor = boost::asio::basic_socket_acceptor<boost::asio::generic::stream_protocol>;
  /// `load` (optional): the process-wide counts for --limit-concurrency / --limit-max-requests.
  Worker(const Config& config, const App& app, ProcessLoad* load = nullptr);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  boost::asio::io_context& context() { return context_; }
  const Config& config() const { return config_; }
  const App& app() const { return app_; }
  /// Calls the app with the scope `make_scope()` returns, built straight into the app's parameter.
  /// An app registered as a plain function is called directly: through std::function the scope
  /// would be moved once more (about 400 instructions per request).
  template <class MakeScope>
  boost::asio::awaitable<void> call_app(MakeScope&& make_scope, Receive receive, Send send) const {
    if (app_function_) return app_function_(make_scope(), std::move(receive), std::move(send));
    return app_(make_scope(), std::move(receive), std::move(send));
  }
  ProcessLoad* load() const { return load_; }
  const State& state() const { return state_; }
  /// Whether this loop's requests get access lines (not the metrics listener's probes).
  void set_access_log(bool on) { access_log_ = on; }
  bool access_log() const { return access_log_; }
  /// --metrics-bind: this loop's figures (null: not counted).
  void set_metrics(LoopMetrics* metrics) { metrics_ = metrics; }
  LoopMetrics* metrics() const { return metrics_; }
  /// What this loop runs, for the event-loop watchdog.
  LoopActivity& activity() { return activity_; }
  const LoopActivity& activity() const { return activity_; }
  /// Set before serving starts: the lifespan state, shallow-copied into every request scope.
  void set_state(const State& state) { state_ = state; }
  /// Response options every exchange on this worker starts from.
  const protocol::ResponseOptions& response_defaults() const { return response_defaults_; }

  /// Connections accepted from now on speak TLS with `holder`'s current context.
  void set_tls(const TlsContextHolder* holder) { tls_ = holder; }
  /// Serves `socket` (already bound to this worker's context) until the connection ends.
  void serve(boost::asio::generic::stream_protocol::socket socket);
  /// Serves `transport` (on this worker's context), for instance an in-memory stream.
  void serve(Transport transport);

  /// Accepts on `fd` (a listening socket this worker now owns) once started.
  void listen_on(int fd);
  void start();  ///< runs the loop on a new thread, accepting on every listen_on() socket
  void stop();   ///< stops the loop (pending connections are abandoned) and joins

  // ---- graceful shutdown (callable from any thread) ----
  /// Idle connections close now; busy ones close after their current response.
  void begin_shutdown();  ///< also stops accepting
  /// Cancels whatever still runs: an app before its response start gets a 500.
  void cancel_connections();
  std::size_t connection_count() const { return connection_count_.load(); }
  bool shutting_down() const { return shutting_down_.load(); }

  // ---- connection registry (worker thread only) ----
  void add(Connection* connection);
  void remove(Connection* connection);
  /// A connection parked and released its buffers (see MemoryTrim).
  void note_parked() {
    ++parks_;
    memory_trim_.note_release();
  }
  /// How many times a connection parked (worker thread only).
  std::uint64_t parks() const { return parks_; }

 private:
  const Config& config_;
  const App& app_;
  ProcessLoad* load_;
  const TlsContextHolder* tls_ = nullptr;
  LoopActivity activity_;
  LoopMetrics* metrics_ = nullptr;
  bool access_log_ = true;
  boost::asio::awaitable<void> heartbeat();
  using AppFunction = boost::asio::awaitable<void> (*)(Scope, Receive, Send);
  AppFunction app_function_ = nullptr;  ///< app_'s target when it is a plain function
  State state_;
  std::string extra_headers_;  ///< --header lines, rendered once (response_defaults_ views them)
  protocol::ResponseOptions response_defaults_;
  boost::asio::awaitable<void> accept_loop(std::size_t index);
  std::unordered_set<Connection*> connections_;
  std::uint64_t parks_ = 0;
  std::atomic<std::size_t> connection_count_{0};
  std::atomic<bool> shutting_down_{false};
  std::thread thread_;
  // Declared last: destroyed first, so coroutine frames it holds die before what they reference.
  boost::asio::io_context context_{1};
  MemoryTrim memory_trim_{context_};  // after context_: its timer goes before the context does
  std::vector<std::unique_ptr<Acceptor>> acceptors_;  // after context_, for the same reason
};

}  // namespace asgi::server
