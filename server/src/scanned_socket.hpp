#pragma once
// The client's transport as a WebSocket stream reads it: every byte read passes a
// WebSocketCloseScanner before Beast parses it, so the session learns the close code the client
// really sent (Beast 1.81 refuses 1014 before anything else sees it). Writes go straight to the
// transport. The transport stays the lowest layer, so Beast's timeouts and teardown still close
// it.

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/beast/core/error.hpp>
#include <cstddef>
#include <utility>

#include "asgi/protocol/websocket_close_scanner.hpp"
#include "asgi/server/transport.hpp"

namespace asgi::server {

class ScannedSocket {
 public:
  using executor_type = Transport::executor_type;

  explicit ScannedSocket(Transport& socket) : socket_(socket) {}

  executor_type get_executor() { return socket_.get_executor(); }
  Transport& next_layer() { return socket_; }
  protocol::WebSocketCloseScanner& scanner() { return scanner_; }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return boost::asio::async_compose<Token, void(boost::beast::error_code, std::size_t)>(
        [this, buffers, started = false](auto& self, boost::beast::error_code ec = {},
                                         std::size_t n = 0) mutable {
          if (!started) {
            started = true;
            socket_.async_read_some(buffers, std::move(self));
            return;
          }
          scan(buffers, n);
          self.complete(ec, n);
        },
        token, socket_);
  }

  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return socket_.async_write_some(buffers, std::forward<Token>(token));
  }

 private:
  template <class MutableBuffers>
  void scan(const MutableBuffers& buffers, std::size_t n) {
    auto end = boost::asio::buffer_sequence_end(buffers);
    for (auto it = boost::asio::buffer_sequence_begin(buffers); n > 0 && it != end; ++it) {
      boost::asio::mutable_buffer piece(*it);
      std::size_t size = std::min(n, piece.size());
      scanner_.scan(static_cast<unsigned char*>(piece.data()), size);
      n -= size;
    }
  }

  Transport& socket_;
  protocol::WebSocketCloseScanner scanner_;
};

}  // namespace asgi::server
