#include "asgi/server/redis_broker.hpp"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <random>

#include "asgi/server/logging.hpp"
#include "asgi/server/redis_connection.hpp"

namespace asgi::server {

namespace net = boost::asio;
namespace redis = protocol::redis;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(3);
// A lease answer later than this is "cannot tell": the caller's loop must not stall on Redis.
constexpr auto kCommandTimeout = std::chrono::seconds(1);
// Commands waiting to be written, past which publishes are dropped (and counted) rather than
// buffered without bound while Redis is slow.
constexpr std::size_t kMaxQueuedBytes = 16 * 1024 * 1024;
constexpr std::size_t kMaxBatch = 512;

std::string random_origin() {
  std::random_device random;
  return fmt::format("{:08x}{:08x}", random(), random());
}

net::awaitable<void> sleep_for(std::chrono::milliseconds delay) {
  net::steady_timer timer(co_await net::this_coro::executor, delay);
  co_await timer.async_wait(net::as_tuple(net::use_awaitable));
}

// Leases are keys beside the channels' prefix, in the URL's database.
std::string lease_key(const std::string& name) {
  return std::string(redis::kChannelPrefix) + "lease:" + name;
}

void log_line(const std::optional<RedisLinkState::Line>& line) {
  if (!line) return;
  if (line->warning)
    log::error().warn("{}", line->text);
  else
    log::error().info("{}", line->text);
}

}  // namespace

RedisBroker::RedisBroker(net::any_io_executor executor, redis::Url url)
    : executor_(std::move(executor)),
      url_(std::move(url)),
      origin_(random_origin()),
      link_(redis::describe(url_)) {}

std::shared_ptr<RedisBroker> RedisBroker::start(net::any_io_executor executor, redis::Url url) {
  auto broker = std::make_shared<RedisBroker>(executor, std::move(url));
  net::co_spawn(executor, subscribe_loop(broker), log::LogEscapedException{"redis subscriber"});
  net::co_spawn(executor, command_loop(broker), log::LogEscapedException{"redis commands"});
  return broker;
}

void RedisBroker::publish(std::string_view channel, std::string_view message) {
  std::string bytes =
      redis::command({"PUBLISH", std::string(redis::kChannelPrefix) + std::string(channel),
                      redis::wrap(origin_, message)});
  // From any thread: the queue belongs to the broker's executor.
  net::post(executor_, [self = shared_from_this(), bytes = std::move(bytes)]() mutable {
    if (!self->link_.commands_up() || self->queued_bytes_ + bytes.size() > kMaxQueuedBytes) {
      self->link_.missed();
      return;
    }
    self->enqueue(std::move(bytes), nullptr);
  });
}

void RedisBroker::enqueue(std::string bytes, std::shared_ptr<Waiter> waiter) {
  queued_bytes_ += bytes.size();
  queue_.push_back({std::move(bytes), std::move(waiter)});
  queue_changed_.notify_all();
}

net::awaitable<std::optional<redis::Reply>> RedisBroker::run_command(
    std::shared_ptr<RedisBroker> self, std::string bytes) {
  if (!self->link_.commands_up()) co_return std::nullopt;
  auto waiter = std::make_shared<Waiter>();
  self->enqueue(std::move(bytes), waiter);
  co_await waiter->changed.wait_until([&waiter] { return waiter->finished; },
                                      WaitQueue::Clock::now() + kCommandTimeout);
  co_return waiter->reply;  // nullopt when it timed out or the connection failed
}

net::awaitable<std::optional<bool>> RedisBroker::hold_lease(std::string name, std::string token,
                                                            std::chrono::milliseconds ttl) {
  std::string bytes = redis::command({"EVAL", redis::kHoldLeaseScript, "1", lease_key(name), token,
                                      std::to_string(std::max<long long>(ttl.count(), 1))});
  std::optional<redis::Reply> reply = co_await net::co_spawn(
      executor_, run_command(shared_from_this(), std::move(bytes)), net::use_awaitable);
  if (!reply || reply->kind != redis::Reply::Kind::integer) {
    if (reply && reply->kind == redis::Reply::Kind::error)
      log::error().warn("Redis refused the lease script for '{}': {}", name, reply->text);
    co_return std::nullopt;
  }
  co_return reply->integer == 1;
}

net::awaitable<void> RedisBroker::release_lease(std::string name, std::string token) {
  std::string bytes =
      redis::command({"EVAL", redis::kReleaseLeaseScript, "1", lease_key(name), token});
  co_await net::co_spawn(executor_, run_command(shared_from_this(), std::move(bytes)),
                         net::use_awaitable);
}

void RedisBroker::fail_pending(std::deque<Pending>& pending) {
  for (Pending& command : pending) {
    queued_bytes_ -= std::min(queued_bytes_, command.bytes.size());
    if (command.waiter) {
      command.waiter->finished = true;
      command.waiter->changed.notify_all();
    } else {
      link_.missed();
    }
  }
  pending.clear();
}

void RedisBroker::note_up(RedisLinkState::Link link) {
  log_line(link_.up(link, Clock::now()));
}

void RedisBroker::note_down(RedisLinkState::Link link, const std::string& reason) {
  log_line(link_.down(link, reason, Clock::now()));
}

// A pub/sub push: ["pmessage", pattern, channel, payload].
void RedisBroker::deliver(const redis::Reply& message) {
  if (message.kind != redis::Reply::Kind::array || message.elements.size() != 4 ||
      message.elements[0].text != "pmessage")
    return;
  std::string_view channel = message.elements[2].text;
  if (!channel.starts_with(redis::kChannelPrefix)) return;
  channel.remove_prefix(redis::kChannelPrefix.size());
  std::optional<redis::Envelope> envelope = redis::unwrap(message.elements[3].text);
  if (!envelope || envelope->origin == origin_) return;  // not ours to read, or our own
  deliver_from_broker(channel, std::string(envelope->message));
}

net::awaitable<void> RedisBroker::subscribe_loop(std::shared_ptr<RedisBroker> self) {
  constexpr auto link = RedisLinkState::Link::subscriber;
  for (unsigned failures = 0;; ++failures) {
    if (failures > 0) co_await sleep_for(redis::backoff_delay(failures - 1));
    auto connection = std::make_shared<RedisConnection>(self->executor_);
    std::string problem = co_await connection->open(self->url_, false, kConnectTimeout);
    if (problem.empty())
      problem = co_await connection->write(
          redis::command({"PSUBSCRIBE", std::string(redis::kChannelPrefix) + "*"}));
    if (!problem.empty()) {
      self->note_down(link, problem);
      continue;
    }
    bool confirmed = false;
    std::string refused;
    while (std::optional<redis::Reply> reply = co_await connection->read()) {
      if (confirmed) {
        self->deliver(*reply);
        continue;
      }
      // ["psubscribe", pattern, 1]: from now on nothing published is missed.
      if (reply->kind == redis::Reply::Kind::error) {
        refused = reply->text;
        break;
      }
      confirmed = true;
      failures = 0;
      self->note_up(link);
    }
    self->note_down(link, refused.empty() ? connection->failure() : refused);
  }
}

net::awaitable<void> RedisBroker::command_loop(std::shared_ptr<RedisBroker> self) {
  constexpr auto link = RedisLinkState::Link::commands;
  for (unsigned failures = 0;; ++failures) {
    if (failures > 0) co_await sleep_for(redis::backoff_delay(failures - 1));
    auto connection = std::make_shared<RedisConnection>(self->executor_);
    if (std::string problem = co_await connection->open(self->url_, true, kConnectTimeout);
        !problem.empty()) {
      self->note_down(link, problem);
      continue;
    }
    failures = 0;
    self->note_up(link);
    std::deque<Pending> batch;
    for (;;) {
      while (self->queue_.empty()) co_await self->queue_changed_.wait();
      // Everything queued goes out in one write; the replies come back in the same order.
      std::string bytes;
      while (!self->queue_.empty() && batch.size() < kMaxBatch) {
        bytes += self->queue_.front().bytes;
        batch.push_back(std::move(self->queue_.front()));
        self->queue_.pop_front();
      }
      if (!(co_await connection->write(bytes)).empty()) break;
      while (!batch.empty()) {
        std::optional<redis::Reply> reply = co_await connection->read();
        if (!reply) break;
        Pending& done = batch.front();
        self->queued_bytes_ -= std::min(self->queued_bytes_, done.bytes.size());
        if (done.waiter) {
          done.waiter->reply = std::move(reply);
          done.waiter->finished = true;
          done.waiter->changed.notify_all();
        }
        batch.pop_front();
      }
      if (!batch.empty()) break;
    }
    // The connection failed: what was written without a reply, and what waits, is lost.
    self->fail_pending(batch);
    self->note_down(link, connection->failure());
    self->fail_pending(self->queue_);
  }
}

}  // namespace asgi::server
