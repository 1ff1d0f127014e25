#pragma once
// What a trusted proxy says about the client: `Forwarded` (RFC 7239) or, when that is absent, the
// de-facto X-Forwarded-For / -Proto / -Host. Read only for a peer the trust list names; an
// untrusted peer's headers change nothing.

#include <optional>
#include <string>

#include "asgi/headers.hpp"
#include "asgi/protocol/proxy_trust.hpp"
#include "asgi/scope.hpp"

namespace asgi::protocol {

/// The parts of a scope the proxy's headers replace; an empty member leaves the scope's as it is.
struct ForwardedRequest {
  std::optional<Address> client;    ///< port 0 when the proxy gave none (as Uvicorn)
  std::optional<bool> secure;       ///< https / wss rather than http / ws
  std::optional<std::string> host;  ///< replaces the request's Host header
  bool empty() const { return !client && !secure && !host; }
};

/// Reads the proxy headers of a request that came from a trusted peer.
///
/// The client is found by walking the proxies right to left (nearest first): the first one not in
/// `trust` is the client; when all are trusted, the leftmost (under `*`, always the leftmost).
/// With `Forwarded`, proto and host come from that same element, the hop the client talked to;
/// X-Forwarded-Proto and -Host take their last value, the one the nearest proxy set. A malformed
/// `Forwarded` is ignored as a whole, and when one is present the X-Forwarded-* headers are not
/// read at all: a request never gets half of one and half of the other.
ForwardedRequest read_proxy_headers(const Headers& headers, const ProxyTrust& trust);

/// Writes `forwarded` into a scope built for the request (http or websocket).
void apply_forwarded(Scope& scope, const ForwardedRequest& forwarded);

/// A forwarded-for entry as a client address: "1.2.3.4:80", "[2001:db8::1]:443", "2001:db8::1"
/// (no port: 0); anything else is kept as it is with port 0, as Uvicorn does. Empty: nullopt.
std::optional<Address> parse_forwarded_client(std::string_view entry);

}  // namespace asgi::protocol
