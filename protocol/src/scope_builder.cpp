#include "asgi/protocol/scope_builder.hpp"

#include "asgi/protocol/percent.hpp"

namespace asgi::protocol {

TargetParts split_target(std::string_view target) {
  if (std::size_t hash = target.find('#'); hash != std::string_view::npos)
    target = target.substr(0, hash);
  // absolute-form (RFC 9112 §3.2.2): scheme "://" authority path-abempty [ "?" query ]
  if (std::size_t sep = target.find("://");
      sep != std::string_view::npos && !target.starts_with('/')) {
    std::string_view rest = target.substr(sep + 3);
    std::size_t path_start = rest.find_first_of("/?");
    target = path_start == std::string_view::npos ? std::string_view("/") : rest.substr(path_start);
    if (target.starts_with('?')) return {"/", target.substr(1)};
  }
  std::size_t question = target.find('?');
  if (question == std::string_view::npos) return {target, {}};
  return {target.substr(0, question), target.substr(question + 1)};
}

std::string target_for_log(std::string_view target) {
  TargetParts parts = split_target(target);
  std::string out = quote_for_log(percent_decode_utf8(parts.path));
  if (!parts.query.empty()) {
    out += '?';
    out += quote_for_log(parts.query, false);
  }
  return out;
}

namespace {

// The keys HTTP and WebSocket scopes share.
Scope common_scope(std::string_view target, const ConnectionInfo& connection, const State& state) {
  Scope scope;
  TargetParts parts = split_target(target);
  const std::string& root = connection.root_path;
  scope.root_path = root;
  scope.path = percent_decode_utf8(parts.path);
  // As Uvicorn, the root path is prepended (a proxy that strips the prefix sends "/items"); unlike
  // Uvicorn, not to a path that already starts with it (a proxy that keeps the prefix sends
  // "/api/items", which must not become "/api/api/items"). A whole segment only: "/apiary" under
  // "/api" is prefixed.
  bool prefixed = !root.empty() && parts.path.starts_with(root) &&
                  (parts.path.size() == root.size() || parts.path[root.size()] == '/');
  if (!root.empty() && !prefixed) scope.path.insert(0, root);
  scope.raw_path.reserve(root.size() + parts.path.size());
  if (!prefixed) scope.raw_path.append(root);
  scope.raw_path.append(parts.path);
  scope.query_string = parts.query;
  scope.client = connection.client;
  scope.server = connection.server;
  scope.state = state.copy();  // ASGI: a shallow copy per request
  return scope;
}

const Extensions& http_extensions() {
  static const Extensions extensions(Dict{{"http.response.pathsend", Dict{}}});
  return extensions;
}

const Extensions& websocket_extensions() {
  static const Extensions extensions(Dict{{"websocket.http.response", Dict{}}});
  return extensions;
}

}  // namespace

void add_tls_extension(ConnectionInfo& connection, Value tls) {
  Dict http = http_extensions().dict();
  http["tls"] = tls;
  connection.http_extensions = Extensions(std::move(http));
  Dict websocket = websocket_extensions().dict();
  websocket["tls"] = std::move(tls);
  connection.websocket_extensions = Extensions(std::move(websocket));
}

Scope build_http_scope(RequestHead& head, const ConnectionInfo& connection, const State& state) {
  Scope scope = common_scope(head.target, connection, state);
  scope.type = "http";
  scope.http_version = head.version();
  scope.method = head.method;
  scope.scheme = connection.scheme;
  scope.headers = std::move(head.headers);
  scope.extensions = connection.http_extensions ? *connection.http_extensions : http_extensions();
  return scope;
}

Scope build_websocket_scope(const RequestHead& head, const ConnectionInfo& connection,
                            const State& state, std::vector<std::string> subprotocols) {
  Scope scope = common_scope(head.target, connection, state);
  scope.type = "websocket";
  scope.asgi.spec_version = "2.4";
  scope.http_version = head.version();
  scope.scheme = connection.scheme == "https" ? "wss" : "ws";
  scope.headers = head.headers;
  scope.subprotocols = std::move(subprotocols);
  scope.extensions =
      connection.websocket_extensions ? *connection.websocket_extensions : websocket_extensions();
  return scope;
}

}  // namespace asgi::protocol
