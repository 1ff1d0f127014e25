#include "asgi/server/server.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstring>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <list>
#include <random>

#include "asgi/server/cli.hpp"
#include "asgi/server/lifespan.hpp"
#include "asgi/server/logging.hpp"
#include "asgi/server/transport.hpp"
#include "asgi/server/worker.hpp"

namespace asgi::server {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using Acceptor = net::basic_socket_acceptor<net::generic::stream_protocol>;

namespace {

constexpr auto poll_interval = std::chrono::milliseconds(50);
constexpr auto cancel_grace = std::chrono::seconds(5);  // for cancelled apps to wind down

// Accepts onto the workers' contexts in turn, so each connection lives on one thread.
net::awaitable<void> accept_loop(Acceptor& acceptor, std::list<Worker>& workers) {
  auto next = workers.begin();
  for (;;) {
    Worker& worker = *next;
    if (++next == workers.end()) next = workers.begin();
    boost::system::error_code ec;
    Transport::Socket socket = co_await acceptor.async_accept(
        worker.context(), net::redirect_error(net::use_awaitable, ec));
    if (ec == net::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      // EMFILE and friends: back off instead of spinning (Asio throttling_proxy example).
      log::error().warn("Accept failed: {}", ec.message());
      net::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(net::redirect_error(net::use_awaitable, ec));
      continue;
    }
    net::post(worker.context(),
              [&worker, s = std::move(socket)]() mutable { worker.serve(std::move(s)); });
  }
}

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

// SIGHUP asks a server to reload what can be reloaded without a restart. Without it handled, it
// would kill the process at once and drop every request in flight. Today there is nothing to
// re-read (TLS certificates will be), so it is logged and the server serves on.
net::awaitable<void> reload_on_hangup(net::signal_set& hangups) {
  for (;;) {
    auto [ec, signal] = co_await hangups.async_wait(net::as_tuple(net::use_awaitable));
    if (ec) co_return;
    log::error().info(
        "Received SIGHUP: nothing to reload (no TLS certificates configured); "
        "still serving");
  }
}

// Startup, serving, and the graceful shutdown that never drops an accepted request.
net::awaitable<int> serve(const Config& config, Acceptor& acceptor, std::list<Worker>& workers,
                          Lifespan& lifespan, net::signal_set& signals) {
  bool started = co_await lifespan.startup();
  if (!started) co_return exit_startup_failure;
  for (Worker& worker : workers) {
    worker.set_state(lifespan.state());
    worker.start();
  }
  std::string bound = describe_endpoint(acceptor.local_endpoint());
  if (bound.starts_with("unix:")) bound = "unix socket " + bound.substr(5);
  log::error().info("asgiserver running on {} (Press CTRL+C to quit)", bound);
  net::co_spawn(acceptor.get_executor(), accept_loop(acceptor, workers),
                log::LogEscapedException{"accept loop"});

  co_await signals.async_wait(net::as_tuple(net::use_awaitable));
  log::error().info("Shutting down");
  boost::system::error_code ignored;
  acceptor.close(ignored);  // new connections are refused from here on
  for (Worker& worker : workers) worker.begin_shutdown();
  // A second Ctrl+C means "now".
  signals.async_wait([](const boost::system::error_code& ec, int) {
    if (ec) return;
    log::error().warn("Forced exit: in-flight requests are dropped.");
    log::error().flush();
    std::_Exit(1);
  });

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

// Binds and listens on host and port; false (logged) on failure.
bool listen_tcp(const Config& config, net::io_context& context, Acceptor& acceptor) {
  tcp::endpoint endpoint;
  try {
    tcp::resolver resolver(context);
    auto results = resolver.resolve(config.host, std::to_string(config.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service);
    endpoint = results.begin()->endpoint();
  } catch (const boost::system::system_error& e) {
    log::error().error("Cannot resolve host '{}': {}", config.host, e.code().message());
    return false;
  }
  try {
    acceptor.open(net::generic::stream_protocol(endpoint.protocol().family(), IPPROTO_TCP));
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(net::generic::stream_protocol::endpoint(endpoint));
    acceptor.listen(config.backlog);  // bound, but nothing is accepted before startup completes
  } catch (const boost::system::system_error& e) {
    log::error().error("[Errno {}] error while attempting to bind on address ('{}', {}): {}",
                       e.code().value(), endpoint.address().to_string(), config.port,
                       e.code().message());
    return false;
  }
  return true;
}

// Binds a UNIX-domain socket at config.uds. A socket file left by a server that is gone is
// replaced (its mode kept, as Uvicorn does); one a live server still answers on is an error.
bool listen_unix(const Config& config, net::io_context& context, Acceptor& acceptor) {
  const std::string& path = config.uds;
  unsigned mode = config.uds_mode.value_or(0666);
  struct stat old {};
  if (::lstat(path.c_str(), &old) == 0) {
    boost::system::error_code ec;
    net::local::stream_protocol::socket probe(context);
    probe.connect(net::local::stream_protocol::endpoint(path), ec);
    if (!S_ISSOCK(old.st_mode) || !ec) {
      log::error().error("[Errno 98] error while attempting to bind on address '{}': {}", path,
                         S_ISSOCK(old.st_mode) ? "a server is listening on it"
                                               : "the path exists and is not a socket");
      return false;
    }
    ::unlink(path.c_str());
    if (!config.uds_mode) mode = old.st_mode & 07777;
  }
  try {
    net::local::stream_protocol::endpoint endpoint(path);
    acceptor.open(net::generic::stream_protocol(AF_UNIX, 0));
    acceptor.bind(net::generic::stream_protocol::endpoint(endpoint));
    acceptor.listen(config.backlog);
  } catch (const boost::system::system_error& e) {
    log::error().error("[Errno {}] error while attempting to bind on address '{}': {}",
                       e.code().value(), path, e.code().message());
    return false;
  }
  if (::chmod(path.c_str(), mode) != 0)
    log::error().warn("Cannot set mode {:o} on {}: {}", mode, path, std::strerror(errno));
  return true;
}

// Removes the socket file when the server ends, however it ends.
struct RemoveSocketFile {
  const std::string& path;
  bool bound = false;
  ~RemoveSocketFile() {
    if (bound) ::unlink(path.c_str());
  }
};

}  // namespace

// --limit-max-requests plus a random share of the jitter, so that worker processes started
// together are not all recycled at the same moment.
std::uint64_t max_requests_with_jitter(const Config& config) {
  if (!config.limit_max_requests || !config.limit_max_requests_jitter)
    return config.limit_max_requests;
  std::random_device random;
  return config.limit_max_requests +
         std::uniform_int_distribution<std::uint64_t>(0, config.limit_max_requests_jitter)(random);
}

int run_server(const Config& config, const App& app) {
  const std::uint64_t max_requests = max_requests_with_jitter(config);
  ProcessLoad load(config.limit_concurrency, max_requests);
  // Declared first, destroyed last: operations pending on main_context hold sockets of the
  // workers' contexts. A list, because workers are neither copyable nor movable.
  std::list<Worker> workers;
  net::io_context main_context{1};
  Acceptor acceptor(main_context);
  // A write to a connection the client reset must be an EPIPE error, not a signal that kills us
  // (sendfile(2) has no MSG_NOSIGNAL).
  std::signal(SIGPIPE, SIG_IGN);
  const int pid = static_cast<int>(getpid());
  log::error().info("Started server process [{}]", pid);
  RemoveSocketFile socket_file{config.uds};
  if (config.uds.empty()) {
    if (!listen_tcp(config, main_context, acceptor)) return exit_startup_failure;
  } else {
    if (!listen_unix(config, main_context, acceptor)) return exit_startup_failure;
    socket_file.bound = true;
  }

  for (unsigned i = 0; i < config.workers; ++i) workers.emplace_back(config, app, &load);
  Lifespan lifespan(main_context.get_executor(), app, config);
  net::signal_set signals(main_context, SIGINT, SIGTERM);
  net::signal_set hangups(main_context, SIGHUP);
  // Reaching --limit-max-requests starts the same graceful shutdown as SIGTERM.
  load.on_max_requests([&main_context, &signals, &workers, limit = max_requests] {
    // At once, so that the response to this very request already says `connection: close`.
    for (Worker& worker : workers) worker.begin_shutdown();
    net::post(main_context, [&signals, limit] {
      log::error().info("Maximum request limit of {} exceeded. Terminating process.", limit);
      signals.cancel();
    });
  });
  net::co_spawn(main_context, reload_on_hangup(hangups), log::LogEscapedException{"SIGHUP"});
  int exit_code = 0;
  net::co_spawn(main_context, serve(config, acceptor, workers, lifespan, signals),
                [&](std::exception_ptr error, int code) {
                  exit_code = code;
                  if (error) {
                    log::LogEscapedException{"server"}(error);
                    exit_code = 1;
                  }
                  main_context.stop();
                });
  main_context.run();
  for (Worker& worker : workers) worker.stop();
  if (exit_code != exit_startup_failure) log::error().info("Finished server process [{}]", pid);
  return exit_code;
}

}  // namespace asgi::server
