// Unit tests for asgi::run_blocking (app_api/include/asgi/blocking.hpp): work that owns heap
// values runs once on the blocking pool, its result comes back on the caller's executor, and what
// it captured is destroyed exactly once (a double destruction frees a string's buffer twice and
// aborts the process; a missed one leaks).

#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "asgi/blocking.hpp"

namespace {

namespace net = boost::asio;

/// Runs `make()` (a coroutine) to completion on a fresh io_context, for at most 10 s. Returns
/// whether it completed; its exception, if any, lands in `error`.
template <class MakeCoroutine>
bool run_on_io_context(MakeCoroutine make, std::exception_ptr& error) {
  net::io_context io;
  bool done = false;
  net::co_spawn(io, std::move(make), [&](std::exception_ptr e) {
    error = e;
    done = true;
  });
  io.run_for(std::chrono::seconds(10));
  return done;
}

/// The pool thread lets go of the work just after it hands the result over, so the caller may see
/// the last copy a moment longer: wait (at most 5 s) until `owned` has no owner but the test.
template <class T>
long owners_once_settled(const std::shared_ptr<T>& owned) {
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (owned.use_count() > 1 && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return owned.use_count();
}

TEST(RunBlocking, WorkOwningAStringAndASharedPtrRunsOnceAndReleasesThem) {
  // Longer than any small-string buffer: the captured copy owns a heap block.
  const std::string text(200, 't');
  auto token = std::make_shared<std::string>("token");
  std::optional<std::string> result;
  int calls = 0;
  std::thread::id work_thread;
  std::thread::id resumed_thread;
  const std::thread::id test_thread = std::this_thread::get_id();

  std::exception_ptr error;
  bool done = run_on_io_context(
      [&]() -> net::awaitable<void> {
        auto work = [text, token, &calls, &work_thread] {
          ++calls;
          work_thread = std::this_thread::get_id();
          return text + "/" + *token;
        };
        EXPECT_EQ(token.use_count(), 2);  // the test's and the work's copy
        auto pending = asgi::run_blocking(std::move(work));
        std::string value = co_await std::move(pending);
        resumed_thread = std::this_thread::get_id();
        result = std::move(value);
      },
      error);

  ASSERT_TRUE(done) << "run_blocking did not complete within 10 s";
  ASSERT_FALSE(error);
  ASSERT_TRUE(result);
  EXPECT_EQ(*result, text + "/token");
  EXPECT_EQ(calls, 1);
  EXPECT_NE(work_thread, test_thread) << "the work ran on the event loop's thread";
  EXPECT_EQ(resumed_thread, test_thread) << "the coroutine did not resume on its executor";
  // Every copy of the work (and with it the captured shared_ptr) is gone: exactly the test's own
  // reference is left. More would be a leak; a double destruction would have dropped the count
  // below the number of owners (and freed the string twice).
  EXPECT_EQ(owners_once_settled(token), 1);
  EXPECT_EQ(*token, "token");
  EXPECT_EQ(text, std::string(200, 't'));
}

TEST(RunBlocking, ExceptionFromTheWorkIsRethrownInTheCoroutine) {
  auto token = std::make_shared<int>(7);
  std::string caught;
  std::exception_ptr error;
  bool done = run_on_io_context(
      [&]() -> net::awaitable<void> {
        auto work = [token]() -> int {
          throw std::runtime_error("work failed " + std::to_string(*token));
        };
        auto pending = asgi::run_blocking(std::move(work));
        try {
          co_await std::move(pending);
        } catch (const std::runtime_error& e) {
          caught = e.what();
        }
      },
      error);
  ASSERT_TRUE(done) << "run_blocking did not complete within 10 s";
  ASSERT_FALSE(error);
  EXPECT_EQ(caught, "work failed 7");
  EXPECT_EQ(owners_once_settled(token), 1);
}

}  // namespace
