#pragma once
// Takes a PROXY protocol header off a connection's socket, and not one byte of what follows: the
// bytes after it are a TLS handshake that OpenSSL reads from the socket itself, or the first
// request. It peeks, and removes only what the parser says is header.

#include <boost/asio/awaitable.hpp>
#include <string>

#include "asgi/protocol/proxy_protocol.hpp"

namespace asgi::server {

class Transport;

struct ProxyProtocolRead {
  bool ok = false;
  protocol::ProxyProtocolHeader header;
  std::string error;  ///< !ok: why, for the log
};

/// Reads the header; bounded by whoever cancels the transport (the connection's header timeout).
boost::asio::awaitable<ProxyProtocolRead> read_proxy_protocol(Transport& transport);

}  // namespace asgi::server
