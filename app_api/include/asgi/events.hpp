#pragma once
// ASGI events (server -> application, from `receive`) and messages (application -> server, to
// `send`) as typed values. Field names are the ASGI keys; defaults are the ASGI defaults.

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "asgi/headers.hpp"
#include "asgi/value.hpp"

namespace asgi {

// ---- HTTP ----------------------------------------------------------------------------------
struct HttpRequest {
  static constexpr std::string_view type = "http.request";
  std::string body;  ///< bytes
  bool more_body = false;
};
struct HttpDisconnect {
  static constexpr std::string_view type = "http.disconnect";
};
struct HttpResponseStart {
  static constexpr std::string_view type = "http.response.start";
  int status = 200;
  Headers headers;
  bool trailers = false;
};
struct HttpResponseBody {
  static constexpr std::string_view type = "http.response.body";
  std::string body;  ///< bytes
  bool more_body = false;
};
struct HttpResponseTrailers {
  static constexpr std::string_view type = "http.response.trailers";
  Headers headers;
  bool more_trailers = false;
};

// ---- WebSocket -----------------------------------------------------------------------------
struct WebSocketConnect {
  static constexpr std::string_view type = "websocket.connect";
};
struct WebSocketAccept {
  static constexpr std::string_view type = "websocket.accept";
  std::optional<std::string> subprotocol;
  Headers headers;
};
struct WebSocketReceive {
  static constexpr std::string_view type = "websocket.receive";
  std::optional<std::string> bytes;
  std::optional<std::string> text;
};
struct WebSocketSend {
  static constexpr std::string_view type = "websocket.send";
  std::optional<std::string> bytes;
  std::optional<std::string> text;
};
struct WebSocketDisconnect {
  static constexpr std::string_view type = "websocket.disconnect";
  int code = 1005;
  std::string reason;
};
struct WebSocketClose {
  static constexpr std::string_view type = "websocket.close";
  int code = 1000;
  std::string reason;
};
struct WebSocketHttpResponseStart {
  static constexpr std::string_view type = "websocket.http.response.start";
  int status = 403;
  Headers headers;
};
struct WebSocketHttpResponseBody {
  static constexpr std::string_view type = "websocket.http.response.body";
  std::string body;
  bool more_body = false;
};

// ---- Lifespan ------------------------------------------------------------------------------
struct LifespanStartup {
  static constexpr std::string_view type = "lifespan.startup";
};
struct LifespanShutdown {
  static constexpr std::string_view type = "lifespan.shutdown";
};
struct LifespanStartupComplete {
  static constexpr std::string_view type = "lifespan.startup.complete";
};
struct LifespanStartupFailed {
  static constexpr std::string_view type = "lifespan.startup.failed";
  std::string message;
};
struct LifespanShutdownComplete {
  static constexpr std::string_view type = "lifespan.shutdown.complete";
};
struct LifespanShutdownFailed {
  static constexpr std::string_view type = "lifespan.shutdown.failed";
  std::string message;
};

/// What `receive()` yields.
using Event = std::variant<HttpRequest, HttpDisconnect, WebSocketConnect, WebSocketReceive,
                           WebSocketDisconnect, LifespanStartup, LifespanShutdown>;

/// What `send()` takes.
using Message =
    std::variant<HttpResponseStart, HttpResponseBody, HttpResponseTrailers, WebSocketAccept,
                 WebSocketSend, WebSocketClose, WebSocketHttpResponseStart,
                 WebSocketHttpResponseBody, LifespanStartupComplete, LifespanStartupFailed,
                 LifespanShutdownComplete, LifespanShutdownFailed>;

/// The `type` key of an event or message.
std::string_view type_of(const Event& event);
std::string_view type_of(const Message& message);

/// Conversions to and from ASGI dicts. The `from_value` functions throw ProtocolError for an
/// unknown `type`, a missing required key or a wrong value type; unknown extra keys are ignored.
Value to_value(const Event& event);
Value to_value(const Message& message);
Event event_from_value(const Value& value);
Message message_from_value(const Value& value);

}  // namespace asgi
