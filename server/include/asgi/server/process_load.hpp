#pragma once
// What every event-loop thread of the process counts together: the requests and WebSockets in
// flight (--limit-concurrency) and the requests served so far (--limit-max-requests).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>

namespace asgi::server {

class ProcessLoad {
 public:
  /// `concurrency_limit` 0: unlimited. `max_requests` 0: never recycle.
  ProcessLoad(std::size_t concurrency_limit, std::uint64_t max_requests)
      : concurrency_limit_(concurrency_limit), max_requests_(max_requests) {}

  /// Set before serving starts: called once, on the thread that accepted the request that
  /// reached `max_requests`.
  void on_max_requests(std::function<void()> handler) { on_max_requests_ = std::move(handler); }

  /// A request head was accepted: counts it, then takes a slot for it. False (no slot taken) when
  /// `concurrency_limit` requests and WebSockets are already in flight.
  bool try_enter() {
    if (max_requests_ && served_.fetch_add(1, std::memory_order_relaxed) + 1 == max_requests_ &&
        on_max_requests_)
      on_max_requests_();
    if (!concurrency_limit_) return true;
    if (in_flight_.fetch_add(1, std::memory_order_relaxed) >= concurrency_limit_) {
      in_flight_.fetch_sub(1, std::memory_order_relaxed);
      return false;
    }
    return true;
  }
  /// Gives back the slot try_enter() took.
  void leave() {
    if (concurrency_limit_) in_flight_.fetch_sub(1, std::memory_order_relaxed);
  }

  std::size_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  std::uint64_t served() const { return served_.load(std::memory_order_relaxed); }

 private:
  const std::size_t concurrency_limit_;
  const std::uint64_t max_requests_;
  std::function<void()> on_max_requests_;
  std::atomic<std::size_t> in_flight_{0};
  std::atomic<std::uint64_t> served_{0};
};

}  // namespace asgi::server
