#pragma once
// A lease: at most one holder at a time among all the processes that share the server's broker,
// for work that must run once however many workers and instances serve the app (the one
// simulation of a shared game, a periodic job). The holder renews it well within its time to
// live; when the holder dies, the lease expires and another process takes it.
//
//   asgi::Lease lease("crab_app/tank", std::chrono::seconds(2));
//   for (;;) {                                   // every 500 ms or so
//     if (co_await lease.hold()) run_one_step();  // taken or renewed: this process leads
//     ...
//   }
//   co_await lease.release();                    // leaving: hand over at once
//
// Without `--broadcast-url` the process is alone and hold() is always true. When the broker
// cannot be reached, hold() is true as well: every process carries on by itself (a shared game
// splits into one per instance) rather than stopping, and they agree again once it is back.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>

namespace asgi {

class Lease {
 public:
  /// The lease called `name` (the same name in every process), held for `ttl` after each hold().
  Lease(std::string name, std::chrono::milliseconds ttl);
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  /// Takes the lease if it is free, renews it if this object holds it. True when this object
  /// holds it for the next `ttl`. Call again before `ttl` runs out (a third of it is a good
  /// interval). From a coroutine on any executor; one call at a time per object.
  [[nodiscard]] boost::asio::awaitable<bool> hold();
  /// Gives the lease up if held (without a broker: nothing to do).
  [[nodiscard]] boost::asio::awaitable<void> release();
  /// What the last hold() said.
  bool held() const { return held_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::string token_;  ///< this object's identity in the broker: random, unique per object
  std::chrono::milliseconds ttl_;
  bool held_ = false;
};

}  // namespace asgi
