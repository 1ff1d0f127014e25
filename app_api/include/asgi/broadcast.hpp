#pragma once
// Pushing one message to many connections (a chat room, a live dashboard, the crab tank), across
// event-loop threads and without data races:
//
//   auto hub = std::make_shared<asgi::Broadcaster>();            // shared by all connections
//   auto inbox = hub->subscribe(co_await boost::asio::this_coro::executor);
//   while (auto message = co_await inbox->next())                // in a WebSocket handler
//     co_await send(asgi::WebSocketSend(std::nullopt, std::move(*message)));
//   co_await hub->publish_and_wait("hello, room");               // from a coroutine, any thread
//   hub->publish("food at 120,40");                              // from anywhere, never waits
//
// Each subscriber has an inbox on its own executor, with a capacity and a policy for when a
// client reads more slowly than messages come (Overflow):
// - keep (the default): nothing is lost. publish_and_wait() waits until every such inbox has
//   room, so a fast publisher is held to its slowest keeping reader; publish() cannot wait and
//   queues past the capacity instead.
// - drop_oldest: the oldest queued message makes room and is counted (dropped()); for state
//   snapshots where only the latest matters (the crab tank).
// - disconnect: the subscription ends (next() returns nullopt, disconnected() is true) and the
//   app closes its client; for feeds where a gap is worse than a reconnect.
//
// A Broadcaster made with a channel name is one end of that channel: publish() reaches the
// subscribers of every Broadcaster of that name in this process, and, when the server runs with
// `--broadcast-url redis://...`, in every other worker process and instance too (over Redis
// pub/sub; see asgi/broker.hpp). Across processes, messages are delivered at most once and in
// order per publisher; a message sent while Redis is away reaches this process's subscribers only
// (the server counts and logs the rest). An unnamed Broadcaster never leaves the process.
//
//   asgi::Broadcaster room("chat/lobby");                         // the same name everywhere

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace asgi {

namespace detail {
class Inbox;
}

class Broadcaster {
 public:
  enum class Overflow { keep, drop_oldest, disconnect };

  /// In-process only: messages reach this object's subscribers.
  Broadcaster() = default;
  /// One end of `channel`: see above. Names are shared by every app on the same broker, so prefix
  /// them with the app's name ("crab_app/tank").
  explicit Broadcaster(std::string channel);
  Broadcaster(const Broadcaster&) = delete;
  Broadcaster& operator=(const Broadcaster&) = delete;
  ~Broadcaster();

  class Subscription {
   public:
    explicit Subscription(std::shared_ptr<detail::Inbox> inbox) : inbox_(std::move(inbox)) {}
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;
    /// Ends the subscription (a publisher waiting for room stops waiting for it).
    ~Subscription();
    /// The next message, or nullopt once closed (by close() or the disconnect policy). Call on
    /// the subscriber's executor.
    [[nodiscard]] boost::asio::awaitable<std::optional<std::string>> next();
    /// The next message if one is queued now, without waiting (for a loop that polls on a
    /// timer). Call on the subscriber's executor.
    std::optional<std::string> try_next();
    /// Ends the subscription: a pending next() returns nullopt. Call on the subscriber's executor.
    void close();
    /// Messages dropped under drop_oldest because the inbox was full.
    std::size_t dropped() const;
    /// True when the disconnect policy ended the subscription.
    bool disconnected() const;

   private:
    std::shared_ptr<detail::Inbox> inbox_;
  };

  /// A new subscriber receiving on `executor` (its own event loop), with room for `capacity`
  /// messages and `overflow` deciding what happens past that. It stops receiving when the
  /// returned pointer is released.
  std::shared_ptr<Subscription> subscribe(boost::asio::any_io_executor executor,
                                          std::size_t capacity = 64,
                                          Overflow overflow = Overflow::keep);
  /// Sends `message` to every current subscriber now (and, for a channel, to the broker).
  /// Thread-safe; never waits (keep inboxes grow past their capacity instead).
  void publish(std::string message);
  /// Sends `message` to every current subscriber, first waiting until each keep inbox has room.
  /// Call from a coroutine on any executor. Other processes' inboxes are not waited for.
  [[nodiscard]] boost::asio::awaitable<void> publish_and_wait(std::string message);
  /// Subscribers in this process (for a channel: of every Broadcaster of that name).
  std::size_t subscriber_count();
  /// The channel name; empty for an in-process Broadcaster.
  const std::string& channel() const { return channel_; }

 private:
  friend void deliver_from_broker(std::string_view channel, std::string message);
  /// This object's live inboxes (expired ones forgotten).
  std::vector<std::shared_ptr<detail::Inbox>> own_inboxes();
  /// Everyone a publish reaches in this process: own_inboxes(), or the whole channel's.
  std::vector<std::shared_ptr<detail::Inbox>> live_inboxes();

  std::string channel_;

  std::mutex mutex_;
  std::vector<std::weak_ptr<detail::Inbox>> inboxes_;
};

}  // namespace asgi
