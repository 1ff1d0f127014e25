// `echo`: sends the request body straight back, chunk by chunk, as it arrives; over WebSocket,
// every message.
//
//   curl --data-binary @big.file localhost:8000  ->  the same bytes back
//
// It shows streaming in both directions: nothing is buffered, so a 10 GB upload needs no more
// memory than one chunk. Without a content-length the server frames the response itself
// (chunked encoding on HTTP/1.1).

#include <string>
#include <variant>

#include <boost/asio/awaitable.hpp>

#include "asgi/app.hpp"
#include "asgi/errors.hpp"
#include "asgi/events.hpp"
#include "asgi/registry.hpp"
#include "common/http.hpp"

namespace {

// WebSocket echo: every message straight back, text as text and bytes as bytes, until the client
// closes (the server then delivers websocket.disconnect and we simply return).
boost::asio::awaitable<void> echo_websocket(asgi::Receive receive, asgi::Send send) {
  asgi::Event connect = co_await receive();  // websocket.connect
  if (!std::holds_alternative<asgi::WebSocketConnect>(connect)) co_return;
  co_await send(asgi::WebSocketAccept());
  for (;;) {
    asgi::Event event = co_await receive();
    auto* message = std::get_if<asgi::WebSocketReceive>(&event);
    if (!message) co_return;  // websocket.disconnect
    co_await send(asgi::WebSocketSend(std::move(message->bytes), std::move(message->text)));
  }
}

boost::asio::awaitable<void> echo_http(asgi::Scope scope, asgi::Receive receive, asgi::Send send) {
  apps::require_http(scope, "echo");

  // Wait for the first chunk before answering: a client that leaves straight away gets nothing.
  asgi::Event event = co_await receive();

  asgi::HttpResponseStart start(200);
  start.headers.add("content-type",
                    scope.headers.get("content-type").value_or("application/octet-stream"));
  co_await send(std::move(start));

  for (;;) {
    if (std::holds_alternative<asgi::HttpDisconnect>(event)) co_return;  // client gone: stop
    auto* chunk = std::get_if<asgi::HttpRequest>(&event);
    if (!chunk)
      throw asgi::ProtocolError("echo: unexpected event " + std::string(asgi::type_of(event)));
    // An empty chunk has nothing to echo; skipping it saves the server a no-op write.
    if (!chunk->body.empty())
      co_await send(asgi::HttpResponseBody(std::move(chunk->body), /*more_body=*/true));
    if (!chunk->more_body) break;
    event = co_await receive();
  }
  co_await send(asgi::HttpResponseBody("", /*more_body=*/false));  // the end of the response
}

// A plain function, not a coroutine: it returns the coroutine the scope needs, so a WebSocket
// holds only echo_websocket's small frame for its whole life (a coroutine frame is as big as all
// of its branches' locals together).
boost::asio::awaitable<void> echo_app(asgi::Scope scope, asgi::Receive receive, asgi::Send send) {
  if (scope.type == "websocket") return echo_websocket(std::move(receive), std::move(send));
  return echo_http(std::move(scope), std::move(receive), std::move(send));
}

}  // namespace

ASGI_REGISTER_APP(echo, echo_app);
