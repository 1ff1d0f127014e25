// asgi::Broadcaster's overflow policies: keep (nothing lost; publish_and_wait holds the publisher
// to the reader), drop_oldest (counted), disconnect; and a publisher on another thread.

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <thread>

#include "asgi/broadcast.hpp"

namespace {

namespace net = boost::asio;
using Overflow = asgi::Broadcaster::Overflow;

// Reads everything that is there now (the loop has run the deliveries) without waiting.
std::vector<std::string> drain(net::io_context& context, asgi::Broadcaster::Subscription& inbox,
                               std::size_t count) {
  std::vector<std::string> got;
  net::co_spawn(
      context,
      [&]() -> net::awaitable<void> {
        for (std::size_t i = 0; i < count; ++i) {
          auto message = co_await inbox.next();
          if (!message) co_return;
          got.push_back(*message);
        }
      },
      net::detached);
  context.restart();
  context.run_for(std::chrono::milliseconds(50));
  return got;
}

TEST(Broadcaster, KeepLosesNothingPastItsCapacity) {
  net::io_context context;
  asgi::Broadcaster hub;
  auto inbox = hub.subscribe(context.get_executor(), 4);  // keep is the default
  for (int i = 0; i < 100; ++i) hub.publish(std::to_string(i));
  auto got = drain(context, *inbox, 100);
  ASSERT_EQ(got.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(got[static_cast<std::size_t>(i)], std::to_string(i));
  EXPECT_EQ(inbox->dropped(), 0u);
}

TEST(Broadcaster, DropOldestKeepsTheLatestAndCountsTheRest) {
  net::io_context context;
  asgi::Broadcaster hub;
  auto inbox = hub.subscribe(context.get_executor(), 4, Overflow::drop_oldest);
  for (int i = 0; i < 10; ++i) hub.publish(std::to_string(i));
  auto got = drain(context, *inbox, 4);
  EXPECT_EQ(got, (std::vector<std::string>{"6", "7", "8", "9"}));
  EXPECT_EQ(inbox->dropped(), 6u);
}

TEST(Broadcaster, DisconnectEndsASlowSubscription) {
  net::io_context context;
  asgi::Broadcaster hub;
  auto slow = hub.subscribe(context.get_executor(), 4, Overflow::disconnect);
  auto fine = hub.subscribe(context.get_executor(), 16, Overflow::disconnect);
  for (int i = 0; i < 5; ++i) hub.publish(std::to_string(i));
  EXPECT_TRUE(drain(context, *slow, 5).empty());  // next() returned nullopt at once
  EXPECT_TRUE(slow->disconnected());
  EXPECT_EQ(drain(context, *fine, 5).size(), 5u);
  EXPECT_FALSE(fine->disconnected());
}

TEST(Broadcaster, PublishAndWaitIsHeldToTheReader) {
  net::io_context context;
  asgi::Broadcaster hub;
  auto inbox = hub.subscribe(context.get_executor(), 8);
  int published = 0;
  net::co_spawn(
      context,
      [&]() -> net::awaitable<void> {
        for (int i = 0; i < 20; ++i) {
          co_await hub.publish_and_wait(std::to_string(i));
          ++published;
        }
      },
      net::detached);
  context.run_for(std::chrono::milliseconds(50));
  EXPECT_EQ(published, 8);  // the inbox is full: the publisher waits
  auto got = drain(context, *inbox, 20);
  EXPECT_EQ(published, 20);
  ASSERT_EQ(got.size(), 20u);
  EXPECT_EQ(got.back(), "19");
}

TEST(Broadcaster, ReleasingASubscriptionFreesAWaitingPublisher) {
  net::io_context context;
  asgi::Broadcaster hub;
  auto inbox = hub.subscribe(context.get_executor(), 2);
  bool finished = false;
  net::co_spawn(
      context,
      [&]() -> net::awaitable<void> {
        for (int i = 0; i < 10; ++i) co_await hub.publish_and_wait("x");
        finished = true;
      },
      net::detached);
  context.run_for(std::chrono::milliseconds(30));
  EXPECT_FALSE(finished);
  inbox.reset();  // the subscriber goes away without reading
  context.restart();
  context.run_for(std::chrono::milliseconds(30));
  EXPECT_TRUE(finished);
  EXPECT_EQ(hub.subscriber_count(), 0u);
}

TEST(Broadcaster, PublisherOnAnotherThreadDeliversEverythingInOrder) {
  net::io_context subscriber_loop, publisher_loop;
  asgi::Broadcaster hub;
  auto inbox = hub.subscribe(subscriber_loop.get_executor(), 16);
  constexpr int count = 5000;
  std::vector<std::string> got;
  net::co_spawn(
      subscriber_loop,
      [&]() -> net::awaitable<void> {
        while (got.size() < count) got.push_back(*co_await inbox->next());
      },
      net::detached);
  net::co_spawn(
      publisher_loop,
      [&]() -> net::awaitable<void> {
        for (int i = 0; i < count; ++i) co_await hub.publish_and_wait(std::to_string(i));
      },
      net::detached);
  std::thread publisher([&] { publisher_loop.run(); });
  subscriber_loop.run_for(std::chrono::seconds(20));
  publisher.join();
  ASSERT_EQ(got.size(), static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) ASSERT_EQ(got[static_cast<std::size_t>(i)], std::to_string(i));
}

}  // namespace
