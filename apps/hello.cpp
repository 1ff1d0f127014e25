// `hello`: the smallest useful ASGI app, and the one the benchmarks hammer.
//
//   asgiserver --app hello   ->   200 text/plain "Hello, world!"
//
// It is kept allocation-light on purpose, so a benchmark measures the server and not the app:
// the body fits in std::string's small-buffer storage, the headers are built in one go, and the
// response goes out as exactly two messages (start + one final body).

#include <stdexcept>

#include <boost/asio/awaitable.hpp>

#include "asgi/app.hpp"
#include "asgi/events.hpp"
#include "asgi/registry.hpp"

namespace {

boost::asio::awaitable<void> hello_app(asgi::Scope scope, asgi::Receive, asgi::Send send) {
  // ASGI: raise for scopes the app does not handle (the server then knows, e.g. "no lifespan").
  if (scope.type != "http") throw std::runtime_error("hello: unsupported scope type " + scope.type);

  // We never look at the request body, so we never call receive(): that is allowed.
  // (The message is built in its own statement, not inside the co_await expression: GCC 11-12
  // reject a braced list inside a co_await expression with "array used as initializer".)
  asgi::HttpResponseStart start{
      .status = 200, .headers = {{"content-type", "text/plain"}, {"content-length", "13"}}};
  co_await send(std::move(start));
  co_await send(asgi::HttpResponseBody{.body = "Hello, world!", .more_body = false});
}

}  // namespace

ASGI_REGISTER_APP(hello, hello_app);
