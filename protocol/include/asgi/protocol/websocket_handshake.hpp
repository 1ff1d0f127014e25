#pragma once
// Recognises and checks a WebSocket opening handshake (RFC 6455 §4.2.1) in a parsed request head.
// I/O-free; the 101 itself is written by Boost.Beast once the app accepts.

#include <string>
#include <vector>

#include "asgi/protocol/request_head.hpp"

namespace asgi::protocol {

/// True when the request asks to upgrade to WebSocket (`Upgrade: websocket` and a `Connection`
/// header with the `upgrade` token); other upgrades are served as plain HTTP.
bool is_websocket_upgrade(const RequestHead& head);

struct HandshakeCheck {
  int error_status =
      0;  ///< 0, or 400 / 426 to answer over HTTP (426 adds Sec-WebSocket-Version: 13)
  std::string error_reason;
  std::vector<std::string> subprotocols;  ///< from Sec-WebSocket-Protocol, in order
};

/// Validates the handshake of a request for which is_websocket_upgrade() holds.
HandshakeCheck check_websocket_handshake(const RequestHead& head);

}  // namespace asgi::protocol
