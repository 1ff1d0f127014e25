#include "asgi/server/request_reader.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "asgi/server/deadlines.hpp"
#include "asgi/server/transport.hpp"

namespace asgi::server {

namespace net = boost::asio;

namespace {
constexpr std::size_t read_chunk = 16 * 1024;
}  // namespace

RequestReader::RequestReader(Transport& transport, Deadlines& deadlines,
                             const protocol::RequestLimits& limits)
    : transport_(transport),
      deadlines_(deadlines),
      limits_(limits),
      parser_(std::make_unique<protocol::RequestParser>(limits)) {}

void RequestReader::release() {
  buffer_.release_if_empty();
  parser_.reset();
}

void RequestReader::renew() {
  parser_ = std::make_unique<protocol::RequestParser>(limits_);
}

net::awaitable<RequestReader::Read> RequestReader::read_more(Clock::duration timeout) {
  deadlines_.set(Deadlines::read, Clock::now() + timeout);
  auto [ec, n] = co_await transport_.async_read_some(buffer_.prepare(read_chunk),
                                                     net::as_tuple(net::use_awaitable));
  deadlines_.clear(Deadlines::read);
  if (ec || n == 0) co_return deadlines_.expired(Deadlines::read) ? Read::timed_out : Read::closed;
  buffer_.commit(n);
  co_return Read::data;
}

net::awaitable<RequestReader::Body> RequestReader::read_body(std::string& body, std::size_t limit,
                                                             Clock::duration timeout) {
  for (;;) {
    if (!buffer_.empty()) {
      auto result = parser_->feed(buffer_.data(), &body, limit);
      buffer_.consume(result.consumed);
      using Status = protocol::RequestParser::Status;
      if (result.status == Status::complete) co_return Body::complete;
      if (result.status == Status::error) co_return Body::error;
      if (result.status == Status::body_full) co_return Body::more;
    }
    if (!body.empty()) co_return Body::more;  // deliver what arrived before waiting for more
    Read read = co_await read_more(timeout);
    if (read == Read::timed_out) co_return Body::timed_out;
    if (read == Read::closed) co_return Body::closed;
  }
}

net::awaitable<bool> RequestReader::drain_body(std::size_t budget) {
  for (;;) {
    if (!buffer_.empty()) {
      std::size_t before = buffer_.size();
      auto result = parser_->feed(buffer_.data(), nullptr);
      buffer_.consume(result.consumed);
      if (result.status == protocol::RequestParser::Status::complete) co_return true;
      if (result.status == protocol::RequestParser::Status::error) co_return false;
      budget -= std::min(budget, before - buffer_.size());
    }
    if (budget == 0) co_return false;
    Read read = co_await read_more(std::chrono::seconds(1));
    if (read != Read::data) co_return false;
  }
}

net::awaitable<RequestReader::Watch> RequestReader::watch() {
  auto [ec, n] = co_await transport_.async_read_some(buffer_.prepare(read_chunk),
                                                     net::as_tuple(net::use_awaitable));
  buffer_.commit(n);
  co_return ec&& ec != net::error::operation_aborted ? Watch::closed : Watch::data;
}

}  // namespace asgi::server
