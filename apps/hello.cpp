// `hello`: the smallest useful ASGI app, and the one the benchmarks hammer.
//
//   asgiserver --app hello   ->   200 text/plain "Hello, world!"
//
// It is kept allocation-light on purpose, so a benchmark measures the server and not the app:
// the body fits in std::string's small-buffer storage, the headers are built in one go, the
// coroutine frame stays under the 1 KiB Asio recycles, and the response goes out as exactly two
// messages (start + one final body).

#include <stdexcept>

#include <boost/asio/awaitable.hpp>

#include "asgi/app.hpp"
#include "asgi/events.hpp"
#include "asgi/registry.hpp"

namespace {

// Built outside the coroutine: GCC 12 rejects a braced header list inside a co_await expression
// ("array used as initializer") and miscompiles braced aggregates there, so every app here keeps
// braces out of co_await.
asgi::Message hello_start() {
  return asgi::HttpResponseStart(200, {{"content-type", "text/plain"}, {"content-length", "13"}});
}

boost::asio::awaitable<void> hello_app(asgi::Scope scope, asgi::Receive, asgi::Send send) {
  // ASGI: raise for scopes the app does not handle (the server then knows, e.g. "no lifespan").
  if (scope.type != "http") throw std::runtime_error("hello: unsupported scope type " + scope.type);

  // We never look at the request body, so we never call receive(): that is allowed.
  //
  // No named locals: each would live in the coroutine frame, and a frame over 1 KiB is not
  // recycled by Asio (it mallocs one per request and evicts a recycled block for it).
  co_await send(hello_start());
  co_await send(asgi::HttpResponseBody("Hello, world!", /*more_body=*/false));
}

}  // namespace

ASGI_REGISTER_APP(hello, hello_app);
