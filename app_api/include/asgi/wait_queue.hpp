#pragma once
// A place for coroutines of one event loop to wait until something they watch changes: the
// condition variable of a single-threaded executor.
//
//   asgi::WaitQueue changed;
//   while (!ready) co_await changed.wait();                 // one coroutine
//   ready = true; changed.notify_all();                     // another, on the same executor
//
//   bool in_time = co_await changed.wait_until([&] { return ready; }, deadline);
//
// A notification is not stored: a coroutine that starts waiting after notify_all() waits for the
// next one, so always wait in a loop on the condition (wait_until does). Use it from the
// executor's own thread only (a connection, a WebSocket, a subscriber all live on one); to wake a
// waiter from another thread, post the notify_all() to its executor. A queue is one pointer: a
// waiter's timer lives in the waiting coroutine's frame, on that coroutine's executor.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>

namespace asgi {

class WaitQueue {
 public:
  using Clock = boost::asio::steady_timer::clock_type;

  WaitQueue() = default;
  WaitQueue(const WaitQueue&) = delete;
  WaitQueue& operator=(const WaitQueue&) = delete;
  /// Destroy it only when no coroutine waits on it (its owner outlives its waiters).
  ~WaitQueue() = default;

  /// Suspends until the next notify_all() (or until the waiting coroutine is cancelled).
  boost::asio::awaitable<void> wait() { return wait_once(Clock::time_point::max()); }
  /// Suspends until the next notify_all() or `deadline`, whichever is first.
  boost::asio::awaitable<void> wait_once(Clock::time_point deadline);
  /// Waits until `condition()` holds (true) or `deadline` passes (false): the condition is checked
  /// first and after every notification.
  template <class Condition>
  boost::asio::awaitable<bool> wait_until(Condition condition, Clock::time_point deadline) {
    while (!condition()) {
      if (Clock::now() >= deadline) co_return false;
      co_await wait_once(deadline);
    }
    co_return true;
  }
  /// Wakes every coroutine waiting now.
  void notify_all();
  bool has_waiters() const { return waiters_ != nullptr; }

 private:
  // Each waiter's timer lives in its own coroutine frame, linked here while it waits: no heap
  // memory while nobody waits (an idle connection or WebSocket has several of these queues).
  struct Waiter {
    boost::asio::steady_timer timer;
    Waiter* next;
  };
  Waiter* waiters_ = nullptr;
};

}  // namespace asgi
