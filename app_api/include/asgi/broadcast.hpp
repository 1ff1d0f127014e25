#pragma once
// Pushing one message to many connections (a chat room, a live dashboard, the crab tank), across
// event-loop threads and without data races:
//
//   auto hub = std::make_shared<asgi::Broadcaster>();            // shared by all connections
//   auto inbox = hub->subscribe(co_await boost::asio::this_coro::executor);
//   while (auto message = co_await inbox->next())                // in a WebSocket handler
//     co_await send(asgi::WebSocketSend(std::nullopt, std::move(*message)));
//   hub->publish("food at 120,40");                              // from any thread
//
// Each subscriber has a bounded inbox on its own executor: when a client reads too slowly the
// oldest messages are dropped (and counted), so one slow client never grows memory or holds up
// the others.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "asgi/wait_queue.hpp"

namespace asgi {

class Broadcaster {
 public:
  class Subscription {
   public:
    Subscription(boost::asio::any_io_executor executor, std::size_t capacity);
    /// The next message, or nullopt once close() was called. Call on the subscriber's executor.
    [[nodiscard]] boost::asio::awaitable<std::optional<std::string>> next();
    /// Ends the subscription: a pending next() returns nullopt. Call on the subscriber's executor.
    void close();
    /// Messages dropped because the inbox was full.
    std::size_t dropped() const { return dropped_; }

   private:
    friend class Broadcaster;
    void deliver(std::shared_ptr<const std::string> message);

    boost::asio::any_io_executor executor_;
    std::size_t capacity_;
    std::deque<std::shared_ptr<const std::string>> inbox_;
    std::size_t dropped_ = 0;
    bool closed_ = false;
    WaitQueue wakeup_;
  };

  /// A new subscriber receiving on `executor` (its own event loop), with `capacity` messages of
  /// buffer. It stops receiving when the returned pointer is released.
  std::shared_ptr<Subscription> subscribe(boost::asio::any_io_executor executor,
                                          std::size_t capacity = 64);
  /// Sends `message` to every current subscriber. Thread-safe; never blocks on a subscriber.
  void publish(std::string message);
  std::size_t subscriber_count();

 private:
  std::mutex mutex_;
  std::vector<std::weak_ptr<Subscription>> subscribers_;
};

}  // namespace asgi
