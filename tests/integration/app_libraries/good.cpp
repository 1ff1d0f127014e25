// Apps the server loads from a library: a greeting, a check that the library runs on the server's
// own Asio, and a factory.

#include <boost/asio/detail/call_stack.hpp>
#include <boost/asio/detail/thread_context.hpp>
#include <memory>
#include <string>

#include "asgi/asgi.hpp"

namespace {

boost::asio::awaitable<void> reply(asgi::Send send, std::string body) {
  co_await send(asgi::HttpResponseStart(200, {{"content-type", "text/plain"}}));
  co_await send(asgi::HttpResponseBody(std::move(body)));
}

boost::asio::awaitable<void> lib_hello(asgi::Scope scope, asgi::Receive, asgi::Send send) {
  if (scope.type != "http") throw std::runtime_error("http only");
  co_await reply(send, "hello from a library: " + scope.path);
}

// Asio keeps the running event loop's per-thread context in a thread-local variable defined in its
// headers. Compiled into this library, the read below finds the server's context only when the
// library's copy of that variable is the server's own (one Asio in the process); a second copy
// would be empty here, and with it the frame-recycling caches would be a second, separate set.
boost::asio::awaitable<void> asio_shared(asgi::Scope scope, asgi::Receive, asgi::Send send) {
  if (scope.type != "http") throw std::runtime_error("http only");
  using Stack = boost::asio::detail::call_stack<boost::asio::detail::thread_context,
                                                boost::asio::detail::thread_info_base>;
  co_await reply(send, Stack::top() != nullptr ? "shared" : "separate");
}

asgi::App make_counter() {
  auto count = std::make_shared<int>(0);
  return
      [count](asgi::Scope scope, asgi::Receive, asgi::Send send) -> boost::asio::awaitable<void> {
        if (scope.type != "http") throw std::runtime_error("http only");
        co_await reply(send, "made by a factory, call " + std::to_string(++*count));
      };
}

}  // namespace

ASGI_REGISTER_APP(lib_hello, lib_hello);
ASGI_REGISTER_APP(asio_shared, asio_shared);
ASGI_REGISTER_APP_FACTORY(lib_counter, make_counter);
