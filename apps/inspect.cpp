// `inspect`: answers with the request's ASGI scope as JSON, to see exactly what the server hands
// an application (handy when comparing with Uvicorn: the keys and values should match).
//
//   curl 'localhost:8000/some/path?x=1'  ->  {"type": "http", "path": "/some/path", ...}
//
// Byte strings (raw_path, query_string, headers) appear as latin-1 strings, since JSON has no
// bytes type: each byte becomes the code point of the same value.

#include <boost/asio/awaitable.hpp>

#include <variant>

#include "asgi/app.hpp"
#include "asgi/events.hpp"
#include "asgi/registry.hpp"
#include "asgi/value.hpp"
#include "common/http.hpp"

namespace {

// Over WebSocket: accept, send the scope as the first (text) message, then wait for the close.
boost::asio::awaitable<void> inspect_websocket(const asgi::Scope& scope, asgi::Receive receive,
                                               asgi::Send send) {
  co_await receive();  // websocket.connect
  co_await send(asgi::WebSocketAccept());
  co_await send(asgi::WebSocketSend(std::nullopt, scope.to_value().to_json()));
  for (;;) {
    asgi::Event event = co_await receive();
    if (std::holds_alternative<asgi::WebSocketDisconnect>(event)) co_return;
  }
}

boost::asio::awaitable<void> inspect_app(asgi::Scope scope, asgi::Receive receive,
                                         asgi::Send send) {
  if (scope.type == "websocket") {
    co_await inspect_websocket(scope, std::move(receive), std::move(send));
    co_return;
  }
  apps::require_http(scope, "inspect");
  // Read (and drop) the body first: answering before the request is fully received would make
  // the server discard the rest of it, which a curious user might mistake for a bug.
  co_await apps::discard_body(receive);
  co_await apps::send_response(send, 200, "application/json", scope.to_value().to_json());
}

}  // namespace

ASGI_REGISTER_APP(inspect, inspect_app);
