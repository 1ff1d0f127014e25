#include "asgi/server/proxy_protocol_reader.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "asgi/server/transport.hpp"

namespace asgi::server {

namespace net = boost::asio;
using protocol::ProxyProtocolParse;

net::awaitable<ProxyProtocolRead> read_proxy_protocol(Transport& transport) {
  Transport::Socket& socket = transport.socket();
  std::string taken;  // header bytes already removed from the socket
  std::string data;
  ProxyProtocolRead result;
  for (;;) {
    auto [wait_ec] =
        co_await socket.async_wait(Transport::Socket::wait_read, net::as_tuple(net::use_awaitable));
    if (wait_ec) {
      result.error = wait_ec == net::error::operation_aborted ? "no complete header in time"
                                                              : wait_ec.message();
      co_return result;
    }
    std::size_t at_most = protocol::parse_proxy_protocol(taken).at_most;
    data = taken;
    data.resize(at_most);
    boost::system::error_code ec;
    std::size_t n = socket.receive(net::buffer(data.data() + taken.size(), at_most - taken.size()),
                                   Transport::Socket::message_peek, ec);
    if (Transport::would_block(ec)) continue;
    if (ec || n == 0) {
      result.error = "the connection closed before the header ended";
      co_return result;
    }
    data.resize(taken.size() + n);
    ProxyProtocolParse parse = protocol::parse_proxy_protocol(data);
    if (parse.status == ProxyProtocolParse::Status::invalid) {
      result.error = parse.error;
      co_return result;
    }
    // Everything up to parse.length is header: take it off the socket (it is there: peeked).
    std::size_t take = parse.length - taken.size();
    std::size_t got = socket.receive(net::buffer(data.data() + taken.size(), take), 0, ec);
    if (ec || got != take) {
      result.error = "the header could not be read";
      co_return result;
    }
    taken.assign(data, 0, parse.length);
    if (parse.status == ProxyProtocolParse::Status::complete) {
      result.ok = true;
      result.header = std::move(parse.header);
      co_return result;
    }
  }
}

}  // namespace asgi::server
