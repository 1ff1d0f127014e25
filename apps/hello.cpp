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

// Plain functions, not coroutines, and never inlined: the message each builds is moved into send's
// own frame when it is called and destroyed before the app suspends, so it takes no room in the
// app's frame. Written as `co_await send(asgi::HttpResponseBody(...))` in the app (or inlined
// into it), clang keeps every such temporary in the frame, which then grew to 1,193 bytes, past the
// 1 KiB that Asio recycles: a malloc per request, and an evicted recycled block that costs the
// server's next frame another (5 allocations per request instead of 2). Now 721 bytes.
[[gnu::noinline]] boost::asio::awaitable<void> send_hello_start(const asgi::Send& send) {
  return send(
      asgi::HttpResponseStart(200, {{"content-type", "text/plain"}, {"content-length", "13"}}));
}

[[gnu::noinline]] boost::asio::awaitable<void> send_hello_body(const asgi::Send& send) {
  return send(asgi::HttpResponseBody("Hello, world!", /*more_body=*/false));
}

boost::asio::awaitable<void> hello_app(asgi::Scope scope, asgi::Receive, asgi::Send send) {
  // ASGI: raise for scopes the app does not handle (the server then knows, e.g. "no lifespan").
  if (scope.type != "http") throw std::runtime_error("hello: unsupported scope type " + scope.type);

  // We never look at the request body, so we never call receive(): that is allowed.
  // No named locals either: each would live in the coroutine frame.
  co_await send_hello_start(send);
  co_await send_hello_body(send);
}

}  // namespace

ASGI_REGISTER_APP(hello, hello_app);
