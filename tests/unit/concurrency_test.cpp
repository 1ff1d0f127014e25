// asgi::toolkit's concurrency helpers: sleep, gather (order, the first error cancels the rest),
// first_of, with_timeout, and the bounded Queue.

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "asgi/toolkit/concurrency.hpp"

namespace {

namespace net = boost::asio;
namespace kit = asgi::toolkit;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Runs `body` to completion on a fresh loop; rethrows what it raised.
template <class Body>
void run(Body body) {
  net::io_context context;
  std::exception_ptr error;
  bool done = false;
  net::co_spawn(context, body(), [&](std::exception_ptr e) {
    error = e;
    done = true;
  });
  context.run_for(10s);
  ASSERT_TRUE(done) << "the coroutine did not finish";
  if (error) std::rethrow_exception(error);
}

net::awaitable<int> after(std::chrono::milliseconds delay, int value) {
  co_await kit::sleep(delay);
  co_return value;
}

net::awaitable<int> fail_after(std::chrono::milliseconds delay) {
  co_await kit::sleep(delay);
  throw std::runtime_error("task failed");
}

TEST(Concurrency, SleepWaitsAtLeastItsDuration) {
  auto start = Clock::now();
  run([]() -> net::awaitable<void> { co_await kit::sleep(30ms); });
  EXPECT_GE(Clock::now() - start, 30ms);
}

TEST(Concurrency, GatherRunsAtOnceAndKeepsTheTasksOrder) {
  auto start = Clock::now();
  std::vector<int> results;
  run([&]() -> net::awaitable<void> {
    std::vector<net::awaitable<int>> tasks;
    tasks.push_back(after(60ms, 1));
    tasks.push_back(after(10ms, 2));
    tasks.push_back(after(30ms, 3));
    results = co_await kit::gather(std::move(tasks));
  });
  EXPECT_EQ(results, (std::vector<int>{1, 2, 3}));
  EXPECT_LT(Clock::now() - start, 150ms);  // at once: about 60 ms, not 100
}

TEST(Concurrency, GatherStopsAtTheFirstErrorAndCancelsTheRest) {
  auto start = Clock::now();
  EXPECT_THROW(run([]() -> net::awaitable<void> {
                 std::vector<net::awaitable<int>> tasks;
                 tasks.push_back(after(5s, 1));
                 tasks.push_back(fail_after(10ms));
                 co_await kit::gather(std::move(tasks));
               }),
               std::runtime_error);
  EXPECT_LT(Clock::now() - start, 2s);  // the 5 s task was cancelled
}

TEST(Concurrency, FirstOfReturnsTheFirstAndCancelsTheOthers) {
  auto start = Clock::now();
  std::size_t first = 99;
  bool slow_finished = false;
  run([&]() -> net::awaitable<void> {
    std::vector<net::awaitable<void>> tasks;
    tasks.push_back([&]() -> net::awaitable<void> {
      co_await kit::sleep(5s);
      slow_finished = true;
    }());
    tasks.push_back(kit::sleep(10ms));
    first = co_await kit::first_of(std::move(tasks));
  });
  EXPECT_EQ(first, 1u);
  EXPECT_FALSE(slow_finished);
  EXPECT_LT(Clock::now() - start, 2s);
}

TEST(Concurrency, WithTimeoutGivesTheResultOrRaises) {
  int value = 0;
  run([&]() -> net::awaitable<void> { value = co_await kit::with_timeout(after(10ms, 7), 1s); });
  EXPECT_EQ(value, 7);
  auto start = Clock::now();
  EXPECT_THROW(
      run([]() -> net::awaitable<void> { co_await kit::with_timeout(kit::sleep(5s), 20ms); }),
      kit::TimeoutError);
  EXPECT_LT(Clock::now() - start, 2s);
}

TEST(Concurrency, QueueIsBoundedAndDrainsAfterClose) {
  std::vector<int> popped;
  int pushed = 0;
  run([&]() -> net::awaitable<void> {
    kit::Queue<int> queue(2);
    auto producer = [&]() -> net::awaitable<void> {
      for (int i = 0; i < 5; ++i) {
        co_await queue.push(i);
        ++pushed;
      }
      queue.close();
    };
    auto consumer = [&]() -> net::awaitable<void> {
      co_await kit::sleep(20ms);
      EXPECT_EQ(pushed, 2);  // the producer waits while 2 are queued
      while (auto item = co_await queue.pop()) popped.push_back(*item);
    };
    std::vector<net::awaitable<void>> both;
    both.push_back(producer());
    both.push_back(consumer());
    co_await kit::gather(std::move(both));
  });
  EXPECT_EQ(popped, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(pushed, 5);
}

}  // namespace
