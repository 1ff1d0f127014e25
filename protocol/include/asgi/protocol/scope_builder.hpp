#pragma once
// Builds the ASGI `http` scope from a parsed request head.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "asgi/protocol/request_head.hpp"
#include "asgi/scope.hpp"

namespace asgi::protocol {

/// What the server knows about the connection and its own configuration.
struct ConnectionInfo {
  std::optional<Address> client;
  std::optional<Address> server;
  std::string scheme = "http";
  std::string root_path;  ///< prepended to path and raw_path, as Uvicorn's --root-path does
  /// On a TLS connection, the scopes' extensions with `tls` in them (see add_tls_extension);
  /// otherwise the server-wide ones are used.
  std::optional<Extensions> http_extensions;
  std::optional<Extensions> websocket_extensions;
};

/// Puts the ASGI `tls` extension (its dict, `tls`) into every scope of `connection`: built once
/// per connection, shared by its requests.
void add_tls_extension(ConnectionInfo& connection, Value tls);

/// The path and query of a request-target. Absolute-form targets lose their scheme and authority;
/// a fragment is dropped.
struct TargetParts {
  std::string_view path;
  std::string_view query;
};
TargetParts split_target(std::string_view target);
/// A request-target as the logs show it (Uvicorn's style): decoded path, raw query, both quoted so
/// no control character or quote reaches a log line.
std::string target_for_log(std::string_view target);

/// The scope for `head`; its headers are moved out of `head`.
Scope build_http_scope(RequestHead& head, const ConnectionInfo& connection, const State& state);

/// The websocket scope for a WebSocket handshake `head` (whose headers are copied, not moved:
/// the handshake still needs them). `scheme` becomes ws/wss and the denial-response extension
/// is advertised.
Scope build_websocket_scope(const RequestHead& head, const ConnectionInfo& connection,
                            const State& state, std::vector<std::string> subprotocols);

}  // namespace asgi::protocol
