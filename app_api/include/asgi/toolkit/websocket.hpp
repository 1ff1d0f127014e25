#pragma once
// WebSocket helpers: messages named by kind (WebSocketSend takes bytes first and text second,
// which is easy to get backwards), the accept step, and a receive loop.
//
//   if (!co_await asgi::toolkit::accept(receive, send)) co_return;     // the client left first
//   int code = co_await asgi::toolkit::message_loop(receive, [&](asgi::WebSocketReceive m)
//       -> boost::asio::awaitable<void> {
//     co_await send(asgi::toolkit::text_message("echo " + m.text.value_or("")));
//   });                                                                  // until disconnect

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <optional>
#include <string>

#include "asgi/app.hpp"
#include "asgi/events.hpp"
#include "asgi/headers.hpp"

namespace asgi::toolkit {

/// A text frame (valid UTF-8 is the sender's duty: the server refuses anything else).
WebSocketSend text_message(std::string text);
/// A binary frame.
WebSocketSend bytes_message(std::string bytes);

/// Waits for websocket.connect and accepts the connection (with `subprotocol`, one the client
/// offered, and extra response `headers`). False when the client left before.
boost::asio::awaitable<bool> accept(Receive receive, Send send,
                                    std::optional<std::string> subprotocol = {},
                                    Headers headers = {});

using MessageHandler = std::function<boost::asio::awaitable<void>(WebSocketReceive)>;
/// Calls `on_message` for every message, one at a time, until websocket.disconnect; returns its
/// close code.
boost::asio::awaitable<int> message_loop(Receive receive, MessageHandler on_message);

}  // namespace asgi::toolkit
