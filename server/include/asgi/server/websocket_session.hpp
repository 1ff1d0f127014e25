#pragma once
// One WebSocket connection as the app sees it (ASGI websocket scope): websocket.connect first,
// then the handshake completes through Boost.Beast when the app accepts (or is denied over HTTP),
// then messages both ways, close codes and keepalive pings. Beast stays inside the .cpp.

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>
#include <vector>

#include "asgi/app.hpp"
#include "asgi/protocol/request_head.hpp"
#include "asgi/server/asgi_trace.hpp"

namespace asgi::server {

class Connection;

class WebSocketSession final : public TracedChannel,
                               public std::enable_shared_from_this<WebSocketSession> {
 public:
  enum class Outcome {
    served,    ///< the session ran; the connection is finished
    declined,  ///< the app raised on the websocket scope without using it: serve as plain HTTP
  };

  WebSocketSession(std::shared_ptr<Connection> connection, protocol::RequestHead head,
                   std::vector<std::string> subprotocols);
  ~WebSocketSession() override;

  /// Runs the app on the websocket scope and the socket until both are done.
  boost::asio::awaitable<Outcome> run();
  /// The server is shutting down: close with 1012 (service restart).
  void shutdown();
  /// Starts the close handshake with `code` (once); the app's websocket.disconnect carries it.
  boost::asio::awaitable<void> close_connection(int code, std::string reason);
  /// Writes the close frame recorded by Impl::begin_close and waits for the handshake.
  boost::asio::awaitable<void> close_handshake();

  struct Impl;  // state shared with the session's reader and ping coroutines

 private:
  boost::asio::awaitable<Event> receive_event() override;
  boost::asio::awaitable<void> send_message(Message message) override;
  std::unique_ptr<Impl> impl_;
};

}  // namespace asgi::server
