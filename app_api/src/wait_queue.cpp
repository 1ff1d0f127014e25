#include "asgi/wait_queue.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace asgi {

boost::asio::awaitable<void> WaitQueue::wait_once(Clock::time_point deadline) {
  Waiter self{boost::asio::steady_timer(co_await boost::asio::this_coro::executor, deadline),
              waiters_};
  waiters_ = &self;
  // Unlinked on every way out, a cancelled or destroyed coroutine included.
  struct Unlink {
    WaitQueue& queue;
    Waiter& self;
    ~Unlink() {
      for (Waiter** link = &queue.waiters_; *link; link = &(*link)->next) {
        if (*link == &self) {
          *link = self.next;
          break;
        }
      }
    }
  } unlink{*this, self};
  co_await self.timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
}

void WaitQueue::notify_all() {
  for (Waiter* waiter = waiters_; waiter; waiter = waiter->next) waiter->timer.cancel();
}

}  // namespace asgi
