#pragma once
// Run blocking or CPU-heavy work on a shared thread pool and co_await its result without blocking
// the event loop:
//
//   std::string digits = co_await asgi::run_blocking([n] { return compute_pi(n); });
//
// The coroutine resumes on its own executor; an exception thrown by the work is rethrown there.

#include <type_traits>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace asgi {

/// The process-wide pool for blocking work (one thread per core, at least two).
boost::asio::thread_pool& blocking_pool();

template <class Function>
boost::asio::awaitable<std::invoke_result_t<Function&>> run_blocking(Function work) {
  using Result = std::invoke_result_t<Function&>;
  // The task is built before the co_await, not inside it: GCC 12 destroys a lambda created in a
  // co_await expression twice, which frees what the work captured (a string, a shared_ptr) twice.
  auto task = [work = std::move(work)]() mutable -> boost::asio::awaitable<Result> {
    co_return work();
  };
  co_return co_await boost::asio::co_spawn(blocking_pool().get_executor(), std::move(task),
                                           boost::asio::use_awaitable);
}

}  // namespace asgi
