#pragma once
// The byte stream a connection is written against: a connected stream socket, TCP or UNIX-domain
// (Asio's generic stream protocol carries both), or one end of an in-memory stream (MemoryStream:
// the server layer's unit tests serve it). The HTTP and WebSocket logic see only this type, so a
// TLS connection is the same type with a TlsSession between the socket and them.
//
// It models Asio's AsyncReadStream and AsyncWriteStream (Beast's WebSocket stream runs on top of
// it) and adds what the hot path needs beyond them: a non-blocking read and write tried before
// any asynchronous operation (most requests are already there and most responses fit the socket
// buffer; an asynchronous operation would cost a trip through the event loop even then), a wait
// for readability without a buffer (a parked connection holds none), and file sending.

#include <array>
#include <boost/asio/append.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "asgi/scope.hpp"
#include "asgi/server/memory_stream.hpp"
#include "asgi/server/tls_session.hpp"

namespace asgi::server {

class Transport {
 public:
  using Socket = boost::asio::generic::stream_protocol::socket;
  using executor_type = Socket::executor_type;

  /// `socket` is connected; it is switched to non-blocking mode (for the *_now calls).
  explicit Transport(Socket socket);
  /// The same, with TLS in `context` (the handshake is handshake()'s job).
  Transport(Socket socket, std::shared_ptr<const TlsContext> context);
  struct Peers;
  /// One end of an in-memory stream; `peers` is what the scope reports as client and server.
  Transport(MemoryStream stream, Peers peers);

  executor_type get_executor() { return socket_.get_executor(); }

  // ---- Asio's stream concepts -------------------------------------------------------------------
  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    if (memory_) [[unlikely]]
      return memory_->async_read_some(buffers, std::forward<Token>(token));
    if (tls_) return async_tls(TlsRead{first_buffer(buffers)}, std::forward<Token>(token));
    return socket_.async_read_some(buffers, std::forward<Token>(token));
  }
  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    if (memory_) [[unlikely]]
      return memory_->async_write_some(buffers, std::forward<Token>(token));
    if (tls_) return async_tls(TlsWrite<ConstBuffers>{buffers}, std::forward<Token>(token));
    return socket_.async_write_some(buffers, std::forward<Token>(token));
  }

  // ---- without waiting --------------------------------------------------------------------------
  /// Reads what is there now. Nothing there yet: 0 with `ec` clear; end of stream: 0 with
  /// `ec` = eof.
  std::size_t read_now(boost::asio::mutable_buffer buffer, boost::system::error_code& ec);
  /// Writes what fits now: the bytes written (0 with `ec` clear when the buffer is full).
  template <class ConstBuffers>
  std::size_t write_now(const ConstBuffers& buffers, boost::system::error_code& ec) {
    if (memory_) [[unlikely]]
      return memory_->write_now(buffers, ec);
    if (tls_) {
      TlsSession::Want want;
      return tls_->write(buffers, ec, want);
    }
    std::size_t n = socket_.write_some(buffers, ec);
    return would_block(ec) ? 0 : n;
  }
  /// Sends up to `count` bytes of file `fd` from `offset` (advanced), with sendfile(2) where the
  /// transport allows it (no copy through user space), else by reading and writing. Returns the
  /// bytes sent (0 with `ec` clear when the socket buffer is full); `ec` = eof when the file ended
  /// before `count`.
  std::uint64_t send_file_now(int fd, std::uint64_t& offset, std::uint64_t count,
                              boost::system::error_code& ec);
  /// Bytes the kernel holds unread.
  std::size_t available();

  // ---- waiting ----------------------------------------------------------------------------------
  template <class Token>
  auto async_wait_readable(Token&& token) {
    if (memory_) [[unlikely]]
      return memory_->async_wait_readable(std::forward<Token>(token));
    if (tls_ && tls_->has_buffered_input())  // already here: the socket may never become readable
      return boost::asio::post(get_executor(), boost::asio::append(std::forward<Token>(token),
                                                                   boost::system::error_code()));
    return socket_.async_wait(Socket::wait_read, std::forward<Token>(token));
  }
  template <class Token>
  auto async_wait_writable(Token&& token) {
    if (memory_) [[unlikely]]
      return memory_->async_wait_writable(std::forward<Token>(token));
    return socket_.async_wait(Socket::wait_write, std::forward<Token>(token));
  }

  // ---- TLS ------------------------------------------------------------------------------------
  bool is_tls() const { return tls_ != nullptr; }
  /// Runs the TLS handshake (bounded by whoever cancels the transport); the error when it failed.
  boost::asio::awaitable<boost::system::error_code> handshake();
  /// The TLS session (only when is_tls()).
  TlsSession& tls() { return *tls_; }

  // ---- ending -----------------------------------------------------------------------------------
  /// Cancels every pending operation (they complete with operation_aborted).
  void cancel();
  /// Half-close: the peer reads what was sent (after TLS, a close_notify), then end of stream.
  void shutdown_send();
  void close();
  bool is_open() const { return memory_ ? memory_->is_open() : socket_.is_open(); }

  // ---- who is connected -------------------------------------------------------------------------
  /// The peer and local addresses as ASGI puts them in a scope: host and port for TCP; for a
  /// UNIX-domain socket the server is [path, None] and the client None (ASGI 2.2).
  struct Peers {
    std::optional<Address> client;
    std::optional<Address> server;
    std::string label;  ///< for log lines: "host:port", or empty on a UNIX socket (as Uvicorn)
  };
  /// Empty optional when the socket is no longer connected.
  std::optional<Peers> peers();

  /// The underlying socket, for Beast's teardown of a WebSocket (unopened for a memory stream).
  Socket& socket() { return socket_; }
  bool in_memory() const { return memory_ != nullptr; }

  static bool would_block(boost::system::error_code& ec);

 private:
  // A TLS read or write: one attempt now; when OpenSSL has to wait for the socket, wait and try
  // again. A result at once is delivered through a post, so that a reader looping on immediate
  // completions (Beast reading a large message) does not nest ever deeper.
  template <class Step>
  struct TlsOperation {
    Transport* transport;
    Step step;
    bool started = false;
    bool done = false;
    boost::system::error_code result_ec{};
    std::size_t result_n = 0;

    template <class Self>
    void operator()(Self& self, boost::system::error_code wait_ec = {}) {
      if (done) return self.complete(result_ec, result_n);
      if (wait_ec) return self.complete(wait_ec, 0);
      TlsSession::Want want = TlsSession::Want::nothing;
      result_n = step(*transport->tls_, result_ec, want);
      if (result_n > 0 || result_ec || want == TlsSession::Want::nothing) {
        if (started) return self.complete(result_ec, result_n);
        done = true;
        return boost::asio::post(transport->get_executor(), std::move(self));
      }
      started = true;
      transport->socket_.async_wait(
          want == TlsSession::Want::write ? Socket::wait_write : Socket::wait_read,
          std::move(self));
    }
  };
  struct TlsRead {
    boost::asio::mutable_buffer buffer;
    std::size_t operator()(TlsSession& tls, boost::system::error_code& ec,
                           TlsSession::Want& want) const {
      return tls.read(buffer, ec, want);
    }
  };
  template <class ConstBuffers>
  struct TlsWrite {
    ConstBuffers buffers;
    std::size_t operator()(TlsSession& tls, boost::system::error_code& ec,
                           TlsSession::Want& want) const {
      return tls.write(buffers, ec, want);
    }
  };
  template <class Step, class Token>
  auto async_tls(Step step, Token&& token) {
    return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
        TlsOperation<Step>{this, std::move(step)}, token, socket_);
  }
  template <class MutableBuffers>
  static boost::asio::mutable_buffer first_buffer(const MutableBuffers& buffers) {
    auto end = boost::asio::buffer_sequence_end(buffers);
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != end; ++it)
      if (boost::asio::mutable_buffer(*it).size() > 0) return *it;
    return {};
  }

  Socket socket_;
  bool tcp_ = false;
  std::unique_ptr<MemoryStream> memory_;  ///< set: the bytes go through this instead of socket_
  std::optional<Peers> memory_peers_;
  std::unique_ptr<TlsSession> tls_;  ///< set: the bytes are encrypted by this
};

/// Beast closes the lowest layer of a WebSocket stream through this (found by argument-dependent
/// lookup) when a timeout or a failed handshake ends it.
inline void beast_close_socket(Transport& transport) {
  transport.close();
}

}  // namespace asgi::server
