#include "asgi/toolkit/websocket.hpp"

#include <variant>

namespace asgi::toolkit {

WebSocketSend text_message(std::string text) {
  return WebSocketSend(std::nullopt, std::move(text));
}

WebSocketSend bytes_message(std::string bytes) {
  return WebSocketSend(std::move(bytes), std::nullopt);
}

boost::asio::awaitable<bool> accept(Receive receive, Send send,
                                    std::optional<std::string> subprotocol, Headers headers) {
  Event event = co_await receive();
  if (!std::holds_alternative<WebSocketConnect>(event)) co_return false;
  co_await send(WebSocketAccept(std::move(subprotocol), std::move(headers)));
  co_return true;
}

boost::asio::awaitable<int> message_loop(Receive receive, MessageHandler on_message) {
  for (;;) {
    Event event = co_await receive();
    if (auto* message = std::get_if<WebSocketReceive>(&event)) {
      co_await on_message(std::move(*message));
      continue;
    }
    if (auto* disconnect = std::get_if<WebSocketDisconnect>(&event)) co_return disconnect->code;
    co_return 1006;  // not a WebSocket event: nothing more will come
  }
}

}  // namespace asgi::toolkit
