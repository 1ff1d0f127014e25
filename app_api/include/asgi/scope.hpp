#pragma once
// The connection scope, with the ASGI key names (HTTP and WebSocket 2.x, lifespan 2.0).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "asgi/headers.hpp"
#include "asgi/state.hpp"
#include "asgi/value.hpp"

namespace asgi {

/// `scope["asgi"]`.
struct AsgiVersions {
  std::string version = "3.0";
  std::string spec_version = "2.4";
  bool operator==(const AsgiVersions&) const = default;
};

/// `client` / `server`: host and port (port absent for a unix socket `server`).
struct Address {
  std::string host;
  std::optional<std::uint16_t> port;
  bool operator==(const Address&) const = default;
};

/// `scope["extensions"]`: what the server supports beyond the core spec. Immutable and shared by
/// every scope of a server, so passing it along costs no allocation per request.
class Extensions {
 public:
  Extensions() = default;
  explicit Extensions(Dict extensions)
      : dict_(std::make_shared<const Dict>(std::move(extensions))) {}
  bool contains(std::string_view name) const { return find(name) != nullptr; }
  /// The extension's settings dict, or nullptr when the server does not offer it.
  const Value* find(std::string_view name) const;
  const Dict& dict() const;
  bool operator==(const Extensions& other) const { return dict() == other.dict(); }

 private:
  std::shared_ptr<const Dict> dict_;
};

struct Scope {
  std::string type;  ///< "http", "websocket" or "lifespan"
  AsgiVersions asgi;
  std::string http_version;  ///< "1.0" or "1.1"
  std::string method;        ///< uppercase; HTTP only
  std::string scheme;        ///< "http"/"https" or "ws"/"wss"
  std::string path;          ///< percent-decoded UTF-8, without the query
  std::string raw_path;      ///< bytes: the path as received, without the query
  std::string query_string;  ///< bytes: after '?', still percent-encoded
  std::string root_path;
  Headers headers;  ///< names lowercased, order and duplicates kept
  std::optional<Address> client;
  std::optional<Address> server;
  std::vector<std::string> subprotocols;  ///< WebSocket only
  State state;
  Extensions extensions;

  /// The scope as an ASGI dict (only the keys that apply to `type`).
  Value to_value() const;
  /// Parses an ASGI scope dict; throws ProtocolError for missing or mistyped keys.
  static Scope from_value(const Value& value);
};

}  // namespace asgi
