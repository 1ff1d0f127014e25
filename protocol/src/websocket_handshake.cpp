#include "asgi/protocol/websocket_handshake.hpp"

#include <algorithm>

namespace asgi::protocol {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

template <class Visit>
void for_each_token(std::string_view list, Visit visit) {
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    std::string_view token = trim(list.substr(0, comma));
    if (!token.empty()) visit(token);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

bool has_token(const Headers& headers, std::string_view name, std::string_view token) {
  bool found = false;
  for (std::string_view value : headers.get_all(name))
    for_each_token(value, [&](std::string_view t) { found = found || iequals(t, token); });
  return found;
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
