#pragma once
// The ASGI WebSocket state machine (www spec 2.x), I/O-free: which messages the app may send when,
// and what each asks the server to do. Misuse throws ProtocolError where it happens.

#include <string>
#include <vector>

#include "asgi/events.hpp"

namespace asgi::protocol {

class WebSocketCycle {
 public:
  enum class State {
    handshake,  ///< websocket.connect delivered or pending; the app must accept or deny
    accepted,   ///< 101 sent; messages flow
    denying,    ///< websocket.http.response.start taken; body messages follow
    closed,     ///< the app closed, the denial finished, or the connection ended (on_closed)
  };
  /// What the server must do for a message the app sent.
  enum class Action { accept, send, close, deny_with_403, deny_start, deny_body, deny_end };

  explicit WebSocketCycle(std::vector<std::string> offered_subprotocols);

  State state() const { return state_; }
  /// The subprotocols the client offered (the scope's `subprotocols`).
  const std::vector<std::string>& offered() const { return offered_; }
  /// Validates `message` and moves the state on. Throws ProtocolError for a message that is
  /// invalid in the current state or has invalid contents, and ClientDisconnected for any message
  /// once the connection ended without the app closing it.
  Action on_send(const Message& message);
  /// The connection ended, or the server started closing it: the client closed or vanished, a
  /// keepalive ping went unanswered, the server shuts down. Unless the app had sent
  /// websocket.close (or finished a denial) first, its next send is told the client is gone,
  /// as ASGI asks, instead of being blamed for sending after a close it never sent.
  void on_closed() {
    if (state_ != State::closed) disconnected_ = true;
    state_ = State::closed;
  }

 private:
  std::vector<std::string> offered_;
  State state_ = State::handshake;
  bool disconnected_ = false;  // closed by on_closed() while the app had not closed
};

/// Close codes a Close frame may carry, from either side (RFC 6455 §7.4 and IANA's WebSocket
/// close code registry, which added 1012-1014): 1000-1003, 1007-1014 and 3000-4999. The app's
/// websocket.close must use one (else ProtocolError); a client's Close with any other code
/// fails the connection with 1002. 1004-1006 and 1015 are reserved or never go on the wire,
/// 1016-2999 are kept for future revisions, and nothing above 4999 is defined.
bool is_valid_close_code(int code);

}  // namespace asgi::protocol
