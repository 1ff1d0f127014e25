#pragma once
// The PROXY protocol (HAProxy's, versions 1 and 2): a TCP load balancer that does not speak HTTP
// opens each connection with one header naming the client it accepted, so the server can see the
// client's address instead of the balancer's. I/O-free: the caller hands in the bytes received so
// far; the header is complete, needs more bytes, or is invalid.
//
//   v1: "PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\n" (text, at most 107 bytes)
//   v2: a 12-byte signature, version/command, family/transport, a 16-bit length, then the
//       addresses and optional TLVs (which are skipped)

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "asgi/scope.hpp"

namespace asgi::protocol {

struct ProxyProtocolHeader {
  /// The balancer's own connection (v2 LOCAL, such as a health check) or an address family the
  /// header does not carry (v1 UNKNOWN, v2 UNSPEC or UNIX): keep the connection's own addresses.
  bool addresses_given = false;
  Address source;       ///< the client
  Address destination;  ///< the address the client connected to
};

struct ProxyProtocolParse {
  enum class Status { incomplete, complete, invalid };
  Status status = Status::incomplete;
  /// complete: the header's length (what follows is the client's first bytes). incomplete: how
  /// many bytes are certainly part of the header (a reader may take them off the socket).
  std::size_t length = 0;
  /// incomplete: the most bytes that can still belong to the header (read no further than this).
  std::size_t at_most = 0;
  ProxyProtocolHeader header;
  std::string error;  ///< invalid: why, for the log
};

/// Parses the start of a connection's bytes.
ProxyProtocolParse parse_proxy_protocol(std::string_view data);

}  // namespace asgi::protocol
