#pragma once
// A connection's request side: the bytes read but not yet parsed, the parser, and reading more
// under a deadline. The request loop reads heads through it; the HTTP exchange reads, drains and
// watches bodies through it, never the socket itself.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "asgi/protocol/limits.hpp"
#include "asgi/protocol/request_parser.hpp"
#include "asgi/server/read_buffer.hpp"

namespace asgi::server {

class Transport;
class Deadlines;

class RequestReader {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Read { data, closed, timed_out };
  enum class Body { more, complete, error, closed, timed_out };
  enum class Watch { data, closed };

  RequestReader(Transport& transport, Deadlines& deadlines, const protocol::RequestLimits& limits);

  protocol::RequestParser& parser() { return *parser_; }
  ReadBuffer& buffer() { return buffer_; }
  bool has_buffered_input() const { return !buffer_.empty(); }
  /// Parked or upgraded: frees the parser and the (empty) buffer.
  void release();
  /// Unparked: a fresh parser for the next request.
  void renew();

  /// Reads more bytes into buffer(), waiting at most `timeout`.
  boost::asio::awaitable<Read> read_more(Clock::duration timeout);
  /// Appends the current request's body bytes to `body`: what is buffered (up to about
  /// `limit`), or else what the next read brings, waiting at most `timeout` for it. `more` means
  /// the body continues; `error` leaves the parser's status and reason to answer with.
  boost::asio::awaitable<Body> read_body(std::string& body, std::size_t limit,
                                         Clock::duration timeout);
  /// Reads and drops the rest of the body, at most `budget` bytes of it: true when the body
  /// ended (the connection can carry on), false when closing is cheaper.
  boost::asio::awaitable<bool> drain_body(std::size_t budget);
  /// While a response is under way: reads what arrives (a pipelined request, kept in buffer())
  /// until data came or the client closed. Cancelling the awaiting coroutine ends the wait; bytes
  /// a read completed with are kept even then (they are committed before this returns).
  boost::asio::awaitable<Watch> watch();

 private:
  Transport& transport_;
  Deadlines& deadlines_;
  const protocol::RequestLimits& limits_;
  std::unique_ptr<protocol::RequestParser> parser_;  ///< none while parked
  ReadBuffer buffer_;
};

}  // namespace asgi::server
