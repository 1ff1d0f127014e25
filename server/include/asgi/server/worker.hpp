#pragma once
// One event-loop thread: an io_context{1} (single-threaded, so a connection needs no strand) that
// owns the connections accepted onto it.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <thread>

#include "asgi/app.hpp"
#include "asgi/protocol/response_encoder.hpp"
#include "asgi/server/config.hpp"

namespace asgi::server {

class Worker {
 public:
  Worker(const Config& config, const App& app);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  boost::asio::io_context& context() { return context_; }
  const Config& config() const { return config_; }
  const App& app() const { return app_; }
  const State& state() const { return state_; }
  /// Response options every exchange on this worker starts from.
  const protocol::ResponseOptions& response_defaults() const { return response_defaults_; }

  /// Serves `socket` (already bound to this worker's context) until the connection ends.
  void serve(boost::asio::ip::tcp::socket socket);

  void start();  ///< runs the loop on a new thread
  void stop();   ///< stops the loop (pending connections are abandoned) and joins

 private:
  const Config& config_;
  const App& app_;
  State state_;
  protocol::ResponseOptions response_defaults_;
  std::thread thread_;
  // Declared last: destroyed first, so coroutine frames it holds die before what they reference.
  boost::asio::io_context context_{1};
};

}  // namespace asgi::server
