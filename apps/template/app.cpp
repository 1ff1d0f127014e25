// my_app: an HTTP greeting and a WebSocket echo, the starting point of a new app.
//
//   asgiserver --app build/libmy_app.so:my_app
//   curl localhost:8000/              -> Hello from my_app
//   websocat ws://localhost:8000/ws   -> every message comes back

#include <boost/asio/awaitable.hpp>
#include <stdexcept>
#include <string>
#include <variant>

#include "asgi/asgi.hpp"

namespace {

boost::asio::awaitable<void> echo(asgi::Receive receive, asgi::Send send) {
  co_await receive();  // websocket.connect
  co_await send(asgi::WebSocketAccept());
  for (;;) {
    asgi::Event event = co_await receive();
    auto* message = std::get_if<asgi::WebSocketReceive>(&event);
    if (!message) co_return;  // websocket.disconnect
    if (message->text)
      co_await send(asgi::WebSocketSend(std::nullopt, *message->text));
    else
      co_await send(asgi::WebSocketSend(message->bytes, std::nullopt));
  }
}

boost::asio::awaitable<void> my_app(asgi::Scope scope, asgi::Receive receive, asgi::Send send) {
  if (scope.type == "websocket") co_return co_await echo(receive, send);
  if (scope.type != "http") throw std::runtime_error("my_app: no " + scope.type + " support");
  std::string body = "Hello from my_app\n";
  co_await send(asgi::HttpResponseStart(
      200, {{"content-type", "text/plain"}, {"content-length", std::to_string(body.size())}}));
  co_await send(asgi::HttpResponseBody(std::move(body)));
}

}  // namespace

ASGI_REGISTER_APP(my_app, my_app);
