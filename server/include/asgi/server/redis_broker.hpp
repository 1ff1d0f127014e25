#pragma once
// --broadcast-url: the asgi::Broker over Redis, on the server's main event loop (the one that
// runs signals and the lifespan, never app requests). Two connections: one subscribed to every
// broadcast channel (PSUBSCRIBE asgiserver:*), one for PUBLISH and the lease scripts, its
// commands pipelined in batches. Each reconnects with backoff after a failure; RedisLinkState
// says so once. While Redis is away, publishes reach this process's subscribers only (counted),
// and leases answer "cannot tell" so each process carries on by itself.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <deque>
#include <memory>
#include <string>

#include "asgi/broker.hpp"
#include "asgi/protocol/redis.hpp"
#include "asgi/server/redis_link_state.hpp"
#include "asgi/wait_queue.hpp"

namespace asgi::server {

class RedisBroker : public Broker, public std::enable_shared_from_this<RedisBroker> {
 public:
  /// Starts both connections' loops on `executor`; they run until its io_context stops.
  static std::shared_ptr<RedisBroker> start(boost::asio::any_io_executor executor,
                                            protocol::redis::Url url);

  RedisBroker(boost::asio::any_io_executor executor, protocol::redis::Url url);

  void publish(std::string_view channel, std::string_view message) override;
  boost::asio::awaitable<std::optional<bool>> hold_lease(std::string name, std::string token,
                                                         std::chrono::milliseconds ttl) override;
  boost::asio::awaitable<void> release_lease(std::string name, std::string token) override;

  /// A command waiting for its reply (lease scripts; publishes need none).
  struct Waiter {
    std::optional<protocol::redis::Reply> reply;
    bool finished = false;
    WaitQueue changed;
  };

 private:
  struct Pending {
    std::string bytes;               ///< the command in RESP
    std::shared_ptr<Waiter> waiter;  ///< null: nobody waits for the reply
  };

  static boost::asio::awaitable<void> subscribe_loop(std::shared_ptr<RedisBroker> self);
  static boost::asio::awaitable<void> command_loop(std::shared_ptr<RedisBroker> self);
  static boost::asio::awaitable<std::optional<protocol::redis::Reply>> run_command(
      std::shared_ptr<RedisBroker> self, std::string bytes);

  // On the broker's executor:
  void enqueue(std::string bytes, std::shared_ptr<Waiter> waiter);
  void fail_pending(std::deque<Pending>& pending);
  void note_up(RedisLinkState::Link link);
  void note_down(RedisLinkState::Link link, const std::string& reason);
  void deliver(const protocol::redis::Reply& message);

  boost::asio::any_io_executor executor_;
  protocol::redis::Url url_;
  std::string origin_;  ///< this process in the envelopes: its own messages coming back are skipped
  RedisLinkState link_;
  std::deque<Pending> queue_;  ///< commands not yet written
  std::size_t queued_bytes_ = 0;
  WaitQueue queue_changed_;
};

}  // namespace asgi::server
