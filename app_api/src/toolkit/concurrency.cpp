#include "asgi/toolkit/concurrency.hpp"

namespace asgi::toolkit {

namespace experimental = boost::asio::experimental;

boost::asio::awaitable<void> sleep(std::chrono::steady_clock::duration duration) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, duration);
  co_await timer.async_wait(boost::asio::use_awaitable);
}

namespace {

template <class Condition>
boost::asio::awaitable<std::pair<std::vector<std::size_t>, std::vector<std::exception_ptr>>>
run_group(std::vector<boost::asio::awaitable<void>> tasks, Condition condition) {
  auto operations =
      concurrency_detail::deferred_operations(co_await boost::asio::this_coro::executor, tasks);
  auto [order, errors] = co_await experimental::make_parallel_group(std::move(operations))
                             .async_wait(condition, boost::asio::use_awaitable);
  co_return std::make_pair(std::move(order), std::move(errors));
}

}  // namespace

boost::asio::awaitable<void> gather(std::vector<boost::asio::awaitable<void>> tasks) {
  if (tasks.empty()) co_return;
  auto [order, errors] = co_await run_group(std::move(tasks), experimental::wait_for_one_error());
  for (std::size_t index : order)
    if (errors[index]) std::rethrow_exception(errors[index]);
}

boost::asio::awaitable<std::size_t> first_of(std::vector<boost::asio::awaitable<void>> tasks) {
  if (tasks.empty()) throw std::invalid_argument("first_of needs at least one task");
  auto [order, errors] = co_await run_group(std::move(tasks), experimental::wait_for_one());
  std::size_t first = order.front();
  if (errors[first]) std::rethrow_exception(errors[first]);
  co_return first;
}

}  // namespace asgi::toolkit
