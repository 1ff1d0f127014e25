#include "asgi/server/redis_connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <stdexcept>

namespace asgi::server {

namespace net = boost::asio;
using net::ip::tcp;
namespace redis = protocol::redis;

RedisConnection::RedisConnection(net::any_io_executor executor)
    : socket_(executor), deadline_(std::move(executor)) {}

net::awaitable<std::string> RedisConnection::open(const redis::Url& url, bool select_db,
                                                  std::chrono::milliseconds timeout) {
  // The deadline closes whatever step is pending (resolve, connect or the handshake replies). An
  // expiry queued just as open() finished may run after it, or after this object is gone: hence
  // the weak pointer and opening_.
  opening_ = true;
  expired_ = false;
  deadline_.expires_after(timeout);
  deadline_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    std::shared_ptr<RedisConnection> self = weak.lock();
    if (ec || !self || !self->opening_) return;
    self->expired_ = true;
    boost::system::error_code ignored;
    self->socket_.close(ignored);
  });
  tcp::resolver resolver(socket_.get_executor());
  auto [resolve_error, endpoints] = co_await resolver.async_resolve(
      url.host, std::to_string(url.port), net::as_tuple(net::use_awaitable));
  std::string problem;
  if (resolve_error) {
    problem = "cannot resolve " + url.host + ": " + resolve_error.message();
  } else if (expired_) {
    problem = "timed out";
  } else {
    auto [connect_error, endpoint] =
        co_await net::async_connect(socket_, endpoints, net::as_tuple(net::use_awaitable));
    if (connect_error) problem = expired_ ? "timed out" : connect_error.message();
  }
  if (problem.empty()) {
    boost::system::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    socket_.set_option(net::socket_base::keep_alive(true), ignored);  // a vanished host is noticed
    if (!url.password.empty()) {
      problem =
          url.username.empty()
              ? co_await handshake_command(redis::command({"AUTH", url.password}))
              : co_await handshake_command(redis::command({"AUTH", url.username, url.password}));
    }
    if (problem.empty() && select_db && url.db != 0)
      problem = co_await handshake_command(redis::command({"SELECT", std::to_string(url.db)}));
    if (!problem.empty() && expired_) problem = "timed out";
  }
  opening_ = false;
  deadline_.cancel();
  co_return problem;
}

net::awaitable<std::string> RedisConnection::handshake_command(const std::string& bytes) {
  if (std::string problem = co_await write(bytes); !problem.empty()) co_return problem;
  std::optional<redis::Reply> reply = co_await read();
  if (!reply) co_return failure_;
  if (reply->kind == redis::Reply::Kind::error) co_return reply->text;
  co_return std::string();
}

net::awaitable<std::string> RedisConnection::write(const std::string& bytes) {
  auto [ec, written] =
      co_await net::async_write(socket_, net::buffer(bytes), net::as_tuple(net::use_awaitable));
  if (ec) failure_ = ec.message();
  co_return ec ? failure_ : std::string();
}

net::awaitable<std::optional<redis::Reply>> RedisConnection::read() {
  try {
    for (;;) {
      if (std::optional<redis::Reply> reply = reader_.next()) co_return reply;
      auto [ec, n] =
          co_await socket_.async_read_some(net::buffer(chunk_), net::as_tuple(net::use_awaitable));
      if (ec) {
        failure_ = ec == net::error::eof ? "Redis closed the connection" : ec.message();
        co_return std::nullopt;
      }
      reader_.feed(std::string_view(chunk_.data(), n));
    }
  } catch (const std::runtime_error& error) {
    failure_ = error.what();
  }
  co_return std::nullopt;
}

}  // namespace asgi::server
