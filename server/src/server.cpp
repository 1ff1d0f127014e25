#include "asgi/server/server.hpp"

#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <list>

#include "asgi/server/cli.hpp"
#include "asgi/server/logging.hpp"
#include "asgi/server/worker.hpp"

namespace asgi::server {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

std::string display_host(const tcp::endpoint& endpoint) {
  std::string host = endpoint.address().to_string();
  return endpoint.address().is_v6() ? "[" + host + "]" : host;
}

// Accepts onto the workers' contexts in turn, so each connection lives on one thread.
net::awaitable<void> accept_loop(tcp::acceptor& acceptor, std::list<Worker>& workers) {
  auto next = workers.begin();
  for (;;) {
    Worker& worker = *next;
    if (++next == workers.end()) next = workers.begin();
    boost::system::error_code ec;
    tcp::socket socket =
        co_await acceptor.async_accept(worker.context(), net::redirect_error(net::use_awaitable, ec));
    if (ec == net::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      // EMFILE and friends: back off instead of spinning (Asio throttling_proxy example).
      log::error().warn("Accept failed: {}", ec.message());
      net::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(net::redirect_error(net::use_awaitable, ec));
      continue;
    }
    net::post(worker.context(), [&worker, s = std::move(socket)]() mutable { worker.serve(std::move(s)); });
  }
}

}  // namespace

int run_server(const Config& config, const App& app) {
  // Declared first, destroyed last: the accept operation pending on main_context holds a socket
  // of a worker's context. A list, because workers are neither copyable nor movable.
  std::list<Worker> workers;
  net::io_context main_context{1};
  tcp::acceptor acceptor(main_context);
  const int pid = static_cast<int>(getpid());
  log::error().info("Started server process [{}]", pid);
  try {
    tcp::resolver resolver(main_context);
    auto results = resolver.resolve(config.host, std::to_string(config.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service);
    tcp::endpoint endpoint = results.begin()->endpoint();
    try {
      acceptor.open(endpoint.protocol());
      acceptor.set_option(tcp::acceptor::reuse_address(true));
      acceptor.bind(endpoint);
      acceptor.listen(config.backlog);
    } catch (const boost::system::system_error& e) {
      log::error().error("[Errno {}] error while attempting to bind on address ('{}', {}): {}",
                         e.code().value(), endpoint.address().to_string(), config.port,
                         e.code().message());
      return exit_startup_failure;
    }
  } catch (const boost::system::system_error& e) {
    log::error().error("Cannot resolve host '{}': {}", config.host, e.code().message());
    return exit_startup_failure;
  }

  for (unsigned i = 0; i < config.workers; ++i) workers.emplace_back(config, app);
  for (Worker& worker : workers) worker.start();

  tcp::endpoint bound = acceptor.local_endpoint();
  log::error().info("asgiserver running on http://{}:{} (Press CTRL+C to quit)", display_host(bound),
                    bound.port());

  net::co_spawn(main_context, accept_loop(acceptor, workers),
                log::LogEscapedException{"accept loop"});
  net::signal_set signals(main_context, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    log::error().info("Shutting down");
    boost::system::error_code ignored;
    acceptor.close(ignored);
    main_context.stop();
  });
  main_context.run();
  for (Worker& worker : workers) worker.stop();
  log::error().info("Finished server process [{}]", pid);
  return 0;
}

}  // namespace asgi::server
