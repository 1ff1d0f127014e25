#pragma once
// The application signature: a coroutine called once per connection (once per request for HTTP)
// with the scope and two awaitables, `receive` and `send`.
//
//   boost::asio::awaitable<void> my_app(asgi::Scope scope, asgi::Receive receive, asgi::Send send);
//
// The server never touches what the app does; the app never touches sockets.

#include <functional>
#include <memory>

#include <boost/asio/awaitable.hpp>

#include "asgi/events.hpp"
#include "asgi/scope.hpp"

namespace asgi {

namespace detail {
/// Implemented by the server for each protocol (HTTP request cycle, WebSocket, lifespan).
class Channel {
 public:
  virtual ~Channel() = default;
  virtual boost::asio::awaitable<Event> receive() = 0;
  virtual boost::asio::awaitable<void> send(Message message) = 0;
};
}  // namespace detail

/// Awaitable source of events. Copyable; all copies share one connection.
/// @par Thread Safety: call from the coroutine's own executor, one `receive` at a time.
class Receive {
 public:
  explicit Receive(std::shared_ptr<detail::Channel> channel) : channel_(std::move(channel)) {}
  /// The next event. For HTTP, `http.disconnect` once the response is complete or the client left.
  /// @throws ProtocolError when called concurrently with another `receive`.
  [[nodiscard]] boost::asio::awaitable<Event> operator()() const { return channel_->receive(); }

 private:
  std::shared_ptr<detail::Channel> channel_;
};

/// Awaitable sink for messages. Completes once the message is handed to the socket.
/// @throws ProtocolError for a message of the wrong type or order, or with invalid contents.
/// @throws ClientDisconnected when the client has gone.
class Send {
 public:
  explicit Send(std::shared_ptr<detail::Channel> channel) : channel_(std::move(channel)) {}
  [[nodiscard]] boost::asio::awaitable<void> operator()(Message message) const {
    return channel_->send(std::move(message));
  }
  /// Sends a generic ASGI dict (converted with message_from_value before anything is sent).
  [[nodiscard]] boost::asio::awaitable<void> operator()(const Value& message) const;

 private:
  std::shared_ptr<detail::Channel> channel_;
};

using App = std::function<boost::asio::awaitable<void>(Scope, Receive, Send)>;

}  // namespace asgi
