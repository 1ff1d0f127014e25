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
    closed,     ///< the app closed, the denial finished, or the client left
  };
  /// What the server must do for a message the app sent.
  enum class Action { accept, send, close, deny_with_403, deny_start, deny_body, deny_end };

  explicit WebSocketCycle(std::vector<std::string> offered_subprotocols);

  State state() const { return state_; }
  /// The subprotocols the client offered (the scope's `subprotocols`).
  const std::vector<std::string>& offered() const { return offered_; }
  /// Validates `message` and moves the state on. Throws ProtocolError for a message that is
  /// invalid in the current state or has invalid contents.
  Action on_send(const Message& message);
  /// The connection ended (client close, error or server close).
  void on_closed() { state_ = State::closed; }

 private:
  std::vector<std::string> offered_;
  State state_ = State::handshake;
};

/// Close codes an app may send (RFC 6455 §7.4): 1000-1003, 1007-1014, 3000-4999.
bool is_sendable_close_code(int code);

}  // namespace asgi::protocol
