#pragma once
// What the server puts on the wire when an application's coroutine ends, for HTTP and WebSocket
// alike: the one place where "the app raised" or "the app returned early" becomes a status, a
// close code and a log line. I/O-free, so the whole table is unit-tested.
//
//   HTTP       nothing of the head written yet   -> 500 (the request's own error status, such as
//                                                   408 for a body that stopped, if it failed)
//              head written, response unfinished -> close the connection
//   WebSocket  handshake not answered            -> HTTP 500 if it raised, else ASGI's 403
//              accepted and open                 -> close 1011 if it raised, else 1000
//   Either     the client left (ClientDisconnected escaped, or nothing can be sent) -> nothing

#include <string_view>

namespace asgi::protocol {

/// How the app's coroutine ended.
enum class AppExit { returned, raised, client_gone };

/// Where the response (or handshake) stood when the app ended.
struct ResponseProgress {
  bool started = false;        ///< HTTP: http.response.start sent
  bool head_rendered = false;  ///< HTTP: the head is on the wire (or promised to it)
  bool complete = false;       ///< HTTP: the final body went; WebSocket: the socket is closed
  bool accepted = false;       ///< WebSocket: the handshake was accepted
  bool denied = false;         ///< WebSocket: closed before accept or answered over HTTP
  int request_error = 0;       ///< HTTP: the request's own failure (a bad or timed-out body),
                               ///< answered with this status instead of anything from the app
};

struct AppEnding {
  int http_status = 0;  ///< a response the server sends for the app (0: none)
  int close_code = 0;   ///< a WebSocket close the server starts (0: none)
  bool close_connection = false;
  std::string_view problem;  ///< an error line to log (empty: none; an exception is logged
                             ///< with its own text)
};

AppEnding http_app_ending(AppExit exit, const ResponseProgress& progress);
AppEnding websocket_app_ending(AppExit exit, const ResponseProgress& progress);

}  // namespace asgi::protocol
