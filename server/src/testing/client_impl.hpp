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
  /// Winds the connections down (as a graceful shutdown does) before the loop goes: a coroutine
  /// left suspended when its loop is destroyed would never be freed.
  ~Impl();

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

  /// Runs the loop until `done()`, however long: for operations that a closed stream has made
  /// complete (aborted) on the loop's next turns.
  template <class Done>
  void drain(Done done) {
    while (!done()) {
      context().restart();
      if (context().poll() == 0) context().run_one_for(std::chrono::milliseconds(1));
    }
  }

  /// run_until() for operations on `stream`: on a timeout the stream is closed and the loop run
  /// until `all_done()` (every operation the caller started has completed, aborted), so no
  /// handler outlives the caller's frame; then the timeout is thrown.
  template <class Done, class AllDone>
  void run_operation(server::MemoryStream& stream, Done done, AllDone all_done,
                     const std::string& what) {
    try {
      run_until(done, what);
    } catch (const std::runtime_error&) {
      stream.close();
      drain(all_done);
      throw;
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
