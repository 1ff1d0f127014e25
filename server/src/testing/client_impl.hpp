#pragma once
// The test client's state, shared by its HTTP (client.cpp) and WebSocket (websocket_client.cpp)
// halves: a Worker (the server's own event loop and connection code) whose loop the calling
// thread runs, and the lifespan.

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

#include "asgi/server/config.hpp"
#include "asgi/server/lifespan.hpp"
#include "asgi/server/memory_stream.hpp"
#include "asgi/server/worker.hpp"
#include "asgi/testing/client.hpp"

namespace asgi::testing {

struct Client::Impl {
  Impl(App app_, ClientOptions options_);

  boost::asio::io_context& context() { return worker->context(); }

  /// Runs the server's loop on this thread until `done()`; std::runtime_error naming `what` when
  /// the client's timeout passes first.
  template <class Done>
  void run_until(Done done, const std::string& what) {
    auto deadline = std::chrono::steady_clock::now() + options.timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline)
        throw std::runtime_error("asgi::testing::Client: no " + what + " within " +
                                 std::to_string(options.timeout.count()) + " ms");
      context().restart();
      if (context().poll() == 0) context().run_one_for(std::chrono::milliseconds(1));
    }
  }

  /// A new connection served by the worker; the returned end is the client's.
  server::MemoryStream connect();

  ClientOptions options;
  server::Config config;
  App app;
  std::unique_ptr<server::Worker> worker;
  std::unique_ptr<server::Lifespan> lifespan;
};

}  // namespace asgi::testing
