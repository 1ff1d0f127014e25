// What happens on a connection before its first request: the PROXY protocol header a TCP load
// balancer sends (--proxy-protocol), then the TLS handshake. Both are bounded by the request
// header timeout: a client that connects and stalls must not hold the connection.

#include "asgi/server/connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "asgi/server/logging.hpp"
#include "asgi/server/proxy_protocol_reader.hpp"

namespace asgi::server {

namespace net = boost::asio;

namespace {

constexpr std::size_t read_chunk = 16 * 1024;
constexpr auto linger_time = std::chrono::seconds(2);  // let the client read our answer

}  // namespace

bool Connection::peer_is_trusted() const {
  const protocol::ProxyTrust& trust = config().proxy_trust;
  if (info_.client) return trust.trusts(info_.client->host);
  return trust.trusts_unix_peers() || (info_.server && trust.trusts(info_.server->host));
}

// A header from a peer --forwarded-allow-ips trusts replaces the connection's addresses (and the
// proxy headers are then trusted only if that client is); anyone else's is read and ignored.
net::awaitable<bool> Connection::accept_proxy_protocol() {
  deadlines_.set(Deadlines::read, Clock::now() + to_clock(config().timeout_request_header));
  ProxyProtocolRead read = co_await read_proxy_protocol(transport_);
  deadlines_.clear(Deadlines::read);
  if (!read.ok) {
    log::error().warn("Invalid PROXY protocol header from {}: {}; closing", peer_for_log(),
                      read.error);
    close_now();
    co_return false;
  }
  if (read.header.addresses_given && peer_is_trusted()) {
    info_.client = read.header.source;
    info_.server = read.header.destination;
    client_label_ = info_.client->host + ":" + std::to_string(*info_.client->port);
    peer_is_trusted_proxy_ = config().proxy_headers && peer_is_trusted();
  }
  co_return true;
}

// The TLS handshake, bounded by the request header timeout (a client that connects and never
// finishes it must not hold the connection). A plain HTTP request on the TLS port is answered in
// plain text, as nginx does, instead of a silent close.
net::awaitable<bool> Connection::handshake_tls() {
  deadlines_.set(Deadlines::read, Clock::now() + to_clock(config().timeout_request_header));
  boost::system::error_code ec = co_await transport_.handshake();
  bool timed_out = deadlines_.expired(Deadlines::read);
  deadlines_.clear(Deadlines::read);
  if (!ec) {
    protocol::add_tls_extension(info_, transport_.tls().describe());
    co_return true;
  }
  TlsSession& tls = transport_.tls();
  const std::string client = peer_for_log();
  if (timed_out)
    log::error().info("TLS handshake with {} timed out", client);
  else if (ec != net::error::eof)
    log::error().info("TLS handshake with {} failed: {}", client, tls.failure_reason());
  if (tls.plain_http_seen()) {
    static constexpr std::string_view answer =
        "HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\n"
        "content-length: 49\r\nconnection: close\r\n\r\n"
        "This port speaks HTTPS: use https:// to reach it\n";
    boost::system::error_code ignored;
    transport_.socket().write_some(net::buffer(answer), ignored);
    boost::system::error_code shut;
    transport_.socket().shutdown(Transport::Socket::shutdown_send, shut);
    // Read the rest of the request so that closing does not reset the connection under the answer.
    deadlines_.set(Deadlines::read, Clock::now() + linger_time);
    for (std::size_t drained = 0; drained < (1u << 20);) {
      auto [read_ec, n] = co_await transport_.socket().async_read_some(
          request_.buffer().prepare(read_chunk), net::as_tuple(net::use_awaitable));
      if (read_ec || n == 0) break;
      drained += n;
    }
  }
  close_now();
  co_return false;
}

}  // namespace asgi::server
