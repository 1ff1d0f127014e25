// A library with exactly one app.

#include "asgi/asgi.hpp"

namespace {

boost::asio::awaitable<void> only_app(asgi::Scope scope, asgi::Receive, asgi::Send send) {
  if (scope.type != "http") throw std::runtime_error("http only");
  co_await send(asgi::HttpResponseStart(200, {}));
  co_await send(asgi::HttpResponseBody("the only app"));
}

}  // namespace

ASGI_REGISTER_APP(only_app, only_app);
