// The I/O-free rules of the server layer: when an idle connection parks, when a keep-alive
// connection tries a read-ahead, and the wait primitive every waiting coroutine uses.

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>

#include "asgi/server/park_policy.hpp"
#include "asgi/server/read_ahead_policy.hpp"
#include "asgi/wait_queue.hpp"

namespace {

using namespace std::chrono_literals;
using asgi::server::ParkPolicy;
using asgi::server::ReadAheadPolicy;

TEST(ParkPolicy, ParksSoonBeforeAndAfterTheFirstRequest) {
  ParkPolicy policy;
  auto t0 = ParkPolicy::Clock::time_point{} + 100s;
  EXPECT_EQ(policy.delay(t0), 25ms);  // a fresh connection
  policy.on_request();
  EXPECT_EQ(policy.delay(t0 + 1s), 25ms);  // after one request
}

TEST(ParkPolicy, LearnsTheGapBetweenRequestsWithinBounds) {
  ParkPolicy policy;
  auto t = ParkPolicy::Clock::time_point{} + 100s;
  policy.on_request();
  policy.delay(t);
  // A steady 40 ms rhythm: 16 gaps = 640 ms.
  for (int i = 0; i < 5; ++i) {
    policy.on_request();
    t += 40ms;
    EXPECT_EQ(policy.delay(t), 640ms) << i;
  }
  // A fast client: the lower bound.
  for (int i = 0; i < 20; ++i) {
    policy.on_request();
    t += 1ms;
    policy.delay(t);
  }
  policy.on_request();
  t += 1ms;
  EXPECT_EQ(policy.delay(t), ParkPolicy::min_delay);
  // A slow one: the upper bound, reached through the running average.
  for (int i = 0; i < 20; ++i) {
    policy.on_request();
    t += 10s;
    policy.delay(t);
  }
  policy.on_request();
  t += 10s;
  EXPECT_EQ(policy.delay(t), ParkPolicy::max_delay);
}

TEST(ParkPolicy, AveragesGaps) {
  ParkPolicy policy;
  auto t = ParkPolicy::Clock::time_point{} + 100s;
  policy.on_request();
  policy.delay(t);
  policy.on_request();
  t += 20ms;
  EXPECT_EQ(policy.delay(t), 320ms);  // 16 x 20 ms
  policy.on_request();
  t += 60ms;
  EXPECT_EQ(policy.delay(t), 640ms);  // 16 x (20 + 60) / 2
}

TEST(ReadAheadPolicy, TriesUntilAMissThenBacksOffDoublingUpTo64) {
  ReadAheadPolicy policy;
  EXPECT_TRUE(policy.due());
  EXPECT_TRUE(policy.due());
  for (int skip : {8, 16, 32, 64, 64}) {
    policy.on_miss();
    for (int i = 0; i < skip; ++i) EXPECT_FALSE(policy.due()) << skip << " " << i;
    EXPECT_TRUE(policy.due()) << skip;
  }
}

TEST(ReadAheadPolicy, AHitResetsTheBackoff) {
  ReadAheadPolicy policy;
  policy.on_miss();
  for (int i = 0; i < 8; ++i) policy.due();
  policy.on_miss();  // 16 now
  for (int i = 0; i < 16; ++i) policy.due();
  ASSERT_TRUE(policy.due());
  policy.on_hit();
  policy.on_miss();  // back to 8
  for (int i = 0; i < 8; ++i) EXPECT_FALSE(policy.due());
  EXPECT_TRUE(policy.due());
}

boost::asio::awaitable<void> wait_and_count(asgi::WaitQueue& queue, int& woken) {
  co_await queue.wait();
  ++woken;
}

TEST(WaitQueue, NotifyAllWakesEveryWaiterAndIsNotSticky) {
  boost::asio::io_context context;
  asgi::WaitQueue queue;
  int woken = 0;
  queue.notify_all();  // nobody waits yet: nothing is stored
  for (int i = 0; i < 3; ++i)
    boost::asio::co_spawn(context, wait_and_count(queue, woken), boost::asio::detached);
  context.run_for(20ms);
  EXPECT_EQ(woken, 0);
  EXPECT_TRUE(queue.has_waiters());
  queue.notify_all();
  for (int i = 0; i < 2000 && woken < 3; ++i) {  // a loaded machine may need a while
    context.restart();
    context.run_for(1ms);
  }
  EXPECT_EQ(woken, 3);
  EXPECT_FALSE(queue.has_waiters());
}

TEST(WaitQueue, WaitUntilReturnsAtTheDeadlineOrWhenTheConditionHolds) {
  boost::asio::io_context context;
  asgi::WaitQueue queue;
  bool ready = false;
  int results = 0;
  bool timed_out_result = true, ready_result = false;
  auto waiter = [&](std::chrono::milliseconds limit, bool& out) -> boost::asio::awaitable<void> {
    out = co_await queue.wait_until([&] { return ready; }, asgi::WaitQueue::Clock::now() + limit);
    ++results;
  };
  boost::asio::co_spawn(context, waiter(30ms, timed_out_result), boost::asio::detached);
  boost::asio::co_spawn(context, waiter(5000ms, ready_result), boost::asio::detached);
  for (int i = 0; i < 2000 && results < 1; ++i) {  // the 30 ms deadline passes
    context.restart();
    context.run_for(1ms);
  }
  EXPECT_EQ(results, 1);
  EXPECT_FALSE(timed_out_result);
  queue.notify_all();  // a notification without the condition: it waits on
  context.restart();
  context.run_for(20ms);
  EXPECT_EQ(results, 1);
  ready = true;
  queue.notify_all();
  for (int i = 0; i < 2000 && results < 2; ++i) {
    context.restart();
    context.run_for(1ms);
  }
  EXPECT_EQ(results, 2);
  EXPECT_TRUE(ready_result);
}

}  // namespace
