#pragma once
// One connection to Redis on an Asio executor: connect (with a deadline), AUTH and SELECT, then
// commands written and replies read in RESP. Errors are values (a reason for the log line), since
// a Redis that goes away is expected and handled by reconnecting.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "asgi/protocol/redis.hpp"

namespace asgi::server {

// Always made with std::make_shared: open()'s deadline handler checks that the object is alive.
class RedisConnection : public std::enable_shared_from_this<RedisConnection> {
 public:
  explicit RedisConnection(boost::asio::any_io_executor executor);

  /// Connects to `url`'s host, authenticates when it has a password, and selects its database
  /// when `select_db`. Empty on success, otherwise why not.
  boost::asio::awaitable<std::string> open(const protocol::redis::Url& url, bool select_db,
                                           std::chrono::milliseconds timeout);
  /// Writes `bytes` (whole RESP commands). Empty on success, otherwise why not.
  boost::asio::awaitable<std::string> write(const std::string& bytes);
  /// The next reply, or nullopt when the connection failed (reason in failure()).
  boost::asio::awaitable<std::optional<protocol::redis::Reply>> read();
  const std::string& failure() const { return failure_; }

 private:
  // A command during open(): empty when Redis answered without an error.
  boost::asio::awaitable<std::string> handshake_command(const std::string& bytes);

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer deadline_;
  protocol::redis::ReplyReader reader_;
  std::vector<char> chunk_ = std::vector<char>(16 * 1024);  ///< off the coroutine frame
  bool opening_ = false;                                    ///< the deadline may close the socket
  bool expired_ = false;
  std::string failure_;
};

}  // namespace asgi::server
