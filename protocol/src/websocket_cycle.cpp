#include "asgi/protocol/websocket_cycle.hpp"

#include <algorithm>

#include "asgi/errors.hpp"
#include "asgi/protocol/percent.hpp"
#include "asgi/protocol/response_encoder.hpp"

namespace asgi::protocol {

bool is_valid_close_code(int code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

WebSocketCycle::WebSocketCycle(std::vector<std::string> offered_subprotocols)
    : offered_(std::move(offered_subprotocols)) {}

WebSocketCycle::Action WebSocketCycle::on_send(const Message& message) {
  if (disconnected_) throw ClientDisconnected();
  const std::string type(type_of(message));
  auto unexpected = [&]() -> Action {
    switch (state_) {
      case State::handshake:
        throw ProtocolError(
            "Expected ASGI message 'websocket.accept', 'websocket.close' or "
            "'websocket.http.response.start', but got '" +
            type + "'.");
      case State::accepted:
        throw ProtocolError(
            "Expected ASGI message 'websocket.send' or 'websocket.close', but got '" + type + "'.");
      case State::denying:
        throw ProtocolError("Expected ASGI message 'websocket.http.response.body', but got '" +
                            type + "'.");
      case State::closed:
        break;
    }
    throw ProtocolError("Unexpected ASGI message '" + type + "', after sending 'websocket.close'.");
  };

  if (auto* accept = std::get_if<WebSocketAccept>(&message)) {
    if (state_ != State::handshake) return unexpected();
    if (accept->subprotocol &&
        std::find(offered_.begin(), offered_.end(), *accept->subprotocol) == offered_.end())
      throw ProtocolError("Subprotocol '" + *accept->subprotocol +
                          "' was not offered by the client.");
    for (auto [name, value] : accept->headers) {
      if (!is_token(name) || !is_valid_field_value(value))
        throw ProtocolError("Invalid HTTP header in websocket.accept.");
      if (iequals(name, "sec-websocket-protocol"))
        throw ProtocolError(
            "Use websocket.accept's 'subprotocol', not a sec-websocket-protocol header.");
    }
    state_ = State::accepted;
    return Action::accept;
  }
  if (auto* send = std::get_if<WebSocketSend>(&message)) {
    if (state_ != State::accepted) return unexpected();
    if (send->bytes.has_value() == send->text.has_value())
      throw ProtocolError("websocket.send needs exactly one of 'bytes' and 'text'.");
    if (send->text && !is_valid_utf8(*send->text))
      throw ProtocolError("websocket.send 'text' must be valid UTF-8.");
    return Action::send;
  }
  if (auto* close = std::get_if<WebSocketClose>(&message)) {
    if (state_ == State::handshake) {
      state_ = State::closed;
      return Action::deny_with_403;  // ASGI: closing before accept is an HTTP 403
    }
    if (state_ != State::accepted) return unexpected();
    if (!is_valid_close_code(close->code))
      throw ProtocolError("Invalid WebSocket close code " + std::to_string(close->code) + ".");
    if (close->reason.size() > 123 || !is_valid_utf8(close->reason))
      throw ProtocolError("WebSocket close reason must be valid UTF-8 of at most 123 bytes.");
    state_ = State::closed;
    return Action::close;
  }
  if (std::holds_alternative<WebSocketHttpResponseStart>(message)) {
    if (state_ != State::handshake) return unexpected();
    state_ = State::denying;
    return Action::deny_start;
  }
  if (auto* body = std::get_if<WebSocketHttpResponseBody>(&message)) {
    if (state_ != State::denying) return unexpected();
    if (!body->more_body) {
      state_ = State::closed;
      return Action::deny_end;
    }
    return Action::deny_body;
  }
  throw ProtocolError("Unexpected ASGI message '" + type + "' sent for a websocket scope.");
}

}  // namespace asgi::protocol
