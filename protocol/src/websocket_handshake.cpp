#include "asgi/protocol/websocket_handshake.hpp"

#include <algorithm>

#include "asgi/protocol/header_tokens.hpp"

namespace asgi::protocol {

namespace {

bool has_token(const Headers& headers, std::string_view name, std::string_view token) {
  for (std::string_view value : headers.get_all(name))
    if (protocol::has_token(value, token)) return true;
  return false;
}

// A Sec-WebSocket-Key is the base64 encoding of 16 bytes: 22 base64 characters and "==".
bool valid_key(std::string_view key) {
  if (key.size() != 24 || !key.ends_with("==")) return false;
  return std::all_of(key.begin(), key.end() - 2, [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
  });
}

}  // namespace

bool is_websocket_upgrade(const RequestHead& head) {
  // Only a request llhttp treats as an upgrade stops the parser at its head, so only such a
  // request can switch protocols; checking its flag first also spares every plain request the
  // two header scans.
  return head.upgrade && has_token(head.headers, "upgrade", "websocket") &&
         has_token(head.headers, "connection", "upgrade");
}

HandshakeCheck check_websocket_handshake(const RequestHead& head) {
  HandshakeCheck check;
  auto fail = [&](int status, std::string reason) {
    check.error_status = status;
    check.error_reason = std::move(reason);
    return check;
  };
  if (head.method != "GET") return fail(400, "WebSocket handshake must use GET");
  if (head.http_minor != 1) return fail(400, "WebSocket handshake needs HTTP/1.1");
  auto versions = head.headers.get_all("sec-websocket-version");
  if (versions.size() != 1 || trim(versions[0]) != "13")
    return fail(426, "Unsupported Sec-WebSocket-Version");
  auto keys = head.headers.get_all("sec-websocket-key");
  if (keys.size() != 1 || !valid_key(trim(keys[0]))) return fail(400, "Invalid Sec-WebSocket-Key");
  for (std::string_view value : head.headers.get_all("sec-websocket-protocol"))
    for_each_token(value, [&](std::string_view t) { check.subprotocols.emplace_back(t); });
  return check;
}

}  // namespace asgi::protocol
