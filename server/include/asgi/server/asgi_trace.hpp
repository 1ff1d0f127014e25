#pragma once
// --log-level trace: every ASGI message between the server and an app, as Uvicorn's trace level
// shows them ("ASGI [3] Send http.response.start status=200 headers=2"): types and sizes, never
// bodies (they may hold secrets and are unbounded).

#include <atomic>
#include <cstdint>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "asgi/app.hpp"
#include "asgi/events.hpp"

namespace asgi::server {

/// Whether the trace level is on (a cheap check before building any line).
bool tracing();
/// A new number for an app call's trace lines.
std::uint64_t next_trace_id();
std::string describe_for_trace(const Event& event);
std::string describe_for_trace(const Message& message);

/// The server's side of an app's receive/send (an HTTP exchange, a WebSocket session): the
/// messages themselves come from receive_event() / send_message(); with the trace level on, each
/// is logged on its way. Off, receive() and send() add no coroutine frame.
class TracedChannel : public detail::Channel {
 public:
  boost::asio::awaitable<Event> receive() final;
  boost::asio::awaitable<void> send(Message message) final;
  /// This app call's number in trace lines.
  std::uint64_t trace_id();

 protected:
  virtual boost::asio::awaitable<Event> receive_event() = 0;
  virtual boost::asio::awaitable<void> send_message(Message message) = 0;

 private:
  boost::asio::awaitable<Event> traced_receive();
  boost::asio::awaitable<void> traced_send(Message message);
  std::uint64_t trace_id_ = 0;
};

}  // namespace asgi::server
