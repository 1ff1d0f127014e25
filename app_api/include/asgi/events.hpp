#pragma once
// ASGI events (server -> application, from `receive`) and messages (application -> server, to
// `send`) as typed values. Field names are the ASGI keys; defaults are the ASGI defaults.
//
// Types with members have constructors rather than being aggregates: GCC 12 (Debian 12's
// compiler) destroys an aggregate temporary twice when it is built inside a co_await expression,
// so `co_await send(asgi::HttpResponseBody{"hi"})` must not be aggregate initialisation.

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
  explicit HttpRequest(std::string body_ = {}, bool more_body_ = false)
      : body(std::move(body_)), more_body(more_body_) {}
  std::string body;  ///< bytes
  bool more_body = false;
};
struct HttpDisconnect {
  static constexpr std::string_view type = "http.disconnect";
};
struct HttpResponseStart {
  static constexpr std::string_view type = "http.response.start";
  explicit HttpResponseStart(int status_ = 200, Headers headers_ = {}, bool trailers_ = false)
      : status(status_), headers(std::move(headers_)), trailers(trailers_) {}
  int status = 200;
  Headers headers;
  bool trailers = false;
};
struct HttpResponseBody {
  static constexpr std::string_view type = "http.response.body";
  explicit HttpResponseBody(std::string body_ = {}, bool more_body_ = false)
      : body(std::move(body_)), more_body(more_body_) {}
  std::string body;  ///< bytes
  bool more_body = false;
};
struct HttpResponseTrailers {
  static constexpr std::string_view type = "http.response.trailers";
  explicit HttpResponseTrailers(Headers headers_ = {}, bool more_trailers_ = false)
      : headers(std::move(headers_)), more_trailers(more_trailers_) {}
  Headers headers;
  bool more_trailers = false;
};
/// ASGI extension `http.response.pathsend`: the whole body is the file at `path`, sent by the
/// server (with sendfile). Once per response, instead of any `http.response.body`. The app sets
/// content-type; a missing content-length is filled in from the file's size.
struct HttpResponsePathsend {
  static constexpr std::string_view type = "http.response.pathsend";
  explicit HttpResponsePathsend(std::string path_ = {}) : path(std::move(path_)) {}
  std::string path;  ///< absolute path of a regular file
};

// ---- WebSocket -----------------------------------------------------------------------------
struct WebSocketConnect {
  static constexpr std::string_view type = "websocket.connect";
};
struct WebSocketAccept {
  static constexpr std::string_view type = "websocket.accept";
  explicit WebSocketAccept(std::optional<std::string> subprotocol_ = {}, Headers headers_ = {})
      : subprotocol(std::move(subprotocol_)), headers(std::move(headers_)) {}
  std::optional<std::string> subprotocol;
  Headers headers;
};
struct WebSocketReceive {
  static constexpr std::string_view type = "websocket.receive";
  explicit WebSocketReceive(std::optional<std::string> bytes_ = {},
                            std::optional<std::string> text_ = {})
      : bytes(std::move(bytes_)), text(std::move(text_)) {}
  std::optional<std::string> bytes;
  std::optional<std::string> text;
};
struct WebSocketSend {
  static constexpr std::string_view type = "websocket.send";
  explicit WebSocketSend(std::optional<std::string> bytes_ = {},
                         std::optional<std::string> text_ = {})
      : bytes(std::move(bytes_)), text(std::move(text_)) {}
  std::optional<std::string> bytes;
  std::optional<std::string> text;
};
struct WebSocketDisconnect {
  static constexpr std::string_view type = "websocket.disconnect";
  explicit WebSocketDisconnect(int code_ = 1005, std::string reason_ = {})
      : code(code_), reason(std::move(reason_)) {}
  int code = 1005;
  std::string reason;
};
struct WebSocketClose {
  static constexpr std::string_view type = "websocket.close";
  explicit WebSocketClose(int code_ = 1000, std::string reason_ = {})
      : code(code_), reason(std::move(reason_)) {}
  int code = 1000;
  std::string reason;
};
struct WebSocketHttpResponseStart {
  static constexpr std::string_view type = "websocket.http.response.start";
  explicit WebSocketHttpResponseStart(int status_ = 403, Headers headers_ = {})
      : status(status_), headers(std::move(headers_)) {}
  int status = 403;
  Headers headers;
};
struct WebSocketHttpResponseBody {
  static constexpr std::string_view type = "websocket.http.response.body";
  explicit WebSocketHttpResponseBody(std::string body_ = {}, bool more_body_ = false)
      : body(std::move(body_)), more_body(more_body_) {}
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
  explicit LifespanStartupFailed(std::string message_ = {}) : message(std::move(message_)) {}
  std::string message;
};
struct LifespanShutdownComplete {
  static constexpr std::string_view type = "lifespan.shutdown.complete";
};
struct LifespanShutdownFailed {
  static constexpr std::string_view type = "lifespan.shutdown.failed";
  explicit LifespanShutdownFailed(std::string message_ = {}) : message(std::move(message_)) {}
  std::string message;
};

/// What `receive()` yields.
using Event = std::variant<HttpRequest, HttpDisconnect, WebSocketConnect, WebSocketReceive,
                           WebSocketDisconnect, LifespanStartup, LifespanShutdown>;

/// What `send()` takes.
using Message =
    std::variant<HttpResponseStart, HttpResponseBody, HttpResponseTrailers, HttpResponsePathsend,
                 WebSocketAccept, WebSocketSend, WebSocketClose, WebSocketHttpResponseStart,
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
