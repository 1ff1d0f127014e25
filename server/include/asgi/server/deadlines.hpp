#pragma once
// A connection's deadlines on one timer: reading (keep-alive, request head, body), writing (no
// progress for --timeout-send) and parking (see ParkPolicy). Operations only move deadlines; the
// timer fires at most once per period and, when a deadline has passed, marks it expired and
// cancels the transport's pending operations, which then complete with operation_aborted and ask
// expired() why.

#include <array>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>

namespace asgi::server {

class Transport;

class Deadlines {
 public:
  using Clock = std::chrono::steady_clock;
  enum Kind { read, write, park };

  Deadlines(boost::asio::any_io_executor executor, Transport& transport);
  /// The timer's callback keeps `owner` (the connection) alive while it runs and does nothing
  /// once it is gone.
  void set_owner(std::weak_ptr<void> owner) { owner_ = std::move(owner); }

  /// Arms `kind` for `when` and clears its expired() mark.
  void set(Kind kind, Clock::time_point when);
  void clear(Kind kind) { when_[kind] = Clock::time_point::max(); }
  /// True when `kind` passed since it was last set.
  bool expired(Kind kind) const { return expired_[kind]; }
  /// Stops the timer (the connection is closing).
  void stop();

 private:
  void arm(Clock::time_point when);
  void on_timer();

  boost::asio::steady_timer timer_;
  Transport& transport_;
  std::weak_ptr<void> owner_;
  bool armed_ = false;
  std::array<Clock::time_point, 3> when_{Clock::time_point::max(), Clock::time_point::max(),
                                         Clock::time_point::max()};
  std::array<bool, 3> expired_{};
};

}  // namespace asgi::server
