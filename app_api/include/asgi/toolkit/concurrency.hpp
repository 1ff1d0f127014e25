#pragma once
// Running coroutines together, the way asyncio users write it, on Asio's own parallel groups,
// awaitable operators, and the app API's WaitQueue:
//
//   co_await asgi::toolkit::sleep(100ms);
//   std::vector<int> sizes = co_await asgi::toolkit::gather(std::move(tasks));  // all at once
//   std::size_t first = co_await asgi::toolkit::first_of(std::move(loops));     // others cancelled
//   Note note = co_await asgi::toolkit::with_timeout(load(id), 2s);             // or TimeoutError
//   asgi::toolkit::Queue<std::string> queue(16);                                // bounded, async
//
// Everything runs on the calling coroutine's executor (one event-loop thread): these are for
// waiting on several things at once, not for using more cores (that is asgi::run_blocking).
// A cancelled coroutine sees an operation_aborted system_error from what it was awaiting.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <deque>
#include <exception>
#include <optional>
#include <stdexcept>
#include <vector>

#include "asgi/wait_queue.hpp"

namespace asgi::toolkit {

/// Raised by with_timeout when the limit passed first.
class TimeoutError : public std::runtime_error {
 public:
  TimeoutError() : std::runtime_error("timed out") {}
};

/// Suspends this coroutine for `duration`; other coroutines run meanwhile.
boost::asio::awaitable<void> sleep(std::chrono::steady_clock::duration duration);

/// `work`'s result, or TimeoutError once `limit` passed (then `work` is cancelled first).
template <class T>
boost::asio::awaitable<T> with_timeout(boost::asio::awaitable<T> work,
                                       std::chrono::steady_clock::duration limit) {
  using namespace boost::asio::experimental::awaitable_operators;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, limit);
  auto outcome = co_await (std::move(work) || timer.async_wait(boost::asio::use_awaitable));
  if (outcome.index() == 1) throw TimeoutError();
  if constexpr (std::is_void_v<T>)
    co_return;
  else
    co_return std::move(std::get<0>(outcome));
}

namespace concurrency_detail {
/// Each task as a deferred co_spawn on `executor`: the operations a parallel group runs.
template <class T>
auto deferred_operations(boost::asio::any_io_executor executor,
                         std::vector<boost::asio::awaitable<T>>& tasks) {
  using Operation =
      decltype(boost::asio::co_spawn(executor, std::move(tasks.front()), boost::asio::deferred));
  std::vector<Operation> operations;
  for (auto& task : tasks)
    operations.push_back(boost::asio::co_spawn(executor, std::move(task), boost::asio::deferred));
  return operations;
}
}  // namespace concurrency_detail

/// Runs every task at once and returns their results in the tasks' order. The first task to
/// raise cancels the others, and its exception is rethrown once they have ended.
template <class T>
boost::asio::awaitable<std::vector<T>> gather(std::vector<boost::asio::awaitable<T>> tasks) {
  namespace experimental = boost::asio::experimental;
  if (tasks.empty()) co_return std::vector<T>();
  auto operations =
      concurrency_detail::deferred_operations(co_await boost::asio::this_coro::executor, tasks);
  auto [order, errors, values] =
      co_await experimental::make_parallel_group(std::move(operations))
          .async_wait(experimental::wait_for_one_error(), boost::asio::use_awaitable);
  for (std::size_t index : order)
    if (errors[index]) std::rethrow_exception(errors[index]);
  co_return std::move(values);
}
/// gather() for tasks without a result.
boost::asio::awaitable<void> gather(std::vector<boost::asio::awaitable<void>> tasks);

/// Runs every task at once until the first one ends; the others are cancelled, and their end is
/// awaited. Returns the index of the first; rethrows its exception if it raised one.
boost::asio::awaitable<std::size_t> first_of(std::vector<boost::asio::awaitable<void>> tasks);

/// A bounded first-in first-out queue between coroutines of one executor: push() waits while
/// `capacity` items are queued (backpressure), pop() waits for an item; after close(), pop()
/// still returns what is queued and then nullopt, and push() raises std::logic_error.
template <class T>
class Queue {
 public:
  explicit Queue(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}
  boost::asio::awaitable<void> push(T item) {
    while (items_.size() >= capacity_ && !closed_) co_await changed_.wait();
    if (closed_) throw std::logic_error("push() on a closed Queue");
    items_.push_back(std::move(item));
    changed_.notify_all();
  }
  /// The next item, or nullopt once the queue is closed and empty.
  boost::asio::awaitable<std::optional<T>> pop() {
    while (items_.empty() && !closed_) co_await changed_.wait();
    if (items_.empty()) co_return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    changed_.notify_all();
    co_return item;
  }
  void close() {
    closed_ = true;
    changed_.notify_all();
  }
  std::size_t size() const { return items_.size(); }

 private:
  std::size_t capacity_;
  std::deque<T> items_;
  bool closed_ = false;
  WaitQueue changed_;
};

}  // namespace asgi::toolkit
